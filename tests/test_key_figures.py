"""Every share tile means one thing: its figure is the share of the two counts written under it, in
the same unit, part first, and its colour follows the one rule of lib.rules.targets.

Hand-worked (tests/hand_county.py), county: households 9, exited 5 → 55.6%; people 28, exited 12
(42.9%, stated in the help, not under the share); secretaries 5, trained 3 → 60.0%; with labour 8,
with a plan 5 → 62.5%; verified 3 of 9 → 33.3%; with a plan 6, stable 2 → 33.3%. Default targets:
exited 100% (amber from 75%), training 90% (67.5%), plans 100% (75%), verified 90% (67.5%), stable
50% (37.5%) — so every share is red except none.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.i18n import format_share, set_language
from lib.present import overview_view
from lib.queries import overview

SHARES = ("exited", "training", "plans", "verified", "stable")
COUNT = re.compile(r"\d[\d,]*")


@pytest.fixture
def figures(hand_engine: Engine) -> dict[str, overview_view.KeyFigure]:
    set_language("en")
    try:
        with Session(hand_engine) as session:
            totals = overview.totals(overview.town_progress(session))
        return overview_view.key_figures(totals)
    finally:
        set_language("zh")


def test_each_share_is_the_share_of_its_own_counts(figures: dict[str, overview_view.KeyFigure]) -> None:
    for key in SHARES:
        figure = figures[key]
        part, whole = (int(n.replace(",", "")) for n in COUNT.findall(figure.detail)[:2])
        assert figure.value == format_share(part / whole), (key, figure.value, figure.detail)


def test_the_hand_worked_tiles(figures: dict[str, overview_view.KeyFigure]) -> None:
    shown = {key: (figures[key].value, figures[key].detail, figures[key].status) for key in SHARES}
    assert shown == {
        "exited": ("55.6%", "5 of 9 households", "red"),
        "training": ("60.0%", "3 of 5 first secretaries", "red"),
        "plans": ("62.5%", "5 of 8 households with labour", "red"),
        "verified": ("33.3%", "3 of 9 households", "red"),
        "stable": ("33.3%", "2 of 6 households with a plan", "red"),
    }
    assert figures["exited"].about is not None
    assert "42.9% (12 of 28 people)" in figures["exited"].about  # people: said, and said as people
    assert "Monitored households (1) are not counted" in figures["exited"].about
    assert figures["verified"].target == "target 90.0%"


def test_a_tile_turns_amber_and_green_at_its_lines(
    hand_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Targets from the settings: exited 5 of 9 (55.6%) is green at a 55% target, amber at 60%
    (amber from 45%), red at 80% (amber from 60%)."""
    with Session(hand_engine) as session:
        totals = overview.totals(overview.town_progress(session))
    for target, expected in (("0.55", "green"), ("0.60", "amber"), ("0.80", "red")):
        monkeypatch.setenv("EXIT_TARGET", target)
        assert overview_view.key_figures(totals)["exited"].status == expected, target
