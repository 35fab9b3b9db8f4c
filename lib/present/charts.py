"""DataFrame → Altair chart. Pure: labels come in already translated.

Charts are built on every run of every page, so two of Altair's slow paths are kept off:
- Encodings are channel objects (alt.X, alt.ColorValue, …), never strings or dicts: Altair turns
  a string or dict into its channel by first tabulating its whole schema, ~10 ms each time.
- Layers that share one frame get it on the LayerChart, not on each layer: given to every layer,
  Altair moves it to the top itself, first hashing each layer's spec with its rows written out
  (a city's status grid: ~5 ms).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from lib.core.i18n import get_language

STAGE_COLOURS = ["#c6dbef", "#6baed6", "#2171b5", "#08306b"]

PROJECTOR_TEXT_PX = 16  # the least size of a chart's text on the meeting-room projector
# Bars a ranking shows on the projector: with 16 px labels, 8 bands and the axes fit under a page's
# title and tiles on a 720 px screen; a county's 25 towns did not.
PROJECTOR_BARS = 8


def for_projector(chart: Any, *, text_px: int = PROJECTOR_TEXT_PX) -> Any:
    """A copy of `chart` lettered for the projector (presentation mode): axis labels, legends and
    the values written on bars at least `text_px` pixels, titles larger.

    Marks that set their own smaller font size (a grid's cell values) are raised to `text_px`.
    The chart must not be configured yet (a configured chart cannot be configured again in parts).
    """
    big = raised_text(chart, text_px)
    # One band (a bar and its label) per 1.6 lines of text: room between labels, and no more
    # height than that on a 720 px screen.
    height = getattr(big, "height", alt.Undefined)
    if isinstance(height, alt.Step):
        height.step = round(text_px * 1.6)
    title_px = text_px + 2
    return (
        big.configure_axis(labelFontSize=text_px, titleFontSize=title_px)
        .configure_legend(labelFontSize=text_px, titleFontSize=title_px, symbolSize=180, labelLimit=320)
        .configure_header(labelFontSize=text_px, titleFontSize=title_px)
        .configure_title(fontSize=text_px + 4)
        .configure_text(fontSize=text_px)
    )


def raised_text(chart: Any, text_px: int) -> Any:
    """A copy of `chart` whose text marks that set a font size smaller than `text_px` use `text_px`
    (text marks without a size follow the chart's configuration)."""
    copy = chart.copy(deep=True)
    _raise_text_marks(copy, text_px)
    return copy


def _raise_text_marks(chart: Any, text_px: int) -> None:
    for layer in getattr(chart, "layer", None) or []:
        if layer is not alt.Undefined:
            _raise_text_marks(layer, text_px)
    mark = getattr(chart, "mark", alt.Undefined)
    if isinstance(mark, alt.MarkDef) and mark.type == "text":
        size = mark.fontSize
        if isinstance(size, int | float) and size < text_px:
            mark.fontSize = text_px


# Vega-Lite writes months in English ("March", "Mon 07") unless told a format: dates in the
# reader's language, a month on an axis, a day in a tooltip.
DATE_FORMATS = {"zh": ("%Y年%-m月", "%Y年%-m月%-d日"), "en": ("%b %Y", "%-d %b %Y")}


def _date_formats() -> tuple[str, str]:
    return DATE_FORMATS.get(get_language(), DATE_FORMATS["zh"])


def date_axis() -> alt.Axis:
    """A time axis labelled by month in the reader's language (2020年3月, Mar 2020)."""
    return alt.Axis(format=_date_formats()[0], labelOverlap=True)


def day_format() -> str:
    """A date in a tooltip, in the reader's language (2020年3月5日, 5 Mar 2020)."""
    return _date_formats()[1]


# Vega-Lite turns a vertical axis's title on its side, which leaves Chinese lying down: in Chinese
# it is written upright above the axis, right-aligned to it (as Chinese charts put it).
UPRIGHT_TITLE: dict[str, Any] = {
    "titleAngle": 0,
    "titleAlign": "right",
    "titleAnchor": "end",
    "titleBaseline": "bottom",
}
UPRIGHT_TITLE_ABOVE = 10  # pixels between the axis's top and the title's baseline


def y_axis(*, above: int = UPRIGHT_TITLE_ABOVE, **settings: Any) -> alt.Axis:
    """A vertical axis with `settings`; in Chinese its title upright, `above` pixels over its top
    (more when labels of a top axis are in the way)."""
    if get_language() == "zh":
        return alt.Axis(**UPRIGHT_TITLE, titleX=0, titleY=-above, **settings)
    return alt.Axis(**settings)


def stage_bars(frame: pd.DataFrame, *, x_title: str, y_title: str) -> alt.Chart:
    """Horizontal bars of households per stage, in stage order; `frame` has label, households."""
    order = list(frame["label"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=y_title, axis=y_axis()),
            x=alt.X("households:Q", title=x_title, axis=alt.Axis(format=",d", tickMinStep=1)),
            color=alt.Color("label:N", sort=order, scale=alt.Scale(range=STAGE_COLOURS), legend=None),
            tooltip=[
                alt.Tooltip("label:N", title=y_title),
                alt.Tooltip("households:Q", title=x_title, format=","),
            ],
        )
        .properties(height=alt.Step(34))
    )


BAR_COLOUR = "#2171b5"  # a measure without a target


PICK = "pick"  # the point selection a clickable chart names: a click selects the mark's `code`


def shown_bars(places: int, *, presenting: bool) -> int | None:
    """How many of `places` bars a ranking shows: all, except on the projector (PROJECTOR_BARS)."""
    return PROJECTOR_BARS if presenting and places > PROJECTOR_BARS else None


def ranking_bars(
    frame: pd.DataFrame,
    *,
    value_title: str,
    town_title: str,
    target: float | None = None,
    colours: Mapping[str, str] | None = None,
    worst_first: bool = False,
    pick: str | None = None,
    most: int | None = None,
) -> alt.LayerChart:
    """Towns as bars of a share (0–1) with the value written on each, best (or worst) first.

    `frame` has town, value and, when the measure has a target, status: the status in words,
    coloured by `colours` (word → colour, in legend order) with a legend underneath, and the
    target drawn as a dashed line. With `pick`, a click on a bar selects its row's `code` in the
    point selection of that name (for drilling down). With `most`, only the first `most` bars in
    that order (the projector's: `shown_bars`).
    """
    judged = colours is not None and "status" in frame.columns
    # An explicit order: "-x" sorts nothing once the value labels' layers filter the rows.
    ordered = frame.sort_values("value", ascending=worst_first, kind="stable")
    if most is not None:
        ordered = ordered.head(most)
        frame = ordered
    order = ordered["town"].tolist()
    base = alt.Chart().encode(
        y=alt.Y("town:N", sort=order, title=town_title, axis=y_axis(labelOverlap=False, labelLimit=160)),
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
    )
    tooltip = [
        alt.Tooltip("town:N", title=town_title),
        alt.Tooltip("value:Q", title=value_title, format=".1%"),
    ]
    if judged:
        assert colours is not None
        shown = [word for word in colours if word in set(frame["status"])]
        bars = base.mark_bar(cursor="pointer" if pick else "default").encode(
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=shown, range=[colours[word] for word in shown]),
                legend=alt.Legend(orient="bottom", title=None, symbolType="square"),
            ),
            tooltip=[*tooltip, alt.Tooltip("status:N")],
        )
    else:
        bars = base.mark_bar(color=BAR_COLOUR, cursor="pointer" if pick else "default").encode(
            tooltip=tooltip
        )
    if pick:
        bars = bars.add_params(alt.selection_point(name=pick, fields=["code"], on="click"))
    # Values written past each bar's end in dark text: legible on every status colour (white on
    # the amber bars was not), and Vega fits the plot so the longest bar's label stays inside.
    values = base.mark_text(align="left", dx=4, color="#1f2933").encode(
        text=alt.Text("value:Q", format=".1%")
    )
    layers: list[alt.Chart] = [bars]
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color="#1f2933", strokeDash=[4, 3], strokeWidth=1.5)
            .encode(x=alt.X("target:Q"))
        )
    layers.append(values)
    return alt.LayerChart(data=frame, layer=layers).properties(height=alt.Step(22))


def trend_line(
    frame: pd.DataFrame, *, target: float | None, value_title: str, date_title: str
) -> alt.LayerChart:
    """A share over time as a stepped line with points; `frame` has date, value."""
    line = (
        alt.Chart(frame)
        .mark_line(point=True, interpolate="step-after", color="#2171b5")
        .encode(
            x=alt.X("date:T", title=date_title, axis=date_axis()),
            y=alt.Y("value:Q", title=value_title, axis=y_axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("date:T", title=date_title, format=day_format()),
                alt.Tooltip("value:Q", title=value_title, format=".1%"),
            ],
        )
        .properties(height=260)
    )
    if target is None:
        return alt.LayerChart(layer=[line])
    rule = (
        alt.Chart(pd.DataFrame({"target": [target]}))
        .mark_rule(color="#1f2933", strokeDash=[4, 3])
        .encode(y=alt.Y("target:Q"))
    )
    return alt.LayerChart(layer=[line, rule])


TREND_LINE = "#8a949e"  # the line between the status-coloured points


def month_trend(
    frame: pd.DataFrame,
    *,
    value_title: str,
    date_title: str,
    target: float | None = None,
    colours: Mapping[str, str] | None = None,
    status_title: str | None = None,
) -> alt.LayerChart:
    """A share (0–1) at each month end as a line whose points are coloured by their status, with
    the target as a dashed line. `frame` has date, value and status (in words, coloured by
    `colours`: word → colour, in legend order)."""
    shown = [word for word in (colours or {}) if word in set(frame["status"])]
    base = alt.Chart().encode(
        x=alt.X("date:T", title=date_title, axis=date_axis()),
        y=alt.Y("value:Q", title=value_title, axis=y_axis(format="%"), scale=alt.Scale(domain=[0, 1])),
    )
    line = base.mark_line(color=TREND_LINE, strokeWidth=2)
    points = base.mark_point(filled=True, size=70, opacity=1).encode(
        color=alt.Color(
            "status:N",
            title=status_title,
            scale=alt.Scale(domain=shown, range=[(colours or {})[word] for word in shown]),
            legend=alt.Legend(orient="bottom", title=None, symbolType="circle"),
        ),
        tooltip=[
            alt.Tooltip("date:T", title=date_title, format=day_format()),
            alt.Tooltip("value:Q", title=value_title, format=".1%"),
            alt.Tooltip("status:N", title=status_title),
        ],
    )
    layers: list[alt.Chart] = [line, points]
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color="#1f2933", strokeDash=[4, 3], strokeWidth=1.5)
            .encode(y=alt.Y("target:Q"))
        )
    return alt.LayerChart(data=frame, layer=layers).properties(height=260)


def heatmap(frame: pd.DataFrame, *, x_title: str, y_title: str, value_title: str) -> alt.LayerChart:
    """A town × topic grid of shares (0–1) with the percentage written in each cell.

    `frame` has row (town), column (topic) and value; rows keep their order of appearance.
    """
    rows = list(dict.fromkeys(frame["row"]))
    columns = list(dict.fromkeys(frame["column"]))
    base = alt.Chart().encode(
        x=alt.X(
            "column:N",
            sort=columns,
            title=x_title,
            axis=alt.Axis(labelAngle=-25, labelLimit=170, labelOverlap=False),
        ),
        y=alt.Y("row:N", sort=rows, title=y_title, axis=y_axis(labelLimit=160)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "value:Q", title=value_title, scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1])
        ),
        tooltip=[
            alt.Tooltip("row:N", title=y_title),
            alt.Tooltip("column:N", title=x_title),
            alt.Tooltip("value:Q", title=value_title, format=".1%"),
        ],
    )
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("value:Q", format=".0%"), color=alt.ColorValue("#1f2933")
    )
    return alt.LayerChart(data=frame, layer=[cells, labels]).properties(height=alt.Step(22))


def timeline(frame: pd.DataFrame, *, kind_title: str, date_title: str) -> alt.Chart:
    """Sessions as bars from start to end date, one row each; `frame` has label, start, end, kind, detail."""
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadius=3, height=14)
        .encode(
            x=alt.X("start:T", title=date_title, axis=date_axis()),
            x2=alt.X2("end:T"),
            y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "kind:N", title=kind_title, scale=alt.Scale(range=["#2171b5", "#fd8d3c", "#74c476"])
            ),
            tooltip=[alt.Tooltip("label:N", title=kind_title), alt.Tooltip("detail:N", title=date_title)],
        )
        .properties(height=alt.Step(26))
    )


def funnel(frame: pd.DataFrame, *, x_title: str, y_title: str) -> alt.LayerChart:
    """Households that reached at least each stage, widest first; `frame` has label, households."""
    order = list(frame["label"])
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=y_title, axis=y_axis()),
            x=alt.X("households:Q", title=x_title, axis=alt.Axis(format=",d")),
            color=alt.Color("label:N", sort=order, scale=alt.Scale(range=STAGE_COLOURS), legend=None),
            tooltip=[
                alt.Tooltip("label:N", title=y_title),
                alt.Tooltip("households:Q", title=x_title, format=","),
            ],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("households:Q", format=","), color=alt.ColorValue("#1f2933")
    )
    return alt.LayerChart(data=frame, layer=[bars, text]).properties(height=alt.Step(34))


def stacked_stages(
    frame: pd.DataFrame, *, stage_order: list[str], x_title: str, y_title: str, legend_title: str
) -> alt.Chart:
    """Stacked horizontal bars: `frame` has row, stage (label), value; rows keep their order."""
    rows = list(dict.fromkeys(frame["row"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("row:N", sort=rows, title=y_title, axis=y_axis(labelLimit=160, labelOverlap=False)),
            x=alt.X("value:Q", title=x_title, stack="zero"),
            color=alt.Color(
                "stage:N",
                sort=stage_order,
                title=legend_title,
                scale=alt.Scale(domain=stage_order, range=STAGE_COLOURS),
            ),
            order=alt.Order("stage_rank:Q"),
            tooltip=[
                alt.Tooltip("row:N", title=y_title),
                alt.Tooltip("stage:N", title=legend_title),
                alt.Tooltip("value:Q", title=x_title, format=","),
            ],
        )
        .properties(height=alt.Step(20))
    )


def income_lines(frame: pd.DataFrame, *, x_title: str, y_title: str, legend_title: str) -> alt.Chart:
    """Mean per-capita income by year for several series (the poverty line among them)."""
    series = list(dict.fromkeys(frame["series"]))
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=x_title),
            y=alt.Y("value:Q", title=y_title, axis=y_axis(format=",d")),
            color=alt.Color(
                "series:N",
                sort=series,
                title=legend_title,
                scale=alt.Scale(range=["#1a9850", "#fc8d59", "#1f2933"]),
            ),
            strokeDash=alt.StrokeDashValue(
                **alt.condition(alt.datum.dashed, alt.value([5, 4]), alt.value([1, 0]))
            ),
            tooltip=[
                alt.Tooltip("year:O", title=x_title),
                alt.Tooltip("series:N", title=legend_title),
                alt.Tooltip("value:Q", title=y_title, format=",.0f"),
            ],
        )
        .properties(height=300)
    )


def monthly_bars(
    frame: pd.DataFrame, *, stage_order: list[str], x_title: str, y_title: str, legend_title: str
) -> alt.Chart:
    """Stage moves per month, stacked by the stage moved into; `frame` has month, stage, value."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=x_title, timeUnit="yearmonth", axis=date_axis()),
            y=alt.Y("value:Q", title=y_title, stack="zero", axis=y_axis(format=",d")),
            color=alt.Color(
                "stage:N",
                sort=stage_order,
                title=legend_title,
                scale=alt.Scale(domain=stage_order, range=STAGE_COLOURS),
            ),
            tooltip=[
                alt.Tooltip("month:T", title=x_title, timeUnit="yearmonth", format=_date_formats()[0]),
                alt.Tooltip("stage:N", title=legend_title),
                alt.Tooltip("value:Q", title=y_title),
            ],
        )
        .properties(height=260)
    )


SERIES_COLOURS = ["#2171b5", "#9ecae1", "#fd8d3c", "#74c476"]


def share_bars(
    frame: pd.DataFrame, *, value_title: str, measure_title: str, series_title: str
) -> alt.LayerChart:
    """Shares (0–1) per measure, one bar per series side by side, each with its value written beside it.

    `frame` has measure, series, value; measures and series keep their order of appearance (rows
    without a value are left out). The legend names the series (e.g. a town and the county).
    """
    shown = frame.dropna(subset=["value"])
    measures = list(dict.fromkeys(frame["measure"]))
    series = list(dict.fromkeys(frame["series"]))
    base = alt.Chart().encode(
        y=alt.Y("measure:N", sort=measures, title=measure_title, axis=y_axis(labelLimit=240)),
        yOffset=alt.YOffset("series:N", sort=series),
        x=alt.X("value:Q", title=value_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "series:N",
            sort=series,
            title=series_title,
            scale=alt.Scale(domain=series, range=SERIES_COLOURS[: max(len(series), 1)]),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("measure:N", title=measure_title),
            alt.Tooltip("series:N", title=series_title),
            alt.Tooltip("value:Q", title=value_title, format=".1%"),
        ],
    )
    text = base.mark_text(align="left", dx=4).encode(
        text=alt.Text("value:Q", format=".1%"), color=alt.ColorValue("#1f2933")
    )
    return alt.LayerChart(data=shown, layer=[bars, text])
