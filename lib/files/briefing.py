"""The meeting deck's content: the figures of the current selection as slides, in one language.

Pure (no streamlit, no SQL of its own): it reads through lib.queries, labels through `t()` and
renders each chart to PNG with vl-convert, offline. lib/files/deck.py (PowerPoint) and lib/files/brief.py
(printable HTML) only lay the slides out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.figures import MeetingStanding, OverviewTotals, StageFunnel
from lib.core.i18n import format_count, format_date, format_share, get_language, localized, set_language, t
from lib.files import export
from lib.present import assessment_view, charts, maps, mapview, meetings_view, overview_view, status
from lib.present import industry_view as industry_labels
from lib.present import training_view as training_labels
from lib.present.common import localized_column
from lib.queries import assessment as assessment_queries
from lib.queries import boundaries, common, industry, meetings, overview, training, villages
from lib.rules import assessment, targets
from lib.rules.assessment import Thresholds

LAGGING_TOWNS = 3  # one slide each for the towns lowest on overall progress
SHARE_MEASURES = ["exited_share", "plan_share", "stable_share", "verified_share", "training_share"]
MAP_MEASURE = "exit_status"
CHART_WIDTH = 620  # pixels before vl-convert's 2× scale; small enough that labels stay legible on a slide
MAP_SIZE = (520, 440)
# Chart text on a slide: 20 px on a chart ~800 px wide and at most ~520 px tall, which the deck
# places in 8.1 × 4.75 inches (≥ 14 pt) and the slideshow at least 390 px tall on a 1280×720
# projector (≥ 16 px); tests/test_deck.py measures both.
FONT_SIZE = 20
ROW_PX = 26  # one bar and its label: 1.3 lines of FONT_SIZE


@dataclass(frozen=True)
class Slide:
    """One slide (or one section of the printed brief), every text already in its language.

    `key` names the slide for code (title, overview, ranking, funnel, map, training, industry,
    town:<code>); `spec` is the chart with its legend as a Vega-Lite specification, or None on a
    slide of text only, rendered on demand: `png` and `svg` render it each time they are read
    (seconds for a map), so the slideshow renders (and caches) only the slide on screen;
    `note` is a caption for the picture.
    """

    key: str
    title: str
    subtitle: str
    source: str
    bullets: tuple[str, ...] = ()
    note: str = ""
    spec: str | None = None

    @property
    def png(self) -> bytes | None:
        return export.spec_png(self.spec) if self.spec is not None else None

    @property
    def svg(self) -> str | None:
        return export.spec_svg(self.spec) if self.spec is not None else None


@dataclass(frozen=True)
class _Context:
    session: Session
    town_codes: list[str]  # empty = every town
    subtitle: str
    source: str
    town_names: dict[str, str]  # every town's name in the current language, by code
    progress: pd.DataFrame  # overview.town_progress of the selection
    county: pd.DataFrame  # overview.town_progress of every town

    def slide(
        self,
        key: str,
        title: str,
        bullets: Sequence[str],
        *,
        chart: alt.TopLevelMixin | None = None,
        note: str = "",
    ) -> Slide:
        return Slide(
            key=key,
            title=title,
            subtitle=self.subtitle,
            source=self.source,
            bullets=tuple(bullets),
            note=note,
            spec=export.chart_spec(chart) if chart is not None else None,
        )


def build_slides(
    session: Session,
    *,
    town_codes: Sequence[str] | None,
    as_of: dt.date,
    lang: str,
    exported_at: dt.datetime | None = None,
) -> list[Slide]:
    """The deck for the selected towns (None or empty: the whole county) in `lang` ("zh"/"en").

    Slides: first, when a meeting of the selection (its towns' own, or the county's) was held
    before `as_of` and decided something, what it decided and where that stands; then a title
    slide, the Overview's key figures, the town ranking, the industry-plan
    funnel, the village map, training coverage by town, industry-plan stages by town, assessment
    readiness (the towns that would fail and why), problems and next steps (the towns and villages
    furthest behind on each measure), and one slide for each of the (at most) three towns lowest
    on overall progress, set against the county. The language is set for the build only and
    restored afterwards.
    """
    previous = get_language()
    set_language(lang)
    try:
        codes = list(town_codes or [])
        names = {row.code: localized(row.name_zh, row.name_en) for row in common.towns(session).itertuples()}
        exported = (exported_at or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
        county = overview.town_progress(session)
        context = _Context(
            session=session,
            town_codes=codes,
            subtitle=f"{scope_line(codes, names)} · {t('app.as_of', date=as_of.isoformat())}",
            source=t("briefing.source", date=as_of.isoformat(), exported=exported),
            town_names=names,
            progress=overview.town_progress(session, town_codes=codes) if codes else county,
            county=county,
        )
        funnel = industry.stage_funnel(session, town_codes=codes)
        body = [
            _overview_slide(context),
            _ranking_slide(context),
            _funnel_slide(context, funnel),
            _map_slide(context),
            _training_slide(context),
            _industry_slide(context, funnel),
            _assessment_slide(context, as_of),
            _problems_slide(context, as_of),
            *_town_slides(context),
        ]
        title = context.slide(
            "title",
            t("briefing.deck_title", county=t("app.county")),
            list(dict.fromkeys(slide.title for slide in body)),
        )
        # The next meeting opens with what the last one decided and where it stands.
        last = meetings.last_meeting_standing(session, day=as_of, town_codes=codes, as_of=as_of)
        opening = [_decisions_slide(context, last)] if last is not None and last.tasks else []
        return [*opening, title, *body]
    finally:
        set_language(previous)


def scope_line(town_codes: Sequence[str], town_names: Mapping[str, str]) -> str:
    """Which towns the deck covers, in words: all of them, or the selected towns' names."""
    if not town_codes:
        return t("overview.scope_all", n=len(town_names))
    shown = [town_names.get(code, code) for code in town_codes]
    return t("overview.scope_some", n=len(shown), names=_join(shown))


def _join(names: Sequence[str], *, limit: int = 8) -> str:
    """Names in a list as the language writes one; past `limit` the rest is an ellipsis."""
    shown = [*names[:limit], "…"] if len(names) > limit else list(names)
    return ("、" if get_language() == "zh" else ", ").join(shown)


def _figure(label: str, value: str, detail: str) -> str:
    return t("briefing.figure", label=label, value=value, detail=detail)


def _share(value: object) -> str:
    return format_share(None if value is None or pd.isna(value) else float(value))  # type: ignore[arg-type]


def _height(rows: int, *, per_row: int = 30, low: int = 120, high: int = 440) -> int:
    return max(low, min(high, rows * per_row))


def _styled(chart: alt.TopLevelMixin, *, height: int, width: int = CHART_WIDTH) -> alt.TopLevelMixin:
    """A page chart sized and lettered for a slide, in a font that has Chinese glyphs."""
    styled: alt.TopLevelMixin = (
        charts.raised_text(chart, FONT_SIZE)
        .properties(width=width, height=height)
        .configure(font=maps.CJK_FONTS)
        .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE + 1, labelLimit=240)
        .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE + 1, labelLimit=320)
        .configure_title(fontSize=FONT_SIZE, anchor="start", color="#52606d", fontWeight="normal")
        .configure_text(fontSize=FONT_SIZE)
    )
    return styled


# A slide's chart shows at most this many towns, the highest and lowest half each: more rows would
# make the letters too small to read on the projector and in the deck.
CHART_TOWNS = 16


def _chart_ends(ordered: Sequence[str]) -> tuple[list[str], list[str]]:
    """Of towns in chart order (best first), those a slide's chart shows, and a bullet saying so
    when some are left out (a city's 250 towns make neither a readable slide nor a quick one)."""
    names = list(dict.fromkeys(ordered))
    if len(names) <= CHART_TOWNS:
        return names, []
    half = CHART_TOWNS // 2
    return names[:half] + names[-half:], [t("briefing.chart_ends", half=half, n=len(names))]


def _overall(totals: OverviewTotals) -> float | None:
    """Overall progress of a set of towns: the mean of its progress shares, as a town's is."""
    parts = [getattr(totals, part) for part in overview.PROGRESS_PARTS]
    known = [part for part in parts if part is not None]
    return sum(known) / len(known) if known else None


def _share_frame(series: Mapping[str, Mapping[str, float | None]], measures: Sequence[str]) -> pd.DataFrame:
    rows = [
        {"measure": t(f"measure.{measure}"), "series": name, "value": values.get(measure)}
        for measure in measures
        for name, values in series.items()
    ]
    frame = pd.DataFrame(rows, columns=["measure", "series", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame


def _shares(totals: OverviewTotals) -> dict[str, float | None]:
    return {measure: getattr(totals, measure) for measure in SHARE_MEASURES}


def _share_chart(
    series: Mapping[str, Mapping[str, float | None]], measures: Sequence[str]
) -> alt.TopLevelMixin:
    chart = charts.share_bars(
        _share_frame(series, measures),
        value_title=t("briefing.axis.share"),
        measure_title=t("briefing.axis.measure"),
        series_title=t("briefing.series"),
    )
    # Narrower than other charts: the measures' long names come on top of the width, and a picture
    # wider than ~830 px is shrunk into the deck's box below 14 pt lettering (13.1 pt at 620).
    return _styled(
        chart, height=_height(len(measures) * len(series), per_row=ROW_PX, low=160), width=CHART_WIDTH - 120
    )


# --- the slides -----------------------------------------------------------------------------------


DECISION_LINES = 5  # decisions listed on the first slide (with the summary: 6 lines, one column)


def _decisions_slide(context: _Context, last: MeetingStanding) -> Slide:
    """What the last meeting decided and where it stands: a summary (done, on track, late), then
    each decision with who, by when, where it stands and its measured progress, late ones first."""
    order = {"late": 0, "in_progress": 1, "not_started": 2, "done": 3}
    tasks = sorted(last.tasks, key=lambda task: order.get(task.standing, 9))
    lines = [meetings_view.decision_line(task) for task in tasks[:DECISION_LINES]]
    if len(tasks) > DECISION_LINES:
        lines[-1] = t("meetings.slide.more", n=len(tasks) - DECISION_LINES + 1)
    return context.slide(
        "decisions",
        t("meetings.slide.title", date=format_date(last.meeting.held_on)),
        [meetings_view.decisions_summary(last), *lines],
        note=t("meetings.slide.note", meeting=meetings_view.meeting_title(last.meeting)),
    )


def _overview_slide(context: _Context) -> Slide:
    """The Overview page's tiles, with the same numbers (overview.totals of the selection)."""
    totals = overview.totals(context.progress)
    bullets = [
        _figure(figure.label, figure.value, figure.detail)
        for figure in overview_view.key_figures(totals).values()
    ]
    series = {t("briefing.county"): _shares(overview.totals(context.county))}
    if context.town_codes:
        series = {t("briefing.selection"): _shares(totals), **series}
    return context.slide("overview", t("overview.title"), bullets, chart=_share_chart(series, SHARE_MEASURES))


def _ranking_slide(context: _Context) -> Slide:
    ranked = overview.rank_towns(context.progress, by="progress")
    with_data = ranked[ranked["progress"].notna()]
    names = localized_column(with_data, "name")
    bullets = []
    if len(names) == 1:
        bullets.append(t("briefing.value", label=names[0], value=_share(with_data["progress"].iloc[0])))
    elif names:
        bullets.append(t("briefing.ranking.best", town=names[0], value=_share(with_data["progress"].iloc[0])))
        bullets.append(
            t("briefing.ranking.worst", town=names[-1], value=_share(with_data["progress"].iloc[-1]))
        )
    if len(names) > 1:
        top, bottom = float(with_data["progress"].iloc[0]), float(with_data["progress"].iloc[-1])
        bullets.append(t("briefing.ranking.gap", points=f"{(top - bottom) * 100:.1f}"))
    bullets.append(
        t("briefing.ranking.county", value=format_share(_overall(overview.totals(context.county))))
    )
    without = ranked[ranked["progress"].isna()]
    if not without.empty:
        missing = localized_column(without, "name")
        bullets.append(t("briefing.ranking.no_data", n=len(missing), names=_join(missing)))
    chart = None
    if names:
        bars = pd.DataFrame({"town": names, "value": list(with_data["progress"])})
        shown, ends = _chart_ends(names)
        bullets += ends
        chart = _styled(
            charts.ranking_bars(
                bars[bars["town"].isin(shown)], value_title=t("measure.progress"), town_title=t("col.town")
            ),
            height=_height(len(shown), per_row=ROW_PX),
        )
    return context.slide(
        "ranking", t("overview.ranking_title"), bullets, chart=chart, note=t("overview.ranking_caption")
    )


def _funnel_slide(context: _Context, funnel: StageFunnel) -> Slide:
    frame = industry_labels.funnel_frame(funnel)
    with_plan = funnel.households_with_plan
    bullets = [
        t(
            "briefing.funnel.reached",
            stage=label,
            n=int(reached),
            count=format_count(int(reached)),
            share=format_share(int(reached) / with_plan if with_plan else None),
        )
        for label, reached in zip(frame["label"], frame["households"], strict=True)
    ]
    chart = _styled(
        charts.funnel(frame, x_title=t("industry.households"), y_title=t("industry.reached")),
        height=_height(len(frame), per_row=60, low=200, high=320),
    )
    return context.slide(
        "funnel", t("industry.funnel"), bullets, chart=chart, note=t("industry.funnel_caption")
    )


def _map_slide(context: _Context) -> Slide:
    """The map page's PNG (villages coloured by exit status), sized for a slide."""
    frame = villages.village_measures(context.session, town_codes=context.town_codes)
    measure = maps.MEASURES[MAP_MEASURE]
    scheme = measure.scheme("village")
    classes = maps.classify(frame, measure, "village")
    points = maps.village_points(
        frame, classes, scheme, tips=mapview.village_tips(frame, classes, measure), size_by_households=False
    )
    legend_rows = maps.legend(classes, scheme)
    label = mapview.measure_label(MAP_MEASURE, "village")
    towns, county = boundaries.stored_outlines(context.session)
    chart = (
        mapview.static_map_chart(
            points,
            frame,
            classes,
            legend_rows,
            level="village",
            towns=towns,
            county=county,
            town_labels=context.town_names,
            title=label,
            legend_title=label,
            subtitle=[],
        )
        .properties(width=MAP_SIZE[0], height=MAP_SIZE[1])
        .configure_legend(
            labelFont=maps.CJK_FONTS,
            titleFont=maps.CJK_FONTS,
            orient="right",
            labelFontSize=FONT_SIZE,
            titleFontSize=FONT_SIZE + 1,
            symbolSize=160,
            labelLimit=320,
        )
    )
    bullets = [
        t(
            "briefing.map.class",
            label=t(row.name_key),
            count=t("map.legend_villages", n=int(row.count)),
        )
        for row in legend_rows.itertuples()
        if int(row.count) > 0
    ]
    missing = maps.unlocated(frame)
    if not missing.empty:
        bullets.append(t("map.no_coords", n=len(missing), names=_join(localized_column(missing, "name"))))
    if not towns["features"]:
        bullets.append(t("map.outlines.none_short"))
    return context.slide("map", t("briefing.map.title", measure=label), bullets, chart=chart)


def _training_slide(context: _Context) -> Slide:
    """Training coverage by town, as on the training page's first tab."""
    by_town = training.coverage_by_town(context.session, town_codes=context.town_codes)
    rule = targets.share_targets(training=training_labels.target_share(training.programmes(context.session)))[
        targets.TRAINING
    ]
    serving, trained = int(by_town["serving"].sum()), int(by_town["trained"].sum())
    share = trained / serving if serving else None
    detail = t("training.kpi.coverage_detail", trained=format_count(trained), serving=format_count(serving))
    detail += t("training.target", target=format_share(rule.target))
    bullets = [
        _figure(t("training.kpi.coverage"), format_share(share), detail),
        t("briefing.training.waiting", n=serving - trained, count=format_count(serving - trained)),
    ]
    shares = training_labels.town_shares(by_town)
    below = shares[shares["value"] < rule.target].sort_values("value", kind="stable")
    if not below.empty:
        bullets.append(t("briefing.below_target", n=len(below), names=_join(list(below["town"]))))
    chart = None
    if not shares.empty:
        shown, ends = _chart_ends(list(shares.sort_values("value", ascending=False, kind="stable")["town"]))
        bullets += ends
        bars = charts.ranking_bars(
            status.judge_values(shares[shares["town"].isin(shown)], rule),
            target=rule.target,
            colours=status.legend(),
            value_title=t("training.axis.share"),
            town_title=t("col.town"),
        )
        chart = _styled(bars, height=_height(len(shown), per_row=ROW_PX))
    return context.slide("training", t("training.by_town"), bullets, chart=chart)


def _industry_slide(context: _Context, funnel: StageFunnel) -> Slide:
    """Industry-plan stages by town, as on the industry page's progress tab."""
    by_town = industry.stages_by_town(context.session, town_codes=context.town_codes)
    planned = funnel.households_with_plan
    stable = funnel.stage("stable")
    bullets = [
        _figure(
            t("industry.kpi.coverage"),
            format_share(funnel.plan_share),
            t(
                "industry.kpi.coverage_detail",
                planned=format_count(funnel.labour_households_with_plan),
                labour=format_count(funnel.households_with_labour),
            )
            + t("industry.target", target=format_share(config.plan_coverage_target())),
        ),
        _figure(
            t("industry.kpi.stable"),
            format_share(stable / planned if planned else None),
            t("industry.kpi.stable_detail", stable=format_count(stable), planned=format_count(planned)),
        ),
    ]
    covered = by_town[by_town["plan_share"].notna()].sort_values(["plan_share", "town_code"])
    if len(covered) > 1:
        lowest = covered.iloc[0]
        bullets.append(
            t(
                "briefing.industry.lowest",
                town=localized(lowest["name_zh"], lowest["name_en"]),
                value=_share(lowest["plan_share"]),
            )
        )
    frame = industry_labels.town_stage_frame(by_town)
    chart = None
    if not frame.empty:
        shown, ends = _chart_ends(list(frame["row"]))
        bullets += ends
        frame = frame[frame["row"].isin(shown)]
        chart = _styled(
            charts.stacked_stages(
                frame,
                stage_order=industry_labels.stage_labels(),
                x_title=t("industry.households"),
                y_title=t("col.town"),
                legend_title=t("industry.stage"),
            ),
            height=_height(frame["row"].nunique(), per_row=ROW_PX),
        )
    return context.slide("industry", t("industry.by_town"), bullets, chart=chart)


def _assessment_slide(context: _Context, as_of: dt.date) -> Slide:
    """The assessment page's readiness: towns ready, those that would fail and why, the grid."""
    thresholds = Thresholds.from_settings()
    counts = assessment_queries.readiness_counts(
        context.session,
        as_of=as_of,
        within_months=thresholds.verified_within_months,
        town_codes=context.town_codes,
    )
    ready = assessment.readiness_table(counts, thresholds)
    with_households = ready[ready["households"] > 0]
    statuses = with_households["readiness"].value_counts()
    bullets = [
        t(
            "briefing.assessment.ready",
            green=format_count(int(statuses.get(assessment.GREEN, 0))),
            total=format_count(len(with_households)),
            red=format_count(int(statuses.get(assessment.RED, 0))),
        )
    ]
    failing = with_households[with_households["readiness"] == assessment.RED]
    for row in failing.head(PROBLEM_LINES).to_dict("records"):
        name = localized(row["name_zh"], row["name_en"])
        bullets.append(
            t("briefing.assessment.failing", town=name, reasons=assessment_view.reasons(row, thresholds))
        )
    if len(failing) > PROBLEM_LINES:
        bullets.append(t("briefing.more", n=len(failing) - PROBLEM_LINES))
    chart = None
    if not with_households.empty:
        grid = assessment_view.status_grid(
            assessment_view.grid_frame(ready, limit=CHART_TOWNS), town_title=t("assessment.col.town")
        )
        chart = _styled(grid, height=_height(min(len(with_households), CHART_TOWNS), per_row=ROW_PX + 2))
    return context.slide(
        "assessment", t("assessment.title"), bullets, chart=chart, note=t("assessment.grid_caption")
    )


PROBLEM_LINES = 6  # towns that would fail, listed on the assessment slide
# Towns named per measure, and villages per list, on the problems slide: as many as fit a 720 px
# projector beside its picture in English (3 and 5 made it 806 px tall on the demo county).
BEHIND_TOWNS = 2
BEHIND_VILLAGES = 3


@dataclass(frozen=True)
class NextStep:
    """One line of the problems slide as a decision the meeting can assign: its text, the measure
    that tracks it and the towns or villages it names (lib.services.meetings.NewTask)."""

    what: str
    measure: str
    target: float
    town_codes: tuple[str, ...] = ()
    village_codes: tuple[str, ...] = ()


def _problems(context: _Context, as_of: dt.date) -> list[NextStep]:
    """For each measure the towns furthest behind its target (largest gap first), then the
    villages past their planned exit year and those with the fewest ledgers verified."""
    rules = targets.share_targets(training=training_labels.target_share(training.programmes(context.session)))
    steps = []
    for measure, rule in rules.items():
        shares = context.progress[["town_code", "name_zh", "name_en", measure]].dropna()
        rows = list(zip(shares["town_code"], localized_column(shares, "name"), shares[measure], strict=True))
        behind = sorted(
            ((rule.gap(float(value)) or 0.0, code, name, value) for code, name, value in rows),
            key=lambda row: (row[0], row[2]),
            reverse=True,
        )
        behind = [row for row in behind if row[0] > 0][:BEHIND_TOWNS]
        if not behind:
            continue
        named = _join(
            [t("briefing.problems.town", town=name, value=_share(value)) for _, _, name, value in behind]
        )
        what = t(
            "briefing.problems.measure",
            measure=t(f"measure.{measure}"),
            target=status.target_text(rule),
            towns=named,
        )
        steps.append(NextStep(what, measure, rule.target, town_codes=tuple(code for _, code, _, _ in behind)))
    measures = villages.village_measures(context.session, town_codes=context.town_codes)
    overdue = villages.due_villages(measures, as_of_year=as_of.year)
    overdue = overdue[overdue["years_overdue"] > 0].head(BEHIND_VILLAGES)
    if not overdue.empty:
        names = [
            t("briefing.problems.overdue_village", village=village, years=int(years))
            for village, years in zip(
                localized_column(overdue, "name"), overdue["years_overdue"], strict=True
            )
        ]
        what = t("briefing.problems.overdue", villages=_join(names))
        steps.append(NextStep(what, "exited_share", 1.0, village_codes=tuple(overdue["village_code"])))
    verified_rule = rules[targets.VERIFIED]
    lowest = (
        measures[measures["households"] > 0]
        .sort_values(["verified_share", "village_code"])
        .head(BEHIND_VILLAGES)
    )
    lowest = lowest[[verified_rule.status(float(v)) != targets.GREEN for v in lowest["verified_share"]]]
    if not lowest.empty:
        names = [
            t("briefing.problems.town", town=name, value=_share(value))
            for name, value in zip(localized_column(lowest, "name"), lowest["verified_share"], strict=True)
        ]
        what = t("briefing.problems.unverified", villages=_join(names))
        steps.append(
            NextStep(
                what, "verified_share", verified_rule.target, village_codes=tuple(lowest["village_code"])
            )
        )
    return steps


def next_steps(
    session: Session, *, town_codes: Sequence[str] | None, as_of: dt.date, lang: str
) -> list[NextStep]:
    """The problems slide's lines as decisions for the next meeting, in `lang`."""
    previous = get_language()
    set_language(lang)
    try:
        codes = list(town_codes or [])
        county = overview.town_progress(session)
        context = _Context(
            session=session,
            town_codes=codes,
            subtitle="",
            source="",
            town_names={},
            progress=overview.town_progress(session, town_codes=codes) if codes else county,
            county=county,
        )
        return _problems(context, as_of)
    finally:
        set_language(previous)


def _problems_slide(context: _Context, as_of: dt.date) -> Slide:
    """Problems and next steps (`_problems`): what the meeting assigns work on."""
    rules = targets.share_targets(training=training_labels.target_share(training.programmes(context.session)))
    bullets = [step.what for step in _problems(context, as_of)] or [t("briefing.problems.none")]
    totals = overview.totals(context.progress)
    against: dict[str, dict[str, float | None]] = {
        t("briefing.series.now"): {measure: totals.measure(measure) for measure in rules},
        t("briefing.series.target"): {measure: rule.target for measure, rule in rules.items()},
    }
    chart = _share_chart(against, list(rules)) if context.progress["households"].sum() else None
    return context.slide(
        "problems", t("briefing.problems.title"), bullets, chart=chart, note=t("briefing.problems.note")
    )


def _town_slides(context: _Context) -> list[Slide]:
    """The selection's towns lowest on overall progress, worst first, each against the county."""
    county_totals = overview.totals(context.county)
    county_values: dict[str, float | None] = {"progress": _overall(county_totals), **_shares(county_totals)}
    ranked = overview.rank_towns(context.county[context.county["progress"].notna()], by="progress")
    rank_of = dict(zip(ranked["town_code"], ranked["rank"], strict=True))
    lagging = (
        context.progress[context.progress["progress"].notna()]
        .sort_values(["progress", "town_code"])
        .head(LAGGING_TOWNS)
    )
    slides = []
    for row in lagging.to_dict("records"):
        name = localized(row["name_zh"], row["name_en"])
        values = {
            measure: None if pd.isna(row[measure]) else float(row[measure]) for measure in county_values
        }
        bullets = [
            t(
                "briefing.town.rank",
                value=_share(values["progress"]),
                county=format_share(county_values["progress"]),
                rank=rank_of[row["town_code"]],
                of=len(ranked),
            ),
            *(
                t(
                    "briefing.town.share",
                    measure=t(f"measure.{measure}"),
                    value=format_share(values[measure]),
                    county=format_share(county_values[measure]),
                )
                for measure in SHARE_MEASURES
            ),
        ]
        chart = _share_chart(
            {name: values, t("briefing.county"): county_values}, ["progress", *SHARE_MEASURES]
        )
        slides.append(
            context.slide(
                f"town:{row['town_code']}",
                t("briefing.town.title", town=name),
                bullets,
                chart=chart,
                note=t("briefing.town.note"),
            )
        )
    return slides
