"""Keys of their own for the receipt lookup codes and the recovery-code hashes (issue 19).

`SECRET_KEY` signs sessions, cookies and CSRF tokens, and must be rotatable at will. Receipt
lookup codes (printed on paper, never stored) and recovery-code hashes (stored, one-way) must
outlive such a rotation, so each has its own key:

- `RECEIPT_KEY` derives the 8-digit lookup code of a report reference;
- `RECOVERY_CODE_KEY` keys the hashes of recovery codes and enrolment-link tokens.

Each has `<NAME>_FALLBACKS`: keys it replaced, still accepted when checking (never used to
make a new code), so these keys can be rotated too.

Before these keys existed both were derived from `SECRET_KEY`. Receipts printed and recovery
codes issued then are still accepted through `LEGACY_SECRET_KEYS`: the `SECRET_KEY` values in
use before the upgrade. When unset it means "the current SECRET_KEY and SECRET_KEY_FALLBACKS",
so an upgrade alone breaks nothing; before rotating SECRET_KEY for the first time after the
upgrade, set LEGACY_SECRET_KEYS to the old value (README, "Keys"). These old values only ever
check codes from before the upgrade: nothing new is derived from them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _key(name: str) -> str:
    value = getattr(settings, name, "") or ""
    if not value:
        raise ImproperlyConfigured(f"{name} must be set.")
    return value


def legacy_secret_keys() -> list[str]:
    """The SECRET_KEY values the codes of before the upgrade were derived from."""
    configured = getattr(settings, "LEGACY_SECRET_KEYS", None)
    if configured is None:
        configured = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [key for key in configured if key]


def _accepted(name: str) -> list[str]:
    keys = [_key(name), *(getattr(settings, f"{name}_FALLBACKS", None) or [])]
    keys += legacy_secret_keys()
    return list(dict.fromkeys(key for key in keys if key))  # ordered, no duplicates


def receipt_key() -> str:
    return _key("RECEIPT_KEY")


def receipt_keys_accepted() -> list[str]:
    return _accepted("RECEIPT_KEY")


def recovery_code_key() -> str:
    return _key("RECOVERY_CODE_KEY")


def recovery_code_keys_accepted() -> list[str]:
    return _accepted("RECOVERY_CODE_KEY")
