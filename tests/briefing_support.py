"""The hand county in a SQLite file, and its meeting slides built once per language and selection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lib.core.db import make_engine
from lib.core.schema import upgrade
from lib.files.briefing import Slide, build_slides
from tests.hand_county import load_hand_county

AS_OF = dt.date(2020, 10, 31)
EXPORTED = dt.datetime(2026, 11, 23, 16, 40)
SOURCE_EN = "Source: county poverty-alleviation database · data as of 2020-10-31 · exported 2026-11-23 16:40"
TOWN_A, TOWN_B, TOWN_C = "349901100", "349901101", "349901102"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def hand_county_engine(folder: Path) -> Engine:
    """A migrated SQLite file in `folder` holding the hand-worked county."""
    engine = make_engine(f"sqlite:///{folder}/hand.db")
    upgrade(engine)
    with Session(engine) as session:
        load_hand_county(session)
    return engine


class SlideCache:
    """Slides of the hand county, each language and selection built once (rendering takes seconds)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._built: dict[tuple[str, tuple[str, ...]], list[Slide]] = {}

    def __call__(self, lang: str, towns: Sequence[str] = ()) -> list[Slide]:
        key = (lang, tuple(towns))
        if key not in self._built:
            with Session(self.engine) as session:
                self._built[key] = build_slides(
                    session, town_codes=list(towns) or None, as_of=AS_OF, lang=lang, exported_at=EXPORTED
                )
        return list(self._built[key])  # a copy: a test that changed its list would not change another's
