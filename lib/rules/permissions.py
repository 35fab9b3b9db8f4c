"""Who may do what: the acting `Actor`, the actions, and `RULES`, each action's roles and where each
may act. Pure: services check with `lib.services.auth.require`, which reads the account again in
their transaction; pages call `can(...)` to decide what to offer.

Roles: a leader reads everything and writes nothing; a town editor writes within their
town; a village editor within their village; an admin manages accounts. Anonymous (None) may do
nothing. A new action is one line in `RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from lib.core.domain import Role


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user as read from the database (or the command line's operator).

    `town_code` is the town the user works in (a village editor's is their village's town);
    `village_code` only for village editors. `user_id` is None only for `COMMAND_LINE`.
    """

    user_id: int | None
    username: str
    display_name: str
    role: Role
    town_code: str | None = None
    village_code: str | None = None
    can_see_names: bool = False


# Whoever runs `python -m lib.admin` against DATABASE_URL already controls the database; the
# command line acts as an admin, and its audit rows say "cli".
COMMAND_LINE = Actor(user_id=None, username="cli", display_name="python -m lib.admin", role=Role.ADMIN)


class Scope(StrEnum):
    """Where a role may act: anywhere in the county, in its own town, or in its own village."""

    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


TRAINING_ENROL = "training.enrol"  # confirm first secretaries' enrolment in a training session
VISIT_RECORD = "visit.record"  # record a verification visit to a household
HOUSEHOLD_UPDATE = "household.update"  # change a household's status, exit checks and exit steps
PLAN_UPDATE = "plan.update"  # add or change a household's industry plan
ACCOUNTS_MANAGE = "accounts.manage"  # create, change and deactivate accounts
CORRECTION_REQUEST = "correction.request"  # send a village's submitted change back for correction
CORRECTION_RESOLVE = "correction.resolve"  # mark a sent-back change as corrected
ATTENDANCE_RECORD = "training.attendance"  # mark who attended a training session that has started
POSTING_UPDATE = "village.posting"  # appoint or replace a first secretary; add or end work-team members
VILLAGE_PRODUCT_UPDATE = "village.product"  # change a village's signature product
DATA_LOAD = "data.load"  # load a county's own files: divisions, boundaries, households, rosters
# Record a promotion meeting, change it, and add, change or delete its decisions (tasks). A county
# meeting's town is None, so only the admin's county scope reaches it; a town editor records their
# own town's meetings.
MEETING_RECORD = "meeting.record"
# Add a dated progress note to a meeting's task, and change its status with it. Checked against each
# place the task concerns and its meeting's town (lib.rules.meetings.may_report_progress): a town
# editor for tasks of their town's meetings or concerning their town, a village editor for tasks
# naming their village.
TASK_PROGRESS = "meeting.progress"

# action → {role: scope}. A role missing from an action's rule may not do it (leaders are in none:
# they read everything and write nothing). A new action is one line here.
RULES: dict[str, Mapping[Role, Scope]] = {
    # The admin also confirms enrolments, county-wide.
    TRAINING_ENROL: {Role.ADMIN: Scope.COUNTY, Role.TOWN_EDITOR: Scope.TOWN},
    VISIT_RECORD: {Role.TOWN_EDITOR: Scope.TOWN, Role.VILLAGE_EDITOR: Scope.VILLAGE},
    HOUSEHOLD_UPDATE: {Role.TOWN_EDITOR: Scope.TOWN, Role.VILLAGE_EDITOR: Scope.VILLAGE},
    PLAN_UPDATE: {Role.TOWN_EDITOR: Scope.TOWN, Role.VILLAGE_EDITOR: Scope.VILLAGE},
    ACCOUNTS_MANAGE: {Role.ADMIN: Scope.COUNTY},
    DATA_LOAD: {Role.ADMIN: Scope.COUNTY},
    CORRECTION_REQUEST: {Role.TOWN_EDITOR: Scope.TOWN},
    CORRECTION_RESOLVE: {Role.TOWN_EDITOR: Scope.TOWN, Role.VILLAGE_EDITOR: Scope.VILLAGE},
    ATTENDANCE_RECORD: {Role.ADMIN: Scope.COUNTY, Role.TOWN_EDITOR: Scope.TOWN},
    POSTING_UPDATE: {Role.TOWN_EDITOR: Scope.TOWN},
    VILLAGE_PRODUCT_UPDATE: {Role.TOWN_EDITOR: Scope.TOWN, Role.VILLAGE_EDITOR: Scope.VILLAGE},
    MEETING_RECORD: {Role.ADMIN: Scope.COUNTY, Role.TOWN_EDITOR: Scope.TOWN},
    TASK_PROGRESS: {
        Role.ADMIN: Scope.COUNTY,
        Role.TOWN_EDITOR: Scope.TOWN,
        Role.VILLAGE_EDITOR: Scope.VILLAGE,
    },
}


def can(
    actor: Actor | None, action: str, *, town_code: str | None = None, village_code: str | None = None
) -> bool:
    """Whether `actor` may do `action` on a record in `town_code` / `village_code`.

    Pass the record's town (and village, for village-level records): a town-scoped role needs the
    town code to match its own, a village-scoped role the village code. Missing codes refuse.
    Raises ValueError for an action not in RULES (a typo should fail loudly, not deny quietly).
    """
    rule = RULES.get(action)
    if rule is None:
        raise ValueError(f"unknown action {action!r}; add it to lib.rules.permissions.RULES")
    if actor is None:
        return False
    scope = rule.get(actor.role)
    if scope is None:
        return False
    if scope is Scope.COUNTY:
        return True
    if scope is Scope.TOWN:
        return actor.town_code is not None and town_code == actor.town_code
    return (
        actor.village_code is not None
        and village_code == actor.village_code
        and (town_code is None or town_code == actor.town_code)
    )
