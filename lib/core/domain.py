"""Facts of the work that several modules share: poverty lines, assessment thresholds, and what a
household's status record holds."""

from __future__ import annotations

from enum import StrEnum

# Per-capita net income poverty line in current yuan (2,300 yuan at 2010 prices, adjusted yearly).
POVERTY_LINE_BY_YEAR: dict[int, int] = {
    2013: 2736,
    2014: 2800,
    2015: 2855,
    2016: 3000,
    2017: 3335,
    2018: 3535,
    2019: 3747,
    2020: 4000,
}

# A village exits when its poverty incidence is below this share (3% in the western provinces).
VILLAGE_EXIT_INCIDENCE = 0.02
VILLAGE_EXIT_INCIDENCE_WEST = 0.03

# National third-party assessment thresholds.
MAX_WRONG_EXIT_RATE = 0.02
MAX_MISSED_IDENTIFICATION_RATE = 0.01
MIN_SATISFACTION = 0.90

# A household's "two no-worries, three guarantees" and safe water: yes/no columns of Household.
# Limits on what forms and imports accept.
VISITOR_NAME_MAX = 40  # VerificationVisit.visitor_name is String(40)
FREE_TEXT_MAX = 2000  # problems found on a visit; reasons for a change
INCOME_MAX = 1_000_000  # yuan a year from one plan: anything above is a typing slip

HOUSEHOLD_FLAGS = (
    "no_worry_food",
    "no_worry_clothing",
    "guarantee_education",
    "guarantee_medical",
    "guarantee_housing",
    "safe_water",
)
# The five steps of a household's exit, in the order they happen: date columns of Household.
EXIT_STEPS = (
    "exit_appraised_on",
    "exit_verified_on",
    "exit_agreed_on",
    "exit_noticed_on",
    "exit_removed_on",
)
# What the status form and the status import change.
STATUS_FIELDS = ("status", *HOUSEHOLD_FLAGS, *EXIT_STEPS)


def poverty_line(year: int) -> int:
    """The line for `year`; years past the table use the last known line."""
    if year in POVERTY_LINE_BY_YEAR:
        return POVERTY_LINE_BY_YEAR[year]
    known = sorted(POVERTY_LINE_BY_YEAR)
    return POVERTY_LINE_BY_YEAR[known[-1] if year > known[-1] else known[0]]


# --- enumerations ------------------------------------------------------------------------------


class HouseholdStatus(StrEnum):
    POOR = "poor"
    EXITED = "exited"
    MONITORED = "monitored"


class HousingGrade(StrEnum):
    """Housing safety appraisal: A safe … D dangerous."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class PovertyCause(StrEnum):
    ILLNESS = "illness"
    DISABILITY = "disability"
    LACK_OF_LABOUR = "lack_of_labour"
    LACK_OF_SKILLS = "lack_of_skills"
    LACK_OF_CAPITAL = "lack_of_capital"
    LACK_OF_LAND = "lack_of_land"
    EDUCATION_COSTS = "education_costs"
    DISASTER = "disaster"
    # The national register's last three causes (交通条件落后, 自身发展动力不足, 其他).
    POOR_TRANSPORT = "poor_transport"
    LACK_OF_MOTIVATION = "lack_of_motivation"
    OTHER = "other"


class IndustryCategory(StrEnum):
    PLANTING = "planting"
    LIVESTOCK = "livestock"
    PROCESSING = "processing"
    TOURISM = "tourism"
    ECOMMERCE = "ecommerce"
    MIGRANT_WORK = "migrant_work"
    SHARES = "shares"


class PlanStage(StrEnum):
    PLANNED = "planned"
    STARTED = "started"
    PRODUCING = "producing"
    STABLE = "stable"

    @property
    def rank(self) -> int:
        return list(PlanStage).index(self) + 1


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    COOPERATIVE = "cooperative"


class BenefitType(StrEnum):
    LAND_RENT = "land_rent"
    DIVIDEND = "dividend"
    WAGES = "wages"
    GUARANTEED_PURCHASE = "guaranteed_purchase"


class PostingRole(StrEnum):
    FIRST_SECRETARY = "first_secretary"
    TEAM_MEMBER = "team_member"


class ProgrammeKind(StrEnum):
    ROTATION = "rotation"
    STUDY_TOUR = "study_tour"


class AttendanceStatus(StrEnum):
    ENROLLED = "enrolled"
    ATTENDED = "attended"
    ABSENT = "absent"


class CorrectionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class MeetingLevel(StrEnum):
    """Who held a promotion meeting (推进会): the county, or one town (which may pass a county
    meeting on)."""

    COUNTY = "county"
    TOWN = "town"


class TaskStatus(StrEnum):
    """A meeting decision's status as people set it. "Late" is never stored: it is read off the
    deadline and the data's date (lib.rules.meetings.task_standing)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class TaskMeasure(StrEnum):
    """The shares a decision's progress may be measured by: the Overview's own
    (lib.core.figures.SHARE_PARTS), counted over the decision's places."""

    VERIFIED_SHARE = "verified_share"
    PLAN_SHARE = "plan_share"
    STABLE_SHARE = "stable_share"
    EXITED_SHARE = "exited_share"
    TRAINING_SHARE = "training_share"


class Role(StrEnum):
    LEADER = "leader"
    TOWN_EDITOR = "town_editor"
    VILLAGE_EDITOR = "village_editor"
    ADMIN = "admin"


STAGES = [stage.value for stage in PlanStage]  # planned → started → producing → stable
NO_PLAN = "none"  # a household without an industry plan, in stage counts
STAGE_ORDER = [NO_PLAN, *STAGES]
SEARCH_MAX = 100  # matches a search lists (a picker past its list limit searches instead)
