"""The village form on /updates: its first secretary, its work team and its signature product.

Town editors may change all three; village editors only the product (the rest shows read-only).
Posting widgets are keyed on the village's open postings, product widgets on the village's
version, so after a save — or when someone else saved first — the forms show what is stored now.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import PostingRole, Role
from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import localized, t
from lib.present.common import localized_column
from lib.present.markup import t_md
from lib.queries import staff_forms, updates
from lib.rules.permissions import POSTING_UPDATE, RULES, VILLAGE_PRODUCT_UPDATE, Actor, can
from lib.services import villages
from lib.services.households import EARLIEST_DATE
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

STATE_ERRORS = "village_errors"  # {form: {field: message}} for the form submitted last
STATE_FLASH = "village_flash"
STATE_WARNINGS = "village_warnings"
MODES = ("existing", "new")
GENDERS = ("", "M", "F")


def may_edit_villages(actor: Actor) -> bool:
    """Whether the actor's role may change anything here (the services check the village's scope)."""
    return actor.role in RULES[POSTING_UPDATE] or actor.role in RULES[VILLAGE_PRODUCT_UPDATE]


def _flash_messages() -> None:
    widgets.pop_notice(STATE_FLASH, "success", icon=":material/check_circle:")
    for warning in st.session_state.pop(STATE_WARNINGS, []):
        widgets.notice("warning", warning, icon=":material/error:")


def village_form(actor: Actor, *, as_of: Any) -> None:
    """Pick a village in the actor's scope; show and change its staff and its signature product."""
    _flash_messages()
    scope = (
        {"town_code": actor.town_code}
        if actor.role == Role.TOWN_EDITOR
        else {"village_code": actor.village_code}
    )
    choices = cache.query(updates.village_choices, **scope)
    if choices.empty:
        st.info(t("staff.no_villages"))
        return
    labels = [
        f"{village} · {town}"
        for village, town in zip(
            localized_column(choices, "name"), localized_column(choices, "town_name"), strict=True
        )
    ]
    names = dict(zip(choices["village_code"], labels, strict=True))
    towns = dict(zip(choices["village_code"], choices["town_code"], strict=True))
    code = str(st.selectbox(t("forms.village"), list(names), format_func=names.__getitem__, key="vf_village"))
    staff = cache.query(staff_forms.village_staff, village_code=code)
    errors: dict[str, dict[str, str]] = st.session_state.get(STATE_ERRORS, {})

    _show_staff(staff)
    if can(actor, POSTING_UPDATE, town_code=towns[code], village_code=code):
        token = f"{code}_{int(staff['posting_id'].max()) if not staff.empty else 0}_{len(staff)}"
        _secretary_form(actor, as_of, code, staff, token, errors.get("secretary", {}))
        _add_member_form(actor, as_of, code, token, errors.get("add", {}))
        _end_member_form(actor, as_of, code, staff, token, errors.get("end", {}))
    else:
        st.caption(t("staff.postings_read_only"))

    st.markdown(f"**{t('village.industry.title')}**")
    product = cache.query(staff_forms.village_product, village_code=code)
    if product is not None:
        if product["product_zh"]:
            st.markdown(
                t_md(
                    "village.industry.signature",
                    product=localized(product["product_zh"], product["product_en"]),
                )
            )
        else:
            st.caption(t("village.industry.no_signature"))
        if can(actor, VILLAGE_PRODUCT_UPDATE, town_code=towns[code], village_code=code):
            _product_form(actor, code, product, errors.get("product", {}))
    parts.history([("postings", code), ("villages", code)], title_key="staff.history")


def _show_staff(staff: pd.DataFrame) -> None:
    st.markdown(f"**{t('village.team.title')}**")
    first = staff[staff["role"] == PostingRole.FIRST_SECRETARY.value]
    if first.empty:
        st.caption(t("village.team.no_secretary"))
    else:
        row = first.iloc[0]
        st.markdown(
            t_md(
                "village.team.secretary",
                name=row["name"],
                unit=localized(row["unit_zh"], row["unit_en"]) or "—",
                start=row["start_date"].isoformat(),
            )
        )
    team = staff[staff["role"] == PostingRole.TEAM_MEMBER.value]
    members = [
        t(
            "staff.member",
            name=row.name,
            unit=localized(row.unit_zh, row.unit_en) or "—",
            start=row.start_date.isoformat(),
        )
        for row in team.itertuples()
    ]
    st.markdown(t_md("staff.team", members="；".join(members) if members else t("common.none")))
    if len(staff) < villages.MIN_TEAM:
        st.warning(
            t("staff.team_below_minimum", n=len(staff), min=villages.MIN_TEAM), icon=":material/error:"
        )


# --- who: an existing cadre or a new person ------------------------------------------------------


def _person_fields(prefix: str, mode: str, errors: dict[str, str], *, as_of: Any) -> None:
    if mode == "existing":
        free = cache.query(staff_forms.appointable_cadres)
        options = {
            int(row.cadre_id): t(
                "staff.cadre_option", name=row.name, unit=localized(row.unit_zh, row.unit_en) or "—"
            )
            for row in free.itertuples()
        }
        st.selectbox(
            t("staff.cadre"),
            list(options),
            index=None,
            format_func=options.__getitem__,
            placeholder=t("staff.cadre_placeholder"),
            key=f"{prefix}_cadre",
        )
        parts.field_error(errors, "cadre")
        return
    genders = {code: t(f"staff.gender.{code or 'unknown'}") for code in GENDERS}
    st.text_input(t("staff.name"), key=f"{prefix}_name", max_chars=villages.CADRE_NAME_MAX)
    parts.field_error(errors, "name", "cadre")
    st.selectbox(t("staff.gender"), list(genders), format_func=genders.__getitem__, key=f"{prefix}_gender")
    parts.field_error(errors, "gender")
    st.number_input(
        t("staff.birth_year"), min_value=1900, max_value=as_of.year, value=None, step=1, key=f"{prefix}_born"
    )
    parts.field_error(errors, "birth_year")
    st.text_input(t("staff.unit_zh"), key=f"{prefix}_unit_zh", max_chars=villages.UNIT_ZH_MAX)
    parts.field_error(errors, "unit_zh")
    st.text_input(t("staff.unit_en"), key=f"{prefix}_unit_en", max_chars=villages.UNIT_EN_MAX)
    parts.field_error(errors, "unit_en")


def _person(prefix: str, mode: str) -> tuple[int | None, villages.NewCadre | None]:
    state = st.session_state
    if mode == "existing":
        chosen = state.get(f"{prefix}_cadre")
        return (int(chosen) if chosen is not None else None), None
    born = state.get(f"{prefix}_born")
    return None, villages.NewCadre(
        name=str(state.get(f"{prefix}_name") or ""),
        gender=str(state.get(f"{prefix}_gender") or "") or None,
        birth_year=int(born) if born is not None else None,
        unit_zh=str(state.get(f"{prefix}_unit_zh") or "") or None,
        unit_en=str(state.get(f"{prefix}_unit_en") or "") or None,
    )


def _mode(key: str) -> str:
    modes = {mode: t(f"staff.mode.{mode}") for mode in MODES}
    return str(
        st.radio(t("staff.mode"), list(modes), format_func=modes.__getitem__, key=key, horizontal=True)
    )


def _date(label: str, key: str, as_of: Any) -> None:
    st.date_input(t(label), value=as_of, min_value=EARLIEST_DATE, max_value=as_of, key=key)


# --- the forms -----------------------------------------------------------------------------------


def _secretary_form(
    actor: Actor, as_of: Any, code: str, staff: pd.DataFrame, token: str, errors: dict[str, str]
) -> None:
    first = staff[staff["role"] == PostingRole.FIRST_SECRETARY.value]
    expected = int(first.iloc[0]["posting_id"]) if not first.empty else None
    title = "staff.replace" if expected is not None else "staff.appoint"
    with st.expander(t(f"{title}.title"), expanded=bool(errors)):
        mode = _mode(f"vf_sec_mode_{code}")
        if errors:
            st.error(t("forms.fix_errors"), icon=":material/error:")
        prefix = f"vf_sec_{token}"
        with st.form(f"vf_secretary_{code}"):
            if expected is not None:
                _date("staff.ends_on", f"{prefix}_end", as_of)
                parts.field_error(errors, "ends_on")
            _date("staff.starts_on", f"{prefix}_start", as_of)
            parts.field_error(errors, "starts_on")
            _person_fields(prefix, mode, errors, as_of=as_of)
            st.text_area(
                t("staff.reason"), key=f"{prefix}_reason", max_chars=2000, help=t("staff.reason_help")
            )
            parts.field_error(errors, "reason", "village_code")
            st.form_submit_button(
                t(f"{title}.submit"),
                type="primary",
                on_click=_submit_secretary,
                args=(as_of, code, expected, prefix, mode),
            )


def _add_member_form(actor: Actor, as_of: Any, code: str, token: str, errors: dict[str, str]) -> None:
    with st.expander(t("staff.add.title"), expanded=bool(errors)):
        mode = _mode(f"vf_add_mode_{code}")
        if errors:
            st.error(t("forms.fix_errors"), icon=":material/error:")
        prefix = f"vf_add_{token}"
        with st.form(f"vf_add_{code}"):
            _date("staff.starts_on", f"{prefix}_start", as_of)
            parts.field_error(errors, "starts_on")
            _person_fields(prefix, mode, errors, as_of=as_of)
            st.text_area(t("staff.reason"), key=f"{prefix}_reason", max_chars=2000)
            parts.field_error(errors, "reason", "village_code")
            st.form_submit_button(
                t("staff.add.submit"), on_click=_submit_add, args=(as_of, code, prefix, mode)
            )


def _end_member_form(
    actor: Actor, as_of: Any, code: str, staff: pd.DataFrame, token: str, errors: dict[str, str]
) -> None:
    team = staff[staff["role"] == PostingRole.TEAM_MEMBER.value]
    if team.empty:
        return
    options = {
        int(row.posting_id): t("staff.member_option", name=row.name, start=row.start_date.isoformat())
        for row in team.itertuples()
    }
    with st.expander(t("staff.end.title"), expanded=bool(errors)):
        if errors:
            st.error(t("forms.fix_errors"), icon=":material/error:")
        prefix = f"vf_end_{token}"
        with st.form(f"vf_end_{code}"):
            st.selectbox(
                t("staff.member_to_end"),
                list(options),
                format_func=options.__getitem__,
                key=f"{prefix}_posting",
            )
            parts.field_error(errors, "posting_id")
            _date("staff.ends_on", f"{prefix}_end", as_of)
            parts.field_error(errors, "ends_on")
            st.text_area(
                t("staff.reason"), key=f"{prefix}_reason", max_chars=2000, help=t("staff.reason_help")
            )
            parts.field_error(errors, "reason", "village_code")
            st.form_submit_button(t("staff.end.submit"), on_click=_submit_end, args=(as_of, code, prefix))


def _product_form(actor: Actor, code: str, product: dict[str, Any], errors: dict[str, str]) -> None:
    version = int(product["version"])
    industries = cache.query(staff_forms.industries)
    labels = {"": t("staff.industry_none")}
    labels.update({str(row.code): localized(row.name_zh, row.name_en) for row in industries.itertuples()})
    current = product["industry_code"] or ""
    if errors:
        st.error(t("forms.fix_errors"), icon=":material/error:")
    prefix = f"vf_product_{code}_{version}"
    with st.form(f"vf_product_{code}"):
        st.text_input(
            t("staff.product_zh"),
            value=product["product_zh"] or "",
            key=f"{prefix}_zh",
            max_chars=villages.PRODUCT_ZH_MAX,
        )
        parts.field_error(errors, "product_zh")
        st.text_input(
            t("staff.product_en"),
            value=product["product_en"] or "",
            key=f"{prefix}_en",
            max_chars=villages.PRODUCT_EN_MAX,
        )
        parts.field_error(errors, "product_en")
        st.selectbox(
            t("staff.industry"),
            list(labels),
            index=list(labels).index(current) if current in labels else 0,
            format_func=labels.__getitem__,
            key=f"{prefix}_industry",
        )
        parts.field_error(errors, "industry_code")
        st.text_input(t("updates.field.reason"), key=f"{prefix}_reason", max_chars=2000)
        parts.field_error(errors, "reason", "village_code")
        st.form_submit_button(
            t("staff.product.submit"),
            type="primary",
            on_click=_submit_product,
            args=(code, version, prefix),
        )


# --- callbacks: one service call each; errors, warnings or a success line for the rerun -----------


def _text(key: str) -> str | None:
    return str(st.session_state.get(key) or "") or None


def _saved(message: str, change: villages.StaffChange | None = None) -> None:
    state = st.session_state
    state[STATE_ERRORS] = {}
    state[STATE_FLASH] = message
    if change is not None and change.below_minimum:
        state[STATE_WARNINGS] = [t("staff.team_below_minimum", n=change.team_size, min=villages.MIN_TEAM)]


def _refused(form: str, error: Exception) -> None:
    state = st.session_state
    if isinstance(error, ValidationError):
        state[STATE_ERRORS] = {form: villages.staff_messages(error, t)}
    elif isinstance(error, StaleEdit):
        state[STATE_ERRORS] = {}
        state[STATE_WARNINGS] = [t("staff.stale_product" if form == "product" else "staff.stale_postings")]
    else:
        state[STATE_ERRORS] = {form: {"village_code": t("staff.not_allowed")}}


def _submit_secretary(as_of: Any, code: str, expected: int | None, prefix: str, mode: str) -> None:
    reader.choose_language()  # callbacks run before the script, so set this user's language for the labels
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    cadre_id, person = _person(prefix, mode)
    try:
        with Session(cache.engine()) as session:
            change = villages.replace_first_secretary(
                session,
                actor=actor,
                village_code=code,
                expected_posting_id=expected,
                ends_on=state.get(f"{prefix}_end") if expected is not None else None,
                starts_on=state[f"{prefix}_start"],
                new_cadre_id=cadre_id,
                new_cadre=person,
                reason=_text(f"{prefix}_reason"),
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("secretary", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("staff.secretary_saved"), change)


def _submit_add(as_of: Any, code: str, prefix: str, mode: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    cadre_id, person = _person(prefix, mode)
    try:
        with Session(cache.engine()) as session:
            change = villages.add_team_member(
                session,
                actor=actor,
                village_code=code,
                starts_on=st.session_state[f"{prefix}_start"],
                cadre_id=cadre_id,
                new_cadre=person,
                reason=_text(f"{prefix}_reason"),
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("add", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("staff.member_added"), change)


def _submit_end(as_of: Any, code: str, prefix: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    try:
        with Session(cache.engine()) as session:
            change = villages.end_team_member(
                session,
                actor=actor,
                village_code=code,
                posting_id=int(state[f"{prefix}_posting"]),
                ends_on=state[f"{prefix}_end"],
                reason=_text(f"{prefix}_reason"),
                as_of=as_of,
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("end", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("staff.member_ended"), change)


def _submit_product(code: str, version: int, prefix: str) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    try:
        with Session(cache.engine()) as session:
            villages.update_signature_product(
                session,
                actor=actor,
                village_code=code,
                expected_version=version,
                product_zh=str(state.get(f"{prefix}_zh") or ""),
                product_en=_text(f"{prefix}_en"),
                industry_code=str(state.get(f"{prefix}_industry") or "") or None,
                reason=_text(f"{prefix}_reason"),
            )
    except (ValidationError, StaleEdit, PermissionDenied) as error:
        _refused("product", error)
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        _saved(t("staff.product_saved"))
