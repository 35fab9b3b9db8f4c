"""Account management on /admin: the account list, a new account, editing one, resetting a password,
the "browse without signing in" setting and recent failed sign-ins.

Offered to actors who may manage accounts (`may_manage`); the services check again on every write.
Account data is read uncached (`cache.fresh`): its writes do not move the data version. Each form's
callback reloads the signed-in actor, calls one service, and leaves field errors or a success line
in session state for the rerun, so messages show beside the fields they concern.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from lib.core.domain import Role
from lib.core.errors import PermissionDenied, ValidationError
from lib.core.i18n import localized, t
from lib.queries import accounts as account_queries
from lib.queries import updates
from lib.rules.permissions import ACCOUNTS_MANAGE, Actor, can
from lib.services import accounts as account_services
from lib.services import auth
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

STATE_ERRORS = "admin_errors"  # {form: {field: message}}
STATE_FLASH = "admin_flash"  # {form: message}
STATE_REV = "admin_rev"  # moves after every save, so the edit form re-reads the database
FAILURE_DAYS = 7  # how far back "recent failed sign-ins" looks
ROLES = [role.value for role in Role]


def may_manage(actor: Actor | None) -> bool:
    return can(actor, ACCOUNTS_MANAGE)


def accounts() -> pd.DataFrame:
    """Every account as the database has it now (uncached)."""
    return cache.fresh(account_queries.accounts)


# --- shared pieces ---------------------------------------------------------------------------------


def _messages(form: str) -> dict[str, str]:
    errors: dict[str, dict[str, str]] = st.session_state.get(STATE_ERRORS, {})
    return errors.get(form, {})


def _set_errors(form: str, errors: dict[str, str]) -> None:
    st.session_state[STATE_ERRORS] = {**st.session_state.get(STATE_ERRORS, {}), form: errors}


def _flash(form: str, message: str) -> None:
    st.session_state[STATE_FLASH] = {**st.session_state.get(STATE_FLASH, {}), form: message}
    _set_errors(form, {})
    st.session_state[STATE_REV] = int(st.session_state.get(STATE_REV, 0)) + 1


def _header(form: str) -> dict[str, str]:
    """Show the form's success line (once) or its error summary; return its field errors."""
    flashes: dict[str, str] = st.session_state.get(STATE_FLASH, {})
    if form in flashes:
        widgets.notice("success", flashes[form], icon=":material/check_circle:")
        st.session_state[STATE_FLASH] = {k: v for k, v in flashes.items() if k != form}
    errors = _messages(form)
    if errors:
        st.error(t("admin.fix_errors"), icon=":material/error:")
    return errors


def _run(form: str, work: Any) -> bool:
    """Call `work(actor)` with the actor as the database has them now; record errors; True on success."""
    reader.choose_language()  # callbacks run before the script: use this reader's language
    try:
        with Session(cache.engine()) as session:
            work(session, signed_in.current_actor())
    except ValidationError as error:
        _set_errors(form, error.messages(t))
        return False
    except PermissionDenied:
        _set_errors(form, {"user_id": t("admin.not_allowed")})
        return False
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
        return False
    return True


def _places() -> tuple[dict[str, str], dict[str, str]]:
    """Towns and villages to choose from, by code, as "" (none) + names in this language."""
    towns = {"": t("admin.none"), **reader.all_town_names()}
    villages = cache.query(updates.village_choices)
    names = {
        str(row.village_code): f"{localized(row.name_zh, row.name_en)} · "
        f"{localized(row.town_name_zh, row.town_name_en)}"
        for row in villages.itertuples()
    }
    return towns, {"": t("admin.none"), **names}


def _placement(role: str, town: str, village: str) -> dict[str, str | None]:
    """Only the place the role uses: a town editor's town, a village editor's village."""
    return {
        "town_code": (town or None) if role == Role.TOWN_EDITOR else None,
        "village_code": (village or None) if role == Role.VILLAGE_EDITOR else None,
    }


def _profile_fields(prefix: str, errors: dict[str, str], current: dict[str, Any]) -> None:
    """Name shown, role, town, village and name visibility, starting from `current`."""
    towns, villages = _places()
    st.text_input(
        t("admin.field.display_name"),
        value=current.get("display_name", ""),
        max_chars=auth.DISPLAY_NAME_MAX,
        key=f"{prefix}_display_name",
    )
    parts.field_error(errors, "display_name")
    role = current.get("role", Role.LEADER.value)
    roles = {
        value: signed_in.role_label(value) for value in ROLES
    }  # labels fixed now, in this reader's language
    st.selectbox(
        t("admin.field.role"),
        ROLES,
        index=ROLES.index(role),
        format_func=roles.__getitem__,
        key=f"{prefix}_role",
    )
    parts.field_error(errors, "role")
    columns = st.columns(2)
    with columns[0]:
        town = current.get("town_code") or ""
        st.selectbox(
            t("admin.field.town"),
            list(towns),
            index=list(towns).index(town) if town in towns else 0,
            format_func=towns.__getitem__,
            key=f"{prefix}_town",
        )
        parts.field_error(errors, "town_code")
    with columns[1]:
        village = current.get("village_code") or ""
        st.selectbox(
            t("admin.field.village"),
            list(villages),
            index=list(villages).index(village) if village in villages else 0,
            format_func=villages.__getitem__,
            key=f"{prefix}_village",
        )
        parts.field_error(errors, "village_code")
    st.checkbox(
        t("admin.field.can_see_names"), value=bool(current.get("can_see_names")), key=f"{prefix}_names"
    )


def _profile_values(prefix: str) -> dict[str, Any]:
    state = st.session_state
    role = str(state.get(f"{prefix}_role") or Role.LEADER.value)
    return {
        "display_name": str(state.get(f"{prefix}_display_name") or ""),
        "role": role,
        **_placement(role, str(state.get(f"{prefix}_town") or ""), str(state.get(f"{prefix}_village") or "")),
        "can_see_names": bool(state.get(f"{prefix}_names")),
    }


def _pick_account(frame: pd.DataFrame, key: str) -> int | None:
    labels = {
        int(row.user_id): f"{row.username} · {row.display_name}"
        + ("" if row.is_active else f" {t('admin.inactive_mark')}")
        for row in frame.itertuples()
    }
    picked = st.selectbox(t("admin.pick_account"), list(labels), format_func=labels.__getitem__, key=key)
    return None if picked is None else int(picked)


# --- the account list ------------------------------------------------------------------------------


def account_list(frame: pd.DataFrame) -> None:
    """Every account: username, name, role, town, village, name visibility, active, created, last sign-in."""
    st.caption(t("admin.accounts_intro", n=len(frame), active=int(frame["is_active"].sum())))
    shown = pd.DataFrame(
        {
            "username": frame["username"],
            "display_name": frame["display_name"],
            "role": [signed_in.role_label(role) for role in frame["role"]],
            "town": [
                localized(zh, en) if code else ""
                for code, zh, en in zip(
                    frame["town_code"], frame["town_name_zh"], frame["town_name_en"], strict=True
                )
            ],
            "village": [
                localized(zh, en) if code else ""
                for code, zh, en in zip(
                    frame["village_code"], frame["village_name_zh"], frame["village_name_en"], strict=True
                )
            ],
            "can_see_names": frame["can_see_names"],
            "is_active": frame["is_active"],
            "created_at": frame["created_at"],
            "last_sign_in": frame["last_sign_in"],
        }
    )
    when = "YYYY-MM-DD HH:mm"
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "username": t("admin.col.username"),
            "display_name": t("admin.col.display_name"),
            "role": t("admin.col.role"),
            "town": t("admin.col.town"),
            "village": t("admin.col.village"),
            "can_see_names": st.column_config.CheckboxColumn(t("admin.col.can_see_names")),
            "is_active": st.column_config.CheckboxColumn(t("admin.col.active")),
            "created_at": st.column_config.DatetimeColumn(t("admin.col.created"), format=when),
            "last_sign_in": st.column_config.DatetimeColumn(t("admin.col.last_sign_in"), format=when),
        },
    )


# --- a new account ---------------------------------------------------------------------------------


def create_form() -> None:
    errors = _header("create")
    with st.form("admin_create"):
        st.text_input(t("admin.field.username"), max_chars=auth.USERNAME_MAX, key="new_username")
        parts.field_error(errors, "username")
        _profile_fields("new", errors, {})
        st.text_input(
            t("admin.field.initial_password", min=auth.PASSWORD_MIN), type="password", key="new_password"
        )
        parts.field_error(errors, "password", "user_id")
        st.form_submit_button(t("admin.create_submit"), type="primary", on_click=_submit_create)


def _submit_create() -> None:
    state = st.session_state
    username, password = str(state.get("new_username") or ""), str(state.get("new_password") or "")
    state["new_password"] = ""

    def work(session: Session, actor: Actor | None) -> None:
        account_services.create_user_service(
            session, actor=actor, username=username, password=password, **_profile_values("new")
        )

    if _run("create", work):
        _flash("create", t("admin.created", username=auth.normalize_username(username)))
        for key in ("new_username", "new_display_name"):
            state[key] = ""


# --- editing an account ----------------------------------------------------------------------------


def edit_form(frame: pd.DataFrame) -> None:
    """Pick an account, then change its profile in a form that starts from its current values."""
    errors = _header("edit")
    user_id = _pick_account(frame, "edit_user")
    if user_id is None:
        return
    row = frame.set_index("user_id").loc[user_id]
    prefix = f"edit_{user_id}_{st.session_state.get(STATE_REV, 0)}"
    with st.form("admin_edit"):
        _profile_fields(prefix, errors, row.to_dict())
        st.checkbox(t("admin.field.active"), value=bool(row["is_active"]), key=f"{prefix}_active")
        parts.field_error(errors, "is_active", "user_id")
        st.text_input(t("admin.field.reason"), max_chars=200, key=f"{prefix}_reason")
        st.form_submit_button(
            t("admin.edit_submit"),
            type="primary",
            on_click=_submit_edit,
            args=(user_id, prefix, row["username"]),
        )


def _submit_edit(user_id: int, prefix: str, username: str) -> None:
    state = st.session_state

    def work(session: Session, actor: Actor | None) -> None:
        account_services.update_user_service(
            session,
            actor=actor,
            user_id=user_id,
            is_active=bool(state.get(f"{prefix}_active")),
            reason=str(state.get(f"{prefix}_reason") or "").strip() or None,
            **_profile_values(prefix),
        )

    if _run("edit", work):
        _flash("edit", t("admin.saved", username=username))


# --- resetting a password --------------------------------------------------------------------------


def password_form(frame: pd.DataFrame) -> None:
    errors = _header("password")
    user_id = _pick_account(frame, "password_user")
    if user_id is None:
        return
    username = str(frame.set_index("user_id").loc[user_id, "username"])
    with st.form("admin_password"):
        st.text_input(
            t("admin.field.new_password", min=auth.PASSWORD_MIN), type="password", key="password_new"
        )
        parts.field_error(errors, "password", "user_id")
        st.text_input(t("admin.field.password_again"), type="password", key="password_again")
        parts.field_error(errors, "password_again")
        st.text_input(t("admin.field.reason"), max_chars=200, key="password_reason")
        st.form_submit_button(
            t("admin.password_submit"), type="primary", on_click=_submit_password, args=(user_id, username)
        )


def _submit_password(user_id: int, username: str) -> None:
    state = st.session_state
    password, again = str(state.get("password_new") or ""), str(state.get("password_again") or "")
    state["password_new"] = state["password_again"] = ""
    if password != again:
        reader.choose_language()
        _set_errors("password", {"password_again": t("accounts.error.password_mismatch")})
        return

    def work(session: Session, actor: Actor | None) -> None:
        account_services.reset_password_service(
            session,
            actor=actor,
            user_id=user_id,
            password=password,
            reason=str(state.get("password_reason") or "").strip() or None,
        )

    if _run("password", work):
        state["password_reason"] = ""
        _flash("password", t("admin.password_reset", username=username))


# --- browsing without signing in -------------------------------------------------------------------


def browse_setting() -> None:
    """The on/off switch for browsing the dashboards without an account, saved as soon as it moves."""
    errors = _header("browse")
    enabled = cache.fresh(account_queries.browse_without_sign_in)
    key = f"admin_browse_{int(enabled)}"  # a new widget whenever the stored value changes
    st.toggle(t("admin.browse_toggle"), value=enabled, key=key, on_change=_submit_browse, args=(key,))
    st.caption(t("admin.browse_on" if enabled else "admin.browse_off"))
    parts.field_error(errors, "user_id")


def _submit_browse(key: str) -> None:
    wanted = bool(st.session_state.get(key))

    def work(session: Session, actor: Actor | None) -> None:
        account_services.set_browse_without_sign_in(session, actor=actor, enabled=wanted)

    if _run("browse", work):
        _flash("browse", t("admin.browse_saved"))


# --- recent failed sign-ins ------------------------------------------------------------------------


def failed_sign_ins(*, now: dt.datetime | None = None) -> None:
    """Usernames that failed to sign in lately, how often and when last: an attack, or a lost password."""
    minutes = int(auth.SIGN_IN_WINDOW.total_seconds() // 60)
    st.caption(
        t(
            "admin.failures_intro",
            days=FAILURE_DAYS,
            max=auth.SIGN_IN_MAX_FAILURES,
            address_max=auth.SIGN_IN_ADDRESS_MAX_FAILURES,
            window=minutes,
            lockout=int(auth.SIGN_IN_LOCKOUT.total_seconds() // 60),
        )
    )
    since = (now or auth.utcnow()) - dt.timedelta(days=FAILURE_DAYS)
    failures = cache.fresh(account_queries.failed_sign_ins, since=since)
    if failures.empty:
        st.caption(t("admin.failures_none", days=FAILURE_DAYS))
        return
    unknown = t("admin.unknown_name")
    failures = failures.assign(username=[name or unknown for name in failures["username"]])
    failed_at = st.column_config.DatetimeColumn(t("admin.col.last_failure"), format="YYYY-MM-DD HH:mm")
    counted = st.column_config.NumberColumn(t("admin.col.failures"), format="%d")
    st.dataframe(
        failures,
        hide_index=True,
        width="stretch",
        column_config={"username": t("admin.col.username"), "failures": counted, "last_at": failed_at},
    )
    by_address = cache.fresh(account_queries.failed_sign_ins_by_address, since=since)
    if not by_address.empty:
        st.markdown(f"**{t('admin.failures_by_address')}**")
        st.dataframe(
            by_address,
            hide_index=True,
            width="stretch",
            column_config={
                "address": t("admin.col.address"),
                "failures": counted,
                "names": st.column_config.NumberColumn(t("admin.col.names"), format="%d"),
                "last_at": failed_at,
            },
        )
