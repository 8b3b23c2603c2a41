"""Issue 19: stored files are deleted through an outbox, so none outlives its row for good.

Deleting a row and then its file cannot be one transaction: the store is not the database.
Deleting the file first loses it when the transaction rolls back; deleting it after commit
loses the deletion when the store is down at that moment (or the process dies), and the file,
with the personal data in it, stays in the store with nothing left pointing at it. So:

- `files_delete_on_commit` writes a `FileDeletion` row in the caller's transaction (it goes if
  that transaction rolls back) and, once it commits, a task deletes the files;
- a file the store does not delete stays in the outbox and is tried again later, each time
  waiting longer (5 minutes, doubling, at most 6 hours); `manage.py tasks_recover` (cron, every
  five minutes) runs what is due;
- Wagtail deletes the files of a deleted image or document with a task of its own that nothing
  retries: one that failed is taken into the outbox (`wagtail_deletions_adopt`).
Deleting a file that is already gone succeeds (both the disk and S3 say so), so running a
deletion twice, on two workers, is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from .models import FileDeletion
from .uploads import PRIVATE_ALIAS, StorageUnavailable, private_storage, store_failure

logger = logging.getLogger(__name__)

RETRY_FIRST = dt.timedelta(minutes=5)
RETRY_LONGEST = dt.timedelta(hours=6)
RUN_LIMIT = 1000  # rows per run; the rest wait for the next
WAGTAIL_DELETE_TASK = "wagtail.tasks.delete_file_from_storage_task"
CONFIGURED_STORAGE = "portal.storage_s3.configured_storage"


@dataclass(frozen=True)
class DeletionRun:
    deleted: int
    failed: int
    waiting: int  # left in the outbox after the run


def files_delete_on_commit(alias: str, names: Iterable[str]) -> int:
    """Delete these files of STORAGES[alias] once the current transaction commits (at once
    outside one); kept and tried again while the store cannot. The number recorded."""
    names = [name for name in dict.fromkeys(names) if name]
    if not names:
        return 0
    rows = FileDeletion.objects.bulk_create(
        [FileDeletion(storage=alias, name=name) for name in names]
    )
    transaction.on_commit(partial(_start, [row.pk for row in rows]), robust=True)
    return len(rows)


def _start(ids: list[int]) -> None:
    from .tasks import delete_files

    delete_files.enqueue(ids)


def _storage(alias: str):
    return private_storage if alias == PRIVATE_ALIAS else storages[alias]


def _retry_after(attempts: int) -> dt.timedelta:
    return min(RETRY_FIRST * 2 ** min(attempts - 1, 16), RETRY_LONGEST)


def file_deletions_run(*, ids: list[int] | None = None, now: dt.datetime | None = None):
    """Delete the files that are due (of `ids` only, when given). At the first failure of the
    store itself the run stops: the store is down and the rest would only wait on it."""
    now = now or timezone.now()
    due = FileDeletion.objects.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    if ids is not None:
        due = due.filter(pk__in=ids)
    deleted = failed = 0
    for row in due[:RUN_LIMIT]:
        try:
            _storage(row.storage).delete(row.name)
        except Exception as exc:
            failed += 1
            attempts = row.attempts + 1
            FileDeletion.objects.filter(pk=row.pk).update(
                attempts=attempts,
                next_attempt_at=now + _retry_after(attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:200],
            )
            logger.warning(
                "file deletion %s:%s failed (attempt %s); tried again later",
                row.storage,
                row.name,
                attempts,
                exc_info=True,
            )
            if isinstance(exc, StorageUnavailable) or store_failure(exc):
                break
        else:
            FileDeletion.objects.filter(pk=row.pk).delete()
            deleted += 1
    return DeletionRun(deleted=deleted, failed=failed, waiting=FileDeletion.objects.count())


def _alias_of(deconstructed) -> str | None:
    """The STORAGES alias whose storage deconstructs as `deconstructed` (from a task's JSON):
    the bucket's storages say their alias (portal/storage_s3.py), the disk's their options."""
    if (
        isinstance(deconstructed, list)
        and len(deconstructed) == 3
        and deconstructed[0] == CONFIGURED_STORAGE
        and deconstructed[1]
        and deconstructed[1][0] in settings.STORAGES
    ):
        return deconstructed[1][0]
    for alias in settings.STORAGES:
        if alias == "staticfiles":
            continue
        mine = json.loads(json.dumps(storages[alias].deconstruct(), default=str))
        if mine == deconstructed:
            return alias
    return None


def wagtail_deletions_adopt() -> int:
    """Take Wagtail's failed file deletions into the outbox; how many were taken."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    failed = DBTaskResult.objects.filter(
        task_path=WAGTAIL_DELETE_TASK, status=TaskResultStatus.FAILED
    )
    adopted = 0
    for task in failed.order_by("pk")[:RUN_LIMIT]:
        args = (task.args_kwargs or {}).get("args") or []
        alias = _alias_of(args[0]) if len(args) == 2 else None
        if alias is None or not isinstance(args[1], str):
            logger.error("failed Wagtail file deletion %s names no storage of ours", task.pk)
            continue
        with transaction.atomic():
            FileDeletion.objects.create(storage=alias, name=args[1])
            task.delete()
        adopted += 1
    return adopted
