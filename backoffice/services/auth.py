"""Back-office authentication: password + TOTP in one step, lockout, device issuance.

SECURITY A1-A6. Every outcome is audited; messages never say which factor was wrong.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.client import client_address

from ..actor import Actor
from ..enums import AuditAction, AuditOutcome, Channel
from ..models import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from ..models.auth import hash_secret
from .errors import RuleError
from .events import event_record

RECOVERY_CODE_COUNT = 10
ENROLMENT_LINK_HOURS = 72


class LoginRefused(RuleError):
    """The login was refused; `message` is safe to show to the person at the keyboard."""


def _account(username: str):
    return get_user_model().objects.filter(username=username).first()


def _web_actor(request, user=None) -> Actor:
    """Who is at the keyboard: the account concerned (when one matches), from where."""
    return Actor(user=user, channel=Channel.WEB, ip=client_address(request))


def _generic_failure() -> LoginRefused:
    return LoginRefused(_("用户名、密码或动态口令不正确，请重新输入。"))


def _locked_message(locked_until) -> LoginRefused:
    minutes = max(1, int((locked_until - timezone.now()).total_seconds() // 60) + 1)
    return LoginRefused(
        _("该账号因连续登录失败已被锁定，请 %(minutes)d 分钟后再试，或联系系统管理员。")
        % {"minutes": minutes}
    )


def _register_failure(*, request, username: str, action: AuditAction, user=None) -> LoginRefused:
    """Count a failure; the fifth locks the username (SECURITY A2)."""
    now = timezone.now()
    with transaction.atomic():
        throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
            username=username
        )
        if throttle.locked_until and throttle.locked_until <= now:
            throttle.failures = 0
            throttle.locked_until = None
        throttle.failures += 1
        throttle.last_failure_at = now
        locked_now = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
        if locked_now:
            throttle.locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        throttle.save()
    event_record(
        actor=_web_actor(request, user or _account(username)),
        action=action,
        outcome=AuditOutcome.FAILURE,
        detail={"failures": throttle.failures},
    )
    if locked_now:
        event_record(
            actor=_web_actor(request, user or _account(username)),
            action=AuditAction.LOCKED,
            outcome=AuditOutcome.DENIED,
            detail={"until": throttle.locked_until.isoformat()},
        )
        return _locked_message(throttle.locked_until)
    return _generic_failure()


def confirmed_totp_device(user) -> TOTPDevice | None:
    # django-otp 1.7.5 no longer tries every device: pick the user's confirmed TOTP device.
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def login_verify(*, request, username: str, password: str, token: str):
    """Check password and one-time code together. Returns (user, device) or raises LoginRefused."""
    username = (username or "").strip()
    throttle = LoginThrottle.objects.filter(username=username).first()
    if throttle is not None and throttle.is_locked():
        event_record(
            actor=_web_actor(request, _account(username)),
            action=AuditAction.LOCKED_ATTEMPT,
            outcome=AuditOutcome.DENIED,
        )
        raise _locked_message(throttle.locked_until)
    if throttle is not None and throttle.locked_until is not None:
        # The lock has run out: record the unlock once and start counting afresh.
        LoginThrottle.objects.filter(pk=username).update(failures=0, locked_until=None)
        event_record(
            actor=_web_actor(request, _account(username)),
            action=AuditAction.UNLOCKED,
            detail={"reason": "expired"},
        )

    user = authenticate(request, username=username, password=password)
    if user is None:
        raise _register_failure(request=request, username=username, action=AuditAction.LOGIN_FAILED)

    token = (token or "").strip().replace(" ", "")
    device = None
    totp = confirmed_totp_device(user)
    if totp is None and not RecoveryCodeDevice.objects.filter(user=user, confirmed=True).exists():
        event_record(
            actor=_web_actor(request, user),
            action=AuditAction.OTP_FAILED,
            outcome=AuditOutcome.DENIED,
            detail={"reason": "no_device"},
        )
        raise LoginRefused(_("该账号尚未绑定动态口令设备，请联系安全管理员签发设备或绑定链接。"))
    if token:
        if totp is not None and token.isdigit() and len(token) == totp.digits:
            # TOTPDevice refuses a replayed code (last_t) and throttles repeated failures (A3).
            if totp.verify_is_allowed()[0] and totp.verify_token(token):
                device = totp
        elif len(token) >= 8:
            recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
            if recovery is not None and recovery.verify_token(token):
                device = recovery
    if device is None:
        raise _register_failure(
            request=request, username=username, action=AuditAction.OTP_FAILED, user=user
        )
    LoginThrottle.objects.filter(pk=username).delete()
    return user, device


def _new_totp_device(user, *, confirmed: bool) -> tuple[TOTPDevice, str]:
    key = secrets.token_bytes(20)
    device = TOTPDevice.objects.create(
        user=user, name=_("手机验证器"), key=key.hex(), confirmed=confirmed
    )
    return device, base64.b32encode(key).decode().rstrip("=")


def _new_recovery_codes(user) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=_("恢复码"), confirmed=True)
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        RecoveryCode.objects.create(device=device, code_hash=hash_secret(raw))
    return codes


@dataclass(frozen=True)
class IssuedDevice:
    device: TOTPDevice
    secret_b32: str
    config_url: str
    recovery_codes: list[str]


@transaction.atomic
def otp_device_issue(*, request, admin, user) -> IssuedDevice:
    """Replace the user's devices with a new confirmed TOTP device and fresh recovery codes.

    The secret and the codes are returned once, to be shown once (SECURITY A4, A6).
    """
    TOTPDevice.objects.filter(user=user).delete()
    device, secret_b32 = _new_totp_device(user, confirmed=True)
    codes = _new_recovery_codes(user)
    event_record(
        actor=_web_actor(request, admin),
        action=AuditAction.DEVICE_ISSUED,
        obj=user,
        detail={"method": "qr"},
    )
    return IssuedDevice(device, secret_b32, device.config_url, codes)


@transaction.atomic
def enrolment_link_create(*, request, admin, user, hours: int = ENROLMENT_LINK_HOURS) -> str:
    """A one-time enrolment token (only its hash is kept); earlier unused links are revoked."""
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user=user,
        token_hash=hash_secret(raw),
        created_by_id=admin.pk,
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    event_record(
        actor=_web_actor(request, admin),
        action=AuditAction.ENROLMENT_LINK,
        obj=user,
        detail={"hours": hours},
    )
    return raw


def enrolment_link_get(raw_token: str) -> EnrolmentLink | None:
    link = (
        EnrolmentLink.objects.select_related("user")
        .filter(token_hash=hash_secret(raw_token))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    return link


@transaction.atomic
def enrolment_start(*, request, link: EnrolmentLink, password: str) -> tuple[TOTPDevice, str]:
    """Step 1: the user proves the password; an unconfirmed device is attached to the link."""
    user = authenticate(request, username=link.user.get_username(), password=password)
    if user is None:
        raise _register_failure(
            request=request, username=link.user.get_username(), action=AuditAction.LOGIN_FAILED
        )
    if link.device_id:
        TOTPDevice.objects.filter(pk=link.device_id, confirmed=False).delete()
    device, secret_b32 = _new_totp_device(link.user, confirmed=False)
    link.device = device
    link.save(update_fields=["device"])
    return device, secret_b32


@transaction.atomic
def enrolment_confirm(*, request, link: EnrolmentLink, code: str) -> list[str]:
    """Step 2: a code from the new device confirms it; the link is spent. Returns recovery codes."""
    device = link.device
    if device is None or not device.verify_token((code or "").strip()):
        raise LoginRefused(_("动态口令不正确，请确认手机时间准确后重新输入。"))
    TOTPDevice.objects.filter(user=link.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    codes = _new_recovery_codes(link.user)
    event_record(
        actor=_web_actor(request, link.user), action=AuditAction.DEVICE_ENROLLED, obj=link.user
    )
    return codes


def throttle_unlock(*, request, admin, username: str) -> None:
    LoginThrottle.objects.filter(pk=username).delete()
    event_record(
        actor=_web_actor(request, admin),
        action=AuditAction.UNLOCKED,
        detail={"reason": "administrator", "username": username},
    )
