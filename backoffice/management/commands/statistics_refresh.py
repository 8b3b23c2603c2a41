"""Issue 16: refresh the statistics rollups (cron, every few minutes; README, "Statistics").

The back-office statistics pages of the city, the districts and the streets are drawn from
counts stored by this command (services/statistics.py, "The rollup"); a page older than
STATISTICS_ROLLUP_SECONDS also asks the background worker for a refresh of its own area.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from backoffice.services.statistics import statistics_refresh


class Command(BaseCommand):
    help = "Recount the statistics of the city, every district and every street (the rollups)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--area",
            action="append",
            dest="areas",
            help='Only this area code ("city" for all of Beijing); may be given several times.',
        )

    def handle(self, *args, areas=None, **options):
        started = time.perf_counter()
        count = statistics_refresh(areas)
        seconds = time.perf_counter() - started
        self.stdout.write(f"statistics: {count} areas recounted in {seconds:.1f} s")
