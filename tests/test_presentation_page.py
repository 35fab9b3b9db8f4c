"""Presentation mode and the slideshow under AppTest, in both languages, on the hand-worked county."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from lib.ui import presentation

SLIDESHOW = "pages/slideshow.py"
TOWN_A, TOWN_B = "349901100", "349901101"
A1, A2 = "349901100201", "349901100202"

AppFactory = Callable[..., AppTest]


def _param(at: AppTest, key: str) -> list[str]:
    if key not in at.query_params:
        return []
    value = at.query_params[key]
    return [value] if isinstance(value, str) else list(value)


def _html(at: AppTest) -> str:
    return "\n".join(str(element.proto.body) for element in at.get("html"))


def _buttons(at: AppTest) -> dict[str, str]:
    return {button.key: button.label for button in at.button if button.key}


@pytest.mark.parametrize(
    ("lang", "leave", "scope"),
    [("zh", "退出演示", "全部 3 个乡镇"), ("en", "Leave presentation", "All 3 towns")],
)
def test_presentation_mode_from_the_link(
    open_app: AppFactory, hand_sqlite_url: str, lang: str, leave: str, scope: str
) -> None:
    """`present=1` injects the large-type styles, shows the scope as a title line and a way out."""
    at = open_app(hand_sqlite_url, lang=lang, present="1", theme="dark")
    assert not at.exception
    styles = _html(at)
    assert '[data-testid="stSidebar"]' in styles and "display: none" in styles
    assert f"font-size: {presentation.BODY_PX}px" in styles
    assert presentation.PALETTES["dark"]["paper"] in styles
    assert 'data-testid="present-scope"' in styles and scope in styles
    assert _buttons(at)["present_leave"] == leave
    assert _param(at, "present") == ["1"] and _param(at, "theme") == ["dark"]


def test_entering_and_leaving_presentation_mode(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, lang="en")
    assert "present-scope" not in _html(at)
    assert _param(at, "present") == []
    at.sidebar.button(key="present_enter").click().run()
    assert "present-scope" in _html(at)
    assert _param(at, "present") == ["1"] and _param(at, "theme") == ["light"]
    at.button(key="present_theme_toggle").click().run()
    assert _param(at, "theme") == ["dark"]
    at.button(key="present_leave").click().run()
    assert "present-scope" not in _html(at)
    assert _param(at, "present") == [] and _param(at, "theme") == []
    assert at.title[0].value == "County overview"


def test_village_filter_lists_the_chosen_towns_villages_and_narrows_the_map(
    open_app: AppFactory, hand_sqlite_url: str
) -> None:
    at = open_app(hand_sqlite_url, lang="en")
    assert len(at.sidebar.multiselect) == 1  # no town chosen: no village filter
    at.sidebar.multiselect[0].select(TOWN_A).run()
    villages = at.sidebar.multiselect[1]
    assert villages.value == []  # all of the town's villages
    assert set(villages.options) >= {"A1 Village · Jia Town", "A2 Village · Jia Town"}
    assert all("Jia Town" in option for option in villages.options)
    villages.select(A1).run()
    assert _param(at, "village") == [A1]
    assert "1 village chosen" in at.caption[0].value


def test_village_filter_from_the_link_narrows_the_map(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, page="pages/map.py", lang="en", town=TOWN_A, village=[A1])
    assert not at.exception
    assert at.sidebar.multiselect[1].value == [A1]
    assert list(at.selectbox(key="map_pick").options) == ["A1 Village · Jia Town"]


@pytest.mark.parametrize(("lang", "next_label"), [("zh", "下一页"), ("en", "Next")])
def test_slideshow_steps_forward_and_back(
    open_app: AppFactory, hand_sqlite_url: str, lang: str, next_label: str
) -> None:
    at = open_app(hand_sqlite_url, page=SLIDESHOW, lang=lang, present="1")
    assert not at.exception
    assert _buttons(at)["slide_next"] == next_label
    first = at.header[0].value
    assert not at.get("image")  # the title slide is text only
    at.button(key="slide_next").click().run()
    at.button(key="slide_next").click().run()
    assert at.header[0].value != first
    assert len(at.get("image")) == 1  # the town ranking, with its chart
    assert "3 / " in _html(at) or "Slide 3 of" in _html(at)
    at.button(key="slide_previous").click().run()
    at.button(key="slide_previous").click().run()
    assert at.header[0].value == first
    at.button(key="slide_previous").click().run()  # wraps round to the last slide
    total = len(at.session_state["slideshow_kinds"]) and at.session_state["slideshow_index"] + 1
    assert total > 3
    assert (f"{total} / {total}" if lang == "zh" else f"Slide {total} of {total}") in _html(at)
    assert not at.get("download_button")  # nobody downloads from the projector


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_slideshow_offers_the_deck_off_the_projector(
    open_app: AppFactory, hand_sqlite_url: str, lang: str
) -> None:
    at = open_app(hand_sqlite_url, page=SLIDESHOW, lang=lang)
    assert not at.exception
    downloads = [button.proto.label for button in at.get("download_button")]
    assert downloads == (
        ["下载汇报 PPT", "下载打印版简报"] if lang == "zh" else ["Meeting deck (.pptx)", "Printable brief"]
    )


def test_slideshow_shows_only_the_chosen_kinds(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, page=SLIDESHOW, lang="en", slides="map,training", auto="30")
    assert not at.exception
    assert "Slide 1 of 2" in _html(at)
    assert any("Data as of" in caption.value for caption in at.caption)
    at.button(key="slide_next").click().run()
    assert "Slide 2 of 2" in _html(at)
    assert _param(at, "slides") == ["map,training"] and _param(at, "auto") == ["30"]
