"""Promotion meetings and their decisions in the reader's language: a meeting's title, a task's
places, standing and measured progress, the tasks as a table and the summary the slides open with.

Pure (no streamlit, no SQL): the /meetings page and the deck (lib/files/briefing.py) both read it,
so the room sees on the slide what the page shows.
"""

from __future__ import annotations

import pandas as pd

from lib.core.figures import MeasuredProgress, MeetingInfo, MeetingStanding, TaskStanding
from lib.core.i18n import format_count, format_date, format_share, localized, t
from lib.rules.meetings import LATE

SHORT_WHAT = 48  # characters of a decision a slide line keeps (the page shows it whole)
SHORT_UNIT = 20  # and of its responsible unit: five such lines keep the deck's text at 14 pt
# Where each stands first after the decision, so a laptop's width shows it without scrolling sideways.
TASK_COLUMNS = ["what", "standing", "progress", "deadline", "unit", "places", "notes"]


def meeting_title(info: MeetingInfo) -> str:
    """ "第79次全县脱贫攻坚推进会" (name with its number when it has one)."""
    if info.number is None:
        return info.name
    return t("meetings.numbered", number=info.number, name=info.name)


def meeting_label(info: MeetingInfo) -> str:
    """A picker's line: date · title · town (or county)."""
    where = (
        localized(info.town_name_zh, info.town_name_en)
        if info.town_code is not None
        else t("meetings.level.county")
    )
    return f"{info.held_on.isoformat()} · {meeting_title(info)} · {where}"


def progress_text(progress: MeasuredProgress | None) -> str:
    """ "户档案核验率 12/40（30.0%，目标 100.0%）"; empty for a task without a measure."""
    if progress is None:
        return ""
    return t(
        "meetings.progress",
        measure=t(f"measure.{progress.measure}"),
        part=format_count(progress.part),
        whole=format_count(progress.whole),
        share=format_share(progress.share),
        target=format_share(progress.target),
    )


def places_text(task: TaskStanding) -> str:
    """The towns or villages a task names, in the reader's language ("" when none)."""
    return "、".join(localized(place.name_zh, place.name_en) for place in task.places)


def standing_label(standing: str) -> str:
    return t(f"meetings.standing.{standing}")


def tasks_frame(tasks: list[TaskStanding]) -> pd.DataFrame:
    """One row a decision (TASK_COLUMNS plus id and version), as a dataframe shows text: as typed."""
    rows = [
        {
            "id": task.id,
            "what": task.what,
            "unit": " · ".join(part for part in (task.responsible_unit, task.responsible_person) if part),
            "places": places_text(task),
            "deadline": task.deadline,
            "standing": standing_label(task.standing),
            "progress": progress_text(task.progress),
            "notes": len(task.notes),
            "version": task.version,
        }
        for task in tasks
    ]
    return pd.DataFrame(rows, columns=["id", *TASK_COLUMNS, "version"])


def notes_frame(task: TaskStanding) -> pd.DataFrame:
    """A task's progress notes, oldest first."""
    rows = [
        {
            "noted_on": note.noted_on,
            "text": note.text,
            "status": standing_label(note.status) if note.status else "",
            "username": note.username,
        }
        for note in task.notes
    ]
    return pd.DataFrame(rows, columns=["noted_on", "text", "status", "username"])


def _short(text: str, limit: int = SHORT_WHAT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def decisions_summary(standing: MeetingStanding) -> str:
    """ "5 项议定事项：已完成 2 项，推进中 1 项，已逾期 2 项"."""
    on_track = len(standing.tasks) - standing.count("done") - standing.count(LATE)
    return t(
        "meetings.slide.summary",
        meeting=meeting_title(standing.meeting),
        n=len(standing.tasks),
        done=standing.count("done"),
        on_track=on_track,
        late=standing.count(LATE),
    )


def decision_line(task: TaskStanding) -> str:
    """One slide line: the decision (shortened), who, by when, where it stands and its progress."""
    parts = [_short(task.what), _short(task.responsible_unit, SHORT_UNIT)]
    if task.deadline is not None:
        parts.append(t("meetings.slide.due", date=format_date(task.deadline)))
    parts.append(standing_label(task.standing))
    if task.progress is not None:
        parts.append(progress_text(task.progress))
    return " · ".join(parts)
