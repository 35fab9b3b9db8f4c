"""What the training page shows, in the current language: tiles, chart frames and tables.

Pure (no streamlit, no SQL): it turns `lib.queries.training` results into labelled pieces so
pages/training.py only lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from lib.core.i18n import format_count, format_share, localized, t
from lib.present import changes, status
from lib.present.common import Tile, localized_column
from lib.rules import targets


def target_share(programmes: pd.DataFrame) -> float | None:
    """The county's coverage target: that of the newest required programme which sets one."""
    required = programmes[programmes["required"] & programmes["target_share"].notna()]
    return None if required.empty else float(required.iloc[-1]["target_share"])


def topic_names(topics: pd.DataFrame) -> dict[str, str]:
    return dict(zip(topics["code"], localized_column(topics, "name"), strict=True))


def coverage(by_town: pd.DataFrame) -> float | None:
    """Serving first secretaries trained, of all serving (None when nobody serves): the Overview's
    training share for the same towns."""
    serving, trained = int(by_town["serving"].sum()), int(by_town["trained"].sum())
    return trained / serving if serving else None


def tiles(
    by_town: pd.DataFrame,
    phases: pd.DataFrame,
    tours: pd.DataFrame,
    waiting: pd.DataFrame,
    target: float | None,
    comparison: changes.Comparison | None = None,
) -> list[Tile]:
    """Coverage (with its change since `comparison`'s date and its line), sessions held, study
    tours and the waiting list."""
    serving, trained = int(by_town["serving"].sum()), int(by_town["trained"].sum())
    share = coverage(by_town)
    rule = targets.share_targets(training=target)[targets.TRAINING]
    judged = rule.status(share)
    enrolled = int(waiting["enrolled_upcoming"].sum()) if not waiting.empty else 0
    tour_names = "、".join(dict.fromkeys(localized_column(tours, "programme_name")))
    coverage_tile = Tile(
        t("training.kpi.coverage"),
        format_share(share),
        t("training.kpi.coverage_detail", trained=format_count(trained), serving=format_count(serving)),
        t("training.kpi.coverage_help"),
        status=judged,
        target=status.target_text(rule),
    )
    return [
        changes.with_change(coverage_tile, targets.TRAINING, share, comparison),
        Tile(
            t("training.kpi.sessions"),
            format_count(len(phases)),
            t(
                "training.kpi.sessions_detail",
                attended=format_count(int(phases["attended"].sum())),
                phases=len(phases),
            ),
        ),
        Tile(
            t("training.kpi.tours"),
            format_count(len(tours)),
            tour_names or t("training.no_tours"),
        ),
        Tile(
            t("training.kpi.waiting"),
            format_count(len(waiting)),
            t("training.kpi.waiting_detail", enrolled=enrolled),
        ),
    ]


def town_shares(by_town: pd.DataFrame) -> pd.DataFrame:
    """Chart frame: town, value (share trained) and code, only towns with serving secretaries."""
    shown = by_town[by_town["serving"] > 0]
    return pd.DataFrame(
        {"town": localized_column(shown, "name"), "value": shown["share"], "code": shown["town_code"]}
    )


def trend(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(frame["date"]), "value": frame["share"]})


def phases_table(phases: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    table = pd.DataFrame(
        {
            "phase": [
                t("training.session_label", programme=name, phase=phase)
                for name, phase in zip(localized_column(phases, "name"), phases["phase"], strict=True)
            ],
            "attended": phases["attended"],
            "serving": phases["attended_serving"],
            "share": phases["share_of_serving"] * 100,
        }
    )
    return table, {key: t(f"training.col.{key}") for key in table.columns}


def heatmap_frame(coverage: pd.DataFrame, topics: Mapping[str, str]) -> pd.DataFrame:
    shown = coverage[coverage["serving"] > 0]
    return pd.DataFrame(
        {
            "row": localized_column(shown, "town_name"),
            "column": [topics.get(code, code) for code in shown["topic_code"]],
            "value": shown["share"],
        }
    )


def _topic_list(codes: Iterable[str], topics: Mapping[str, str]) -> str:
    return "、".join(topics.get(code, code) for code in codes)


def missing_table(missing: pd.DataFrame, topics: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("training.col.name"): missing["name"],
            t("col.town"): localized_column(missing, "town_name"),
            t("map.col.village"): localized_column(missing, "village_name"),
            t("training.col.missing"): [_topic_list(codes, topics) for codes in missing["missing"]],
        }
    )


def timeline_frame(schedule: pd.DataFrame) -> pd.DataFrame:
    names = localized_column(schedule, "name")
    places = localized_column(schedule, "place")
    return pd.DataFrame(
        {
            "label": [
                t("training.session_label", programme=name, phase=phase)
                for name, phase in zip(names, schedule["phase"], strict=True)
            ],
            "start": pd.to_datetime(schedule["start_date"]),
            # a bar ends after its last day
            "end": pd.to_datetime(schedule["end_date"]) + pd.Timedelta(days=1),
            "kind": [
                t("training.kind.upcoming") if upcoming else t(f"training.kind.{kind}")
                for kind, upcoming in zip(schedule["kind"], schedule["upcoming"], strict=True)
            ],
            "detail": [
                f"{place} · {a} – {b}"
                for place, a, b in zip(places, schedule["start_date"], schedule["end_date"], strict=True)
            ],
        }
    )


def schedule_table(schedule: pd.DataFrame, topics: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("training.col.programme"): localized_column(schedule, "name"),
            t("training.col.phase"): schedule["phase"],
            t("training.col.place"): localized_column(schedule, "place"),
            t("training.col.start"): schedule["start_date"],
            t("training.col.end"): schedule["end_date"],
            t("training.col.days"): schedule["days"],
            t("training.col.capacity"): schedule["capacity"],
            t("training.col.enrolled"): schedule["enrolled"],
            t("training.col.attended"): schedule["attended"],
            t("training.col.status"): [
                t("training.kind.upcoming") if upcoming else t("training.status.held")
                for upcoming in schedule["upcoming"]
            ],
            t("training.col.topics"): [_topic_list(codes, topics) for codes in schedule["topics"]],
        }
    )


def tour_table(tours: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("training.col.programme"): localized_column(tours, "programme_name"),
            t("training.col.name"): tours["name"],
            t("col.town"): localized_column(tours, "town_name"),
            t("map.col.village"): localized_column(tours, "village_name"),
            t("training.col.selected"): tours["selected"],
            t("training.col.serving"): tours["serving"],
        }
    )


def waiting_table(waiting: pd.DataFrame, topics: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("training.col.name"): waiting["name"],
            t("col.town"): localized_column(waiting, "town_name"),
            t("map.col.village"): localized_column(waiting, "village_name"),
            t("training.col.unit"): localized_column(waiting, "sent_by_unit"),
            t("training.col.since"): waiting["since"],
            t("training.col.months"): waiting["months_in_post"],
            t("training.col.enrolled_upcoming"): waiting["enrolled_upcoming"],
            t("training.col.missing"): [_topic_list(codes, topics) for codes in waiting["missing_topics"]],
        }
    )


def shares_table(waiting: pd.DataFrame, shares: pd.Series) -> pd.DataFrame:
    """Per town: people waiting and the seats the fair share gives it."""
    towns = waiting.drop_duplicates("town_code").set_index("town_code")
    counts = waiting.groupby("town_code").size()
    return pd.DataFrame(
        {
            t("col.town"): [
                localized(towns.loc[c, "town_name_zh"], towns.loc[c, "town_name_en"]) for c in counts.index
            ],
            t("training.col.waiting"): counts.to_numpy(),
            t("training.col.seats"): [int(shares.get(c, 0)) for c in counts.index],
        }
    )


def proposal_table(proposal: pd.DataFrame, waiting: pd.DataFrame, schedule: pd.DataFrame) -> pd.DataFrame:
    people = waiting.set_index("cadre_id")
    sessions = schedule.set_index("session_id")
    return pd.DataFrame(
        {
            t("training.col.name"): [people.loc[c, "name"] for c in proposal["cadre_id"]],
            t("col.town"): [
                localized(people.loc[c, "town_name_zh"], people.loc[c, "town_name_en"])
                for c in proposal["cadre_id"]
            ],
            t("training.col.months"): [people.loc[c, "months_in_post"] for c in proposal["cadre_id"]],
            t("training.col.session"): [
                t(
                    "training.session_label",
                    programme=localized(sessions.loc[s, "name_zh"], sessions.loc[s, "name_en"]),
                    phase=sessions.loc[s, "phase"],
                )
                + f" · {sessions.loc[s, 'start_date']}"
                for s in proposal["session_id"]
            ],
        }
    )
