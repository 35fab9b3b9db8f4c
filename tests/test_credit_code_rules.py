"""The unified social credit code rule (lib/rules/credit_code.py, GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.rules.credit_code import ALPHABET, WEIGHTS, CreditCodeError, check_character, clean, is_credit_code

# Published codes of real companies (their business licences are public): the check must accept them.
REAL = ["91350100M000100Y43", "91110108551385082Q", "91440300708461136T"]


def test_the_weights_are_the_standards() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(ALPHABET) == 31 and not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", REAL)
def test_published_codes_pass(code: str) -> None:
    assert clean(code) == code and is_credit_code(code)


def test_the_check_character_worked_out_by_hand() -> None:
    # 91350100M000100Y4: Σ value × weight = 9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0·16 + 0·17
    # + M(21)·20 + 0 + 0 + 0 + 1·8 + 0 + 0 + Y(30)·30 + 4·28 = 1640; 1640 mod 31 = 28; 31 − 28 = 3
    assert check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (" 91350100m000100y43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),  # full-width
        ("9135 0100 M000 100Y 43", "91350100M000100Y43"),
        ("91350100-M000100Y4-3", "91350100M000100Y43"),
    ],
)
def test_what_people_type_is_read(typed: str, code: str) -> None:
    assert clean(typed) == code


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("91350100M000100Y44", "credit_code.error.check"),
        ("91350100M000100Y4", "credit_code.error.length"),
        ("91350100M000100Y433", "credit_code.error.length"),
        ("", "credit_code.error.length"),
        ("91350100MOOO100Y43", "credit_code.error.character"),  # letter O for zero
        ("91350100M000100Z43", "credit_code.error.character"),
        ("913501A0M000100Y43", "credit_code.error.division"),
        (913501001000100143, "credit_code.error.as_number"),
        (9.1350100100010014e17, "credit_code.error.as_number"),
        (True, "credit_code.error.format"),
        (None, "credit_code.error.format"),
    ],
)
def test_each_wrong_cell_says_what_is_wrong(value: object, key: str) -> None:
    with pytest.raises(CreditCodeError) as caught:
        clean(value)
    assert caught.value.key == key
    assert is_credit_code(value) is False


BODY = st.text(alphabet=ALPHABET, min_size=9, max_size=9)
KIND = st.sampled_from(["91", "92", "93", "51", "52", "11", "Y1", "N2"])
DIVISION = st.from_regex(r"\A[0-9]{6}\Z")


@st.composite
def codes(draw: st.DrawFn) -> str:
    first17 = draw(KIND) + draw(DIVISION) + draw(BODY)
    return first17 + check_character(first17)


@given(codes())
def test_a_code_with_its_check_character_passes(code: str) -> None:
    assert clean(code) == code


@given(codes(), st.integers(min_value=0, max_value=17), st.sampled_from(ALPHABET))
def test_any_one_character_changed_is_refused(code: str, position: int, character: str) -> None:
    changed = code[:position] + character + code[position + 1 :]
    assert is_credit_code(changed) == (changed == code)


@given(codes(), st.integers(min_value=0, max_value=15))
def test_two_neighbours_swapped_are_refused(code: str, position: int) -> None:
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert is_credit_code(swapped) == (swapped == code)


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(), st.booleans()))
def test_any_cell_is_read_or_refused_with_a_key(value: object) -> None:
    try:
        code = clean(value)
    except CreditCodeError as error:
        assert error.key.startswith("credit_code.error.")
    else:
        assert len(code) == 18 and check_character(code[:17]) == code[17]
