"""Who is signed in: the account in session state (read again from the database on every run),
the sign-in box, and the gate that shows only a sign-in prompt when browsing needs an account.

A sign-in lasts across reloads and links opened in new tabs: it starts a session
(lib.services.sessions) and the browser keeps the session's random token in a cookie
(lib.rules.sign_in_cookie). A run whose tab has no account yet but was sent a good token signs
its user in again; every run checks the tab's session again, so signing out in one tab ends the
sign-in in the others at their next run. Streamlit reads cookies (`st.context.cookies`, as the
browser sent them when the tab connected) but has no call that sets one, so a few lines of
JavaScript in a components-v2 component (no iframe, nothing fetched) write `document.cookie`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import streamlit.components.v2 as components
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import DatabaseError, begin_write, explain_failure
from lib.core.i18n import t
from lib.present.markup import escape_markdown
from lib.queries import accounts as account_queries
from lib.queries import common
from lib.rules import sign_in_cookie
from lib.rules.permissions import Actor
from lib.rules.sign_in_cookie import Step
from lib.services import sessions
from lib.services.auth import PASSWORD_MAX, USERNAME_MAX, SignInThrottled, authenticate
from lib.ui import cache

# {"user_id": …, "username": …, "session_id": …} of the signed-in user; never a password or token
STATE_ACCOUNT = "account"


STATE_COOKIE_WRITE = "account_cookie_write"  # the cookie line this run writes: {"line", "only_if"}


STATE_COOKIE_TRIED = "account_cookie_tried"  # the cookie value this tab has looked up already


STATE_ACCOUNT_NOTICE = "account_notice"


SIGN_IN_FORM = "sign_in"


STATE_SIGN_IN_USERNAME = "sign_in_username"


STATE_SIGN_IN_PASSWORD = "sign_in_password"


STATE_SIGN_IN_ERROR = "sign_in_error"


# Sets or clears the sign-in cookie: `data` is {"name", "line", "only_if"}; with `only_if`, only
# while the cookie still holds that value (a token refused here may meanwhile have been replaced
# by another tab's sign-in). Runs in the page itself (components v2 use no iframe), so
# `document.cookie` is the dashboard's own.
_COOKIE_JS = """
export default function ({ data }) {
  if (!data || typeof data.line !== "string") return;
  if (typeof data.only_if === "string") {
    const prefix = data.name + "=";
    const found = document.cookie.split("; ").find((part) => part.startsWith(prefix));
    if (found === undefined || found.slice(prefix.length) !== data.only_if) return;
  }
  document.cookie = data.line;
}
"""
_cookie_writer = components.component("sign_in_cookie", js=_COOKIE_JS)
COOKIE_WRITER_KEY = "sign_in_cookie"


def current_actor() -> Actor | None:
    """The signed-in user as the database has them now (None when signed out).

    Read again on every call with the tab's session, so a deactivated or changed account, a
    sign-out in another tab or browser, or the end of STAY_SIGNED_IN_HOURS ends it at its next
    run. A tab with no account yet is signed in again from a good cookie (`_resume`).
    """
    account = st.session_state.get(STATE_ACCOUNT)
    if not isinstance(account, dict):
        account = _resume()
        if account is None:
            return None
    actor = cache.fresh(
        sessions.session_actor, session_id=account.get("session_id"), user_id=account.get("user_id")
    )
    if actor is None or actor.username != account.get("username"):
        st.session_state.pop(STATE_ACCOUNT, None)
        st.session_state[STATE_ACCOUNT_NOTICE] = "accounts.session_ended"
        return None
    return actor


def _resume() -> dict[str, Any] | None:
    """Sign this tab in again from the cookie the browser sent, when it holds a good token; a bad
    one (malformed, unknown, expired, revoked) is cleared without a word. Each value is looked up
    once per tab: the cookie a tab was sent stays the same until it reloads."""
    cookie = st.context.cookies.get(sign_in_cookie.COOKIE_NAME)
    step = sign_in_cookie.restore_step(
        cookie, signed_in=False, tried=st.session_state.get(STATE_COOKIE_TRIED)
    )
    if step is Step.NOTHING or cookie is None:
        return None
    st.session_state[STATE_COOKIE_TRIED] = cookie
    if step is Step.RESUME:
        resumed = cache.fresh(sessions.resume_session, token=cookie)
        if resumed is not None:
            account = {
                "user_id": resumed.actor.user_id,
                "username": resumed.actor.username,
                "session_id": resumed.session_id,
            }
            st.session_state[STATE_ACCOUNT] = account
            return account
    _write_cookie(sign_in_cookie.clear_cookie(https=_https()), only_if=cookie)
    return None


def _https() -> bool:
    return sign_in_cookie.served_over_https(st.context.url)


def _write_cookie(line: str, *, only_if: str | None = None) -> None:
    """Have this run set or clear the sign-in cookie (`cookie_writer` draws it)."""
    st.session_state[STATE_COOKIE_WRITE] = {"line": line, "only_if": only_if}


def cookie_writer() -> None:
    """Set or clear the sign-in cookie as asked in this run (once: the browser keeps it).

    The component draws nothing; hiding its container keeps the sidebar from moving by a gap
    for the one run it is there (a style-only `st.html` takes no room itself)."""
    write = st.session_state.pop(STATE_COOKIE_WRITE, None)
    if isinstance(write, dict):
        st.html(f"<style>.st-key-{COOKIE_WRITER_KEY} {{ display: none; }}</style>")
        _cookie_writer(key=COOKIE_WRITER_KEY, data={"name": sign_in_cookie.COOKIE_NAME, **write})


def client_address() -> str | None:
    """The client's address as the server sees it: None on the server's own machine (and under
    AppTest). Behind a reverse proxy on that machine it is the proxy's X-Forwarded-For, which
    uvicorn trusts from 127.0.0.1 (FORWARDED_ALLOW_IPS names other proxies); without that header
    every client looks local, and only the per-name limit applies."""
    return st.context.ip_address


def sign_in(username: str, password: str) -> tuple[str, dict[str, Any]] | None:
    """Check the credentials and remember the user; when refused, the error's label key and params.

    Too many recent failures for the name refuse it for a while (`lib.services.auth.authenticate`).
    A sign-in starts a session in the same transaction; this run writes its token to the cookie.
    """
    if not username.strip() or not password:
        return "accounts.sign_in_missing", {}
    url = config.database_url()
    try:
        with Session(cache.engine_for(url)) as session:
            begin_write(session)  # it reads the recent failures, then records this attempt
            actor = authenticate(session, username, password, address=client_address())
            started = (
                None if actor is None else sessions.start_session(session, actor, address=client_address())
            )
            session.commit()  # keeps the attempt (and a rehashed password, if argon2's parameters rose)
    except SignInThrottled as refused:
        return refused.key, refused.params
    except DatabaseError as error:
        cache.fail(error)
    except SQLAlchemyError as exc:
        cache.fail(explain_failure(exc, url))
    if actor is None or started is None:
        return "accounts.sign_in_failed", {}
    st.session_state[STATE_ACCOUNT] = {
        "user_id": actor.user_id,
        "username": actor.username,
        "session_id": started.session_id,
    }
    _write_cookie(sign_in_cookie.set_cookie(started.token, max_age=started.max_age, https=_https()))
    return None


def sign_out() -> None:
    """Sign out everywhere: every session of the account ends (its other tabs and browsers at their
    next run), this tab forgets the account, and this browser's cookie is cleared."""
    account = st.session_state.pop(STATE_ACCOUNT, None)
    _write_cookie(sign_in_cookie.clear_cookie(https=_https()))
    if not isinstance(account, dict):
        return
    try:
        with Session(cache.engine()) as session:
            sessions.sign_out_everywhere(session, user_id=account.get("user_id"))
    except Exception as exc:  # the database failed: the app's message at the top of the next run
        cache.save_failed(exc)


def role_label(role: str) -> str:
    return t(f"accounts.role.{role}")


def account_box() -> None:
    """The sidebar's account block: who is signed in and a sign-out button, or the sign-in form."""
    actor = current_actor()
    with st.sidebar:
        cookie_writer()
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
