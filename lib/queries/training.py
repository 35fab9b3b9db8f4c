"""The training page's read side: who has been trained, on what, in which phase, and who waits.

Definitions (the same as the Overview's, whose building blocks this module reuses):

- *serving* — a first secretary with a current posting (`Posting.role == first_secretary`,
  `end_date` NULL); a secretary belongs to the town of the village of that posting, so one who
  changed village counts where they serve now, and one who left counts nowhere.
- *trained* — attended (status `attended`) a session of a required programme
  (`lib.queries.overview.trained_cadres`). Study tours are not required and do not count.
- *required topics* — every topic taught in a session of a required programme.
- *covers a topic* — attended a session, of any programme, that teaches it.

Every function takes `town_codes` (none or empty = all towns) and, where time matters, `as_of`
(app_meta's date, which the page passes; nothing here reads the clock). Counts are aggregated in
SQL; lists of codes (a session's topics, a secretary's missing topics) are gathered in Python
from (key, code) pairs fetched in SQL. Shares are NaN where the whole is zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Date, and_, case, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from lib.core.domain import AttendanceStatus, PostingRole, ProgrammeKind
from lib.core.models import (
    Attendance,
    Cadre,
    Posting,
    SessionTopic,
    Town,
    TrainingProgramme,
    TrainingSession,
    TrainingTopic,
    Village,
)
from lib.queries.common import AnySelect, rows_frame, town_filter
from lib.queries.overview import secretary_counts, trained_cadres

COVERAGE_BY_TOWN_COLUMNS = ["town_code", "name_zh", "name_en", "serving", "trained", "share"]
COVERAGE_BY_PHASE_COLUMNS = [
    "session_id",
    "programme_code",
    "name_zh",
    "name_en",
    "year",
    "phase",
    "start_date",
    "end_date",
    "attended",
    "attended_serving",
    "share_of_serving",
]
COVERAGE_TREND_COLUMNS = ["date", "serving", "trained", "share"]
TOPIC_COVERAGE_COLUMNS = [
    "town_code",
    "town_name_zh",
    "town_name_en",
    "topic_code",
    "topic_name_zh",
    "topic_name_en",
    "serving",
    "covered",
    "share",
]
PLACE_COLUMNS = [
    "town_code",
    "town_name_zh",
    "town_name_en",
    "village_code",
    "village_name_zh",
    "village_name_en",
]
MISSING_TOPICS_COLUMNS = ["cadre_id", "name", *PLACE_COLUMNS, "missing"]
SCHEDULE_COLUMNS = [
    "session_id",
    "programme_code",
    "kind",
    "name_zh",
    "name_en",
    "required",
    "phase",
    "place_zh",
    "place_en",
    "start_date",
    "end_date",
    "days",
    "capacity",
    "enrolled",
    "attended",
    "absent",
    "upcoming",
    "topics",
]
TOUR_COLUMNS = [
    "session_id",
    "programme_code",
    "programme_name_zh",
    "programme_name_en",
    "cadre_id",
    "name",
    "selected",
    *PLACE_COLUMNS,
    "serving",
]
WAITING_COLUMNS = [
    "cadre_id",
    "name",
    "gender",
    "sent_by_unit_zh",
    "sent_by_unit_en",
    *PLACE_COLUMNS,
    "since",
    "months_in_post",
    "enrolled_upcoming",
    "missing_topics",
]
TOPIC_COLUMNS = ["code", "name_zh", "name_en"]
PROGRAMME_COLUMNS = ["code", "kind", "name_zh", "name_en", "year", "required", "target_share"]


# --- building blocks --------------------------------------------------------------------------


def _ratio(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype("float64")


def _ints(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    for column in columns:
        frame[column] = frame[column].fillna(0).astype("int64")


def _attended() -> ColumnElement[bool]:
    return Attendance.status == AttendanceStatus.ATTENDED.value


def _required() -> ColumnElement[bool]:
    return TrainingProgramme.required.is_(True)


def _place_columns() -> list[ColumnElement[Any]]:
    return [
        Town.code.label("town_code"),
        Town.name_zh.label("town_name_zh"),
        Town.name_en.label("town_name_en"),
        Village.code.label("village_code"),
        Village.name_zh.label("village_name_zh"),
        Village.name_en.label("village_name_en"),
    ]


def _serving(town_codes: Sequence[str] | None, *columns: Any) -> AnySelect:
    """`columns` of the current first-secretary postings in the selected towns (Posting ⋈ Village ⋈ Town)."""
    stmt = (
        select(*columns)
        .select_from(Posting)
        .join(Village, Village.id == Posting.village_id)
        .join(Town, Town.id == Village.town_id)
        .where(Posting.role == PostingRole.FIRST_SECRETARY.value, Posting.end_date.is_(None))
    )
    return town_filter(stmt, town_codes)


def _covered_pairs() -> AnySelect:
    """(cadre_id, topic_id): the cadre attended a session, of any programme, that teaches the topic."""
    return (
        select(Attendance.cadre_id.label("cadre_id"), SessionTopic.topic_id.label("topic_id"))
        .join(SessionTopic, SessionTopic.session_id == Attendance.session_id)
        .where(_attended())
        .distinct()
    )


def _required_topics() -> AnySelect:
    """topic_id of every topic taught in a session of a required programme."""
    return (
        select(SessionTopic.topic_id.label("topic_id"))
        .join(TrainingSession, TrainingSession.id == SessionTopic.session_id)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .where(_required())
        .distinct()
    )


def _missing_pairs(session: Session, town_codes: Sequence[str] | None) -> pd.DataFrame:
    """One row per (serving first secretary, required topic they lack), with where they serve."""
    required = _required_topics().subquery()
    covered = _covered_pairs().subquery()
    lacks = ~(
        select(covered.c.cadre_id)
        .where(covered.c.cadre_id == Posting.cadre_id, covered.c.topic_id == required.c.topic_id)
        .exists()
    )
    stmt = (
        _serving(
            town_codes,
            Posting.cadre_id.label("cadre_id"),
            Cadre.name,
            *_place_columns(),
            TrainingTopic.code.label("topic_code"),
        )
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .join(required, true())
        .join(TrainingTopic, TrainingTopic.id == required.c.topic_id)
        .where(lacks)
        .distinct()
    )
    return rows_frame(session, stmt, ["cadre_id", "name", *PLACE_COLUMNS, "topic_code"])


def _code_lists(pairs: pd.DataFrame, key: str, code: str) -> dict[Any, list[str]]:
    """{key: sorted list of codes} from a frame of (key, code) pairs."""
    return {k: sorted(set(group)) for k, group in pairs.groupby(key, sort=False)[code]}


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (0 if `end` is not after `start`)."""
    months = (end.year - start.year) * 12 + (end.month - start.month) - (end.day < start.day)
    return max(months, 0)


# --- catalogues -------------------------------------------------------------------------------


def topics(session: Session) -> pd.DataFrame:
    """The topic catalogue in its own order: code, name_zh, name_en."""
    stmt = select(TrainingTopic.code, TrainingTopic.name_zh, TrainingTopic.name_en).order_by(TrainingTopic.id)
    return rows_frame(session, stmt, TOPIC_COLUMNS)


def programmes(session: Session) -> pd.DataFrame:
    """Every programme by year then code: code, kind, name_zh/en, year, required, target_share (or NaN)."""
    stmt = select(
        TrainingProgramme.code,
        TrainingProgramme.kind,
        TrainingProgramme.name_zh,
        TrainingProgramme.name_en,
        TrainingProgramme.year,
        TrainingProgramme.required,
        TrainingProgramme.target_share,
    ).order_by(TrainingProgramme.year, TrainingProgramme.code)
    frame = rows_frame(session, stmt, PROGRAMME_COLUMNS)
    frame["required"] = frame["required"].astype(bool)
    frame["target_share"] = frame["target_share"].astype("float64")
    return frame


# --- coverage ---------------------------------------------------------------------------------


def coverage_by_town(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per selected town (all when empty), by code: serving and trained first secretaries.

    Columns: town_code, name_zh, name_en, serving, trained, share (trained / serving; NaN when
    nobody serves). Built on the Overview's `secretary_counts`, so the column sums equal the
    Overview's `secretaries_serving` and `secretaries_trained` for the same towns.
    """
    counts = secretary_counts(Village.town_id, town_codes).subquery()
    stmt = town_filter(
        select(
            Town.code,
            Town.name_zh,
            Town.name_en,
            func.coalesce(counts.c.secretaries_serving, 0),
            func.coalesce(counts.c.secretaries_trained, 0),
        ).outerjoin(counts, counts.c.key == Town.id),
        town_codes,
    ).order_by(Town.code)
    frame = rows_frame(session, stmt, COVERAGE_BY_TOWN_COLUMNS[:-1])
    _ints(frame, ["serving", "trained"])
    frame["share"] = _ratio(frame["trained"], frame["serving"])
    return frame


def coverage_by_phase(
    session: Session, *, as_of: dt.date, town_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per session of a required programme that started on or before `as_of`, by start date.

    Columns: session_id, programme_code, name_zh, name_en (the programme's), year, phase,
    start_date, end_date, attended (everyone who attended, wherever they are now),
    attended_serving (of them, those serving now in the selected towns) and share_of_serving
    (attended_serving / first secretaries serving now in the selected towns; NaN when none).
    """
    serving = _serving(town_codes, Posting.cadre_id.label("cadre_id")).distinct().subquery()
    stmt = (
        select(
            TrainingSession.id,
            TrainingProgramme.code,
            TrainingProgramme.name_zh,
            TrainingProgramme.name_en,
            TrainingProgramme.year,
            TrainingSession.phase,
            TrainingSession.start_date,
            TrainingSession.end_date,
            func.count(func.distinct(case((_attended(), Attendance.cadre_id)))),
            func.count(
                func.distinct(case((and_(_attended(), serving.c.cadre_id.is_not(None)), Attendance.cadre_id)))
            ),
        )
        .select_from(TrainingSession)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .outerjoin(serving, serving.c.cadre_id == Attendance.cadre_id)
        .where(_required(), TrainingSession.start_date <= as_of)
        .group_by(
            TrainingSession.id,
            TrainingProgramme.code,
            TrainingProgramme.name_zh,
            TrainingProgramme.name_en,
            TrainingProgramme.year,
            TrainingSession.phase,
            TrainingSession.start_date,
            TrainingSession.end_date,
        )
        .order_by(TrainingSession.start_date, TrainingSession.id)
    )
    frame = rows_frame(session, stmt, COVERAGE_BY_PHASE_COLUMNS[:-1])
    _ints(frame, ["attended", "attended_serving"])
    total = session.scalar(select(func.count()).select_from(serving)) or 0
    frame["share_of_serving"] = _ratio(frame["attended_serving"], pd.Series(total, index=frame.index))
    return frame


def _coverage_on(dates: Sequence[dt.date], town_codes: Sequence[str] | None, *keys: Any) -> AnySelect:
    """Each of `dates` (and `keys`): first secretaries in post that day in a village of the selected
    towns, and of them those who had attended a required session that ended by that day."""
    days = union_all(*(select(literal(day, Date).label("day")) for day in dates)).subquery("days")
    done = trained_cadres().add_columns(TrainingSession.end_date.label("end_date")).subquery()
    in_post = and_(
        Posting.role == PostingRole.FIRST_SECRETARY.value,
        Posting.start_date <= days.c.day,
        or_(Posting.end_date.is_(None), Posting.end_date >= days.c.day),
    )
    return town_filter(
        select(
            days.c.day,
            *keys,
            func.count(func.distinct(Posting.cadre_id)),
            func.count(func.distinct(done.c.cadre_id)),
        )
        .select_from(days)
        .join(Posting, in_post)
        .join(Village, Village.id == Posting.village_id)
        .join(Town, Town.id == Village.town_id)
        .outerjoin(done, and_(done.c.cadre_id == Posting.cadre_id, done.c.end_date <= days.c.day))
        .group_by(days.c.day, *keys),
        town_codes,
    )


def coverage_by_town_on(session: Session, *, days: Sequence[dt.date]) -> pd.DataFrame:
    """Each town with a first secretary in post on a day of `days`: what the Overview's training
    share counted on that day (for the demo county's kept history). Columns: day, town_code,
    serving, trained; by day, then town code."""
    stmt = _coverage_on(days, None, Town.code).order_by("day", Town.code)
    frame = rows_frame(session, stmt, ["day", "town_code", "serving", "trained"])
    _ints(frame, ["serving", "trained"])
    return frame


def coverage_trend(
    session: Session, *, as_of: dt.date, town_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Coverage at each end date of a required-programme session up to `as_of`, and at `as_of`.

    Columns: date, serving (first secretaries in post that day — start_date ≤ date and end_date
    NULL or ≥ date — in a village of the selected towns), trained (of them, those who had attended
    a required session that ended by that day), share. A secretary counts in the town where they
    served that day, so one who moved or left is counted in their old village while they were there.
    """
    session_ends = (
        select(TrainingSession.end_date)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .where(_required(), TrainingSession.end_date <= as_of)
        .distinct()
    )
    dates = sorted({*session.scalars(session_ends), as_of})
    stmt = _coverage_on(dates, town_codes)
    counts = rows_frame(session, stmt, ["date", "serving", "trained"])
    frame = pd.DataFrame({"date": dates}).merge(counts, on="date", how="left")
    _ints(frame, ["serving", "trained"])
    frame["share"] = _ratio(frame["trained"], frame["serving"])
    return frame


# --- topics -----------------------------------------------------------------------------------


def topic_coverage(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Town × topic, every topic for every selected town (zeros included), by town code then topic.

    Columns: town_code, town_name_zh, town_name_en, topic_code, topic_name_zh, topic_name_en,
    serving (first secretaries serving now in the town), covered (of them, those who attended a
    session — of any programme, study tours included — that teaches the topic), share.
    """
    serving_counts = secretary_counts(Village.town_id, town_codes).subquery()
    serving = _serving(town_codes, Posting.cadre_id.label("cadre_id"), Village.town_id.label("town_id"))
    serving_sq = serving.distinct().subquery()
    pairs = _covered_pairs().subquery()
    covered = (
        select(
            serving_sq.c.town_id,
            pairs.c.topic_id,
            func.count(func.distinct(serving_sq.c.cadre_id)).label("covered"),
        )
        .join(pairs, pairs.c.cadre_id == serving_sq.c.cadre_id)
        .group_by(serving_sq.c.town_id, pairs.c.topic_id)
        .subquery()
    )
    stmt = town_filter(
        select(
            Town.code,
            Town.name_zh,
            Town.name_en,
            TrainingTopic.code,
            TrainingTopic.name_zh,
            TrainingTopic.name_en,
            func.coalesce(serving_counts.c.secretaries_serving, 0),
            func.coalesce(covered.c.covered, 0),
        )
        .select_from(Town)
        .join(TrainingTopic, true())
        .outerjoin(serving_counts, serving_counts.c.key == Town.id)
        .outerjoin(covered, and_(covered.c.town_id == Town.id, covered.c.topic_id == TrainingTopic.id)),
        town_codes,
    ).order_by(Town.code, TrainingTopic.id)
    frame = rows_frame(session, stmt, TOPIC_COVERAGE_COLUMNS[:-1])
    _ints(frame, ["serving", "covered"])
    frame["share"] = _ratio(frame["covered"], frame["serving"])
    return frame


def missing_topics(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Serving first secretaries who lack at least one required topic, by town, village, cadre.

    Columns: cadre_id, name, town_code, town_name_zh, town_name_en, village_code,
    village_name_zh, village_name_en, missing (the lacking topics' codes, sorted). A topic counts
    as covered whatever programme taught it (a study tour too).
    """
    pairs = _missing_pairs(session, town_codes)
    if pairs.empty:
        return pd.DataFrame(columns=MISSING_TOPICS_COLUMNS)
    missing = _code_lists(pairs, "cadre_id", "topic_code")
    people = pairs.drop(columns=["topic_code"]).drop_duplicates("cadre_id").copy()
    people["missing"] = people["cadre_id"].map(missing)
    people = people.sort_values(["town_code", "village_code", "cadre_id"])
    return people[MISSING_TOPICS_COLUMNS].reset_index(drop=True)


# --- schedule and study tours -----------------------------------------------------------------


def schedule(session: Session, *, as_of: dt.date) -> pd.DataFrame:
    """Every session of every programme, by start date then id (not filtered by town).

    Columns: session_id, programme_code, kind (rotation / study_tour), name_zh, name_en (the
    programme's), required, phase, place_zh, place_en, start_date, end_date, days, capacity,
    enrolled (every attendance row, whatever its status), attended, absent, upcoming
    (start_date > as_of) and topics (the session's topic codes, sorted).
    """
    tallies = (
        select(
            Attendance.session_id,
            func.count().label("enrolled"),
            func.sum(case((_attended(), 1), else_=0)).label("attended"),
            func.sum(case((Attendance.status == AttendanceStatus.ABSENT.value, 1), else_=0)).label("absent"),
        )
        .group_by(Attendance.session_id)
        .subquery()
    )
    stmt = (
        select(
            TrainingSession.id,
            TrainingProgramme.code,
            TrainingProgramme.kind,
            TrainingProgramme.name_zh,
            TrainingProgramme.name_en,
            TrainingProgramme.required,
            TrainingSession.phase,
            TrainingSession.place_zh,
            TrainingSession.place_en,
            TrainingSession.start_date,
            TrainingSession.end_date,
            TrainingSession.days,
            TrainingSession.capacity,
            func.coalesce(tallies.c.enrolled, 0),
            func.coalesce(tallies.c.attended, 0),
            func.coalesce(tallies.c.absent, 0),
            (TrainingSession.start_date > as_of).label("upcoming"),
        )
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .outerjoin(tallies, tallies.c.session_id == TrainingSession.id)
        .order_by(TrainingSession.start_date, TrainingSession.id)
    )
    frame = rows_frame(session, stmt, SCHEDULE_COLUMNS[:-1])
    _ints(frame, ["phase", "days", "capacity", "enrolled", "attended", "absent"])
    frame["required"] = frame["required"].astype(bool)
    frame["upcoming"] = frame["upcoming"].astype(bool)
    topic_pairs = rows_frame(
        session,
        select(SessionTopic.session_id, TrainingTopic.code).join(
            TrainingTopic, TrainingTopic.id == SessionTopic.topic_id
        ),
        ["session_id", "code"],
    )
    lists = _code_lists(topic_pairs, "session_id", "code")
    frame["topics"] = [lists.get(session_id, []) for session_id in frame["session_id"]]
    return frame


def tour_participants(session: Session, *, town_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Everyone who attended a study-tour session, by session then cadre.

    Columns: session_id, programme_code, programme_name_zh, programme_name_en, cadre_id, name,
    selected, town_code, town_name_zh, town_name_en, village_code, village_name_zh,
    village_name_en (where they serve as first secretary now; None if they no longer do) and
    serving (bool). With towns selected, only participants serving now in those towns are kept.
    """
    current = _serving(town_codes, Posting.cadre_id.label("cadre_id"), *_place_columns()).subquery()
    stmt = (
        select(
            TrainingSession.id,
            TrainingProgramme.code,
            TrainingProgramme.name_zh,
            TrainingProgramme.name_en,
            Attendance.cadre_id,
            Cadre.name,
            Attendance.selected,
            current.c.town_code,
            current.c.town_name_zh,
            current.c.town_name_en,
            current.c.village_code,
            current.c.village_name_zh,
            current.c.village_name_en,
            current.c.cadre_id.is_not(None).label("serving"),
        )
        .select_from(Attendance)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .join(Cadre, Cadre.id == Attendance.cadre_id)
        .outerjoin(current, current.c.cadre_id == Attendance.cadre_id)
        .where(TrainingProgramme.kind == ProgrammeKind.STUDY_TOUR.value, _attended())
        .order_by(TrainingSession.id, Attendance.cadre_id)
    )
    if town_codes:
        stmt = stmt.where(current.c.cadre_id.is_not(None))
    frame = rows_frame(session, stmt, TOUR_COLUMNS)
    frame["selected"] = frame["selected"].astype(bool)
    frame["serving"] = frame["serving"].astype(bool)
    frame[PLACE_COLUMNS] = frame[PLACE_COLUMNS].astype(object).where(frame[PLACE_COLUMNS].notna(), None)
    return frame


# --- the waiting list -------------------------------------------------------------------------


def waiting_list(
    session: Session, *, as_of: dt.date, town_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Serving first secretaries not trained yet (no required session attended), by town then since.

    Columns: cadre_id, name, gender, sent_by_unit_zh, sent_by_unit_en, town_code, town_name_zh,
    town_name_en, village_code, village_name_zh, village_name_en, since (start of the current
    posting), months_in_post (whole months from since to as_of), enrolled_upcoming (already on
    the list of a session of a required programme that starts after as_of — a study tour does
    not place anyone in the next phase) and missing_topics (required topics lacking, sorted).
    Ties on since are broken by cadre_id.
    """
    trained = trained_cadres().subquery()
    booked = (
        select(Attendance.cadre_id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .where(_required(), TrainingSession.start_date > as_of)
        .distinct()
        .subquery()
    )
    stmt = (
        _serving(
            town_codes,
            Cadre.id,
            Cadre.name,
            Cadre.gender,
            Cadre.sent_by_unit_zh,
            Cadre.sent_by_unit_en,
            *_place_columns(),
            Posting.start_date,
            booked.c.cadre_id.is_not(None),
        )
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .outerjoin(trained, trained.c.cadre_id == Posting.cadre_id)
        .outerjoin(booked, booked.c.cadre_id == Posting.cadre_id)
        .where(trained.c.cadre_id.is_(None))
        .order_by(Town.code, Posting.start_date, Cadre.id)
    )
    columns = [c for c in WAITING_COLUMNS if c not in ("months_in_post", "missing_topics")]
    frame = rows_frame(session, stmt, columns)
    frame["enrolled_upcoming"] = frame["enrolled_upcoming"].astype(bool)
    frame.insert(
        frame.columns.get_loc("since") + 1,
        "months_in_post",
        pd.Series([months_between(since, as_of) for since in frame["since"]], dtype="int64"),
    )
    missing = _code_lists(_missing_pairs(session, town_codes), "cadre_id", "topic_code")
    frame["missing_topics"] = [missing.get(cadre_id, []) for cadre_id in frame["cadre_id"]]
    return frame
