"""How the audit log reads (issue 13, C4): an auditor reads a register, in Chinese and in Beijing
time, not the codes the log stores.

The log keeps codes (C1: role, action, model, field names; C3: never values), which is right for
filtering and for the append-only table (C2). This module only words them for a reader: the
time in Beijing time, the role and channel by their labels, the object as staff know it (the
record's kind and the label it was stored with: file number, report reference), and the detail
dictionary as lines of "what: which". Nothing here writes to the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .enums import (
    AuditAction,
    Channel,
    DenialReason,
    EntryRoute,
    ExitReason,
    PrintDocument,
    PrintJobKind,
    Role,
    VisitKind,
)

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The apps whose records the log names; their models word the field names of `fields`.
LEDGER_APPS = ("backoffice", "intake", "portal")

# Reasons stored as codes by the services (free text otherwise: a reveal's typed reason).
REASONS: dict[str, str] = {
    **{code: str(label) for code, label in DenialReason.choices},
    **{code: str(label) for code, label in ExitReason.choices},
    "no_device": "未绑定动态口令设备",
    "enrolment": "设备绑定时动态口令错误",
    "expired": "锁定期满自动解除",
    "administrator": "安全管理员解除锁定",
    "idle": "30 分钟未操作",
    "absolute": "连续登录超过 12 小时",
    "locked": "账号已锁定",
    "format": "动态口令格式不正确",
    "throttled": "动态口令错误次数过多，暂停验证",
    "wrong_or_used": "动态口令不正确或已使用",
}
FACTORS = {
    "TOTPDevice": "密码 + 动态口令",
    "RecoveryCodeDevice": "密码 + 恢复码",
    "StaticDevice": "密码 + 恢复码",
    "password-only": "仅密码",
}
METHODS = {"qr": "当面扫码绑定", "link": "绑定链接"}
PURPOSES = {"batch_print": "批量打印"}
# Names in `fields` that are not a field of any model: a visit's answers on the household, a
# staff-entered lead's start of the clock (F2: the approval; F3: the basic investigation).
EXTRA_FIELDS = {
    "needs": "帮扶需求",
    "measures_progress": "帮扶措施落实情况",
    "started_on": "救助审批或基本调查完成日期",
    "subject": "当事人",
}


def local_time(moment: dt.datetime | None) -> str:
    """A stored (UTC) time as Beijing time, to the second."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime(TIME_FORMAT)


# Actor.role beside the staff roles: a command or task acting for the bureau, a superuser.
OTHER_ROLES = {"system": "系统（命令或后台任务）", "superuser": "超级管理员"}


def role_label(code: str) -> str:
    if not code:
        return "—"
    if code in Role.values:
        return str(Role(code).label)
    return OTHER_ROLES.get(code, code)


def channel_label(code: str) -> str:
    return str(Channel(code).label) if code in Channel.values else (code or "—")


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


# Models whose verbose name Django derives from the class name (English).
UNNAMED_MODELS = {
    "backoffice.recoverycode": "恢复码",
    "portal.headerlink": "网站页头链接",
    "portal.footerlink": "网站页脚链接",
}


def model_kind(model: type[models.Model]) -> str:
    """A model's Chinese name; for one still without, its app's name and 记录."""
    name = str(model._meta.verbose_name)
    if not name.isascii():
        return name
    label = model._meta.label_lower
    return UNNAMED_MODELS.get(label) or f"{model._meta.app_config.verbose_name}记录"


def object_kind(object_type: str) -> str:
    """The kind of an object as a reader names it: backoffice.person is 家庭成员."""
    model = _model(object_type) if object_type else None
    return model_kind(model) if model else ("记录" if object_type else "")


def object_display(event) -> str:
    """The object as staff know it: its kind and the label it was stored with."""
    if not event.object_type:
        return ""
    kind = object_kind(event.object_type)
    if not event.object_label:
        return f"{kind}（编号 {event.object_id}）"
    if event.object_label.startswith(kind):  # "资源链接 6（档案 …）" names its kind already
        return event.object_label
    return f"{kind} {event.object_label}"


def _models_for(object_type: str) -> list[type[models.Model]]:
    first = _model(object_type) if object_type else None
    others = [
        model
        for app in LEDGER_APPS
        if apps.is_installed(app)
        for model in apps.get_app_config(app).get_models()
        if model is not first
    ]
    return ([first] if first else []) + others


def field_label(name: str, object_type: str = "") -> str:
    """A field name as its label: the object's model first, then any ledger model. A protected
    identifier (D3) is named by its masked column: a reveal's "id_number" is 身份证号."""
    if name in EXTRA_FIELDS:
        return EXTRA_FIELDS[name]
    for model in _models_for(object_type):
        for column in (name, f"{name}_masked"):
            try:
                label = str(model._meta.get_field(column).verbose_name)
            except FieldDoesNotExist:
                continue
            if not label.isascii():  # Django's default, the name itself, is no label
                return label
    return name  # a name no model knows any more: shown as stored


def _fields(names: Iterable[str], object_type: str) -> str:
    return "、".join(field_label(str(name), object_type) for name in names) or "（无）"


def _user(pk: Any) -> str:
    user = get_user_model().objects.filter(pk=pk).first() if pk else None
    if user is None:
        return f"用户编号 {pk}" if pk else "（无）"
    return user.get_full_name() or user.get_username()


def _named(model_label: str, attribute: str, pk: Any, kind: str) -> str:
    model = _model(model_label)
    record = model.objects.filter(pk=pk).first() if model and pk else None
    if record is None:
        return f"{kind}编号 {pk}" if pk else "（无）"
    return str(getattr(record, attribute))


def _choice(choices: type[models.TextChoices], value: Any) -> str | None:
    return str(choices(value).label) if value in choices.values else None


def _reason(event, value: Any) -> str:
    if event.action == AuditAction.REVEAL:
        return str(value)  # typed by the user
    return REASONS.get(str(value), str(value))


def _count(value: Any) -> str:
    if value is None:
        return "未能计数（缓存不可用，每次都记录）"
    return f"本时段第 {value} 次"


def _previous(value: Any) -> str:
    if isinstance(value, dict) and value.get("count"):
        return f"共 {value['count']} 次"
    return _plain(value)


def _until(value: Any) -> str:
    moment = parse_datetime(str(value)) if value else None
    return local_time(moment) if moment else str(value)


def _kind(value: Any) -> str:
    return _choice(VisitKind, value) or _choice(PrintJobKind, value) or str(value)


def _plain(value: Any) -> str:
    """Any other value, worded without brackets or quotes."""
    if value is None or value == "":
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_plain(item) for item in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{KEY_LABELS.get(k, k)}：{_plain(v)}" for k, v in value.items())
    return str(value)


# detail key -> (label, how its value reads); the event is passed for keys whose codes depend on
# the action.
KEY_LABELS: dict[str, str] = {
    "fields": "涉及字段",
    "field": "查看的字段",
    "reason": "原因",
    "path": "访问地址",
    "status": "响应状态码",
    "window_seconds": "计数时段",
    "count": "次数",
    "previous_window": "上一时段",
    "query_keys": "查询参数名",
    "factor": "登录方式",
    "failures": "连续失败次数",
    "until": "锁定至",
    "method": "签发方式",
    "hours": "链接有效期",
    "purpose": "用途",
    "username_digest": "未知用户名的摘要",
    "worker": "社工",
    "agency": "社工机构",
    "household": "家庭档案",
    "handover": "移交记录",
    "note": "退回说明",
    "visit": "走访记录",
    "kind": "类型",
    "measures": "状态变化的帮扶措施",
    "needs_updated": "更新的帮扶需求",
    "needs_added": "新增的帮扶需求",
    "review_visit": "退出评估走访",
    "exit": "退出记录",
    "batch": "批量打印任务",
    "retry": "重新生成的批量打印任务",
    "street": "街道（乡镇）",
    "document": "文书",
    "pages": "页数",
    "attachment": "附件",
    "version": "计划版本",
    "route": "线索来源",
    "project": "服务项目",
    "seed": "随机种子",
    "year": "年度",
    "statistics": "统计表",  # issue 16: a statistics table exported
    "area": "统计范围",
    "format": "文件格式",  # an export's file: csv or xlsx
}


def _value(event, key: str, value: Any) -> str:
    object_type = event.object_type
    match key:
        case "fields":
            return _fields(value if isinstance(value, list) else [value], object_type)
        case "field":
            return field_label(str(value), object_type)
        case "reason":
            return _reason(event, value)
        case "window_seconds":
            minutes = value // 60 if isinstance(value, int) and value % 60 == 0 else None
            return f"{minutes} 分钟" if minutes else _plain(value)
        case "count":
            return _count(value)
        case "previous_window":
            return _previous(value)
        case "factor":
            return FACTORS.get(str(value), str(value))
        case "until":
            return _until(value)
        case "method":
            return METHODS.get(str(value), str(value))
        case "hours":
            return f"{value} 小时"
        case "purpose":
            return PURPOSES.get(str(value), str(value))
        case "worker":
            return _user(value)
        case "agency":
            return _named("backoffice.agency", "name", value, "机构")
        case "household":
            return _named("backoffice.household", "file_number", value, "档案")
        case "project":
            return _named("backoffice.serviceproject", "name", value, "项目")
        case "street":
            return _named("backoffice.area", "name", value, "区划")
        case "note":
            return "已填写" if value else "未填写"
        case "kind":
            return _kind(value)
        case "document":
            return _choice(PrintDocument, value) or str(value)
        case "route":
            return _choice(EntryRoute, value) or str(value)
        case "version":
            return f"第 {value} 版"
        case "measures" | "needs_updated" | "needs_added":
            return f"{len(value)} 项" if isinstance(value, list) else _plain(value)
        case "visit" | "review_visit":
            return f"走访编号 {value}"
        case "exit":
            return f"退出记录编号 {value}" if value else "（无）"
        case "handover":
            return f"移交编号 {value}"
        case "batch" | "retry":
            return f"任务编号 {value}"
        case "attachment":
            return f"附件编号 {value}"
    return _plain(value)


def detail_lines(event) -> list[tuple[str, str]]:
    """The detail dictionary as (label, text) lines, in the order it was written."""
    detail = event.detail
    if not isinstance(detail, dict):
        return [("详情", _plain(detail))] if detail else []
    lines = []
    for key, value in detail.items():
        if key == "route" and event.action == AuditAction.DENIED:
            continue  # the URL pattern behind `path`: how denials are counted, not what was asked
        lines.append((KEY_LABELS.get(key, "其他信息"), _value(event, key, value)))
    return lines
