"""Send back for correction on /updates: town editors review village changes; villages see and resolve."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from lib.core.errors import PermissionDenied, StaleEdit, ValidationError
from lib.core.i18n import t
from lib.present import audit_view
from lib.present.common import localized_column
from lib.present.markup import escape_markdown, t_md
from lib.queries import corrections as queries
from lib.rules.permissions import CORRECTION_REQUEST, CORRECTION_RESOLVE, RULES, Actor
from lib.services import corrections
from lib.services.households import field_messages
from lib.ui import cache, reader, signed_in, widgets
from lib.ui import form_parts as parts

RESOLVED_COLUMNS = [
    "village",
    "comment",
    "requested_by",
    "requested_at",
    "resolution",
    "resolved_by",
    "resolved_at",
]
STATE_REVIEW_ERRORS = "review_errors"
STATE_REVIEW_FLASH = "review_flash"
STATE_RESOLVE_ERRORS = "resolve_errors"
STATE_RESOLVE_FLASH = "resolve_flash"
STATE_RESOLVE_STALE = "resolve_stale"


def may_review(actor: Actor) -> bool:
    return actor.role in RULES[CORRECTION_REQUEST]


def may_resolve(actor: Actor) -> bool:
    return actor.role in RULES[CORRECTION_RESOLVE]


def _scope(actor: Actor) -> dict[str, str | None]:
    """A village editor sees their village's requests; a town editor their town's."""
    if actor.role == "village_editor":
        return {"village_code": actor.village_code}
    return {"town_code": actor.town_code}


def _open_requests(actor: Actor) -> pd.DataFrame:
    return cache.query(queries.correction_requests, status="open", **_scope(actor))


def correction_banner(actor: Actor | None) -> None:
    """A warning at the top of /updates when changes from the actor's village were sent back."""
    if actor is None or actor.role != "village_editor":
        return
    waiting = _open_requests(actor)
    if not waiting.empty:
        st.warning(t("corrections.banner", n=len(waiting)), icon=":material/undo:")


def _when(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M") if value is not None and value == value else ""


def review_panel(actor: Actor) -> None:
    """Town editors: pick a recent village change and send it back with a comment; then the open list."""
    widgets.pop_notice(STATE_REVIEW_FLASH, "success", icon=":material/check_circle:")
    st.caption(t("corrections.review_intro"))
    changes = cache.query(queries.reviewable_changes, town_code=actor.town_code or "")
    if changes.empty:
        st.info(t("corrections.no_changes"))
    else:
        villages = localized_column(changes, "village_name")
        labels = {
            int(row.audit_id): t(
                "corrections.change_option",
                at=_when(row.at),
                user=row.username,
                village=village,
                action=row.action,
                key=row.record_key,
            )
            + (t("corrections.sent_back_mark") if row.sent_back else "")
            for row, village in zip(changes.itertuples(), villages, strict=True)
        }
        village_of = dict(zip(changes["audit_id"].astype(int), villages, strict=True))
        errors: dict[str, str] = st.session_state.get(STATE_REVIEW_ERRORS, {})
        with st.form("send_back", clear_on_submit=False):
            st.selectbox(
                t("corrections.change"), list(labels), format_func=labels.__getitem__, key="review_change"
            )
            parts.field_error(errors, "audit_id")
            st.text_area(t("corrections.comment"), key="review_comment", max_chars=2000)
            parts.field_error(errors, "comment")
            st.form_submit_button(
                t("corrections.send_back"),
                type="primary",
                on_click=_submit_send_back,
                args=(village_of,),
            )
        chosen = st.session_state.get("review_change")
        if chosen in labels:
            row = changes.loc[changes["audit_id"] == chosen].iloc[0]
            change = audit_view.change_text(row.old_values, row.new_values)
            st.caption(f"{t('forms.col.change')}: {escape_markdown(change)}")
    requests_list(actor)


def _submit_send_back(village_of: dict[int, str]) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    audit_id = int(state.get("review_change") or 0)
    try:
        with Session(cache.engine()) as session:
            corrections.send_back(
                session, actor=actor, audit_id=audit_id, comment=str(state.get("review_comment") or "")
            )
    except ValidationError as error:
        state[STATE_REVIEW_ERRORS] = field_messages(error, t)
    except PermissionDenied:
        state[STATE_REVIEW_ERRORS] = {"audit_id": t("forms.not_allowed")}
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        state[STATE_REVIEW_ERRORS] = {}
        state["review_comment"] = ""
        state[STATE_REVIEW_FLASH] = t("corrections.sent", village=village_of.get(audit_id, ""))


def requests_list(actor: Actor) -> None:
    """Open requests in the actor's town or village, each with a form to mark it corrected."""
    widgets.pop_notice(STATE_RESOLVE_FLASH, "success", icon=":material/check_circle:")
    widgets.pop_notice(STATE_RESOLVE_STALE, "warning", icon=":material/sync:")
    waiting = _open_requests(actor)
    st.subheader(t("corrections.open_title", n=len(waiting)))
    if waiting.empty:
        st.caption(t("corrections.none_open"))
    errors: dict[int, dict[str, str]] = st.session_state.get(STATE_RESOLVE_ERRORS, {})
    villages = localized_column(waiting, "village_name") if not waiting.empty else []
    for row, village in zip(waiting.itertuples(), villages, strict=True):
        request_id = int(row.request_id)
        title = t_md(
            "corrections.item",
            village=village,
            action=row.action,
            key=row.record_key,
            by=row.requested_by,
            at=_when(row.requested_at),
        )
        with st.expander(title, expanded=True):
            st.markdown(f"**{t('corrections.col.comment')}**: {escape_markdown(row.comment)}")
            change = audit_view.change_text(None, row.new_values)
            st.caption(f"{t('forms.col.change')}: {escape_markdown(change)}")
            with st.form(f"resolve_{request_id}_{int(row.version)}"):
                st.text_area(t("corrections.note"), key=f"resolve_note_{request_id}", max_chars=2000)
                for message in errors.get(request_id, {}).values():
                    widgets.notice("error", message, icon=":material/error:")
                st.form_submit_button(
                    t("corrections.resolve"),
                    on_click=_submit_resolve,
                    args=(request_id, int(row.version)),
                )
    _resolved_list(actor)


def _resolved_list(actor: Actor) -> None:
    done = cache.query(queries.correction_requests, status="resolved", **_scope(actor))
    if done.empty:
        return
    with st.expander(f"{t('corrections.history_title')} ({len(done)})"):
        shown = done.assign(village=localized_column(done, "village_name"))
        st.dataframe(
            shown[
                [
                    "village",
                    "comment",
                    "requested_by",
                    "requested_at",
                    "resolution",
                    "resolved_by",
                    "resolved_at",
                ]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "village": t("corrections.col.village"),
                "comment": t("corrections.col.comment"),
                "requested_by": t("corrections.col.requested_by"),
                "requested_at": st.column_config.DatetimeColumn(
                    t("corrections.col.requested_at"), format="YYYY-MM-DD HH:mm"
                ),
                "resolution": t("corrections.col.resolution"),
                "resolved_by": t("corrections.col.resolved_by"),
                "resolved_at": st.column_config.DatetimeColumn(t("forms.col.at"), format="YYYY-MM-DD HH:mm"),
            },
        )


def _submit_resolve(request_id: int, version: int) -> None:
    reader.choose_language()
    actor = signed_in.current_actor()  # who is signed in now: the form may have been drawn for another
    state = st.session_state
    errors: dict[int, dict[str, str]] = dict(state.get(STATE_RESOLVE_ERRORS, {}))
    try:
        with Session(cache.engine()) as session:
            corrections.resolve(
                session,
                actor=actor,
                request_id=request_id,
                expected_version=version,
                note=str(state.get(f"resolve_note_{request_id}") or ""),
            )
    except ValidationError as error:
        errors[request_id] = field_messages(error, t)
    except PermissionDenied:
        errors[request_id] = {"request_id": t("forms.not_allowed")}
    except StaleEdit:
        errors.pop(request_id, None)
        state[STATE_RESOLVE_STALE] = t("corrections.stale")
    except Exception as exc:  # the database failed: the app's own message, a log line without values
        cache.save_failed(exc)
    else:
        errors.pop(request_id, None)
        state[STATE_RESOLVE_FLASH] = t("corrections.resolved")
    state[STATE_RESOLVE_ERRORS] = errors
