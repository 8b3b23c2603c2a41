"""Settings of the gunicorn server that `make bench` starts for the intake benchmark.

The real intake pipeline (validation, encryption, consent, outbox, on-commit delivery to the
local-memory mail backend) beside a bare Django form-insert view, on PostgreSQL.
"""

from pathlib import Path

from portal.settings.test import *  # noqa: F403
from portal.settings.test import INSTALLED_APPS, TEMPLATES

INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.bareapp.apps.BareAppConfig"]
ROOT_URLCONF = "tests.bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).parent / "templates"]
# One client address sends every request: the per-IP limit would otherwise answer 429.
INTAKE_REPORTS_PER_IP_PER_HOUR = 10**9
# As in production (base settings): the request writes the report, its outbox rows and a task
# row; the database worker (`manage.py db_worker`) delivers the mail outside the request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
