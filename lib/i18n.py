"""Every label shown passes through `t()`: simplified Chinese and English catalogs.

The language is per script run (a context variable), set by the app shell from the `lang` query
parameter, so two users can read the same server in different languages.
"""

from __future__ import annotations

from contextvars import ContextVar

LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}

_language: ContextVar[str] = ContextVar("language", default="zh")

CATALOGS: dict[str, dict[str, str]] = {
    "zh": {
        "app.title": "县域脱贫攻坚工作台",
        "app.county": "示范县",
        "app.demo_badge": "演示数据",
        "app.demo_help": "当前运行在自动生成的演示县数据上，数字不代表任何真实地区。",
        "app.as_of": "数据截至 {date}",
        "nav.overview": "全县概览",
        "sidebar.language": "语言 / Language",
        "sidebar.towns": "乡镇",
        "sidebar.all_towns": "全部乡镇",
        "sidebar.filters": "筛选",
        "error.title": "无法打开数据库",
        "error.db_url_malformed": "数据库地址 DATABASE_URL 格式不正确：{url}",
        "error.db_url_unsupported": "DATABASE_URL 指定的数据库类型不受支持：{backend}。请使用 sqlite:/// 或 postgresql+psycopg://",
        "error.db_dir_missing": "SQLite 数据库文件所在的目录不存在：{path}",
        "error.db_unreachable": "无法连接数据库 {url}：{reason}",
        "error.db_not_migrated": "数据库尚未初始化（缺少数据表）。请运行 make run 或 python -m lib.prestart。",
        "error.hint": "请检查 DATABASE_URL 设置后刷新页面。",
        "overview.title": "全县概览",
        "overview.scope_all": "全部 {n} 个乡镇",
        "overview.scope_some": "已选 {n} 个乡镇：{names}",
        "overview.empty": "数据库中还没有数据。请导入本县数据，或运行 python -m lib.demo --scale county 加载演示县。",
        "overview.no_match": "所选乡镇没有数据。",
        "kpi.villages": "行政村",
        "kpi.villages_help": "贫困村 {poor} 个，已出列 {exited} 个",
        "kpi.poor_villages_exited": "贫困村出列",
        "kpi.households": "建档立卡户",
        "kpi.households_help": "已脱贫 {exited} · 未脱贫 {poor} · 监测 {monitored}",
        "kpi.people": "贫困人口",
        "kpi.people_help": "贫困人口 {people} 人，已脱贫 {exited} 人",
        "kpi.exited_share": "已脱贫占比",
        "kpi.training": "第一书记轮训",
        "kpi.training_help": "在岗 {serving} 人，已轮训 {trained} 人",
        "kpi.training_about": "在岗第一书记中参加过必训轮训班的比例。",
        "kpi.plans": "产业规划覆盖",
        "kpi.plans_help": "有劳力户 {labour} 户，有规划 {planned} 户",
        "kpi.plans_about": "有劳动力的贫困户中已有产业规划的比例；全部有规划户 {all_planned} 户（含无劳力户的入股收益）。",
        "kpi.verified": "档案已核验",
        "kpi.verified_help": "已核验 {verified} 户，共 {total} 户",
        "kpi.verified_about": "至少有一次入户核验确认档案无误的户数占比。",
        "kpi.stable": "产业稳定增收户",
        "kpi.stable_help": "产业进入稳定增收阶段的户数占有规划户的比例",
        "kpi.stable_detail": "有规划 {planned} 户，稳定增收 {stable} 户",
        "overview.stages_title": "产业规划进度",
        "overview.stages_caption": "每户按其进展最快的一项产业规划计入一个阶段。",
        "overview.stage_axis": "阶段",
        "overview.households_axis": "户数",
        "overview.ranking_title": "乡镇进度排名",
        "overview.rank_by": "排名依据",
        "overview.ranking_caption": "综合进度 = 已脱贫占比、有劳力户产业覆盖率、户档案核验率、第一书记轮训覆盖率四项的平均值。",
        "stage.planned": "已规划",
        "stage.started": "已启动",
        "stage.producing": "已投产",
        "stage.stable": "稳定增收",
        "col.rank": "排名",
        "col.town": "乡镇",
        "col.villages": "行政村",
        "col.poor_villages": "贫困村",
        "col.households": "贫困户",
        "col.people": "贫困人口",
        "col.exited_share": "已脱贫占比",
        "col.plan_share": "产业覆盖率",
        "col.stable_share": "稳定增收占比",
        "col.verified_share": "核验率",
        "col.training_share": "轮训覆盖率",
        "col.progress": "综合进度",
        "measure.progress": "综合进度",
        "measure.exited_share": "已脱贫占比",
        "measure.plan_share": "有劳力户产业覆盖率",
        "measure.stable_share": "稳定增收占比",
        "measure.verified_share": "户档案核验率",
        "measure.training_share": "第一书记轮训覆盖率",
        "common.none": "无",
    },
    "en": {
        "app.title": "County Poverty-Alleviation Dashboard",
        "app.county": "Demo County",
        "app.demo_badge": "Demo data",
        "app.demo_help": "Running on generated demo-county data; the figures describe no real place.",
        "app.as_of": "Data as of {date}",
        "nav.overview": "Overview",
        "sidebar.language": "语言 / Language",
        "sidebar.towns": "Towns",
        "sidebar.all_towns": "All towns",
        "sidebar.filters": "Filters",
        "error.title": "Cannot open the database",
        "error.db_url_malformed": "DATABASE_URL is not a valid database address: {url}",
        "error.db_url_unsupported": "DATABASE_URL names an unsupported database: {backend}. Use sqlite:/// or postgresql+psycopg://",
        "error.db_dir_missing": "The folder for the SQLite database file does not exist: {path}",
        "error.db_unreachable": "Cannot reach the database at {url}: {reason}",
        "error.db_not_migrated": "The database has not been set up (its tables are missing). Run make run or python -m lib.prestart.",
        "error.hint": "Check the DATABASE_URL setting, then reload the page.",
        "overview.title": "County overview",
        "overview.scope_all": "All {n} towns",
        "overview.scope_some": "{n} towns selected: {names}",
        "overview.empty": "The database holds no data yet. Import the county's data, or run python -m lib.demo --scale county to load the demo county.",
        "overview.no_match": "The selected towns have no data.",
        "kpi.villages": "Villages",
        "kpi.villages_help": "{poor} registered poor villages, {exited} of them exited",
        "kpi.poor_villages_exited": "Poor villages exited",
        "kpi.households": "Poor households",
        "kpi.households_help": "{exited} exited · {poor} poor · {monitored} monitored",
        "kpi.people": "Registered poor people",
        "kpi.people_help": "{exited} of {people} people exited",
        "kpi.exited_share": "Exited",
        "kpi.training": "Trained",
        "kpi.training_help": "{trained} of {serving} first secretaries",
        "kpi.training_about": "Share of serving first secretaries who attended a required rotation-training session.",
        "kpi.plans": "With a plan",
        "kpi.plans_help": "{planned} of {labour} households with labour",
        "kpi.plans_about": "Share of poor households with labour that have an industry plan; {all_planned} households have a plan in all (including fund shares for households without labour).",
        "kpi.verified": "Verified",
        "kpi.verified_help": "{verified} of {total} households",
        "kpi.verified_about": "Share of households whose ledger at least one visit confirmed as correct.",
        "kpi.stable": "Plans at stable income",
        "kpi.stable_help": "Share of households with a plan whose most advanced plan reached stable income",
        "kpi.stable_detail": "{stable} of {planned} households with a plan",
        "overview.stages_title": "Industry plans by stage",
        "overview.stages_caption": "Each household counts once, at the stage of its most advanced plan.",
        "overview.stage_axis": "Stage",
        "overview.households_axis": "Households",
        "overview.ranking_title": "Towns ranked by progress",
        "overview.rank_by": "Rank by",
        "overview.ranking_caption": "Overall progress = the mean of exited share, industry-plan coverage of households with labour, verified share and first-secretary training coverage.",
        "stage.planned": "Planned",
        "stage.started": "Started",
        "stage.producing": "Producing",
        "stage.stable": "Stable income",
        "col.rank": "Rank",
        "col.town": "Town",
        "col.villages": "Villages",
        "col.poor_villages": "Poor villages",
        "col.households": "Poor households",
        "col.people": "Poor people",
        "col.exited_share": "Exited",
        "col.plan_share": "Plan coverage",
        "col.stable_share": "Stable income",
        "col.verified_share": "Verified",
        "col.training_share": "Training",
        "col.progress": "Overall progress",
        "measure.progress": "Overall progress",
        "measure.exited_share": "Exited share",
        "measure.plan_share": "Industry-plan coverage",
        "measure.stable_share": "Stable-income share",
        "measure.verified_share": "Verified share",
        "measure.training_share": "First-secretary training coverage",
        "common.none": "None",
    },
}


def set_language(lang: str) -> str:
    """Use `lang` for this script run; unknown codes fall back to Chinese. Returns the code used."""
    code = lang if lang in CATALOGS else "zh"
    _language.set(code)
    return code


def get_language() -> str:
    return _language.get()


def t(key: str, /, **params: object) -> str:
    """The label for `key` in the current language, with `{name}` placeholders filled from params.

    A missing key shows as the key itself (tests check both catalogs have every key).
    """
    catalog = CATALOGS[_language.get()]
    text = catalog.get(key) or CATALOGS["en"].get(key) or key
    return text.format(**params) if params else text


def localized(zh: str | None, en: str | None) -> str:
    """Pick a record's own name in the current language, falling back to the other one."""
    if _language.get() == "en":
        return en or zh or ""
    return zh or en or ""


def format_share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
