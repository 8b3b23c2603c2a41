"""Re-verifying the one-time code before a bulk export (SECURITY E3, A3, C1).

A signed-in session is not enough to take many households' data away at once: a batch print
(and every bulk export after it) asks for a fresh code from the user's phone, checked here.
The code must come from the user's own confirmed TOTP device and must not have been used
before (the login's code, an earlier export's); django-otp refuses a replay and slows down
repeated failures (OTP_TOTP_THROTTLE_FACTOR). A recovery code is not accepted: it is for
getting in without the phone, not for exporting. Every refusal is audited as an OTP failure.

A refusal here is an outcome to keep, not a change to undo: the failure count on the device
and the audit entry must stay. So `otp_reverify` checks in a transaction of its own and raises
the refusal after it has committed, as the login does (services/auth.py). A wrong code counts
toward the username's login lock (A2): five wrong codes lock it as five wrong logins would, and
a locked username exports nothing until the lock runs out or is lifted.
"""

from __future__ import annotations

import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..actor import Actor
from ..enums import AuditAction, AuditOutcome
from .auth import accounts_locked, confirmed_totp_device, otp_failure_count
from .errors import RuleError
from .events import event_record

# The form field that carries the code (backoffice/forms/reauth.py): refusals are shown there.
CODE_FIELD = "otp_code"


class ReverifyRefused(RuleError):
    """The code was not accepted; the message says what to do, beside the code field."""


def _seconds_until(moment) -> int:
    return max(1, int((moment - timezone.now()).total_seconds()) + 1) if moment else 1


def otp_reverify(*, actor: Actor, code: str, purpose: str) -> None:
    """Accept `code` once from `actor`'s own TOTP device, or raise ReverifyRefused (beside the
    code field), already audited and counted.

    `purpose` names the export in the audit log ("batch_print"). Call it outside any
    transaction of yours: the refusal is raised after its own has committed."""
    detail = {"purpose": purpose}
    if actor.is_authenticated and accounts_locked([actor.user]):
        reason = "locked"
        message = _("该账号因连续输错已被锁定，暂时不能批量导出，请稍后再试或联系安全管理员。")
    else:
        with transaction.atomic():
            reason, message = _check(actor=actor, code=code)
        if reason is None:
            return
    if reason in ("wrong_or_used", "throttled"):  # as a wrong code at the login (A2)
        counted = otp_failure_count(actor=actor, detail={**detail, "reason": reason})
        if actor.is_authenticated and accounts_locked([actor.user]):
            message = counted.message  # this failure locked the username
    else:
        with transaction.atomic():
            event_record(
                actor=actor,
                action=AuditAction.OTP_FAILED,
                outcome=AuditOutcome.FAILURE,
                detail={**detail, "reason": reason},
            )
    raise ReverifyRefused(message, field=CODE_FIELD)


def _check(*, actor: Actor, code: str) -> tuple[str | None, str]:
    """(None, "") when the code is accepted, else (reason, message)."""
    # A Chinese input method may type full-width digits (１２３４５６): the same code.
    code = unicodedata.normalize("NFKC", code or "").replace(" ", "")
    device = confirmed_totp_device(actor.user) if actor.is_authenticated else None
    if device is None:
        return "no_device", _("该账号没有绑定手机验证器，不能批量导出；请联系安全管理员签发设备。")
    if not (code.isascii() and code.isdigit() and len(code) == device.digits):
        return "format", _("请输入手机验证器上显示的 %(digits)d 位数字动态口令。") % {
            "digits": device.digits
        }
    # One check at a time per device: two posts of the same code cannot both pass the replay
    # check (last_t) before either has recorded it.
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    allowed, throttle = device.verify_is_allowed()
    if allowed and device.verify_token(code):
        return None, ""
    if not allowed:
        seconds = _seconds_until((throttle or {}).get("locked_until"))
        return "throttled", _("动态口令错误次数过多，请 %(seconds)d 秒后输入新的动态口令。") % {
            "seconds": seconds
        }
    return "wrong_or_used", _(
        "动态口令不正确或已经使用过（每个动态口令只能使用一次）。"
        "请等手机验证器显示新的动态口令后重新输入。"
    )
