"""统一社会信用代码, the unified social credit code (GB 32100-2015): what a cell must hold to be one.

Every enterprise and cooperative (and every other legal person) in China has one: 18 characters,

    1      registration authority (9 market regulation, 5 civil affairs, N agriculture, …)
    2      kind of organisation under that authority (91 an enterprise, 93 a farmers' cooperative)
    3–8    the administrative division (6 digits) where it was registered
    9–17   the organisation code (GB 11714)
    18     a check character over the first 17

written with the 31 characters 0–9 and A–Z without I, O, S, V and Z (so none can be misread as a
digit). The check character is 31 − (Σ value(cᵢ) × wᵢ mod 31), wᵢ = 3^(i−1) mod 31, and the
character for 31 is 0. `clean` accepts what a county's file holds (full-width characters, lower
case, spaces or hyphens typed in between) and returns the code as the register writes it, or raises
`CreditCodeError` with a label key saying what is wrong. Pure: no database, no streamlit.
"""

from __future__ import annotations

import unicodedata
from typing import Any

LENGTH = 18
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {character: value for value, character in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, index, 31) for index in range(LENGTH - 1))  # 1, 3, 9, 27, 19, 26, …, 28
SHOWN_MAX = 40  # a cell quoted in a message is cut to this many characters
TYPED_BETWEEN = " -\u00a0\u3000"  # what people type between groups of characters


class CreditCodeError(ValueError):
    """A cell that is not a credit code: `key` names the problem for `t()`, with `params`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _shown(value: object) -> str:
    text = "".join(ch if ch.isprintable() else "�" for ch in str(value))
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 are `first17` (ValueError if they cannot be)."""
    if len(first17) != LENGTH - 1 or any(ch not in VALUES for ch in first17):
        raise ValueError(f"not the first 17 characters of a credit code: {first17!r}")
    total = sum(VALUES[ch] * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def clean(value: object) -> str:
    """The credit code in a cell, upper case and without spaces; CreditCodeError if it is not one.

    A number is refused with its own message: Excel keeps 15 significant digits, so an 18-digit
    code stored as a number has already lost its last ones.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CreditCodeError("credit_code.error.format", value=_shown(value))
    if isinstance(value, int | float):
        raise CreditCodeError("credit_code.error.as_number", value=_shown(value))
    text = unicodedata.normalize("NFKC", value).strip().upper()
    text = "".join(ch for ch in text if ch not in TYPED_BETWEEN)
    if len(text) != LENGTH:
        raise CreditCodeError("credit_code.error.length", value=_shown(value), length=len(text))
    wrong = [ch for ch in text if ch not in VALUES]
    if wrong:
        raise CreditCodeError("credit_code.error.character", value=_shown(value), character=wrong[0])
    if not text[2:8].isdigit():
        raise CreditCodeError("credit_code.error.division", value=_shown(value), division=text[2:8])
    if check_character(text[:17]) != text[17]:
        raise CreditCodeError("credit_code.error.check", value=_shown(value))
    return text


def is_credit_code(value: object) -> bool:
    """Whether `value` is a well-formed credit code (as `clean` reads it)."""
    try:
        clean(value)
    except CreditCodeError:
        return False
    return True
