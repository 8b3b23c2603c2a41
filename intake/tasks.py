"""Background work of the intake (G1): mail after commit, through the outbox."""

from django_tasks import task

from .services import notifications_deliver_due


@task()
def deliver_pending_notifications() -> int:
    """Send every due outbox row (queued after a report commits); returns how many went out."""
    sent, _failed = notifications_deliver_due()
    return sent


@task()
def delete_files(ids: list[int]) -> int:
    """Issue 19: delete the files recorded in the outbox once their rows' transaction committed;
    what the store refuses stays there for `tasks_recover`. Returns how many were deleted."""
    from .deletions import file_deletions_run

    return file_deletions_run(ids=ids).deleted
