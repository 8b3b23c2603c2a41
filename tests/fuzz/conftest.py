"""Issue 19, item 5: property-based fuzzing (hypothesis) of what the public and the importers
send. Kept fast for `make test`: a bounded number of examples (FUZZ_EXAMPLES=500 for a long
hunt), no deadline (the machine is shared with the rest of the suite), and no database of
saved examples (a failing run prints the seed that repeats it)."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, settings

settings.register_profile(
    "portal",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 25),
    deadline=None,
    database=None,
    # CI runs the same examples every time (a submission is not blocked by a new find in
    # code it did not touch); a developer's run explores new ones.
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("portal")

UNLIMITED = 10**9


@pytest.fixture
def no_rate_limits():
    """The per-IP limits (intake/throttling.py) lifted through their settings: the fuzzer
    sends hundreds of forms from one address."""
    with override_settings(
        INTAKE_REPORTS_PER_IP_PER_HOUR=UNLIMITED,
        INTAKE_FAILED_REPORTS_PER_IP_PER_HOUR=UNLIMITED,
        INTAKE_LOOKUPS_PER_IP_PER_HOUR=UNLIMITED,
    ):
        yield
