"""The industry page under AppTest on the hand county (tests/hand_county.py): 5 of the 8
households with labour have a plan (62.5%); 2 of the 6 with a plan reached stable income; every
plan below stable has been at its stage since 2019-05-01, 17 months before 2020-10-31 → 5 stuck;
h4, h6 and h8 have labour and no plan; no village has a signature product; nobody is linked."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import AppFactory, open_tab

PAGE = "pages/industry.py"


def _metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_industry_page_in_english(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, PAGE, lang="en")
    assert not at.exception
    assert at.title[0].value == "One household, one industry; one village, one product"
    assert _metrics(at) == {
        "Plan coverage": "62.5%",
        "Stable income": "33.3%",
        "One village, one product": "0.0%",
        "Linked households": "0",
        "Stuck plans": "5",
    }
    assert not any("Labour" in frame.value.columns for frame in at.dataframe)  # gaps tab not open yet
    open_tab(at, "industry_tab", "Gaps")
    gaps = next(frame.value for frame in at.dataframe if "Labour" in frame.value.columns)
    assert list(gaps["File no."]) == ["HAND0004", "HAND0006", "HAND0008"]
    assert list(gaps["Head"]) == ["户**", "户**", "户**"]  # masked: nobody signed in
    stuck = next(frame.value for frame in at.dataframe if "Months" in frame.value.columns)
    assert sorted(stuck["File no."]) == ["HAND0001", "HAND0002", "HAND0003", "HAND0005", "HAND0007"]
    assert set(stuck["Months"]) == {17}


def test_industry_page_in_chinese(open_app: AppFactory, hand_sqlite_url: str) -> None:
    at = open_app(hand_sqlite_url, PAGE, lang="zh")
    assert not at.exception
    assert at.title[0].value == "一户一业 · 一村一品"
    assert _metrics(at)["产业规划覆盖"] == "62.5%"


def test_long_lists_are_paged_with_of_n_and_next(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.ui import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    at = open_app(hand_sqlite_url, PAGE, lang="en")
    assert not at.exception
    open_tab(at, "industry_tab", "Gaps")
    captions = [caption.value for caption in at.caption]
    assert "Rows 1–2 of 3 · page 1 of 2" in captions  # gaps: h4, h6, h8
    assert "Rows 1–2 of 5 · page 1 of 3" in captions  # stuck plans
    gaps = next(frame.value for frame in at.dataframe if "Labour" in frame.value.columns)
    assert list(gaps["File no."]) == ["HAND0004", "HAND0006"]
    assert at.button(key="industry_gaps_page_previous").disabled
    at.button(key="industry_gaps_page_next").click().run()
    assert not at.exception
    assert "Rows 3–3 of 3 · page 2 of 2" in [caption.value for caption in at.caption]
    gaps = next(frame.value for frame in at.dataframe if "Labour" in frame.value.columns)
    assert list(gaps["File no."]) == ["HAND0008"]
    stuck = next(frame.value for frame in at.dataframe if "Months" in frame.value.columns)
    assert len(stuck) == 2  # the stuck list keeps its own page
