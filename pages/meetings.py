"""Meetings (`/meetings`): promotion meetings, their decisions and where each stands.

Town editors record their town's meetings and decisions, whoever a decision concerns notes its
progress, leaders read (lib/ui/meeting_forms.py; every save goes through lib.services.meetings).
"""

import streamlit as st

from lib.core.i18n import t
from lib.present.common import parse_as_of
from lib.queries import meetings
from lib.ui import cache, shell, signed_in, widgets
from lib.ui import meeting_forms as forms

filters = shell.open_page("meetings")
widgets.page_header(t("meetings.page.title"), filters)
actor = signed_in.current_actor()
as_of = parse_as_of(widgets.as_of())
forms.flash_messages()

info = forms.pick_meeting(filters)
if info is not None:
    forms.show_meeting(info)
    tasks = cache.query(meetings.meeting_tasks, meeting_id=info.id, as_of=as_of)
    forms.show_tasks(tasks)
    task = forms.pick_task(tasks)
    if task is not None:
        forms.show_notes(task)
        if forms.may_note_task(actor, info, task):
            with st.expander(t("meetings.page.note_title"), icon=":material/note_add:"):
                forms.note_form(task, as_of=as_of, held_on=info.held_on)
    if task is not None and forms.may_add_tasks(actor, info):
        with st.expander(t("meetings.page.edit_title"), icon=":material/edit:"):
            forms.edit_task_form(info, task)
    if forms.may_add_tasks(actor, info):
        with st.expander(t("meetings.page.task_title"), icon=":material/add_task:", expanded=not tasks):
            forms.task_form(info)
        with st.expander(t("meetings.page.meeting_edit_title"), icon=":material/edit_calendar:"):
            forms.edit_meeting_form(info, as_of=as_of)

st.divider()
if actor is None:
    st.info(t("meetings.page.sign_in"), icon=":material/lock:")
elif not forms.may_record(actor):
    st.info(t("meetings.page.read_only"), icon=":material/info:")
else:
    with st.expander(t("meetings.page.meeting_title"), icon=":material/event:", expanded=info is None):
        forms.meeting_form(actor, as_of=as_of)
