"""The slideshow (/slideshow): the meeting deck's slides one at a time, for the projector.

The slides are lib.files.briefing's (lib/ui/meeting.py caches them on the data version), so the room
sees what the downloaded deck holds. Next/previous buttons answer the arrow keys (st.button's
`shortcut`); an optional interval turns the slides in a fragment (`st.fragment(run_every=…)`),
and each new round reads the data version again, so an update saved meanwhile shows up then.
"""

from __future__ import annotations

import datetime as dt
import html
import time

import streamlit as st

from lib.core.i18n import t
from lib.files import export
from lib.files.briefing import Slide
from lib.present.markup import escape_markdown, t_md
from lib.ui import cache, meeting, reader

KINDS = (
    "decisions",
    "title",
    "overview",
    "ranking",
    "funnel",
    "map",
    "training",
    "industry",
    "assessment",
    "problems",
    "town",
)
AUTO_SECONDS = ("0", "15", "30", "60", "120")
STATE_INDEX = "slideshow_index"
STATE_KINDS = "slideshow_kinds"
STATE_AUTO = "slideshow_auto"
STATE_TURNED = "slideshow_turned"  # time.monotonic() of the last turn, for the interval
STATE_READ_AT = "slideshow_read_at"  # when this round read the data ("HH:MM:SS")

# The picture takes what a 720 px projector has left under the slide's title row, subtitle, note,
# source line and the settings button (about 330 px); a taller screen gets a taller picture.
PICTURE_ROOM = "calc(100vh - 300px)"
LONG_FACTS = 320  # characters of key figures past which they get 3/7 of the slide's width, not 2/5

STYLE = f"""<style>
.st-key-slide_picture img {{
  max-height: max(260px, {PICTURE_ROOM}); width: auto !important; max-width: 100%; object-fit: contain;
}}
.slide-bullets {{ margin: 0.2rem 0 0 1.1rem; padding: 0; }}
.slide-bullets li {{ margin: 0 0 0.45rem 0; }}
.slide-bullets.slide-agenda {{ columns: 2; column-gap: 3rem; }}
.slide-bullets.slide-agenda li {{ break-inside: avoid; }}
.slide-position {{ text-align: center; font-weight: 600; padding-top: 0.35rem; }}
.st-key-slide_footer {{ row-gap: 0; column-gap: 1.5rem; }}
</style>"""

# On the projector: the key figures a little smaller than body text, and the settings and deck
# buttons (under the slide) hidden: the sequence and interval come with the link (`slides`, `auto`)
# and are set before the meeting, off the projector.
PROJECTOR_STYLE = """<style>
.slide-bullets li { font-size: 20px; line-height: 1.3; margin-bottom: 0.3rem; }
.st-key-slideshow_controls { display: none !important; }
</style>"""


def kind_of(slide: Slide) -> str:
    return slide.key.split(":", 1)[0]


def settings() -> tuple[list[str], int]:
    """The kinds of slide to show and the interval in seconds (0 = turn by hand), from a popover.

    Both start from the query parameters `slides` (comma-separated kinds) and `auto`.
    """
    if STATE_KINDS not in st.session_state:
        wanted = [kind for kind in (st.query_params.get("slides") or "").split(",") if kind in KINDS]
        st.session_state[STATE_KINDS] = wanted or list(KINDS)
    reader.state_from_param(STATE_AUTO, "auto", AUTO_SECONDS, default="0")
    kind_labels = {kind: t(f"slideshow.kind.{kind}") for kind in KINDS}
    auto_labels = {
        value: t("slideshow.auto_off") if value == "0" else t("slideshow.seconds", n=int(value))
        for value in AUTO_SECONDS
    }
    with st.popover(t("slideshow.settings"), icon=":material/tune:"):
        st.multiselect(
            t("slideshow.sequence"), list(KINDS), format_func=kind_labels.__getitem__, key=STATE_KINDS
        )
        st.selectbox(
            t("slideshow.auto"), list(AUTO_SECONDS), format_func=auto_labels.__getitem__, key=STATE_AUTO
        )
        st.caption(t("slideshow.keys"))
    kinds = [kind for kind in KINDS if kind in st.session_state[STATE_KINDS]]
    auto = str(st.session_state[STATE_AUTO])
    reader.sync_params(slides=",".join(kinds), auto=auto)
    return kinds, int(auto)


def turn(step: int) -> None:
    """A button's callback: the next (+1) or previous (−1) slide; wrapping starts a new round."""
    reader.choose_language()
    st.session_state[STATE_INDEX] = int(st.session_state.get(STATE_INDEX, 0)) + step
    st.session_state[STATE_TURNED] = time.monotonic()


def show(filters: reader.Filters, kinds: list[str], auto: int) -> None:
    """The current slide with its controls; re-run every `auto` seconds when that is not 0."""
    st.html(STYLE)
    if reader.presenting():
        st.html(PROJECTOR_STYLE)

    @st.fragment(run_every=auto or None)
    def stage() -> None:
        reader.choose_language()  # a fragment rerun skips app.py, so restore this user's language
        now = time.monotonic()
        if auto and now - float(st.session_state.get(STATE_TURNED, now)) >= auto - 0.5:
            turn(+1)
        st.session_state.setdefault(STATE_TURNED, now)
        index = int(st.session_state.get(STATE_INDEX, 0))
        if STATE_READ_AT not in st.session_state or index < 0 or index >= _count(filters, kinds):
            cache.refresh_data_version()  # a new round: read the data again
            st.session_state[STATE_READ_AT] = dt.datetime.now().strftime("%H:%M:%S")
        with st.spinner(t("slideshow.building")):
            shown = [slide for slide in meeting.slides(filters) if kind_of(slide) in kinds]
        if not shown:
            st.info(t("slideshow.empty"), icon=":material/info:")
            return
        index %= len(shown)
        st.session_state[STATE_INDEX] = index
        slide = shown[index]
        _slide(slide, index, len(shown))
        # The source and when this round read the data, on one line when they fit.
        with st.container(horizontal=True, key="slide_footer"):
            st.caption(escape_markdown(slide.source), width="content")
            as_of = meeting.as_of_date().isoformat()
            st.caption(
                t_md("slideshow.as_of", date=as_of, time=st.session_state[STATE_READ_AT]), width="content"
            )

    stage()


def _count(filters: reader.Filters, kinds: list[str]) -> int:
    return sum(1 for slide in meeting.slides(filters) if kind_of(slide) in kinds)


@st.cache_data(show_spinner=False, max_entries=64)
def _png(spec: str) -> bytes:
    """The slide's picture, rendered once per chart (the spec holds the data it shows)."""
    return export.spec_png(spec)


def _slide(slide: Slide, index: int, total: int) -> None:
    """The slide's title beside the controls, then its picture and figures (the stage adds the source)."""
    heading, previous, position, following = st.columns([5, 1.6, 1.3, 1.6], vertical_alignment="center")
    heading.header(escape_markdown(slide.title), anchor=False)  # a town slide's title is its name
    previous.button(
        t("slideshow.previous"),
        key="slide_previous",  # no icon: Streamlit writes the shortcut's arrow after the label
        on_click=turn,
        args=(-1,),
        shortcut="ArrowLeft",
        width="stretch",
    )
    position.html(
        f'<div class="slide-position" data-testid="slide-position">'
        f"{html.escape(t('slideshow.position', n=index + 1, total=total))}</div>"
    )
    following.button(
        t("slideshow.next"),
        key="slide_next",
        on_click=turn,
        args=(+1,),
        shortcut="ArrowRight",
        width="stretch",
        type="primary",
    )
    st.caption(escape_markdown(slide.subtitle))
    bullets = "".join(f"<li>{html.escape(line)}</li>" for line in slide.bullets)
    # A slide of text alone (the title slide's agenda) in two columns, so a long list fits the screen.
    kind = "slide-bullets slide-agenda" if slide.spec is None and len(slide.bullets) > 6 else "slide-bullets"
    listing = f'<ul class="{kind}" data-testid="slide-bullets">{bullets}</ul>' if bullets else ""
    if slide.spec is None:
        if listing:
            st.html(listing)
    else:
        long_facts = sum(len(line) for line in slide.bullets) > LONG_FACTS
        picture, facts = st.columns([4, 3] if long_facts else [3, 2], gap="large")
        with picture, st.container(key="slide_picture"):
            st.image(_png(slide.spec), caption=escape_markdown(slide.note) if slide.note else None)
        if listing:
            facts.html(listing)
