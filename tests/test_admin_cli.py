"""`python -m lib.admin`: the first admin from the command line, one-line errors, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib import admin
from lib.core import config
from lib.core.db import make_engine
from lib.core.models import AuditEntry, User
from lib.services.auth import authenticate
from tests.db_fixtures import copy_database
from tests.support.cli import run_main

PASSWORD = "first admin password"


def _real_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m lib.admin …` as a real process: its exit code, its output, no traceback."""
    return subprocess.run(
        [sys.executable, "-m", "lib.admin", *args],
        cwd=config.ROOT,
        env={**os.environ, "DATABASE_URL": url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`lib.admin.main(args)` in this process (see tests/support/cli.py); the tests that use
    `_real_cli` keep the process boundary."""
    return run_main(admin.main, args, env={"DATABASE_URL": url}, stdin=stdin)


def _create_admin(
    url: str, username: str = "admin", *, run: Callable[..., subprocess.CompletedProcess[str]] = _cli
) -> subprocess.CompletedProcess[str]:
    return run(
        url,
        "create-user",
        *("--username", username, "--role", "admin", "--display-name", "系统管理员"),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_creates_the_first_admin_from_a_password_on_stdin(sqlite_url: str) -> None:
    result = _create_admin(sqlite_url, run=_real_cli)  # an empty file: migrated first
    assert result.returncode == 0, result.stderr
    assert 'admin account "admin"' in result.stdout
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        actor = authenticate(session, "admin", PASSWORD)
        assert actor is not None and actor.role == "admin" and actor.display_name == "系统管理员"
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.username, entry.action, entry.table_name) == ("cli", "user.create", "users")
        assert PASSWORD not in (entry.new_values or "")
    engine.dispose()
    listing = _real_cli(sqlite_url, "list-users")
    assert listing.returncode == 0 and "admin" in listing.stdout and "系统管理员" in listing.stdout


def test_refuses_a_duplicate_in_one_line(sqlite_url: str) -> None:
    assert _create_admin(sqlite_url).returncode == 0
    again = _create_admin(sqlite_url, username="ADMIN")
    assert again.returncode != 0
    assert "already taken" in _one_line_error(again)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        assert len(session.scalars(select(User)).all()) == 1
    engine.dispose()


def test_town_editor_needs_a_known_town(hand_sqlite_url: str) -> None:
    args = ("create-user", "--username", "ted", "--role", "town_editor", "--display-name", "Ted")
    unknown = _cli(hand_sqlite_url, *args, "--town", "349901999", "--password-stdin", stdin=PASSWORD)
    assert unknown.returncode == 2
    assert "--town: No town has the code 349901999" in _one_line_error(unknown)
    known = _cli(hand_sqlite_url, *args, "--town", "349901100", "--password-stdin", stdin=PASSWORD)
    assert known.returncode == 0, known.stderr
    assert "for 349901100" in known.stdout


def test_every_bad_field_in_one_line(sqlite_url: str) -> None:
    result = _cli(
        sqlite_url,
        *("create-user", "--username", "x", "--role", "boss", "--display-name", " ", "--password-stdin"),
        stdin="short\n",
    )
    assert result.returncode == 2
    line = _one_line_error(result)
    for option in ("--username", "password", "--display-name", "--role"):
        assert f"{option}: " in line


@pytest.mark.parametrize("url", ["nonsense", "postgresql+psycopg://u:p@127.0.0.1:1/x"])
def test_bad_database_url_is_one_line_and_exit_1(url: str) -> None:
    result = _create_admin(url, run=_real_cli)
    assert result.returncode == 1
    _one_line_error(result)


def test_missing_sqlite_folder_is_one_line(tmp_path: Path) -> None:
    result = _cli(f"sqlite:///{tmp_path}/no/such/folder/x.db", "list-users")
    assert result.returncode == 1
    assert "does not exist" in _one_line_error(result)


def test_interactive_password_is_asked_twice(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    answers = iter(["one password", "another one"])
    monkeypatch.setattr(admin.getpass, "getpass", lambda prompt: next(answers))
    args = ["create-user", "--username", "admin", "--role", "admin", "--display-name", "Admin"]
    assert admin.main(args) == 2
    assert "differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert admin.main(args) == 0
    assert 'admin account "admin"' in capsys.readouterr().out


def test_list_users_on_an_empty_database_says_how_to_start(sqlite_url: str) -> None:
    result = _cli(sqlite_url, "list-users")
    assert result.returncode == 0 and "create-user" in result.stdout


def test_set_browse_turns_browsing_off_and_on_audited_as_cli(hand_sqlite_url: str) -> None:
    from lib.queries.accounts import browse_without_sign_in

    off = _cli(hand_sqlite_url, "set-browse", "off")
    assert off.returncode == 0, off.stderr
    assert "now off: only signed-in users browse" in off.stdout
    again = _cli(hand_sqlite_url, "set-browse", "off")
    assert again.returncode == 0 and "already off" in again.stdout
    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        assert browse_without_sign_in(session) is False
    on = _cli(hand_sqlite_url, "set-browse", "on")
    assert on.returncode == 0 and "now on: anyone may browse" in on.stdout
    with Session(engine) as session:
        assert browse_without_sign_in(session) is True
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.username, e.action, e.new_values, e.reason) for e in entries] == [
            ("cli", "setting.browse", '{"value": "0"}', "python -m lib.admin set-browse"),
            ("cli", "setting.browse", '{"value": "1"}', "python -m lib.admin set-browse"),
        ]
    engine.dispose()
    wrong = _cli(hand_sqlite_url, "set-browse", "maybe")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_rebuild_rollups_after_a_load_outside_the_app(hand_sqlite_url: str) -> None:
    """A visit written with SQL (not through the app) and a bumped version: the rollups stop being
    read until `rebuild-rollups` works them out again, now counting the visit."""
    from sqlalchemy import text

    from lib.queries import overview, rollups

    engine = make_engine(hand_sqlite_url)
    with Session(engine) as session:
        before = int(overview.town_progress(session)["households_verified"].sum())
        session.execute(
            text(
                "INSERT INTO verification_visits (household_id, visited_on, visitor_name, ledger_verified, "
                "found_unregistered_need) "
                "VALUES (2, '2020-10-01', 'SQL', 1, 0)"
            )
        )
        session.execute(text("UPDATE app_meta SET value = '2' WHERE key = 'data_version'"))
        session.commit()
        assert not rollups.counts_ready(session)
    result = _cli(hand_sqlite_url, "rebuild-rollups")
    assert result.returncode == 0, result.stderr
    assert "Rollups worked out afresh" in result.stdout
    with Session(engine) as session:
        assert rollups.counts_ready(session)
        assert int(overview.town_progress(session)["households_verified"].sum()) == before + 1


# --- unlock: a locked-out administrator, or address, from the command line ---------------------


def _admin_only(engine: Engine) -> None:
    from lib.services.accounts import create_user_service

    with Session(engine) as session:
        create_user_service(
            session, actor=None, username="admin", password=PASSWORD, display_name="系统管理员", role="admin"
        )


@pytest.fixture
def with_admin(
    request: pytest.FixtureRequest, backend: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database with the admin (password PASSWORD), on each backend; cheap argon2 here
    (twenty unknown names cost twenty verifications of the dummy hash)."""
    from argon2 import PasswordHasher

    from lib.services import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield copy_database(request, backend, "admin-cli", _admin_only)
    auth._dummy_hash.cache_clear()


def _locked_out(url: str, *, address: str | None = None, names: int = 1) -> None:
    """Enough wrong passwords, now, to pause "admin" (names=1) or `address` (many names)."""
    from lib.services.auth import SIGN_IN_ADDRESS_MAX_FAILURES, SIGN_IN_MAX_FAILURES

    engine = make_engine(url)
    with Session(engine) as session:
        count = SIGN_IN_MAX_FAILURES if names == 1 else SIGN_IN_ADDRESS_MAX_FAILURES
        for number in range(count):
            name = "admin" if names == 1 else f"guess{number}"
            assert authenticate(session, name, "wrong password", address=address) is None
            session.commit()
    engine.dispose()


def _signs_in(url: str, *, address: str | None = None) -> bool:
    from lib.services.auth import SignInThrottled

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            actor = authenticate(session, "admin", PASSWORD, address=address)
            session.commit()
            return actor is not None
    except SignInThrottled:
        return False
    finally:
        engine.dispose()


def test_unlock_clears_a_locked_out_admin_audited_as_cli(with_admin: str) -> None:
    database_url = with_admin
    _locked_out(database_url)
    assert not _signs_in(database_url)
    result = _cli(database_url, "unlock", "ADMIN")
    assert result.returncode == 0, result.stderr
    assert 'Cleared 5 recent failed sign-ins for "admin"' in result.stdout
    assert _signs_in(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.username, entry.action, entry.table_name, entry.record_key) == (
            "cli",
            "sign_in.unlock",
            "sign_in_attempts",
            "admin",
        )
        assert entry.new_values == '{"cleared": 5, "username": "admin"}'
        assert entry.reason == "python -m lib.admin unlock"
    engine.dispose()
    again = _cli(database_url, "unlock", "admin")
    assert again.returncode == 0 and "nothing to clear" in again.stdout


def test_unlock_an_address(with_admin: str) -> None:
    sqlite_url = with_admin
    _locked_out(sqlite_url, address="10.0.0.7", names=20)
    assert not _signs_in(sqlite_url, address="10.0.0.7")
    result = _cli(sqlite_url, "unlock", "--address", "10.0.0.7")
    assert result.returncode == 0, result.stderr
    assert 'Cleared 20 recent failed sign-ins from "10.0.0.7"' in result.stdout
    assert _signs_in(sqlite_url, address="10.0.0.7")


def test_unlock_needs_a_name_or_an_address(sqlite_url: str) -> None:
    result = _cli(sqlite_url, "unlock")
    assert result.returncode == 2
    assert _one_line_error(result) == "Error: name a username or --address to unlock"


def test_the_readme_documents_unlock() -> None:
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m lib.admin unlock USERNAME" in readme and "unlock --address" in readme
