"""Back-office authentication: password + TOTP in one step, lockout, device issuance.

SECURITY A1-A7. There is one way in: the OTP login form and the enrolment link both check the
password here, under the username's lock (A2, A7), and every outcome is audited (C1). Messages
never say which factor was wrong. This is the only module that calls `authenticate()`.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..actor import Actor
from ..enums import AuditAction, AuditOutcome
from ..models import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from ..models.auth import hash_secret, secret_hashes_accepted, throttle_key
from .errors import RuleError
from .events import event_record

RECOVERY_CODE_COUNT = 10
ENROLMENT_LINK_HOURS = 72
# C3: how much of the keyed hash of an unknown username the audit keeps, enough to tell
# repeated attempts with the same text apart from others, never the text itself.
USERNAME_DIGEST_LENGTH = 12

T = TypeVar("T")


class LoginRefused(RuleError):
    """The login was refused; `message` is safe to show to the person at the keyboard."""


def _account(username: str):
    user_model = get_user_model()
    return user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()


def _generic_failure() -> LoginRefused:
    return LoginRefused(_("用户名、密码或动态口令不正确，请重新输入。"))


def _locked_message(locked_until) -> LoginRefused:
    minutes = max(1, int((locked_until - timezone.now()).total_seconds() // 60) + 1)
    return LoginRefused(
        _("该账号因连续登录失败已被锁定，请 %(minutes)d 分钟后再试，或联系系统管理员。")
        % {"minutes": minutes}
    )


class _Attempt:
    """One authentication attempt on one username, holding that username's throttle row.

    A2, A7: the row stays locked (SELECT ... FOR UPDATE) from the lock check through the password
    and code checks to the count or the reset, so attempts on one username run one after the
    other and every one sees the count the one before left. Reserving a failure before checking
    and giving it back after a success was the other way; it needs the success to undo exactly
    its own reservation without clearing a lock that parallel failures set meanwhile, which the
    row lock gets for free. The cost is that attempts on one username queue behind one password
    hash each, which is the point. On SQLite (transaction_mode IMMEDIATE) the transaction holds
    the database's write lock instead, and attempts on every username queue.
    """

    def __init__(self, *, actor: Actor, username: str) -> None:
        self.username = username
        self.account = _account(username)
        # The account when one matches; otherwise nobody: an unknown username is kept only as a
        # digest in `detail` (C3), since it may be a password typed into the wrong field.
        self.actor = dataclasses.replace(actor, user=self.account)
        self.key = throttle_key(username)
        LoginThrottle.objects.bulk_create([LoginThrottle(key=self.key)], ignore_conflicts=True)
        self.throttle = LoginThrottle.objects.select_for_update().get(pk=self.key)
        self.now = timezone.now()  # after the wait for the row

    def record(
        self,
        action: AuditAction,
        *,
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
        detail: dict[str, Any] | None = None,
        obj=None,
    ) -> None:
        detail = dict(detail or {})
        if self.account is None:
            detail["username_digest"] = self.key[:USERNAME_DIGEST_LENGTH]
        event_record(actor=self.actor, action=action, outcome=outcome, detail=detail, obj=obj)

    def refuse_if_locked(self) -> None:
        throttle = self.throttle
        if throttle.is_locked(now=self.now):
            self.record(AuditAction.LOCKED_ATTEMPT, outcome=AuditOutcome.DENIED)
            raise _locked_message(throttle.locked_until)
        if throttle.locked_until is not None:
            # The lock has run out: record the unlock once and start counting afresh.
            throttle.failures = 0
            throttle.locked_until = None
            throttle.save(update_fields=["failures", "locked_until"])
            self.record(AuditAction.UNLOCKED, detail={"reason": "expired"})

    def failed(self, action: AuditAction, **detail: Any) -> LoginRefused:
        """Count a failure; the fifth locks the username (A2). Returns the refusal to raise."""
        throttle = self.throttle
        throttle.failures += 1
        throttle.last_failure_at = self.now
        locked_now = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
        if locked_now:
            throttle.locked_until = self.now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        throttle.save(update_fields=["failures", "last_failure_at", "locked_until"])
        self.record(
            action, outcome=AuditOutcome.FAILURE, detail={"failures": throttle.failures, **detail}
        )
        if locked_now:
            self.record(
                AuditAction.LOCKED,
                outcome=AuditOutcome.DENIED,
                detail={"until": throttle.locked_until.isoformat()},
            )
            return _locked_message(throttle.locked_until)
        return _generic_failure()

    def succeeded(self) -> None:
        """Both factors were right: the count starts again. No lock can have been set since the
        check, because every other attempt on this username waits for this row."""
        throttle = self.throttle
        if throttle.failures or throttle.locked_until or throttle.last_failure_at:
            throttle.failures = 0
            throttle.locked_until = None
            throttle.last_failure_at = None
            throttle.save(update_fields=["failures", "locked_until", "last_failure_at"])


def _throttled(*, actor: Actor, username: str, check: Callable[[_Attempt], T]) -> T:
    """Run `check` for `username` under its throttle row, refusing at once while it is locked.

    A LoginRefused raised by `check` is raised after the transaction commits, so the count and
    the audit entries stay. Call it outside any transaction of your own: a refusal raised
    through an outer atomic block would roll the count back with it.
    """
    with transaction.atomic():
        attempt = _Attempt(actor=actor, username=username)
        try:
            attempt.refuse_if_locked()
            return check(attempt)
        except LoginRefused as refused:
            refusal = refused
    raise refusal


def _password_check(attempt: _Attempt, password: str):
    """The password of the attempt's username, counted as a failure when wrong (A2)."""
    user = authenticate(None, username=attempt.username, password=password)
    if user is None or attempt.account is None or user.pk != attempt.account.pk:
        raise attempt.failed(AuditAction.LOGIN_FAILED)
    return user


def confirmed_totp_device(user) -> TOTPDevice | None:
    # django-otp 1.7.5 no longer tries every device: pick the user's confirmed TOTP device.
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def login_verify(*, actor: Actor, username: str, password: str, token: str):
    """Check password and one-time code together. Returns (user, device) or raises LoginRefused.

    A missing code is a wrong code: the attempt counts toward the lock either way (A7).
    """
    username = (username or "").strip()

    def check(attempt: _Attempt):
        user = _password_check(attempt, password)
        code = (token or "").strip().replace(" ", "")
        totp = confirmed_totp_device(user)
        recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
        if totp is None and recovery is None:
            attempt.record(
                AuditAction.OTP_FAILED, outcome=AuditOutcome.DENIED, detail={"reason": "no_device"}
            )
            raise LoginRefused(
                _("该账号尚未绑定动态口令设备，请联系安全管理员签发设备或绑定链接。")
            )
        if totp is not None:
            # A3: one code, one use, also against a re-verification (services/reauth.py) of the
            # same code at the same moment, which locks the device row too.
            totp = TOTPDevice.objects.select_for_update().get(pk=totp.pk)
        device = None
        if totp is not None and code.isdigit() and len(code) == totp.digits:
            # TOTPDevice refuses a replayed code (last_t) and throttles repeated failures (A3).
            if totp.verify_is_allowed()[0] and totp.verify_token(code):
                device = totp
        elif recovery is not None and len(code) >= 8 and recovery.verify_token(code):
            device = recovery
        if device is None:
            raise attempt.failed(AuditAction.OTP_FAILED)
        attempt.succeeded()
        return user, device

    return _throttled(actor=actor, username=username, check=check)


def password_confirm(*, actor: Actor, password: str) -> None:
    """A signed-in user retypes the password (to change it): under the same lock and count as
    the login (A2, A7), so a session left open is no way to guess the password. A right
    password does not reset the count: it proves one factor only."""
    _throttled(
        actor=actor,
        username=actor.username,
        check=lambda attempt: _password_check(attempt, password),
    )


def otp_failure_count(*, actor: Actor, detail: dict[str, Any]) -> LoginRefused:
    """A wrong code typed while signed in (a bulk export's re-verification, E3) counts toward
    the username's lock like a login's wrong code (A2), audited once as an OTP failure.
    Returns the refusal: the locked message when this failure locked the username."""

    def fail(attempt: _Attempt):
        raise attempt.failed(AuditAction.OTP_FAILED, **detail)

    try:
        _throttled(actor=actor, username=actor.username, check=fail)
    except LoginRefused as refused:
        return refused
    raise AssertionError("fail() always refuses")  # pragma: no cover


def accounts_locked(users: Iterable) -> set[int]:
    """The ids of those of `users` whose username is locked now (for the device list)."""
    by_key: dict[str, list[int]] = {}
    for user in users:
        by_key.setdefault(throttle_key(user.get_username()), []).append(user.pk)
    locked = LoginThrottle.objects.filter(key__in=by_key, locked_until__gt=timezone.now())
    return {pk for key in locked.values_list("key", flat=True) for pk in by_key[key]}


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
def otp_device_issue(*, actor: Actor, user) -> IssuedDevice:
    """Replace the user's devices with a new confirmed TOTP device and fresh recovery codes.

    The secret and the codes are returned once, to be shown once (SECURITY A4, A6).
    """
    TOTPDevice.objects.filter(user=user).delete()
    device, secret_b32 = _new_totp_device(user, confirmed=True)
    codes = _new_recovery_codes(user)
    event_record(
        actor=actor,
        action=AuditAction.DEVICE_ISSUED,
        obj=user,
        detail={"method": "qr"},
    )
    return IssuedDevice(device, secret_b32, device.config_url, codes)


@transaction.atomic
def enrolment_link_create(*, actor: Actor, user, hours: int = ENROLMENT_LINK_HOURS) -> str:
    """A one-time enrolment token (only its hash is kept); earlier unused links are revoked."""
    EnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(expires_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user=user,
        token_hash=hash_secret(raw),
        created_by_id=actor.user_id,
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    event_record(
        actor=actor,
        action=AuditAction.ENROLMENT_LINK,
        obj=user,
        detail={"hours": hours},
    )
    return raw


def enrolment_link_get(raw_token: str) -> EnrolmentLink | None:
    link = (
        EnrolmentLink.objects.select_related("user")
        .filter(token_hash__in=secret_hashes_accepted(raw_token))
        .first()
    )
    if link is None or not link.is_usable():
        return None
    return link


def enrolment_start(*, actor: Actor, link: EnrolmentLink, password: str) -> tuple[TOTPDevice, str]:
    """Step 1: the user proves the password; an unconfirmed device is attached to the link.

    A7: the same lock and count as the login. A right password here does not reset the count:
    it proves one factor only, and resetting would let someone who knows the password and holds
    the link win fresh guesses at the code of the login.
    """

    def check(attempt: _Attempt) -> tuple[TOTPDevice, str]:
        _password_check(attempt, password)
        if link.device_id:
            TOTPDevice.objects.filter(pk=link.device_id, confirmed=False).delete()
        device, secret_b32 = _new_totp_device(link.user, confirmed=False)
        link.device = device
        link.save(update_fields=["device"])
        return device, secret_b32

    return _throttled(actor=actor, username=link.user.get_username(), check=check)


def enrolment_confirm(*, actor: Actor, link: EnrolmentLink, code: str) -> list[str]:
    """Step 2: a code from the new device confirms it; the link is spent. Returns recovery codes.

    Refused while the username is locked (A7); a wrong code is audited but not counted, since
    the secret it comes from was just shown to whoever passed step 1.
    """

    def check(attempt: _Attempt) -> list[str]:
        device = link.device
        if device is None or not device.verify_token((code or "").strip()):
            attempt.record(
                AuditAction.OTP_FAILED, outcome=AuditOutcome.FAILURE, detail={"reason": "enrolment"}
            )
            raise LoginRefused(_("动态口令不正确，请确认手机时间准确后重新输入。"))
        TOTPDevice.objects.filter(user=link.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        codes = _new_recovery_codes(link.user)
        attempt.record(AuditAction.DEVICE_ENROLLED, obj=link.user)
        return codes

    return _throttled(actor=actor, username=link.user.get_username(), check=check)


@transaction.atomic
def throttle_unlock(*, actor: Actor, user) -> None:
    """A security administrator ends a user's lock now (A2); audited with the account."""
    LoginThrottle.objects.filter(key=throttle_key(user.get_username())).update(
        failures=0, locked_until=None, last_failure_at=None
    )
    event_record(
        actor=actor, action=AuditAction.UNLOCKED, obj=user, detail={"reason": "administrator"}
    )
