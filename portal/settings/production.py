"""Production: identical to base except what the environment provides.

Required: SECRET_KEY, FIELD_ENCRYPTION_KEY (or FIELD_ENCRYPTION_KEYS), RECEIPT_KEY,
RECOVERY_CODE_KEY, ALLOWED_HOSTS (comma separated), DATABASE_URL.
Optional: REDIS_URL (cache and rate limits), STORAGE_S3_* (files in a bucket, see
portal/storage.py), EMAIL_HOST/EMAIL_PORT/EMAIL_HOST_USER/EMAIL_HOST_PASSWORD/EMAIL_USE_TLS,
WAGTAILADMIN_BASE_URL.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.storage import storages_setting

from .base import *  # noqa: F403
from .base import _key_list


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"Environment variable {name} is required in production.")
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
# Issue 19: FIELD_ENCRYPTION_KEYS (current first, comma separated) or the single key.
FIELD_ENCRYPTION_KEYS = _key_list("FIELD_ENCRYPTION_KEYS")
FIELD_ENCRYPTION_KEY = (
    FIELD_ENCRYPTION_KEYS[0] if FIELD_ENCRYPTION_KEYS else _required("FIELD_ENCRYPTION_KEY")
)
RECEIPT_KEY = _required("RECEIPT_KEY")
RECOVERY_CODE_KEY = _required("RECOVERY_CODE_KEY")
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS if not h.startswith(".")]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Files on this node's disk, or in the S3-compatible bucket named by STORAGE_S3_BUCKET (with
# STORAGE_S3_ENDPOINT_URL, STORAGE_S3_ACCESS_KEY_ID, STORAGE_S3_SECRET_ACCESS_KEY and
# STORAGE_S3_REGION): required for more than one node (portal/storage.py).
STORAGES = storages_setting(
    private_root=PRIVATE_MEDIA_ROOT,
    staticfiles_backend="whitenoise.storage.CompressedManifestStaticFilesStorage",
)
# Background jobs: the database backend of base.py; run `manage.py db_worker` beside the web
# processes (one or more per node).

if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1") == "1"

# Issue 19: JSON lines on stdout (portal/ops.py's formatter), each with the request's id, and
# one access line per request (route pattern, status, duration: no query string, no body).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.ops.RequestIdFilter"}},
    "formatters": {"json": {"()": "portal.ops.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "portal.access": {"level": os.environ.get("ACCESS_LOG_LEVEL", "INFO")},
    },
}
