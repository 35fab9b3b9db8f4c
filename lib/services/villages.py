"""Village writes: the first secretary (appoint or replace, with dates), the work team, and the
village's signature product ("one village, one product").

Each service runs: permission (the village's town / village) → stale-edit check → validation
(every bad field at once) → write → audit rows → bump the data version → commit; on any error
the transaction is rolled back and nothing is written.

Posting changes are audited under table "postings" with the village's code as the record key
(the posting's id is in the values), so a village's staffing history reads as one record; a new
cadre gets its own "cadres" row. Product changes are audited under "villages", keyed the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lib.core.domain import PostingRole
from lib.core.errors import StaleEdit, ValidationError
from lib.core.i18n import localized
from lib.core.models import Cadre, Industry, Posting, Town, Village
from lib.rules.permissions import POSTING_UPDATE, VILLAGE_PRODUCT_UPDATE, Actor
from lib.rules.text_rules import text_problem
from lib.services.auth import require, require_role
from lib.services.common import bump_data_version, is_row_id, record_audit, save_versioned, transactional
from lib.services.households import _check_date, _check_text, _Errors, field_messages

MIN_TERM_YEARS = 2  # a stationed term is at least two years; ending one sooner needs a reason
MIN_TEAM = 2  # a work team has at least two people (the first secretary counts)
CADRE_NAME_MAX = 40  # Cadre.name is String(40)
UNIT_ZH_MAX = 80  # Cadre.sent_by_unit_zh is String(80)
UNIT_EN_MAX = 120
PRODUCT_ZH_MAX = 80  # Village.signature_product_zh is String(80)
PRODUCT_EN_MAX = 120
GENDERS = ("M", "F")
AGE_MIN, AGE_MAX = 18, 70  # a cadre sent to a village is of working age
CODE_MAX = 30  # Village.code is String(12), Industry.code String(30)


@dataclass(frozen=True)
class NewCadre:
    """A person not yet in the database, to appoint as first secretary or add to the work team."""

    name: str
    gender: str | None = None
    birth_year: int | None = None
    unit_zh: str | None = None
    unit_en: str | None = None


@dataclass(frozen=True)
class StaffChange:
    """What a posting change did, and how many people serve in the village afterwards.

    `posting_id` is the new posting (None when a posting was only ended), `ended_posting_id` the
    one ended (None when none was). `team_size` counts everyone with an open posting there, the
    first secretary included; below MIN_TEAM the form warns (the change is still made).
    """

    village_code: str
    cadre_id: int
    posting_id: int | None
    ended_posting_id: int | None
    team_size: int

    @property
    def below_minimum(self) -> bool:
        return self.team_size < MIN_TEAM


def staff_messages(error: ValidationError, translate: Callable[..., str]) -> dict[str, str]:
    """Each field's message via `translate`, naming villages in the reader's language."""
    for field in error.errors:
        params = error.field_params.get(field)
        if params and "village" in params:
            params["village"] = localized(params["village"], params.pop("village_en", None))
    return field_messages(error, translate)


# --- shared checks ------------------------------------------------------------------------------


def _load_village(
    session: Session, village_code: object, *, lock: bool = False
) -> tuple[Village, str] | None:
    """The village and its town's code, read fresh (and locked, on PostgreSQL, with `lock`)."""
    if not _plain_code(village_code, CODE_MAX):
        return None
    stmt = (
        select(Village, Town.code)
        .join(Town, Town.id == Village.town_id)
        .where(Village.code == village_code)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update(of=Village)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def _plain_code(value: object, max_len: int) -> bool:
    """Whether `value` could be a stored code (refused unlooked-up otherwise: PostgreSQL rejects NUL)."""
    return isinstance(value, str) and 0 < len(value) <= max_len and value.isascii() and value.isprintable()


def _check_line(errors: _Errors, field: str, value: object, *, max_len: int, required: bool) -> str | None:
    """One line of text (a name, a unit, a product): trimmed; blank → None (or an error if required)."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        errors.fail(field, "staff.error.not_text")
        return None
    if not text:
        if required:
            errors.fail(field, "staff.error.required")
        return None
    if len(text) > max_len:
        errors.fail(field, "staff.error.too_long", max=max_len)
    elif problem := text_problem(text, control_key="staff.error.bad_chars"):
        errors.fail(field, problem[0], **problem[1])
    return text


def _open_postings(session: Session, village_id: int) -> list[Posting]:
    return list(
        session.scalars(
            select(Posting)
            .where(Posting.village_id == village_id, Posting.end_date.is_(None))
            .order_by(Posting.start_date.desc(), Posting.id.desc())
            .execution_options(populate_existing=True)
        )
    )


def _team_size(session: Session, village_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(Posting.cadre_id))).where(
                Posting.village_id == village_id, Posting.end_date.is_(None)
            )
        )
        or 0
    )


def staff_values(session: Session, village_id: int) -> dict[str, Any]:
    """Who serves in the village now (what a StaleEdit on a posting change reports)."""
    rows = session.execute(
        select(Posting.id, Posting.role, Cadre.id, Cadre.name, Posting.start_date)
        .join(Cadre, Cadre.id == Posting.cadre_id)
        .where(Posting.village_id == village_id, Posting.end_date.is_(None))
        .order_by(Posting.role, Posting.start_date, Posting.id)
    ).all()
    first = next((row for row in rows if row[1] == PostingRole.FIRST_SECRETARY.value), None)
    return {
        "first_secretary": None
        if first is None
        else {"posting_id": first[0], "cadre_id": first[2], "name": first[3]},
        "team": [
            {"posting_id": row[0], "cadre_id": row[2], "name": row[3], "start_date": row[4]}
            for row in rows
            if row[1] == PostingRole.TEAM_MEMBER.value
        ],
    }


def _term_end(start: dt.date) -> dt.date:
    """The earliest day a term that began on `start` has lasted MIN_TERM_YEARS."""
    try:
        return start.replace(year=start.year + MIN_TERM_YEARS)
    except ValueError:  # 29 February
        return dt.date(start.year + MIN_TERM_YEARS, 3, 1)


def _check_end(
    errors: _Errors, posting: Posting, ends_on: object, why: str | None, *, as_of: dt.date
) -> dt.date | None:
    """The end of `posting`: a valid date, not before it began; a short term needs a reason."""
    day = _check_date(errors, "ends_on", ends_on, as_of=as_of)
    if day is None or "ends_on" in errors:
        return None
    if day < posting.start_date:
        errors.fail("ends_on", "staff.error.end_before_start", start=posting.start_date.isoformat())
        return None
    full = _term_end(posting.start_date)
    if day < full and why is None and "reason" not in errors:
        errors.fail(
            "reason",
            "staff.error.reason_short_term",
            start=posting.start_date.isoformat(),
            full=full.isoformat(),
            years=MIN_TERM_YEARS,
        )
    return day


def _check_person(
    session: Session,
    errors: _Errors,
    cadre_id: object,
    new_cadre: object,
    *,
    starts_on: object,
    as_of: dt.date,
) -> Cadre | NewCadre | None:
    """The existing cadre (free: no open posting anywhere, none ending after `starts_on`) or the
    new person's cleaned fields."""
    if (cadre_id is None) == (new_cadre is None):
        errors.fail("cadre", "staff.error.cadre_required" if cadre_id is None else "staff.error.cadre_both")
        return None
    if cadre_id is not None:
        # Locked (PostgreSQL) so two postings of one person at once run one after the other.
        cadre = session.get(Cadre, cadre_id, with_for_update=True) if is_row_id(cadre_id) else None
        if cadre is None:
            errors.fail("cadre", "staff.error.cadre_unknown")
            return None
        posted = session.execute(
            select(Village.name_zh, Village.name_en, Posting.role)
            .join(Village, Village.id == Posting.village_id)
            .where(Posting.cadre_id == cadre.id, Posting.end_date.is_(None))
            .limit(1)
        ).first()
        if posted is not None:
            errors.fail(
                "cadre",
                "staff.error.already_posted",
                name=cadre.name,
                village=posted[0],
                village_en=posted[1],
            )
        last_end = session.scalar(select(func.max(Posting.end_date)).where(Posting.cadre_id == cadre.id))
        if isinstance(starts_on, dt.date) and last_end is not None and starts_on < last_end:
            errors.fail("starts_on", "staff.error.overlaps", name=cadre.name, end=last_end.isoformat())
        return cadre
    if not isinstance(new_cadre, NewCadre):
        errors.fail("cadre", "staff.error.cadre_required")
        return None
    name = _check_line(errors, "name", new_cadre.name, max_len=CADRE_NAME_MAX, required=True)
    gender = new_cadre.gender
    if gender is not None and gender not in GENDERS:
        errors.fail("gender", "staff.error.gender")
    born = new_cadre.birth_year
    if born is not None and (
        not isinstance(born, int)
        or isinstance(born, bool)
        or not as_of.year - AGE_MAX <= born <= as_of.year - AGE_MIN
    ):
        errors.fail(
            "birth_year", "staff.error.birth_year", low=as_of.year - AGE_MAX, high=as_of.year - AGE_MIN
        )
    unit_zh = _check_line(errors, "unit_zh", new_cadre.unit_zh, max_len=UNIT_ZH_MAX, required=True)
    unit_en = _check_line(errors, "unit_en", new_cadre.unit_en, max_len=UNIT_EN_MAX, required=False)
    return NewCadre(name=name or "", gender=gender, birth_year=born, unit_zh=unit_zh, unit_en=unit_en)


def _cadre_for(session: Session, actor: Actor, person: Cadre | NewCadre, why: str | None) -> Cadre:
    """The existing cadre, or the new person added (with an audit row)."""
    if isinstance(person, Cadre):
        return person
    cadre = Cadre(
        name=person.name,
        gender=person.gender,
        birth_year=person.birth_year,
        sent_by_unit_zh=person.unit_zh,
        sent_by_unit_en=person.unit_en,
    )
    session.add(cadre)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=POSTING_UPDATE,
        table="cadres",
        key=str(cadre.id),
        old=None,
        new={
            "name": cadre.name,
            "gender": cadre.gender,
            "birth_year": cadre.birth_year,
            "sent_by_unit_zh": cadre.sent_by_unit_zh,
            "sent_by_unit_en": cadre.sent_by_unit_en,
        },
        reason=why,
    )
    return cadre


def _posting_values(posting: Posting, name: str) -> dict[str, Any]:
    return {
        "posting_id": posting.id,
        "cadre_id": posting.cadre_id,
        "name": name,
        "role": posting.role,
        "start_date": posting.start_date,
        "end_date": posting.end_date,
    }


def _end_posting(
    session: Session,
    actor: Actor,
    village: Village,
    code: str,
    posting: Posting,
    day: dt.date,
    why: str | None,
) -> None:
    """End an open posting on `day`; a posting someone else ended first turns into a StaleEdit."""
    posting_id, cadre_id = posting.id, posting.cadre_id
    result = session.execute(
        update(Posting)
        .where(Posting.id == posting_id, Posting.end_date.is_(None))
        .values(end_date=day)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        village_id = village.id
        session.rollback()
        raise StaleEdit("postings", code, current=staff_values(session, village_id))
    name = session.scalar(select(Cadre.name).where(Cadre.id == cadre_id)) or ""
    record_audit(
        session,
        actor=actor,
        action=POSTING_UPDATE,
        table="postings",
        key=code,
        old={"posting_id": posting_id, "cadre_id": cadre_id, "name": name, "end_date": None},
        new={"posting_id": posting_id, "cadre_id": cadre_id, "name": name, "end_date": day},
        reason=why,
    )


def _open_posting(
    session: Session,
    actor: Actor,
    village: Village,
    code: str,
    cadre: Cadre,
    role: PostingRole,
    day: dt.date,
    why: str | None,
) -> Posting:
    posting = Posting(
        cadre_id=cadre.id, village_id=village.id, role=role.value, start_date=day, end_date=None
    )
    session.add(posting)
    try:
        session.flush()
    except IntegrityError as exc:  # the database's "only one open" (migration 0005) caught a race
        session.rollback()
        raise ValidationError({"cadre": "staff.error.posting_conflict"}) from exc
    record_audit(
        session,
        actor=actor,
        action=POSTING_UPDATE,
        table="postings",
        key=code,
        old=None,
        new=_posting_values(posting, cadre.name),
        reason=why,
    )
    return posting


def _village_for_posting(
    session: Session, actor: Actor | None, village_code: object
) -> tuple[Actor, Village, str]:
    require_role(session, actor, POSTING_UPDATE)
    found = _load_village(session, village_code, lock=True)
    if found is None:
        raise ValidationError({"village_code": "staff.error.village_unknown"})
    village, town_code = found
    allowed = require(session, actor, POSTING_UPDATE, town_code=town_code, village_code=village.code)
    return allowed, village, village.code


# --- the first secretary ------------------------------------------------------------------------


@transactional
def replace_first_secretary(
    session: Session,
    *,
    actor: Actor | None,
    village_code: str,
    expected_posting_id: int | None,
    ends_on: dt.date | None,
    starts_on: dt.date,
    new_cadre_id: int | None = None,
    new_cadre: NewCadre | None = None,
    reason: str | None = None,
    as_of: dt.date,
) -> StaffChange:
    """End the village's first secretary's term on `ends_on` and post another from `starts_on`.

    With no first secretary serving (`expected_posting_id` None, `ends_on` None) this appoints one.
    The new secretary is an existing cadre (`new_cadre_id`) with no open posting anywhere, or a
    new person (`new_cadre`: name and Chinese sending unit required, gender M/F, birth year of
    working age). Refuses (PermissionDenied) anyone but the village's town editor; (StaleEdit,
    with `staff_values`) when the serving secretary's posting is not `expected_posting_id`;
    (ValidationError) dates after `as_of` or before 2014, an end before the term began, a start
    before the end, a term shorter than two years ended without a reason, and bad person fields.
    """
    allowed, village, code = _village_for_posting(session, actor, village_code)
    current = next(
        (p for p in _open_postings(session, village.id) if p.role == PostingRole.FIRST_SECRETARY.value), None
    )
    if (current.id if current else None) != expected_posting_id:
        raise StaleEdit("postings", code, current=staff_values(session, village.id))

    errors = _Errors()
    why = _check_text(errors, "reason", reason)
    end_day: dt.date | None = None
    if current is not None:
        end_day = _check_end(errors, current, ends_on, why, as_of=as_of)
    elif ends_on is not None:
        errors.fail("ends_on", "staff.error.nothing_to_end")
    start_day = _check_date(errors, "starts_on", starts_on, as_of=as_of)
    if start_day is not None and end_day is not None and "starts_on" not in errors and start_day < end_day:
        errors.fail("starts_on", "staff.error.start_before_end", ends_on=end_day.isoformat())
    person = _check_person(session, errors, new_cadre_id, new_cadre, starts_on=start_day, as_of=as_of)
    errors.raise_if_any()
    assert start_day is not None and person is not None

    ended = None
    if current is not None:
        assert end_day is not None
        ended = current.id
        _end_posting(session, allowed, village, code, current, end_day, why)
    cadre = _cadre_for(session, allowed, person, why)
    posting = _open_posting(
        session, allowed, village, code, cadre, PostingRole.FIRST_SECRETARY, start_day, why
    )
    bump_data_version(session)
    return StaffChange(code, cadre.id, posting.id, ended, _team_size(session, village.id))


# --- the work team ------------------------------------------------------------------------------


@transactional
def add_team_member(
    session: Session,
    *,
    actor: Actor | None,
    village_code: str,
    starts_on: dt.date,
    cadre_id: int | None = None,
    new_cadre: NewCadre | None = None,
    reason: str | None = None,
    as_of: dt.date,
) -> StaffChange:
    """Post a work-team member to the village from `starts_on` (an existing free cadre or a new one).

    Refuses as `replace_first_secretary` does (a start date after `as_of` or before 2014, a
    cadre with an open posting anywhere, bad person fields, anyone but the village's town editor).
    """
    allowed, village, code = _village_for_posting(session, actor, village_code)
    errors = _Errors()
    why = _check_text(errors, "reason", reason)
    start_day = _check_date(errors, "starts_on", starts_on, as_of=as_of)
    person = _check_person(session, errors, cadre_id, new_cadre, starts_on=start_day, as_of=as_of)
    errors.raise_if_any()
    assert start_day is not None and person is not None

    cadre = _cadre_for(session, allowed, person, why)
    posting = _open_posting(session, allowed, village, code, cadre, PostingRole.TEAM_MEMBER, start_day, why)
    bump_data_version(session)
    return StaffChange(code, cadre.id, posting.id, None, _team_size(session, village.id))


@transactional
def end_team_member(
    session: Session,
    *,
    actor: Actor | None,
    village_code: str,
    posting_id: int,
    ends_on: dt.date,
    reason: str | None = None,
    as_of: dt.date,
) -> StaffChange:
    """End a work-team member's posting on `ends_on`; the result says how many still serve.

    Refuses (ValidationError) a posting that is not a team member's in this village, an end
    after `as_of`, before 2014 or before the posting began, and a term shorter than two years
    without a reason; (StaleEdit, with `staff_values`) a posting that has already ended.
    """
    allowed, village, code = _village_for_posting(session, actor, village_code)
    posting = session.get(Posting, posting_id, populate_existing=True) if is_row_id(posting_id) else None
    if posting is None or posting.village_id != village.id or posting.role != PostingRole.TEAM_MEMBER.value:
        raise ValidationError({"posting_id": "staff.error.posting_unknown"})
    if posting.end_date is not None:
        raise StaleEdit("postings", code, current=staff_values(session, village.id))

    errors = _Errors()
    why = _check_text(errors, "reason", reason)
    end_day = _check_end(errors, posting, ends_on, why, as_of=as_of)
    errors.raise_if_any()
    assert end_day is not None

    cadre_id, ended = posting.cadre_id, posting.id
    _end_posting(session, allowed, village, code, posting, end_day, why)
    bump_data_version(session)
    return StaffChange(code, cadre_id, None, ended, _team_size(session, village.id))


# --- the signature product ----------------------------------------------------------------------


def product_values(session: Session, village: Village) -> dict[str, Any]:
    """The values the product form edits (and a StaleEdit reports), with the row's version."""
    industry = (
        session.scalar(select(Industry.code).where(Industry.id == village.signature_industry_id))
        if village.signature_industry_id is not None
        else None
    )
    return {
        "product_zh": village.signature_product_zh,
        "product_en": village.signature_product_en,
        "industry_code": industry,
        "version": village.version,
    }


@transactional
def update_signature_product(
    session: Session,
    *,
    actor: Actor | None,
    village_code: str,
    expected_version: int,
    product_zh: str,
    product_en: str | None,
    industry_code: str | None,
    reason: str | None = None,
) -> int:
    """Set the village's signature product ("one village, one product"); returns the new version.

    The Chinese name is required (at most 80 characters), the English one optional (120); both
    one line without control characters. `industry_code` names a known industry or is None.
    Refuses (PermissionDenied) anyone but the village's town or village editor; (StaleEdit, with
    `product_values`) when the village's version is not `expected_version`. When nothing
    changes, nothing is written and the current version is returned.
    """
    require_role(session, actor, VILLAGE_PRODUCT_UPDATE)
    found = _load_village(session, village_code)
    if found is None:
        raise ValidationError({"village_code": "staff.error.village_unknown"})
    village, town_code = found
    code = village.code
    actor = require(session, actor, VILLAGE_PRODUCT_UPDATE, town_code=town_code, village_code=code)
    old = product_values(session, village)
    if village.version != expected_version:
        raise StaleEdit("villages", code, current=old)

    errors = _Errors()
    zh = _check_line(errors, "product_zh", product_zh, max_len=PRODUCT_ZH_MAX, required=True)
    en = _check_line(errors, "product_en", product_en, max_len=PRODUCT_EN_MAX, required=False)
    industry_id: int | None = None
    industry = None
    if industry_code is not None and industry_code != "":
        if _plain_code(industry_code, CODE_MAX):
            industry_id = session.scalar(select(Industry.id).where(Industry.code == industry_code))
            industry = str(industry_code)
        if industry_id is None:
            errors.fail("industry_code", "staff.error.industry_unknown", code=str(industry_code))
    why = _check_text(errors, "reason", reason)
    errors.raise_if_any()

    new = {"product_zh": zh, "product_en": en, "industry_code": industry}
    changed = [name for name in new if new[name] != old[name]]
    if not changed:
        return village.version
    village.signature_product_zh = zh
    village.signature_product_en = en
    village.signature_industry_id = industry_id

    def as_it_is() -> dict[str, Any] | None:
        again = _load_village(session, code)
        return product_values(session, again[0]) if again else None

    save_versioned(
        session,
        actor=actor,
        action=VILLAGE_PRODUCT_UPDATE,
        table="villages",
        key=code,
        old=old,
        new=new,
        changed=changed,
        current=as_it_is,
        reason=why,
        villages=[village.id],
    )
    return village.version
