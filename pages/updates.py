"""Updates (`/updates`): forms for town and village staff, and the change log."""

import streamlit as st

from lib.core.i18n import t
from lib.present import audit_view
from lib.present.common import parse_as_of
from lib.queries import audit, common
from lib.ui import (
    cache,
    correction_forms,
    household_forms,
    industry_forms,
    shell,
    signed_in,
    training_forms,
    village_forms,
    widgets,
)
from lib.ui import form_parts as parts

filters = shell.open_page("updates")
widgets.page_header(t("forms.title"), filters)
actor = signed_in.current_actor()
as_of = parse_as_of(widgets.as_of())
correction_forms.correction_banner(actor)

visit_tab, status_tab, plan_tab, village_tab, attendance_tab, review_tab, log_tab = st.tabs(
    [
        t("forms.tab.visit"),
        t("forms.tab.status"),
        t("forms.tab.plan"),
        t("forms.tab.village"),
        t("forms.tab.attendance"),
        t("forms.tab.review"),
        t("forms.tab.log"),
    ]
)

with visit_tab:
    parts.gated(
        actor,
        household_forms.may_record_visits,
        lambda a: household_forms.visit_form(a, as_of=as_of),
    )

with status_tab:
    parts.gated(
        actor,
        household_forms.may_record_visits,
        lambda a: household_forms.household_status_form(a, as_of=as_of),
    )

with plan_tab:
    parts.gated(
        actor,
        industry_forms.may_update_plans,
        lambda a: industry_forms.industry_plan_form(a, as_of=as_of),
        labels="plans",
    )

with village_tab:
    parts.gated(
        actor,
        village_forms.may_edit_villages,
        lambda a: village_forms.village_form(a, as_of=as_of),
        labels="staff",
    )

with attendance_tab:
    parts.gated(
        actor,
        training_forms.may_record_attendance,
        lambda a: training_forms.attendance_form(a, as_of=as_of),
        labels="attendance",
    )

with review_tab:
    if actor is None:
        st.info(t("forms.sign_in"), icon=":material/lock:")
    elif correction_forms.may_review(actor):
        correction_forms.review_panel(actor)
    elif correction_forms.may_resolve(actor):
        correction_forms.requests_list(actor)
    else:
        st.info(t("corrections.read_only"), icon=":material/info:")

with log_tab:
    if actor is None:
        st.info(t("forms.sign_in"), icon=":material/lock:")
    else:
        st.caption(t("forms.log_intro"))
        search_col, table_col = st.columns([3, 1])
        search = search_col.text_input(t("forms.search"), key="log_search", max_chars=common.SEARCH_MAX)
        tables = {name: name or t("forms.all_tables") for name in ["", *cache.query(audit.audited_tables)]}
        table = table_col.selectbox(
            t("forms.table"), list(tables), format_func=tables.__getitem__, key="log_table"
        )
        log = audit_view.with_change_column(
            cache.query(audit.change_log, search=search or None, table=table or None)
        )
        if log.empty:
            st.caption(t("forms.log_empty"))
        else:
            st.dataframe(
                log[["at", "username", "action", "table_name", "record_key", "change", "reason"]],
                hide_index=True,
                width="stretch",
                column_config={
                    "at": st.column_config.DatetimeColumn(t("forms.col.at"), format="YYYY-MM-DD HH:mm"),
                    "username": t("forms.col.user"),
                    "action": t("forms.col.action"),
                    "table_name": t("forms.col.table"),
                    "record_key": t("forms.col.key"),
                    "change": t("forms.col.change"),
                    "reason": t("forms.col.reason"),
                },
            )
