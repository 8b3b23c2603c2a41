"""Background work of the intake (G1): mail after commit, through the outbox."""

from django_tasks import task

from .services import notifications_deliver_due


@task()
def deliver_pending_notifications() -> int:
    """Send every due outbox row (queued after a report commits); returns how many went out."""
    sent, _failed = notifications_deliver_due()
    return sent
