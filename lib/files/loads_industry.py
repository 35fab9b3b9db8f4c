"""A county's files of enterprises, cooperatives and industry plans, as they come: two load kinds.

`ORGANISATIONS` ("organisations"): one row per link of an enterprise or cooperative to a
household (统一社会信用代码, 名称, 类型, 所属产业, 所在乡镇 repeated on every row of the
organisation; 户编号, 带动方式, 联结时间, 年收益); a row without a household only registers the
organisation. `PLANS` ("plans"): one row per household plan (户编号, 产业, 阶段, 制定日期,
启动日期, 预期增收, 实际增收, 带动主体, …).

Cells are checked one by one here, as lib.files.loads does for the register: the credit code
(lib.rules.credit_code), the words for an organisation's kind, a benefit and a stage, amounts in
yuan. What needs the database or the whole file (households, industries, towns, partners, the
same organisation named twice) is lib.services.loading_industry's. lib.files.loads lists these
kinds in its KINDS, so this module does not import it at load time (no import circle): its
column helper and width are repeated here, and its LoadValueError is raised through `_problem`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from lib.core.domain import FREE_TEXT_MAX, INCOME_MAX, BenefitType, OrgKind, PlanStage
from lib.core.i18n import CATALOGS
from lib.files.imports import Column, RecordType, normalize
from lib.rules import credit_code as credit
from lib.rules.permissions import DATA_LOAD

LOAD_MAX_WIDTH = 200  # lib.files.loads.LOAD_MAX_WIDTH (tests/test_load_industry.py holds them equal)
SHOWN_MAX = 40


def _problem(key: str, **params: Any) -> ValueError:
    """lib.files.loads.LoadValueError(key, **params): a cell's problem for `t()`."""
    from lib.files.loads import LoadValueError  # loads imports this module: import when used

    return LoadValueError(key, **params)


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _col(code: str, kind: Any, *aliases: str, **options: Any) -> Column:
    return Column(
        code, kind, aliases=aliases, header_key=f"load.col.{code}", help_key="load.colhelp", **options
    )


def _words(table: dict[str, tuple[str, ...]], label_prefix: str) -> dict[str, str]:
    """Each word (normalised) → its code: the table's words, the codes and the app's own labels."""
    found: dict[str, str] = {}
    for code, words in table.items():
        labels = tuple(CATALOGS[lang].get(f"{label_prefix}{code}", "") for lang in ("zh", "en"))
        for word in (*words, code, code.replace("_", " "), *labels):
            if word:
                found[normalize(word)] = code
    return found


ORG_KIND_WORDS = _words(
    {
        OrgKind.ENTERPRISE.value: ("企业", "公司", "龙头企业", "有限公司", "农业企业", "扶贫龙头企业"),
        OrgKind.COOPERATIVE.value: (
            "合作社",
            "专业合作社",
            "农民专业合作社",
            "基地",
            "合作社(基地)",
            "种植基地",
            "养殖基地",
        ),
    },
    "village.kind.",
)
BENEFIT_WORDS = _words(
    {
        BenefitType.LAND_RENT.value: ("土地流转", "租金", "土地租金", "土地流转租金", "流转土地"),
        BenefitType.DIVIDEND.value: ("入股分红", "分红", "股金分红", "资产收益分红", "资金入股分红"),
        BenefitType.WAGES.value: ("务工", "工资", "务工工资", "就业务工", "务工就业"),
        BenefitType.GUARANTEED_PURCHASE.value: ("保底收购", "订单收购", "保护价收购", "订单农业"),
    },
    "village.benefit.",
)
STAGE_WORDS = _words(
    {
        PlanStage.PLANNED.value: ("计划", "规划", "已规划", "已计划", "计划中", "规划中", "未启动"),
        PlanStage.STARTED.value: ("已启动", "启动", "实施中", "已实施", "建设中"),
        PlanStage.PRODUCING.value: ("已投产", "投产", "见效", "已见效"),
        PlanStage.STABLE.value: ("稳定增收", "已稳定增收", "稳定", "stable income"),
    },
    "stage.",
)


def _word(table: dict[str, str], key: str) -> Any:
    def parse(value: object) -> str:
        if isinstance(value, str):
            code = table.get(normalize(value))
            if code is not None:
                return code
        raise _problem(key, value=_shown(value))

    return parse


org_kind = _word(ORG_KIND_WORDS, "load.error.org_kind_word")
benefit_type = _word(BENEFIT_WORDS, "load.error.benefit_word")
stage = _word(STAGE_WORDS, "load.error.stage_word")


def kind_from_name(name: str) -> str | None:
    """An organisation's kind read from its name when the file gives none (…合作社, …有限公司)."""
    text = normalize(name)
    if text.endswith(("合作社", "联合社", "基地")):
        return OrgKind.COOPERATIVE.value
    if text.endswith(("公司", "企业", "厂")):
        return OrgKind.ENTERPRISE.value
    return None


def credit_code(value: object) -> str:
    """A 统一社会信用代码 cell (lib.rules.credit_code)."""
    try:
        return credit.clean(value)
    except credit.CreditCodeError as error:
        raise _problem(error.key, **error.params) from None


def yuan(value: object) -> int:
    """Whole yuan a year, 0 … INCOME_MAX: 3000, 3000.0, "3,000", "3000元", "¥3000".

    A fraction is refused as the plan form refuses it (plans.error.income_whole)."""
    amount: Decimal | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(value) if value == value and abs(value) != float("inf") else None
    elif isinstance(value, str):
        text = normalize(value).replace(",", "").replace("，", "").removesuffix("元").strip()
        text = text.removeprefix("¥").removeprefix("￥").strip()
        if 0 < len(text) <= 30:
            try:
                amount = Decimal(text)
            except InvalidOperation:
                amount = None
            if amount is not None and not amount.is_finite():
                amount = None
    if amount is None:
        raise _problem("load.error.amount_format", value=_shown(value))
    if amount < 0:
        raise _problem("load.error.amount_negative", value=_shown(value))
    if amount > INCOME_MAX:
        raise _problem("plans.error.income_too_high", max=INCOME_MAX)
    if amount != amount.to_integral_value():
        raise _problem("plans.error.income_whole")
    return int(amount)


ARCHIVE_ALIASES = ("户编号", "户编码", "家庭编号", "户号", "贫困户编号")

# --- enterprises and cooperatives, with their links to households ------------------------------

ORGANISATIONS = RecordType(
    code="organisations",
    action=DATA_LOAD,
    columns=(
        _col(
            "credit_code",
            "value",
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "统一代码",
            "credit code",
            parse=credit_code,
        ),
        _col(
            "name_zh",
            "text",
            "名称",
            "企业名称",
            "合作社名称",
            "企业(合作社)名称",
            "主体名称",
            "经营主体名称",
            "带贫主体名称",
            "name",
            required=True,
            max_length=80,
        ),
        _col("name_en", "text", "英文名称", "英文名", "English name", max_length=120),
        _col(
            "org_kind",
            "value",
            "类型",
            "主体类型",
            "经营主体类型",
            "组织类型",
            "kind",
            "type",
            parse=org_kind,
        ),
        _col("industry", "text", "所属产业", "产业", "主导产业", "产业类别", "产业名称", max_length=40),
        _col("town_name", "text", "所在乡镇", "乡镇", "所属乡镇", "乡(镇)", "乡镇名称", max_length=60),
        _col("archive_no", "text", *ARCHIVE_ALIASES, max_length=24),
        _col(
            "benefit_type",
            "value",
            "带动方式",
            "利益联结方式",
            "联结方式",
            "利益联结机制",
            "受益方式",
            "benefit",
            parse=benefit_type,
        ),
        _col("link_since", "date", "联结时间", "开始时间", "联结日期", "带动时间", "起始时间"),
        _col(
            "annual_amount",
            "value",
            "年收益(元)",
            "年增收(元)",
            "年收益",
            "年增收",
            "年收入(元)",
            "户年收益(元)",
            "金额(元)",
            parse=yuan,
        ),
    ),
    build=lambda values, ids: dict(values),
    ignore_unknown=True,
    max_width=LOAD_MAX_WIDTH,
)

# --- industry plans ("one household, one industry") ----------------------------------------------

PLANS = RecordType(
    code="plans",
    action=DATA_LOAD,
    columns=(
        _col("archive_no", "text", *ARCHIVE_ALIASES, required=True, max_length=24),
        _col(
            "industry",
            "text",
            "产业",
            "产业名称",
            "产业项目",
            "所属产业",
            "发展产业",
            "产业类型",
            required=True,
            max_length=40,
        ),
        _col(
            "stage",
            "value",
            "阶段",
            "进展",
            "发展阶段",
            "产业进展",
            "当前阶段",
            "进展情况",
            required=True,
            parse=stage,
        ),
        _col("planned_on", "date", "制定日期", "计划日期", "制定计划日期", "规划日期", required=True),
        _col("started_on", "date", "启动日期", "开始日期", "实施日期"),
        _col("stage_changed_on", "date", "进展日期", "阶段日期", "进入阶段日期", "阶段变更日期"),
        _col(
            "expected_income",
            "value",
            "预期增收(元)",
            "预期增收",
            "预期年增收(元)",
            "预计增收(元)",
            "预计增收",
            parse=yuan,
        ),
        _col("actual_income", "value", "实际增收(元)", "实际增收", "实际年增收(元)", parse=yuan),
        _col(
            "partner",
            "text",
            "带动主体",
            "带动企业",
            "带动企业或合作社",
            "带动主体名称",
            "联结主体",
            "帮带主体",
            max_length=80,
        ),
        _col(
            "stage_reason", "text", "变更原因", "阶段变更原因", "调整原因", "原因", max_length=FREE_TEXT_MAX
        ),
    ),
    build=lambda values, ids: dict(values),
    unique=("archive_no", "industry", "planned_on"),
    ignore_unknown=True,
    max_width=LOAD_MAX_WIDTH,
)
