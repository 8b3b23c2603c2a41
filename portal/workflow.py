"""Publishing as a bureau does it (P1): editors draft, a reviewer (审核员) approves.

One Wagtail workflow, "网站发布审核", with one group approval task for the reviewers' group,
applies to the whole site (it is attached to the home page). Editors hold add and change
permissions on pages but not publish, so everything they write reaches the public site only
through the reviewer's approval, scheduled publishing included (the approved revision goes
live at its "go live" time, run by `manage.py publish_scheduled`). Reviewers hold the publish
permission themselves (to unpublish, and to approve). Group permissions live with the other
roles in backoffice/services/staff.py; migration 0004 sets the workflow up on existing sites.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

# The label of Role.REVIEWER (backoffice/enums.py): roles_sync_groups keeps the same group.
REVIEWER_GROUP = "审核员"
WORKFLOW_NAME = "网站发布审核"
TASK_NAME = "审核员审核"


@transaction.atomic
def site_workflow_ensure(home: Page) -> Workflow:
    """The reviewers' approval workflow, active on `home` and everything under it."""
    group, _created = Group.objects.get_or_create(name=REVIEWER_GROUP)
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
    task.groups.add(group)
    workflow, _created = Workflow.objects.get_or_create(
        name=WORKFLOW_NAME, defaults={"active": True}
    )
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})
    return workflow
