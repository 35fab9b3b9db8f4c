"""The Load data page's steps: pick a kind, upload, map the columns, preview, see the report, confirm.

The same steps as `python -m lib.load` (lib.services.loading): a file is checked in a read
transaction (nothing written, no lock), and written only when the administrator confirms and
every row still passes. The setup checklist at the top says what is loaded and what is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.i18n import format_count, get_language, t
from lib.files import export
from lib.files.boundaries import BoundaryFile, read_boundaries
from lib.files.imports import (
    RecordType,
    Upload,
    column_label,
    column_text,
    header_assignment,
    problem_text,
    template_bytes,
)
from lib.files.loads import BOUNDARIES, KINDS, read_file
from lib.present.markup import escape_markdown
from lib.queries.setup import SetupStatus
from lib.rules.permissions import Actor
from lib.services import loading
from lib.ui import cache, reader, widgets

STATE_HELD = "load_held"  # (signature, upload or outlines, report)
STATE_FLASH = "load_flash"
STATE_ROUND = "load_round"  # a new uploader after each load, so the old file is gone
STATE_SHOWN_MISSING = "load_shown_missing"  # the keys listed as missing in the run before
PREVIEW_ROWS = 20
STEPS = (  # checklist step → (count shown, label key of what to do)
    ("administrators", "setup.step.admin"),
    ("towns", "setup.step.divisions"),
    ("outlines", "setup.step.boundaries"),
    ("households", "setup.step.households"),
    ("postings", "setup.step.postings"),
    ("attendance", "setup.step.training"),
    ("organisations", "setup.step.organisations"),
    ("plans", "setup.step.plans"),
)
COMMANDS = {
    "administrators": "python -m lib.admin create-user --username admin --role admin --display-name 管理员",
    "towns": "python -m lib.load divisions 区划.xlsx",
    "outlines": "python -m lib.load boundaries 乡镇界线.zip",
    "households": "python -m lib.load households 建档立卡户.xlsx",
    "postings": "python -m lib.load postings 驻村干部.xlsx",
    "attendance": "python -m lib.load training 培训.xlsx",
    "organisations": "python -m lib.load organisations 经营主体.xlsx",
    "plans": "python -m lib.load plans 产业计划.xlsx",
}


def checklist(status: SetupStatus, *, collapsible: bool = False) -> None:
    """Each setup step with what is loaded, or what is still missing and how to load it.

    `collapsible`: once the county is loaded (divisions, outlines, households), the list folds away.
    """
    if collapsible and status.complete:
        with st.expander(t("setup.title_done"), expanded=False, icon=":material/check_circle:"):
            _steps(status)
        return
    st.subheader(t("setup.title"))
    st.caption(t("setup.intro"))
    with st.container(border=True):
        _steps(status)


def _steps(status: SetupStatus) -> None:
    for field, label_key in STEPS:
        count = int(getattr(status, field))
        mark, text = st.columns([1, 20], vertical_alignment="top")
        mark.markdown(":material/check_circle:" if count else ":material/radio_button_unchecked:")
        with text:
            if count:
                detail = t(f"setup.done.{field}", n=format_count(count))
                if field == "towns":
                    detail += t("setup.done.villages", n=format_count(status.villages))
                st.markdown(f"**{t(label_key)}** · {detail}")
            else:
                st.markdown(f"**{t(label_key)}** · {t(f'setup.missing.{field}')}")
                st.code(COMMANDS[field], language="bash")


def setup_notice(status: SetupStatus) -> None:
    """One line on a page whose county is not fully loaded: what is missing, and where to load it
    (not on the projector: it is the administrator's to-do, not the meeting's)."""
    if reader.presenting():
        return
    missing = [t(label_key) for field, label_key in STEPS[:4] if not getattr(status, field)]
    with st.container(border=True):
        st.markdown(f"{t('setup.overview_hint')} {t('setup.separator').join(missing)}")
        st.page_link("pages/load.py", label=t("setup.open_load"), icon=":material/upload_file:")


def missing_notice(status: SetupStatus, field: str) -> bool:
    """Say so when the county has not loaded what a page shows (`field` of SetupStatus), with where
    to load it; True when it was missing."""
    if getattr(status, field):
        return False
    with st.container(border=True):
        st.markdown(t(f"setup.missing.{field}"))
        st.code(COMMANDS[field], language="bash")
        st.page_link("pages/load.py", label=t("setup.open_load"), icon=":material/upload_file:")
    return True


def _kind_label(code: str) -> str:
    return t(f"data.type.{code}")


def _signature(data: bytes, *parts: object) -> tuple[object, ...]:
    return (hashlib.sha256(data).hexdigest(), *parts, cache.data_version(), get_language())


def load_section(actor: Actor | None, *, as_of: dt.date) -> None:
    """The steps, for administrators; others see why they cannot load."""
    st.subheader(t("load.page.load_title"))
    if actor is None or actor.role != Role.ADMIN:
        st.info(t("load.page.admins_only"), icon=":material/lock:")
        return
    widgets.pop_notice(STATE_FLASH, "success", icon=":material/check_circle:")
    codes = [BOUNDARIES.code, *KINDS]
    order = [
        "divisions",
        BOUNDARIES.code,
        *(code for code in codes if code not in ("divisions", BOUNDARIES.code)),
    ]
    code = st.selectbox(t("load.page.kind"), options=order, format_func=_kind_label, key="load_kind")
    round_ = int(st.session_state.setdefault(STATE_ROUND, 0))
    if code != BOUNDARIES.code:
        lang = get_language()
        st.download_button(
            t("data.template"),
            data=cache.in_current_language(lambda: template_bytes(KINDS[code], lang=lang)),
            file_name=f"{code}_template_{lang}.xlsx",
            mime=export.EXCEL_MIME,
            key=f"load_template_{code}",
            on_click="ignore",
            icon=":material/download:",
        )
    types = ["geojson", "json", "zip"] if code == BOUNDARIES.code else ["xlsx", "csv"]
    limit = widgets.upload_limit_mb()  # larger files go through python -m lib.load
    uploaded = widgets.file_upload(
        t("load.page.upload", max=limit), types=types, key=f"load_upload_{code}_{round_}"
    )
    st.caption(t("load.page.upload_help", max=limit))
    if uploaded is None:
        return
    if code == BOUNDARIES.code:
        _boundaries(uploaded.name, uploaded.getvalue(), actor)
    else:
        _sheet(code, uploaded.name, uploaded.getvalue(), actor, as_of=as_of)


# --- sheets ---------------------------------------------------------------------------------------


def _read_and_check(
    code: str, data: bytes, actor: Actor, *, as_of: dt.date
) -> tuple[Upload, loading.LoadReport, dict[str, str]]:
    with Session(cache.engine()) as session:
        mapping = loading.saved_mapping(session, code)
        session.rollback()
        upload = read_file(data, code, mapping=mapping)
        report = loading.check_load(session, actor=actor, kind=code, upload=upload, as_of=as_of)
    return upload, report, mapping


def _sheet(code: str, name: str, data: bytes, actor: Actor, *, as_of: dt.date) -> None:
    signature = _signature(data, code)
    held = st.session_state.get(STATE_HELD)
    if held is None or held[0] != signature:
        with st.spinner(t("data.checking")):
            upload, report, mapping = _read_and_check(code, data, actor, as_of=as_of)
        held = (signature, upload, report, mapping)
        st.session_state[STATE_HELD] = held
    upload, report, mapping = held[1:]
    # What the administrator saw when they clicked: a click reruns the page, which checks the file
    # again when someone saved meanwhile; the load must retire only what was on the screen.
    shown_missing = st.session_state.get(STATE_SHOWN_MISSING)
    st.session_state[STATE_SHOWN_MISSING] = [change.key for change in report.missing]
    missing_columns = any(problem.key == "data.error.missing_columns" for problem in upload.problems)
    _mapping_step(code, upload, mapping, actor, open_=missing_columns)
    if upload.rows:
        _preview(upload)
    _report(report)
    retire = False
    if report.missing:
        retire = st.checkbox(
            t("load.page.retire", n=len(report.missing), shown=format_count(len(report.missing))),
            key="load_retire",
            value=False,
        )
    ready = not report.problems and (report.changes or (retire and report.missing))
    if ready and st.button(
        t("load.page.confirm"), type="primary", key="load_confirm", icon=":material/upload:"
    ):
        with Session(cache.engine()) as session:
            done = loading.run_load(
                session,
                actor=actor,
                kind=code,
                upload=upload,
                as_of=as_of,
                file_name=name,
                retire_missing=retire,
                expected_missing=shown_missing if shown_missing is not None else None,
            )
        _finish(done)


def _mapping_step(code: str, upload: Upload, mapping: dict[str, str], actor: Actor, *, open_: bool) -> None:
    """Each of the file's headers and the column it is read as; saving keeps it for next month."""
    if not upload.headers:
        return
    kind = KINDS[code]
    assignment = header_assignment(kind, upload.headers, mapping)
    options = ["", *kind.codes]
    with st.expander(t("load.page.mapping_title"), expanded=open_), st.form(f"load_mapping_{code}"):
        st.caption(t("load.page.mapping_help"))
        chosen: dict[str, str] = {}
        for index, header in enumerate(upload.headers):
            chosen[header] = st.selectbox(
                escape_markdown(t("load.page.mapping_header", header=header)),  # the file's own text
                options=options,
                index=options.index(assignment.get(header, "")),
                format_func=lambda column: (
                    t(kind.column(column).label_key) if column else t("load.page.not_read")
                ),
                key=f"load_map_{code}_{index}",
            )
        if st.form_submit_button(t("load.page.mapping_save"), icon=":material/save:"):
            changed = {
                header: column for header, column in chosen.items() if assignment.get(header, "") != column
            }
            with Session(cache.engine()) as session:
                loading.save_mapping(session, actor=actor, kind=code, mapping=changed)
            st.session_state.pop(STATE_HELD, None)
            st.rerun()


def _preview(upload: Upload) -> None:
    st.markdown(f"**{t('load.page.preview_title')}**")
    kind = upload.record_type
    shown = [column for column in kind.codes if column in upload.letters]
    frame = pd.DataFrame(
        [
            {t(kind.column(column).label_key): _cell_text(row.values.get(column)) for column in shown}
            for row in upload.rows[:PREVIEW_ROWS]
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    st.caption(
        t(
            "load.page.preview_caption",
            n=format_count(min(PREVIEW_ROWS, len(upload.rows))),
            rows=format_count(upload.row_count),
        )
    )


def _value_text(name: str, value: Any) -> str:
    """A changed field's value as the report shows it: a status by its name, a blank as a dash."""
    if name == "status" and isinstance(value, str):
        return t(f"village.status.{value}")
    return _cell_text(value) or "—"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("data.bool.yes") if value else t("data.bool.no")
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


# --- the report -------------------------------------------------------------------------------


def _report(report: loading.LoadReport) -> None:
    st.markdown(f"**{t('load.page.report_title')}**")
    if report.problems:
        st.error(
            t("load.report.problems", n=len(report.problems), rows=report.row_count), icon=":material/error:"
        )
        st.dataframe(_problem_frame(report), hide_index=True, width="stretch")
        st.caption(t("load.report.nothing_written"))
        return
    added = report.count("add")
    changed = report.count("change") + report.count("restore")
    for column, (label_key, value) in zip(
        st.columns(4),
        (
            ("load.page.added", added),
            ("load.page.changed", changed),
            ("load.page.unchanged", report.unchanged),
            ("load.page.missing", len(report.missing)),
        ),
        strict=True,
    ):
        column.metric(t(label_key), format_count(value))
    if report.loaded_before is not None:
        st.info(
            t("load.report.loaded_before", at=report.loaded_before.strftime("%Y-%m-%d %H:%M")),
            icon=":material/info:",
        )
    if report.ignored:
        st.caption(escape_markdown(t("load.report.ignored", names=", ".join(report.ignored[:20]))))
    if report.changes:
        st.dataframe(_change_frame(report.changes, report.kind), hide_index=True, width="stretch")
    if report.unmatched:
        st.warning(
            t("load.report.unmatched", n=format_count(len(report.unmatched))), icon=":material/warning:"
        )
        st.dataframe(_change_frame(report.unmatched, report.kind), hide_index=True, width="stretch")
    if report.missing:
        st.markdown(t("load.page.missing_title"))
        missing = pd.DataFrame({t("load.page.col.key"): [change.key for change in report.missing]})
        st.dataframe(missing, hide_index=True, width="stretch")
    if not report.changes and not report.missing:
        st.success(t("load.report.nothing_to_do"), icon=":material/check_circle:")


def _problem_frame(report: loading.LoadReport) -> pd.DataFrame:
    ordered = sorted(report.problems, key=lambda p: (p.row or 0, p.letter or ""))
    return pd.DataFrame(
        {
            t("load.page.col.row"): pd.array([p.row for p in ordered], dtype="Int64"),
            t("load.page.col.column"): [column_text(p, t, report.kind) for p in ordered],
            t("load.page.col.problem"): [problem_text(p, t, report.kind) for p in ordered],
        }
    )


def _change_frame(changes: list[loading.Change], kind: RecordType) -> pd.DataFrame:
    def fields(change: loading.Change) -> str:
        if change.action == "add" or not change.new:
            return ""
        return "; ".join(
            f"{column_label(name, t, kind)}: {_value_text(name, change.old.get(name))} → "
            f"{_value_text(name, value)}"
            for name, value in change.new.items()
            if name != "geometry"
        )

    return pd.DataFrame(
        {
            t("load.page.col.row"): pd.array([c.row for c in changes], dtype="Int64"),
            t("load.page.col.key"): [c.key for c in changes],
            t("load.page.col.action"): [t(f"load.action.{c.action}") for c in changes],
            t("load.page.col.fields"): [fields(c) for c in changes],
        }
    )


def _finish(done: loading.LoadReport) -> None:
    if done.committed:
        st.session_state.pop(STATE_HELD, None)
        st.session_state[STATE_ROUND] = int(st.session_state.get(STATE_ROUND, 0)) + 1
        st.session_state[STATE_FLASH] = t(
            "load.page.loaded",
            added=format_count(done.count("add")),
            changed=format_count(done.count("change") + done.count("restore")),
        )
    else:  # someone changed the data since the check: show the report as it stands now
        held = st.session_state.get(STATE_HELD)
        if held is not None:
            st.session_state[STATE_HELD] = (held[0], held[1], done, *held[3:])
    st.rerun()


# --- boundaries ---------------------------------------------------------------------------------


def _boundaries(name: str, data: bytes, actor: Actor) -> None:
    left, right = st.columns(2)
    code_property = left.text_input(
        t("load.page.code_property"), key="load_code_property", max_chars=40
    ).strip()
    epsg_text = right.text_input(t("load.page.epsg"), key="load_epsg", max_chars=6).strip()
    epsg = int(epsg_text) if epsg_text.isdigit() else None
    if epsg_text and epsg is None:
        st.error(t("load.page.epsg_bad"), icon=":material/error:")
        return
    signature = _signature(data, BOUNDARIES.code, code_property, epsg)
    held = st.session_state.get(STATE_HELD)
    if held is None or held[0] != signature:
        with st.spinner(t("data.checking")), Session(cache.engine()) as session:
            outlines = read_boundaries(
                data,
                code_property=code_property or None,
                epsg=epsg,
                known_codes=loading.division_codes(session),
            )
            session.rollback()
            report = loading.load_boundaries(
                session, actor=actor, outlines=outlines, file_name=name, write=False
            )
        held = (signature, outlines, report)
        st.session_state[STATE_HELD] = held
    outlines, report = held[1:]
    _outline_facts(outlines)
    _report(report)
    ready = not report.problems and report.changes
    if ready and st.button(
        t("load.page.confirm"), type="primary", key="load_confirm", icon=":material/upload:"
    ):
        with Session(cache.engine()) as session:
            done = loading.load_boundaries(session, actor=actor, outlines=outlines, file_name=name)
        _finish(done)


def _outline_facts(outlines: BoundaryFile) -> None:
    if outlines.code_property:
        line = t("load.report.source_crs", crs=outlines.source_crs, field=outlines.code_property)
        st.caption(escape_markdown(line))  # the property's name comes from the file
