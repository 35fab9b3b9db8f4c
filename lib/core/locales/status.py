"""Labels of red / amber / green (`lib.present.status`): the same words on every page."""

ZH = {
    "status.green": "达标",
    "status.amber": "接近",
    "status.red": "落后",
    "status.none": "无数据",
    "status.target": "目标 {target}",
    "status.limit": "上限 {target}",
    "status.caption": "虚线为目标 {target}。绿色：达到目标；橙色：接近目标（不低于 {amber}）；红色：低于 {amber}。",
}

EN = {
    "status.green": "On target",
    "status.amber": "Close",
    "status.red": "Behind",
    "status.none": "No data",
    "status.target": "target {target}",
    "status.limit": "limit {target}",
    "status.caption": "The dashed line is the target, {target}. Green: on target; orange: close (at least {amber}); red: below {amber}.",
}
