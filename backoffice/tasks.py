"""Background work of the back office (django-tasks; a worker runs them in production)."""

import datetime as dt

from django_tasks import task

from .services.digest import digest_send
from .services.print_jobs import print_job_run


@task()
def print_job_render(job_id: int) -> str:
    """Issue 6: render a batch print job; progress is written on the job row as it goes."""
    return print_job_run(job_id=job_id).status


@task()
def send_daily_digests(day: str) -> int:
    """Issue 5: every worker's day by mail; `day` is an ISO date (tasks take JSON arguments)."""
    return digest_send(today=dt.date.fromisoformat(day))


@task()
def roster_import_check_task(import_id: int) -> str:
    """Issue 15: read and check an uploaded roster against the ledger (nothing written)."""
    from .services.exchange import roster_import_check

    return roster_import_check(import_id=import_id).status


@task()
def roster_import_apply_task(import_id: int) -> str:
    """Issue 15: apply a confirmed roster, all or nothing."""
    from .services.exchange import roster_import_apply

    return roster_import_apply(import_id=import_id).status


@task()
def statistics_refresh_task(name: str = "") -> int:
    """Issue 16: refresh the statistics rollup of one area ("city" for all of Beijing; "": the
    city, every district and every street); the number of areas refreshed."""
    from .services.statistics import statistics_refresh

    return statistics_refresh([name] if name else None)


@task()
def statistics_snapshot_task(month: str, user_id: int, replace: bool = False) -> str:
    """Issue 16: the back office's snapshot button (a whole-city count: a minute at 1M
    persons), taken for the user who asked; `month` is YYYY-MM. The outcome, in words."""
    from .services.snapshots import snapshot_take_queued

    return snapshot_take_queued(month=month, user_id=user_id, replace=replace)
