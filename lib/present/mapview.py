"""What the map page shows, in the current language: measure names, tooltips, the table, the PNG.

Pure (no streamlit): it joins lib.present.maps (classes, colours, layers) with lib.core.i18n (labels).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from lib.core.i18n import CATALOGS, format_count, format_share, t
from lib.present import maps, status
from lib.present.common import localized_column
from lib.rules.targets import Target


def measure_label(key: str, level: maps.Level) -> str:
    """The measure's name; at town level some measures read differently (a share of villages)."""
    town_key = f"map.town_measure.{key}"
    if level == "town" and town_key in CATALOGS["en"]:
        return t(town_key)
    return t(f"map.measure.{key}")


def legend_title(measure: maps.Measure, level: maps.Level, rules: Mapping[str, Target] | None) -> str:
    """The measure's name and, when it is judged by a target, the target: "户档案核验率 · 目标 90.0%"."""
    label = measure_label(measure.key, level)
    rule = measure.rule(level, rules)
    return f"{label} · {status.target_text(rule)}" if rule is not None else label


def legend_caption(
    measure: maps.Measure, level: maps.Level, rules: Mapping[str, Target] | None
) -> str | None:
    """What the colours of a measure judged by its target mean (None for bins and categories)."""
    rule = measure.rule(level, rules)
    if rule is None:
        return None
    return t("map.target_caption", target=format_share(rule.target), amber=format_share(rule.amber_line))


def value_texts(
    units: pd.DataFrame,
    classes: pd.Series,
    measure: maps.Measure,
    level: maps.Level,
    rules: Mapping[str, Target] | None = None,
) -> list[str]:
    """The measure's value for each row as shown: a class name for categories, else a percentage
    (with its status in words when the measure is judged by a target: "50.0% · 落后")."""
    scheme = measure.scheme(level, rules)
    if scheme.categorical:
        return [t(scheme.name_key(key)) for key in classes]
    shares = [format_share(None if pd.isna(v) else float(v)) for v in units[measure.column(level)]]
    if scheme.rule is None:
        return shares
    return [
        share if key == maps.NO_DATA.key else f"{share} · {t(scheme.name_key(key))}"
        for share, key in zip(shares, classes, strict=True)
    ]


def village_tips(
    frame: pd.DataFrame,
    classes: pd.Series,
    measure: maps.Measure,
    rules: Mapping[str, Target] | None = None,
) -> list[dict[str, str]]:
    """Hover text per village: village, town, households, the chosen measure, first secretary."""
    values = value_texts(frame, classes, measure, "village", rules)
    label = measure_label(measure.key, "village")
    town_label, households_label = t("map.tip.town"), t("map.tip.households")
    secretary_label, no_secretary = t("map.tip.secretary"), t("map.card.secretary_none")
    return [
        maps.tip_fields(
            name,
            [
                (town_label, town),
                (households_label, format_count(int(households))),
                (label, value),
                (secretary_label, secretary if isinstance(secretary, str) else no_secretary),
            ],
        )
        for name, town, households, value, secretary in zip(
            localized_column(frame, "name"),
            localized_column(frame, "town_name"),
            frame["households"].tolist(),
            values,
            frame["secretary"].tolist(),
            strict=True,
        )
    ]


def town_tips(
    units: pd.DataFrame,
    classes: pd.Series,
    measure: maps.Measure,
    rules: Mapping[str, Target] | None = None,
) -> dict[str, dict[str, str]]:
    """Hover text per town code for the town-level view."""
    values = value_texts(units, classes, measure, "town", rules)
    label = measure_label(measure.key, "town")
    return {
        code: maps.tip_fields(
            name,
            [
                (t("map.tip.villages"), format_count(int(n_villages))),
                (t("map.tip.households"), format_count(int(households))),
                (label, value),
            ],
        )
        for code, name, n_villages, households, value in zip(
            units["town_code"],
            localized_column(units, "name"),
            units["villages"],
            units["households"],
            values,
            strict=True,
        )
    }


def legend_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """Legend rows with a `label` column: the class name and its count, for the PNG's legend."""
    labelled = rows.copy()
    labelled["label"] = [
        f"{t(name_key)} ({count})" for name_key, count in zip(rows["name_key"], rows["count"], strict=True)
    ]
    return labelled


def map_table(
    units: pd.DataFrame,
    classes: pd.Series,
    measure: maps.Measure,
    level: maps.Level,
    rules: Mapping[str, Target] | None = None,
) -> pd.DataFrame:
    """The table behind the map, with headers in the current language (for the Excel download)."""
    values = units[measure.column(level)]
    scheme = measure.scheme(level, rules)
    common: dict[str, Any] = {t("map.col.class"): [t(scheme.name_key(key)) for key in classes]}
    if not scheme.categorical:
        common[t("map.col.value")] = [None if pd.isna(v) else round(float(v), 4) for v in values]
    if level == "village":
        return pd.DataFrame(
            {
                t("map.col.code"): units["village_code"],
                t("map.col.village"): localized_column(units, "name"),
                t("col.town"): localized_column(units, "town_name"),
                **common,
                t("col.households"): units["households"],
                t("map.col.secretary"): units["secretary"],
                t("map.col.lon"): units["lon"],
                t("map.col.lat"): units["lat"],
            }
        )
    return pd.DataFrame(
        {
            t("map.col.code"): units["town_code"],
            t("col.town"): localized_column(units, "name"),
            **common,
            t("col.villages"): units["villages"],
            t("col.households"): units["households"],
        }
    )


def static_map_chart(
    points: pd.DataFrame,
    units: pd.DataFrame,
    classes: pd.Series,
    legend_rows: pd.DataFrame,
    *,
    level: maps.Level,
    towns: Mapping[str, Any],
    county: Mapping[str, Any],
    town_labels: Mapping[str, str],
    title: str,
    legend_title: str,
    subtitle: Sequence[str],
) -> alt.LayerChart:
    """The current map as an Altair chart with title, legend (with counts) and date, for a PNG."""
    labelled = legend_labels(legend_rows)
    label_of = dict(zip(labelled["key"], labelled["label"], strict=True))
    town_classes = None
    if level == "town":
        town_classes = {code: label_of[key] for code, key in zip(units["town_code"], classes, strict=True)}
    shown = points.assign(label=[label_of[key] for key in points["class"]]) if not points.empty else points
    return maps.static_map(
        shown,
        towns=towns,
        county=county,
        town_labels=town_labels,
        legend_rows=labelled,
        legend_title=legend_title,
        title=title,
        subtitle=subtitle,
        town_classes=town_classes,
    )


@dataclass(frozen=True)
class MapModel:
    """Everything the map page draws from one set of choices; built once per data version,
    language and choice (`lib.ui.cache.memo`), then only read."""

    units: pd.DataFrame  # villages or towns, one row per map unit
    classes: pd.Series  # each unit's class key
    points: pd.DataFrame  # the located villages as map points (none at town level)
    legend_rows: pd.DataFrame
    deck: maps.CompactDeck
    table: pd.DataFrame  # the Excel download


def map_model(
    frame: pd.DataFrame,
    towns_units: pd.DataFrame | None,
    *,
    measure: maps.Measure,
    level: maps.Level,
    size_by_households: bool,
    towns: Mapping[str, Any],
    county: Mapping[str, Any],
    town_names: Mapping[str, str],
    view: Any,
    tiles_style_url: str | None,
    labelled_towns: Collection[str] | None,
    rules: Mapping[str, Target],
) -> MapModel:
    """The map of `frame`'s villages, or at town level of `towns_units` (overview.town_progress);
    shares are judged by the county's targets `rules`."""
    scheme = measure.scheme(level, rules)
    fill_by_town = tips_by_town = None
    if level == "village":
        units = frame
        classes = maps.classify(frame, measure, level, rules)
        tips = village_tips(frame, classes, measure, rules)
        points = maps.village_points(frame, classes, scheme, tips=tips, size_by_households=size_by_households)
    else:
        assert towns_units is not None
        units = towns_units
        classes = maps.classify(units, measure, level, rules)
        points = maps.village_points(
            frame.iloc[0:0], classes.iloc[0:0], scheme, tips=[], size_by_households=False
        )
        fill_by_town = {
            code: maps.hex_to_rgba(scheme.colour_of(key), 215)
            for code, key in zip(units["town_code"], classes, strict=True)
        }
        tips_by_town = town_tips(units, classes, measure, rules)
    deck = maps.village_deck(
        points,
        towns=towns,
        county=county,
        town_labels=town_names,
        view=view,
        town_fill=fill_by_town,
        town_tips=tips_by_town,
        tiles_style_url=tiles_style_url,
        labelled_towns=labelled_towns,
    )
    deck.to_json()  # made now, while building, so every later draw only sends it
    return MapModel(
        units=units,
        classes=classes,
        points=points,
        legend_rows=maps.legend(classes, scheme),
        deck=deck,
        table=map_table(units, classes, measure, level, rules),
    )
