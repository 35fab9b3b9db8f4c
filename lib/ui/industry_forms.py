"""The industry-plan form on /updates: "one household, one industry", a plan added or changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import INCOME_MAX
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import localized, t
from lib.queries import plan_forms
from lib.rules.permissions import PLAN_UPDATE, RULES, Actor
from lib.services import industry
from lib.services.households import EARLIEST_DATE, field_messages
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

STATE_ERRORS = "plan_errors"  # (form suffix, {field: message}): shown only on the form they belong to
STATE_FLASH = "plan_flash"
STATE_STALE = "plan_stale"
NEW_PLAN = 0  # the plan picker's "add a new plan" choice (plan ids start at 1)
NO_PARTNER = 0


def may_update_plans(actor: Actor) -> bool:
    """Whether the actor's role may keep plans at all (the service checks the household's scope)."""
    return actor.role in RULES[PLAN_UPDATE]


def industry_plan_form(actor: Actor, *, as_of: dt.date) -> None:
    """Pick a household in the actor's town or village, see its plans, and add one or change one.

    Widgets are keyed on the household, the plan and its version, so after a save — or when
    someone else saved first — the form shows the values now in the database.
    """
    widgets.pop_notice(STATE_FLASH, "success")
    widgets.pop_notice(STATE_STALE, "warning")
    picked = parts.pick_household(actor, "plan")
    if picked is None:
        return
    _homes, options = picked
    household_id = int(
        st.selectbox(
            t("forms.household"), list(options), format_func=options.__getitem__, key="plan_household"
        )
    )
    household = cache.query(plan_forms.plan_household, household_id=household_id)
    if household is None:
        return
    labour = int(household["labour_count"])
    st.caption(t("plans.labour", n=labour) if labour else t("plans.no_labour"))
    plans = cache.query(plan_forms.household_plans, household_id=household_id)
    _plans_table(plans)

    stages = {stage: t(f"stage.{stage}") for stage in industry.STAGES}
    choices = {NEW_PLAN: t("plans.new")} | {
        int(row.plan_id): t(
            "plans.option",
            industry=localized(row.industry_name_zh, row.industry_name_en),
            stage=stages.get(str(row.stage), str(row.stage)),
            since=row.stage_since.isoformat(),
        )
        for row in plans.itertuples()
    }
    choice_key = f"plan_choice_{household_id}"
    if st.session_state.get(choice_key) not in choices:
        st.session_state.pop(choice_key, None)
    plan_id = int(
        st.selectbox(t("plans.choose"), list(choices), format_func=choices.__getitem__, key=choice_key)
    )
    record = _record(plans, plan_id, as_of)
    suffix = f"{household_id}_{plan_id}_{record['version']}"
    _plan_fields(actor, household, record, plan_id, suffix, stages, as_of)
    if plan_id != NEW_PLAN:
        parts.history(
            [(industry.PLAN_TABLE, industry.plan_key(str(household["archive_no"]), plan_id))],
            title_key="plans.history",
        )


def _plans_table(plans: pd.DataFrame) -> None:
    st.markdown(f"**{t('plans.current')}**")
    if plans.empty:
        st.caption(t("plans.none"))
        return
    shown = pd.DataFrame(
        {
            "industry": [
                localized(zh, en)
                for zh, en in zip(plans["industry_name_zh"], plans["industry_name_en"], strict=True)
            ],
            "stage": [t(f"stage.{stage}") for stage in plans["stage"]],
            "planned_on": plans["planned_on"],
            "started_on": plans["started_on"],
            "stage_since": plans["stage_since"],
            "partner": [
                "" if pd.isna(zh) and pd.isna(en) else localized(zh, en)
                for zh, en in zip(plans["partner_name_zh"], plans["partner_name_en"], strict=True)
            ],
            "expected": plans["expected_income"],
            "actual": plans["actual_income"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "industry": t("plans.col.industry"),
            "stage": t("plans.col.stage"),
            "planned_on": st.column_config.DateColumn(t("plans.col.planned_on")),
            "started_on": st.column_config.DateColumn(t("plans.col.started_on")),
            "stage_since": st.column_config.DateColumn(t("plans.col.stage_since")),
            "partner": t("plans.col.partner"),
            "expected": st.column_config.NumberColumn(t("plans.col.expected"), format="%d"),
            "actual": st.column_config.NumberColumn(t("plans.col.actual"), format="%d"),
        },
    )


def _record(plans: pd.DataFrame, plan_id: int, as_of: dt.date) -> dict[str, Any]:
    """The chosen plan's current values, or a new plan's defaults (version 0)."""
    if plan_id == NEW_PLAN:
        return {
            "industry_code": None,
            "stage": "planned",
            "planned_on": as_of,
            "started_on": None,
            "partner_org_id": None,
            "expected_income": None,
            "actual_income": None,
            "version": 0,
        }
    row = plans.loc[plans["plan_id"] == plan_id].iloc[0]
    return {
        name: None if pd.isna(row[name]) else row[name]
        for name in ("industry_code", "stage", "planned_on", "started_on", "partner_org_id")
    } | {
        "expected_income": None if pd.isna(row["expected_income"]) else int(row["expected_income"]),
        "actual_income": None if pd.isna(row["actual_income"]) else int(row["actual_income"]),
        "version": int(row["version"]),
    }


def _plan_fields(
    actor: Actor,
    household: dict[str, Any],
    record: dict[str, Any],
    plan_id: int,
    suffix: str,
    stages: dict[str, str],
    as_of: dt.date,
) -> None:
    """The plan form: its fields, each with its saved error beside it, and the submit button."""
    errors = _form_errors(suffix)
    industry_labels = _industry_labels()
    partner_labels = _partner_labels(int(household["household_id"]))
    with st.form(f"plan_form_{suffix}"):
        _industry_field(record, industry_labels, suffix, errors)
        _stage_field(record, stages, suffix, errors)
        _date_fields(record, plan_id, suffix, as_of, errors)
        _partner_field(record, partner_labels, suffix, errors)
        _income_fields(record, suffix, errors)
        st.text_input(t("plans.field.reason"), key=f"pl_reason_{suffix}", max_chars=2000)
        parts.field_error(errors, "reason")
        parts.field_error(errors, "household_id")
        parts.field_error(errors, "plan_id")
        st.form_submit_button(
            t("plans.submit_new" if plan_id == NEW_PLAN else "plans.submit_edit"),
            type="primary",
            on_click=_submit_plan,
            args=(as_of, household, plan_id, int(record["version"]), suffix),
        )


def _form_errors(suffix: str) -> dict[str, str]:
    """The field errors the last save left for this form (none for another), with a line above when any."""
    saved = st.session_state.get(STATE_ERRORS)
    errors: dict[str, str] = saved[1] if saved and saved[0] == suffix else {}
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    return errors


def _industry_labels() -> dict[str, str]:
    """The industries a plan may name, by code: name and category."""
    industries = cache.query(plan_forms.industry_choices)
    return {
        str(row.code): t(
            "plans.industry_option",
            name=localized(row.name_zh, row.name_en),
            category=t(f"village.category.{row.category}"),
        )
        for row in industries.itertuples()
    }


def _partner_labels(household_id: int) -> dict[int, str]:
    """The organisations the household's plan may partner with, by id, after "no partner"."""
    partners = cache.query(plan_forms.partner_choices, household_id=household_id)
    return {NO_PARTNER: t("plans.no_partner")} | {
        int(row.organisation_id): t(
            "plans.partner_option",
            name=localized(row.name_zh, row.name_en),
            kind=t(f"village.kind.{row.kind}"),
            town=localized(row.town_name_zh, row.town_name_en) if isinstance(row.town_code, str) else "—",
        )
        for row in partners.itertuples()
    }


def _industry_field(
    record: dict[str, Any], industry_labels: dict[str, str], suffix: str, errors: dict[str, str]
) -> None:
    """The industry picker: blank for a new plan (or an industry no longer offered)."""
    codes = list(industry_labels)
    st.selectbox(
        t("plans.field.industry"),
        codes,
        index=codes.index(record["industry_code"]) if record["industry_code"] in codes else None,
        format_func=industry_labels.__getitem__,
        key=f"pl_industry_{suffix}",
    )
    parts.field_error(errors, "industry")


def _stage_field(record: dict[str, Any], stages: dict[str, str], suffix: str, errors: dict[str, str]) -> None:
    """The stage picker, on the plan's stage (the first stage when it has none known)."""
    stage_list = list(stages)
    st.selectbox(
        t("plans.field.stage"),
        stage_list,
        index=stage_list.index(record["stage"]) if record["stage"] in stage_list else 0,
        format_func=stages.__getitem__,
        key=f"pl_stage_{suffix}",
    )
    parts.field_error(errors, "stage")


def _date_fields(
    record: dict[str, Any], plan_id: int, suffix: str, as_of: dt.date, errors: dict[str, str]
) -> None:
    """Planned and started on, and for a plan already kept, the day its stage changed."""
    for field in ("planned_on", "started_on"):
        st.date_input(
            t(f"plans.field.{field}"),
            value=record[field],
            min_value=EARLIEST_DATE,
            max_value=as_of,
            key=f"pl_{field}_{suffix}",
        )
        parts.field_error(errors, field)
    if plan_id != NEW_PLAN:
        st.date_input(
            t("plans.field.stage_changed_on"),
            value=None,
            min_value=EARLIEST_DATE,
            max_value=as_of,
            help=t("plans.help.stage_changed_on"),
            key=f"pl_stage_changed_on_{suffix}",
        )
        parts.field_error(errors, "stage_changed_on")


def _partner_field(
    record: dict[str, Any], partner_labels: dict[int, str], suffix: str, errors: dict[str, str]
) -> None:
    """The partner picker, on "no partner" when the plan has none (or one no longer offered)."""
    partner = record["partner_org_id"]
    partner_ids = list(partner_labels)
    st.selectbox(
        t("plans.field.partner_org_id"),
        partner_ids,
        index=partner_ids.index(int(partner)) if partner is not None and int(partner) in partner_ids else 0,
        format_func=partner_labels.__getitem__,
        key=f"pl_partner_org_id_{suffix}",
    )
    parts.field_error(errors, "partner_org_id")


def _income_fields(record: dict[str, Any], suffix: str, errors: dict[str, str]) -> None:
    """Expected and actual yearly income, in steps of 100."""
    for field in ("expected_income", "actual_income"):
        st.number_input(
            t(f"plans.field.{field}"),
            value=record[field],
            min_value=0,
            max_value=INCOME_MAX,
            step=100,
            key=f"pl_{field}_{suffix}",
        )
        parts.field_error(errors, field)


def _submit_plan(as_of: dt.date, household: dict[str, Any], plan_id: int, version: int, suffix: str) -> None:
    """The form's callback: one service call; field errors, a stale warning or a success line."""
    reader.choose_language()  # callbacks run before the script, so set this user's language for the labels
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    archive_no = str(household["archive_no"])
    household_id = int(household["household_id"])
    partner = state.get(f"pl_partner_org_id_{suffix}")
    values: dict[str, Any] = {
        "industry_code": state.get(f"pl_industry_{suffix}") or "",
        "stage": str(state.get(f"pl_stage_{suffix}")),
        "planned_on": state.get(f"pl_planned_on_{suffix}"),
        "started_on": state.get(f"pl_started_on_{suffix}"),
        "stage_changed_on": state.get(f"pl_stage_changed_on_{suffix}"),
        "partner_org_id": None if not partner else int(partner),
        "expected_income": state.get(f"pl_expected_income_{suffix}"),
        "actual_income": state.get(f"pl_actual_income_{suffix}"),
        "reason": str(state.get(f"pl_reason_{suffix}") or "") or None,
    }
    try:
        with Session(cache.engine()) as session:
            if plan_id == NEW_PLAN:
                new_id = industry.create_plan(
                    session, actor=actor, household_id=household_id, as_of=as_of, **values
                )
            else:
                industry.update_plan(
                    session, actor=actor, plan_id=plan_id, expected_version=version, as_of=as_of, **values
                )
    except ValidationError as error:
        state[STATE_ERRORS] = (suffix, field_messages(error, t))
    except StaleEdit:
        state[STATE_ERRORS] = None
        state[STATE_STALE] = t("plans.stale", archive=archive_no)
    except PermissionDenied:
        state[STATE_ERRORS] = (suffix, {"household_id": t("plans.not_allowed")})
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        state[STATE_ERRORS] = None
        if plan_id == NEW_PLAN:
            for key in [
                key for key in state if str(key).startswith("pl_") and str(key).endswith(f"_{suffix}")
            ]:
                del state[key]  # a second new plan starts from a blank form
            state[f"plan_choice_{household_id}"] = new_id  # show the new plan, with its history
            state[STATE_FLASH] = t("plans.created", archive=archive_no)
        else:
            state[STATE_FLASH] = t("plans.saved", archive=archive_no)
