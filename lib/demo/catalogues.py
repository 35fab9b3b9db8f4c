"""The demo county's catalogues: industries, products, topics, units, names, and the weights
the builder draws from (all fixed; the seed picks among them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lib.core.domain import (
    BenefitType,
    IndustryCategory,
    OrgKind,
    PlanStage,
    PovertyCause,
)

Row = dict[str, Any]

AS_OF = dt.date(2020, 10, 31)
COUNTY_CODE = "349901"  # 示范县; a city will number its counties 349901, 349902, …
INCOME_YEARS = range(2014, 2021)
SCALES = ("county", "city", "province")
CHUNK_SIZE = 5_000
DATA_VERSION = "1"

# --- catalogues ----------------------------------------------------------------------------------

# (code, category, name_zh, name_en, expected annual income range in yuan)
INDUSTRIES: list[tuple[str, IndustryCategory, str, str, tuple[int, int]]] = [
    ("yellow_peach", IndustryCategory.PLANTING, "黄桃", "Yellow peaches", (6_000, 12_000)),
    ("herbal_medicine", IndustryCategory.PLANTING, "中药材", "Chinese herbal medicine", (5_000, 10_000)),
    ("edible_fungi", IndustryCategory.PLANTING, "食用菌", "Edible fungi", (6_000, 15_000)),
    ("vegetables", IndustryCategory.PLANTING, "蔬菜", "Vegetables", (4_000, 10_000)),
    ("rice_crayfish", IndustryCategory.PLANTING, "稻虾共养", "Rice–crayfish co-culture", (8_000, 15_000)),
    ("lotus_root", IndustryCategory.PLANTING, "莲藕", "Lotus root", (4_000, 9_000)),
    ("beef_cattle", IndustryCategory.LIVESTOCK, "肉牛", "Beef cattle", (8_000, 15_000)),
    ("pigs", IndustryCategory.LIVESTOCK, "生猪", "Pigs", (5_000, 12_000)),
    ("goats", IndustryCategory.LIVESTOCK, "山羊", "Goats", (3_000, 8_000)),
    ("poultry", IndustryCategory.LIVESTOCK, "家禽", "Poultry", (2_000, 5_000)),
    ("crayfish", IndustryCategory.LIVESTOCK, "小龙虾", "Crayfish", (8_000, 15_000)),
    ("wicker_weaving", IndustryCategory.PROCESSING, "杞柳编织", "Wicker weaving", (3_000, 8_000)),
    (
        "agri_processing",
        IndustryCategory.PROCESSING,
        "农产品加工",
        "Farm produce processing",
        (6_000, 12_000),
    ),
    ("farm_stay", IndustryCategory.TOURISM, "农家乐", "Farm-stay restaurants", (10_000, 30_000)),
    ("homestay", IndustryCategory.TOURISM, "民宿", "Homestays", (8_000, 25_000)),
    ("rural_ecommerce", IndustryCategory.ECOMMERCE, "农村电商", "Rural e-commerce", (4_000, 10_000)),
    ("migrant_work", IndustryCategory.MIGRANT_WORK, "外出务工", "Migrant work", (15_000, 30_000)),
    (
        "local_work",
        IndustryCategory.MIGRANT_WORK,
        "就近务工（扶贫车间）",
        "Local jobs (poverty-alleviation workshop)",
        (10_000, 18_000),
    ),
    ("photovoltaic", IndustryCategory.SHARES, "光伏收益", "Photovoltaic income", (2_500, 3_500)),
    ("asset_income", IndustryCategory.SHARES, "资产收益入股", "Asset-income shares", (500, 1_500)),
]
INDUSTRY_IDS = {code: i for i, (code, *_rest) in enumerate(INDUSTRIES, start=1)}
INDUSTRY_CATEGORY = {code: category for code, category, *_rest in INDUSTRIES}
INDUSTRY_INCOME = {code: income for code, _c, _z, _e, income in INDUSTRIES}
INDUSTRY_NAMES = {code: (zh, en) for code, _c, zh, en, _i in INDUSTRIES}
SHARE_INDUSTRIES = ["photovoltaic", "asset_income"]

# What a household with labour takes up when it does not follow the village product.
HOUSEHOLD_INDUSTRY_WEIGHTS: dict[str, float] = {
    "migrant_work": 16,
    "local_work": 8,
    "yellow_peach": 5,
    "herbal_medicine": 6,
    "edible_fungi": 5,
    "vegetables": 8,
    "rice_crayfish": 5,
    "lotus_root": 2,
    "beef_cattle": 6,
    "pigs": 5,
    "goats": 6,
    "poultry": 6,
    "crayfish": 4,
    "wicker_weaving": 5,
    "agri_processing": 3,
    "farm_stay": 0.5,
    "homestay": 0.3,
    "rural_ecommerce": 3,
    "photovoltaic": 4,
    "asset_income": 3,
}

# Village signature products: (industry code, name_zh, name_en, weight outside Balihe).
PRODUCTS: list[tuple[str, str, str, float]] = [
    ("yellow_peach", "黄桃", "Yellow peaches", 8),
    ("herbal_medicine", "白芍", "Chinese peony root", 4),
    ("herbal_medicine", "丹参", "Red sage root", 2),
    ("herbal_medicine", "艾草", "Mugwort", 2),
    ("edible_fungi", "香菇", "Shiitake mushrooms", 4),
    ("edible_fungi", "平菇", "Oyster mushrooms", 3),
    ("vegetables", "大棚蔬菜", "Greenhouse vegetables", 6),
    ("vegetables", "芦笋", "Asparagus", 3),
    ("vegetables", "山药", "Chinese yam", 2),
    ("rice_crayfish", "稻虾米", "Rice–crayfish rice", 4),
    ("lotus_root", "莲藕", "Lotus root", 2),
    ("crayfish", "小龙虾", "Crayfish", 5),
    ("beef_cattle", "肉牛", "Beef cattle", 5),
    ("goats", "黄淮山羊", "Huanghuai goats", 4),
    ("poultry", "皖西白鹅", "Wanxi white geese", 3),
    ("poultry", "土鸡", "Free-range chickens", 2),
    ("pigs", "生猪", "Pigs", 3),
    ("wicker_weaving", "杞柳编织", "Wicker weaving", 7),
    ("agri_processing", "红薯粉丝", "Sweet-potato vermicelli", 2),
    ("agri_processing", "手工挂面", "Hand-made noodles", 2),
    ("rural_ecommerce", "农村电商", "Rural e-commerce", 2),
    ("photovoltaic", "村级光伏电站", "Village solar power station", 4),
    ("farm_stay", "农家乐", "Farm-stay restaurants", 0),
    ("homestay", "民宿", "Homestays", 0),
]
TOURISM_PRODUCTS = [p for p in PRODUCTS if p[0] in ("farm_stay", "homestay")] + [
    ("farm_stay", "乡村旅游", "Rural tourism", 0),
]

TOPICS: list[tuple[str, str, str]] = [
    ("funds_management", "扶贫资金管理", "Poverty-alleviation funds management"),
    ("policy_analysis", "政策解读", "Policy analysis"),
    ("rural_preaching", "农村宣讲技巧", "Rural preaching skills"),
    ("rural_tourism", "乡村旅游", "Rural tourism"),
    ("education", "教育扶贫", "Poverty alleviation through education"),
    ("ecommerce", "农村电商", "Rural e-commerce"),
    ("pilot_path", "毕节试验区发展路径", "The Bijie pilot area's development path"),
]
TOPIC_IDS = {code: i for i, (code, _zh, _en) in enumerate(TOPICS, start=1)}

# (zh, en); the sending units of first secretaries and work teams, and the helpers' units.
UNITS: list[tuple[str, str]] = [
    ("县财政局", "County Finance Bureau"),
    ("县教育局", "County Education Bureau"),
    ("县卫健委", "County Health Commission"),
    ("县农业农村局", "County Agriculture and Rural Affairs Bureau"),
    ("县人社局", "County Human Resources and Social Security Bureau"),
    ("县民政局", "County Civil Affairs Bureau"),
    ("县水利局", "County Water Resources Bureau"),
    ("县交通运输局", "County Transport Bureau"),
    ("县住建局", "County Housing and Urban-Rural Development Bureau"),
    ("县自然资源局", "County Natural Resources Bureau"),
    ("县发改委", "County Development and Reform Commission"),
    ("县商务局", "County Commerce Bureau"),
    ("县扶贫办", "County Poverty Alleviation Office"),
    ("县委组织部", "County Party Organisation Department"),
    ("县委宣传部", "County Party Publicity Department"),
    ("县纪委监委", "County Commission for Discipline Inspection"),
    ("县市场监管局", "County Market Regulation Bureau"),
    ("县文旅局", "County Culture and Tourism Bureau"),
    ("县林业局", "County Forestry Bureau"),
    ("县科技局", "County Science and Technology Bureau"),
    ("县供电公司", "County Power Supply Company"),
    ("县农商银行", "County Rural Commercial Bank"),
    ("市农业农村局", "City Agriculture and Rural Affairs Bureau"),
    ("市财政局", "City Finance Bureau"),
    ("市扶贫办", "City Poverty Alleviation Office"),
    ("市生态环境局", "City Ecology and Environment Bureau"),
]
CITY_UNIT_WEIGHT = 0.35  # city units send fewer people than county units

# (zh, pinyin, weight): common surnames, each pinyin once so English village names stay unique.
SURNAMES: list[tuple[str, str, float]] = [
    ("王", "Wang", 10), ("李", "Li", 10), ("张", "Zhang", 10), ("刘", "Liu", 8), ("陈", "Chen", 6),
    ("杨", "Yang", 5), ("赵", "Zhao", 4), ("黄", "Huang", 4), ("周", "Zhou", 4), ("吴", "Wu", 4),
    ("徐", "Xu", 3), ("孙", "Sun", 3), ("胡", "Hu", 3), ("朱", "Zhu", 3), ("高", "Gao", 3),
    ("林", "Lin", 2), ("何", "He", 2), ("郭", "Guo", 2), ("马", "Ma", 2), ("罗", "Luo", 1.5),
    ("梁", "Liang", 1.5), ("宋", "Song", 1.5), ("郑", "Zheng", 1.5), ("谢", "Xie", 1.5),
    ("韩", "Han", 1.5), ("唐", "Tang", 1.5), ("冯", "Feng", 1.5), ("于", "Yu", 1.5),
    ("董", "Dong", 1.5), ("程", "Cheng", 1.2), ("曹", "Cao", 1.2), ("袁", "Yuan", 1.2),
    ("邓", "Deng", 1.2), ("沈", "Shen", 1), ("彭", "Peng", 1), ("苏", "Su", 1), ("卢", "Lu", 1),
    ("蒋", "Jiang", 1), ("蔡", "Cai", 1), ("贾", "Jia", 1), ("丁", "Ding", 1), ("魏", "Wei", 1),
    ("薛", "Xue", 1), ("叶", "Ye", 1), ("闫", "Yan", 1), ("潘", "Pan", 1), ("杜", "Du", 1),
    ("戴", "Dai", 1), ("夏", "Xia", 1), ("钟", "Zhong", 1), ("田", "Tian", 1), ("任", "Ren", 1),
    ("范", "Fan", 1), ("方", "Fang", 1), ("石", "Shi", 1), ("姚", "Yao", 1), ("葛", "Ge", 0.8),
    ("孔", "Kong", 0.8), ("白", "Bai", 0.8), ("崔", "Cui", 0.8), ("康", "Kang", 0.8),
    ("毛", "Mao", 0.8), ("秦", "Qin", 0.8), ("侯", "Hou", 0.8), ("孟", "Meng", 0.8),
    ("段", "Duan", 0.8), ("雷", "Lei", 0.8), ("钱", "Qian", 0.8), ("常", "Chang", 0.8),
    ("牛", "Niu", 0.8), ("鲍", "Bao", 0.6), ("岳", "Yue", 0.6), ("武", "Wu", 0),
]  # fmt: skip
SURNAMES = [s for s in SURNAMES if s[2] > 0]
SURNAME_WEIGHTS = [s[2] for s in SURNAMES]
# Village name suffixes common on the Huaihe plain: 庄 hamlet, 楼, 湾 bend, 岗 ridge, 集 market…
VILLAGE_SUFFIXES: list[tuple[str, str]] = [
    ("庄", "zhuang"), ("楼", "lou"), ("湾", "wan"), ("岗", "gang"), ("集", "ji"), ("圩", "wei"),
    ("桥", "qiao"), ("洼", "wa"), ("营", "ying"), ("寨", "zhai"), ("郢", "ying"), ("店", "dian"),
]  # fmt: skip
MALE_GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健广志义兴良海山仁波贵福生龙元全国胜学祥才发武新"
    "利清飞富顺信杰涛昌成康光天达安中茂进林有和彪诚先振会庆磊民友河超浩亮宏朋斌栋维建"
    "家德树长金玉春"
)
FEMALE_GIVEN = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲环雪荣爱霞香"
    "月艳瑞佳琼勤珍莉桂叶晶秋丽敏"
)

# Organisation brand words (zh, pinyin).
BRANDS: list[tuple[str, str]] = [
    ("丰源", "Fengyuan"), ("金穗", "Jinsui"), ("惠农", "Huinong"), ("盛华", "Shenghua"),
    ("佳禾", "Jiahe"), ("鑫旺", "Xinwang"), ("正阳", "Zhengyang"), ("富民", "Fumin"),
    ("兴农", "Xingnong"), ("康源", "Kangyuan"), ("天禾", "Tianhe"), ("瑞丰", "Ruifeng"),
    ("永盛", "Yongsheng"), ("宏达", "Hongda"), ("春晖", "Chunhui"), ("淮润", "Huairun"),
    ("田园", "Tianyuan"), ("恒信", "Hengxin"), ("嘉诚", "Jiacheng"), ("聚丰", "Jufeng"),
    ("德众", "Dezhong"), ("和顺", "Heshun"), ("润丰", "Runfeng"), ("万家", "Wanjia"),
]  # fmt: skip

# Enterprise name endings by industry (zh, en); anything else is an agricultural technology company.
ENTERPRISE_KINDS: dict[str, tuple[str, str]] = {
    "beef_cattle": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "pigs": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "goats": ("牧业有限公司", "Animal Husbandry Co., Ltd."),
    "poultry": ("禽业有限公司", "Poultry Co., Ltd."),
    "crayfish": ("水产有限公司", "Aquatic Products Co., Ltd."),
    "rice_crayfish": ("生态农业有限公司", "Ecological Agriculture Co., Ltd."),
    "wicker_weaving": ("柳编工艺品有限公司", "Wicker Crafts Co., Ltd."),
    "agri_processing": ("食品有限公司", "Food Co., Ltd."),
    "farm_stay": ("旅游发展有限公司", "Tourism Development Co., Ltd."),
    "homestay": ("旅游发展有限公司", "Tourism Development Co., Ltd."),
    "rural_ecommerce": ("电子商务有限公司", "E-commerce Co., Ltd."),
    "local_work": ("服饰有限公司", "Garment Co., Ltd."),
    "photovoltaic": ("新能源有限公司", "New Energy Co., Ltd."),
}
DEFAULT_ENTERPRISE = ("农业科技有限公司", "Agricultural Technology Co., Ltd.")
# How a cooperative names its product, when not the industry's own name.
COOPERATIVE_PRODUCTS: dict[str, tuple[str, str]] = {
    "yellow_peach": ("黄桃", "Yellow Peach"),
    "edible_fungi": ("食用菌", "Mushroom"),
    "vegetables": ("蔬菜", "Vegetable"),
    "rice_crayfish": ("稻虾", "Rice-Crayfish"),
    "crayfish": ("小龙虾", "Crayfish"),
    "pigs": ("生猪", "Pig"),
    "goats": ("山羊", "Goat"),
    "wicker_weaving": ("杞柳编织", "Wicker Weaving"),
    "agri_processing": ("农产品加工", "Farm Produce Processing"),
}
ORG_FILLERS = [
    "local_work",
    "rural_ecommerce",
    "agri_processing",
    "vegetables",
    "beef_cattle",
    "photovoltaic",
]
COOPERATIVE_KINDS: dict[IndustryCategory, tuple[str, str]] = {
    IndustryCategory.PLANTING: ("种植专业合作社", "Planting Cooperative"),
    IndustryCategory.LIVESTOCK: ("养殖专业合作社", "Breeding Cooperative"),
    IndustryCategory.PROCESSING: ("专业合作社", "Cooperative"),
    IndustryCategory.TOURISM: ("乡村旅游专业合作社", "Rural Tourism Cooperative"),
    IndustryCategory.ECOMMERCE: ("电商专业合作社", "E-commerce Cooperative"),
}

CAUSE_WEIGHTS: dict[PovertyCause, float] = {
    PovertyCause.ILLNESS: 35,
    PovertyCause.DISABILITY: 15,
    PovertyCause.LACK_OF_LABOUR: 12,
    PovertyCause.LACK_OF_SKILLS: 12,
    PovertyCause.LACK_OF_CAPITAL: 10,
    PovertyCause.EDUCATION_COSTS: 7,
    PovertyCause.DISASTER: 5,
    PovertyCause.LACK_OF_LAND: 4,
}
# Share of households with no labour at all, by primary cause.
NO_LABOUR_SHARE: dict[PovertyCause, float] = {
    PovertyCause.LACK_OF_LABOUR: 0.75,
    PovertyCause.ILLNESS: 0.2,
    PovertyCause.DISABILITY: 0.25,
}
MEMBER_WEIGHTS = {1: 18, 2: 30, 3: 22, 4: 17, 5: 9, 6: 4}
EXIT_YEAR_WEIGHTS = {2014: 8, 2015: 14, 2016: 20, 2017: 20, 2018: 18, 2019: 14, 2020: 6}
LATE_EXIT_YEAR_WEIGHTS = {2014: 3, 2015: 6, 2016: 10, 2017: 14, 2018: 18, 2019: 25, 2020: 24}
VILLAGE_EXIT_YEAR_WEIGHTS = {2016: 15, 2017: 20, 2018: 25, 2019: 27, 2020: 13}

STAGES = list(PlanStage)
LEAD_STAGE_WEIGHTS = (0.06, 0.15, 0.31, 0.48)
LAG_STAGE_WEIGHTS = (0.25, 0.36, 0.26, 0.13)
# Earliest and latest planned_on for a plan that has reached each stage by AS_OF.
PLANNED_WINDOW: dict[PlanStage, tuple[dt.date, dt.date]] = {
    PlanStage.PLANNED: (dt.date(2019, 9, 1), dt.date(2020, 10, 15)),
    PlanStage.STARTED: (dt.date(2018, 3, 1), dt.date(2020, 6, 30)),
    PlanStage.PRODUCING: (dt.date(2016, 3, 1), dt.date(2019, 9, 30)),
    PlanStage.STABLE: (dt.date(2016, 3, 1), dt.date(2018, 12, 31)),
}
# Why a plan went back a stage, by industry category; anything else uses the general reasons.
SETBACK_REASONS: dict[IndustryCategory | None, list[str]] = {
    IndustryCategory.PLANTING: [
        "受2020年汛期洪涝影响减产",
        "市场价格下跌，暂缓扩大种植",
        "遭遇春季冻害，补种中",
    ],
    IndustryCategory.LIVESTOCK: ["养殖疫病，正在补栏", "饲料价格上涨，暂时缩小规模", "汛期鱼塘、虾塘被淹"],
    IndustryCategory.PROCESSING: ["订单减少，暂停加工", "合作社调整收购计划"],
    IndustryCategory.TOURISM: ["受新冠肺炎疫情影响暂停营业", "景区客流下降，暂停经营"],
    IndustryCategory.MIGRANT_WORK: ["受新冠肺炎疫情影响返乡待业", "扶贫车间订单减少，暂时停工"],
    None: ["户主生病住院，暂停经营", "主要劳动力外出务工，暂缓", "合作社调整收购计划"],
}

BENEFIT_WEIGHTS: dict[OrgKind, dict[BenefitType, float]] = {
    OrgKind.ENTERPRISE: {
        BenefitType.LAND_RENT: 35,
        BenefitType.WAGES: 35,
        BenefitType.DIVIDEND: 20,
        BenefitType.GUARANTEED_PURCHASE: 10,
    },
    OrgKind.COOPERATIVE: {
        BenefitType.DIVIDEND: 40,
        BenefitType.GUARANTEED_PURCHASE: 35,
        BenefitType.LAND_RENT: 20,
        BenefitType.WAGES: 5,
    },
}
BENEFIT_AMOUNT: dict[BenefitType, tuple[int, int]] = {
    BenefitType.LAND_RENT: (600, 2_000),
    BenefitType.DIVIDEND: (300, 1_500),
    BenefitType.WAGES: (8_000, 24_000),
    BenefitType.GUARANTEED_PURCHASE: (2_000, 8_000),
}

# Heads of poor households are mostly older.
HEAD_BIRTH_YEARS = list(range(1935, 1991))
HEAD_BIRTH_WEIGHTS = [1 + (1990 - y) / 20 for y in HEAD_BIRTH_YEARS]

VISIT_START = dt.date(2020, 5, 1)
VISIT_PROBLEMS = [
    "收入台账与实际不符",
    "家庭成员信息未及时更新",
    "帮扶措施记录缺失",
    "危房改造资料不全",
    "户主身份证号码有误",
    "2020年收入核算表未填写",
    "享受政策明细与台账不一致",
]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

ROTATION_2019_PHASES = (
    (1, dt.date(2019, 4, 15), dt.date(2019, 4, 19), 160),
    (2, dt.date(2019, 9, 16), dt.date(2019, 9, 20), 161),
)
ROTATION_2019_TRAINED = 321
# The ability-enhancement class (the 2019 rotation) teaches these; the Bijie class its own two.
ROTATION_TOPICS = ("funds_management", "policy_analysis", "rural_preaching", "rural_tourism", "education")
BIJIE_TOPICS = ("ecommerce", "pilot_path")
# The ability-development class: 50 selected secretaries who were not in the rotation, 5 days in Bijie.
BIJIE_CLASS = (dt.date(2019, 11, 4), dt.date(2019, 11, 8))
BIJIE_CLASS_SIZE = 50
# Terms that ended in 2019–2020 (a first secretary serves at least two years), each followed by a new
# secretary: after the first phase, before the second (so the county's 2019 classes reached 371
# people), and in 2020 (the newcomers wait for the 2020 rotation).
LEFT_BETWEEN_PHASES = 30
LEFT_IN_2020 = 30
