"""The cluster test's settings for seeding demo data: production's, from the same environment
as the nodes (the same keys, database and bucket), with demo data allowed. Only seed_demo
runs with these; the nodes and workers run portal.settings.production itself."""

from portal.settings.production import *  # noqa: F403

DEMO_DATA_ALLOWED = True
