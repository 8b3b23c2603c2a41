"""M2: publishing a service project and recording its reviews and supervision visits. Thin
views over services/projects.py; the forms live on the project's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..actor import request_actor
from ..forms.projects import ProjectCheckForm
from ..models import ServiceProject
from ..permissions import user_can_manage_projects
from ..scope import scope_queryset
from ..services.errors import RuleError
from ..services.projects import project_check_record, project_publish


def _project(request, pk: int) -> ServiceProject:
    project = get_object_or_404(scope_queryset(request.user, ServiceProject.objects.all()), pk=pk)
    if not user_can_manage_projects(request.user):
        raise PermissionDenied
    return project


@require_POST
def project_publish_view(request, pk: int):
    project = _project(request, pk)
    try:
        project_publish(actor=request_actor(request), project=project)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "项目已发布：服务街道和承接机构现在可以看到它。")
    return redirect("projects:inspect", project.pk)


@require_POST
def project_check_view(request, pk: int):
    project = _project(request, pk)
    actor = request_actor(request)
    form = ProjectCheckForm(request.POST, project=project, actor=actor)
    if form.is_valid():
        try:
            check = project_check_record(actor=actor, project=project, **form.cleaned_data)
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已记录{check.get_kind_display()}。")
    else:
        for errors in form.errors.values():
            messages.error(request, errors[0])
    return redirect("projects:inspect", project.pk)
