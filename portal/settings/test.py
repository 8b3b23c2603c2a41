"""Fast, deterministic settings for the test suite (SQLite or DATABASE_URL)."""

import os

from portal.storage import storages_setting

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
FIELD_ENCRYPTION_KEY = "test-only-field-encryption-key-0123456789abcdef"
RECEIPT_KEY = "test-only-receipt-key-0123456789abcdef0123456789"
RECOVERY_CODE_KEY = "test-only-recovery-code-key-0123456789abcdef012345"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
VAR_DIR = BASE_DIR / "var" / "test"
MEDIA_ROOT = VAR_DIR / "media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
# The local disk whatever the environment says (the S3 tests set their bucket themselves).
STORAGES = storages_setting(
    private_root=PRIVATE_MEDIA_ROOT,
    staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
    environ={},
)
WAGTAILADMIN_BASE_URL = "http://testserver"
DEMO_DATA_ALLOWED = True
# Tasks run at once, inside the test (mails, batch prints); no worker in the suite.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Issue 16: every statistics page recounts its rollup at once (a test sees what it just wrote);
# the rollup's own tests, and the benchmark, set their own age.
STATISTICS_ROLLUP_SECONDS = 0

# make test-postgres gives every run its own database name so that runs never collide.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
