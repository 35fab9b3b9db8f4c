"""Labels of red / amber / green (`lib.present.status`): the same words on every page."""

ZH = {
    "status.green": "达标",
    "status.amber": "接近",
    "status.red": "落后",
    "status.none": "无数据",
    "status.target": "目标 {target}",
    "status.limit": "上限 {target}",
    "change.points": "{points} 百分点",
    "change.since": "较 {date}",
    "change.compare": "与哪天比较",
    "change.compare_help": "每月底和每次生成会议汇报时保存各乡镇的主要指标；指标下方显示与所选日期相比的变化。",
    "change.none": "不比较",
    "status.caption": "虚线为目标 {target}。绿色：达到目标；橙色：接近目标（不低于 {amber}）；红色：低于 {amber}。",
}

EN = {
    "status.green": "On target",
    "status.amber": "Close",
    "status.red": "Behind",
    "status.none": "No data",
    "status.target": "target {target}",
    "status.limit": "limit {target}",
    "change.points": "{points} pts",
    "change.since": "since {date}",
    "change.compare": "Compare with",
    "change.compare_help": "Every town's key figures are kept at each month end and whenever a meeting deck is made; each tile shows the change since the chosen date.",
    "change.none": "No comparison",
    "status.caption": "The dashed line is the target, {target}. Green: on target; orange: close (at least {amber}); red: below {amber}.",
}
