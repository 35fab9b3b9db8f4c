"""Training attendance on /updates: tick who came to a session that has started, add walk-ins."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import AttendanceStatus, Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import localized, t
from lib.present.markup import t_md
from lib.queries import staff_forms
from lib.rules.permissions import ATTENDANCE_RECORD, RULES, Actor
from lib.services import training
from lib.services.households import field_messages
from lib.ui import cache, reader, signed_in, widgets

STATE_ERRORS = "attendance_errors"
STATE_FLASH = "attendance_flash"
STATE_STALE = "attendance_stale"


def may_record_attendance(actor: Actor) -> bool:
    """Whether the actor's role may record attendance at all (the service checks each person's town)."""
    return actor.role in RULES[ATTENDANCE_RECORD]


def _place(row: Any) -> str:
    village = localized(row.village_name_zh, row.village_name_en)
    town = localized(row.town_name_zh, row.town_name_en)
    return t("attendance.place", village=village, town=town) if village else t("attendance.no_post")


def _field_errors(errors: dict[str, str], match: Any) -> None:
    for field, message in errors.items():
        if match(field):
            widgets.notice("error", message, icon=":material/error:")


def attendance_form(actor: Actor, *, as_of: Any) -> None:
    """Choose a session that has started and tick who attended; town editors see their town's people.

    Each tick box is keyed on the person's status, so after a save — or when someone else saved
    first — the roster shows the statuses now in the database.
    """
    widgets.pop_notice(STATE_FLASH, "success")
    widgets.pop_notice(STATE_STALE, "warning")
    sessions = cache.query(staff_forms.started_sessions, as_of=as_of)
    if sessions.empty:
        st.info(t("attendance.no_sessions"))
        return
    labels = {
        int(row.session_id): t(
            "attendance.session_option",
            programme=localized(row.programme_zh, row.programme_en),
            phase=int(row.phase),
            place=localized(row.place_zh, row.place_en),
            start=row.start_date.isoformat(),
            end=row.end_date.isoformat(),
        )
        for row in sessions.itertuples()
    }
    session_id = int(
        st.selectbox(t("attendance.session"), list(labels), format_func=labels.__getitem__, key="att_session")
    )
    town = actor.town_code if actor.role == Role.TOWN_EDITOR else None
    roster = cache.query(staff_forms.session_roster, session_id=session_id, town_code=town)
    candidates = cache.query(staff_forms.walk_in_candidates, session_id=session_id, town_code=town)
    attended = int((roster["status"] == AttendanceStatus.ATTENDED.value).sum())
    st.caption(t("attendance.counts", attended=attended, n=len(roster)))
    if roster.empty and candidates.empty:
        st.info(t("attendance.roster_empty"))
        return
    errors: dict[str, str] = st.session_state.get(STATE_ERRORS, {})
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    expected: dict[int, str] = {}
    keys: dict[int, str] = {}
    people = {int(row.cadre_id): str(row.name) for row in roster.itertuples()}
    with st.form("attendance_form"):
        st.caption(t("attendance.tick_help"))
        for row in roster.itertuples():
            cadre_id, status = int(row.cadre_id), str(row.status)
            expected[cadre_id] = status
            keys[cadre_id] = f"att_{session_id}_{cadre_id}_{status}"
            st.checkbox(
                t_md(
                    "attendance.roster_option",
                    name=row.name,
                    place=_place(row),
                    status=t(f"attendance.status.{status}"),
                ),
                value=status == AttendanceStatus.ATTENDED.value,
                key=keys[cadre_id],
            )
            _field_errors(errors, f"cadre_{cadre_id}".__eq__)
        _field_errors(errors, lambda field: field in ("marks", "session_id"))
        names = {int(row.cadre_id): f"{row.name} · {_place(row)}" for row in candidates.itertuples()}
        st.multiselect(
            t("attendance.walk_ins"),
            list(names),
            format_func=names.__getitem__,
            key=f"att_walkins_{session_id}",
            help=t("attendance.walk_ins_help"),
        )
        _field_errors(errors, lambda field: field.startswith("walk_in"))
        st.text_input(t("updates.field.reason"), key=f"att_reason_{session_id}", max_chars=2000)
        _field_errors(errors, "reason".__eq__)
        st.form_submit_button(
            t("attendance.submit"),
            type="primary",
            on_click=_submit,
            args=(as_of, session_id, expected, keys, people),
        )


def _submit(
    as_of: Any,
    session_id: int,
    expected: dict[int, str],
    keys: dict[int, str],
    people: dict[int, str],
) -> None:
    """The form's callback: one service call; field errors, a stale warning or a success line."""
    reader.choose_language()  # callbacks run before the script, so set this user's language for the labels
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    attended, absent = AttendanceStatus.ATTENDED.value, AttendanceStatus.ABSENT.value
    marks = {cadre_id: attended if state.get(key) else absent for cadre_id, key in keys.items()}
    walk_ins_key, reason_key = f"att_walkins_{session_id}", f"att_reason_{session_id}"
    walk_ins = [int(cadre_id) for cadre_id in state.get(walk_ins_key) or []]
    try:
        with Session(cache.engine()) as session:
            changed = training.record_attendance(
                session,
                actor=actor,
                session_id=session_id,
                marks=marks,
                expected=expected,
                walk_ins=walk_ins,
                as_of=as_of,
                reason=str(state.get(reason_key) or "") or None,
            )
    except ValidationError as error:
        state[STATE_ERRORS] = field_messages(error, t)
    except StaleEdit as stale:
        now = (stale.current or {}).get("statuses", {})
        changes = [
            t(
                "attendance.changed",
                name=name,
                old=t(f"attendance.status.{expected.get(cadre_id) or 'none'}"),
                new=t(f"attendance.status.{now.get(cadre_id) or 'none'}"),
            )
            for cadre_id, name in people.items()
            if now.get(cadre_id) != expected.get(cadre_id)
        ]
        state[STATE_ERRORS] = {}
        state[STATE_STALE] = t("attendance.stale", changes="; ".join(changes) or "—")
    except PermissionDenied:
        state[STATE_ERRORS] = {"session_id": t("attendance.not_allowed")}
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        state[STATE_ERRORS] = {}
        state[walk_ins_key] = []
        state[reason_key] = ""
        state[STATE_FLASH] = t("attendance.saved", n=changed)


STATE_TRAINING_FLASH = "training_flash"


def confirm_enrolments(proposal: Any, *, as_of: Any) -> None:
    """Let a signed-in user who may enrol these secretaries confirm the proposal (their part of it).

    The service checks the permission again and validates capacity; on success every view
    refreshes (the data version moved) and the outcome is shown after the rerun.
    """
    from lib.core.errors import PermissionDenied, ValidationError
    from lib.rules.permissions import TRAINING_ENROL, can
    from lib.services import training as training_service

    widgets.pop_notice(STATE_TRAINING_FLASH, "success", icon=":material/check_circle:")
    actor = signed_in.current_actor()
    if actor is None:
        st.info(t("training.sign_in_to_confirm"), icon=":material/lock:")
        return
    mine = proposal[[can(actor, TRAINING_ENROL, town_code=code) for code in proposal["town_code"]]]
    if mine.empty:
        st.warning(t("training.not_allowed"), icon=":material/lock:")
        return
    if len(mine) < len(proposal):
        st.caption(t("training.confirm_partial", n=len(mine), total=len(proposal)))
    with st.form("confirm_enrolments"):
        reason = st.text_input(t("training.confirm_reason"), max_chars=200)
        submitted = st.form_submit_button(f"{t('training.confirm')} ({len(mine)})", type="primary")
    if not submitted:
        return
    allocations = list(zip(mine["cadre_id"], mine["session_id"], strict=True))
    try:
        with Session(cache.engine()) as session:
            count = training_service.enrol(
                session, actor=actor, allocations=allocations, as_of=as_of, reason=reason.strip() or None
            )
    except ValidationError as error:
        widgets.notice("error", "\n\n".join(error.messages(t).values()), icon=":material/error:")
    except PermissionDenied:
        st.error(t("training.not_allowed"), icon=":material/lock:")
    except Exception as exc:
        cache.save_failed(exc)
        st.rerun()
    else:
        st.session_state[STATE_TRAINING_FLASH] = t("training.confirmed", n=count)
        st.rerun()
