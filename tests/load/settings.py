"""The load run's settings (tests/load/run.py): production's, served over plain HTTP on
127.0.0.1 (no TLS proxy in front), and the demo data allowed in the fresh database it seeds.
Everything else (the database, Redis, the keys, the trusted proxy) comes from the environment
as in production."""

from portal.settings.production import *  # noqa: F403

# No TLS here: a Secure cookie would never come back from the load generator.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
DEMO_DATA_ALLOWED = True
