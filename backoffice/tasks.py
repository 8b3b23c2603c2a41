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
