"""The cookie that keeps a sign-in across reloads and new tabs: its name, what a well-formed value
looks like, the `document.cookie` line that sets or clears it, and what a page run does with the
cookie it was sent. Pure functions (no streamlit, no SQLAlchemy); lib.ui.signed_in writes the
cookie and lib.services.sessions checks the token it holds.

The cookie holds only a random token (`secrets.token_urlsafe(32)`: 43 URL-safe characters); the
database keeps its SHA-256, never the token, and never a password or a user id. It is written by a
few lines of JavaScript (Streamlit cannot set a cookie from a script run), so it cannot be
HttpOnly; it is SameSite=Strict, Path=/, Secure when the page was served over https, and its
Max-Age is the session's lifetime.
"""

from __future__ import annotations

import re
from enum import StrEnum

COOKIE_NAME = "county_dashboard_session"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) gives, and nothing else


def well_formed(value: object) -> bool:
    """Whether a cookie's value could be a token we issued (43 URL-safe characters)."""
    return isinstance(value, str) and TOKEN_PATTERN.fullmatch(value) is not None


def set_cookie(token: str, *, max_age: int, https: bool) -> str:
    """The `document.cookie` assignment that stores `token` for `max_age` seconds."""
    if not well_formed(token):
        raise ValueError("not a session token")
    return _line(token, max_age=max(0, int(max_age)), https=https)


def clear_cookie(*, https: bool) -> str:
    """The `document.cookie` assignment that removes the cookie (Max-Age=0)."""
    return _line("", max_age=0, https=https)


def _line(value: str, *, max_age: int, https: bool) -> str:
    secure = "; Secure" if https else ""
    return f"{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; SameSite=Strict{secure}"


def served_over_https(url: object) -> bool:
    """Whether the page's address (`st.context.url`, as the browser has it) is https."""
    return isinstance(url, str) and url.lower().startswith("https://")


class Step(StrEnum):
    """What a page run does with the cookie it was sent (`restore_step`)."""

    NOTHING = "nothing"
    RESUME = "resume"  # look the token up and, if it is good, sign the user in again
    CLEAR = "clear"  # a value no token can have: remove it, silently


def restore_step(cookie: object, *, signed_in: bool, tried: str | None) -> Step:
    """What to do with the cookie a run was sent (`cookie`: its value, or None without one).

    Nothing while this tab is signed in, or without a cookie, or for the value this tab already
    tried (the cookie a tab was sent stays the same until it reloads, so a token refused once is
    not looked up on every run); a malformed value is cleared; anything else is looked up.
    """
    if signed_in or cookie is None or cookie == "":
        return Step.NOTHING
    if not well_formed(cookie):
        return Step.CLEAR if cookie != tried else Step.NOTHING
    return Step.NOTHING if cookie == tried else Step.RESUME
