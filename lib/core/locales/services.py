"""Labels of the refusals every write-side service shares (lib/core/errors.py)."""

ZH: dict[str, str] = {
    "services.error": "操作未完成，未保存任何内容。",
    "services.invalid": "有 {n} 项填写有误，未保存任何内容。",
    "services.invalid.one": "有 1 项填写有误，未保存任何内容。",
    "services.permission_denied": "您没有权限执行此操作（{action}），未保存任何内容。",
    "services.stale_edit": "您打开表单后，这条记录（{table} {record}）已被他人修改。请查看最新内容后再保存。",
}

EN: dict[str, str] = {
    "services.error": "The change was not made; nothing was saved.",
    "services.invalid": "{n} fields are not valid; nothing was saved.",
    "services.invalid.one": "1 field is not valid; nothing was saved.",
    "services.permission_denied": "You may not do this ({action}); nothing was saved.",
    "services.stale_edit": "Someone changed this record ({table} {record}) after you opened the form; check its current values and save again.",
}
