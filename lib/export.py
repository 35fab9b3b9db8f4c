"""Files to download: Excel workbooks of tables and PNG pictures of Altair charts, made offline."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping

import altair as alt
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_bytes(
    sheets: Mapping[str, pd.DataFrame], *, title_lines: Mapping[str, list[str]] | None = None
) -> bytes:
    """An .xlsx workbook with one sheet per frame; optional title lines above each table.

    Headers are bold, columns sized to their content, the header row frozen.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = name[:31]
            lines = (title_lines or {}).get(name, [])
            start = len(lines) + (1 if lines else 0)
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=start)
            sheet = writer.sheets[sheet_name]
            for row, line in enumerate(lines, start=1):
                sheet.cell(row=row, column=1, value=line).font = Font(
                    bold=row == 1, size=14 if row == 1 else 11
                )
            for cell in sheet[start + 1]:
                cell.font = Font(bold=True)
            sheet.freeze_panes = sheet.cell(row=start + 2, column=1)
            for index, column in enumerate(frame.columns, start=1):
                values = [str(column), *(str(v) for v in frame[column].head(500))]
                width = max(len(v) + sum(1 for ch in v if ord(ch) > 0x2E80) for v in values)
                sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


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
