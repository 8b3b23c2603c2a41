"""Settings shared by every environment.

Production differs from this only through environment variables (see production.py):
DATABASE_URL, SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS, REDIS_URL, EMAIL_*.
"""

import os
from pathlib import Path

import dj_database_url

from portal.storage import storages_setting

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "portal",
    "intake",
    "backoffice",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]
# SECURITY A1: django.contrib.admin is deliberately absent; the only back office is
# the OTP-gated Wagtail admin.

MIDDLEWARE = [
    # Issue 19: a request id on every response and log line, and /metrics' counters.
    "portal.ops.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.RequestSanityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "backoffice.middleware.BackOfficeGuardMiddleware",
    "backoffice.wagtail_endpoints.WagtailEndpointGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Issue 19: the file store down answers 503 with a Chinese page (portal/storage_down.py).
    "portal.storage_down.StorageDownMiddleware",
    # Innermost: a published page already rendered is answered without routing (issue 14).
    "portal.cache.PublishedPageCacheMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict:
    """PostgreSQL when DATABASE_URL is set, else the embedded SQLite file in WAL mode."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite,
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": database_from_env(VAR_DIR / "db.sqlite3")}
# Issue 16: a read replica serves the statistics' heavy reads (inside `portal.db.replica_reads`);
# every other read and every write stay on "default". Tests mirror it onto the test database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["portal.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# SECURITY E1: private uploads live outside MEDIA_ROOT and are served only through views.
PRIVATE_MEDIA_ROOT = VAR_DIR / "private"
# Issue 19: "private" (E1 files, intake/uploads.py's private_storage) and "default" (media) on
# the local disk, or in an S3-compatible bucket when STORAGE_S3_BUCKET is set
# (portal/storage.py says which variables).
STORAGES = storages_setting(
    private_root=PRIVATE_MEDIA_ROOT,
    staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
)

# SECURITY G5: explicit request limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

# Wagtail
WAGTAIL_SITE_NAME = "北京市民政局 精准救助帮扶台账"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_USER_LOGIN_FORM = "backoffice.forms.auth.OTPLoginForm"
WAGTAIL_PASSWORD_RESET_ENABLED = False  # SECURITY A5: a reset must never skip the code
# A2, A7: Wagtail's own password panel checks the old password with no lockout; the account
# page gets backoffice/account.py's instead (registered in backoffice/wagtail_hooks.py).
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# P1: Wagtail's search (the admin's page search) segments Chinese queries with jieba like
# /search/ does (portal/search/wagtail_backend.py); INNER is the real backend.
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "portal.search.wagtail_backend",
        "INNER": "wagtail.search.backends.database",
    }
}
# The public site (issue 14): rendered pages are cached this long (portal/cache.py); any
# publish or menu change makes them stale at once.
PORTAL_PAGE_CACHE_SECONDS = int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "300"))
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
# Issue 13: the back office is the bureau's ledger and speaks only Chinese (the project's own
# translations of what Wagtail and Django leave in English live in locale/). No avatar from
# gravatar.com (the CSP blocks it: a broken image; and no staff e-mail hash leaves the bureau),
# no call to Wagtail's release server and no English "what's new" or upgrade banner; every
# user works in Beijing time, so the account page offers no other time zone.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_USER_TIME_ZONES = ["Asia/Shanghai"]

LOGIN_URL = "wagtailadmin_login"

# SECURITY A5: idle timeout 30 minutes, absolute 12 hours, enforced by BackOfficeGuardMiddleware.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_TIMEOUT_SECONDS = 30 * 60
SESSION_ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# SECURITY A2: five failures lock a username for fifteen minutes.
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60

OTP_TOTP_ISSUER = "北京民政救助台账"
OTP_TOTP_THROTTLE_FACTOR = 1

# SECURITY F2
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# SECURITY D2: published statistics show counts of 1 to this number as "<10" and hide enough
# other cells that none of them can be worked out from the totals.
STATISTICS_SMALL_CELL_MAX = 9
# Issue 16: the back-office statistics of the city, districts and streets are drawn from counts
# stored by `manage.py statistics_refresh`; a page finding them older than this asks for a refresh.
STATISTICS_ROLLUP_SECONDS = int(os.environ.get("STATISTICS_ROLLUP_SECONDS", "600"))

# Keys for protected identifiers (SECURITY D3); the dev and test settings make throwaway ones.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")


def _key_list(name: str) -> list[str]:
    return [key.strip() for key in os.environ.get(name, "").split(",") if key.strip()]


# Issue 19: field-encryption keys by version, the current one first, older ones still read
# (portal/identity.py; `manage.py rotate_field_key` re-encrypts under the first). Empty: the
# single FIELD_ENCRYPTION_KEY. Blind indexes use FIELD_BLIND_INDEX_KEY when set, else the
# current key: pin it to the old key before a rotation (README, "Keys").
FIELD_ENCRYPTION_KEYS = _key_list("FIELD_ENCRYPTION_KEYS")
FIELD_BLIND_INDEX_KEY = os.environ.get("FIELD_BLIND_INDEX_KEY", "")
# Issue 19: receipt lookup codes and recovery-code hashes have keys of their own, so rotating
# SECRET_KEY breaks neither (portal/keys.py). *_FALLBACKS: replaced keys, still accepted.
RECEIPT_KEY = os.environ.get("RECEIPT_KEY", "")
RECEIPT_KEY_FALLBACKS = _key_list("RECEIPT_KEY_FALLBACKS")
RECOVERY_CODE_KEY = os.environ.get("RECOVERY_CODE_KEY", "")
RECOVERY_CODE_KEY_FALLBACKS = _key_list("RECOVERY_CODE_KEY_FALLBACKS")
# The SECRET_KEY values that made the codes of before those keys existed; unset (None) means
# the current SECRET_KEY and SECRET_KEY_FALLBACKS.
LEGACY_SECRET_KEYS = _key_list("LEGACY_SECRET_KEYS") if "LEGACY_SECRET_KEYS" in os.environ else None

# D5 (issue 19): how long personal data is kept; `manage.py apply_retention` (daily, cron)
# anonymizes or deletes what is due. Attachments of rejected reports go this many days after
# the rejection; the personal data of a household that left the ledger this many years after
# it left; audit entries after AUDIT_RETENTION_DAYS, which may never be under six months (the
# network-log minimum: refused here, by the command, and by the database on PostgreSQL).
RETENTION_REJECTED_ATTACHMENTS_DAYS = int(
    os.environ.get("RETENTION_REJECTED_ATTACHMENTS_DAYS", "180")
)
RETENTION_EXITED_HOUSEHOLD_YEARS = int(os.environ.get("RETENTION_EXITED_HOUSEHOLD_YEARS", "5"))
# A batch print's PDF (every plan of a street, names and ID numbers in it) is deleted this many
# days after it was made; the job's row stays, and a new print gives the file again.
RETENTION_PRINT_FILES_DAYS = int(os.environ.get("RETENTION_PRINT_FILES_DAYS", "7"))
AUDIT_RETENTION_MIN_DAYS = 184  # six months, counted as the longest six months can be
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", str(3 * 365)))
if AUDIT_RETENTION_DAYS < AUDIT_RETENTION_MIN_DAYS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS may not be under 184 (six months).")

# Intake (issue 4). The public app names the area model instead of importing the back office.
INTAKE_AREA_MODEL = "backoffice.Area"
# G1: who hears of a new report; the triage queue is the real channel, mail is a nudge.
INTAKE_NOTIFY_EMAILS = [
    address.strip()
    for address in os.environ.get("INTAKE_NOTIFY_EMAILS", "intake-duty@localhost").split(",")
    if address.strip()
]
# C1, E5: the reverse proxies whose X-Forwarded-For is believed (portal/client.py), as
# addresses or networks, comma separated: "127.0.0.1" when nginx runs on the same machine.
TRUSTED_PROXIES = [
    proxy.strip() for proxy in os.environ.get("TRUSTED_PROXIES", "").split(",") if proxy.strip()
]
# E5: per-IP limits per clock hour, counted in the cache (Redis in production), by client
# address (portal/client.py). The report form counts two things apart (issue 13, item 8):
# - Accepted reports: strict, because each one writes a report, a mail and a task for a
#   station. A residents' committee office files its residents' reports from one address
#   (often a whole street office behind one NAT): a person takes 5-10 minutes per report, so
#   two or three staff filing during a sweep reach about 20-30 an hour; 30 lets them, and
#   keeps a flood to 30 rows an hour per address. A double click or a replayed form is not
#   counted again (G2: it shows the first receipt).
INTAKE_REPORTS_PER_IP_PER_HOUR = int(os.environ.get("INTAKE_REPORTS_PER_IP_PER_HOUR", "30"))
# - Refused attempts (a field to correct, files too large, a form changed after sending):
#   generous, because they write nothing and a typo only needs correcting. That same office
#   sending 30 reports with two or three corrections each stays under 120; a script trying
#   the validator hundreds of times an hour does not.
INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR = int(
    os.environ.get("INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR", "120")
)
# - Status lookups keep their own limit: it stops guessing of the 8-digit lookup codes.
INTAKE_LOOKUPS_PER_IP_PER_HOUR = int(os.environ.get("INTAKE_LOOKUPS_PER_IP_PER_HOUR", "30"))
# G5, E1: what the form announces is what the server enforces. Each file up to 10 MB, five
# supporting files plus an entrustment letter, and all files of one report together up to
# 30 MB (a phone's photos of a few documents; the form checks it before sending when script
# runs). The request limit adds room for the text fields and the multipart framing, so that
# no report within the announced limits is ever refused as too large.
INTAKE_MAX_FILE_BYTES = 10 * 1024 * 1024
INTAKE_MAX_FILES = 5
INTAKE_MAX_UPLOAD_BYTES = 30 * 1024 * 1024
INTAKE_MAX_REQUEST_BYTES = INTAKE_MAX_UPLOAD_BYTES + 2 * 1024 * 1024
# A report above the request limit but below this one is read with its files dropped as they
# arrive (nothing kept in memory or on disk), so the "too large" answer gives back the form
# with everything typed; a larger body is refused unread. Behind nginx, which buffers the
# whole body first, its client_max_body_size must be at least this much.
INTAKE_OVERSIZED_READ_BYTES = 100 * 1024 * 1024
INTAKE_MAX_IMAGE_PIXELS = 40_000_000

# Background jobs (DESIGN.md): queued in the database, run by `manage.py db_worker` (`make run`
# starts one beside runserver). The test settings run tasks immediately instead.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Issue 19: a task or batch print still running after this long lost its worker (killed, node
# gone); `manage.py tasks_recover` (cron) marks it failed, and a print can be run again.
TASKS_STALE_MINUTES = int(os.environ.get("TASKS_STALE_MINUTES", "30"))

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # Issue 19: Redis, and this process's memory while Redis does not answer
            # (portal/cache_backend.py); a dead Redis costs a request half a second at most.
            "BACKEND": "portal.cache_backend.FailoverRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
# E5, issue 19: while the shared cache is unreachable, each process counts the public forms'
# rate limits on its own and allows this fraction of each limit (1/4: a few processes together
# still stay near the shared limit).
RATE_LIMIT_LOCAL_DIVISOR = 4

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@mzj.beijing.example")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Issue 19: every record carries the request's id (portal/ops.py); production writes JSON.
    "filters": {"request_id": {"()": "portal.ops.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# Issue 19: who may read /metrics (addresses or networks, comma separated), as the client
# address is worked out for the rate limits (TRUSTED_PROXIES); anyone else gets a 404.
METRICS_ALLOWED_IPS = [
    entry.strip()
    for entry in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1").split(",")
    if entry.strip()
]

# seed_demo refuses to run unless the settings allow demo data (dev and test only).
DEMO_DATA_ALLOWED = False
