"""Loading a county's enterprises, cooperatives and industry plans (python -m lib.load
organisations | plans): the planners and writers lib.services.loading runs (`LOADERS`).

The runner's rules hold (a blank cell leaves the stored value; a file with any problem writes
nothing; the same file twice changes nothing). For these kinds:

- Natural keys. An organisation: its 统一社会信用代码, else its exact Chinese name (the change's
  key then says so: "name:青山县…"). A file row without the code whose name is that of a row
  with a code is that organisation; a stored organisation without a code found by its exact name
  gets the file's code. A link: (organisation, household, benefit type). A plan: (household,
  industry, date planned); a plan whose date planned changes is a new plan (the old one is listed
  as missing).
- Industries. A file names an industry by the code or name of one in the industries table, or of
  the standard catalogue (lib.rules.industry_catalogue): a county that loads its own files starts
  with no industries, so the first row that names a catalogue industry adds it (an "industries"
  change of its own, audited like the rest). Stored industries come first, so a county's own
  names (光伏收益 as pv_shares) are kept.
- Plans follow the plan service (lib.services.industry): the same checks with the same words
  (migrant work needs labour; a start date from "started" on and not before the plan; "stable"
  needs an actual income; no date after the as-of date or before 2014; a move back or past a stage
  needs a reason, in the 变更原因 column). A stage change sets `stage_since` to the row's 进展日期,
  else (moving to "started") its start date, else the as-of date, and adds a PlanStageChange row;
  a new plan gets its first row from no stage, as the plan form's do. Because a blank cell leaves
  the stored value, a file cannot clear a stored start date.
- Missing records. Links and plans in the database of the households the file covers that the
  file no longer holds are listed in `missing`. There is no retired state for them and a load
  never deletes, so `--retire-missing` leaves them as they are (remove them on the app's forms).
  NB: the runner still audits each listed one as "load.retire" and counts it in loaded_files when
  --retire-missing is given (lib.services.loading.run_load); see the writers.

Problems are reported by row and column: an unknown household (load the register first), an
unknown industry (with a few known names), an unknown town, a bad credit code or word, a date
after the as-of date, a negative amount, the same link or plan twice, and an organisation named
differently on two rows with the same credit code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lib.core.errors import ValidationError
from lib.core.models import (
    Household,
    Industry,
    IndustryPlan,
    Organisation,
    OrganisationLink,
    PlanStageChange,
    Town,
)
from lib.files.imports import Row, normalize
from lib.files.loads_industry import kind_from_name
from lib.rules.credit_code import CreditCodeError
from lib.rules.credit_code import clean as clean_credit_code
from lib.rules.industry_catalogue import STANDARD_INDUSTRIES, catalogue_industry, word_key
from lib.services.common import AUDIT_KEY_MAX, insert_many
from lib.services.industry import PLAN_TABLE, Lookups, _validated
from lib.services.load_common import Change, KindLoader, Plan, differences, plan_upsert, read_all, row_problem

ORG_TABLE = "organisations"
LINK_TABLE = "organisation_links"
INDUSTRY_TABLE = "industries"
KNOWN_SHOWN = 8  # industry names an "unknown industry" message lists
SHOWN_MAX = 40
ORG_FIELDS = ("credit_code", "name_zh", "name_en", "kind", "industry", "town")
LINK_FIELDS = ("since", "annual_amount")
PLAN_FIELDS = ("stage", "started_on", "stage_since", "partner_org_id", "expected_income", "actual_income")
# the plan service's fields → this kind's columns
PLAN_COLUMNS = {
    "industry": "industry",
    "stage": "stage",
    "planned_on": "planned_on",
    "started_on": "started_on",
    "stage_changed_on": "stage_changed_on",
    "partner_org_id": "partner",
    "expected_income": "expected_income",
    "actual_income": "actual_income",
    "reason": "stage_reason",
}
MOVE_NEEDS_REASON = ("plans.error.reason_backward", "plans.error.reason_skip")


def _key(*parts: object) -> str:
    """An audit record key from `parts`, cut to what AuditEntry.record_key holds."""
    text = "/".join(str(part) for part in parts)
    return text if len(text) <= AUDIT_KEY_MAX else text[: AUDIT_KEY_MAX - 1] + "…"


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _future(plan: Plan, row: Row, column: str, day: dt.date | None, as_of: dt.date) -> bool:
    """A problem (and True) when `day` is after the as-of date: the plan service's words."""
    if day is not None and day > as_of:
        plan.problems.append(
            row_problem(row, column, "updates.error.date_in_future", as_of=as_of.isoformat())
        )
        return True
    return False


# --- what the files name: households, industries, towns, organisations ---------------------------


def _households(session: Session) -> dict[str, Any]:
    """Every household (retired ones too) by archive number: id, labour_count, retired_on."""
    return {
        r.archive_no: r
        for r in read_all(
            session, Household.id, Household.archive_no, Household.labour_count, Household.retired_on
        )
    }


def _household(plan: Plan, row: Row, households: Mapping[str, Any]) -> Any | None:
    archive_no = row.values.get("archive_no")
    record = households.get(archive_no) if archive_no is not None else None
    if record is None:
        plan.problems.append(
            row_problem(row, "archive_no", "load.error.household_unknown", archive_no=_shown(archive_no))
        )
        return None
    if record.retired_on is not None:
        plan.problems.append(
            row_problem(row, "archive_no", "load.error.household_retired", archive_no=archive_no)
        )
        return None
    return record


class _Industries:
    """A file's industry words as industry codes: the stored industries' codes and names first, then
    the standard catalogue's, whose industries not yet stored become "industries" adds."""

    def __init__(self, session: Session, plan: Plan) -> None:
        self.plan = plan
        rows = read_all(
            session, Industry.id, Industry.code, Industry.category, Industry.name_zh, Industry.name_en
        )
        self.stored: dict[str, tuple[int, str]] = {r.code: (int(r.id), str(r.category)) for r in rows}
        self.by_word: dict[str, str] = {}
        for r in sorted(rows, key=lambda r: r.id, reverse=True):  # the oldest wins a shared name
            for word in (r.code, r.name_zh, r.name_en):
                if word:
                    self.by_word[word_key(word)] = r.code
        names = [r.name_zh for r in sorted(rows, key=lambda r: r.id)]
        names += [entry.name_zh for entry in STANDARD_INDUSTRIES]
        self.known = list(dict.fromkeys(names))[:KNOWN_SHOWN]
        self.added: dict[str, tuple[int, str]] = {}

    def find(self, row: Row, column: str, text: str) -> str | None:
        """The industry code `text` names, or None with the row's problem."""
        code = self.by_word.get(word_key(text))
        if code is not None:
            return code
        entry = catalogue_industry(text)
        if entry is None:
            self.plan.problems.append(
                row_problem(
                    row,
                    column,
                    "load.error.industry_unknown",
                    value=_shown(text),
                    known="、".join(self.known),
                )
            )
            return None
        stored = self.by_word.get(word_key(entry.code)) or self.by_word.get(word_key(entry.name_zh))
        if stored is not None:
            return stored
        if entry.code not in self.added:
            self.added[entry.code] = (0, entry.category.value)
            self.plan.changes.append(
                Change(
                    row.number,
                    INDUSTRY_TABLE,
                    entry.code,
                    "add",
                    {},
                    {"category": entry.category.value, "name_zh": entry.name_zh, "name_en": entry.name_en},
                )
            )
        return entry.code

    def lookup(self, code: str) -> tuple[int, str] | None:
        """(id, category) of a code `find` gave; id 0 for an industry this load adds."""
        return self.stored.get(code) or self.added.get(code)


class _Towns:
    """A town by its 9-digit stored code, its 12-digit code, or its Chinese or English name."""

    def __init__(self, session: Session) -> None:
        live = [
            r
            for r in read_all(session, Town.id, Town.code, Town.name_zh, Town.name_en, Town.retired_on)
            if r.retired_on is None
        ]
        self.by_code = {r.code for r in live}
        self.by_name: dict[str, set[str]] = {}
        for r in live:
            for name in (r.name_zh, r.name_en):
                if name:
                    self.by_name.setdefault(normalize(name), set()).add(r.code)

    def find(self, plan: Plan, row: Row, text: str) -> str | None:
        digits = text.strip()
        if digits.isascii() and digits.isdigit() and len(digits) in (9, 12):
            code = digits[:9] if len(digits) == 9 or digits.endswith("000") else None
            if code is not None and code in self.by_code:
                return code
        found = self.by_name.get(normalize(text), set())
        if len(found) == 1:
            return next(iter(found))
        key = "load.error.town_ambiguous" if found else "load.error.town_unknown"
        plan.problems.append(row_problem(row, "town_name", key, value=_shown(text)))
        return None


def _industry_codes(session: Session) -> dict[int, str]:
    return {int(r.id): str(r.code) for r in read_all(session, Industry.id, Industry.code)}


def _town_codes(session: Session) -> dict[int, str]:
    return {int(r.id): str(r.code) for r in read_all(session, Town.id, Town.code)}


def _stored_organisations(session: Session) -> list[dict[str, Any]]:
    """Every organisation with ORG_FIELDS (industry and town as codes) and its id."""
    industries, towns = _industry_codes(session), _town_codes(session)
    return [
        {
            "id": int(r.id),
            "credit_code": r.credit_code,
            "name_zh": r.name_zh,
            "name_en": r.name_en,
            "kind": r.kind,
            "industry": industries.get(r.industry_id) if r.industry_id is not None else None,
            "town": towns.get(r.town_id) if r.town_id is not None else None,
        }
        for r in read_all(
            session,
            Organisation.id,
            Organisation.credit_code,
            Organisation.name_zh,
            Organisation.name_en,
            Organisation.kind,
            Organisation.industry_id,
            Organisation.town_id,
        )
    ]


def org_key(credit_code: str | None, name: str) -> str:
    """An organisation's audit key: its credit code, else "name:" and its exact Chinese name."""
    return credit_code if credit_code else _key(f"name:{name}")


# --- enterprises and cooperatives -----------------------------------------------------------------


@dataclass
class _Organisation:
    """One organisation of the file: its first row, the values its rows give and where first."""

    first: Row
    name: str
    credit_code: str | None
    values: dict[str, Any] = field(default_factory=dict)
    given_on: dict[str, int] = field(default_factory=dict)
    stored: dict[str, Any] | None = None
    key: str = ""


def _org_row_values(plan: Plan, row: Row, industries: _Industries, towns: _Towns) -> dict[str, Any] | None:
    """The organisation fields a row gives (industry and town as codes), or None with its problems."""
    values = row.values
    found: dict[str, Any] = {"name_zh": values["name_zh"]}
    ok = True
    if values.get("name_en") is not None:
        found["name_en"] = values["name_en"]
    if values.get("org_kind") is not None:
        found["kind"] = values["org_kind"]
    if values.get("industry") is not None:
        code = industries.find(row, "industry", values["industry"])
        ok = ok and code is not None
        found["industry"] = code
    if values.get("town_name") is not None:
        town = towns.find(plan, row, values["town_name"])
        ok = ok and town is not None
        found["town"] = town
    return found if ok else None


COLUMN_OF = {"name_en": "name_en", "kind": "org_kind", "industry": "industry", "town": "town_name"}


def _group_organisations(
    plan: Plan, rows: Sequence[Row], industries: _Industries, towns: _Towns
) -> tuple[dict[tuple[str, str], _Organisation], dict[int, tuple[str, str]]]:
    """The file's organisations by identity (("code", credit code) or ("name", name)), and each
    good row's organisation."""
    codes_of_name: dict[str, set[str]] = {}
    for row in rows:
        if row.values.get("credit_code"):
            codes_of_name.setdefault(row.values["name_zh"], set()).add(row.values["credit_code"])
    groups: dict[tuple[str, str], _Organisation] = {}
    of_row: dict[int, tuple[str, str]] = {}
    for row in rows:
        name, code = row.values["name_zh"], row.values.get("credit_code")
        if code is None:
            codes = codes_of_name.get(name, set())
            if len(codes) > 1:
                plan.problems.append(row_problem(row, "name_zh", "load.error.org_name_two_codes", name=name))
                continue
            code = next(iter(codes)) if codes else None
        values = _org_row_values(plan, row, industries, towns)
        if values is None:
            continue
        ident = ("code", code) if code else ("name", name)
        group = groups.get(ident)
        if group is None:
            group = groups[ident] = _Organisation(row, name, code)
        elif name != group.name:
            plan.problems.append(
                row_problem(
                    row, "name_zh", "load.error.org_name_differs", first=group.first.number, name=group.name
                )
            )
            continue
        clash = False
        for name_, value in values.items():
            if name_ == "name_zh":
                continue
            if name_ in group.values and group.values[name_] != value:
                plan.problems.append(
                    row_problem(
                        row,
                        COLUMN_OF[name_],
                        "load.error.org_field_differs",
                        first=group.given_on[name_],
                        value=_shown(group.values[name_]),
                    )
                )
                clash = True
        if clash:
            continue
        for name_, value in values.items():
            if name_ != "name_zh" and name_ not in group.values:
                group.values[name_], group.given_on[name_] = value, row.number
        of_row[row.number] = ident
    return groups, of_row


def _match_organisations(
    plan: Plan, groups: Mapping[tuple[str, str], _Organisation], stored: Sequence[dict[str, Any]]
) -> None:
    """Each file organisation's stored one (by credit code, else by exact name) and its change."""
    by_code = {org["credit_code"]: org for org in stored if org["credit_code"]}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for org in stored:
        by_name.setdefault(org["name_zh"], []).append(org)
    for (how, _value), group in groups.items():
        found: dict[str, Any] | None = None
        if how == "code":
            found = by_code.get(group.credit_code)
            candidates = [org for org in by_name.get(group.name, []) if not org["credit_code"]]
        else:
            candidates = by_name.get(group.name, [])
        if found is None and len(candidates) > 1:
            plan.problems.append(
                row_problem(group.first, "name_zh", "load.error.org_ambiguous", name=group.name)
            )
            continue
        if found is None and candidates:
            found = candidates[0]
        group.stored = found
        group.key = org_key(group.credit_code or (found or {}).get("credit_code"), group.name)
        wanted = {"name_zh": group.name, **group.values}
        if group.credit_code:
            wanted["credit_code"] = group.credit_code
        if found is None:
            kind = wanted.get("kind") or kind_from_name(group.name)
            if kind is None:
                plan.problems.append(
                    row_problem(group.first, "org_kind", "load.error.org_kind_needed", name=group.name)
                )
                continue
            wanted["kind"] = kind
            wanted.setdefault("name_en", "")
            wanted.setdefault("credit_code", None)
        plan_upsert(
            plan, group.first, table=ORG_TABLE, key=group.key, stored=found, wanted=wanted, retired=False
        )


def _plan_organisations(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    plan = Plan()
    industries, towns = _Industries(session, plan), _Towns(session)
    households = _households(session)
    groups, of_row = _group_organisations(plan, rows, industries, towns)
    _match_organisations(plan, groups, _stored_organisations(session))
    stored_links = {
        (r.organisation_id, r.household_id, r.benefit_type): r._asdict()
        for r in read_all(
            session,
            OrganisationLink.id,
            OrganisationLink.organisation_id,
            OrganisationLink.household_id,
            OrganisationLink.benefit_type,
            OrganisationLink.since,
            OrganisationLink.annual_amount,
        )
    }
    seen: dict[tuple[tuple[str, str], int, str], int] = {}
    covered: set[int] = set()
    matched: set[int] = set()
    for row in rows:
        values = row.values
        archive_no, benefit = values.get("archive_no"), values.get("benefit_type")
        if archive_no is None:
            if any(values.get(name) is not None for name in ("benefit_type", "link_since", "annual_amount")):
                plan.problems.append(row_problem(row, "archive_no", "load.error.archive_needed"))
            continue
        if benefit is None:
            plan.problems.append(row_problem(row, "benefit_type", "load.error.benefit_needed"))
            continue
        household = _household(plan, row, households)
        if household is None:
            continue
        covered.add(household.id)
        if _future(plan, row, "link_since", values.get("link_since"), as_of):
            continue
        ident = of_row.get(row.number)
        if ident is None:
            continue  # the organisation's problem is reported
        link = (ident, household.id, benefit)
        if link in seen:
            plan.problems.append(row_problem(row, "archive_no", "load.error.link_repeated", first=seen[link]))
            continue
        seen[link] = row.number
        group = groups[ident]
        org_id = group.stored["id"] if group.stored is not None else None
        stored = stored_links.get((org_id, household.id, benefit)) if org_id is not None else None
        if stored is not None:
            matched.add(stored["id"])
        wanted = {
            name: values[column]
            for name, column in (("since", "link_since"), ("annual_amount", "annual_amount"))
            if values.get(column) is not None
        }
        if stored is None:
            wanted = {
                "organisation": group.key,
                "archive_no": archive_no,
                "household_id": household.id,
                "benefit_type": benefit,
                **wanted,
            }
        key = _key(archive_no, benefit, group.key)
        plan_upsert(plan, row, table=LINK_TABLE, key=key, stored=stored, wanted=wanted, retired=False)
    if covered:
        archive_of = {r.id: archive for archive, r in households.items()}
        keys = {
            org["id"]: org_key(org["credit_code"], org["name_zh"]) for org in _stored_organisations(session)
        }
        for (org_id, household_id, benefit), stored in sorted(stored_links.items(), key=lambda i: i[1]["id"]):
            if household_id in covered and stored["id"] not in matched:
                key = _key(archive_of.get(household_id, household_id), benefit, keys.get(org_id, org_id))
                plan.missing.append(Change(None, LINK_TABLE, key, "retire", {}, {}, stored["id"]))
    return plan


def _write_industries(session: Session, changes: Sequence[Change]) -> dict[str, int]:
    """Insert the industries the load adds; every industry's id by code."""
    new = [{"code": c.key, **c.new} for c in changes if c.table == INDUSTRY_TABLE and c.action == "add"]
    insert_many(session, Industry, new)
    return {str(r.code): int(r.id) for r in read_all(session, Industry.id, Industry.code)}


def _org_columns(
    values: Mapping[str, Any], industries: Mapping[str, int], towns: Mapping[str, int]
) -> dict[str, Any]:
    """An organisation change's values as the table's columns."""
    columns = {name: value for name, value in values.items() if name not in ("industry", "town")}
    if "industry" in values:
        columns["industry_id"] = industries[values["industry"]] if values["industry"] else None
    if "town" in values:
        columns["town_id"] = towns[values["town"]] if values["town"] else None
    return columns


def _write_organisations(
    session: Session, changes: Sequence[Change], as_of: dt.date
) -> tuple[list[int], list[int]]:
    """Store the organisations and links; the households whose links changed. Links a file no longer
    holds ("retire", with --retire-missing) are left as they are: links have no retired state."""
    industries = _write_industries(session, changes)
    towns = {code: key for key, code in _town_codes(session).items()}
    orgs = [c for c in changes if c.table == ORG_TABLE]
    added = [c for c in orgs if c.action == "add"]
    new_ids = insert_many(session, Organisation, [_org_columns(c.new, industries, towns) for c in added])
    org_ids = {c.key: key for c, key in zip(added, new_ids, strict=True)}
    for change in orgs:
        if change.action == "change":
            assert change.record_id is not None
            org_ids[change.key] = change.record_id
            session.execute(
                update(Organisation)
                .where(Organisation.id == change.record_id)
                .values(**_org_columns(change.new, industries, towns))
                .execution_options(synchronize_session=False)
            )
    stored_keys = {
        org_key(org["credit_code"], org["name_zh"]): org["id"] for org in _stored_organisations(session)
    }
    links = [c for c in changes if c.table == LINK_TABLE]
    new_links = [
        {
            "organisation_id": org_ids.get(c.new["organisation"]) or stored_keys[c.new["organisation"]],
            "household_id": c.new["household_id"],
            "benefit_type": c.new["benefit_type"],
            "since": c.new.get("since"),
            "annual_amount": c.new.get("annual_amount"),
        }
        for c in links
        if c.action == "add"
    ]
    insert_many(session, OrganisationLink, new_links)
    changed = [c for c in links if c.action == "change"]
    for change in changed:
        session.execute(
            update(OrganisationLink)
            .where(OrganisationLink.id == change.record_id)
            .values(**change.new)
            .execution_options(synchronize_session=False)
        )
    households = {row["household_id"] for row in new_links}
    households |= _link_households(session, [c.record_id for c in changed if c.record_id is not None])
    return sorted(households), []


def _link_households(session: Session, link_ids: Iterable[int]) -> set[int]:
    wanted = set(link_ids)
    if not wanted:
        return set()
    return {
        int(r.household_id)
        for r in read_all(session, OrganisationLink.id, OrganisationLink.household_id)
        if r.id in wanted
    }


# --- industry plans -------------------------------------------------------------------------------


class _Partners:
    """An organisation by credit code or exact Chinese name (a plan's 带动主体)."""

    def __init__(self, session: Session) -> None:
        rows = read_all(session, Organisation.id, Organisation.credit_code, Organisation.name_zh)
        self.ids = {int(r.id) for r in rows}
        self.by_code = {r.credit_code: int(r.id) for r in rows if r.credit_code}
        self.by_name: dict[str, list[int]] = {}
        for r in rows:
            self.by_name.setdefault(r.name_zh.strip(), []).append(int(r.id))

    def find(self, plan: Plan, row: Row, text: str) -> int | None:
        try:
            code: str | None = clean_credit_code(text)
        except CreditCodeError:
            code = None
        if code is not None and code in self.by_code:
            return self.by_code[code]
        found = self.by_name.get(text.strip(), [])
        if len(found) == 1:
            return found[0]
        key = "load.error.partner_ambiguous" if found else "load.error.partner_unknown"
        plan.problems.append(row_problem(row, "partner", key, value=_shown(text)))
        return None


def _stored_plans(session: Session) -> dict[tuple[int, str, dt.date], dict[str, Any]]:
    industries = _industry_codes(session)
    return {
        (int(r.household_id), industries[r.industry_id], r.planned_on): r._asdict()
        for r in read_all(
            session,
            IndustryPlan.id,
            IndustryPlan.household_id,
            IndustryPlan.industry_id,
            IndustryPlan.planned_on,
            *(getattr(IndustryPlan, name) for name in PLAN_FIELDS),
        )
    }


def _plan_problems(plan: Plan, row: Row, error: ValidationError) -> None:
    """The plan service's refusals as the row's problems, each at its column."""
    for name, key in error.errors.items():
        column = "stage" if key in MOVE_NEEDS_REASON else PLAN_COLUMNS.get(name, name)
        plan.problems.append(row_problem(row, column, key, **error.params_for(name)))


def _plan_plans(session: Session, rows: Sequence[Row], *, as_of: dt.date) -> Plan:
    plan = Plan()
    households = _households(session)
    industries = _Industries(session, plan)
    partners = _Partners(session)
    lookups = Lookups(industries.lookup, partners.ids.__contains__)
    stored_plans = _stored_plans(session)
    seen: dict[tuple[int, str, dt.date], int] = {}
    covered: set[int] = set()
    matched: set[int] = set()
    for row in rows:
        values = row.values
        household = _household(plan, row, households)
        if household is None:
            continue
        covered.add(household.id)
        code = industries.find(row, "industry", values["industry"])
        partner = values.get("partner")
        partner_id = partners.find(plan, row, partner) if partner is not None else None
        if code is None or (partner is not None and partner_id is None):
            continue
        natural = (int(household.id), code, values["planned_on"])
        if natural in seen:
            plan.problems.append(
                row_problem(row, "industry", "load.error.plan_repeated", first=seen[natural])
            )
            continue
        seen[natural] = row.number
        stored = stored_plans.get(natural)
        given = {
            "started_on": values.get("started_on"),
            "partner_org_id": partner_id,
            "expected_income": values.get("expected_income"),
            "actual_income": values.get("actual_income"),
        }
        if stored is not None:
            matched.add(stored["id"])
            given = {name: stored[name] if value is None else value for name, value in given.items()}
        try:
            new, _industry_id, reason = _validated(
                lookups,
                cast(Household, household),
                None if stored is None else {"stage": stored["stage"], "stage_since": stored["stage_since"]},
                industry_code=code,
                stage=values["stage"],
                planned_on=values["planned_on"],
                stage_changed_on=values.get("stage_changed_on"),
                reason=values.get("stage_reason"),
                as_of=as_of,
                **given,
            )
        except ValidationError as error:
            _plan_problems(plan, row, error)
            continue
        key = _key(values["archive_no"], code, values["planned_on"].isoformat())
        if stored is None:
            wanted = {
                "archive_no": values["archive_no"],
                "household_id": int(household.id),
                "industry": code,
                "planned_on": values["planned_on"],
                **{name: new[name] for name in PLAN_FIELDS},
            }
            if reason:
                wanted["stage_reason"] = reason
            plan.changes.append(Change(row.number, PLAN_TABLE, key, "add", {}, wanted))
            continue
        old, changed = differences(stored, {name: new[name] for name in PLAN_FIELDS})
        if not changed:
            plan.unchanged += 1
            continue
        if "stage" in changed and reason:
            changed["stage_reason"] = reason
        plan.changes.append(Change(row.number, PLAN_TABLE, key, "change", old, changed, stored["id"]))
    if covered:
        archive_of = {r.id: archive for archive, r in households.items()}
        for (household_id, code, planned_on), stored in sorted(
            stored_plans.items(), key=lambda i: i[1]["id"]
        ):
            if household_id in covered and stored["id"] not in matched:
                key = _key(archive_of.get(household_id, household_id), code, planned_on.isoformat())
                plan.missing.append(Change(None, PLAN_TABLE, key, "retire", {}, {}, stored["id"]))
    return plan


def _write_plans(session: Session, changes: Sequence[Change], as_of: dt.date) -> tuple[list[int], list[int]]:
    """Store the plans, each stage move with its PlanStageChange row; the households whose plans
    changed. Plans a file no longer holds ("retire", with --retire-missing) are left as they are."""
    industries = _write_industries(session, changes)
    plans = [c for c in changes if c.table == PLAN_TABLE]
    added = [c for c in plans if c.action == "add"]
    ids = insert_many(
        session,
        IndustryPlan,
        [
            {
                "household_id": c.new["household_id"],
                "industry_id": industries[c.new["industry"]],
                "planned_on": c.new["planned_on"],
                **{name: c.new[name] for name in PLAN_FIELDS},
            }
            for c in added
        ],
    )
    history = [
        {
            "plan_id": plan_id,
            "from_stage": None,
            "to_stage": c.new["stage"],
            "changed_on": c.new["stage_since"],
            "reason": c.new.get("stage_reason"),
        }
        for c, plan_id in zip(added, ids, strict=True)
    ]
    changed = [c for c in plans if c.action == "change" and c.record_id is not None]
    for change in changed:
        values = {name: value for name, value in change.new.items() if name in PLAN_FIELDS}
        session.execute(
            update(IndustryPlan)
            .where(IndustryPlan.id == change.record_id)
            .values(**values, version=IndustryPlan.version + 1)
            .execution_options(synchronize_session=False)
        )
        if "stage" in change.new:
            history.append(
                {
                    "plan_id": change.record_id,
                    "from_stage": change.old["stage"],
                    "to_stage": change.new["stage"],
                    "changed_on": change.new["stage_since"],
                    "reason": change.new.get("stage_reason"),
                }
            )
    insert_many(session, PlanStageChange, history)
    households = {int(c.new["household_id"]) for c in added}
    wanted = {c.record_id for c in changed}
    if wanted:
        households |= {
            int(household)
            for key, household in session.execute(select(IndustryPlan.id, IndustryPlan.household_id))
            if key in wanted
        }
    return sorted(households), []


ORGANISATIONS_LOADER = KindLoader(_plan_organisations, _write_organisations, retires=False)
PLANS_LOADER = KindLoader(_plan_plans, _write_plans, retires=False)
