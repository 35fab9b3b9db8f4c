"""The projector's plain table (lib.ui.widgets.projector_table): counts with separators, numpy's
integers included, a share as a percentage and a missing one as a dash, typed text escaped."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import pandas as pd

    from lib.ui import widgets

    frame = pd.DataFrame(
        {"phase": ["**b** 1", "二期"], "attended": [1234, 56], "share": [42.857, float("nan")]}
    )
    widgets.projector_table(frame, {"phase": "Phase", "attended": "Attended"}, shares=["share"])


def test_counts_shares_and_text() -> None:
    at = AppTest.from_function(_script).run()
    assert not at.exception, at.exception
    table = at.table[0].value
    assert list(table.columns) == ["Phase", "Attended", "share"]
    assert table.to_dict("list") == {
        "Phase": [r"\*\*b\*\* 1", "二期"],
        "Attended": ["1,234", "56"],
        "share": ["42.9%", "—"],
    }
