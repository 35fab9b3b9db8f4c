"""The meeting slides against the hand-worked county (numbers in tests/hand_county.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.i18n import get_language, set_language
from lib.core.models import TrainingProgramme
from lib.files.briefing import Slide, build_slides
from lib.files.deck import png_size
from tests.briefing_support import (
    AS_OF,
    EXPORTED,
    PNG_SIGNATURE,
    SOURCE_EN,
    TOWN_A,
    TOWN_B,
    TOWN_C,
    SlideCache,
)

KEYS = [
    "title",
    "overview",
    "ranking",
    "funnel",
    "map",
    "training",
    "industry",
    "assessment",
    "problems",
    f"town:{TOWN_A}",
    f"town:{TOWN_B}",
]
TITLES_EN = [
    "Demo County: poverty-alleviation briefing",
    "County overview",
    "Towns ranked by progress",
    "Industry-plan funnel",
    "Village map: Poor-village exit",
    "Coverage by town",
    "Progress by town",
    "Third-party assessment readiness",
    "Problems and next steps",
    "Jia Town against the county",
    "Yi Town against the county",
]
TITLES_ZH = [
    "示范县脱贫攻坚工作汇报",
    "全县概览",
    "乡镇进度排名",
    "产业规划漏斗",
    "村级地图：贫困村出列",
    "各乡镇培训覆盖率",
    "各乡镇产业进度",
    "第三方评估准备",
    "问题与下一步",
    "甲镇：与全县对比",
    "乙镇：与全县对比",
]


# test_briefing and test_deck run on one pytest-xdist worker, which builds their slides once.
pytestmark = pytest.mark.xdist_group("hand_slides")


@pytest.fixture
def slides(hand_slides: SlideCache) -> SlideCache:
    return hand_slides


def _by_key(built: list[Slide]) -> dict[str, Slide]:
    return {slide.key: slide for slide in built}


def test_slides_and_titles_in_both_languages(slides: SlideCache) -> None:
    english, chinese = slides("en"), slides("zh")
    assert [slide.key for slide in english] == KEYS
    assert [slide.key for slide in chinese] == KEYS
    assert [slide.title for slide in english] == TITLES_EN
    assert [slide.title for slide in chinese] == TITLES_ZH
    assert english[0].bullets == tuple(TITLES_EN[1:])  # the title slide lists what follows
    assert {slide.subtitle for slide in english} == {"All 3 towns · Data as of 2020-10-31"}
    assert {slide.subtitle for slide in chinese} == {"全部 3 个乡镇 · 数据截至 2020-10-31"}
    assert {slide.source for slide in english} == {SOURCE_EN}
    assert {slide.source for slide in chinese} == {
        "来源：县脱贫攻坚数据库 · 数据截至 2020-10-31 · 导出于 2026-11-23 16:40"
    }


def test_every_chart_slide_has_a_png_of_sensible_size(slides: SlideCache) -> None:
    built = slides("en")
    assert built[0].png is None and built[0].svg is None
    for slide in built[1:]:
        assert slide.png is not None, slide.key
        assert slide.png.startswith(PNG_SIGNATURE)
        width, height = png_size(slide.png)
        assert 800 <= width <= 3000 and 200 <= height <= 2000, (slide.key, width, height)
        assert 20_000 < len(slide.png) < 2_000_000, slide.key


def test_key_figures_carry_the_hand_worked_numbers(slides: SlideCache) -> None:
    by_key = _by_key(slides("en"))
    assert by_key["overview"].bullets == (
        "Villages: 5 (3 registered poor villages, 2 of them exited)",
        "Poor households: 9 (5 exited · 3 poor · 1 monitored)",
        "Households exited: 55.6% (5 of 9 households)",
        "Trained: 60.0% (3 of 5 first secretaries)",
        "With a plan: 62.5% (5 of 8 households with labour)",
        "Verified: 33.3% (3 of 9 households)",
        "Plans at stable income: 33.3% (2 of 6 households with a plan)",
    )
    # county progress = mean of 5/9, 5/8, 3/9 and 3/5; town A (3/6, 3/5, 2/6, 1/3) ranks below B
    assert by_key["ranking"].bullets == (
        "Highest: Yi Town, 66.7%",
        "Lowest: Jia Town, 44.2%",
        "22.5 points between the highest and the lowest",  # 66.7 − 44.2, as the chart shows them
        "County's overall progress: 52.8%",
        "No data yet for 1 town: Bing Township",
    )
    assert by_key["funnel"].bullets == (
        "Planned: 6 households (100.0% of those with a plan)",
        "Started: 5 households (83.3% of those with a plan)",
        "Producing: 4 households (66.7% of those with a plan)",
        "Stable income: 2 households (33.3% of those with a plan)",
    )
    assert by_key["map"].bullets == (
        "Exited: 2 villages",
        "Not yet exited: 1 village",
        "Not a poor village: 2 villages",
        "1 village has no coordinates and is not on the map: A3 Village",
    )
    assert by_key["training"].bullets == (  # no programme sets a target: TRAINING_TARGET's 90%
        "Coverage: 60.0% (3 of 5 serving first secretaries; target 90.0%)",
        "2 serving first secretaries not yet trained",
        "1 town below the target: Jia Town",
    )
    assert by_key["industry"].bullets == (
        "Plan coverage: 62.5% (5 of 8 households with labour; target 100.0%)",
        "Stable income: 33.3% (2 of 6 households with a plan)",
        "Lowest plan coverage: Jia Town, 60.0%",
    )


def test_lagging_towns_are_set_against_the_county(slides: SlideCache) -> None:
    by_key = _by_key(slides("en"))
    assert f"town:{TOWN_C}" not in by_key  # no data, so no progress to rank
    assert by_key[f"town:{TOWN_A}"].bullets == (
        "Overall progress 44.2% (county 52.8%), rank 2 of 2 towns",
        "Exited share: 50.0% (county 55.6%)",
        "Industry-plan coverage: 60.0% (county 62.5%)",
        "Stable-income share: 25.0% (county 33.3%)",
        "Verified share: 33.3% (county 33.3%)",
        "First-secretary training coverage: 33.3% (county 60.0%)",
    )
    assert by_key[f"town:{TOWN_B}"].bullets[0] == "Overall progress 66.7% (county 52.8%), rank 1 of 2 towns"


def test_chinese_figures(slides: SlideCache) -> None:
    by_key = _by_key(slides("zh"))
    assert "档案已核验：33.3%（已核验 3 户，共 9 户）" in by_key["overview"].bullets
    assert "培训覆盖率：60.0%（已参训 3 人，在岗第一书记 5 人；目标 90.0%）" in by_key["training"].bullets
    assert by_key["industry"].bullets[0] == "产业规划覆盖：62.5%（有劳力户 8 户，有规划 5 户；目标 100.0%）"
    assert by_key[f"town:{TOWN_A}"].bullets[0] == "综合进度 44.2%（全县 52.8%），在 2 个乡镇中排第 2 位"


def test_one_town_gives_that_towns_figures(slides: SlideCache) -> None:
    built = slides("en", [TOWN_B])
    by_key = _by_key(built)
    assert [slide.key for slide in built] == [*KEYS[:-2], f"town:{TOWN_B}"]
    assert {slide.subtitle for slide in built} == {"1 town selected: Yi Town · Data as of 2020-10-31"}
    assert by_key["training"].bullets[:2] == (
        "Coverage: 100.0% (2 of 2 serving first secretaries; target 90.0%)",
        "0 serving first secretaries not yet trained",
    )
    assert "Verified: 33.3% (1 of 3 households)" in by_key["overview"].bullets
    assert "With a plan: 66.7% (2 of 3 households with labour)" in by_key["overview"].bullets
    assert by_key["ranking"].bullets == ("Yi Town: 66.7%", "County's overall progress: 52.8%")
    assert by_key["map"].bullets == ("Exited: 1 village", "Not a poor village: 1 village")
    assert by_key["funnel"].bullets[-1] == "Stable income: 1 household (50.0% of those with a plan)"


def test_a_town_without_data_still_builds(slides: SlideCache) -> None:
    by_key = _by_key(slides("en", [TOWN_C]))
    assert list(by_key) == KEYS[:-2]
    assert "Verified: — (0 of 0 households)" in by_key["overview"].bullets
    assert by_key["ranking"].png is None  # nothing to rank
    assert by_key["ranking"].bullets == (
        "County's overall progress: 52.8%",
        "No data yet for 1 town: Bing Township",
    )
    assert by_key["training"].png is None and by_key["industry"].png is None
    assert by_key["map"].png is not None and by_key["overview"].png is not None


def test_language_is_set_for_the_build_only(slides: SlideCache) -> None:
    """Also: SVG pictures of the same chart, and the export time defaults to now."""
    set_language("en")
    before = dt.datetime.now().replace(second=0, microsecond=0)
    with Session(slides.engine) as session:
        built = build_slides(session, town_codes=[TOWN_C], as_of=AS_OF, lang="zh")
    assert get_language() == "en"
    assert built[1].title == "全县概览"
    assert built[1].svg is not None and built[1].svg.lstrip().startswith("<svg")
    assert "全县" in built[1].svg  # the legend names the county, as text
    exported = dt.datetime.strptime(built[0].source.rsplit("导出于 ", 1)[1], "%Y-%m-%d %H:%M")
    assert before <= exported <= dt.datetime.now()


def test_towns_below_the_training_target_on_both_backends(hand_engine: Engine) -> None:
    """With the programme's 50 % target (not the setting's 90 %), town A (1 of 3 trained) is below it
    and town B (2 of 2) is not."""
    with Session(hand_engine) as session:
        programme = session.get(TrainingProgramme, 1)
        assert programme is not None
        programme.target_share = 0.5
        session.commit()
        built = build_slides(
            session, town_codes=[TOWN_A, TOWN_B], as_of=AS_OF, lang="en", exported_at=EXPORTED
        )
    training = _by_key(built)["training"]
    assert training.bullets == (
        "Coverage: 60.0% (3 of 5 serving first secretaries; target 50.0%)",
        "2 serving first secretaries not yet trained",
        "1 town below the target: Jia Town",
    )
    assert training.png is not None and training.png.startswith(PNG_SIGNATURE)
    assert [slide.key for slide in built][-2:] == [f"town:{TOWN_A}", f"town:{TOWN_B}"]
    assert {slide.subtitle for slide in built} == {
        "2 towns selected: Jia Town, Yi Town · Data as of 2020-10-31"
    }


def test_a_chart_of_many_towns_shows_the_eight_highest_and_the_eight_lowest() -> None:
    from lib.files import briefing

    set_language("en")
    towns = [f"T{n:02d}" for n in range(1, 26)]  # best first
    shown, bullets = briefing._chart_ends(towns)
    assert shown == towns[:8] + towns[17:]
    assert bullets == ["The chart shows the 8 highest and the 8 lowest of 25 towns"]
    assert briefing._chart_ends(towns[:16]) == (towns[:16], [])
