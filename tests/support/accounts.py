"""Accounts for the Actors tests act as: services read the acting account again from the database."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib.core.models import Town, User, Village
from lib.rules.permissions import COMMAND_LINE, Actor
from lib.services.auth import load_actor


def store_accounts(session: Session, *actors: Actor) -> None:
    """Add (and commit) an active account for each Actor that has none yet, with its username, role,
    town and village; the password hash is one no password matches."""
    for actor in actors:
        if session.scalar(select(User.id).where(User.username == actor.username)) is not None:
            continue
        town_id = village_id = None
        if actor.village_code is not None:
            village_id, town_id = session.execute(
                select(Village.id, Village.town_id).where(Village.code == actor.village_code)
            ).one()
        elif actor.town_code is not None:
            town_id = session.scalar(select(Town.id).where(Town.code == actor.town_code))
        session.add(
            User(
                username=actor.username,
                display_name=actor.display_name,
                password_hash="!",
                role=actor.role.value,
                town_id=town_id,
                village_id=village_id,
                can_see_names=actor.can_see_names,
                is_active=True,
            )
        )
    session.commit()


def module_actors(namespace: dict[str, object]) -> list[Actor]:
    """The Actors a test module defines at its top level (pass `globals()`)."""
    return [value for value in namespace.values() if isinstance(value, Actor)]


def created_actor(
    engine: Engine, username: str, role: str, *, town: str | None = None, village: str | None = None
) -> Actor:
    """A new account (password "password-123"), made as the command line would, and returned as a
    form holds it: the Actor read when the form was drawn."""
    from lib.services import accounts

    with Session(engine) as session:
        user = accounts.create_user_service(
            session,
            actor=COMMAND_LINE,
            username=username,
            password="password-123",
            display_name=username,
            role=role,
            town_code=town,
            village_code=village,
        )
        actor = load_actor(session, user.id)
    assert actor is not None
    return actor


def add_village_editor(url: str, village_code: str) -> None:
    """Store Vera Li, an active village editor of `village_code` (vera / vera-password), in the
    database at `url`, as the first administrator would add her."""
    from lib.core.db import make_engine
    from lib.services import accounts

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            accounts.create_user_service(
                session,
                actor=None,
                username="vera",
                password="vera-password",
                display_name="Vera Li",
                role="village_editor",
                village_code=village_code,
            )
    finally:
        engine.dispose()
