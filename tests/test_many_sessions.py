"""What a run costs when many leaders use one server at once (bench/load.py measures it): work that
every run of every session repeated although nothing had changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import pandas as pd
import pytest
from altair.utils import schemapi
from streamlit.testing.v1 import AppTest

from lib.ui import widgets

AppFactory = Callable[..., AppTest]


@pytest.fixture
def schema_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names the chart classes whose whole spec Altair checked against the Vega-Lite schema (each
    check still runs; the parts that Altair checks as they are made are not counted)."""
    checks: list[str] = []
    check = schemapi.SchemaBase.validate.__func__  # type: ignore[attr-defined]

    def counted(cls: type, instance: Any, schema: Any = None) -> Any:
        if issubclass(cls, alt.TopLevelMixin):
            checks.append(cls.__name__)
        return check(cls, instance, schema)

    monkeypatch.setattr(schemapi.SchemaBase, "validate", classmethod(counted))
    # Start from no spec seen: other tests in this process have drawn the same charts.
    monkeypatch.setattr(widgets, "_VALID_SPECS", type(widgets._VALID_SPECS)())
    yield checks


def _recording(work: Callable[..., Any], name: str, calls: list[str]) -> Callable[..., Any]:
    """`work`, noting `name` in `calls` each time it runs."""

    def recorded(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return work(*args, **kwargs)

    return recorded


def test_a_rerun_does_not_check_the_same_charts_again(
    open_app: AppFactory, hand_sqlite_url: str, schema_checks: list[str]
) -> None:
    at = open_app(hand_sqlite_url, page="pages/industry.py", lang="en")
    assert not at.exception
    assert schema_checks, "the first run checks its charts"
    schema_checks.clear()
    at.run()
    assert not at.exception
    assert schema_checks == []


def test_a_chart_that_breaks_the_schema_still_fails(schema_checks: list[str]) -> None:
    frame = pd.DataFrame({"town": ["甲", "乙"], "households": [3, 4]})
    not_a_width: Any = "wide"
    chart = alt.Chart(frame, width=not_a_width).mark_bar().encode(x="households:Q", y="town:N")
    for _ in range(2):  # a spec that failed is not remembered as checked
        with pytest.raises(schemapi.SchemaValidationError):
            widgets.validated_once(chart).to_dict()
    assert len(schema_checks) == 2


def test_a_new_spec_is_checked_once(schema_checks: list[str]) -> None:
    frame = pd.DataFrame({"town": ["甲", "乙"], "households": [3, id(schema_checks) % 1000]})
    chart = alt.Chart(frame).mark_bar().encode(x="households:Q", y="town:N")
    first = widgets.validated_once(chart).to_dict()
    assert widgets.validated_once(chart).to_dict() == first
    assert len(schema_checks) == 1


@pytest.fixture
def layer_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts Altair hashing a layer's spec with its data (to move shared data to the top)."""
    hashes: list[str] = []
    compute = alt.Chart._compute_hash

    def counted(self: alt.Chart) -> str:
        hashes.append(str(self.mark))
        return compute(self)

    monkeypatch.setattr(alt.Chart, "_compute_hash", counted)
    yield hashes


def test_layered_charts_do_not_hash_their_layers(layer_hashes: list[str]) -> None:
    from lib.present import assessment_view, charts

    towns = [f"town {index}" for index in range(250)]
    grid = pd.DataFrame(
        {
            "town": towns,
            "measure": "m",
            "status": "s",
            "colour": "#1a9850",
            "text": "95%",
            "order": range(250),
        }
    )
    built = [
        assessment_view.status_grid(grid, town_title="Town"),
        charts.funnel(pd.DataFrame({"label": towns, "households": 1}), x_title="x", y_title="y"),
        charts.heatmap(
            pd.DataFrame({"row": towns, "column": "c", "value": 0.5}),
            x_title="x",
            y_title="y",
            value_title="v",
        ),
        charts.share_bars(
            pd.DataFrame({"measure": towns, "series": "s", "value": 0.5}),
            value_title="v",
            measure_title="m",
            series_title="s",
        ),
    ]
    assert layer_hashes == []
    for chart in built:  # the data is on the chart once, not on each layer
        spec = chart.to_dict(validate=False)
        assert "data" in spec and all("data" not in layer for layer in spec["layer"])


@pytest.fixture
def schema_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts Altair building its schema → class table (each `from_dict`: ~10 ms, for an encoding
    given as a string or a dict instead of a channel object)."""
    built: list[int] = []
    build = schemapi._FromDict.__init__

    def counted(self: Any, *args: Any) -> None:
        built.append(1)
        build(self, *args)

    monkeypatch.setattr(schemapi._FromDict, "__init__", counted)
    yield built


def test_charts_are_built_from_channel_objects(schema_tables: list[int]) -> None:
    from lib.present import assessment_view, charts

    frame = pd.DataFrame(
        {
            "town": ["甲", "乙"],
            "label": ["甲", "乙"],
            "households": [3, 4],
            "value": [0.5, 0.9],
            "row": ["甲", "乙"],
            "column": ["x", "y"],
            "measure": ["m", "m"],
            "series": ["a", "b"],
            "year": [2019, 2020],
            "dashed": [False, True],
            "status": "s",
            "colour": "#1a9850",
            "text": "95%",
            "order": [0, 1],
        }
    )
    for target in (None, 0.8):
        charts.ranking_bars(frame, target=target, value_title="v", town_title="t", colours={"s": "#1a9850"})
        charts.trend_line(
            frame.assign(date=pd.Timestamp("2020-01-01")), target=target, value_title="v", date_title="d"
        )
    charts.heatmap(frame, x_title="x", y_title="y", value_title="v")
    charts.funnel(frame, x_title="x", y_title="y")
    charts.income_lines(frame, x_title="x", y_title="y", legend_title="l")
    charts.share_bars(frame, value_title="v", measure_title="m", series_title="s")
    charts.timeline(
        frame.assign(start=pd.Timestamp("2020-01-01"), end=pd.Timestamp("2020-02-01"), kind="k", detail="d"),
        kind_title="k",
        date_title="d",
    )
    assessment_view.status_grid(frame, town_title="t")
    assert schema_tables == []


def test_readiness_is_worked_out_without_a_series_per_row(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`DataFrame.iterrows` builds a Series per row: ~0.1 ms each, every run (a city's 250 towns
    on the assessment page; its 3,600 villages on the villages tab)."""
    from sqlalchemy.orm import Session

    from lib.core.db import make_engine
    from lib.core.schema import upgrade
    from lib.present import assessment_view as view
    from lib.queries import assessment as queries
    from lib.rules import assessment
    from tests.assessment_county import AS_OF, load_assessment_county

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with Session(engine) as session:
        load_assessment_county(session)
        towns = queries.readiness_counts(session, as_of=AS_OF)
        villages = queries.readiness_counts(session, as_of=AS_OF, level="village")
    engine.dispose()
    thresholds = assessment.Thresholds.from_settings()
    walked: list[int] = []
    iterrows = pd.DataFrame.iterrows

    def counted(self: pd.DataFrame) -> Any:
        walked.append(len(self))
        return iterrows(self)

    monkeypatch.setattr(pd.DataFrame, "iterrows", counted)
    ready = assessment.readiness_table(towns, thresholds)
    assert (ready["readiness"] == assessment.RED).any(), "the county has a failing town to explain"
    view.failing_lines(ready, thresholds)
    view.town_table(ready, thresholds)
    view.grid_frame(ready)
    view.village_table(assessment.readiness_table(villages, thresholds), thresholds, attention_only=False)
    assert walked == []


def test_a_rerun_of_the_assessment_page_reuses_its_readiness(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readiness, the failing towns, the grid and the town table are the same for every leader
    until the data changes: a rerun (another leader's visit) takes them as they were."""
    from lib.rules import assessment

    at = open_app(hand_sqlite_url, page="pages/assessment.py", lang="en")
    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
    worked_out: list[int] = []
    readiness_table = assessment.readiness_table

    def counted(*args: Any, **kwargs: Any) -> Any:
        worked_out.append(1)
        return readiness_table(*args, **kwargs)

    monkeypatch.setattr(assessment, "readiness_table", counted)
    at.run()
    assert not at.exception
    assert worked_out == []
    assert [frame.value.equals(before) for frame, before in zip(at.dataframe, tables, strict=True)] == [
        True
    ] * len(tables)


def test_a_rerun_of_the_map_reuses_the_village_pickers_labels(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card's picker names every village on the map (a city's 3,600): the names are worked
    out once per data version, language and selection, not on every leader's run."""
    from lib.present import common

    named: list[int] = []
    localized_column = common.localized_column

    def counted(frame: pd.DataFrame, prefix: str) -> list[str]:
        named.append(len(frame))
        return localized_column(frame, prefix)

    monkeypatch.setattr(common, "localized_column", counted)
    at = open_app(hand_sqlite_url, page="pages/map.py", lang="en")
    assert not at.exception
    every_village = max(named)
    labels = at.selectbox(key="map_pick").options
    assert len(labels) == every_village
    named.clear()
    at.run()
    assert not at.exception
    assert every_village not in named
    assert at.selectbox(key="map_pick").options == labels


def test_a_rerun_of_the_industry_page_reuses_its_charts(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.present import charts

    at = open_app(hand_sqlite_url, page="pages/industry.py", lang="en")
    assert not at.exception
    built: list[str] = []
    for name in ("funnel", "stacked_stages"):
        monkeypatch.setattr(charts, name, _recording(getattr(charts, name), name, built))
    at.run()
    assert not at.exception
    assert built == []
    assert len(at.get("vega_lite_chart")) == 3


def test_a_rerun_of_the_overview_reuses_its_ranking_and_lists(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.present import charts
    from lib.queries import overview, villages

    at = open_app(hand_sqlite_url, lang="en")
    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
    worked_out: list[str] = []
    for module, name in (
        (overview, "rank_towns"),
        (overview, "totals"),
        (villages, "due_villages"),
        (charts, "stage_bars"),
        (charts, "ranking_bars"),
    ):
        monkeypatch.setattr(module, name, _recording(getattr(module, name), name, worked_out))
    at.run()
    assert not at.exception
    assert worked_out == []
    assert len(at.dataframe) == len(tables) == 2
    assert all(frame.value.equals(before) for frame, before in zip(at.dataframe, tables, strict=True))
    # another measure to rank by is another ranking
    at.selectbox(key="overview_rank_by").set_value("verified_share").run()
    assert worked_out == ["rank_towns", "ranking_bars"]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_thirty_sessions_reading_at_once_each_get_a_connection(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Streamlit runs every session's script in its own thread: 30 leaders at once may all read
    at the same moment. SQLAlchemy's default pool holds 15 at most (5, and 10 more opened and
    closed again), so the 16th waited for one (30 s, then an error)."""
    import threading

    from sqlalchemy import text

    from lib.core.db import make_engine

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    engine = make_engine(url)
    sessions = 30
    together = threading.Barrier(sessions, timeout=20)
    failures: list[BaseException] = []

    def read() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                together.wait()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=read) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.dispose()
    assert failures == []


def test_a_rerun_reuses_the_sidebars_town_names(
    open_app: AppFactory, hand_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_app(hand_sqlite_url, lang="en")
    assert not at.exception
    options = at.sidebar.multiselect[0].options
    walked: list[int] = []
    itertuples = pd.DataFrame.itertuples

    def counted(self: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        walked.append(len(self))
        return itertuples(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "itertuples", counted)
    at.run()
    assert not at.exception
    assert walked == []
    assert at.sidebar.multiselect[0].options == options
    at.sidebar.radio[0].set_value("zh").run()  # the names in the other language
    assert walked and at.sidebar.multiselect[0].options != options
