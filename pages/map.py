"""Village map (`/map`): villages or towns coloured by a measure, with a village card beside it."""

import pandas as pd
import streamlit as st

from lib.core import config
from lib.core.i18n import t
from lib.files import export
from lib.present import maps, mapview, training_view
from lib.present.common import localized_column, parse_as_of
from lib.queries import assessment as assessment_queries
from lib.queries import overview, training, villages
from lib.rules import assessment, targets
from lib.ui import cache, map_card, reader, shell, widgets

filters = shell.open_page("map")
widgets.page_header(t("map.title"), filters)

frame = cache.query(
    villages.village_measures, town_codes=filters.town_codes, village_codes=filters.village_codes or None
)
if frame.empty:
    st.info(t("overview.empty") if not filters.town_codes else t("overview.no_match"), icon=":material/info:")
    st.stop()

controls = st.columns([1.2, 2, 1.4])
reader.state_from_param("map_level", "level", ["village", "town"], default="village")
reader.state_from_param("map_measure", "measure", list(maps.MEASURES), default="exit_status")
level_labels = {"village": t("map.level.village"), "town": t("map.level.town")}
chosen_level = controls[0].segmented_control(
    t("map.level"),
    list(level_labels),
    format_func=level_labels.__getitem__,
    key="map_level",
)
level: maps.Level = "town" if chosen_level == "town" else "village"
measure_labels = {key: mapview.measure_label(key, level) for key in maps.MEASURES}
measure_key = controls[1].selectbox(
    t("map.measure"), list(measure_labels), format_func=measure_labels.__getitem__, key="map_measure"
)
size_by_households = controls[2].toggle(t("map.size_by_households"), key="map_size", disabled=level == "town")
reader.sync_params(level=level, measure=measure_key)
measure = maps.MEASURES[measure_key]
rules = targets.share_targets(training=training_view.target_share(cache.query(training.programmes)))
readiness_key = ""  # what the readiness measure depends on besides the data
if measure_key == "readiness":  # the overall status on /assessment, by village or town
    readiness_args = {
        "as_of": parse_as_of(widgets.as_of()),
        "within_months": config.verified_within_months(),
        "town_codes": filters.town_codes,
    }
    thresholds = assessment.Thresholds.from_settings()
    village_readiness = cache.query(assessment_queries.readiness_counts, level="village", **readiness_args)
    frame = assessment.with_readiness(frame, village_readiness, thresholds, key="village_code")
    readiness_key = repr((readiness_args, thresholds))
towns_geo, county_geo = map_card.geodata()
town_names = reader.all_town_names()
map_card.outlines_note(towns_geo, town_names, town_codes=filters.town_codes)


def town_units() -> pd.DataFrame:
    units = cache.query(overview.town_progress, town_codes=filters.town_codes)
    if measure_key == "readiness":
        town_readiness = cache.query(assessment_queries.readiness_counts, level="town", **readiness_args)
        units = assessment.with_readiness(units, town_readiness, thresholds, key="town_code")
    return units


model = cache.memo(
    "map",
    lambda: mapview.map_model(
        frame,
        town_units() if level == "town" else None,
        measure=measure,
        level=level,
        size_by_households=size_by_households,
        towns=towns_geo,
        county=county_geo,
        town_names=town_names,
        view=maps.fit_view(
            maps.map_bbox(towns_geo, filters.town_codes, frame), height_px=map_card.fit_height()
        ),
        tiles_style_url=config.tiles_url(),
        labelled_towns=filters.town_codes or None,
        rules=rules,
    ),
    towns=filters.town_codes,
    villages=filters.village_codes,
    level=level,
    measure=measure_key,
    size_by_households=size_by_households,
    readiness=readiness_key,
    tiles=config.tiles_url(),
    height=map_card.map_height(),
    rules=repr(rules),
)
units, classes, points, legend_rows = model.units, model.classes, model.points, model.legend_rows


@st.fragment
def map_and_card() -> None:
    """The map and the card of the selected village; a click reruns only this part."""
    reader.choose_language()  # a fragment rerun skips app.py, so restore this user's language
    left, right = st.columns([3, 1.25], gap="medium")
    with left:
        key = map_card.map_key(filters.town_codes)
        event = st.pydeck_chart(
            model.deck,
            on_select=lambda: map_card.drill_to_picked_town(key),
            selection_mode="single-object",
            key=key,
            height=map_card.map_height(),
        )
    map_card.follow_town_pick()
    clicked = map_card.selected_object(event, "villages", "village_code")
    if clicked and clicked != st.session_state.get("map_clicked"):
        st.session_state["map_clicked"] = clicked
        st.session_state["map_pick"] = clicked
    with right:
        map_card.village_card(frame, town_codes=filters.town_codes, village_codes=filters.village_codes)


map_and_card()

legend_col, note_col = st.columns([1.2, 2])
with legend_col:
    unit_key = "map.legend_villages" if level == "village" else "map.legend_towns"
    legend_title = mapview.legend_title(measure, level, rules)
    caption = mapview.legend_caption(measure, level, rules)
    map_card.map_legend(legend_rows, title=legend_title, unit_key=unit_key, caption=caption)
with note_col:
    missing = maps.unlocated(frame)
    if missing.empty:
        st.caption(t("map.all_located"))
    else:
        places = zip(
            localized_column(missing, "name"),
            localized_column(missing, "town_name"),
            strict=True,
        )
        names = [f"{village} ({town})" for village, town in places]
        separator = "、" if filters.lang == "zh" else ", "
        widgets.notice(
            "warning",
            t("map.no_coords", n=len(missing), names=separator.join(names)),
            icon=":material/location_off:",
        )

    title = f"{t('app.county')} · {measure_labels[measure_key]}"
    subtitle = [
        t("map.png_subtitle", scope=widgets.scope_line(filters), date=widgets.as_of()),
        t("map.png_source", app=t("app.title")),
    ]
    table = model.table
    png_column, excel_column = st.columns(2)
    png_column.download_button(
        t("map.download_png"),
        data=cache.in_current_language(
            lambda: export.chart_png(
                mapview.static_map_chart(
                    points,
                    units,
                    classes,
                    legend_rows,
                    level=level,
                    towns=towns_geo,
                    county=county_geo,
                    town_labels=town_names,
                    title=title,
                    legend_title=legend_title,
                    subtitle=subtitle,
                )
            )
        ),
        file_name=f"map_{measure_key}_{level}.png",
        mime="image/png",
        on_click="ignore",
    )
    excel_column.download_button(
        t("map.download_excel"),
        data=cache.in_current_language(
            lambda: export.excel_bytes({measure_key: table}, title_lines={measure_key: [title, *subtitle]})
        ),
        file_name=f"map_{measure_key}_{level}.xlsx",
        mime=export.EXCEL_MIME,
        on_click="ignore",
    )
