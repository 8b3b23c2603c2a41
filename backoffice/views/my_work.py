"""/admin/my-work/: a worker's day (issue 5, item 6)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..scope import user_scope
from ..services.my_work import my_work


@require_GET
def my_work_view(request):
    if user_scope(request.user).level == "none":
        raise PermissionDenied  # roles without ledger work have no caseload
    work = my_work(user=request.user, today=timezone.localdate())
    return render(request, "backoffice/my_work.html", {"work": work})
