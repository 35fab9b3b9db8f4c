"""Accounts from the command line, against DATABASE_URL (migrated first).

    python -m lib.admin create-user --username admin --role admin --display-name "系统管理员"
    python -m lib.admin create-user --username balihe --role town_editor --town 349901105 \\
        --display-name "八里河镇录入员" --password-stdin < password.txt
    python -m lib.admin list-users
    python -m lib.admin set-browse on|off    # may anyone browse the dashboards without signing in?
    python -m lib.admin rebuild-rollups      # after loading data with SQL, outside the app and lib.demo
    python -m lib.admin unlock USERNAME      # a name paused by failed sign-ins may try again now
    python -m lib.admin unlock --address 10.0.0.7   # … or an address

The password comes from standard input (`--password-stdin`, one line) or is asked for twice.
Whoever can run this against the database already controls it, so the command line acts as an
admin (audit rows say "cli"): it makes the first admin, and more accounts when needed.
Errors are one line on stderr and a non-zero exit: 1 for the database, 2 for refused input.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lib.core import config
from lib.core.db import (
    DatabaseError,
    begin_write,
    check_connection,
    describe_url,
    explain_failure,
    make_engine,
)
from lib.core.domain import Role
from lib.core.errors import ServiceError, ValidationError
from lib.core.models import User
from lib.core.schema import upgrade
from lib.queries.accounts import browse_without_sign_in
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services import rollups
from lib.services.accounts import clear_sign_in_failures, create_user_service, set_browse_without_sign_in
from lib.services.auth import actor_for, normalize_username

# ValidationError's fields, as this command's options
OPTIONS = {
    "username": "--username",
    "password": "password",
    "display_name": "--display-name",
    "role": "--role",
    "town_code": "--town",
    "village_code": "--village",
}


class CliError(Exception):
    """A refusal worth one line (exit 2)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
    except (EOFError, KeyboardInterrupt) as exc:
        raise CliError("no password given") from exc
    if first != second:
        raise CliError("the two passwords differ; nothing was written")
    return first


def _open() -> Engine:
    engine = make_engine(config.database_url())
    check_connection(engine)
    upgrade(engine)
    return engine


def create_user(args: argparse.Namespace, engine: Engine) -> int:
    password = _read_password(args.password_stdin)
    with Session(engine) as session:
        user = create_user_service(
            session,
            actor=COMMAND_LINE,
            username=args.username,
            password=password,
            display_name=args.display_name,
            role=args.role,
            town_code=args.town,
            village_code=args.village,
            can_see_names=args.can_see_names,
            reason="python -m lib.admin create-user",
        )
        actor = actor_for(session, user)
    print(f"Created {_describe(actor)} in {describe_url(str(engine.url))}.")
    return 0


def _describe(actor: Actor) -> str:
    where = actor.village_code or actor.town_code
    scope = f" for {where}" if where else ""
    return f'the {actor.role.value} account "{actor.username}" ({actor.display_name}){scope}'


def list_users(engine: Engine) -> int:
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        actors = [(actor_for(session, user), user.is_active) for user in users]
    if not actors:
        print(
            f"No accounts in {describe_url(str(engine.url))} yet; make the first admin with "
            "`python -m lib.admin create-user --username admin --role admin --display-name …`."
        )
        return 0
    rows = [("username", "role", "town", "village", "names", "active", "display name")]
    rows += [
        (
            actor.username,
            actor.role.value,
            actor.town_code or "—",
            actor.village_code or "—",
            "yes" if actor.can_see_names else "no",
            "yes" if active else "no",
            actor.display_name,
        )
        for actor, active in actors
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]))
    return 0


def set_browse(args: argparse.Namespace, engine: Engine) -> int:
    enabled = args.state == "on"
    with Session(engine) as session:
        before = set_browse_without_sign_in(
            session, actor=COMMAND_LINE, enabled=enabled, reason="python -m lib.admin set-browse"
        )
        now = browse_without_sign_in(session)
    where = describe_url(str(engine.url))
    state = "on: anyone may browse" if now else "off: only signed-in users browse"
    change = "already" if before == now else "now"
    print(f"Browsing without signing in is {change} {state} the dashboards in {where}.")
    return 0


def unlock(args: argparse.Namespace, engine: Engine) -> int:
    """Clear the throttle on a username and/or an address (lib.services.auth's sign-in throttling)."""
    if not (args.username or "").strip() and not (args.address or "").strip():
        raise CliError("name a username or --address to unlock")
    where = describe_url(str(engine.url))
    targets = [("username", args.username, "for"), ("address", args.address, "from")]
    for option, value, preposition in targets:
        if not (value or "").strip():
            continue
        shown = normalize_username(value) if option == "username" else value.strip()
        with Session(engine) as session:
            cleared = clear_sign_in_failures(
                session, actor=COMMAND_LINE, reason="python -m lib.admin unlock", **{option: value}
            )
        if cleared:
            print(
                f'Cleared {cleared} recent failed sign-ins {preposition} "{shown}" in {where}: '
                "signing in is no longer paused there."
            )
        else:
            print(f'No recent failed sign-ins {preposition} "{shown}" in {where}: nothing to clear.')
    return 0


def rebuild_rollups(engine: Engine) -> int:
    """Work the rollup tables out afresh from the base tables (lib/services/rollups.py)."""
    started = time.perf_counter()
    with Session(engine) as session:
        begin_write(session)  # while the app runs: no save slips in between the reads and the rows
        rollups.rebuild(session)
        session.commit()
    where = describe_url(str(engine.url))
    print(f"Rollups worked out afresh in {where} in {time.perf_counter() - started:.1f} s.")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.admin", description="Manage accounts in DATABASE_URL."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create an account (the first one: an admin)")
    create.add_argument("--username", required=True, help="3–40 letters, digits, . _ - (case-insensitive)")
    create.add_argument("--role", required=True, help=f"one of {', '.join(Role)}")
    create.add_argument("--display-name", required=True, help="the name shown in the app")
    create.add_argument("--town", metavar="CODE", help="a town editor's town code")
    create.add_argument("--village", metavar="CODE", help="a village editor's village code")
    create.add_argument(
        "--can-see-names", action="store_true", help="may see household heads' names and ID numbers"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (one line)"
    )
    commands.add_parser("list-users", help="list every account")
    browse = commands.add_parser(
        "set-browse", help="let anyone browse the dashboards without signing in (on), or not (off)"
    )
    browse.add_argument("state", choices=["on", "off"])
    commands.add_parser(
        "rebuild-rollups", help="work out the rollup tables afresh (after loading data outside the app)"
    )
    unlock_ = commands.add_parser(
        "unlock", help="let a username (or an address) paused by failed sign-ins try again at once"
    )
    unlock_.add_argument("username", nargs="?", help="the username (any case) to unlock")
    unlock_.add_argument("--address", help="a client address to unlock (as /admin lists it)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = config.database_url()
    engine: Engine | None = None
    try:
        engine = _open()
        if args.command == "create-user":
            return create_user(args, engine)
        if args.command == "set-browse":
            return set_browse(args, engine)
        if args.command == "rebuild-rollups":
            return rebuild_rollups(engine)
        if args.command == "unlock":
            return unlock(args, engine)
        return list_users(engine)
    except DatabaseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        problems = "; ".join(
            f"{OPTIONS.get(field, field)}: {text.rstrip('.')}" for field, text in exc.messages().items()
        )
        print(f"Error: {problems} (nothing was written)", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"Error: {explain_failure(exc, url)}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
