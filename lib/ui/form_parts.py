"""Pieces the update forms share: field errors, the village and household pickers, a record's history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from lib.core.i18n import t
from lib.present import audit_view
from lib.present.common import localized_column
from lib.queries import audit, updates
from lib.rules import privacy
from lib.rules.permissions import Actor
from lib.ui import cache, widgets


def field_error(errors: dict[str, str], *fields: str) -> None:
    """The message for each of `fields` that has one, shown where the call is (beside the field)."""
    for field in fields:
        if field in errors:
            widgets.notice("error", errors[field], icon=":material/error:")


def pick_household(actor: Actor, prefix: str) -> tuple[Any, dict[int, str]] | None:
    """Village and household pickers limited to the actor's town or village; None when empty."""

    scope = (
        {"town_code": actor.town_code}
        if actor.role == "town_editor"
        else {"village_code": actor.village_code}
    )
    villages = cache.query(updates.village_choices, **scope)
    labels = [
        f"{village} · {town}"
        for village, town in zip(
            localized_column(villages, "name"), localized_column(villages, "town_name"), strict=True
        )
    ]
    names = dict(zip(villages["village_code"], labels, strict=True))
    code = st.selectbox(
        t("forms.village"), list(names), format_func=names.__getitem__, key=f"{prefix}_village"
    )
    homes = cache.query(updates.household_choices, village_code=code) if code else None
    if homes is None or homes.empty:
        st.info(t("forms.no_households"))
        return None
    show_names = privacy.names_visible(actor)
    options = {
        int(row.household_id): t(
            "forms.household_option",
            archive=row.archive_no,
            head=row.head_name if show_names else privacy.mask_name(str(row.head_name)),
            status=t(f"village.status.{row.status}"),
            verified=t("forms.verified_mark") if row.verified else "",
        )
        for row in homes.itertuples()
    }
    return homes, options


def history(records: Sequence[tuple[str, str]], *, title_key: str) -> None:
    """Every recorded change to the given (table, record key) pairs, oldest first, in an expander."""
    frames = [cache.query(audit.record_history, table=table, key=key) for table, key in records]
    found = [frame for frame in frames if not frame.empty]
    changes = pd.concat(found, ignore_index=True).sort_values("at", kind="stable") if found else frames[0]
    with st.expander(t(title_key, n=len(changes))):
        if changes.empty:
            st.caption(t("forms.log_empty"))
            return
        tables = ["table_name"] if len(records) > 1 else []
        st.dataframe(
            audit_view.with_change_column(changes)[["at", "username", *tables, "change", "reason"]],
            hide_index=True,
            width="stretch",
            column_config={
                "at": st.column_config.DatetimeColumn(t("forms.col.at"), format="YYYY-MM-DD HH:mm"),
                "username": t("forms.col.user"),
                "table_name": t("forms.col.table"),
                "change": t("forms.col.change"),
                "reason": t("forms.col.reason"),
            },
        )


def gated(
    actor: Actor | None,
    may: Callable[[Actor], bool],
    show: Callable[[Actor], None],
    *,
    labels: str = "forms",
) -> None:
    """`show` the form for an actor whose role may use it; otherwise say why not.

    Nobody signed in reads `<labels>.sign_in`, a role that may not write `<labels>.read_only`.
    The service checks the permission again on every save.
    """
    if actor is None:
        st.info(t(f"{labels}.sign_in"), icon=":material/lock:")
    elif not may(actor):
        st.info(t(f"{labels}.read_only"), icon=":material/info:")
    else:
        show(actor)
