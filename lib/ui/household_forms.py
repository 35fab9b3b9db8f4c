"""Household forms on /updates: a verification visit, and a household's status and exit steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import EXIT_STEPS, HOUSEHOLD_FLAGS
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import t
from lib.queries import updates
from lib.rules.permissions import RULES, VISIT_RECORD, Actor
from lib.services import households
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

# --- a verification visit ------------------------------------------------------------------

STATE_VISIT_ERRORS = "visit_errors"
STATE_VISIT_FLASH = "visit_flash"
SATISFACTION = {"yes": True, "no": False, "unknown": None}


def may_record_visits(actor: Actor) -> bool:
    """Whether the actor's role may record visits at all (the service checks the household's scope)."""

    return actor.role in RULES[VISIT_RECORD]


def visit_form(actor: Actor, *, as_of: Any) -> None:
    """Record a verification visit to a household in the actor's town or village."""
    widgets.pop_notice(STATE_VISIT_FLASH, "success", icon=":material/check_circle:")
    picked = parts.pick_household(actor, "visit")
    if picked is None:
        return
    homes, options = picked
    errors: dict[str, str] = st.session_state.get(STATE_VISIT_ERRORS, {})
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    with st.form("visit_form"):
        st.selectbox(
            t("forms.household"), list(options), format_func=options.__getitem__, key="visit_household"
        )
        parts.field_error(errors, "household_id")
        st.date_input(t("forms.visited_on"), value=as_of, max_value=as_of, key="visit_date")
        parts.field_error(errors, "visited_on")
        st.text_input(t("forms.visitor"), value=actor.display_name, key="visit_visitor", max_chars=40)
        parts.field_error(errors, "visitor_name")
        st.checkbox(t("forms.ledger_verified"), value=True, key="visit_verified")
        st.text_area(t("forms.problems"), key="visit_problems", max_chars=2000)
        parts.field_error(errors, "problems")
        labels = {key: t(f"forms.satisfied.{key}") for key in SATISFACTION}
        st.radio(
            t("forms.satisfied"),
            list(labels),
            format_func=labels.__getitem__,
            key="visit_satisfied",
            horizontal=True,
        )
        st.checkbox(t("forms.unregistered_need"), key="visit_need")
        st.form_submit_button(
            t("forms.submit"),
            type="primary",
            on_click=_submit_visit,
            args=(as_of, dict(homes.set_index("household_id")["archive_no"])),
        )


def _submit_visit(as_of: Any, archive_numbers: dict[int, str]) -> None:
    """The visit form's callback: one service call; field errors or a success line for the rerun."""

    reader.choose_language()  # callbacks run before the script, so set this user's language for the labels
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    household_id = int(state["visit_household"])
    try:
        with Session(cache.engine()) as session:
            households.record_visit(
                session,
                actor=actor,
                household_id=household_id,
                visited_on=state["visit_date"],
                visitor_name=str(state.get("visit_visitor") or ""),
                ledger_verified=bool(state.get("visit_verified")),
                problems=str(state.get("visit_problems") or "") or None,
                satisfied=SATISFACTION[state.get("visit_satisfied") or "unknown"],
                found_unregistered_need=bool(state.get("visit_need")),
                as_of=as_of,
            )
    except ValidationError as error:
        state[STATE_VISIT_ERRORS] = households.field_messages(error, t)
    except PermissionDenied:
        state[STATE_VISIT_ERRORS] = {"household_id": t("forms.not_allowed")}
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        state[STATE_VISIT_ERRORS] = {}
        state["visit_problems"] = ""
        state["visit_need"] = False
        state[STATE_VISIT_FLASH] = t("forms.saved", archive=archive_numbers.get(household_id, household_id))


# --- forms: a household's status and exit steps ---------------------------------------------------

STATE_STATUS_ERRORS = "status_errors"
STATE_STATUS_FLASH = "status_flash"
STATE_STATUS_STALE = "status_stale"
STATUSES = ("poor", "exited", "monitored")


def household_status_form(actor: Actor, *, as_of: Any) -> None:
    """Change a household's status, its exit checks and the dates of its exit steps.

    Widgets are keyed on the household and its version, so after a save — or when someone else
    saved first — the form shows the values now in the database.
    """
    widgets.pop_notice(STATE_STATUS_FLASH, "success")
    widgets.pop_notice(STATE_STATUS_STALE, "warning")
    picked = parts.pick_household(actor, "status")
    if picked is None:
        return
    _homes, options = picked
    household_id = st.selectbox(
        t("forms.household"), list(options), format_func=options.__getitem__, key="status_household"
    )
    record = cache.query(updates.household_record, household_id=int(household_id))
    if record is None:
        return
    suffix = f"{household_id}_{record['version']}"
    errors: dict[str, str] = st.session_state.get(STATE_STATUS_ERRORS, {})
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    statuses = {status: t(f"village.status.{status}") for status in STATUSES}
    with st.form("status_form"):
        st.selectbox(
            t("updates.field.status"),
            list(statuses),
            index=list(statuses).index(str(record["status"])),
            format_func=statuses.__getitem__,
            key=f"st_status_{suffix}",
        )
        parts.field_error(errors, "status")
        st.markdown(f"**{t('forms.guarantees')}**")
        columns = st.columns(3)
        for number, flag in enumerate(HOUSEHOLD_FLAGS):
            columns[number % 3].checkbox(
                t(f"updates.field.{flag}"), value=bool(record[flag]), key=f"st_{flag}_{suffix}"
            )
        parts.field_error(errors, "flags")
        st.markdown(f"**{t('forms.exit_steps')}**")
        for step in EXIT_STEPS:
            st.date_input(
                t(f"updates.field.{step}"),
                value=record[step],
                min_value=dt.date(2014, 1, 1),
                max_value=as_of,
                key=f"st_{step}_{suffix}",
            )
            parts.field_error(errors, step)
        parts.field_error(errors, "exit_steps")
        st.text_input(t("updates.field.reason"), key=f"st_reason_{suffix}", max_chars=2000)
        parts.field_error(errors, "reason")
        st.form_submit_button(
            t("forms.status_submit"),
            type="primary",
            on_click=_submit_status,
            args=(as_of, int(household_id), int(record["version"]), suffix, str(record["archive_no"])),
        )
    parts.history([("households", str(record["archive_no"]))], title_key="forms.history")


def _submit_status(as_of: Any, household_id: int, version: int, suffix: str, archive_no: str) -> None:

    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    try:
        with Session(cache.engine()) as session:
            households.update_household_status(
                session,
                actor=actor,
                household_id=household_id,
                expected_version=version,
                status=str(state[f"st_status_{suffix}"]),
                flags={flag: bool(state.get(f"st_{flag}_{suffix}")) for flag in HOUSEHOLD_FLAGS},
                exit_steps={step: state.get(f"st_{step}_{suffix}") for step in EXIT_STEPS},
                reason=str(state.get(f"st_reason_{suffix}") or "") or None,
                as_of=as_of,
            )
    except ValidationError as error:
        state[STATE_STATUS_ERRORS] = households.field_messages(error, t)
    except StaleEdit:
        state[STATE_STATUS_ERRORS] = {}
        state[STATE_STATUS_STALE] = t("forms.stale", archive=archive_no)
    except PermissionDenied:
        state[STATE_STATUS_ERRORS] = {"status": t("forms.not_allowed")}
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        state[STATE_STATUS_ERRORS] = {}
        state[STATE_STATUS_FLASH] = t("forms.status_saved", archive=archive_no)
