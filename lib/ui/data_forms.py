"""The import & export page's parts: template downloads, the checked upload, the all-or-nothing
import, and downloads of the lists the app holds."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import explain_failure
from lib.core.i18n import get_language, localized, t
from lib.files import export, imports
from lib.present.common import localized_column
from lib.queries import audit, overview, villages
from lib.queries import imports as import_queries
from lib.rules import privacy
from lib.rules.permissions import RULES, Actor
from lib.services import imports as import_service
from lib.services.auth import Role
from lib.ui import cache, reader, widgets
from lib.ui.downloads import excel_download

STATE_TYPE = "data_type"
STATE_ROUND = "data_upload_round"  # bumped after an import, so the uploader starts empty
STATE_CHECK = "data_check"  # (signature, upload, report) of the file last checked
STATE_FLASH = "data_flash"
STATE_FAILED = "data_import_failed"  # set when an import found rows made wrong since the check


def may_import(actor: Actor | None, kind: imports.RecordType) -> bool:
    """Whether the actor's role may store this type at all (the services check each record's scope)."""
    return actor is not None and actor.role in RULES[kind.action]


def pick_type() -> imports.RecordType:
    """The record-type picker; returns the chosen type."""
    names = {code: t(kind.title_key) for code, kind in imports.REGISTRY.items()}
    code = st.selectbox(t("data.type"), list(names), format_func=names.__getitem__, key=STATE_TYPE)
    kind = imports.record_type(code)
    st.caption(t(f"{kind.title_key}.about"))
    return kind


def template_rows(kind: imports.RecordType, actor: Actor | None) -> list[dict[str, Any]]:
    """What the type's template is prefilled with: the actor's own records, when they may change them."""
    if not kind.prefilled or actor is None or not may_import(actor, kind):
        return []
    scope = {"village_code": actor.village_code} if actor.role == Role.VILLAGE_EDITOR else {}
    if actor.role == Role.TOWN_EDITOR:
        scope = {"town_code": actor.town_code}
    frame = cache.query(import_queries.household_status_rows, **scope)
    show_names = privacy.names_visible(actor)
    records: list[dict[str, Any]] = frame.to_dict("records")
    for record in records:
        record["village"] = localized(record.pop("village_zh"), record.pop("village_en"))
        name = str(record["head_name"] or "")
        record["head_name"] = name if show_names else privacy.mask_name(name)
    return records


def template_button(kind: imports.RecordType, actor: Actor | None) -> None:
    """Download the type's template in the reader's language (built when clicked)."""
    lang = get_language()
    rows = template_rows(kind, actor)
    st.download_button(
        t("data.template"),
        data=cache.in_current_language(lambda: imports.template_bytes(kind, lang=lang, rows=rows)),
        file_name=f"{kind.code}_template_{lang}.xlsx",
        mime=export.EXCEL_MIME,
        key=f"data_template_{kind.code}",
        on_click="ignore",
        icon=":material/description:",
    )
    st.caption(t("data.template_caption"))


def check_upload(
    data: bytes, *, kind: imports.RecordType, actor: Actor | None, as_of: dt.date
) -> tuple[imports.Upload, imports.ImportReport]:
    """Read the file and check every row with its service's checks, in a read transaction:
    nothing is stored and no one else's save waits."""
    upload = imports.parse_upload(data, kind)
    with Session(cache.engine()) as session:
        report = import_service.check_import(session, actor=actor, record_type=kind, rows=upload, as_of=as_of)
    return upload, report


def show_report(report: imports.ImportReport) -> None:
    """The summary line, then the row-by-row table of problems (with its own download)."""
    if report.ok:
        st.success(t("data.summary.ok", n=report.row_count), icon=":material/check_circle:")
        return
    if report.file_refused:
        st.error(t("data.summary.file"), icon=":material/error:")
    else:
        st.error(t("data.summary.bad", ready=report.ready, bad=report.bad_rows), icon=":material/error:")
    frame = imports.report_frame(report, t)
    labels = {
        "row": st.column_config.NumberColumn(t("data.report.row"), format="%d", width="small"),
        "column": st.column_config.TextColumn(t("data.report.column"), width="medium"),
        "problem": st.column_config.TextColumn(t("data.report.problem"), width="large"),
    }
    # On screen the row is text: a problem with the whole file has none, and Streamlit's table
    # draws a missing number as "None". The Excel report keeps numbers and leaves that cell empty.
    shown = frame.assign(row=[("" if pd.isna(row) else str(row)) for row in frame["row"]])
    shown_labels = labels | {"row": st.column_config.TextColumn(t("data.report.row"), width="small")}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=shown_labels)
    excel_download(
        "data.report.download",
        frame,
        file_name=f"{report.record_type.code}_problems.xlsx",
        key="data_report_download",
        column_config=labels,
    )


def upload_section(kind: imports.RecordType, actor: Actor, *, as_of: dt.date) -> None:
    """Upload a filled template, see every problem, and import when every row passed."""
    widgets.pop_notice(STATE_FLASH, "success", icon=":material/check_circle:")
    failed = bool(st.session_state.pop(STATE_FAILED, False))
    round_ = int(st.session_state.setdefault(STATE_ROUND, 0))
    uploaded = widgets.file_upload(t("data.upload"), types=["xlsx"], key=f"data_upload_{kind.code}_{round_}")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    signature = (hashlib.sha256(data).hexdigest(), kind.code, cache.data_version(), get_language())
    held = st.session_state.get(STATE_CHECK)
    try:
        if held is None or held[0] != signature:
            # A file that passed, checked again because someone saved meanwhile (clicking Import
            # reruns the page), may no longer pass: say why there is no import.
            was_ready = held is not None and held[0][:2] == signature[:2] and held[2].ok
            with st.spinner(t("data.checking")):
                upload, report = check_upload(data, kind=kind, actor=actor, as_of=as_of)
            failed = failed or (was_ready and not report.ok)
            held = (signature, upload, report)
            st.session_state[STATE_CHECK] = held
        _signature, upload, report = held
        st.subheader(t("data.report_title"))
        if failed:
            st.error(t("data.import_failed"), icon=":material/error:")
        show_report(report)
        if report.ok and st.button(
            t("data.import", n=report.row_count),
            type="primary",
            key="data_import",
            icon=":material/download:",
        ):
            try:
                with Session(cache.engine()) as session:
                    done = import_service.run_import(
                        session,
                        actor=actor,
                        record_type=kind,
                        rows=upload,
                        as_of=as_of,
                        file_name=uploaded.name,
                    )
            except Exception as exc:  # the database failed: the app's own message, a log line without values
                cache.save_failed(exc)
                st.rerun()
            if done.committed:
                st.session_state.pop(STATE_CHECK, None)
                st.session_state[STATE_FLASH] = t("data.imported", n=done.imported, type=t(kind.title_key))
                st.session_state[STATE_ROUND] = round_ + 1
            else:  # the rows made wrong since the check are the report now, until the data changes again
                fresh = (signature[0], kind.code, cache.data_version(), get_language())
                st.session_state[STATE_CHECK] = (fresh, upload, done)
                st.session_state[STATE_FAILED] = True
            st.rerun()
    except SQLAlchemyError as exc:
        cache.fail(explain_failure(exc, config.database_url()))


def import_section(actor: Actor | None, *, as_of: dt.date) -> None:
    """Pick a type, download its template and — for editors — upload a filled one."""
    st.subheader(t("data.import_title"))
    if actor is None:
        st.info(t("data.sign_in"), icon=":material/lock:")
        return
    kind = pick_type()
    template_button(kind, actor)
    if not may_import(actor, kind):
        st.info(t("data.read_only"), icon=":material/info:")
        return
    upload_section(kind, actor, as_of=as_of)


# --- exports ------------------------------------------------------------------------------------


def town_table(town_codes: tuple[str, ...]) -> pd.DataFrame:
    """Every selected town's progress, ranked, with labelled columns (shares in percent)."""
    ranked = overview.rank_towns(cache.query(overview.town_progress, town_codes=town_codes), by="progress")
    columns = ["progress", *overview.SHARE_COLUMNS]
    return pd.DataFrame(
        {
            t("col.rank"): ranked["rank"],
            t("col.town"): localized_column(ranked, "name"),
            t("col.villages"): ranked["villages"],
            t("col.households"): ranked["households"],
            **{f"{t(f'col.{column}')} (%)": (ranked[column] * 100).round(1) for column in columns},
        }
    )


def village_table(town_codes: tuple[str, ...]) -> pd.DataFrame:
    """Every selected village's key measures, with labelled columns (shares in percent)."""
    measures = cache.query(villages.village_measures, town_codes=town_codes)
    shares = ["poverty_incidence", "plan_share", "stable_share", "verified_share"]
    return pd.DataFrame(
        {
            t("map.col.code"): measures["village_code"],
            t("map.col.village"): localized_column(measures, "name"),
            t("col.town"): [
                localized(zh, en)
                for zh, en in zip(measures["town_name_zh"], measures["town_name_en"], strict=True)
            ],
            t("col.households"): measures["households"],
            t("col.households_poor"): measures["households_poor"],
            **{f"{t(f'map.measure.{column}')} (%)": (measures[column] * 100).round(2) for column in shares},
            t("map.col.secretary"): measures["secretary"],
        }
    )


CHANGE_LOG_LABELS = {
    "at": "forms.col.at",
    "username": "forms.col.user",
    "action": "forms.col.action",
    "table_name": "forms.col.table",
    "record_key": "forms.col.key",
    "old_values": "forms.col.old",
    "new_values": "forms.col.new",
    "reason": "forms.col.reason",
}


def change_log_chunks(labels: Mapping[str, str]) -> Iterator[pd.DataFrame]:
    """The newest 5,000 changes, columns named by `labels` (CHANGE_LOG_LABELS in the reader's
    language, worked out before a click's thread runs this), read a chunk at a time."""
    for chunk in cache.streamed(audit.change_log_chunks, limit=5000):
        yield chunk.rename(columns=dict(labels))


def exports_section(actor: Actor | None, filters: reader.Filters, *, as_of: dt.date) -> None:
    """Downloads of the lists the app holds, for the towns selected in the sidebar."""
    st.subheader(t("data.exports_title"))
    st.caption(t("data.exports_intro"))
    scope = [t("data.title"), widgets.scope_line(filters)]
    lists: list[tuple[str, str, pd.DataFrame | Callable[[], Iterator[pd.DataFrame]]]] = [
        ("towns", "data.export.towns", town_table(filters.town_codes)),
        ("villages", "data.export.villages", village_table(filters.town_codes)),
    ]
    if actor is not None:  # read when clicked, a chunk at a time
        labels = {column: t(key) for column, key in CHANGE_LOG_LABELS.items()}
        lists.append(("change_log", "data.export.change_log", lambda: change_log_chunks(labels)))
    for code, key, table in lists:
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(f"**{t(key)}**")
        with right:
            excel_download(
                "data.download",
                table,
                file_name=f"{code}_{as_of.isoformat()}.xlsx",
                key=f"data_export_{code}",
                title_lines=[t(key), *scope],
            )
