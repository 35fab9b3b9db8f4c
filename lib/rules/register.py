"""Cells of the household register exported from the national poverty-alleviation information
system (全国扶贫开发信息系统), read into the dashboard's values.

Each function takes a cell as openpyxl gives it (str, int, float, bool, datetime, None) and returns
a clean value or raises RegisterValueError, whose `key` is a label key (register.error.…) and whose
`params` fill the label's placeholders. Every key a function here raises is in ERROR_KEYS, with
its meaning and its placeholders; `value` is always the cell as a short text (see `shown`).

Text is read after NFKC normalisation (full-width letters, digits and punctuation become ASCII;
the ideographic space becomes a space) and stripping; words are compared case-folded.

- `id_number`: a resident identity number (居民身份证号码, GB 11643-1999): 17 digits and an
  ISO 7064 MOD 11-2 check digit (0–9 or X), the birth date in digits 7–14; or the old 15-digit
  form (birth date YYMMDD in digits 7–12, meaning 19YY; no check digit). Only this kind of number:
  the register's 证件号码 column may hold others (残疾证, 户口簿), which this does not read.
  Excel keeps 15 significant digits, so an 18-digit number stored as a number has lost its last
  digits: any number in an ID cell is refused and the column must be formatted as text.
- `household_status`, `poverty_cause`, `other_causes`: the system's words to the codes of
  HouseholdStatus and PovertyCause.
- `housing`: 住房安全等级 (A–D) and 是否危房, checked against each other.
- `yes_no`: 饮水安全 and the 两不愁三保障 columns.
- `year`, `count`, `income`: 脱贫年度 / 识别年度, 家庭人口数 / 劳动力人数, 人均纯收入.

No function reads the clock: those that compare with today take `today`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from lib.core.domain import INCOME_MAX, HouseholdStatus, HousingGrade, PovertyCause

# Every key the functions raise, with what it means and its placeholders (besides `value`).
ERROR_KEYS: tuple[str, ...] = (
    "register.error.blank",  # a cell that must hold a value is empty
    "register.error.id_as_number",  # the ID cell holds a number: digits lost; format as text
    "register.error.id_format",  # not 17 digits + check digit (0-9/X), nor 15 digits
    "register.error.id_check_digit",  # the check digit does not match: a digit is mistyped
    "register.error.id_birth_date",  # the birth-date digits are no real date; {birth}: the digits
    "register.error.id_birth_future",  # born after today; {birth}: the date (YYYY-MM-DD)
    "register.error.id_birth_too_early",  # born before 1900; {birth}: the date (YYYY-MM-DD)
    "register.error.status_unknown",  # not a word for a household status
    "register.error.cause_unknown",  # not a word for a cause of poverty
    "register.error.housing_grade",  # not a housing safety grade A–D
    "register.error.housing_dangerous",  # 是否危房 holds neither yes nor no
    "register.error.housing_contradiction",  # {grade} and {dangerous} disagree (A/B with 是, C/D with 否)
    "register.error.yes_no",  # neither yes nor no
    "register.error.year_format",  # not a year
    "register.error.year_too_early",  # before {earliest}
    "register.error.year_future",  # after this year, {latest}
    "register.error.count_format",  # not a whole number
    "register.error.count_range",  # outside {minimum}–{maximum}
    "register.error.labour_exceeds_members",  # {labour} labourers in a household of {members}
    "register.error.income_format",  # not an amount in yuan
    "register.error.income_negative",  # below zero
    "register.error.income_too_high",  # above {maximum} yuan: a typing slip
)


class RegisterValueError(ValueError):
    """A register cell that cannot be read: `key` is a label key of ERROR_KEYS, `params` its
    placeholders."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.key} {self.params}" if self.params else self.key


# --- cells as text -----------------------------------------------------------------------------

SHOWN_MAX = 40  # characters of a cell a message repeats


def text_of(value: str) -> str:
    """`value` after NFKC normalisation (full-width → ASCII), without surrounding white space."""
    return unicodedata.normalize("NFKC", value).strip()


def blank(value: object) -> bool:
    """Whether a cell is empty: None, or text of white space only."""
    return value is None or (isinstance(value, str) and not text_of(value))


def shown(value: object) -> str:
    """A cell as a message repeats it: short text; a date as YYYY-MM-DD; "" for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        # str() of an int over 4,300 digits raises; no cell holds one, but nothing here may raise
        text = str(value) if value.bit_length() < 10_000 else ("-" if value < 0 else "") + "9…"
    elif isinstance(value, float):
        text = repr(value)  # 3.401011990010112e+17: the form in which the user sees the lost digits
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = text_of(value)
    else:
        text = type(value).__name__
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _word(value: str) -> str:
    """Text compared as a word: normalised, case-folded, inner white space single spaces."""
    return " ".join(text_of(value).casefold().split())


def _error(key: str, value: object, **params: object) -> RegisterValueError:
    return RegisterValueError(key, value=shown(value), **params)


# --- resident identity number (GB 11643-1999) --------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(i-1) mod 11, i = 18 … 2
ID_CHECK = "10X98765432"  # the check character for (weighted sum mod 11) = 0 … 10
EARLIEST_BIRTH = date(1900, 1, 1)
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
# A number shown in scientific notation (1.10105194912310E+17), as pasted from Excel's display.
_SCIENTIFIC = re.compile(r"[0-9]+(\.[0-9]*)?E[+-]?[0-9]+")


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an identity number's first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number(value: object, *, today: date) -> str:
    """A resident identity number: 18 characters (the check character upper-case) or the old 15
    digits, as written once spaces are gone. Checked in order: form, check digit, birth date
    (a real date, from 1900 up to `today`), so a mistyped digit reports the check digit."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _error("register.error.id_as_number", value)
    if blank(value):
        raise _error("register.error.blank", value)
    if not isinstance(value, str):
        raise _error("register.error.id_format", value)
    number = "".join(text_of(value).split()).upper()
    if _SCIENTIFIC.fullmatch(number):
        raise _error("register.error.id_as_number", value)
    if _ID18.fullmatch(number):
        # No expected check character in the message: the mistyped digit is rarely the last one.
        if check_character(number[:17]) != number[17]:
            raise _error("register.error.id_check_digit", value)
    elif not _ID15.fullmatch(number):
        raise _error("register.error.id_format", value)
    born = birth_date_of(number)
    if born > today:
        raise _error("register.error.id_birth_future", value, birth=born.isoformat())
    if born < EARLIEST_BIRTH:
        raise _error("register.error.id_birth_too_early", value, birth=born.isoformat())
    return number


def birth_date_of(id_number: str) -> date:
    """The birth date an identity number holds: digits 7–14 of 18, or 19 + digits 7–12 of 15."""
    if len(id_number) == 18:
        digits = id_number[6:14]
    elif len(id_number) == 15:
        digits = "19" + id_number[6:12]
    else:
        raise _error("register.error.id_format", id_number)
    try:
        if not digits.isascii() or not digits.isdigit():
            raise ValueError(digits)
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise _error("register.error.id_birth_date", id_number, birth=digits) from None


# --- household status --------------------------------------------------------------------------

STATUS_WORDS: dict[str, HouseholdStatus] = {
    **dict.fromkeys(("未脱贫", "贫困户", "在档贫困户", "not exited", "poor"), HouseholdStatus.POOR),
    **dict.fromkeys(
        ("已脱贫", "脱贫户", "稳定脱贫", "已脱贫享受政策", "脱贫不享受政策", "标注脱贫", "exited"),
        HouseholdStatus.EXITED,
    ),
    **dict.fromkeys(
        (
            "监测户",
            "监测对象",
            "防止返贫监测对象",
            "脱贫不稳定户",
            "边缘易致贫户",
            "突发严重困难户",
            "monitored",
        ),
        HouseholdStatus.MONITORED,
    ),
}


def household_status(value: object) -> str:
    """The HouseholdStatus code of a 贫困户状态 word (未脱贫, 已脱贫享受政策, 监测对象, exited, …)."""
    if blank(value):
        raise _error("register.error.blank", value)
    status = STATUS_WORDS.get(_word(value)) if isinstance(value, str) else None
    if status is None:
        raise _error("register.error.status_unknown", value)
    return status.value


# --- causes of poverty -------------------------------------------------------------------------

CAUSE_WORDS: dict[str, PovertyCause] = {
    "因病": PovertyCause.ILLNESS,
    "因残": PovertyCause.DISABILITY,
    "缺劳力": PovertyCause.LACK_OF_LABOUR,
    "缺劳动力": PovertyCause.LACK_OF_LABOUR,
    "lack of labor": PovertyCause.LACK_OF_LABOUR,
    "缺技术": PovertyCause.LACK_OF_SKILLS,
    "缺资金": PovertyCause.LACK_OF_CAPITAL,
    "缺土地": PovertyCause.LACK_OF_LAND,
    # No water for farming is a want of natural resources, which the dashboard counts as land: the
    # national system's 缺水 has no code of its own here.
    "缺水": PovertyCause.LACK_OF_LAND,
    "因学": PovertyCause.EDUCATION_COSTS,
    "因灾": PovertyCause.DISASTER,
    "交通条件落后": PovertyCause.POOR_TRANSPORT,
    "交通落后": PovertyCause.POOR_TRANSPORT,
    "自身发展动力不足": PovertyCause.LACK_OF_MOTIVATION,
    "发展动力不足": PovertyCause.LACK_OF_MOTIVATION,
    "其他": PovertyCause.OTHER,
    "其它": PovertyCause.OTHER,
    # the codes (lack_of_labour) and the English labels (lack of labour)
    **{cause.value: cause for cause in PovertyCause},
    **{cause.value.replace("_", " "): cause for cause in PovertyCause},
}
_CAUSE_SUFFIX = "致贫"  # 因病致贫 is 因病
# What separates the words of 其他致贫原因 (after NFKC: ，→ , ；→ ; ／→ /); white space too.
_CAUSE_SEPARATORS = re.compile(r"[、,;/]+")


def _cause(word: str, value: object) -> PovertyCause:
    if word.endswith(_CAUSE_SUFFIX) and len(word) > len(_CAUSE_SUFFIX):
        word = word[: -len(_CAUSE_SUFFIX)]
    if word in CAUSE_WORDS:
        return CAUSE_WORDS[word]
    raise _error("register.error.cause_unknown", word if word else value)


def poverty_cause(value: object) -> str | None:
    """The PovertyCause code of a 主要致贫原因 word (因病, 缺劳动力, 因学致贫, illness, …); None
    when the cell is empty; any other word raises register.error.cause_unknown."""
    if blank(value):
        return None
    if not isinstance(value, str):
        raise _error("register.error.cause_unknown", value)
    return _cause(_word(value), value).value


def other_causes(value: object) -> list[str]:
    """The PovertyCause codes of a 其他致贫原因 cell, in its order without repeats; [] when empty.

    Words are separated by 、 , ， ; ； / or white space (an English label such as "lack of
    labour" is read whole first). The first word that is no cause raises, as in poverty_cause.
    """
    if blank(value):
        return []
    if not isinstance(value, str):
        raise _error("register.error.cause_unknown", value)
    found: list[str] = []
    for part in (part.strip() for part in _CAUSE_SEPARATORS.split(_word(value))):
        words = [part] if part in CAUSE_WORDS else part.split()
        for word in words:
            cause = _cause(word, value).value
            if cause not in found:
                found.append(cause)
    return found


# --- housing -----------------------------------------------------------------------------------

# A, A级, c级危房 (only C and D are dangerous houses), full-width letters.
_GRADE = re.compile(r"([ABCD])级?|([CD])级?危房")
_DANGEROUS_WORDS: dict[str, bool] = {
    **dict.fromkeys(("是", "是危房", "危房", "y", "yes", "true", "1", "√", "✓", "✔"), True),
    **dict.fromkeys(("否", "不是", "非危房", "不是危房", "n", "no", "false", "0", "×", "✗", "✘"), False),
}
SAFE_GRADES = frozenset({HousingGrade.A, HousingGrade.B})


def housing_grade(value: object) -> str | None:
    """The HousingGrade of a 住房安全等级 cell (A, b, Ｃ, D级, D级危房); None when empty."""
    if blank(value):
        return None
    if isinstance(value, str):
        found = _GRADE.fullmatch("".join(text_of(value).upper().split()))
        if found:
            return HousingGrade(found.group(1) or found.group(2)).value
    raise _error("register.error.housing_grade", value)


def dangerous_house(value: object) -> bool | None:
    """Whether a 是否危房 cell says the house is dangerous (是, 危房, Y, 1 / 否, 非危房, N, 0);
    None when empty."""
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return value == 1
    if isinstance(value, str) and _word(value) in _DANGEROUS_WORDS:
        return _DANGEROUS_WORDS[_word(value)]
    raise _error("register.error.housing_dangerous", value)


def housing(grade_value: object, dangerous_value: object) -> tuple[str | None, bool | None]:
    """(grade, housing_safe) from 住房安全等级 and 是否危房, either of which may be empty.

    Grades A and B are safe, C and D not; without a grade, 是否危房 decides. Both given and
    disagreeing (A/B with 是, C/D with 否) raises register.error.housing_contradiction.
    """
    grade = housing_grade(grade_value)
    dangerous = dangerous_house(dangerous_value)
    if grade is None:
        return None, None if dangerous is None else not dangerous
    safe = grade in SAFE_GRADES
    if dangerous is not None and dangerous == safe:
        raise RegisterValueError(
            "register.error.housing_contradiction",
            value=shown(dangerous_value),
            grade=grade,
            dangerous=shown(dangerous_value),
        )
    return grade, safe


# --- yes / no ----------------------------------------------------------------------------------

YES_NO_WORDS: dict[str, bool] = {
    **dict.fromkeys(
        ("是", "有", "安全", "保障", "已保障", "达标", "已达标", "√", "✓", "✔", "1", "y", "yes", "true"),
        True,
    ),
    **dict.fromkeys(
        (
            "否",
            "无",
            "没有",
            "不安全",
            "未保障",
            "不保障",
            "不达标",
            "未达标",
            "×",
            "✗",
            "✘",
            "0",
            "n",
            "no",
            "false",
        ),
        False,
    ),
}


def yes_no(value: object) -> bool | None:
    """A yes/no cell (饮水安全, 不愁吃, 义务教育有保障, …): 是/否, 有/无, 安全/不安全, 保障/未保障,
    达标/不达标, √/×, 1/0, Y/N, true/false, or an Excel TRUE/FALSE; None when empty."""
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return value == 1
    if isinstance(value, str) and _word(value) in YES_NO_WORDS:
        return YES_NO_WORDS[_word(value)]
    raise _error("register.error.yes_no", value)


# --- numbers -----------------------------------------------------------------------------------

# Targeted poverty alleviation (精准扶贫) was set out in November 2013 and households were
# registered (建档立卡) from 2014; the poverty-line table starts in 2013, so a register year
# before 2013 is a slip.
EARLIEST_YEAR = 2013
_YEAR = re.compile(r"([0-9]{4})(?:\.0*)?\s*(?:年度?)?")
_COUNT = re.compile(r"([0-9]{1,9})(?:\.0*)?\s*(?:人|口人|口)?")  # 9 digits: int() of text has a limit
_INCOME = re.compile(r"¥?\s*(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\s*元?")


def _whole(value: object, pattern: re.Pattern[str]) -> int | None:
    """A whole number from an int, an integral float or text `pattern` reads; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        found = pattern.fullmatch(text_of(value))
        return int(found.group(1)) if found else None
    return None


def year(value: object, *, today: date, earliest: int = EARLIEST_YEAR) -> int:
    """A 脱贫年度 / 识别年度 cell (2016, "2016", "2016年", 2016.0, a date) as a year from `earliest`
    to today's."""
    if blank(value):
        raise _error("register.error.blank", value)
    found = value.year if isinstance(value, date) else _whole(value, _YEAR)
    if found is None:
        raise _error("register.error.year_format", value)
    if found < earliest:
        raise _error("register.error.year_too_early", value, earliest=earliest)
    if found > today.year:
        raise _error("register.error.year_future", value, latest=today.year)
    return found


def count(value: object, *, minimum: int, maximum: int) -> int:
    """A 家庭人口数 / 劳动力人数 cell ("4", 4, 4.0, "4人") as a whole number from `minimum` to
    `maximum`."""
    if blank(value):
        raise _error("register.error.blank", value)
    found = _whole(value, _COUNT)
    if found is None:
        raise _error("register.error.count_format", value)
    if not minimum <= found <= maximum:
        raise _error("register.error.count_range", value, minimum=minimum, maximum=maximum)
    return found


def check_labour(members: int, labour: int) -> None:
    """Raise when a household has more labourers than members."""
    if labour > members:
        raise RegisterValueError(
            "register.error.labour_exceeds_members", value=str(labour), members=members, labour=labour
        )


def income(value: object) -> int:
    """A 人均纯收入 cell in whole yuan, rounded half up ("4,523.6" → 4524; "4523元", ¥4523,
    numbers), from 0 to INCOME_MAX."""
    if blank(value):
        raise _error("register.error.blank", value)
    amount: Decimal | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int):
        # compared before Decimal: no cell holds a huge int, but nothing here may raise
        if value > INCOME_MAX:
            raise _error("register.error.income_too_high", value, maximum=INCOME_MAX)
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(value) if value == value and abs(value) != float("inf") else None
    elif isinstance(value, str):
        found = _INCOME.fullmatch(text_of(value))
        if found:
            sign, whole, fraction = found.groups()
            amount = Decimal(sign + whole.replace(",", "") + (fraction or ""))
    if amount is None:
        raise _error("register.error.income_format", value)
    if amount < 0:
        raise _error("register.error.income_negative", value)
    if amount >= INCOME_MAX + 1:  # before rounding too: quantize cannot take 30 digits
        raise _error("register.error.income_too_high", value, maximum=INCOME_MAX)
    rounded = int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if rounded > INCOME_MAX:
        raise _error("register.error.income_too_high", value, maximum=INCOME_MAX)
    return rounded
