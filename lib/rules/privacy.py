"""Personal data shown on pages: names and ID numbers are masked unless the viewer may see them.

Pure functions, no streamlit. Pages mask household heads' names (and any ID numbers) unless
`names_visible(user)` is true.
"""

from __future__ import annotations

MASK = "*"
ID_KEEP_START = 6  # the region code (province, city, county)
ID_KEEP_END = 2


def mask_name(name: str | None) -> str:
    """The first character, then one "*" per remaining character: "张三丰" → "张**"; "" stays ""."""
    if not name:
        return ""
    return name[0] + MASK * (len(name) - 1)


def mask_id_number(value: str | None) -> str:
    """Keep the region code (first 6) and the last 2 characters, mask the rest.

    "349901198001011234" → "349901**********34". Values too short to keep both ends are masked
    whole, so nothing of a malformed number shows; "" stays "".
    """
    if not value:
        return ""
    if len(value) <= ID_KEEP_START + ID_KEEP_END:
        return MASK * len(value)
    hidden = len(value) - ID_KEEP_START - ID_KEEP_END
    return value[:ID_KEEP_START] + MASK * hidden + value[-ID_KEEP_END:]


def names_visible(user: object | None) -> bool:
    """Whether `user` may see household heads' names and ID numbers.

    `user` is the signed-in account (a `lib.core.models.User` or the session's `Actor`): its
    `can_see_names` flag decides, and an inactive account sees none. Nobody signed in (None) sees
    names masked.
    """
    if user is None:
        return False
    return bool(getattr(user, "can_see_names", False)) and bool(getattr(user, "is_active", True))
