"""The sign-in cookie as plain functions (lib.rules.sign_in_cookie): what a token looks like, the
`document.cookie` lines that set and clear it, and what a page run does with the cookie it got."""

from __future__ import annotations

import secrets

import pytest

from lib.rules.sign_in_cookie import (
    COOKIE_NAME,
    TOKEN_BYTES,
    Step,
    clear_cookie,
    restore_step,
    served_over_https,
    set_cookie,
    well_formed,
)

TOKEN = "q3RbN0xY8v_Kp2sWmZ-4aHc7LdTe9uFgJi1oQwErTyU"  # as token_urlsafe(32) gives; fixed, so
# every pytest-xdist worker collects the same test ids


def test_only_what_token_urlsafe_gives_is_well_formed() -> None:
    assert all(well_formed(secrets.token_urlsafe(TOKEN_BYTES)) for _ in range(200))
    for bad in ["", TOKEN[:-1], TOKEN + "A", TOKEN[:42] + "=", TOKEN[:42] + ";", TOKEN[:42] + " ", None, 7]:
        assert not well_formed(bad), bad
    assert not well_formed(TOKEN[:42] + "\u0661")  # an Arabic-Indic digit: \w would take it


def test_the_cookie_line_has_every_attribute_and_never_more_than_the_token() -> None:
    assert set_cookie(TOKEN, max_age=43_200, https=False) == (
        f"{COOKIE_NAME}={TOKEN}; Path=/; Max-Age=43200; SameSite=Strict"
    )
    assert set_cookie(TOKEN, max_age=3600, https=True).endswith("; Max-Age=3600; SameSite=Strict; Secure")
    with pytest.raises(ValueError):
        set_cookie("1; Path=/admin", max_age=3600, https=False)  # nothing but a token goes in


def test_clearing_sets_max_age_zero_on_the_same_path() -> None:
    assert clear_cookie(https=False) == f"{COOKIE_NAME}=; Path=/; Max-Age=0; SameSite=Strict"
    assert clear_cookie(https=True).endswith("; Secure")


@pytest.mark.parametrize(
    ("url", "https"),
    [
        ("https://dashboard.county.gov.cn/", True),
        ("HTTPS://10.0.0.5:8501/map", True),
        ("http://10.0.0.5:8501/", False),
        ("http://localhost:8501/?x=https://", False),
        (None, False),
    ],
)
def test_secure_follows_the_address_the_browser_used(url: str | None, https: bool) -> None:
    assert served_over_https(url) is https


@pytest.mark.parametrize(
    ("cookie", "signed_in", "tried", "step"),
    [
        (None, False, None, Step.NOTHING),  # no cookie
        ("", False, None, Step.NOTHING),
        (TOKEN, False, None, Step.RESUME),  # a reload or a new tab: look it up
        (TOKEN, True, None, Step.NOTHING),  # this tab is signed in already
        (TOKEN, False, TOKEN, Step.NOTHING),  # refused once in this tab: not looked up on every run
        ("not a token", False, None, Step.CLEAR),  # tampered: cleared, silently
        ("not a token", False, "not a token", Step.NOTHING),
        ("not a token", True, None, Step.NOTHING),
    ],
)
def test_what_a_run_does_with_the_cookie_it_was_sent(
    cookie: str | None, signed_in: bool, tried: str | None, step: Step
) -> None:
    assert restore_step(cookie, signed_in=signed_in, tried=tried) is step
