"""The refusals services raise and pages show: label keys and parameters, not finished sentences,
so a page shows them in its reader's language with `t(key, **params)`; `str()` gives English for
command lines and logs. Nothing here imports the services or lib.services.auth, which both raise them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lib.core.i18n import CATALOGS


def english(key: str, params: Mapping[str, Any] | None = None) -> str:
    """The English label for `key` (for `str()` of errors; pages use `t()` instead)."""
    catalog = CATALOGS["en"]
    if params and params.get("n") == 1 and f"{key}.one" in catalog:
        key = f"{key}.one"
    text = catalog.get(key, key)
    try:
        return text.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return text


class ServiceError(Exception):
    """A refusal a user should read: `key` and `params` feed `t()`."""

    key: str = "services.error"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(english(self.key, params))


class ValidationError(ServiceError):
    """Some fields are wrong; nothing was written.

    `errors` maps each bad field to a label key (`accounts.error.password_short`); `params` holds
    that label's placeholders by field. A page shows `t(error.errors[f], **error.params.get(f, {}))`
    beside field `f`, or uses `messages()` for them all at once.
    """

    key = "services.invalid"

    def __init__(
        self,
        errors: Mapping[str, str],
        params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        if not errors:
            raise ValueError("a ValidationError needs at least one field error")
        self.errors: dict[str, str] = dict(errors)
        self.field_params: dict[str, dict[str, Any]] = {
            name: dict(values) for name, values in (params or {}).items()
        }
        super().__init__(self.key, n=len(self.errors))

    def params_for(self, field: str) -> dict[str, Any]:
        return self.field_params.get(field, {})

    def messages(self, translate: Callable[..., str] | None = None) -> dict[str, str]:
        """Each field's message: through `translate` (e.g. `lib.core.i18n.t`), or in English."""
        if translate is None:
            return {f: english(key, self.params_for(f)) for f, key in self.errors.items()}
        return {f: translate(key, **self.params_for(f)) for f, key in self.errors.items()}

    def __str__(self) -> str:
        return "; ".join(f"{field}: {text.rstrip('.')}" for field, text in self.messages().items())


class PermissionDenied(ServiceError):
    """The actor may not do this (or nobody is signed in); nothing was written."""

    key = "services.permission_denied"

    def __init__(self, action: str, *, username: str | None = None) -> None:
        self.action = action
        self.username = username
        super().__init__(self.key, action=action, username=username or "—")


class StaleEdit(ServiceError):
    """The record changed since the form was opened; `current` holds its values now."""

    key = "services.stale_edit"

    def __init__(self, table: str, record_key: str, current: Mapping[str, Any] | None = None) -> None:
        self.table = table
        self.record_key = record_key
        self.current = dict(current) if current is not None else None
        super().__init__(self.key, table=table, record=record_key)
