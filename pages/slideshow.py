"""Slideshow (`/slideshow`): the meeting deck's slides one at a time, for the projector."""

import streamlit as st

from lib.core.i18n import t
from lib.queries import common
from lib.ui import cache, meeting, meeting_forms, shell, slideshow, widgets

filters = shell.open_page("slideshow")
if cache.query(common.towns).empty:
    widgets.page_header(t("slideshow.title"), filters)
    st.info(t("slideshow.no_data"), icon=":material/info:")
    st.stop()

stage = st.container()  # the slide first; its settings and the deck buttons under it
with st.container(horizontal=True, gap="small", vertical_alignment="center", key="slideshow_controls"):
    kinds, auto = slideshow.settings()
    meeting.deck_buttons(filters, key="slideshow")
    meeting_forms.next_steps_button(filters, as_of=meeting.as_of_date())
with stage:
    slideshow.show(filters, kinds, auto)
