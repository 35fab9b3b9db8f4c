"""What typed text may hold: the one check every service runs on names and free text.

A name (a person's, a unit's, a product's) is one line of characters that show; free text (a
reason, a comment, a visit's problems) may add line breaks and tabs. Both refuse

- control characters (Unicode category Cc: NUL, escape, …), apart from free text's line breaks
  and tabs; names refuse line and paragraph separators (Zl, Zp) too;
- format characters (Cf), which show nothing: the zero-width space U+200B, the byte-order mark
  U+FEFF, the soft hyphen U+00AD, tag characters, and every bidirectional control (U+061C,
  U+200E–200F, U+202A–202E, U+2066–2069), which reorder the text after them (typed before
  "1202", U+202E makes it show as "2021");
- lone surrogates (Cs), which are no characters at all.

Private-use characters (Co) are allowed: rare characters in people's names are often stored
there. So are code points this Python's Unicode tables do not know yet (Cn): a newer Unicode may
have given them to such names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

ALLOWED_IN_FREE_TEXT = frozenset("\n\r\t")
_NAME_REFUSED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_TEXT_REFUSED = frozenset({"Cc", "Cf", "Cs"})

# The label every field shows for an invisible or direction-changing (Cf) character.
INVISIBLE_KEY = "forms.error.invisible_char"


@dataclass(frozen=True)
class BadCharacter:
    """The first character a text may not hold: where (1-based) and which."""

    position: int
    char: str

    @property
    def invisible(self) -> bool:
        """A format character (shows nothing, or reorders the text) rather than a control one."""
        return unicodedata.category(self.char) == "Cf"

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"

    def params(self) -> dict[str, Any]:
        """The label's placeholders: `code` ("U+202E") and `position` (counted from 1)."""
        return {"code": self.code, "position": self.position}


def bad_character(text: str, *, multiline: bool = False) -> BadCharacter | None:
    """The first character `text` may not hold (see the module's rules), or None when it is fine.

    `multiline` is for free text (line breaks and tabs allowed); otherwise `text` is a name.
    """
    refused = _TEXT_REFUSED if multiline else _NAME_REFUSED
    for index, char in enumerate(text):
        if multiline and char in ALLOWED_IN_FREE_TEXT:
            continue
        if unicodedata.category(char) in refused:
            return BadCharacter(index + 1, char)
    return None


def text_problem(
    text: str, *, multiline: bool = False, control_key: str
) -> tuple[str, dict[str, Any]] | None:
    """The label key and its placeholders for `text`'s first refused character, or None.

    Invisible and direction-changing characters get INVISIBLE_KEY with `code` and `position`
    (nobody can see the character, so the message names it and says where it is); other refused
    characters get the field's own `control_key` (its message about line breaks and control
    characters), without placeholders.
    """
    found = bad_character(text, multiline=multiline)
    if found is None:
        return None
    return (INVISIBLE_KEY, found.params()) if found.invisible else (control_key, {})
