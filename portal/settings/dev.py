"""Local development: throwaway keys kept under var/, console mail, debug pages."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR


def _throwaway(name: str) -> str:
    """A random key generated once per checkout and kept in var/ (never committed)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / f"{name}.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


DEBUG = True
SECRET_KEY = _throwaway("secret")
FIELD_ENCRYPTION_KEY = _throwaway("field-encryption")
RECEIPT_KEY = _throwaway("receipt")
RECOVERY_CODE_KEY = _throwaway("recovery-code")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DEMO_DATA_ALLOWED = True
