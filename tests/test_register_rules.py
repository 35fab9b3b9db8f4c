"""lib.rules.register: cells of the national system's household register read into clean values."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.core.domain import INCOME_MAX, PovertyCause
from lib.rules import register
from lib.rules.register import (
    ERROR_KEYS,
    RegisterValueError,
    birth_date_of,
    check_character,
    check_labour,
    count,
    household_status,
    housing,
    id_number,
    income,
    other_causes,
    poverty_cause,
    year,
    yes_no,
)

TODAY = date(2024, 6, 1)


def _with_check(first17: str) -> str:
    """An identity number with its check character, by the standard's own formula (independent
    of the module's weight table): weight 2^(i-1) mod 11 for position i counted from the right
    (the check character is position 1), and the check value C makes (sum + C) mod 11 == 1."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return first17 + ("X" if value == 10 else str(value))


def _key(call: Callable[[], object]) -> str:
    with pytest.raises(RegisterValueError) as raised:
        call()
    return raised.value.key


# --- identity numbers --------------------------------------------------------------------------


def test_check_characters_computed_by_hand() -> None:
    # 11010519491231002X, the standard's example (born 1949-12-31):
    #   1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0·8
    #   + 0·4 + 2·2 = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X…"[2] = X
    assert check_character("11010519491231002") == "X"
    # 440524188001010014, the standard's other example (born 1880-01-01):
    #   4·7 + 4·9 + 0·10 + 5·5 + 2·8 + 4·4 + 1·2 + 8·1 + 8·6 + 0·3 + 0·7 + 1·9 + 0·10 + 1·5 + 0·8
    #   + 0·4 + 1·2 = 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → 4
    assert check_character("44052418800101001") == "4"
    # 349901198503150018, in the demo county (born 1985-03-15):
    #   3·7 + 4·9 + 9·10 + 9·5 + 0·8 + 1·4 + 1·2 + 9·1 + 8·6 + 5·3 + 0·7 + 3·9 + 1·10 + 5·5 + 0·8
    #   + 0·4 + 1·2 = 21+36+90+45+0+4+2+9+48+15+0+27+10+25+0+0+2 = 334; 334 mod 11 = 4 → 8
    assert check_character("34990119850315001") == "8"


@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_character_agrees_with_the_powers_of_two(first17: str) -> None:
    assert first17 + check_character(first17) == _with_check(first17)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),  # lower-case x, returned upper-case
        (" 110105 19491231 002X\t", "11010519491231002X"),  # spaces inside and around
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width digits and x
        ("\u3000349901198503150018\u3000", "349901198503150018"),  # ideographic spaces
        (_with_check("34990120240601001"), _with_check("34990120240601001")),  # born today
        (_with_check("34990119000101001"), _with_check("34990119000101001")),  # born 1900-01-01
        (_with_check("34990120000229001"), _with_check("34990120000229001")),  # a leap day
        ("130503670401001", "130503670401001"),  # the old 15-digit form, as written
        (" 130503 670401 001 ", "130503670401001"),
    ],
)
def test_valid_identity_numbers(value: str, number: str) -> None:
    assert id_number(value, today=TODAY) == number


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("110105194912310021", "register.error.id_check_digit"),  # X mistyped as 1
        ("110105194912310120", "register.error.id_check_digit"),  # one digit wrong, check kept
        ("110105194912301020", "register.error.id_check_digit"),  # two digits swapped
        (_with_check("34990119850230001"), "register.error.id_birth_date"),  # 30 February
        (_with_check("34990119851301001"), "register.error.id_birth_date"),  # month 13
        (_with_check("34990119850000001"), "register.error.id_birth_date"),  # day 0
        (_with_check("34990119010229001"), "register.error.id_birth_date"),  # 1901 no leap year
        (_with_check("34990120240602001"), "register.error.id_birth_future"),  # tomorrow
        (_with_check("34990120990101001"), "register.error.id_birth_future"),
        ("440524188001010014", "register.error.id_birth_too_early"),  # right check, born 1880
        (_with_check("34990118991231001"), "register.error.id_birth_too_early"),
        ("130503671301001", "register.error.id_birth_date"),  # 15 digits, month 13
        ("130503670230001", "register.error.id_birth_date"),  # 15 digits, 30 February
        (3.401011990010112e17, "register.error.id_as_number"),  # Excel's float: digits lost
        (1.10105194912310e17, "register.error.id_as_number"),
        (110105194912310020, "register.error.id_as_number"),  # an 18-digit number, still refused
        (130503670401001, "register.error.id_as_number"),
        ("1.10105194912310E+17", "register.error.id_as_number"),  # Excel's display pasted as text
        ("1.10105e17", "register.error.id_as_number"),
        ("11010519491231002", "register.error.id_format"),  # 17 characters
        ("11010519491231002XX", "register.error.id_format"),  # 19
        ("1101051949123100X2", "register.error.id_format"),  # X not last
        ("11010519491231002Y", "register.error.id_format"),
        ("1305036704010011", "register.error.id_format"),  # 16 digits
        ("13050367040100X", "register.error.id_format"),  # 15 with an X
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "register.error.id_format"),  # Arabic-Indic digits: not ASCII
        ("残疾证 11010519491231002X", "register.error.id_format"),
        (datetime(1949, 12, 31), "register.error.id_format"),
        (True, "register.error.id_format"),
        (None, "register.error.blank"),
        ("  ", "register.error.blank"),
    ],
)
def test_refused_identity_numbers(value: object, key: str) -> None:
    assert _key(lambda: id_number(value, today=TODAY)) == key


def test_a_refused_number_is_named_and_its_birth_date_given() -> None:
    with pytest.raises(RegisterValueError) as raised:
        id_number(_with_check("34990120250101001"), today=TODAY)
    assert raised.value.params == {"value": _with_check("34990120250101001"), "birth": "2025-01-01"}
    with pytest.raises(RegisterValueError) as raised:
        id_number(3.4e17, today=TODAY)
    assert raised.value.params == {"value": "3.4e+17"}


def test_birth_dates() -> None:
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert birth_date_of("130503670401001") == date(1967, 4, 1)  # YY means 19YY
    assert _key(lambda: birth_date_of("1101051949123")) == "register.error.id_format"
    assert _key(lambda: birth_date_of("110105194913310020")) == "register.error.id_birth_date"


_birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
_regions = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
_sequences = st.from_regex(r"[0-9]{3}", fullmatch=True)


@st.composite
def _valid_numbers(draw: st.DrawFn) -> str:
    born = draw(_birth_dates).strftime("%Y%m%d")
    return _with_check(draw(_regions) + born + draw(_sequences))


@given(_valid_numbers())
def test_any_valid_number_is_read_as_written(number: str) -> None:
    assert id_number(number, today=TODAY) == number
    assert id_number(number.lower(), today=TODAY) == number
    assert birth_date_of(number) == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@given(_valid_numbers(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_one_mistyped_digit_is_caught_by_the_check_digit(number: str, at: int, shift: int) -> None:
    typo = number[:at] + str((int(number[at]) + shift) % 10) + number[at + 1 :]
    assert _key(lambda: id_number(typo, today=TODAY)) == "register.error.id_check_digit"


@given(_valid_numbers(), st.integers(min_value=0, max_value=15))
def test_any_two_swapped_neighbours_are_caught_by_the_check_digit(number: str, at: int) -> None:
    swapped = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    if swapped != number:
        assert _key(lambda: id_number(swapped, today=TODAY)) == "register.error.id_check_digit"


# --- household status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("未脱贫", "poor"),
        ("贫困户", "poor"),
        ("在档贫困户", "poor"),
        ("poor", "poor"),
        ("Poor", "poor"),
        ("not exited", "poor"),
        ("Not  Exited", "poor"),
        ("已脱贫", "exited"),
        ("脱贫户", "exited"),
        ("稳定脱贫", "exited"),
        ("已脱贫享受政策", "exited"),
        ("脱贫不享受政策", "exited"),
        ("标注脱贫", "exited"),
        ("exited", "exited"),
        ("EXITED", "exited"),
        ("监测户", "monitored"),
        ("监测对象", "monitored"),
        ("防止返贫监测对象", "monitored"),
        ("脱贫不稳定户", "monitored"),
        ("边缘易致贫户", "monitored"),
        ("突发严重困难户", "monitored"),
        ("monitored", "monitored"),
        ("Monitored", "monitored"),
        (" 已脱贫\u3000", "exited"),  # ideographic space
        ("ｍｏｎｉｔｏｒｅｄ", "monitored"),  # full-width letters
    ],
)
def test_status_words(value: str, status: str) -> None:
    assert household_status(value) == status


@pytest.mark.parametrize("value", ["脱贫", "返贫", "已脱", "exit", "1", 1, 2.0, datetime(2020, 1, 1), True])
def test_unknown_status_words_are_named(value: object) -> None:
    with pytest.raises(RegisterValueError) as raised:
        household_status(value)
    assert raised.value.key == "register.error.status_unknown"
    assert raised.value.params["value"] == register.shown(value)


@pytest.mark.parametrize("value", [None, "", " \u3000 "])
def test_an_empty_status_is_blank(value: object) -> None:
    assert _key(lambda: household_status(value)) == "register.error.blank"


# --- causes of poverty -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        ("因病", "illness"),
        ("因残", "disability"),
        ("缺劳力", "lack_of_labour"),
        ("缺劳动力", "lack_of_labour"),
        ("缺技术", "lack_of_skills"),
        ("缺资金", "lack_of_capital"),
        ("缺土地", "lack_of_land"),
        ("缺水", "lack_of_land"),  # water for farming counts as land
        ("因学", "education_costs"),
        ("因灾", "disaster"),
        ("因病致贫", "illness"),
        (" 因学致贫 ", "education_costs"),
        ("illness", "illness"),
        ("Lack_of_Labour", "lack_of_labour"),
        ("lack of labour", "lack_of_labour"),
        ("Lack of labor", "lack_of_labour"),
        ("Education costs", "education_costs"),
        ("disaster", "disaster"),
        (None, None),
        ("", None),
    ],
)
def test_cause_words(value: object, cause: str | None) -> None:
    assert poverty_cause(value) == cause


@pytest.mark.parametrize(
    ("word", "cause"),
    [
        ("交通条件落后", "poor_transport"),
        ("自身发展动力不足", "lack_of_motivation"),
        ("其他", "other"),
        ("其它", "other"),
    ],
)
def test_the_national_systems_last_three_causes_have_codes(word: str, cause: str) -> None:
    """A county's register holds all twelve of the national system's causes; none may stop a load."""
    assert poverty_cause(f" {word} ") == cause


@pytest.mark.parametrize("value", ["因穷", "致贫", "病", "illness!", 3, datetime(2020, 1, 1), "因病、因残"])
def test_unknown_cause_words(value: object) -> None:
    assert _key(lambda: poverty_cause(value)) == "register.error.cause_unknown"


@pytest.mark.parametrize(
    ("value", "causes"),
    [
        ("因病、因残", ["illness", "disability"]),
        ("因病,因残", ["illness", "disability"]),
        ("因病，因残", ["illness", "disability"]),  # full-width comma
        ("因病;因残", ["illness", "disability"]),
        ("因病；因残", ["illness", "disability"]),  # full-width semicolon
        ("因病/因残", ["illness", "disability"]),
        ("因病／因残", ["illness", "disability"]),  # full-width slash
        ("因病 因残", ["illness", "disability"]),
        ("因病\u3000因残", ["illness", "disability"]),  # ideographic space
        ("因病 、 因残；；缺技术", ["illness", "disability", "lack_of_skills"]),
        ("、因病、", ["illness"]),
        ("因病、因病致贫", ["illness"]),  # no repeats
        ("缺水、缺土地", ["lack_of_land"]),
        (
            "缺资金、因学、因灾、缺劳动力",
            ["lack_of_capital", "education_costs", "disaster", "lack_of_labour"],
        ),
        ("Lack of labour, illness", ["lack_of_labour", "illness"]),
        ("lack_of_land illness", ["lack_of_land", "illness"]),
        ("因残", ["disability"]),
        (None, []),
        ("  ", []),
    ],
)
def test_other_causes(value: object, causes: list[str]) -> None:
    assert other_causes(value) == causes


def test_other_causes_name_the_first_word_that_is_no_cause() -> None:
    assert other_causes("因病、交通条件落后、因残") == ["illness", "poor_transport", "disability"]
    with pytest.raises(RegisterValueError) as raised:
        other_causes("因病，因穷")
    assert (raised.value.key, raised.value.params) == ("register.error.cause_unknown", {"value": "因穷"})
    assert _key(lambda: other_causes(7)) == "register.error.cause_unknown"


# --- housing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "dangerous", "expected"),
    [
        ("A", None, ("A", True)),
        ("b", None, ("B", True)),
        ("C级", None, ("C", False)),
        ("Ｄ", None, ("D", False)),  # full-width
        ("ｄ级", None, ("D", False)),
        (" D 级 ", None, ("D", False)),
        ("C级危房", None, ("C", False)),
        ("D级危房", "是", ("D", False)),
        ("A", "否", ("A", True)),
        ("B", "N", ("B", True)),
        ("B", 0, ("B", True)),
        ("C", "是", ("C", False)),
        ("D", 1, ("D", False)),
        ("C", True, ("C", False)),
        ("A", "非危房", ("A", True)),
        ("D", "危房", ("D", False)),
        (None, "是", (None, False)),
        ("", "危房", (None, False)),
        (None, "否", (None, True)),
        (None, "非危房", (None, True)),
        (None, "y", (None, False)),
        (None, 0.0, (None, True)),
        (None, False, (None, True)),
        (None, None, (None, None)),
        (" ", "", (None, None)),
    ],
)
def test_housing(grade: object, dangerous: object, expected: tuple[str | None, bool | None]) -> None:
    assert housing(grade, dangerous) == expected


@pytest.mark.parametrize(
    ("grade", "dangerous"),
    [("A", "是"), ("B", "危房"), ("a级", 1), ("B", "Y"), ("C", "否"), ("D", "非危房"), ("c", 0), ("D", "N")],
)
def test_housing_contradictions(grade: str, dangerous: object) -> None:
    with pytest.raises(RegisterValueError) as raised:
        housing(grade, dangerous)
    assert raised.value.key == "register.error.housing_contradiction"
    assert raised.value.params["grade"] == grade.upper()[0]
    assert raised.value.params["dangerous"] == register.shown(dangerous)


@pytest.mark.parametrize(
    "grade", ["E", "一级", "AB", "A级危房", "B危房", "安全", 1, 2.0, datetime(2020, 1, 1)]
)
def test_unknown_housing_grades(grade: object) -> None:
    assert _key(lambda: housing(grade, None)) == "register.error.housing_grade"


@pytest.mark.parametrize("dangerous", ["也许", "安全", "2", 2, 0.5, datetime(2020, 1, 1)])
def test_unknown_dangerous_house_words(dangerous: object) -> None:
    assert _key(lambda: housing("A", dangerous)) == "register.error.housing_dangerous"


# --- yes / no ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        *((word, True) for word in ["是", "有", "安全", "保障", "已保障", "达标", "已达标", "√", "✓"]),
        *((word, True) for word in ["1", "Y", "y", "Yes", "TRUE", "true", "Ｙ", " 是 "]),
        *((word, False) for word in ["否", "无", "没有", "不安全", "未保障", "不达标", "未达标", "×"]),
        *((word, False) for word in ["0", "N", "n", "No", "FALSE", "false", "✗"]),
        (1, True),
        (0, False),
        (1.0, True),
        (0.0, False),
        (True, True),
        (False, False),
        (None, None),
        ("", None),
        ("\u3000", None),
    ],
)
def test_yes_no(value: object, answer: bool | None) -> None:
    assert yes_no(value) is answer


@pytest.mark.parametrize("value", ["也许", "x", "2", "是否", 2, -1, 0.5, math.nan, datetime(2020, 1, 1)])
def test_unknown_yes_no_words(value: object) -> None:
    assert _key(lambda: yes_no(value)) == "register.error.yes_no"


# --- years, counts and incomes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        2016,
        "2016",
        "2016年",
        "2016 年",
        "2016年度",
        "２０１６",
        2016.0,
        "2016.0",
        datetime(2016, 12, 31),
        date(2016, 1, 1),
    ],
)
def test_years(value: object) -> None:
    assert year(value, today=TODAY) == 2016


def test_year_bounds() -> None:
    assert year(2013, today=TODAY) == 2013  # the first year of targeted registration
    assert year(2024, today=TODAY) == 2024
    assert _key(lambda: year(2012, today=TODAY)) == "register.error.year_too_early"
    assert _key(lambda: year(2025, today=TODAY)) == "register.error.year_future"
    assert _key(lambda: year(datetime(2025, 1, 1), today=TODAY)) == "register.error.year_future"
    assert year(2010, today=TODAY, earliest=2010) == 2010
    assert _key(lambda: year(2013, today=TODAY, earliest=2014)) == "register.error.year_too_early"
    with pytest.raises(RegisterValueError) as raised:
        year("2030年", today=TODAY)
    assert raised.value.params == {"value": "2030年", "latest": 2024}
    with pytest.raises(RegisterValueError) as raised:
        year(2000, today=TODAY)
    assert raised.value.params == {"value": "2000", "earliest": 2013}


@pytest.mark.parametrize("value", ["二〇一六", "16", "2016.5", 2016.5, "2016-01", "20160", "abc", True])
def test_refused_years(value: object) -> None:
    assert _key(lambda: year(value, today=TODAY)) == "register.error.year_format"


@pytest.mark.parametrize("value", [None, ""])
def test_an_empty_year_is_blank(value: object) -> None:
    assert _key(lambda: year(value, today=TODAY)) == "register.error.blank"


@pytest.mark.parametrize(
    ("value", "number"), [("4", 4), (4, 4), (4.0, 4), ("4人", 4), ("4 口", 4), ("4.0", 4)]
)
def test_counts(value: object, number: int) -> None:
    assert count(value, minimum=1, maximum=20) == number


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("0", "register.error.count_range"),
        (21, "register.error.count_range"),
        (-1, "register.error.count_range"),
        ("4.5", "register.error.count_format"),
        (4.5, "register.error.count_format"),
        ("四", "register.error.count_format"),
        ("-1", "register.error.count_format"),
        ("4个", "register.error.count_format"),
        (True, "register.error.count_format"),
        (datetime(2020, 4, 5), "register.error.count_format"),  # Excel made 4-5 a date
        ("9" * 5000, "register.error.count_format"),
        (None, "register.error.blank"),
    ],
)
def test_refused_counts(value: object, key: str) -> None:
    assert _key(lambda: count(value, minimum=1, maximum=20)) == key


def test_a_count_out_of_range_names_the_range() -> None:
    with pytest.raises(RegisterValueError) as raised:
        count("25人", minimum=1, maximum=20)
    assert raised.value.params == {"value": "25人", "minimum": 1, "maximum": 20}
    assert count(0, minimum=0, maximum=0) == 0


def test_labour_at_most_the_members() -> None:
    check_labour(4, 4)
    check_labour(4, 0)
    with pytest.raises(RegisterValueError) as raised:
        check_labour(3, 4)
    assert raised.value.key == "register.error.labour_exceeds_members"
    assert (raised.value.params["members"], raised.value.params["labour"]) == (3, 4)


@pytest.mark.parametrize(
    ("value", "yuan"),
    [
        ("4,523.6", 4524),
        ("4,523.5", 4524),  # half up
        ("4,523.4", 4523),
        ("4523元", 4523),
        ("4523 元", 4523),
        ("¥4523", 4523),
        ("￥4,523.50元", 4524),  # full-width yen sign
        ("４，５２３．６", 4524),  # full-width digits and punctuation
        ("999,999.0", 999_999),
        (4523.5, 4524),
        (2.5, 3),  # half up, not to even
        (0.5, 1),
        (0.4, 0),
        (4523, 4523),
        (0, 0),
        ("0", 0),
        (1_000_000, 1_000_000),
        ("1000000.4", 1_000_000),
    ],
)
def test_incomes(value: object, yuan: int) -> None:
    assert income(value) == yuan


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("-1", "register.error.income_negative"),
        (-0.4, "register.error.income_negative"),
        (-100, "register.error.income_negative"),
        ("1000000.5", "register.error.income_too_high"),
        (1_000_001, "register.error.income_too_high"),
        (1e30, "register.error.income_too_high"),
        ("9" * 5000, "register.error.income_too_high"),
        ("4,52,3", "register.error.income_format"),
        ("4,5236", "register.error.income_format"),
        ("45,23", "register.error.income_format"),  # commas only between groups of three
        ("1e3", "register.error.income_format"),
        ("四千", "register.error.income_format"),
        ("4523元/人", "register.error.income_format"),
        (math.nan, "register.error.income_format"),
        (math.inf, "register.error.income_format"),
        (True, "register.error.income_format"),
        (datetime(2020, 1, 1), "register.error.income_format"),
        (None, "register.error.blank"),
    ],
)
def test_refused_incomes(value: object, key: str) -> None:
    assert _key(lambda: income(value)) == key


# --- every key is used, every cell is read or refused ------------------------------------------

# One cell for each key, so a key added to ERROR_KEYS without a use (or a use without the key)
# shows here.
KEY_EXAMPLES: list[tuple[str, Callable[[], object]]] = [
    ("register.error.blank", lambda: id_number(None, today=TODAY)),
    ("register.error.id_as_number", lambda: id_number(3.4e17, today=TODAY)),
    ("register.error.id_format", lambda: id_number("123", today=TODAY)),
    ("register.error.id_check_digit", lambda: id_number("110105194912310021", today=TODAY)),
    ("register.error.id_birth_date", lambda: id_number(_with_check("34990119851301001"), today=TODAY)),
    ("register.error.id_birth_future", lambda: id_number(_with_check("34990120300101001"), today=TODAY)),
    ("register.error.id_birth_too_early", lambda: id_number("440524188001010014", today=TODAY)),
    ("register.error.status_unknown", lambda: household_status("返贫")),
    ("register.error.cause_unknown", lambda: poverty_cause("因穷")),
    ("register.error.housing_grade", lambda: housing("E", None)),
    ("register.error.housing_dangerous", lambda: housing(None, "也许")),
    ("register.error.housing_contradiction", lambda: housing("A", "是")),
    ("register.error.yes_no", lambda: yes_no("也许")),
    ("register.error.year_format", lambda: year("十六", today=TODAY)),
    ("register.error.year_too_early", lambda: year(2012, today=TODAY)),
    ("register.error.year_future", lambda: year(2025, today=TODAY)),
    ("register.error.count_format", lambda: count("四", minimum=1, maximum=20)),
    ("register.error.count_range", lambda: count(30, minimum=1, maximum=20)),
    ("register.error.labour_exceeds_members", lambda: check_labour(2, 3)),
    ("register.error.income_format", lambda: income("四千")),
    ("register.error.income_negative", lambda: income(-5)),
    ("register.error.income_too_high", lambda: income(2_000_000)),
]


@pytest.mark.parametrize(("key", "call"), KEY_EXAMPLES, ids=[key for key, _ in KEY_EXAMPLES])
def test_each_key_is_raised(key: str, call: Callable[[], object]) -> None:
    assert _key(call) == key


def test_the_examples_cover_exactly_the_listed_keys() -> None:
    assert len(set(ERROR_KEYS)) == len(ERROR_KEYS)
    assert [key for key, _ in KEY_EXAMPLES] == list(ERROR_KEYS)
    assert all(key.startswith("register.error.") for key in ERROR_KEYS)


def test_the_error_carries_its_key_and_params() -> None:
    error = RegisterValueError("register.error.yes_no", value="也许")
    assert (error.key, error.params, str(error)) == (
        "register.error.yes_no",
        {"value": "也许"},
        "register.error.yes_no {'value': '也许'}",
    )
    assert str(RegisterValueError("register.error.blank")) == "register.error.blank"


_WORDS = [
    *register.STATUS_WORDS,
    *register.CAUSE_WORDS,
    *register.YES_NO_WORDS,
    "A",
    "D级危房",
    "危房",
    "非危房",
    "4,523.6",
    "2016年",
    "4人",
]
cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**5000), max_value=10**5000),
    st.floats(),
    st.text(),
    st.text(alphabet="0123456789Xx ,.、，；;/元年人¥-Ee+"),
    st.from_regex(r"[0-9]{15,18}[Xx]?", fullmatch=True),
    st.datetimes(),
    st.dates(),
    st.sampled_from(_WORDS),
    st.lists(st.sampled_from(_WORDS)).map("、".join),
)


def _read_or_refused(call: Callable[[], object]) -> object:
    try:
        return call()
    except RegisterValueError as error:
        assert error.key in ERROR_KEYS
        assert all(isinstance(name, str) for name in error.params)
        return error


@given(cells, st.dates(min_value=date(1901, 1, 1)))
def test_any_cell_is_read_or_refused(cell: object, today: date) -> None:
    number = _read_or_refused(lambda: id_number(cell, today=today))
    assert isinstance(number, RegisterValueError) or (
        isinstance(number, str) and len(number) in (15, 18) and birth_date_of(number) <= today
    )
    status = _read_or_refused(lambda: household_status(cell))
    assert isinstance(status, RegisterValueError) or status in {"poor", "exited", "monitored"}
    cause = _read_or_refused(lambda: poverty_cause(cell))
    assert isinstance(cause, RegisterValueError) or cause is None or cause in set(PovertyCause)
    causes = _read_or_refused(lambda: other_causes(cell))
    assert isinstance(causes, RegisterValueError) or (
        isinstance(causes, list) and all(c in set(PovertyCause) for c in causes)
    )
    answer = _read_or_refused(lambda: yes_no(cell))
    assert isinstance(answer, RegisterValueError) or answer in (True, False, None)
    found = _read_or_refused(lambda: year(cell, today=today))
    assert isinstance(found, RegisterValueError) or (
        isinstance(found, int) and register.EARLIEST_YEAR <= found <= today.year
    )
    people = _read_or_refused(lambda: count(cell, minimum=0, maximum=30))
    assert isinstance(people, RegisterValueError) or (isinstance(people, int) and 0 <= people <= 30)
    yuan = _read_or_refused(lambda: income(cell))
    assert isinstance(yuan, RegisterValueError) or (isinstance(yuan, int) and 0 <= yuan <= INCOME_MAX)
    assert isinstance(register.shown(cell), str) and len(register.shown(cell)) <= register.SHOWN_MAX


@given(cells, cells)
def test_any_housing_cells_are_read_or_refused(grade: object, dangerous: object) -> None:
    read = _read_or_refused(lambda: housing(grade, dangerous))
    if not isinstance(read, RegisterValueError):
        assert isinstance(read, tuple)
        found, safe = read
        assert found in (None, "A", "B", "C", "D") and safe in (True, False, None)
        assert found is None or safe is (found in ("A", "B"))


@given(st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_labour_is_refused_exactly_when_above_the_members(members: int, labour: int) -> None:
    refused = _read_or_refused(lambda: check_labour(members, labour))
    assert isinstance(refused, RegisterValueError) == (labour > members)
