"""The demo county builder: towns, villages, households, industry, staff, training and visits for
one county, as rows; a city or province is a run of counties."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from lib.core.domain import (
    AttendanceStatus,
    BenefitType,
    HouseholdStatus,
    HousingGrade,
    IndustryCategory,
    OrgKind,
    PlanStage,
    PostingRole,
    ProgrammeKind,
    Role,
    poverty_line,
)
from lib.core.models import (
    Attendance,
    Base,
    Boundary,
    Cadre,
    Household,
    HouseholdCause,
    HouseholdIncome,
    Industry,
    IndustryPlan,
    Meta,
    Organisation,
    OrganisationLink,
    PlanStageChange,
    Posting,
    SessionTopic,
    Town,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    User,
    VerificationVisit,
    Village,
)
from lib.demo.catalogues import (
    AS_OF,
    BENEFIT_AMOUNT,
    BENEFIT_WEIGHTS,
    BIJIE_CLASS,
    BIJIE_CLASS_SIZE,
    BIJIE_TOPICS,
    BRANDS,
    CAUSE_WEIGHTS,
    CHUNK_SIZE,
    CITY_UNIT_WEIGHT,
    COOPERATIVE_KINDS,
    COOPERATIVE_PRODUCTS,
    COUNTY_CODE,
    DATA_VERSION,
    DEFAULT_ENTERPRISE,
    ENTERPRISE_KINDS,
    EXIT_YEAR_WEIGHTS,
    FEMALE_GIVEN,
    HEAD_BIRTH_WEIGHTS,
    HEAD_BIRTH_YEARS,
    HOUSEHOLD_INDUSTRY_WEIGHTS,
    ID_CHECK,
    ID_WEIGHTS,
    INCOME_YEARS,
    INDUSTRIES,
    INDUSTRY_CATEGORY,
    INDUSTRY_IDS,
    INDUSTRY_INCOME,
    INDUSTRY_NAMES,
    LAG_STAGE_WEIGHTS,
    LATE_EXIT_YEAR_WEIGHTS,
    LEAD_STAGE_WEIGHTS,
    LEFT_BETWEEN_PHASES,
    LEFT_IN_2020,
    MALE_GIVEN,
    MEMBER_WEIGHTS,
    NO_LABOUR_SHARE,
    ORG_FILLERS,
    PLANNED_WINDOW,
    PRODUCTS,
    ROTATION_2019_PHASES,
    ROTATION_2019_TRAINED,
    ROTATION_TOPICS,
    SCALES,
    SETBACK_REASONS,
    SHARE_INDUSTRIES,
    STAGES,
    SURNAME_WEIGHTS,
    SURNAMES,
    TOPIC_IDS,
    TOPICS,
    TOURISM_PRODUCTS,
    UNITS,
    VILLAGE_EXIT_YEAR_WEIGHTS,
    VILLAGE_SUFFIXES,
    VISIT_PROBLEMS,
    VISIT_START,
    Row,
)
from lib.present import geo
from lib.queries.accounts import BROWSE_KEY
from lib.services.auth import hash_password

T = TypeVar("T")

# --- small helpers -------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def id_check_digit(first17: str) -> str:
    """ISO 7064 mod 11-2 check character of a Chinese resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def _blend(t: float) -> list[float]:
    return [(1 - t) * lead + t * lag for lead, lag in zip(LEAD_STAGE_WEIGHTS, LAG_STAGE_WEIGHTS, strict=True)]


def _weighted_sample(rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int) -> list[T]:
    """k items without replacement, chance proportional to weight (Efraimidis–Spirakis keys)."""
    keyed = sorted(
        ((rng.random() ** (1 / w), i) for i, w in enumerate(weights)), key=lambda kv: (-kv[0], kv[1])
    )
    return [items[i] for _key, i in keyed[:k]]


@dataclass
class DemoSummary:
    """Row counts of what `generate` inserted."""

    towns: int = 0
    villages: int = 0
    households: int = 0
    household_causes: int = 0
    household_incomes: int = 0
    industries: int = 0
    industry_plans: int = 0
    plan_stage_changes: int = 0
    organisations: int = 0
    organisation_links: int = 0
    cadres: int = 0
    postings: int = 0
    training_sessions: int = 0
    attendance: int = 0
    verification_visits: int = 0
    accounts: int = 0

    def line(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name):,}" for f in fields(self))

    def __str__(self) -> str:
        return self.line()


@dataclass
class _TownInfo:
    id: int
    code: str
    name_zh: str
    pinyin: str
    ring: geo.Ring
    scenic: tuple[float, float] | None
    stage_lag: float = 0.0  # 0 leads … 1 lags on industry plan stages
    poor_factor: float = 1.0
    visit_share: float = 0.75
    training_weight: float = 1.0
    # What the assessment would find: chance a visit finds the household satisfied,
    # chance a visit finds a non-registered household in need, extra chance an exited household
    # has no safe water recorded.
    satisfaction: float = 0.96
    missed_need: float = 0.001
    water_gap: float = 0.0
    villages: list[_VillageInfo] = field(default_factory=list)
    orgs: list[tuple[int, OrgKind, str]] = field(default_factory=list)  # (id, kind, industry code)


@dataclass
class _VillageInfo:
    id: int
    code: str
    town: _TownInfo
    surname: str
    is_poor: bool
    exit_year: int | None  # actual exit year of a poor village
    due_2020: bool
    industry: str | None
    cadres: list[tuple[str, str]] = field(default_factory=list)  # serving (name, unit_zh)


@dataclass
class _Rows:
    """Rows to insert, by model; INSERT_ORDER says in which order."""

    tables: dict[type[Base], list[Row]] = field(default_factory=dict)

    def add(self, model: type[Base], row: Row) -> None:
        self.tables.setdefault(model, []).append(row)

    def count(self, model: type[Base]) -> int:
        return len(self.tables.get(model, []))


INSERT_ORDER: list[type[Base]] = [
    Industry,
    Town,
    Village,
    Boundary,
    Organisation,
    Cadre,
    Posting,
    Household,
    HouseholdCause,
    HouseholdIncome,
    IndustryPlan,
    PlanStageChange,
    OrganisationLink,
    TrainingProgramme,
    TrainingTopic,
    TrainingSession,
    SessionTopic,
    Attendance,
    VerificationVisit,
]


class _People:
    """Chinese personal names and fake but well-formed resident ID numbers."""

    def __init__(self, rng: random.Random, region_code: str) -> None:
        self.rng = rng
        self.region_code = region_code
        self.id_numbers: set[str] = set()

    def surname(self) -> tuple[str, str, float]:
        return self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def name(self, *, male: bool, surname: str | None = None) -> str:
        chars = MALE_GIVEN if male else FEMALE_GIVEN
        given = self.rng.choice(chars)
        if self.rng.random() < 0.7:
            given += self.rng.choice(chars)
        return (surname or self.surname()[0]) + given

    def id_number(self, *, birth_year: int, male: bool) -> str:
        while True:
            born = dt.date(birth_year, 1, 1) + dt.timedelta(days=self.rng.randint(0, 364))
            seq = self.rng.randrange(1, 500) * 2 - (1 if male else 0)
            first17 = f"{self.region_code}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number


# --- the county ----------------------------------------------------------------------------------


class _CountyBuilder:
    """Builds one county's rows; a city or province will run one per county with shared ids."""

    def __init__(
        self,
        rng: random.Random,
        rows: _Rows,
        ids: dict[type[Base], int],
        *,
        county_code: str = COUNTY_CODE,
        households_factor: float = 1.0,
        turnover_seed: str = "turnover",
    ) -> None:
        self.rng = rng
        # The 2019–2020 turnover draws from its own RNG, so the households built after it keep their rows.
        self.turnover_rng = random.Random(turnover_seed)
        self.turnover_people = _People(self.turnover_rng, county_code)
        self.rows = rows
        self.ids = ids
        self.households_factor = households_factor
        self.towns: list[_TownInfo] = []
        self.village_list: list[_VillageInfo] = []
        self.people = _People(rng, county_code)
        # (cadre id, town) of every first secretary, past and present
        self.first_secretaries: list[tuple[int, _TownInfo]] = []
        self.stats: dict[str, int] = {}
        self.village_rows: list[Row] = []

    def next_id(self, model: type[Base]) -> int:
        self.ids[model] = self.ids.get(model, 0) + 1
        return self.ids[model]

    # towns and villages -------------------------------------------------------------------------

    def build(self, towns_geojson: dict[str, Any]) -> None:
        features = sorted(towns_geojson["features"], key=lambda f: f["properties"]["code"])
        for feature in features:
            self._town(feature)
        self._town_profiles()
        for town in self.towns:
            self._villages(town)
        self._missing_coordinates()
        for town in self.towns:
            self._organisations(town)
        self._cadres()
        for town in self.towns:
            for village in town.villages:
                self._households(village)

    def _town(self, feature: dict[str, Any]) -> None:
        props = feature["properties"]
        town_id = self.next_id(Town)
        scenic = (props["scenic_lon"], props["scenic_lat"]) if props.get("scenic_lon") is not None else None
        self.rows.add(
            Town,
            {
                "id": town_id,
                "code": props["code"],
                "name_zh": props["name_zh"],
                "name_en": props["name_en"],
                "lon": props["lon"],
                "lat": props["lat"],
            },
        )
        self.rows.add(Boundary, outline_row(feature, "town"))
        self.towns.append(
            _TownInfo(
                id=town_id,
                code=props["code"],
                name_zh=props["name_zh"],
                pinyin=props["name_en"].split()[0],
                ring=geo.town_ring(feature),
                scenic=scenic,
            )
        )

    def _town_profiles(self) -> None:
        """Which towns lead and which lag, so rankings in a promotion meeting say something."""
        rng = self.rng
        candidates = [t for t in self.towns if t.scenic is None]
        for town in self.towns:
            town.stage_lag = rng.uniform(0.0, 0.25)
            town.visit_share = rng.uniform(0.62, 0.78)
        for town in rng.sample(candidates, 4):
            town.stage_lag = rng.uniform(0.8, 1.0)
            town.poor_factor = 1.35
        shuffled = rng.sample(self.towns, len(self.towns))
        for town in shuffled[:4]:
            town.visit_share = rng.uniform(0.36, 0.45)
        for town in shuffled[4:10]:
            town.visit_share = rng.uniform(0.93, 0.98)
        # Three of the well-visited towns would still fail the assessment, each for its own reason
        # (set without drawing, so every other figure stays as it was): households not satisfied,
        # visits finding households in need left off the register, exits without safe water.
        shuffled[4].satisfaction = 0.86
        shuffled[5].missed_need = 0.02
        shuffled[6].water_gap = 0.04
        shuffled = rng.sample(self.towns, len(self.towns))
        for town in shuffled[:3]:
            town.training_weight = 0.1
        for town in shuffled[3:10]:
            town.training_weight = 20.0

    def _villages(self, town: _TownInfo) -> None:
        rng = self.rng
        used: set[str] = set()
        count = rng.randint(12, 17)
        for n in range(1, count + 1):
            while True:
                surname, surname_py, _w = self.people.surname()
                suffix, suffix_py = rng.choice(VILLAGE_SUFFIXES)
                name_zh = f"{surname}{suffix}村"
                name_en = f"{surname_py}{suffix_py} Village"
                if name_zh not in used and name_en not in used:
                    used.update((name_zh, name_en))
                    break
            lon, lat = geo.random_point_in_polygon(rng, town.ring)
            is_poor = rng.random() < 0.4
            planned = actual = None
            due = False
            if is_poor:
                planned = _weighted(rng, VILLAGE_EXIT_YEAR_WEIGHTS)
                actual = planned if planned < 2020 else None
                if planned == 2019 and rng.random() < 0.03:
                    actual = None
                due = actual is None
            product = self._signature_product(town, lon, lat)
            village = _VillageInfo(
                id=self.next_id(Village),
                code=f"{town.code}{200 + n:03d}",
                town=town,
                surname=surname,
                is_poor=is_poor,
                exit_year=actual,
                due_2020=due,
                industry=product[0] if product else None,
            )
            village_row: Row = {
                "id": village.id,
                "code": village.code,
                "town_id": town.id,
                "name_zh": name_zh,
                "name_en": name_en,
                "lon": round(lon, 5),
                "lat": round(lat, 5),
                "is_poor": is_poor,
                "planned_exit_year": planned,
                "actual_exit_year": actual,
                "population": rng.randint(1_500, 4_500),
                "signature_product_zh": product[1] if product else None,
                "signature_product_en": product[2] if product else None,
                "signature_industry_id": INDUSTRY_IDS[product[0]] if product else None,
                "version": 1,
            }
            self.rows.add(Village, village_row)
            self.village_rows.append(village_row)
            town.villages.append(village)
            self.village_list.append(village)

    def _signature_product(
        self, town: _TownInfo, lon: float, lat: float
    ) -> tuple[str, str, str, float] | None:
        rng = self.rng
        if rng.random() < 0.05:
            return None
        if town.scenic is not None:
            # Distance in degrees is enough to tell "near the scenic area" inside one town.
            near = math.dist((lon, lat), town.scenic) < 0.06
            if near and rng.random() < 0.85:
                return rng.choice(TOURISM_PRODUCTS)
        return rng.choices(PRODUCTS, weights=[p[3] for p in PRODUCTS])[0]

    def _missing_coordinates(self) -> None:
        """Real registers have gaps: a few villages were never located."""
        village_rows = self.village_rows
        for index in sorted(self.rng.sample(range(len(village_rows)), self.rng.randint(2, 3))):
            village_rows[index]["lon"] = None
            village_rows[index]["lat"] = None

    # organisations ------------------------------------------------------------------------------

    def _organisations(self, town: _TownInfo) -> None:
        rng = self.rng
        counts: dict[str, int] = {}
        for village in town.villages:
            if village.industry and village.industry not in SHARE_INDUSTRIES:
                counts[village.industry] = counts.get(village.industry, 0) + 1
        local = sorted(counts, key=lambda code: (-counts[code], code))
        wanted: list[tuple[OrgKind, str]] = []
        if town.scenic is not None:
            wanted += [(OrgKind.ENTERPRISE, "farm_stay"), (OrgKind.COOPERATIVE, "homestay")]
        n = rng.randint(3, 6)
        for code in local:
            if len(wanted) >= n:
                break
            kind = OrgKind.COOPERATIVE if rng.random() < 0.55 else OrgKind.ENTERPRISE
            if INDUSTRY_CATEGORY[code] is IndustryCategory.ECOMMERCE:
                kind = OrgKind.ENTERPRISE
            if (kind, code) not in wanted:
                wanted.append((kind, code))
        fillers = [(OrgKind.ENTERPRISE, code) for code in ORG_FILLERS]
        for kind_code in rng.sample(fillers, len(fillers)):
            if len(wanted) >= n:
                break
            if kind_code not in wanted:
                wanted.append(kind_code)
        brands = rng.sample(BRANDS, len(wanted))
        short_zh = town.name_zh[:-1]
        for (kind, code), (brand_zh, brand_py) in zip(wanted, brands, strict=True):
            industry_zh, industry_en = INDUSTRY_NAMES[code]
            if kind is OrgKind.ENTERPRISE:
                if town.scenic is not None and code == "farm_stay":
                    name_zh, name_en = (
                        f"{short_zh}旅游发展有限公司",
                        f"{town.pinyin} Tourism Development Co., Ltd.",
                    )
                else:
                    end_zh, end_en = ENTERPRISE_KINDS.get(code, DEFAULT_ENTERPRISE)
                    name_zh = f"{short_zh}{brand_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {end_en}"
            else:
                category = INDUSTRY_CATEGORY[code]
                end_zh, end_en = COOPERATIVE_KINDS.get(category, ("专业合作社", "Cooperative"))
                if code == "homestay":
                    name_zh = f"{short_zh}{brand_zh}民宿专业合作社"
                    name_en = f"{town.pinyin} {brand_py} Homestay Cooperative"
                elif category in (IndustryCategory.TOURISM, IndustryCategory.ECOMMERCE):
                    name_zh = f"{short_zh}{brand_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {end_en}"
                else:
                    product_zh, product_en = COOPERATIVE_PRODUCTS.get(
                        code, (industry_zh, industry_en.title())
                    )
                    name_zh = f"{short_zh}{brand_zh}{product_zh}{end_zh}"
                    name_en = f"{town.pinyin} {brand_py} {product_en} {end_en}"
            org_id = self.next_id(Organisation)
            self.rows.add(
                Organisation,
                {
                    "id": org_id,
                    "kind": kind.value,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "industry_id": INDUSTRY_IDS[code],
                    "town_id": town.id,
                },
            )
            town.orgs.append((org_id, kind, code))

    # first secretaries and work teams -----------------------------------------------------------

    def _cadre(
        self, *, first_secretary: bool, unit: tuple[str, str] | None = None, turnover: bool = False
    ) -> tuple[int, str, str]:
        rng = self.turnover_rng if turnover else self.rng
        male = rng.random() < (0.85 if first_secretary else 0.7)
        name = (self.turnover_people if turnover else self.people).name(male=male)
        if unit is None:
            unit = rng.choices(UNITS, weights=[CITY_UNIT_WEIGHT if u[0][0] == "市" else 1 for u in UNITS])[0]
        cadre_id = self.next_id(Cadre)
        self.rows.add(
            Cadre,
            {
                "id": cadre_id,
                "name": name,
                "gender": "M" if male else "F",
                "birth_year": rng.randint(1965, 1990) if first_secretary else rng.randint(1968, 1992),
                "sent_by_unit_zh": unit[0],
                "sent_by_unit_en": unit[1],
            },
        )
        return cadre_id, name, unit[0]

    def _posting(
        self, cadre_id: int, village: _VillageInfo, role: PostingRole, start: dt.date, end: dt.date | None
    ) -> Row:
        row: Row = {
            "id": self.next_id(Posting),
            "cadre_id": cadre_id,
            "village_id": village.id,
            "role": role.value,
            "start_date": start,
            "end_date": end,
        }
        self.rows.add(Posting, row)
        return row

    def _cadres(self) -> None:
        """One serving first secretary per village, ≈100 replaced ones, some of whom moved on."""
        rng = self.rng
        fs = PostingRole.FIRST_SECRETARY
        replaced = rng.sample(self.village_list, 45)
        movers_from = replaced[:12]  # their first secretary moved to a village in movers_to
        movers_to = replaced[12:24]  # their first secretary left in late 2019, a mover came
        left_early = replaced[24:]  # their first secretary left before the 2019 training
        plan: dict[int, str] = {v.id: "from" for v in movers_from}
        plan.update({v.id: "to" for v in movers_to})
        plan.update({v.id: "early" for v in left_early})
        mover_dest = dict(zip([v.id for v in movers_from], movers_to, strict=True))
        arrivals: dict[int, tuple[int, str, str, dt.date]] = {}  # village id → mover arriving
        serving: dict[int, Row] = {}  # village id → posting of its secretary, for _turnover
        # When each replaced secretary left; a mover arrives only after the one they replace left.
        ends: dict[int, dt.date] = {}
        for village in left_early:
            ends[village.id] = _date_between(rng, dt.date(2017, 8, 15), dt.date(2019, 3, 31))
        for origin, dest in zip(movers_from, movers_to, strict=True):
            ends[origin.id] = _date_between(rng, dt.date(2019, 10, 8), dt.date(2019, 12, 10))
            ends[dest.id] = ends[origin.id] - dt.timedelta(days=rng.randint(0, 20))

        for village in self.village_list:
            kind = plan.get(village.id)
            if kind is None:
                start = _date_between(rng, dt.date(2017, 3, 1), dt.date(2019, 6, 30))
            else:
                first_start = _date_between(rng, dt.date(2015, 8, 1), dt.date(2016, 6, 30))
                end = ends[village.id]
                cadre_id, name, unit = self._cadre(first_secretary=True)
                self._posting(cadre_id, village, fs, first_start, end)
                self.first_secretaries.append((cadre_id, village.town))
                start = end + dt.timedelta(days=rng.randint(1, 12))
                if kind == "from":
                    dest = mover_dest[village.id]
                    arrivals[dest.id] = (cadre_id, name, unit, start)
            if kind == "to":
                # Set up when the leaving secretary of that village was written: see arrivals.
                continue
            cadre_id, name, unit = self._cadre(first_secretary=True)
            serving[village.id] = self._posting(cadre_id, village, fs, start, None)
            self.first_secretaries.append((cadre_id, village.town))
            village.cadres.append((name, unit))
        # Movers arrive after their new village's secretary has left: postings kept in order.
        for village in movers_to:
            cadre_id, name, unit, start = arrivals[village.id]
            self._posting(cadre_id, village, fs, start, None)
            village.cadres.insert(0, (name, unit))

        for village in self.village_list:
            lead_unit = next(u for u in UNITS if u[0] == village.cadres[0][1])
            members = rng.choice((2, 2, 2, 3, 3)) if village.is_poor else rng.choice((1, 2))
            for _ in range(members):
                team_unit = lead_unit if rng.random() < 0.6 else None
                cadre_id, name, unit_zh = self._cadre(first_secretary=False, unit=team_unit)
                start = _date_between(rng, dt.date(2017, 6, 1), dt.date(2020, 6, 30))
                self._posting(cadre_id, village, PostingRole.TEAM_MEMBER, start, None)
                village.cadres.append((name, unit_zh))
        self._turnover(serving)

    def _turnover(self, serving: dict[int, Row]) -> None:
        """Terms that ended between the 2019 phases and in 2020, each followed by a new secretary.

        Drawn with the turnover RNG after the work teams, so every other row (and id) stays as it
        was. The newcomers are left out of `village.cadres` (helpers, visitors) for the same reason.
        """
        rng = self.turnover_rng
        fs = PostingRole.FIRST_SECRETARY
        phase1_end, phase2_start = ROTATION_2019_PHASES[0][2], ROTATION_2019_PHASES[1][1]
        by_id = {v.id: v for v in self.village_list}
        # In post from before the first phase, and two years by the time they leave.
        early = [vid for vid, row in serving.items() if row["start_date"] <= dt.date(2017, 6, 30)]
        between = set(rng.sample(early, min(LEFT_BETWEEN_PHASES, len(early))))
        later = [
            vid
            for vid, row in serving.items()
            if vid not in between and row["start_date"] <= dt.date(2018, 6, 30)
        ]
        in_2020 = set(rng.sample(later, min(LEFT_IN_2020, len(later))))
        for village_id in sorted(between | in_2020):
            row = serving[village_id]
            if village_id in between:  # the newcomer arrives before the second phase
                end = _date_between(
                    rng, phase1_end + dt.timedelta(days=14), phase2_start - dt.timedelta(days=25)
                )
            else:
                end = _date_between(rng, dt.date(2020, 3, 2), dt.date(2020, 8, 31))
            row["end_date"] = end
            village = by_id[village_id]
            cadre_id, _name, _unit = self._cadre(first_secretary=True, turnover=True)
            self._posting(cadre_id, village, fs, end + dt.timedelta(days=rng.randint(1, 12)), None)
            self.first_secretaries.append((cadre_id, village.town))

    # households ---------------------------------------------------------------------------------

    def _households(self, village: _VillageInfo) -> None:
        rng = self.rng
        town = village.town
        count = rng.randint(80, 100) if village.is_poor else rng.randint(30, 45)
        if self.households_factor != 1.0:
            count = round(count * self.households_factor)
        p_poor = (0.25 if village.due_2020 else 0.052) * town.poor_factor
        p_monitored = 0.05
        helpers = self._helpers(village, count)
        for n in range(1, count + 1):
            self._household(village, n, p_poor, p_monitored, helpers)

    def _helpers(self, village: _VillageInfo, households: int) -> list[tuple[str, str]]:
        """帮扶责任人: the work team plus county and town staff, each helping a handful of households."""
        rng = self.rng
        pool = list(village.cadres)
        town_office = f"{village.town.name_zh}人民政府"
        while len(pool) < max(3, households // 6):
            unit = town_office if rng.random() < 0.35 else rng.choice(UNITS)[0]
            pool.append((self.people.name(male=rng.random() < 0.65), unit))
        return pool

    def _household(
        self,
        village: _VillageInfo,
        n: int,
        p_poor: float,
        p_monitored: float,
        helpers: list[tuple[str, str]],
    ) -> None:
        rng = self.rng
        household_id = self.next_id(Household)
        roll = rng.random()
        if roll < p_poor:
            status = HouseholdStatus.POOR
        elif roll < p_poor + p_monitored:
            status = HouseholdStatus.MONITORED
        else:
            status = HouseholdStatus.EXITED
        exited = status is not HouseholdStatus.POOR

        registered = _weighted(rng, {2014: 70, 2015: 18, 2016: 12})
        exit_year: int | None = None
        if exited:
            weights = LATE_EXIT_YEAR_WEIGHTS if village.due_2020 else EXIT_YEAR_WEIGHTS
            exit_year = _weighted(rng, {y: w for y, w in weights.items() if y >= registered})
            if village.exit_year and exit_year > village.exit_year and rng.random() < 0.85:
                exit_year = max(village.exit_year, registered)

        cause = _weighted(rng, CAUSE_WEIGHTS)
        members = _weighted(rng, MEMBER_WEIGHTS)
        if rng.random() < NO_LABOUR_SHARE.get(cause, 0.05):
            labour = 0
        else:
            labour = min(members, 1 + (rng.random() < 0.55) + (rng.random() < 0.15))
        male_head = rng.random() < 0.85
        head_birth_year = rng.choices(HEAD_BIRTH_YEARS, weights=HEAD_BIRTH_WEIGHTS)[0]
        surname = village.surname if rng.random() < 0.4 else None
        helper_name, helper_unit = rng.choice(helpers)

        grade = self._housing_grade(exited)
        flags = self._guarantees(exited, grade, water_gap=village.town.water_gap)

        problem: str | None = None
        if exited and rng.random() < 0.01:
            problem = rng.choice(("missing_step", "out_of_order", "income_below_line"))
            self.stats[f"problem_{problem}"] = self.stats.get(f"problem_{problem}", 0) + 1
        steps = self._exit_steps(exit_year, problem) if exit_year else [None] * 5

        self.rows.add(
            Household,
            {
                "id": household_id,
                "archive_no": f"{village.code}{n:04d}",
                "village_id": village.id,
                "head_name": self.people.name(male=male_head, surname=surname),
                "head_id_number": self.people.id_number(birth_year=head_birth_year, male=male_head),
                "members": members,
                "labour_count": labour,
                "primary_cause": cause.value,
                "housing_grade": grade.value,
                **flags,
                "status": status.value,
                "registered_year": registered,
                "exit_year": exit_year,
                "exit_appraised_on": steps[0],
                "exit_verified_on": steps[1],
                "exit_agreed_on": steps[2],
                "exit_noticed_on": steps[3],
                "exit_removed_on": steps[4],
                "helper_name": helper_name,
                "helper_unit": helper_unit,
                "version": 1,
            },
        )
        self.rows.add(HouseholdCause, {"household_id": household_id, "cause": cause.value})
        if rng.random() < 0.3:
            second = _weighted(rng, {c: w for c, w in CAUSE_WEIGHTS.items() if c is not cause})
            self.rows.add(HouseholdCause, {"household_id": household_id, "cause": second.value})

        partners = self._plans(household_id, village, status, labour)
        link_year, link_boost = self._links(household_id, village, status, partners)
        self._incomes(household_id, status, exit_year, link_year, link_boost, problem)
        self._visits(household_id, village, helper_name, problem)

    def _housing_grade(self, exited: bool) -> HousingGrade:
        weights = (
            {HousingGrade.A: 56, HousingGrade.B: 43.7, HousingGrade.C: 0.25, HousingGrade.D: 0.05}
            if exited
            else {HousingGrade.A: 35, HousingGrade.B: 52, HousingGrade.C: 10, HousingGrade.D: 3}
        )
        return _weighted(self.rng, weights)

    def _guarantees(self, exited: bool, grade: HousingGrade, *, water_gap: float = 0.0) -> dict[str, bool]:
        rng = self.rng
        if exited:
            miss = 0.0005
            flags = {
                "no_worry_food": rng.random() >= miss,
                "no_worry_clothing": rng.random() >= miss,
                "guarantee_education": rng.random() >= miss,
                "guarantee_medical": rng.random() >= miss,
                "guarantee_housing": rng.random() >= miss,
                "safe_water": rng.random() >= miss + water_gap,
            }
        else:
            flags = {
                "no_worry_food": rng.random() < 0.96,
                "no_worry_clothing": rng.random() < 0.96,
                "guarantee_education": rng.random() < 0.93,
                "guarantee_medical": rng.random() < 0.92,
                "guarantee_housing": rng.random() < 0.9,
                "safe_water": rng.random() < 0.85,
            }
        if grade in (HousingGrade.C, HousingGrade.D):
            # Unsafe housing is not guaranteed, except a handful of records that contradict it.
            contradiction = rng.random() < 0.03
            flags["guarantee_housing"] = contradiction
            if contradiction:
                self.stats["problem_housing_contradiction"] = (
                    self.stats.get("problem_housing_contradiction", 0) + 1
                )
        return flags

    def _exit_steps(self, year: int, problem: str | None) -> list[dt.date | None]:
        """Appraisal → verified → agreed → noticed (7-day public notice) → removed."""
        rng = self.rng
        if year < AS_OF.year:
            appraised = _date_between(rng, dt.date(year, 10, 8), dt.date(year, 11, 25))
        else:
            appraised = _date_between(rng, dt.date(year, 7, 1), dt.date(year, 10, 3))
        verified = appraised + dt.timedelta(days=rng.randint(3, 7))
        agreed = verified + dt.timedelta(days=rng.randint(1, 4))
        noticed = agreed + dt.timedelta(days=rng.randint(1, 3))
        removed = noticed + dt.timedelta(days=rng.randint(7, 10))
        steps: list[dt.date | None] = [appraised, verified, agreed, noticed, removed]
        if problem == "missing_step":
            steps[rng.randint(1, 3)] = None
        elif problem == "out_of_order":
            i = rng.randint(0, 3)
            steps[i], steps[i + 1] = steps[i + 1], steps[i]
        return steps

    def _plans(
        self, household_id: int, village: _VillageInfo, status: HouseholdStatus, labour: int
    ) -> list[int]:
        """One household, one industry: ≈75% of households with labour; shares for a few without."""
        rng = self.rng
        codes: list[str] = []
        if labour > 0:
            if rng.random() < 0.75:
                codes.append(self._household_industry(village))
                if rng.random() < 0.10:
                    second = self._household_industry(village)
                    while second == codes[0]:
                        second = _weighted(rng, HOUSEHOLD_INDUSTRY_WEIGHTS)
                    codes.append(second)
        elif rng.random() < 0.12:
            codes.append(rng.choice(SHARE_INDUSTRIES))
        lag = min(1.0, village.town.stage_lag + (0.3 if status is HouseholdStatus.POOR else 0.0))
        partners: list[int] = []
        for code in codes:
            partner = self._plan(household_id, village, code, lag)
            if partner is not None:
                partners.append(partner)
        return partners

    def _household_industry(self, village: _VillageInfo) -> str:
        rng = self.rng
        signature = village.industry
        if signature and signature not in SHARE_INDUSTRIES:
            share = 0.7 if INDUSTRY_CATEGORY[signature] is IndustryCategory.TOURISM else 0.35
            if rng.random() < share:
                return signature
        return _weighted(rng, HOUSEHOLD_INDUSTRY_WEIGHTS)

    def _plan(self, household_id: int, village: _VillageInfo, code: str, lag: float) -> int | None:
        rng = self.rng
        stage = rng.choices(STAGES, weights=_blend(lag))[0]
        low, high = PLANNED_WINDOW[stage]
        planned_on = _date_between(rng, low, high)
        path = STAGES[: stage.rank]
        setback = rng.random() < 0.02
        if setback:
            if stage is PlanStage.STABLE:
                path = [*path, PlanStage.PRODUCING, PlanStage.STABLE]
            else:
                path = [*STAGES[: stage.rank + 1], stage]
        # Dates of the moves after "planned": random gaps, squeezed to end by AS_OF.
        gaps = [rng.randint(45, 360) for _ in path[1:]]
        room = (AS_OF - planned_on).days - 1
        if sum(gaps) > room:
            gaps = [max(1, g * room // sum(gaps)) for g in gaps]
        dates = [planned_on]
        for gap in gaps:
            dates.append(dates[-1] + dt.timedelta(days=gap))
        plan_id = self.next_id(IndustryPlan)
        reason_at = next((i for i in range(1, len(path)) if path[i].rank < path[i - 1].rank), None)
        for i, (to_stage, changed_on) in enumerate(zip(path, dates, strict=True)):
            self.rows.add(
                PlanStageChange,
                {
                    "id": self.next_id(PlanStageChange),
                    "plan_id": plan_id,
                    "from_stage": path[i - 1].value if i else None,
                    "to_stage": to_stage.value,
                    "changed_on": changed_on,
                    "reason": self._setback_reason(code) if i == reason_at else None,
                },
            )
        started_on = dates[1] if len(path) > 1 else None

        low_income, high_income = INDUSTRY_INCOME[code]
        expected = round(rng.randint(low_income, high_income), -2)
        actual: int | None
        if stage is PlanStage.STABLE:
            actual = int(round(expected * rng.uniform(0.8, 1.25), -1))
        elif stage is PlanStage.PRODUCING:
            actual = int(round(expected * rng.uniform(0.4, 0.9), -1))
        elif stage is PlanStage.STARTED and rng.random() < 0.5:
            actual = int(round(expected * rng.uniform(0.0, 0.25), -1))
        else:
            actual = None

        partner: int | None = None
        same = [org_id for org_id, _kind, org_code in village.town.orgs if org_code == code]
        if same and rng.random() < 0.6:
            partner = rng.choice(same)
        self.rows.add(
            IndustryPlan,
            {
                "id": plan_id,
                "household_id": household_id,
                "industry_id": INDUSTRY_IDS[code],
                "stage": stage.value,
                "planned_on": planned_on,
                "started_on": started_on,
                "stage_since": dates[-1],
                "partner_org_id": partner,
                "expected_income": expected,
                "actual_income": actual,
                "version": 1,
            },
        )
        return partner

    def _setback_reason(self, code: str) -> str:
        reasons = SETBACK_REASONS.get(INDUSTRY_CATEGORY[code], SETBACK_REASONS[None])
        return self.rng.choice(reasons)

    def _links(
        self, household_id: int, village: _VillageInfo, status: HouseholdStatus, partners: list[int]
    ) -> tuple[int | None, float]:
        """Company + cooperative + poor households. Returns (first year linked, income boost)."""
        rng = self.rng
        p_link = 0.35 if status is HouseholdStatus.POOR else 0.46
        orgs = village.town.orgs
        if not orgs or rng.random() >= p_link:
            return None, 1.0
        n = _weighted(rng, {1: 75, 2: 20, 3: 5})
        chosen: list[tuple[int, BenefitType]] = []
        kinds = {org_id: kind for org_id, kind, _code in orgs}
        candidates = [*partners, *(org_id for org_id, _k, _c in orgs)]
        tries = 0
        while len(chosen) < n and tries < 20:
            tries += 1
            org_id = candidates[0] if not chosen and partners else rng.choice(candidates)
            benefit = _weighted(rng, BENEFIT_WEIGHTS[kinds[org_id]])
            if (org_id, benefit) not in chosen:
                chosen.append((org_id, benefit))
        first_year = AS_OF.year
        for org_id, benefit in chosen:
            since = _date_between(rng, dt.date(2016, 1, 1), dt.date(2020, 6, 30))
            first_year = min(first_year, since.year)
            low, high = BENEFIT_AMOUNT[benefit]
            self.rows.add(
                OrganisationLink,
                {
                    "id": self.next_id(OrganisationLink),
                    "organisation_id": org_id,
                    "household_id": household_id,
                    "benefit_type": benefit.value,
                    "since": since,
                    "annual_amount": round(rng.randint(low, high), -1),
                },
            )
        return first_year, rng.uniform(1.06, 1.2)

    def _incomes(
        self,
        household_id: int,
        status: HouseholdStatus,
        exit_year: int | None,
        link_year: int | None,
        link_boost: float,
        problem: str | None,
    ) -> None:
        """Per-capita income, rising; above the line from the exit year on, mostly below before."""
        rng = self.rng
        monitored = status is HouseholdStatus.MONITORED
        income = poverty_line(INCOME_YEARS[0]) * rng.uniform(0.45, 0.9)
        for year in INCOME_YEARS:
            line = poverty_line(year)
            if exit_year is None or year < exit_year:
                if year > INCOME_YEARS[0]:
                    income = max(income, min(income * rng.uniform(1.03, 1.15), 0.97 * line))
                if status is HouseholdStatus.POOR and year == AS_OF.year and rng.random() < 0.12:
                    income = line * rng.uniform(1.0, 1.12)  # ready to exit at year end
            elif year == exit_year:
                income = max(income, line * (rng.uniform(1.03, 1.2) if monitored else rng.uniform(1.08, 1.5)))
            else:
                growth = rng.uniform(1.0, 1.08) if monitored else rng.uniform(1.04, 1.15)
                income = max(income * growth, line * rng.uniform(1.02, 1.1))
            value = income
            if monitored and year == AS_OF.year and rng.random() < 0.5:
                value = max(line * rng.uniform(1.01, 1.06), income * rng.uniform(0.85, 0.97))
            if link_year is not None and exit_year is not None and year >= max(link_year, exit_year):
                value *= link_boost
            if problem == "income_below_line" and year == AS_OF.year:
                value = line * rng.uniform(0.8, 0.97)
            self.rows.add(
                HouseholdIncome,
                {"household_id": household_id, "year": year, "per_capita_income": round(value)},
            )

    def _visits(
        self, household_id: int, village: _VillageInfo, helper_name: str, problem: str | None
    ) -> None:
        rng = self.rng
        if rng.random() >= village.town.visit_share:
            return
        n = _weighted(rng, {1: 75, 2: 20, 3: 5})
        days = sorted(rng.sample(range((AS_OF - VISIT_START).days + 1), n))
        team = [name for name, _unit in village.cadres]
        town = village.town
        for day in days:
            found = rng.random() < (0.5 if problem else 0.05)
            satisfied_roll = rng.random()
            self.rows.add(
                VerificationVisit,
                {
                    "id": self.next_id(VerificationVisit),
                    "household_id": household_id,
                    "visited_on": VISIT_START + dt.timedelta(days=day),
                    "visitor_name": rng.choice(team) if rng.random() < 0.7 else helper_name,
                    "ledger_verified": not found,
                    "problems": rng.choice(VISIT_PROBLEMS) if found else None,
                    "satisfied": None if satisfied_roll < 0.01 else satisfied_roll < town.satisfaction,
                    "found_unregistered_need": rng.random() < town.missed_need,
                },
            )


# --- catalogue, training and meta ----------------------------------------------------------------


def _catalogue(rows: _Rows) -> None:
    for i, (code, category, name_zh, name_en, _income) in enumerate(INDUSTRIES, start=1):
        rows.add(
            Industry,
            {"id": i, "code": code, "category": category.value, "name_zh": name_zh, "name_en": name_en},
        )
    for i, (code, name_zh, name_en) in enumerate(TOPICS, start=1):
        rows.add(TrainingTopic, {"id": i, "code": code, "name_zh": name_zh, "name_en": name_en})


def _programmes(rows: _Rows) -> None:
    """The 2019 cycle's two classes, both counted as training ("required"), and the 2020 rotation.

    "Required" is what makes a programme count toward coverage: the ability-development class is
    for 50 selected secretaries, not every one, but the 50 are trained as much as the 321 are.
    """
    programmes = [
        (
            "rotation-2019",
            ProgrammeKind.ROTATION,
            "2019年第一书记能力提升班",
            "2019 First Secretary Ability-Enhancement Class",
            2019,
            True,
            0.95,
        ),
        (
            "bijie-class-2019",
            ProgrammeKind.STUDY_TOUR,
            "第一书记能力发展专题培训班（毕节）",
            "First Secretary Ability-Development Class (Bijie)",
            2019,
            True,
            None,
        ),
        (
            "rotation-2020",
            ProgrammeKind.ROTATION,
            "2020年第一书记轮训",
            "2020 First Secretary Rotation Training",
            2020,
            True,
            0.95,
        ),
    ]
    for i, (code, kind, name_zh, name_en, year, required, target) in enumerate(programmes, start=1):
        rows.add(
            TrainingProgramme,
            {
                "id": i,
                "code": code,
                "kind": kind.value,
                "name_zh": name_zh,
                "name_en": name_en,
                "year": year,
                "required": required,
                "target_share": target,
            },
        )


def _in_post(terms: Sequence[tuple[dt.date, dt.date | None]], start: dt.date, end: dt.date) -> bool:
    return any(s <= start and (e is None or e >= end) for s, e in terms)


def _training(
    rng: random.Random,
    rows: _Rows,
    county: _CountyBuilder,
    *,
    first_session_id: int = 1,
    first_attendance_id: int = 1,
    with_programmes: bool = True,
) -> dict[str, int]:
    """The 2019 classes — the ability-enhancement class (321 in two rotation phases) and the Bijie
    ability-development class (50 other secretaries): 371 people — and the 2020 phase ahead.

    In a city or province each county holds its own sessions of the shared programmes, numbered
    from `first_session_id`; attendance ids start at `first_attendance_id`.
    """
    if with_programmes:
        _programmes(rows)
    school = ("县委党校", "County Party School")
    first = first_session_id - 1
    phase1, phase2 = ROTATION_2019_PHASES
    sessions = [
        (first + 1, 1, school, phase1[1], phase1[2], 170, ROTATION_TOPICS),
        (first + 2, 1, school, phase2[1], phase2[2], 170, ROTATION_TOPICS),
        (first + 3, 2, ("贵州省毕节市", "Bijie, Guizhou"), *BIJIE_CLASS, BIJIE_CLASS_SIZE, BIJIE_TOPICS),
        (first + 4, 3, school, dt.date(2020, 11, 16), dt.date(2020, 11, 20), 60, ROTATION_TOPICS),
    ]
    phase_of = {first + 1: 1, first + 2: 2, first + 3: 1, first + 4: 1}
    for session_id, programme_id, place, start, end, capacity, topics in sessions:
        rows.add(
            TrainingSession,
            {
                "id": session_id,
                "programme_id": programme_id,
                "phase": phase_of[session_id],
                "place_zh": place[0],
                "place_en": place[1],
                "start_date": start,
                "end_date": end,
                "days": (end - start).days + 1,
                "capacity": capacity,
            },
        )
        for code in topics:
            rows.add(SessionTopic, {"session_id": session_id, "topic_id": TOPIC_IDS[code]})

    # Who could attend a class: the first secretaries in post for the whole of it.
    terms: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for posting in rows.tables[Posting]:
        if posting["role"] == PostingRole.FIRST_SECRETARY.value:
            terms.setdefault(posting["cadre_id"], []).append((posting["start_date"], posting["end_date"]))
    at_phase1 = [c for c in sorted(terms) if _in_post(terms[c], phase1[1], phase1[2])]
    at_phase2 = {c for c in terms if _in_post(terms[c], phase2[1], phase2[2])}
    at_bijie = [c for c in sorted(terms) if _in_post(terms[c], *BIJIE_CLASS)]
    town_of = dict(county.first_secretaries)

    def weights(cadres: Sequence[int]) -> list[float]:
        return [town_of[c].training_weight for c in cadres]

    # Those who left between the phases could only take the first, and all of them did.
    left_between = [c for c in at_phase1 if c not in at_phase2]
    others = sorted((set(at_phase1) | at_phase2) - set(left_between))
    rotation = sorted(
        [
            *left_between,
            *_weighted_sample(rng, others, weights(others), ROTATION_2019_TRAINED - len(left_between)),
        ]
    )
    rotation_set = set(rotation)
    phase1_ok = [c for c in at_phase1 if c in rotation_set and c not in left_between]
    first_phase = {*left_between, *rng.sample(phase1_ok, phase1[3] - len(left_between))}
    second_phase = [c for c in rotation if c not in first_phase]
    # The ability-development class: 50 selected secretaries who were not in the rotation.
    candidates = [c for c in at_bijie if c not in rotation_set]
    bijie = sorted(_weighted_sample(rng, candidates, weights(candidates), BIJIE_CLASS_SIZE))
    trained = rotation_set | set(bijie)
    untrained = sorted(at_phase2 - trained)

    attendance: list[tuple[int, int, AttendanceStatus, bool]] = []
    absent_then_phase2 = sorted(rng.sample([c for c in second_phase if c in set(at_phase1)], 4))
    for cadre_id in sorted([*first_phase, *absent_then_phase2]):
        status = AttendanceStatus.ABSENT if cadre_id in absent_then_phase2 else AttendanceStatus.ATTENDED
        attendance.append((first + 1, cadre_id, status, False))
    absent_phase2 = sorted(rng.sample(untrained, min(3, len(untrained))))
    for cadre_id in sorted([*second_phase, *absent_phase2]):
        status = AttendanceStatus.ABSENT if cadre_id in absent_phase2 else AttendanceStatus.ATTENDED
        attendance.append((first + 2, cadre_id, status, False))
    for cadre_id in bijie:
        attendance.append((first + 3, cadre_id, AttendanceStatus.ATTENDED, True))
    for i, (session_id, cadre_id, status, selected) in enumerate(attendance, start=first_attendance_id):
        rows.add(
            Attendance,
            {
                "id": i,
                "session_id": session_id,
                "cadre_id": cadre_id,
                "status": status.value,
                "selected": selected,
            },
        )
    left = {c for c, spans in terms.items() if all(e is not None for _s, e in spans)}
    return {
        "trained_2019": len(trained),
        "rotation_2019": len(rotation),
        "development_class_2019": len(bijie),
        "trained_then_left": len(trained & left),
    }


# --- demo accounts (documented in README.md) ------------------------------------------------------

DEMO_PASSWORD = "demo-password"
DEMO_TOWN_CODE = "349901105"  # 八里河镇 Balihe
DEMO_ACCOUNTS_CREATED = dt.datetime(2020, 10, 1, 9, 0)
# (username, role, display name, may see household heads' names, scope: None, "town" or "village")
DEMO_ACCOUNTS: list[tuple[str, Role, str, bool, str | None]] = [
    ("admin", Role.ADMIN, "系统管理员（演示）", False, None),
    ("leader", Role.LEADER, "县领导（演示）", True, None),
    ("balihe", Role.TOWN_EDITOR, "八里河镇录入员（演示）", True, "town"),
    ("balihe-village", Role.VILLAGE_EDITOR, "{village}录入员（演示）", True, "village"),
]


def demo_account_rows(rows: _Rows) -> list[Row]:
    """The demo accounts, all with the password DEMO_PASSWORD.

    The village editor works in Balihe's first registered poor village (by code). The password is
    hashed once per run (argon2 is slow on purpose) and its salt differs each run, so
    `password_hash` is the one value that is not the same for the same seed.
    """
    town = next(row for row in rows.tables[Town] if row["code"] == DEMO_TOWN_CODE)
    village = min(
        (row for row in rows.tables[Village] if row["town_id"] == town["id"] and row["is_poor"]),
        key=lambda row: row["code"],
    )
    password_hash = hash_password(DEMO_PASSWORD)
    return [
        {
            "id": number,
            "username": username,
            "display_name": display_name.format(village=village["name_zh"]),
            "password_hash": password_hash,
            "role": role.value,
            "town_id": town["id"] if scope else None,
            "village_id": village["id"] if scope == "village" else None,
            "can_see_names": can_see_names,
            "is_active": True,
            "created_at": DEMO_ACCOUNTS_CREATED,
        }
        for number, (username, role, display_name, can_see_names, scope) in enumerate(DEMO_ACCOUNTS, start=1)
    ]


def foreign_accounts(session: Session) -> list[str]:
    """Usernames of the accounts that are not the demo's: another name or role, or made at
    another time than the demo makes its own (DEMO_ACCOUNTS_CREATED), as an admin made with
    `python -m lib.admin` is even when it is called "admin". `--reset` keeps away from them."""
    demo = {(username, role.value) for username, role, *_ in DEMO_ACCOUNTS}
    rows = session.execute(select(User.username, User.role, User.created_at).order_by(User.username))
    return [
        username
        for username, role, created in rows
        if (username, role) not in demo or created != DEMO_ACCOUNTS_CREATED
    ]


def _meta(session: Session, *, scale: str, seed: int) -> None:
    values = {
        "dataset": "demo",
        "demo_scale": scale,
        "demo_seed": str(seed),
        "as_of": AS_OF.isoformat(),
        "data_version": DATA_VERSION,
        BROWSE_KEY: "1",  # the demo is for showing: anyone may browse it without signing in
    }
    session.execute(delete(Meta).where(Meta.key.in_(list(values))))
    session.execute(insert(Meta), [{"key": k, "value": v} for k, v in values.items()])


OUTLINE_SOURCE = "demo"  # Boundary.source of the outlines the demo stores (a loaded file's name otherwise)


def outline_row(feature: Mapping[str, Any], level: str) -> Row:
    """The `boundaries` row of a demo outline (a town's, or the county's): its GeoJSON geometry as
    the loader stores one (compact, keys sorted), and the label point it was drawn with."""
    props = feature["properties"]
    return {
        "code": props["code"],
        "level": level,
        "geometry": json.dumps(feature["geometry"], separators=(",", ":"), sort_keys=True),
        "lon": props["lon"],
        "lat": props["lat"],
        "source": OUTLINE_SOURCE,
        "version": 1,
    }


def _county_outlines(rows: _Rows, county: Mapping[str, Any]) -> None:
    for feature in county["features"]:
        rows.add(Boundary, outline_row(feature, "county"))


def _chunks(rows: list[Row], size: int = CHUNK_SIZE) -> Iterable[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# --- scales: a city or province is a run of counties ----------------------------------------------


@dataclass(frozen=True)
class ScaleSpec:
    """How many counties a scale has, and how many more households per village than the county."""

    counties: int
    households_factor: float


# county: 359 villages, ≈20.8k households; city: ≈3.6k villages, ≈300k households, ≈4k first
# secretaries; province: ≈30k villages, ≈3M households.
SCALE_SPECS: dict[str, ScaleSpec] = {
    "county": ScaleSpec(1, 1.0),
    "city": ScaleSpec(10, 1.45),
    "province": ScaleSpec(84, 1.7),
}

# Fictional county names for demo counties 2…99 (county 1 is 示范县): two syllables each.
_COUNTY_FIRST = [
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("青", "Qing"),
    ("白", "Bai"),
    ("云", "Yun"),
    ("石", "Shi"),
    ("金", "Jin"),
    ("龙", "Long"),
]
_COUNTY_SECOND = [
    ("山", "shan"),
    ("河", "he"),
    ("湖", "hu"),
    ("阳", "yang"),
    ("平", "ping"),
    ("安", "an"),
    ("宁", "ning"),
    ("丰", "feng"),
    ("源", "yuan"),
    ("川", "chuan"),
]


def county_names(index: int) -> tuple[str, str] | None:
    """(short zh, en) name of demo county `index`; None for county 1, which keeps its town names."""
    if index == 1:
        return None
    first, second = divmod(index - 2, len(_COUNTY_SECOND))
    zh1, en1 = _COUNTY_FIRST[first % len(_COUNTY_FIRST)]
    zh2, en2 = _COUNTY_SECOND[second]
    return zh1 + zh2, en1 + en2


def check_scale(scale: str) -> None:
    """Raise ValueError unless `scale` is one the demo can build."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")


def _county_count(scale: str, counties: int | None) -> int:
    wanted = SCALE_SPECS[scale].counties if counties is None else counties
    if not 1 <= wanted <= 99:
        raise ValueError("a demo has 1–99 counties")
    return wanted


def iter_rows(
    *, scale: str = "county", seed: int = 42, counties: int | None = None
) -> Iterator[tuple[_Rows, dict[str, int]]]:
    """The rows of a demo dataset in batches that can be inserted in turn, with facts for checks.

    The county scale is one batch. A city or province yields the shared catalogue first, then one
    batch per county: county n has its own seeded RNG (derived from `seed`), region code 3499nn,
    towns placed by moving the shipped outlines (lib.present.geo.moved_towns) and its own training
    sessions; ids run on across counties. `counties` overrides the scale's number of counties.
    """
    check_scale(scale)
    if scale == "county" and counties in (None, 1):
        rng = random.Random(seed)
        rows = _Rows()
        ids: dict[type[Base], int] = {}
        _catalogue(rows)
        county = _CountyBuilder(rng, rows, ids, turnover_seed=f"{seed}:turnover")
        county.build(geo.load_towns())
        _county_outlines(rows, geo.load_county())
        facts = dict(county.stats)
        facts.update(_training(rng, rows, county))
        yield rows, facts
        return
    spec = SCALE_SPECS[scale]
    catalogue = _Rows()
    _catalogue(catalogue)
    _programmes(catalogue)
    yield catalogue, {}
    ids = {}
    next_attendance = 1
    for index in range(1, _county_count(scale, counties) + 1):
        rng = random.Random(f"{seed}:{scale}:{index}")
        rows = _Rows()
        county = _CountyBuilder(
            rng,
            rows,
            ids,
            county_code=geo.county_code(index),
            households_factor=spec.households_factor,
            turnover_seed=f"{seed}:{scale}:{index}:turnover",
        )
        county.build(geo.moved_towns(index, county_names(index)))
        _county_outlines(rows, geo.moved_county(index))
        facts = dict(county.stats)
        facts.update(
            _training(
                rng,
                rows,
                county,
                first_session_id=4 * (index - 1) + 1,
                first_attendance_id=next_attendance,
                with_programmes=False,
            )
        )
        next_attendance += rows.count(Attendance)
        yield rows, facts


def build_rows(
    *, scale: str = "county", seed: int = 42, counties: int | None = None
) -> tuple[_Rows, dict[str, int]]:
    """All rows for a demo dataset, without touching a database; also a few facts for checks.

    Holds everything in memory: fine for a county or a few; `generate` streams larger scales.
    """
    merged = _Rows()
    facts: dict[str, int] = {}
    for rows, batch_facts in iter_rows(scale=scale, seed=seed, counties=counties):
        for model, table_rows in rows.tables.items():
            merged.tables.setdefault(model, []).extend(table_rows)
        for key, value in batch_facts.items():
            facts[key] = facts.get(key, 0) + value
    return merged, facts
