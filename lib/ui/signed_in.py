"""Who is signed in: the account in session state (read again from the database on every run),
the sign-in box, and the gate that shows only a sign-in prompt when browsing needs an account.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import DatabaseError, begin_write, explain_failure
from lib.core.i18n import t
from lib.present.markup import escape_markdown
from lib.queries import accounts as account_queries
from lib.queries import common
from lib.rules.permissions import Actor
from lib.services.auth import PASSWORD_MAX, USERNAME_MAX, SignInThrottled, authenticate, load_actor
from lib.ui import cache

STATE_ACCOUNT = "account"  # {"user_id": …, "username": …} of the signed-in user; never a password


STATE_ACCOUNT_NOTICE = "account_notice"


SIGN_IN_FORM = "sign_in"


STATE_SIGN_IN_USERNAME = "sign_in_username"


STATE_SIGN_IN_PASSWORD = "sign_in_password"


STATE_SIGN_IN_ERROR = "sign_in_error"


def current_actor() -> Actor | None:
    """The signed-in user as the database has them now (None when signed out).

    Read again on every call, so a deactivated or removed account loses access on its next run.
    """
    account = st.session_state.get(STATE_ACCOUNT)
    if not isinstance(account, dict):
        return None
    actor = cache.fresh(load_actor, user_id=account.get("user_id"))
    if actor is None or actor.username != account.get("username"):
        sign_out()
        st.session_state[STATE_ACCOUNT_NOTICE] = "accounts.session_ended"
        return None
    return actor


def client_address() -> str | None:
    """The client's address as the server sees it: None on the server's own machine (and under
    AppTest). Behind a reverse proxy on that machine it is the proxy's X-Forwarded-For, which
    uvicorn trusts from 127.0.0.1 (FORWARDED_ALLOW_IPS names other proxies); without that header
    every client looks local, and only the per-name limit applies."""
    return st.context.ip_address


def sign_in(username: str, password: str) -> tuple[str, dict[str, Any]] | None:
    """Check the credentials and remember the user; when refused, the error's label key and params.

    Too many recent failures for the name refuse it for a while (`lib.services.auth.authenticate`).
    """
    if not username.strip() or not password:
        return "accounts.sign_in_missing", {}
    url = config.database_url()
    try:
        with Session(cache.engine_for(url)) as session:
            begin_write(session)  # it reads the recent failures, then records this attempt
            actor = authenticate(session, username, password, address=client_address())
            session.commit()  # keeps the attempt (and a rehashed password, if argon2's parameters rose)
    except SignInThrottled as refused:
        return refused.key, refused.params
    except DatabaseError as error:
        cache.fail(error)
    except SQLAlchemyError as exc:
        cache.fail(explain_failure(exc, url))
    if actor is None:
        return "accounts.sign_in_failed", {}
    st.session_state[STATE_ACCOUNT] = {"user_id": actor.user_id, "username": actor.username}
    return None


def sign_out() -> None:
    st.session_state.pop(STATE_ACCOUNT, None)


def role_label(role: str) -> str:
    return t(f"accounts.role.{role}")


def account_box() -> None:
    """The sidebar's account block: who is signed in and a sign-out button, or the sign-in form."""
    actor = current_actor()
    with st.sidebar:
        st.divider()
        notice = st.session_state.pop(STATE_ACCOUNT_NOTICE, None)
        if notice:
            st.warning(t(notice), icon=":material/lock:")
        if actor is not None:
            line = t("accounts.signed_in_as", name=actor.display_name, role=role_label(actor.role.value))
            st.markdown(escape_markdown(line))
            st.button(t("accounts.sign_out"), key="sign_out", on_click=sign_out, icon=":material/logout:")
            return
        with st.form(SIGN_IN_FORM, enter_to_submit=True):
            st.markdown(f"**{t('accounts.sign_in_title')}**")
            st.text_input(
                t("accounts.username"),
                key=STATE_SIGN_IN_USERNAME,
                autocomplete="username",
                max_chars=USERNAME_MAX,
            )
            st.text_input(
                t("accounts.password"),
                type="password",
                key=STATE_SIGN_IN_PASSWORD,
                autocomplete="current-password",
                max_chars=PASSWORD_MAX,
            )
            st.form_submit_button(t("accounts.sign_in"), on_click=_submit_sign_in)
        error = st.session_state.pop(STATE_SIGN_IN_ERROR, None)
        if error:
            key, params = error
            st.error(t(key, **params), icon=":material/error:")
        browsing = account_queries.browse_enabled(cache.query(common.meta))
        st.caption(t("accounts.sign_in_hint" if browsing else "accounts.sign_in_hint_required"))


def _submit_sign_in() -> None:
    """The form's callback: try the credentials, then forget the password whatever the outcome."""
    username = str(st.session_state.get(STATE_SIGN_IN_USERNAME) or "")
    password = str(st.session_state.get(STATE_SIGN_IN_PASSWORD) or "")
    st.session_state[STATE_SIGN_IN_PASSWORD] = ""
    error = sign_in(username, password)
    if error is not None:
        st.session_state[STATE_SIGN_IN_ERROR] = error
    else:
        st.session_state[STATE_SIGN_IN_USERNAME] = ""


def browse_gate() -> None:
    """Stop the page with a sign-in prompt when browsing needs an account and nobody is signed in.

    app.py calls this after the sidebar (whose sign-in box stays) and before the page runs, so
    every page is covered in one place. Browsing is allowed when app_meta's
    `browse_without_sign_in` is "1" (the demo); missing means no. A database without towns has
    nothing to hide, so its pages still show their "no data yet" help.
    """
    if account_queries.browse_enabled(cache.query(common.meta)) or cache.query(common.towns).empty:
        return
    if current_actor() is not None:
        return
    st.title(t("app.title"))
    st.info(t("accounts.browse_sign_in"), icon=":material/lock:")
    if not cache.fresh(account_queries.has_accounts):
        st.caption(t("accounts.no_accounts_yet"))
    st.stop()
