"""Change since the last period: the towns' key figures kept on a date, and what changed since.

Hand-worked (tests/hand_county.py): on 2020-09-30 the county has 3 of 9 households verified
(h1 h3 h7). A visit on 2020-10-20 verifies h2's ledger: 4 of 9. The change is 4/9 − 3/9 = +11.1
points; town A (h1 h2 h3 of 6) goes from 2/6 to 3/6, +16.7 points; town B stays at 1/3, +0.0.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lib.core.i18n import set_language
from lib.core.models import AuditEntry, FigureSnapshot, Household, VerificationVisit
from lib.present import changes, overview_view
from lib.queries import common, overview, snapshots
from lib.services import rollups
from lib.services import snapshots as snapshot_service

BEFORE, AFTER = dt.date(2020, 9, 30), dt.date(2020, 10, 31)
TOWN_A = "349901100"


def _verify_h2(session: Session) -> None:
    """h2's ledger verified on 2020-10-20 (as the visit form stores one), rollups rebuilt."""
    h2 = session.scalar(select(Household.id).where(Household.archive_no == "HAND0002"))
    session.add(
        VerificationVisit(
            household_id=h2, visited_on=dt.date(2020, 10, 20), visitor_name="核验员", ledger_verified=True
        )
    )
    session.commit()
    rollups.rebuild(session)
    session.commit()


def test_two_snapshots_give_the_change_since(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        assert snapshot_service.take_snapshot(session, taken_on=BEFORE, reason="month_end") == 3 * 5
        _verify_h2(session)
        snapshot_service.take_snapshot(session, taken_on=AFTER, reason="meeting")
        assert snapshots.snapshot_dates(session) == [AFTER, BEFORE]
        before = snapshots.figures_on(session, day=dt.date(2020, 10, 15))
        town_before = snapshots.figures_on(session, day=BEFORE, town_codes=[TOWN_A])
        totals = overview.totals(overview.town_progress(session))
        town_totals = overview.totals(overview.town_progress(session, town_codes=[TOWN_A]))
        series = snapshots.series(session)
    assert before is not None and before[0] == BEFORE  # the latest on or before the day asked
    assert before[1]["verified_share"] == (3, 9)
    assert town_before is not None and town_before[1]["verified_share"] == (2, 6)
    set_language("en")
    try:
        county = overview_view.with_changes(overview_view.key_figures(totals), totals, before=before)
        town = overview_view.with_changes(
            overview_view.key_figures(town_totals), town_totals, before=town_before
        )
    finally:
        set_language("zh")
    assert county["verified"].change == "+11.1 pts"
    assert county["verified"].change_since == "since 30 Sep 2020"
    assert county["exited"].change == "+0.0 pts"
    assert town["verified"].change == "+16.7 pts"
    verified = series[series["measure"] == "verified_share"]
    assert verified["taken_on"].tolist() == [BEFORE, AFTER]
    assert verified["share"].tolist() == pytest.approx([3 / 9, 4 / 9])


def test_a_second_snapshot_of_the_same_figures_writes_nothing(hand_engine: Engine) -> None:
    with Session(hand_engine) as session:
        snapshot_service.take_snapshot(session, taken_on=AFTER, reason="meeting")
        version = common.data_version(session)
        audits = session.scalar(select(func.count()).select_from(AuditEntry))
        assert snapshot_service.take_snapshot(session, taken_on=AFTER, reason="meeting") == 0
        assert common.data_version(session) == version
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits
        _verify_h2(session)  # new figures on the same day replace the day's
        assert snapshot_service.take_snapshot(session, taken_on=AFTER, reason="meeting") == 15
        kept = session.scalar(
            select(func.sum(FigureSnapshot.part)).where(FigureSnapshot.measure == "verified_share")
        )
        assert kept == 4
        assert session.scalar(select(func.count()).select_from(FigureSnapshot)) == 15


def test_the_default_comparison_is_the_last_month_end() -> None:
    dates = [dt.date(2020, 8, 31), dt.date(2020, 9, 30), dt.date(2020, 10, 12)]
    assert changes.default_comparison(dates, dt.date(2020, 10, 31)) == dt.date(2020, 9, 30)
    assert changes.default_comparison(dates, dt.date(2020, 9, 15)) == dt.date(2020, 8, 31)
    # no month end yet: the latest before the data's date
    assert changes.default_comparison([dt.date(2020, 10, 12)], dt.date(2020, 10, 31)) == dt.date(2020, 10, 12)
    assert changes.default_comparison([], dt.date(2020, 10, 31)) is None


def test_an_unknown_reason_is_refused(hand_engine: Engine) -> None:
    with Session(hand_engine) as session, pytest.raises(ValueError, match="reason"):
        snapshot_service.take_snapshot(session, taken_on=AFTER, reason="whenever")


def test_the_command_line_keeps_a_month_end(
    hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lib import admin

    monkeypatch.setenv("DATABASE_URL", hand_sqlite_url)
    assert admin.main(["snapshot", "--date", "2020-10-31"]) == 0
    assert "Kept the towns' key figures of 2020-10-31 (15 figures)." in capsys.readouterr().out
    assert admin.main(["snapshot", "--date", "2020-10-31"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert admin.main(["snapshot", "--date", "31/10/2020"]) == 2
    assert "is not a date" in capsys.readouterr().err
