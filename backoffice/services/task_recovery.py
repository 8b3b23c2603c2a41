"""Work whose background worker died (issue 19): never left "running" for ever.

django-tasks-db claims a task row under SELECT ... FOR UPDATE SKIP LOCKED, so each task runs
on one worker only; but a worker killed in the middle of a task (out of memory, a node lost,
`kill -9`) leaves the row RUNNING and, for a batch print, its job "生成中" with no file ever
coming. `manage.py tasks_recover` (cron, every five minutes) finds what has been running
longer than TASKS_STALE_MINUTES, far beyond the longest real run (500 plans: 3 minutes):
- the task row is marked failed, with WorkerLost as its error, so it shows as failed and is
  not retried blindly (a digest mail must not go out twice);
- a batch print running since then, or queued since then with no task left to run it, is
  marked failed with a message saying so; its page offers "重试", which renders it again from
  the start (print_jobs.print_job_retry).
Roster imports have their own recovery (exchange.roster_imports_expire).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ..enums import PrintJobStatus
from ..models import PrintJob

logger = logging.getLogger(__name__)

WORKER_LOST = "backoffice.services.task_recovery.WorkerLost"
PRINT_TASK = "backoffice.tasks.print_job_render"
PRINT_JOB_INTERRUPTED = "打印中断：后台处理进程意外退出，文件未生成。请点击“重试”重新打印。"


class WorkerLost(Exception):
    """What a task row whose worker died is marked as having failed with."""


@dataclass(frozen=True)
class Recovered:
    tasks: int
    print_jobs: int


def stale_before(now: dt.datetime | None = None, minutes: float | None = None) -> dt.datetime:
    minutes = settings.TASKS_STALE_MINUTES if minutes is None else minutes
    return (now or timezone.now()) - dt.timedelta(minutes=minutes)


@transaction.atomic
def tasks_recover(*, now: dt.datetime | None = None, minutes: float | None = None) -> Recovered:
    """Mark as failed the tasks and batch prints running since before the cut-off."""
    now = now or timezone.now()
    cutoff = stale_before(now, minutes)
    stale = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    )
    task_ids = list(stale.values_list("id", flat=True))
    tasks = DBTaskResult.objects.filter(id__in=task_ids).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=WORKER_LOST,
        traceback=f"WorkerLost: still running at {now.isoformat()}, started before "
        f"{cutoff.isoformat()}; its worker is gone.",
    )
    jobs = PrintJob.objects.filter(status=PrintJobStatus.RUNNING, started_at__lt=cutoff).update(
        status=PrintJobStatus.FAILED, error=PRINT_JOB_INTERRUPTED, finished_at=now
    )
    # A worker killed between taking the task and starting the job leaves the job queued with
    # no task left to run it.
    pending = DBTaskResult.objects.filter(
        task_path=PRINT_TASK, status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
    ).values_list("args_kwargs", flat=True)
    still_queued = {arguments["args"][0] for arguments in pending if arguments.get("args")}
    jobs += (
        PrintJob.objects.filter(status=PrintJobStatus.QUEUED, created_at__lt=cutoff)
        .exclude(pk__in=still_queued)
        .update(status=PrintJobStatus.FAILED, error=PRINT_JOB_INTERRUPTED, finished_at=now)
    )
    if tasks or jobs:
        logger.warning("recovered from lost workers: %s task(s), %s batch print(s)", tasks, jobs)
    return Recovered(tasks=tasks, print_jobs=jobs)
