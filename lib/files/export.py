"""Files to download: Excel workbooks of tables (lib.files.excel) and PNG pictures of Altair charts,
made offline."""

from __future__ import annotations

import json
import threading

import altair as alt

from lib.files.excel import EXCEL_MIME as EXCEL_MIME
from lib.files.excel import Sheet as Sheet
from lib.files.excel import cell_value as cell_value
from lib.files.excel import excel_bytes as excel_bytes
from lib.files.excel import workbook_bytes as workbook_bytes

# Altair refuses DataFrames over 5,000 rows (a guard for notebooks); a province's map picture has
# 30,000 villages and is meant to. Inline values instead would be validated one by one (20× slower).
alt.data_transformers.enable("default", max_rows=None)

# Two sessions rendering at once in one server once gave a chart without its bars: renders take turns.
_RENDER_LOCK = threading.Lock()


def chart_spec(chart: alt.TopLevelMixin) -> str:
    """The chart's Vega-Lite specification as JSON text (data included): cheap to keep and to
    cache on, rendered only when a picture is wanted (`spec_png`, `spec_svg`)."""
    return json.dumps(chart.to_dict(), ensure_ascii=False, sort_keys=True)


def spec_png(spec: str, *, scale: float = 2.0) -> bytes:
    """Render a Vega-Lite specification (`chart_spec`) to PNG with vl-convert; no browser, no network."""
    import vl_convert as vlc

    with _RENDER_LOCK:
        return bytes(vlc.vegalite_to_png(json.loads(spec), scale=scale))


def spec_svg(spec: str) -> str:
    """Render a Vega-Lite specification to SVG (text stays text; fonts are named, not embedded)."""
    import vl_convert as vlc

    with _RENDER_LOCK:
        return str(vlc.vegalite_to_svg(json.loads(spec)))


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """Render an Altair chart (geoshape maps included) to PNG."""
    return spec_png(chart_spec(chart), scale=scale)


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to SVG."""
    return spec_svg(chart_spec(chart))
