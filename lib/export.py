"""Files to download: Excel workbooks of tables and PNG pictures of Altair charts, made offline."""

from __future__ import annotations

import io
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


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """Render an Altair chart (geoshape maps included) to PNG with vl-convert; no browser, no network."""
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(chart.to_dict(), scale=scale))


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to SVG with vl-convert (text stays text; fonts are named, not embedded)."""
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(chart.to_dict()))
