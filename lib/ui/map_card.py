"""The map's pieces: outlines, legend, the clicked object, and the village card beside the map."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from typing import Any

import streamlit as st

from lib.core.i18n import format_count, get_language, localized, t
from lib.present.markup import escape_markdown, t_md
from lib.queries import boundaries, common
from lib.ui import cache, reader

VILLAGE_PAGE = "pages/village.py"
MAP_PX = 640  # the map's height on a laptop
PROJECTOR_MAP_PX = 430  # on a 1280×720 projector: what is left below the title and the map's controls
MISSING_NAMES_SHOWN = 12  # towns named in the note on towns without an outline (a province may miss hundreds)


def map_height() -> int:
    """The map's height in pixels: less on the projector (presentation mode), so the whole map is on
    the first screen."""
    return PROJECTOR_MAP_PX if reader.presenting() else MAP_PX


def fit_height() -> int:
    """The height the map's first view fits the county into: the map's, less a margin."""
    return map_height() - 40


def geodata() -> tuple[dict[str, Any], dict[str, Any]]:
    """The town and county outlines stored in the database (lib.queries.boundaries), kept for the
    data version and shared between sessions: read them, never change them."""
    return cache.shared(boundaries.stored_outlines)


def outlines_note(
    towns: dict[str, Any], town_names: dict[str, str], *, town_codes: Sequence[str] = ()
) -> None:
    """Say so when towns have no outline to draw: none loaded yet (the villages are drawn as points
    alone), or some of the shown towns (`town_codes`, all when empty) missing from what was loaded."""
    if not town_names:
        return
    drawn = {feature["properties"]["code"] for feature in towns["features"]}
    if not drawn:
        st.info(t_md("map.outlines.none", page=t("nav.load")), icon=":material/map:")
        return
    shown = [code for code in town_codes if code in town_names] or list(town_names)
    missing = [town_names[code] for code in shown if code not in drawn]
    if missing:
        separator = "、" if get_language() == "zh" else ", "
        more = "…" if len(missing) > MISSING_NAMES_SHOWN else ""
        names = separator.join(missing[:MISSING_NAMES_SHOWN]) + more
        st.caption(t_md("map.outlines.some_missing", n=len(missing), names=names))


def map_legend(rows: Any, *, title: str, unit_key: str, caption: str | None = None) -> None:
    """The legend drawn on the page: a swatch, the class and how many villages (or towns) it has;
    `caption` says what the colours mean when they judge a target."""
    items = "".join(
        f'<div style="display:flex;align-items:center;gap:.5rem;margin:.15rem 0">'
        f'<span style="width:14px;height:14px;border-radius:3px;background:{row.colour};'
        f'border:1px solid #8a949e;display:inline-block"></span>'
        f"<span>{html.escape(t(row.name_key))}</span>"
        f'<span style="margin-left:auto;color:#52606d">{html.escape(t(unit_key, n=row.count))}</span></div>'
        for row in rows.itertuples()
    )
    st.markdown(f"**{escape_markdown(title)}**")
    st.html(f'<div data-testid="map-legend" style="font-size:.9rem">{items}</div>')
    if caption:
        st.caption(escape_markdown(caption))


def selected_object(event: Any, layer: str, field: str) -> str | None:
    """`field` of the object picked on the pydeck chart's `layer`, if any."""
    try:
        objects = event.selection.get("objects", {}).get(layer) or []
    except AttributeError:
        return None
    return str(objects[0][field]) if objects and field in objects[0] else None


_TOWN_PICKED = "map_town_picked"


def map_key(town_codes: Sequence[str]) -> str:
    """The map's widget key, one per selection of towns: a click picked on the county's map is not
    still selected when Back returns to it, so the same town can be clicked again."""
    return "village_map_" + hashlib.sha1(",".join(town_codes).encode()).hexdigest()[:10]


def drill_to_picked_town(key: str) -> None:
    """The map's callback: a town clicked on the town-shaded map narrows every panel to it."""
    event: Any = st.session_state.get(key)
    try:
        towns = event["selection"]["objects"].get("towns") or []
    except (KeyError, TypeError, AttributeError):
        return
    code = towns[0].get("properties", {}).get("code") if towns else None
    if code:
        reader.drill_to_town(str(code))
        st.session_state[_TOWN_PICKED] = True


def follow_town_pick() -> None:
    """Rerun the whole page after a town was picked (the map's click reruns only its fragment)."""
    if st.session_state.pop(_TOWN_PICKED, False):
        st.rerun()


def village_select(label: str, labels: dict[str, str], *, key: str, placeholder: str) -> str | None:
    """A village picker over `labels` ({code: "village · town"}); None until one is chosen.

    Up to `village_view.LIST_ALL_MAX` villages it is one selectbox listing them all; past that a
    search box comes first and the selectbox lists its matches (at most SEARCH_MATCHES) and the
    current choice, so a province's 30,000 names are not sent with every rerun.
    """
    from lib.present import village_view

    if st.session_state.get(key) not in labels:
        st.session_state[key] = None
    if len(labels) <= village_view.LIST_ALL_MAX:
        codes = list(labels)
    else:
        query = st.text_input(
            t("picker.search", n=format_count(len(labels))),
            key=f"{key}_search",
            placeholder=t("picker.search_placeholder"),
            max_chars=common.SEARCH_MAX,
        )
        codes, matched = village_view.search_options(labels, query, keep=st.session_state.get(key))
        if matched > village_view.SEARCH_MATCHES:
            st.caption(t("picker.more", shown=village_view.SEARCH_MATCHES, n=format_count(matched)))
        elif query.strip() and not matched:
            st.caption(t_md("picker.none", query=query.strip()[: common.SEARCH_MAX]))
        placeholder = t("picker.choose_match") if matched else t("picker.search_first")
    chosen = st.selectbox(
        label, codes, index=None, format_func=labels.__getitem__, placeholder=placeholder, key=key
    )
    return str(chosen) if chosen else None


def village_card(frame: Any, /, **scope: Any) -> None:
    """The selected village's card: key figures, first secretary, product, link to its page.

    `frame` is `village_measures` for the villages on the map, `scope` the arguments it was
    queried with; the selection lives in `st.session_state["map_pick"]` (set by a click on the
    map or by the picker).
    """
    from lib.present.common import localized_column

    def picker_labels() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        names = dict(zip(frame["village_code"], localized_column(frame, "name"), strict=True))
        towns = dict(zip(frame["village_code"], localized_column(frame, "town_name"), strict=True))
        return names, towns, {code: f"{name} · {towns[code]}" for code, name in names.items()}

    # A city's 3,600 names, the same on every run until the data or the selection changes.
    names, towns, labels = cache.derived("village_card.labels", picker_labels, **scope)
    with st.container(border=True):
        st.subheader(t("map.card.title"))
        code = village_select(t("map.card.pick"), labels, key="map_pick", placeholder="—")
        if not code:
            st.caption(t("map.card.hint"))
            return
        row = frame[frame["village_code"] == code].iloc[0]
        _village_card_body(row, names[code], towns[code])


def _village_card_body(row: Any, name: str, town: str) -> None:
    from lib.core.i18n import format_count, format_share

    if row["exit_status"] == "exited":
        status = t("map.card.exit_year", year=int(row["actual_exit_year"]))
    elif row["exit_status"] == "due":
        year = row["planned_exit_year"]
        status = (
            t("map.card.due_year", year=int(year))
            if year == year and year is not None
            else t("map.class.due")
        )
    else:
        status = t("map.class.not_poor")
    st.markdown(f"### {escape_markdown(name)}")
    st.caption(t_md("map.card.status", town=town, status=status))
    first, second = st.columns(2)
    first.metric(t("kpi.households"), format_count(int(row["households"])))
    second.metric(t("map.card.incidence"), format_share(_number(row["poverty_incidence"])))
    first.metric(t("kpi.plans"), format_share(_number(row["plan_share"])))
    second.metric(t("kpi.verified"), format_share(_number(row["verified_share"])))
    st.progress(
        _number(row["verified_share"]) or 0.0,
        text=t(
            "kpi.verified_help",
            verified=format_count(int(row["households_verified"])),
            total=format_count(int(row["households"])),
        ),
    )
    secretary = row["secretary"] if isinstance(row["secretary"], str) else None
    if secretary:
        trained = (
            t("map.card.trained") if row["secretary_trained"] == "trained" else t("map.card.not_trained")
        )
        st.markdown(f"**{t('map.card.secretary')}**: {escape_markdown(secretary)} · {trained}")
    else:
        st.markdown(f"**{t('map.card.secretary')}**: {t('map.card.secretary_none')}")
    _team_and_industries(str(row["village_code"]))
    product = localized(row["signature_product_zh"], row["signature_product_en"])
    st.markdown(
        f"**{t('map.card.product')}**: {escape_markdown(product) if product else t('map.card.product_none')}"
    )
    st.page_link(
        VILLAGE_PAGE,
        label=t("map.card.open"),
        icon=":material/holiday_village:",
        query_params={"code": row["village_code"], "lang": get_language()},
    )


def _team_and_industries(code: str) -> None:
    """The serving work team and the village's leading industries, one line each."""
    from lib.queries import village_detail

    team = cache.query(village_detail.work_team, code=code)
    members = [
        f"{escape_markdown(name)} ({t(f'village.role.{role}')})"
        for name, role, serving in zip(team["name"], team["role"], team["serving"], strict=True)
        if serving and role != "first_secretary"
    ]
    st.markdown(f"**{t('map.card.team')}**: {'、'.join(members) if members else t('common.none')}")
    top = cache.query(village_detail.top_industries, code=code, limit=3)
    industries = [
        t_md("map.card.industry", name=localized(zh, en), n=int(n))
        for zh, en, n in zip(top["industry_zh"], top["industry_en"], top["households"], strict=True)
    ]
    st.markdown(
        f"**{t('map.card.top_industries')}**: {' · '.join(industries) if industries else t('common.none')}"
    )


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)
