"""The meeting deck: the current selection's slides (lib.files.briefing), cached on the data version,
and the buttons that download them as PowerPoint (lib.files.deck) and as a printable brief (lib.files.brief).

The slideshow shows the same slides, so the room sees what the deck holds.
"""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core.i18n import get_language, t
from lib.files import brief, briefing, deck
from lib.files.briefing import Slide
from lib.present.common import parse_as_of
from lib.services import snapshots
from lib.ui import cache, reader, widgets

LOG = logging.getLogger(__name__)


def as_of_date() -> dt.date:
    """The data's "as of" date (today when the database does not say)."""
    return parse_as_of(widgets.as_of())


def slides(filters: reader.Filters) -> list[Slide]:
    """The selection's slides in the current language, built once per data version; their
    pictures are rendered when shown or downloaded (lib.files.export renders one at a time)."""
    return cache.query(
        briefing.build_slides, town_codes=list(filters.town_codes), as_of=as_of_date(), lang=get_language()
    )


def _deck(filters: reader.Filters, lang: str) -> bytes:
    """The deck's bytes; making it keeps today's figures as a meeting's (`take_snapshot`), so the
    next meeting can say what changed since. Keeping them never stops the download."""
    try:
        with Session(cache.engine()) as session:
            snapshots.take_snapshot(session, taken_on=dt.date.today(), reason=snapshots.MEETING)
    except SQLAlchemyError:
        LOG.exception("could not keep the meeting's figures")
    return deck.deck_bytes(slides(filters), lang=lang)


def deck_buttons(filters: reader.Filters, *, key: str) -> None:
    """Two buttons: the meeting deck (.pptx) and the printable brief (.html), built when clicked;
    none on the projector (presentation mode)."""
    if reader.presenting():
        return
    lang = get_language()
    as_of = as_of_date().isoformat()
    with st.container(horizontal=True, gap="small", key=f"{key}_meeting"):
        st.download_button(
            t("meeting.deck"),
            data=cache.in_current_language(lambda: _deck(filters, lang)),
            file_name=deck.file_name(as_of=as_of, lang=lang),
            mime=deck.PPTX_MIME,
            key=f"{key}_deck",
            help=t("meeting.deck_help"),
            on_click="ignore",
            icon=":material/slideshow:",
        )
        st.download_button(
            t("meeting.brief"),
            data=cache.in_current_language(lambda: brief.brief_html(slides(filters), lang=lang)),
            file_name=brief.file_name(as_of=as_of, lang=lang),
            mime=brief.HTML_MIME,
            key=f"{key}_brief",
            help=t("meeting.brief_help"),
            on_click="ignore",
            icon=":material/print:",
        )
