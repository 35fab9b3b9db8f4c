"""Audit rows as people read them: changed fields with the forms' labels, old → new."""

from __future__ import annotations

import json

import pandas as pd

from lib.core.i18n import set_language
from lib.present import audit_view


def test_a_change_names_the_fields_with_the_forms_labels_in_the_readers_language() -> None:
    old = json.dumps({"status": "poor", "exit_year": None, "safe_water": False})
    new = json.dumps({"status": "exited", "exit_year": 2020, "safe_water": True})
    set_language("en")
    text = audit_view.change_text(old, new)
    assert text.startswith("Status: poor → exited; ")
    assert "— → 2020" in text
    assert text.endswith(": no → yes")
    set_language("zh")
    assert audit_view.change_text(old, new).endswith(": 否 → 是")
    set_language("en")


def test_a_new_record_lists_its_values_and_odd_text_is_shown_as_it_is() -> None:
    set_language("en")
    assert audit_view.change_text(None, json.dumps({"comment": "日期写错了"})) == "comment: 日期写错了"
    assert audit_view.change_text(None, None) == ""
    assert audit_view.change_text("not json", None) == "not json → —"


def test_with_change_column_keeps_the_rows() -> None:
    frame = pd.DataFrame(
        {
            "old_values": [None, json.dumps({"stage": "planned"})],
            "new_values": ['{"a": 1}', '{"stage": "started"}'],
        }
    )
    shown = audit_view.with_change_column(frame)
    assert list(shown["change"]) == ["a: 1", f"{audit_view.field_label('stage')}: planned → started"]
    assert audit_view.with_change_column(frame.iloc[:0]).empty
