import hashlib
import hmac
import unicodedata

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from portal import keys


def _hash_secret(value: str, key: str) -> str:
    normalised = value.strip().replace("-", "").lower().encode()
    return hmac.new(key.encode(), normalised, hashlib.sha256).hexdigest()


def hash_secret(value: str) -> str:
    """Keyed hash for one-time secrets (recovery codes, enrolment tokens): SECURITY A4.

    Keyed with RECOVERY_CODE_KEY, not SECRET_KEY, so rotating SECRET_KEY invalidates no code
    (issue 19; portal/keys.py)."""
    return _hash_secret(value, keys.recovery_code_key())


def secret_hashes_accepted(value: str) -> list[str]:
    """Every hash under which `value` may be stored: the current key's, the keys it replaced
    and, for codes issued before RECOVERY_CODE_KEY existed, the old SECRET_KEY values."""
    return [_hash_secret(value, key) for key in keys.recovery_code_keys_accepted()]


def throttle_key(username: str) -> str:
    """The login throttle's key for a typed username: a keyed hash, never the text (SECURITY C3).

    People type passwords into the username field; a key derived from SECRET_KEY keeps those
    out of the table and out of reach of a dictionary without the key. Normalised as Django
    normalises usernames (NFKC) and case-folded, so that spelling one name in other cases or
    Unicode forms shares its counter instead of earning fresh guesses (A2).
    """
    normalised = unicodedata.normalize("NFKC", (username or "").strip()).casefold()
    return salted_hmac("backoffice.login-throttle", normalised, algorithm="sha256").hexdigest()


class LoginThrottle(models.Model):
    """SECURITY A2: failures per username; five lock it for fifteen minutes.

    Keyed by `throttle_key(username)`. A row is also the lock that makes the count atomic:
    every attempt holds it (SELECT ... FOR UPDATE) from the lock check to the count.
    """

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveSmallIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")

    def __str__(self) -> str:
        return self.key[:12]

    def is_locked(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now


class RecoveryCodeDevice(Device):
    """Recovery codes as a django-otp device, so a session verified by one counts as verified.

    Unlike django-otp's static device, the codes are stored only as keyed hashes (SECURITY A4).
    """

    class Meta(Device.Meta):
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def verify_token(self, token) -> bool:
        digests = secret_hashes_accepted(str(token))
        code = self.codes.filter(code_hash__in=digests, used_at__isnull=True).first()
        if code is None:
            return False
        # Consume atomically: only the first of two concurrent uses wins.
        return bool(
            RecoveryCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
        )


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return _("恢复码（已使用）") if self.used_at else _("恢复码")


class EnrolmentLink(models.Model):
    """SECURITY A6: a one-time link an administrator issues so a user can bind a phone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.ForeignKey(
        "otp_totp.TOTPDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("设备绑定链接")
        verbose_name_plural = _("设备绑定链接")

    def __str__(self) -> str:
        return f"{self.user} · {self.expires_at:%Y-%m-%d %H:%M}"

    def is_usable(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.expires_at > now
