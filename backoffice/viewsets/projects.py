"""Purchased-service projects in the admin (M1, M2): the district publishes and supervises its
own; stations see those serving their street, agencies those they deliver. Saves go through
services/projects.py (scoped, versioned, audited)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView, IndexView, InspectView

from ..actor import request_actor
from ..enums import AuditAction, ServiceKind
from ..forms.projects import ProjectCheckForm, ProjectForm
from ..models import ServiceProject
from ..permissions import user_can_manage_projects
from ..services.events import event_record
from ..services.projects import project_save
from .ledger import (
    LedgerViewSet,
    RefusedSaveMixin,
    ScopedIndexMixin,
    ScopedInspectMixin,
    ScopedObjectMixin,
)


class ProjectIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("district")


class ProjectCreateView(RefusedSaveMixin, CreateView):
    def save_instance(self):
        return project_save(actor=request_actor(self.request), data=self.form.project_data())


class ProjectEditView(RefusedSaveMixin, ScopedObjectMixin, EditView):
    def save_instance(self):
        return project_save(
            actor=request_actor(self.request),
            data=self.form.project_data(),
            project=self.object,
            expected_version=self.form.expected_version,
        )


class ProjectInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/projects/project_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        can_manage = user_can_manage_projects(self.request.user)
        context.update(
            project=project,
            services=[ServiceKind(k).label for k in project.services if k in ServiceKind.values],
            streets=project.streets.order_by("code"),
            agencies=project.agencies.order_by("name"),
            checks=project.checks.select_related("agency"),
            can_manage=can_manage,
            check_form=(
                ProjectCheckForm(project=project, actor=request_actor(self.request))
                if can_manage
                else None
            ),
        )
        event_record(actor=request_actor(self.request), action=AuditAction.VIEW, obj=project)
        return context


class ServiceProjectViewSet(LedgerViewSet):
    model = ServiceProject
    icon = "clipboard-list"
    menu_label = _("服务项目")
    menu_order = 305
    add_to_admin_menu = True
    views = ("index", "add", "edit", "inspect")
    index_view_class = ProjectIndexView
    add_view_class = ProjectCreateView
    edit_view_class = ProjectEditView
    inspect_view_class = ProjectInspectView
    form_class = ProjectForm
    list_display = [
        "name",
        Column("district", label=_("区"), accessor=lambda p: p.district.name),
        Column(
            "period",
            label=_("服务期"),
            accessor=lambda p: f"{p.starts_on:%Y-%m-%d} 至 {p.ends_on:%Y-%m-%d}",
        ),
        Column("budget", label=_("预算（元）"), accessor="budget_display"),
        Column("status", label=_("状态"), accessor="status_label"),
    ]
    list_per_page = 50
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["-starts_on", "name"]


service_project_viewset = ServiceProjectViewSet("projects")
