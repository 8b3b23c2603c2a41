"""Background work of the intake (G1): mail after commit, through the outbox."""

from django_tasks import task

from .models import Notification
from .services import notification_deliver


@task()
def deliver_report_notifications(report_id: int) -> int:
    """Send the pending notices of one report; returns how many went out."""
    sent = 0
    for notification in Notification.objects.filter(report_id=report_id, status="pending"):
        sent += notification_deliver(notification=notification)
    return sent
