"""The /meetings page's pieces: pick a meeting, show it and its decisions, and the forms that record
a meeting, add a decision and note a decision's progress (lib.services.meetings).

Town editors record their town's meetings and decisions; whoever a decision concerns notes its
progress (lib.rules.meetings.may_report_progress); leaders read. Every save re-reads the account in
its callback and goes through the service, which checks again; a refusal leaves a message by the
field and changes nothing. What people typed is shown as text (dataframes, `widgets.notice`,
escaped headings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import MeetingLevel, Role, TaskMeasure, TaskStatus
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.figures import MeetingInfo, TaskStanding
from lib.core.i18n import localized, t
from lib.files import briefing
from lib.present import meetings_view as view
from lib.present.markup import escape_markdown
from lib.queries import common, updates
from lib.queries import meetings as queries
from lib.rules.meetings import may_report_progress
from lib.rules.permissions import MEETING_RECORD, RULES, TASK_PROGRESS, Actor, can
from lib.services import meetings
from lib.services.households import EARLIEST_DATE, field_messages
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

STATE_ERRORS = "meeting_errors"  # {form: {field: message}} for the form submitted last
STATE_FLASH = "meeting_flash"
STATE_WARNING = "meeting_warning"
PICKED = "mt_meeting"  # the meeting shown (its id)
PICKED_TASK = "mt_task"
NONE = ""


def may_record(actor: Actor) -> bool:
    return actor.role in RULES[MEETING_RECORD]


def may_note(actor: Actor) -> bool:
    return actor.role in RULES[TASK_PROGRESS]


def flash_messages() -> None:
    widgets.pop_notice(STATE_FLASH, "success", icon=":material/check_circle:")
    widgets.pop_notice(STATE_WARNING, "warning", icon=":material/error:")


def _errors(form: str) -> dict[str, str]:
    found: dict[str, dict[str, str]] = st.session_state.get(STATE_ERRORS, {})
    errors = found.get(form, {})
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    return errors


# --- reading ------------------------------------------------------------------------------------


def pick_meeting(filters: reader.Filters) -> MeetingInfo | None:
    """The meetings of the selected towns (and the county's), newest first, in a picker; the one
    picked (also from the link's `meeting=`), or None when there are none."""
    found = cache.query(queries.list_meetings, town_codes=list(filters.town_codes))
    if not found:
        st.info(t("meetings.page.none"), icon=":material/info:")
        return None
    by_id = {info.id: info for info in found}
    linked = reader.code_param("meeting")
    if PICKED not in st.session_state and linked.isdigit() and int(linked) in by_id:
        st.session_state[PICKED] = int(linked)
    if st.session_state.get(PICKED) not in by_id:
        st.session_state[PICKED] = found[0].id
    chosen = st.selectbox(
        t("meetings.page.pick"),
        list(by_id),
        format_func={key: view.meeting_label(info) for key, info in by_id.items()}.__getitem__,
        key=PICKED,
    )
    reader.sync_params(meeting=str(chosen))
    return by_id[int(chosen)]


def show_meeting(info: MeetingInfo) -> None:
    """The meeting's title, level, date, the units attending and the county meeting it conveys."""
    st.subheader(escape_markdown(view.meeting_title(info)), anchor=False)
    where = (
        localized(info.town_name_zh, info.town_name_en)
        if info.town_code is not None
        else t("meetings.level.county")
    )
    facts = [t("meetings.page.held", date=info.held_on.isoformat(), where=where)]
    if info.conveys is not None:
        conveyed = info.conveys
        title = (
            conveyed.name
            if conveyed.number is None
            else t("meetings.numbered", number=conveyed.number, name=conveyed.name)
        )
        facts.append(t("meetings.page.conveys", meeting=title, date=conveyed.held_on.isoformat()))
    if info.attending:
        facts.append(t("meetings.page.attending", units=info.attending))
    for line in facts:
        st.caption(escape_markdown(line))


def show_tasks(tasks: list[TaskStanding]) -> None:
    """The decisions as a table (text as typed), with where each stands and its measured progress."""
    if not tasks:
        st.caption(t("meetings.page.no_tasks"))
        return
    frame = view.tasks_frame(tasks)
    st.dataframe(
        frame[view.TASK_COLUMNS],
        hide_index=True,
        width="stretch",
        key="mt_tasks_table",
        column_config={
            "what": st.column_config.TextColumn(t("meetings.field.what"), width="large"),
            "unit": t("meetings.field.responsible_unit"),
            "places": t("meetings.field.places"),
            "deadline": st.column_config.DateColumn(t("meetings.field.deadline"), format="YYYY-MM-DD"),
            "standing": t("meetings.field.status"),
            "progress": t("meetings.page.progress"),
            "notes": st.column_config.NumberColumn(t("meetings.page.notes"), format="%d"),
        },
    )


def pick_task(tasks: list[TaskStanding]) -> TaskStanding | None:
    """A picker of the meeting's decisions (for their notes and the progress form)."""
    if not tasks:
        return None
    by_id = {task.id: task for task in tasks}
    if st.session_state.get(PICKED_TASK) not in by_id:
        st.session_state[PICKED_TASK] = tasks[0].id
    chosen = st.selectbox(
        t("meetings.page.pick_task"),
        list(by_id),
        format_func={key: view.decision_line(task) for key, task in by_id.items()}.__getitem__,
        key=PICKED_TASK,
    )
    return by_id[int(chosen)]


def show_notes(task: TaskStanding) -> None:
    notes = view.notes_frame(task)
    if notes.empty:
        st.caption(t("meetings.page.no_notes"))
        return
    st.dataframe(
        notes,
        hide_index=True,
        width="stretch",
        column_config={
            "noted_on": st.column_config.DateColumn(t("meetings.field.noted_on"), format="YYYY-MM-DD"),
            "text": st.column_config.TextColumn(t("meetings.field.text"), width="large"),
            "status": t("meetings.field.status"),
            "username": t("forms.col.user"),
        },
    )


# --- who may do what here -----------------------------------------------------------------------


def may_add_tasks(actor: Actor | None, info: MeetingInfo) -> bool:
    return can(actor, MEETING_RECORD, town_code=info.town_code)


def may_note_task(actor: Actor | None, info: MeetingInfo, task: TaskStanding) -> bool:
    return may_report_progress(
        actor,
        meeting_town_code=info.town_code,
        town_codes=[place.code for place in task.places if place.level == "town"],
        villages=[(place.town_code, place.code) for place in task.places if place.level == "village"],
    )


# --- forms --------------------------------------------------------------------------------------


def meeting_form(actor: Actor, *, as_of: dt.date) -> None:
    """Record a meeting: the admin a county meeting or any town's, a town editor their town's."""
    errors = _errors("meeting")
    towns = cache.query(common.towns)
    names = {str(row.code): localized(row.name_zh, row.name_en) for row in towns.itertuples()}
    county = cache.query(queries.list_meetings, level=MeetingLevel.COUNTY.value, until=as_of)
    conveyable = {NONE: t("meetings.page.conveys_none")} | {
        str(info.id): f"{info.held_on.isoformat()} · {view.meeting_title(info)}" for info in county
    }
    with st.form("mt_meeting_form", clear_on_submit=False):
        if actor.role == Role.ADMIN:
            levels = {level.value: t(f"meetings.level.{level.value}") for level in MeetingLevel}
            st.radio(
                t("meetings.field.level"),
                list(levels),
                format_func=levels.__getitem__,
                key="mt_level",
                horizontal=True,
                index=1,
            )
            st.selectbox(
                t("meetings.field.town_code"),
                [NONE, *names],
                key="mt_town",
                format_func=({NONE: t("meetings.page.town_none")} | names).__getitem__,
            )
            parts.field_error(errors, "level", "town_code")
        else:
            st.caption(
                escape_markdown(t("meetings.page.town_fixed", town=names.get(actor.town_code or "", "")))
            )
        st.text_input(
            t("meetings.field.name"),
            key="mt_name",
            max_chars=meetings.NAME_MAX,
            placeholder=t("meetings.page.name_hint"),
        )
        parts.field_error(errors, "name")
        st.text_input(t("meetings.field.number"), key="mt_number", help=t("meetings.page.number_help"))
        parts.field_error(errors, "number")
        st.date_input(
            t("meetings.field.held_on"),
            value=as_of,
            min_value=EARLIEST_DATE,
            max_value=as_of,
            key="mt_held_on",
        )
        parts.field_error(errors, "held_on")
        st.text_area(
            t("meetings.field.attending"), key="mt_attending", max_chars=meetings.ATTENDING_MAX, height=80
        )
        parts.field_error(errors, "attending")
        st.selectbox(
            t("meetings.field.conveys_id"),
            list(conveyable),
            format_func=conveyable.__getitem__,
            key="mt_conveys",
        )
        parts.field_error(errors, "conveys_id")
        st.form_submit_button(
            t("meetings.page.record"),
            type="primary",
            on_click=_submit_meeting,
            args=(as_of,),
            icon=":material/event:",
        )


def edit_meeting_form(info: MeetingInfo, *, as_of: dt.date) -> None:
    """Change the meeting picked (its name, number, date, units attending, the meeting it conveys;
    its level and town stay), as it was when drawn: if someone saved it since, nothing is
    overwritten and the form says so."""
    errors = _errors("meeting_edit")
    prefix = f"mt_meeting_edit_{info.id}_{info.version}"
    conveyable = {NONE: t("meetings.page.conveys_none")}
    if info.town_code is not None:
        county = cache.query(queries.list_meetings, level=MeetingLevel.COUNTY.value, until=as_of)
        conveyable |= {str(c.id): f"{c.held_on.isoformat()} · {view.meeting_title(c)}" for c in county}
    conveys = str(info.conveys.id) if info.conveys else NONE
    with st.form(prefix, clear_on_submit=False):
        st.text_input(
            t("meetings.field.name"), value=info.name, key=f"{prefix}_name", max_chars=meetings.NAME_MAX
        )
        parts.field_error(errors, "name")
        number, held_on = st.columns(2)
        number.text_input(t("meetings.field.number"), value=str(info.number or ""), key=f"{prefix}_number")
        held_on.date_input(
            t("meetings.field.held_on"),
            value=info.held_on,
            min_value=EARLIEST_DATE,
            max_value=as_of,
            key=f"{prefix}_held_on",
        )
        parts.field_error(errors, "number", "held_on")
        st.text_area(
            t("meetings.field.attending"),
            value=info.attending or "",
            key=f"{prefix}_attending",
            max_chars=meetings.ATTENDING_MAX,
            height=80,
        )
        parts.field_error(errors, "attending")
        st.selectbox(
            t("meetings.field.conveys_id"),
            list(conveyable),
            format_func=conveyable.__getitem__,
            index=list(conveyable).index(conveys) if conveys in conveyable else 0,
            key=f"{prefix}_conveys",
        )
        parts.field_error(errors, "conveys_id")
        st.text_input(t("updates.field.reason"), key=f"{prefix}_reason", max_chars=2000)
        parts.field_error(errors, "reason", "meeting_id")
        st.form_submit_button(
            t("meetings.page.save_meeting"),
            type="primary",
            on_click=_submit_meeting_edit,
            args=(info.id, info.version, as_of, prefix),
        )


def _place_choices(info: MeetingInfo) -> dict[str, str]:
    """What a decision may name: the towns for a county meeting, the town's villages for a town's."""
    if info.town_code is None:
        towns = cache.query(common.towns)
        return {str(row.code): localized(row.name_zh, row.name_en) for row in towns.itertuples()}
    villages = cache.query(updates.village_choices, town_code=info.town_code)
    return {str(row.village_code): localized(row.name_zh, row.name_en) for row in villages.itertuples()}


def _measures() -> dict[str, str]:
    return {NONE: t("meetings.page.measure_none")} | {m.value: t(f"measure.{m.value}") for m in TaskMeasure}


def task_form(info: MeetingInfo) -> None:
    """Add a decision to the meeting shown."""
    errors = _errors("task")
    places = _place_choices(info)
    places_help = t(
        "meetings.page.places_towns" if info.town_code is None else "meetings.page.places_villages"
    )
    measures = _measures()
    statuses = {s.value: view.standing_label(s.value) for s in TaskStatus}
    latest = meetings.latest_deadline(info.held_on)
    prefix = f"mt_task_{info.id}"
    with st.form(prefix, clear_on_submit=False):
        st.text_area(t("meetings.field.what"), key=f"{prefix}_what", max_chars=meetings.WHAT_MAX, height=80)
        parts.field_error(errors, "what")
        unit, person = st.columns(2)
        unit.text_input(
            t("meetings.field.responsible_unit"), key=f"{prefix}_unit", max_chars=meetings.UNIT_MAX
        )
        person.text_input(
            t("meetings.field.responsible_person"), key=f"{prefix}_person", max_chars=meetings.PERSON_MAX
        )
        parts.field_error(errors, "responsible_unit", "responsible_person")
        st.multiselect(
            t("meetings.field.places"),
            list(places),
            format_func=places.__getitem__,
            key=f"{prefix}_places",
            help=places_help,
        )
        parts.field_error(errors, "places")
        deadline, status = st.columns(2)
        deadline.date_input(
            t("meetings.field.deadline"),
            value=None,
            min_value=info.held_on,
            max_value=latest,
            key=f"{prefix}_deadline",
        )
        status.selectbox(
            t("meetings.field.status"),
            list(statuses),
            format_func=statuses.__getitem__,
            key=f"{prefix}_status",
        )
        parts.field_error(errors, "deadline", "status")
        measure, target = st.columns(2)
        measure.selectbox(
            t("meetings.field.measure"),
            list(measures),
            format_func=measures.__getitem__,
            key=f"{prefix}_measure",
        )
        target.number_input(
            t("meetings.page.target_percent"),
            min_value=1,
            max_value=100,
            value=100,
            step=1,
            key=f"{prefix}_target",
        )
        parts.field_error(errors, "measure", "target", "meeting_id")
        st.form_submit_button(
            t("meetings.page.add_task"),
            type="primary",
            on_click=_submit_task,
            args=(info.id, info.town_code is None, prefix),
            icon=":material/add_task:",
        )


def edit_task_form(info: MeetingInfo, task: TaskStanding) -> None:
    """Change or delete the decision picked, as it was when drawn (its version): if someone saved it
    since, nothing is overwritten and the form says so."""
    errors = _errors("edit")
    places = _place_choices(info)
    measures = _measures()
    statuses = {s.value: view.standing_label(s.value) for s in TaskStatus}
    prefix = f"mt_edit_{task.id}_{task.version}"
    args = (task.id, task.version, info.town_code is None, prefix)
    with st.form(prefix, clear_on_submit=False):
        st.text_area(
            t("meetings.field.what"),
            value=task.what,
            key=f"{prefix}_what",
            max_chars=meetings.WHAT_MAX,
            height=80,
        )
        parts.field_error(errors, "what")
        unit, person = st.columns(2)
        unit.text_input(
            t("meetings.field.responsible_unit"),
            value=task.responsible_unit,
            key=f"{prefix}_unit",
            max_chars=meetings.UNIT_MAX,
        )
        person.text_input(
            t("meetings.field.responsible_person"),
            value=task.responsible_person or "",
            key=f"{prefix}_person",
            max_chars=meetings.PERSON_MAX,
        )
        parts.field_error(errors, "responsible_unit", "responsible_person")
        st.multiselect(
            t("meetings.field.places"),
            list(places),
            format_func=places.__getitem__,
            default=[p.code for p in task.places if p.code in places],
            key=f"{prefix}_places",
        )
        parts.field_error(errors, "places")
        deadline, status = st.columns(2)
        deadline.date_input(
            t("meetings.field.deadline"),
            value=task.deadline,
            min_value=info.held_on,
            max_value=meetings.latest_deadline(info.held_on),
            key=f"{prefix}_deadline",
        )
        status.selectbox(
            t("meetings.field.status"),
            list(statuses),
            format_func=statuses.__getitem__,
            index=list(statuses).index(task.status),
            key=f"{prefix}_status",
        )
        parts.field_error(errors, "deadline", "status")
        measure, target = st.columns(2)
        measure.selectbox(
            t("meetings.field.measure"),
            list(measures),
            format_func=measures.__getitem__,
            index=list(measures).index(task.measure or NONE),
            key=f"{prefix}_measure",
        )
        target.number_input(
            t("meetings.page.target_percent"),
            min_value=1,
            max_value=100,
            step=1,
            value=round((task.target or 1.0) * 100),
            key=f"{prefix}_target",
        )
        parts.field_error(errors, "measure", "target")
        st.text_input(t("updates.field.reason"), key=f"{prefix}_reason", max_chars=2000)
        parts.field_error(errors, "reason", "task_id")
        with st.container(horizontal=True):
            st.form_submit_button(
                t("meetings.page.save_task"), type="primary", on_click=_submit_edit, args=(*args, False)
            )
            st.form_submit_button(
                t("meetings.page.delete_task"),
                icon=":material/delete:",
                on_click=_submit_edit,
                args=(*args, True),
            )


def note_form(task: TaskStanding, *, as_of: dt.date, held_on: dt.date) -> None:
    """Note a decision's progress, and optionally set its status."""
    errors = _errors("note")
    statuses = {NONE: t("meetings.page.status_keep")} | {
        s.value: view.standing_label(s.value) for s in TaskStatus
    }
    prefix = f"mt_note_{task.id}"
    with st.form(prefix, clear_on_submit=False):
        st.date_input(
            t("meetings.field.noted_on"), value=as_of, min_value=held_on, max_value=as_of, key=f"{prefix}_on"
        )
        parts.field_error(errors, "noted_on")
        st.text_area(t("meetings.field.text"), key=f"{prefix}_text", max_chars=meetings.NOTE_MAX, height=80)
        parts.field_error(errors, "text")
        st.selectbox(
            t("meetings.field.status"),
            list(statuses),
            format_func=statuses.__getitem__,
            key=f"{prefix}_status",
        )
        parts.field_error(errors, "status", "task_id")
        st.form_submit_button(
            t("meetings.page.add_note"),
            type="primary",
            on_click=_submit_note,
            args=(task.id, task.version, as_of, prefix),
            icon=":material/note_add:",
        )


# --- the slideshow's "problems and next steps" saved as a new meeting's decisions -------------------


def _next_meeting_scope(filters: reader.Filters) -> tuple[str, str | None] | None:
    """(level, town) of the meeting the selection's next steps belong to: one town's own, or the
    county's for the whole county; None for several towns (no one meeting holds them)."""
    if not filters.town_codes:
        return MeetingLevel.COUNTY.value, None
    if len(filters.town_codes) == 1:
        return MeetingLevel.TOWN.value, filters.town_codes[0]
    return None


def next_steps_button(filters: reader.Filters, *, as_of: dt.date) -> None:
    """For someone who may record the selection's meeting: one button that records a meeting
    dated the data's date with the problems slide's lines as its decisions (one transaction)."""
    flash_messages()
    scope = _next_meeting_scope(filters)
    actor = signed_in.current_actor()
    if scope is None or actor is None or not can(actor, MEETING_RECORD, town_code=scope[1]):
        return
    st.button(
        t("meetings.next.save"),
        key="slideshow_save_next_steps",
        icon=":material/playlist_add_check:",
        help=t("meetings.next.help", date=as_of.isoformat()),
        on_click=_submit_next_steps,
        args=(scope[0], scope[1], as_of),
    )


def _submit_next_steps(level: str, town: str | None, as_of: dt.date) -> None:
    lang = reader.choose_language()  # callbacks run before the script: this user's language
    actor = signed_in.current_actor()
    names = reader.all_town_names()
    try:
        with Session(cache.engine()) as session:
            steps = briefing.next_steps(session, town_codes=[town] if town else None, as_of=as_of, lang=lang)
            tasks = [
                meetings.NewTask(
                    what=step.what,
                    responsible_unit=t(
                        "meetings.next.unit_villages" if step.village_codes else "meetings.next.unit_towns"
                    ),
                    town_codes=step.town_codes if town is None else (),
                    village_codes=step.village_codes,
                    measure=step.measure,
                    target=step.target,
                )
                for step in steps
            ]
            meetings.record_meeting_with_tasks(
                session,
                actor=actor,
                level=level,
                town_code=town,
                name=t("meetings.next.name", place=names.get(town, "") if town else t("app.county")),
                number=None,
                held_on=as_of,
                attending=None,
                tasks=tasks,
                as_of=as_of,
            )
    except ValidationError as error:
        st.session_state[STATE_WARNING] = "; ".join(field_messages(error, t).values())
    except (StaleEdit, PermissionDenied) as error:
        _refused("next", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.next.saved", n=len(tasks)))


# --- callbacks: one service call each; errors, a warning or a success line for the rerun ----------


def _text(key: str) -> str:
    return str(st.session_state.get(key) or "")


def _number(raw: str) -> int | str | None:
    """The number as typed: a whole number, None when blank, else the text (the service refuses it)."""
    text = raw.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else text


def _saved(message: str) -> None:
    st.session_state[STATE_ERRORS] = {}
    st.session_state[STATE_FLASH] = message


def _refused(form: str, error: Exception, *, stale: str = "meetings.page.stale") -> None:
    state = st.session_state
    if isinstance(error, ValidationError):
        state[STATE_ERRORS] = {form: field_messages(error, t)}
    elif isinstance(error, StaleEdit):
        state[STATE_ERRORS] = {}
        state[STATE_WARNING] = t(stale)
    else:
        state[STATE_ERRORS] = {}
        state[STATE_WARNING] = t("meetings.page.not_allowed")


def _submit_meeting(as_of: dt.date) -> None:
    reader.choose_language()  # callbacks run before the script: this user's language for the labels
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    if actor is not None and actor.role == Role.ADMIN:
        level = str(state.get("mt_level") or MeetingLevel.TOWN.value)
        town: str | None = str(state.get("mt_town") or "") or None
    else:
        level, town = MeetingLevel.TOWN.value, actor.town_code if actor else None
    conveys = str(state.get("mt_conveys") or "")
    try:
        with Session(cache.engine()) as session:
            new_id = meetings.record_meeting(
                session,
                actor=actor,
                level=level,
                town_code=town,
                name=_text("mt_name"),
                number=_number(_text("mt_number")),  # type: ignore[arg-type]  # the service refuses text
                held_on=state.get("mt_held_on"),  # type: ignore[arg-type]
                attending=_text("mt_attending") or None,
                conveys_id=int(conveys) if conveys else None,
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("meeting", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.page.meeting_saved"))
        state[PICKED] = new_id
        for key in ("mt_name", "mt_number", "mt_attending"):
            state[key] = ""


def _submit_meeting_edit(meeting_id: int, version: int, as_of: dt.date, prefix: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()
    state = st.session_state
    conveys = str(state.get(f"{prefix}_conveys") or "")
    try:
        with Session(cache.engine()) as session:
            meetings.update_meeting(
                session,
                actor=actor,
                meeting_id=meeting_id,
                expected_version=version,
                name=_text(f"{prefix}_name"),
                number=_number(_text(f"{prefix}_number")),  # type: ignore[arg-type]  # the service refuses text
                held_on=state.get(f"{prefix}_held_on"),  # type: ignore[arg-type]
                attending=_text(f"{prefix}_attending") or None,
                conveys_id=int(conveys) if conveys else None,
                reason=_text(f"{prefix}_reason") or None,
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("meeting_edit", error, stale="meetings.page.meeting_stale")
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.page.meeting_changed"))


def _task_fields(prefix: str, *, county: bool) -> dict[str, Any]:
    """A decision form's fields as typed (the add and the change forms share them); the service
    checks them. A county meeting's decision names towns, a town meeting's names villages."""
    state = st.session_state
    places = [str(code) for code in state.get(f"{prefix}_places") or []]
    measure = str(state.get(f"{prefix}_measure") or "") or None
    return {
        "what": _text(f"{prefix}_what"),
        "responsible_unit": _text(f"{prefix}_unit"),
        "responsible_person": _text(f"{prefix}_person") or None,
        "deadline": state.get(f"{prefix}_deadline"),
        "town_codes": places if county else (),
        "village_codes": () if county else places,
        "measure": measure,
        "target": float(state.get(f"{prefix}_target") or 100) / 100 if measure else None,
        "status": str(state.get(f"{prefix}_status") or TaskStatus.NOT_STARTED.value),
    }


def _submit_task(meeting_id: int, county: bool, prefix: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()
    state = st.session_state
    try:
        with Session(cache.engine()) as session:
            meetings.add_task(
                session, actor=actor, meeting_id=meeting_id, **_task_fields(prefix, county=county)
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("task", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.page.task_saved"))
        for key in ("what", "unit", "person"):
            state[f"{prefix}_{key}"] = ""
        state[f"{prefix}_places"] = []


def _submit_edit(task_id: int, version: int, county: bool, prefix: str, delete: bool) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()
    reason = _text(f"{prefix}_reason") or None
    try:
        with Session(cache.engine()) as session:
            if delete:
                meetings.delete_task(
                    session, actor=actor, task_id=task_id, expected_version=version, reason=reason
                )
            else:
                meetings.update_task(
                    session,
                    actor=actor,
                    task_id=task_id,
                    expected_version=version,
                    reason=reason,
                    **_task_fields(prefix, county=county),
                )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("edit", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.page.task_deleted" if delete else "meetings.page.task_changed"))


def _submit_note(task_id: int, version: int, as_of: dt.date, prefix: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()
    state = st.session_state
    status: Any = str(state.get(f"{prefix}_status") or "") or None
    try:
        with Session(cache.engine()) as session:
            meetings.add_progress_note(
                session,
                actor=actor,
                task_id=task_id,
                noted_on=state.get(f"{prefix}_on"),  # type: ignore[arg-type]
                text=_text(f"{prefix}_text"),
                status=status,
                expected_version=version if status else None,
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("note", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("meetings.page.note_saved"))
        state[f"{prefix}_text"] = ""
