"""M5: the year's deadline for complete files with a plan, and the progress toward it, area by
area within the user's scope. Thin view over services/deadlines.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ..actor import request_actor
from ..forms.base import add_rule_error
from ..forms.deadlines import FileDeadlineForm
from ..permissions import user_can_follow_file_deadline, user_can_set_file_deadline
from ..services.deadlines import deadline_progress, file_deadline_set, progress_area
from ..services.errors import RuleError


def _year(request) -> int:
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    if not raw:
        return this_year
    if not raw.isdigit() or not this_year - 1 <= int(raw) <= this_year + 1:
        raise Http404  # only last, this and next year are kept in view
    return int(raw)


@require_http_methods(["GET", "POST"])
def file_deadline_view(request):
    if not user_can_follow_file_deadline(request.user):
        raise PermissionDenied
    year = _year(request)
    area = progress_area(request.user, request.GET.get("area", ""))
    if request.GET.get("area") and area is None:
        raise Http404
    can_set = user_can_set_file_deadline(request.user)
    form = None
    if can_set:
        form = FileDeadlineForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                file_deadline_set(actor=request_actor(request), year=year, **form.cleaned_data)
            except RuleError as error:
                add_rule_error(form, error)
            else:
                messages.success(request, f"已设定 {year} 年度建档完成期限。")
                return redirect(f"{reverse('backoffice_file_deadline')}?year={year}")
    elif request.method == "POST":
        raise PermissionDenied
    progress = deadline_progress(request.user, year=year, area=area)
    if form is not None and not form.is_bound and progress.deadline is not None:
        form.initial = {"due_on": progress.deadline.due_on, "note": progress.deadline.note}
    this_year = timezone.localdate().year
    context = {
        "progress": progress,
        "form": form,
        "years": [this_year - 1, this_year, this_year + 1],
        "year": year,
        "can_go_up": bool(request.GET.get("area")),
    }
    return render(request, "backoffice/deadlines/progress.html", context)
