"""The data model: SQLAlchemy 2.0 typed ORM. Enumerations are stored as short strings.

Names in both languages sit side by side (`name_zh`, `name_en`); money is whole yuan.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    relationship,
    with_loader_criteria,
)

from lib.core.domain import (
    AttendanceStatus,
    BenefitType,
    CorrectionStatus,
    HouseholdStatus,
    HousingGrade,
    IndustryCategory,
    MeetingLevel,
    OrgKind,
    PlanStage,
    PostingRole,
    PovertyCause,
    ProgrammeKind,
    Role,
    TaskMeasure,
    TaskStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _enum_check(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


# --- places ------------------------------------------------------------------------------------


class Town(Base):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    retired_on: Mapped[dt.date | None] = mapped_column(Date)

    villages: Mapped[list[Village]] = relationship(back_populates="town")


class Village(Base):
    __tablename__ = "villages"
    __table_args__ = (Index("ix_villages_town_poor", "town_id", "is_poor", "actual_exit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"))
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    is_poor: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_exit_year: Mapped[int | None] = mapped_column(Integer)
    actual_exit_year: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    signature_product_zh: Mapped[str | None] = mapped_column(String(80))
    signature_product_en: Mapped[str | None] = mapped_column(String(120))
    signature_industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"))
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    town: Mapped[Town] = relationship(back_populates="villages")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# --- households --------------------------------------------------------------------------------


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        _enum_check("status", HouseholdStatus),
        _enum_check("housing_grade", HousingGrade),
        CheckConstraint("members >= 1", name="members_positive"),
        CheckConstraint("labour_count >= 0", name="labour_not_negative"),
        Index(
            "ix_households_village_status", "village_id", "status", "members", "labour_count", "retired_on"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    archive_no: Mapped[str] = mapped_column(String(24), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    head_name: Mapped[str] = mapped_column(String(40))
    head_id_number: Mapped[str | None] = mapped_column(String(18))
    members: Mapped[int] = mapped_column(Integer)
    labour_count: Mapped[int] = mapped_column(Integer, default=0)
    primary_cause: Mapped[str | None] = mapped_column(String(20))
    housing_grade: Mapped[str | None] = mapped_column(String(1))
    # "Two no worries" (food, clothing) and "three guarantees" (education, medical care, housing),
    # plus safe drinking water, as checked for exit.
    no_worry_food: Mapped[bool] = mapped_column(Boolean, default=False)
    no_worry_clothing: Mapped[bool] = mapped_column(Boolean, default=False)
    guarantee_education: Mapped[bool] = mapped_column(Boolean, default=False)
    guarantee_medical: Mapped[bool] = mapped_column(Boolean, default=False)
    guarantee_housing: Mapped[bool] = mapped_column(Boolean, default=False)
    safe_water: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=HouseholdStatus.POOR.value)
    registered_year: Mapped[int | None] = mapped_column(Integer)
    exit_year: Mapped[int | None] = mapped_column(Integer)
    # Exit steps, dated as they happen: appraisal → verification → agreement → notice → removal.
    exit_appraised_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_verified_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_agreed_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_noticed_on: Mapped[dt.date | None] = mapped_column(Date)
    exit_removed_on: Mapped[dt.date | None] = mapped_column(Date)
    helper_name: Mapped[str | None] = mapped_column(String(40))
    helper_unit: Mapped[str | None] = mapped_column(String(80))
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    village: Mapped[Village] = relationship()
    causes: Mapped[list[HouseholdCause]] = relationship(cascade="all, delete-orphan")
    incomes: Mapped[list[HouseholdIncome]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HouseholdCause(Base):
    """Every cause of a household's poverty; `primary_cause` on the household names the main one."""

    __tablename__ = "household_causes"
    __table_args__ = (_enum_check("cause", PovertyCause),)

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    cause: Mapped[str] = mapped_column(String(20), primary_key=True)


class HouseholdIncome(Base):
    __tablename__ = "household_incomes"
    __table_args__ = (CheckConstraint("per_capita_income >= 0", name="income_not_negative"),)

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    per_capita_income: Mapped[int] = mapped_column(Integer)


# --- industries --------------------------------------------------------------------------------


class Industry(Base):
    __tablename__ = "industries"
    __table_args__ = (_enum_check("category", IndustryCategory),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))


class IndustryPlan(Base):
    __tablename__ = "industry_plans"
    __table_args__ = (
        _enum_check("stage", PlanStage),
        CheckConstraint("expected_income IS NULL OR expected_income >= 0", name="expected_not_negative"),
        CheckConstraint("actual_income IS NULL OR actual_income >= 0", name="actual_not_negative"),
        Index("ix_industry_plans_household_stage", "household_id", "stage", "industry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    stage: Mapped[str] = mapped_column(String(10), default=PlanStage.PLANNED.value)
    planned_on: Mapped[dt.date] = mapped_column(Date)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    stage_since: Mapped[dt.date] = mapped_column(Date)
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    expected_income: Mapped[int | None] = mapped_column(Integer)
    actual_income: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PlanStageChange(Base):
    """The recorded history of a plan's stage: one row per move, the first from NULL."""

    __tablename__ = "plan_stage_changes"
    __table_args__ = (Index("ix_plan_stage_changes_plan", "plan_id", "changed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("industry_plans.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(10))
    to_stage: Mapped[str] = mapped_column(String(10))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)


class Organisation(Base):
    """An enterprise or a cooperative (base) that carries poor households."""

    __tablename__ = "organisations"
    __table_args__ = (_enum_check("kind", OrgKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    # 统一社会信用代码, the 18-character unified social credit code every enterprise and
    # cooperative has: how a county's file finds the organisation again.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)


class OrganisationLink(Base):
    __tablename__ = "organisation_links"
    __table_args__ = (
        _enum_check("benefit_type", BenefitType),
        UniqueConstraint("organisation_id", "household_id", "benefit_type"),
        Index("ix_organisation_links_household", "household_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    benefit_type: Mapped[str] = mapped_column(String(20))
    since: Mapped[dt.date | None] = mapped_column(Date)
    annual_amount: Mapped[int | None] = mapped_column(Integer)


# --- people stationed in villages -------------------------------------------------------------


class Cadre(Base):
    """A person sent to a village: first secretary or work-team member."""

    __tablename__ = "cadres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(1))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sent_by_unit_zh: Mapped[str | None] = mapped_column(String(80))
    sent_by_unit_en: Mapped[str | None] = mapped_column(String(120))
    # The resident identity number, when a county's roster gives it: how a file's rows find the
    # person again (lib.services.loading); masked wherever it is shown.
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)


class Posting(Base):
    """A cadre's tenure in a village; `end_date` NULL while serving. History is kept."""

    __tablename__ = "postings"
    __table_args__ = (
        _enum_check("role", PostingRole),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
        Index("ix_postings_village_role", "village_id", "role", "end_date", "cadre_id"),
        Index("ix_postings_cadre", "cadre_id"),
        # Only one open posting per person, and one serving first secretary per village.
        Index(
            "ux_postings_one_open_per_cadre",
            "cadre_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
        Index(
            "ux_postings_one_secretary_per_village",
            "village_id",
            unique=True,
            sqlite_where=text("end_date IS NULL AND role = 'first_secretary'"),
            postgresql_where=text("end_date IS NULL AND role = 'first_secretary'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    role: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


# --- training ----------------------------------------------------------------------------------


class TrainingProgramme(Base):
    __tablename__ = "training_programmes"
    __table_args__ = (_enum_check("kind", ProgrammeKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    target_share: Mapped[float | None] = mapped_column(Float)


class TrainingTopic(Base):
    __tablename__ = "training_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))


class TrainingSession(Base):
    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("training_programmes.id"))
    phase: Mapped[int] = mapped_column(Integer, default=1)
    place_zh: Mapped[str] = mapped_column(String(80))
    place_en: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)


class SessionTopic(Base):
    __tablename__ = "session_topics"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("training_topics.id"), primary_key=True)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        _enum_check("status", AttendanceStatus),
        UniqueConstraint("session_id", "cadre_id"),
        Index("ix_attendance_cadre_status", "cadre_id", "status", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    status: Mapped[str] = mapped_column(String(10), default=AttendanceStatus.ENROLLED.value)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)


# --- verification ------------------------------------------------------------------------------


class VerificationVisit(Base):
    __tablename__ = "verification_visits"
    __table_args__ = (
        Index("ix_verification_visits_household", "household_id", "ledger_verified", "visited_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    visitor_name: Mapped[str] = mapped_column(String(40))
    ledger_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    problems: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    found_unregistered_need: Mapped[bool] = mapped_column(Boolean, default=False)


# --- accounts and audit ------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    __table_args__ = (_enum_check("role", Role),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    can_see_names: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_key", "table_name", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(40))
    record_key: Mapped[str] = mapped_column(String(60))
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class SignInAttempt(Base):
    """One sign-in attempt, so repeated failures by name or by address can be slowed down.

    Every attempt has `name_key`, a keyed hash of the normalised name typed (lib.services.auth.name_key);
    `username` holds the name itself only when it was an account's, so a password typed into the
    name box is never kept. `address` is the client's (None when unknown, as on the server's own
    machine). `cleared`: `python -m lib.admin unlock` no longer counts this failure.
    """

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_at", "username", "at", "succeeded"),
        Index("ix_sign_in_attempts_name_key_at", "name_key", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(40))
    name_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInSession(Base):
    """One sign-in that a browser keeps across reloads and new tabs (lib.services.sessions).

    The browser's cookie holds a random token; only its SHA-256 (`token_hash`) is stored, so this
    table cannot sign anyone in. A session ends at `expires_at`, when revoked (`revoked_at`: its
    user signed out, in any tab or browser), or when its account changes: `account_stamp` is a
    digest of the account's role, places and password hash when it began. `address` is the
    client's, when known; `last_seen` the last time its cookie signed a page in.
    """

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index("ix_sign_in_sessions_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    account_stamp: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    address: Mapped[str | None] = mapped_column(String(64))


class CorrectionRequest(Base):
    """A town reviewer sends a village's submitted change (an audit row) back for correction."""

    __tablename__ = "correction_requests"
    __table_args__ = (
        _enum_check("status", CorrectionStatus),
        Index("ix_correction_requests_village_status", "village_id", "status"),
        Index("ix_correction_requests_audit", "audit_id"),
        # A change is sent back at most once at a time.
        Index(
            "ux_correction_requests_one_open",
            "audit_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    comment: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    status: Mapped[str] = mapped_column(String(10), default=CorrectionStatus.OPEN.value)
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Boundary(Base):
    """A county's, town's or village's outline as its boundary file gave it: a GeoJSON Polygon or
    MultiPolygon in WGS84, simplified for drawing (lib.files.boundaries), kept in the database so
    every server of a shared database draws the same map. `code` is the division's stored code
    (a town's 9 digits, a village's 12); `lon`/`lat` a point inside it."""

    __tablename__ = "boundaries"
    __table_args__ = (CheckConstraint("level IN ('county', 'town', 'village')", name="level_valid"),)

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    geometry: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)


class HeaderMapping(Base):
    """A header of a county's file (as `lib.files.imports.normalize` gives it) read as one column of
    a load kind, chosen once by an administrator so next month's file maps itself. `column` ""
    means the header is read as nothing."""

    __tablename__ = "header_mappings"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    header: Mapped[str] = mapped_column(String(120), primary_key=True)
    column: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    updated_by: Mapped[str] = mapped_column(String(40))


class LoadedFile(Base):
    """A file whose rows were loaded or imported, known by a hash of the rows as read (not of its
    bytes: the same rows saved again are the same file), so a second import of it is recognised."""

    __tablename__ = "loaded_files"
    __table_args__ = (Index("ix_loaded_files_kind_hash", "kind", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(40))


class Meta(Base):
    """Small key/value facts about the database: data version, demo dataset, its "as of" date."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class FigureSnapshot(Base):
    """A town's key figures kept on a date (`lib.services.snapshots`): for each measure its part
    and whole (households exited of households, …), so a page can say what changed since then.
    Taken at each month end (`python -m lib.admin snapshot`) and whenever a meeting deck is made."""

    __tablename__ = "figure_snapshots"
    __table_args__ = (UniqueConstraint("taken_on", "town_id", "measure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_on: Mapped[dt.date] = mapped_column(Date)  # first in the unique key, which indexes it
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id", ondelete="CASCADE"))
    measure: Mapped[str] = mapped_column(String(30))
    part: Mapped[int] = mapped_column(Integer)
    whole: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # month_end, meeting


# --- promotion meetings and their decisions ----------------------------------------------------


class Meeting(Base):
    """A promotion meeting (推进会) of the county or of one town (lib.services.meetings).

    `name` as typed (八里河镇脱贫攻坚推进会), `number` the 79 of 第79次 when the meeting series
    counts them; `attending` the units attending, as typed. A town meeting may pass on
    (`conveys_id`) a county meeting held on or before it. `level` and `town_id` agree: a county
    meeting has no town, a town meeting has one.
    """

    __tablename__ = "meetings"
    __table_args__ = (
        _enum_check("level", MeetingLevel),
        CheckConstraint(
            "(level = 'county' AND town_id IS NULL) OR (level = 'town' AND town_id IS NOT NULL)",
            name="town_for_level",
        ),
        CheckConstraint("number IS NULL OR number > 0", name="number_positive"),
        Index("ix_meetings_town_held", "town_id", "held_on"),
        Index("ix_meetings_level_held", "level", "held_on"),
        Index("ix_meetings_conveys", "conveys_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    name: Mapped[str] = mapped_column(String(120))
    number: Mapped[int | None] = mapped_column(Integer)
    held_on: Mapped[dt.date] = mapped_column(Date)
    attending: Mapped[str | None] = mapped_column(Text)
    conveys_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MeetingTask(Base):
    """One decision of a meeting, a task: what, who answers for it, by when, its status as set
    (`TaskStatus`; "late" is derived), and, when the data can measure it, the Overview share
    (`measure`) over its places that shows its progress, with the `target` share that completes it."""

    __tablename__ = "meeting_tasks"
    __table_args__ = (
        _enum_check("status", TaskStatus),
        _enum_check("measure", TaskMeasure),
        CheckConstraint(
            "(measure IS NULL AND target IS NULL) OR (measure IS NOT NULL AND target > 0 AND target <= 1)",
            name="target_with_measure",
        ),
        Index("ix_meeting_tasks_meeting", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(String(80))
    responsible_person: Mapped[str | None] = mapped_column(String(40))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.NOT_STARTED.value)
    measure: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MeetingTaskPlace(Base):
    """A town or a village a task concerns (one of the two per row; a task's places are all towns
    or all villages, which lib.services.meetings keeps)."""

    __tablename__ = "meeting_task_places"
    __table_args__ = (
        CheckConstraint(
            "(town_id IS NULL AND village_id IS NOT NULL) OR (town_id IS NOT NULL AND village_id IS NULL)",
            name="town_or_village",
        ),
        Index("ix_meeting_task_places_task", "task_id"),
        Index("ix_meeting_task_places_town", "town_id"),
        Index("ix_meeting_task_places_village", "village_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("meeting_tasks.id", ondelete="CASCADE"))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))


class MeetingTaskNote(Base):
    """A dated progress note on a task, by whoever wrote it; `status` is the status the note set
    (None when it left the status alone)."""

    __tablename__ = "meeting_task_notes"
    __table_args__ = (
        _enum_check("status", TaskStatus),
        Index("ix_meeting_task_notes_task", "task_id", "noted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("meeting_tasks.id", ondelete="CASCADE"))
    noted_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow)


class VillageHouseholdCounts(Base):
    """Rollup: one village's household counts (`lib.queries.overview.household_counts` by village).

    Kept by lib/services/rollups.py: rebuilt whole after bulk loads and refreshed for the villages
    a service changes, in the same transaction. Read only while app_meta's rollup_version equals
    the data version (lib/queries/rollups.py); otherwise pages aggregate the base tables.
    """

    __tablename__ = "village_household_counts"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    households_exited: Mapped[int] = mapped_column(Integer)
    households_poor: Mapped[int] = mapped_column(Integer)
    households_monitored: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    people_exited: Mapped[int] = mapped_column(Integer)
    people_poor: Mapped[int] = mapped_column(Integer)
    households_with_labour: Mapped[int] = mapped_column(Integer)
    labour_households_with_plan: Mapped[int] = mapped_column(Integer)
    households_with_plan: Mapped[int] = mapped_column(Integer)
    stage_planned: Mapped[int] = mapped_column(Integer)
    stage_started: Mapped[int] = mapped_column(Integer)
    stage_producing: Mapped[int] = mapped_column(Integer)
    stage_stable: Mapped[int] = mapped_column(Integer)
    households_verified: Mapped[int] = mapped_column(Integer)
    households_in_product: Mapped[int] = mapped_column(Integer, default=0)  # a plan in the village's product


class VillageIncomeYear(Base):
    """Rollup: one village's per-capita income figures of one year, linked households (to an
    enterprise or cooperative) apart from the rest (`lib.queries.industry.income_by_village_year`).
    Kept like VillageHouseholdCounts."""

    __tablename__ = "village_income_years"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    linked_households: Mapped[int] = mapped_column(Integer)
    linked_income: Mapped[int] = mapped_column(BigInteger)
    unlinked_households: Mapped[int] = mapped_column(Integer)
    unlinked_income: Mapped[int] = mapped_column(BigInteger)
    linked_below_line: Mapped[int] = mapped_column(Integer)
    unlinked_below_line: Mapped[int] = mapped_column(Integer)


class VillagePlanStages(Base):
    """Rollup: one village's industry plans of one category at one stage, and the households
    with them (`lib.queries.industry.plan_stages_by_village`). Kept like VillageHouseholdCounts."""

    __tablename__ = "village_plan_stages"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    stage: Mapped[str] = mapped_column(String(10), primary_key=True)
    plans: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)


class OrganisationVillageLinks(Base):
    """Rollup: one organisation's links to the households of one village
    (`lib.queries.industry.links_by_organisation_village`). Kept like VillageHouseholdCounts."""

    __tablename__ = "organisation_village_links"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), primary_key=True)
    linked_households: Mapped[int] = mapped_column(Integer)
    links: Mapped[int] = mapped_column(Integer)
    land_rent: Mapped[int] = mapped_column(Integer)
    dividend: Mapped[int] = mapped_column(Integer)
    wages: Mapped[int] = mapped_column(Integer)
    guaranteed_purchase: Mapped[int] = mapped_column(Integer)
    annual_amount: Mapped[int] = mapped_column(BigInteger)


class HouseholdDerivedFacts(Base):
    """Rollup: per household, what the assessment checks read from its incomes and visits, and the
    checks' results, as of app_meta's rollup_as_of date (`lib.queries.assessment.stored_checks`).
    Every check but verified_long_ago (which depends on a setting) is stored as 0/1. Kept like
    VillageHouseholdCounts."""

    __tablename__ = "household_derived_facts"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"))
    income_year: Mapped[int | None] = mapped_column(Integer)
    income: Mapped[int | None] = mapped_column(Integer)
    previous_income: Mapped[int | None] = mapped_column(Integer)
    last_visit_on: Mapped[dt.date | None] = mapped_column(Date)
    last_ledger_verified: Mapped[bool | None] = mapped_column(Boolean)
    last_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    visits: Mapped[int] = mapped_column(Integer)
    found_need: Mapped[int] = mapped_column(Integer)
    exited: Mapped[int] = mapped_column(Integer)
    income_below_line: Mapped[int] = mapped_column(Integer)
    guarantee_not_met: Mapped[int] = mapped_column(Integer)
    exit_steps_missing: Mapped[int] = mapped_column(Integer)
    exit_steps_out_of_order: Mapped[int] = mapped_column(Integer)
    fields_missing: Mapped[int] = mapped_column(Integer)
    not_verified: Mapped[int] = mapped_column(Integer)
    members_income_mismatch: Mapped[int] = mapped_column(Integer)
    housing_contradiction: Mapped[int] = mapped_column(Integer)
    unregistered_need: Mapped[int] = mapped_column(Integer)


# --- retired records ---------------------------------------------------------------------------

# Towns, villages and households a county's file no longer holds are retired, never deleted
# (lib.services.loading). Every ORM query leaves them out, so no page, figure or rollup counts
# them; a query that must see them (the loaders matching a file's rows to what is stored, the
# audit trail) runs with execution option INCLUDE_RETIRED=True.
INCLUDE_RETIRED = "include_retired"
RETIRABLE: tuple[type[Town] | type[Village] | type[Household], ...] = (Town, Village, Household)


# Said again in the rollups' sources, which run inside INSERT … SELECT where the criterion below
# does not reach.
LIVE_HOUSEHOLD = Household.retired_on.is_(None)


def live_only(statement: Select[Any]) -> Select[Any]:
    """`statement` leaving out retired records: what every ORM select gets (below), for a select
    that runs inside another statement (INSERT … SELECT, which no ORM event sees)."""
    return statement.options(
        *(
            # A lambda, so aliased(Village) gets the criterion on its own alias.
            with_loader_criteria(model, lambda cls: cls.retired_on.is_(None), include_aliases=True)
            for model in RETIRABLE
        )
    )


@event.listens_for(Session, "do_orm_execute")
def _leave_out_retired(state: ORMExecuteState) -> None:
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get(INCLUDE_RETIRED, False)
    ):
        state.statement = live_only(state.statement)  # type: ignore[arg-type]
