"""The long household lists of /industry and /assessment, paged in SQL.

Each shows one page (`paging.PAGE_SIZE` rows) at a time with "rows 1–200 of N" and previous / next
(the page kept in session state), and an Excel download of the whole list, built only when
clicked, in the viewer's language, holding at most `paging.EXPORT_LIMIT` rows (with a note if longer).
The downloads read their list a chunk at a time in one query and write it row by row
(`*_workbook`), so a province's 100,000 rows never sit in memory at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from lib.core.i18n import t
from lib.files import export
from lib.present import assessment_view, industry_view
from lib.queries import assessment as assessment_queries
from lib.queries import industry
from lib.ui import cache, paging


def industry_gaps(
    *,
    towns: Sequence[str],
    as_of: dt.date,
    months: int,
    stuck_total: int,
    show_names: bool,
    scope: str,
) -> None:
    """Households with labour and no plan, then plans stuck over `months` months; one workbook."""
    gap_total = cache.query(industry.gaps_no_plan_count, town_codes=towns)
    st.subheader(t("industry.no_plan"))
    if not gap_total:
        st.success(t("industry.no_plan_none"))
    else:
        paging.paged_table(
            gap_total,
            lambda limit, offset: industry_view.gaps_table(
                cache.query(industry.gaps_no_plan, town_codes=towns, limit=limit, offset=offset),
                show_names=show_names,
            ),
            key="industry_gaps_page",
        )
    st.subheader(t("industry.stuck", months=months))
    if not stuck_total:
        st.success(t("industry.stuck_none"))
    else:
        paging.paged_table(
            stuck_total,
            lambda limit, offset: industry_view.stuck_table(
                cache.query(
                    industry.stuck_plans,
                    town_codes=towns,
                    as_of=as_of,
                    months=months,
                    limit=limit,
                    offset=offset,
                ),
                show_names=show_names,
            ),
            key="industry_stuck_page",
        )
    st.download_button(
        t("industry.download_gaps"),
        data=cache.in_current_language(
            lambda: gaps_workbook(towns=towns, as_of=as_of, months=months, show_names=show_names, scope=scope)
        ),
        file_name=f"industry_gaps_{as_of}.xlsx",
        mime=export.EXCEL_MIME,
        on_click="ignore",
    )
    paging.export_note(max(gap_total, stuck_total))


def gaps_workbook(
    *, towns: Sequence[str], as_of: dt.date, months: int, show_names: bool, scope: str
) -> bytes:
    """The gaps download: households with labour and no plan, then stuck plans (a sheet each, at
    most EXPORT_LIMIT rows), read and written a chunk at a time."""
    no_plan = cache.streamed(industry.gaps_no_plan_chunks, town_codes=towns, limit=paging.EXPORT_LIMIT)
    stuck = cache.streamed(
        industry.stuck_plans_chunks, town_codes=towns, as_of=as_of, months=months, limit=paging.EXPORT_LIMIT
    )
    names = industry_view.gap_sheet_names(months)
    return export.workbook_bytes(
        [
            export.Sheet(
                names[0],
                (industry_view.gaps_table(chunk, show_names=show_names) for chunk in no_plan),
                title_lines=[t("industry.title"), scope],
            ),
            export.Sheet(
                names[1], (industry_view.stuck_table(chunk, show_names=show_names) for chunk in stuck)
            ),
        ]
    )


def industry_single_links(*, towns: Sequence[str], as_of: dt.date, show_names: bool) -> None:
    """Households whose every link goes to one enterprise or cooperative."""
    st.subheader(t("industry.single_link"))
    total = cache.query(industry.single_link_count, town_codes=towns)
    if not total:
        st.success(t("industry.single_link_none"))
        return
    paging.paged_table(
        total,
        lambda limit, offset: industry_view.single_link_table(
            cache.query(industry.single_link_households, town_codes=towns, limit=limit, offset=offset),
            show_names=show_names,
        ),
        key="industry_single_page",
    )
    st.download_button(
        t("data.download"),
        data=cache.in_current_language(
            lambda: single_links_workbook(towns=towns, as_of=as_of, show_names=show_names)
        ),
        file_name=f"single_link_{as_of}.xlsx",
        mime=export.EXCEL_MIME,
        key="dl_single",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
    )
    paging.export_note(total)


def single_links_workbook(*, towns: Sequence[str], as_of: dt.date, show_names: bool) -> bytes:
    """The single-link households' download (at most EXPORT_LIMIT rows), a chunk at a time."""
    chunks = cache.streamed(
        industry.single_link_households_chunks, town_codes=towns, limit=paging.EXPORT_LIMIT
    )
    return export.workbook_bytes(
        [
            export.Sheet(
                f"single_link_{as_of}",
                (industry_view.single_link_table(chunk, show_names=show_names) for chunk in chunks),
            )
        ]
    )


def assessment_issues(
    *,
    total: int,
    as_of: dt.date,
    months: int,
    towns: Sequence[str],
    check: str,
    show_names: bool,
    scope: str,
) -> None:
    """Households tripping `check` (every check when ""): `total` of them, from the readiness counts."""
    if not show_names:
        st.caption(t("assessment.names_masked"))
    if not total:
        st.success(t("assessment.issues_none"))
        return
    checks = [check] if check else None
    paging.paged_table(
        total,
        lambda limit, offset: assessment_view.issue_table(
            cache.query(
                assessment_queries.issue_households,
                as_of=as_of,
                within_months=months,
                town_codes=towns,
                checks=checks,
                limit=limit,
                offset=offset,
            ),
            show_names=show_names,
        ),
        key=f"assessment_issues_page_{check or 'all'}",
        height=420,
    )
    st.download_button(
        t("assessment.download_issues"),
        data=cache.in_current_language(
            lambda: issues_workbook(
                towns=towns, as_of=as_of, months=months, checks=checks, show_names=show_names, scope=scope
            )
        ),
        file_name=f"assessment_issues_{as_of}.xlsx",
        mime=export.EXCEL_MIME,
        on_click="ignore",
    )
    paging.export_note(total)


def issues_workbook(
    *,
    towns: Sequence[str],
    as_of: dt.date,
    months: int,
    checks: Sequence[str] | None,
    show_names: bool,
    scope: str,
) -> bytes:
    """The households with data issues (`checks`, every check when None; at most EXPORT_LIMIT
    rows), read and written a chunk at a time."""
    chunks = cache.streamed(
        assessment_queries.issue_households_chunks,
        as_of=as_of,
        within_months=months,
        town_codes=towns,
        checks=checks,
        limit=paging.EXPORT_LIMIT,
    )
    return export.workbook_bytes(
        [
            export.Sheet(
                t("assessment.issues_title"),
                (assessment_view.issue_table(chunk, show_names=show_names) for chunk in chunks),
                title_lines=[t("assessment.title"), scope],
            )
        ]
    )
