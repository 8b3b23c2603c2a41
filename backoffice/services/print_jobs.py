"""Batch printing (issue 6): the plans of a street, or of a worker's caseload, as ONE PDF.

The job is recorded and audited when it is asked for, then rendered by a background task
(django-tasks) after commit, so a 500-household street never holds a web worker for minutes.
The task reports progress household by household; the admin page polls it. Each household is
laid out as its own document (its own "第 X 页 / 共 Y 页"); chunks of households are written
with one set of embedded fonts each, in parallel processes where the database allows, and
concatenated into one file. Every household printed is audited as a print by the job's owner
(SECURITY C1).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import connection, connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from portal.storage_down import storage_failure

from ..actor import Actor, user_actor
from ..enums import (
    AreaLevel,
    AuditAction,
    Channel,
    HouseholdStatus,
    PrintDocument,
    PrintJobKind,
    PrintJobStatus,
)
from ..models import Area, Household, PrintJob
from ..pdf import PdfRenderError, pdf_files_concatenate, pdf_merge_templates
from ..scope import scope_queryset, user_scope
from .errors import RuleError
from .events import event_record
from .pdf import TEMPLATES, Viewer, household_document

logger = logging.getLogger(__name__)

# A laid-out plan holds about 4 MB until it is written, so a batch is written in chunks of
# this many households and the chunk files are concatenated at the end (memory stays flat).
CHUNK_SIZE = 25
CHUNKS_PER_CHILD = 4  # a fresh child process now and then returns its memory


class PrintJobError(RuleError):
    """A batch print that cannot be started; the message says why."""


def printable_streets(user) -> QuerySet[Area]:
    """Streets whose plans `user` may print together: those holding an area in their scope."""
    in_scope = scope_queryset(user, Area.objects.all()).values("street_id")
    return Area.objects.filter(level=AreaLevel.STREET, code__in=in_scope).order_by("code")


def user_has_caseload(user) -> bool:
    """Agency workers print the households assigned to them."""
    return user_scope(user).level == "assigned"


def print_job_households(job: PrintJob) -> QuerySet[Household]:
    """The active households the job prints, seen through its owner's scope (SECURITY B1)."""
    households = Household.objects.filter(status=HouseholdStatus.ACTIVE)
    if job.kind == PrintJobKind.STREET_PLANS:
        households = households.filter(street_id=job.street_id)
    return scope_queryset(job.owner, households).order_by("community_id", "file_number", "id")


def _enqueue(job: PrintJob) -> None:
    from ..tasks import print_job_render

    transaction.on_commit(lambda: print_job_render.enqueue(job.pk))


@transaction.atomic
def print_job_create(*, actor: Actor, street: Area | None = None) -> PrintJob:
    """Record a batch print of the plans of `street` (or of the actor's caseload) and queue it."""
    user = actor.user
    if street is not None:
        if not printable_streets(user).filter(pk=street.pk).exists():
            raise PermissionDenied
        kind, label = PrintJobKind.STREET_PLANS, f"{street.name}在册家庭帮扶方案"
    elif user_has_caseload(user):
        kind, label = PrintJobKind.CASELOAD_PLANS, "本人负责的在册家庭帮扶方案"
    else:
        raise PrintJobError("请选择要打印的街道（乡镇）。")
    job = PrintJob(owner=user, kind=kind, street=street, scope_label=label)
    job.total = print_job_households(job).count()
    if not job.total:
        raise PrintJobError("所选范围内没有在册家庭，无需打印。")
    job.save()
    event_record(
        actor=actor,
        action=AuditAction.PRINT,
        obj=job,
        detail={"batch": job.pk, "kind": kind, "street": street.pk if street else None},
    )
    _enqueue(job)
    return job


@transaction.atomic
def print_job_retry(*, job: PrintJob, actor: Actor) -> PrintJob:
    """A failed job runs again from the start; nothing of the failed run is kept."""
    job = PrintJob.objects.select_for_update().get(pk=job.pk, owner_id=actor.user_id)
    if job.status != PrintJobStatus.FAILED:
        raise PrintJobError("只有失败的打印任务可以重试。")
    job.status, job.done, job.pages, job.error = PrintJobStatus.QUEUED, 0, 0, ""
    job.started_at = job.finished_at = None
    job.save(update_fields=["status", "done", "pages", "error", "started_at", "finished_at"])
    event_record(actor=actor, action=AuditAction.PRINT, obj=job, detail={"retry": job.pk})
    _enqueue(job)
    return job


def _claim(job_id: int) -> bool:
    """Only one worker renders a job, and only a queued one (a task may be delivered twice)."""
    return bool(
        PrintJob.objects.filter(pk=job_id, status=PrintJobStatus.QUEUED).update(
            status=PrintJobStatus.RUNNING, started_at=timezone.now(), done=0, error=""
        )
    )


def batch_processes() -> int:
    """Processes that render a batch: one per core (at most 4, PDF_BATCH_PROCESSES to set),
    or 1 where children could not share the database: SQLite in memory (the test suite), or
    an open transaction, which forking must not cut."""
    if connection.in_atomic_block or (
        connection.vendor == "sqlite" and connection.is_in_memory_db()
    ):
        return 1
    configured = getattr(settings, "PDF_BATCH_PROCESSES", None)
    return max(1, configured or min(os.cpu_count() or 1, 4))


def _render_chunk(job_id: int, household_ids: list[int], viewer: Viewer, path: str) -> int:
    """Lay out the plans of some households and write them to `path` as one PDF (pages)."""
    households = Household.objects.in_bulk(household_ids)
    template = TEMPLATES[PrintDocument.PLAN]
    items = (
        (
            template,
            household_document(household=households[pk], viewer=viewer, kind=PrintDocument.PLAN),
        )
        for pk in household_ids
        if pk in households
    )

    def progress() -> None:
        PrintJob.objects.filter(pk=job_id).update(done=F("done") + 1)

    return pdf_merge_templates(items, path, on_document=progress)


def _child_signals() -> None:
    """A child forked from `db_worker` inherits its SIGTERM handler, which lets a task finish
    instead of exiting; the pool ends its children with SIGTERM and waits for them, so with
    that handler a child could outlive the pool and the job hang (issue 19, cluster test)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _render_chunk_in_child(arguments: tuple) -> int:
    try:
        return _render_chunk(*arguments)
    except PdfRenderError:
        raise
    except Exception as exc:  # anything else may not pickle back to the parent
        logger.exception("print job chunk failed")
        raise PdfRenderError from exc
    finally:
        connections.close_all()


def _render_chunks(job: PrintJob, household_ids: list[int], viewer: Viewer, folder: str):
    """Render the batch in chunks (bounded memory), in parallel when the machine allows."""
    processes = batch_processes()
    # Small batches are split evenly between the processes; large ones in CHUNK_SIZE pieces.
    size = max(1, min(CHUNK_SIZE, -(-len(household_ids) // processes)))
    chunks = [household_ids[start : start + size] for start in range(0, len(household_ids), size)]
    paths = [os.path.join(folder, f"chunk-{index:05d}.pdf") for index in range(len(chunks))]
    arguments = [(job.pk, chunk, viewer, path) for chunk, path in zip(chunks, paths, strict=True)]
    processes = min(processes, len(chunks))
    if processes == 1:
        pages = [_render_chunk(*args) for args in arguments]
    else:
        # Children are forked with the settings and test database of this process; they must
        # not share its database connections, so those are closed first (Django reopens).
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(
            processes, maxtasksperchild=CHUNKS_PER_CHILD, initializer=_child_signals
        ) as pool:
            pages = pool.map(_render_chunk_in_child, arguments, chunksize=1)
    return paths, sum(pages)


PRINT_STORE_DOWN = (
    "文件存储服务暂不可用，PDF 未能保存，档案数据未受影响。请稍后点“重试”；"
    "如仍失败，请联系系统管理员。"
)


def print_job_run(*, job_id: int) -> PrintJob:
    """Render the job (the background task's body); progress is committed as it goes."""
    if not _claim(job_id):
        return PrintJob.objects.get(pk=job_id)
    job = PrintJob.objects.select_related("owner").get(pk=job_id)
    household_ids = list(print_job_households(job).values_list("pk", flat=True))
    try:
        if not household_ids:
            raise PdfRenderError("所选范围内已没有在册家庭。")
        PrintJob.objects.filter(pk=job.pk).update(total=len(household_ids))
        # One watermark time for the whole batch; the task acts for the job's owner.
        viewer = Viewer.of(user_actor(job.owner, channel=Channel.TASK))
        with tempfile.TemporaryDirectory(prefix="print-job-") as folder:
            paths, pages = _render_chunks(job, household_ids, viewer, folder)
            if len(paths) == 1:
                result = paths[0]
            else:
                result = os.path.join(folder, "batch.pdf")
                pdf_files_concatenate(paths, result, title=job.scope_label)
            with open(result, "rb") as pdf:
                job.file.save(f"print-job-{job.pk}.pdf", File(pdf), save=False)
    except Exception as exc:
        logger.exception("print job %s failed", job.pk)
        if storage_failure(exc):
            message = PRINT_STORE_DOWN
        elif isinstance(exc, PdfRenderError):
            message = exc.message
        else:
            message = PdfRenderError().message
        PrintJob.objects.filter(pk=job.pk).update(
            status=PrintJobStatus.FAILED, error=message[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    with transaction.atomic():
        PrintJob.objects.filter(pk=job.pk).update(
            status=PrintJobStatus.DONE,
            done=len(household_ids),
            pages=pages,
            file=job.file.name,
            finished_at=timezone.now(),
        )
        households = Household.objects.filter(pk__in=household_ids).order_by("pk")
        owner = user_actor(job.owner, channel=Channel.TASK)
        for household in households.only("pk", "file_number"):
            event_record(
                actor=owner,
                action=AuditAction.PRINT,
                obj=household,
                detail={"document": PrintDocument.PLAN, "batch": job.pk},
            )
    job.refresh_from_db()
    return job
