"""The triage queue at /admin/reports/ (issue 4, item 5): scoped, urgent first, with clocks."""

from __future__ import annotations

import django_filters
from django.db.models import Min
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic import IndexView

from intake.enums import OPEN_STATUSES, ReportStatus
from intake.models import Report

from ..enums import VisitKind
from ..listing import FileLinkColumn, PlainColumn, QuickListingMixin, QuickSelect, streets_in_scope
from ..models import Visit
from ..permissions import user_can_triage
from ..scope import scope_queryset
from ..services.triage import handovers_incoming, report_clocks
from ..views.exchange import ExportButtonMixin
from .base import BackOfficeViewSet

STATES = [("open", _("待处理")), ("closed", _("已办结")), ("all", _("全部"))]


class ReportFilterSet(WagtailFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("办理状态"), choices=STATES, method="filter_state", empty_label=_("待处理")
    )
    status = django_filters.ChoiceFilter(label=_("环节"), choices=ReportStatus.choices)
    urgent = django_filters.BooleanFilter(label=_("紧急"))
    street = django_filters.ChoiceFilter(label=_("街道（乡镇）"), widget=QuickSelect)

    class Meta:
        model = Report
        fields = ["state", "status", "urgent", "route", "category", "street"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["street"].extra["choices"] = streets_in_scope(request.user)

    def filter_state(self, queryset, name, value):
        return queryset  # applied in ReportIndexView.get_base_queryset, open by default


class ClockColumn(PlainColumn):
    """A deadline cell: the due date and, while it runs, how it stands (F1-F3)."""

    def __init__(self, name, *, index: int, **kwargs):
        self.index = index
        super().__init__(name, **kwargs)

    def get_value(self, instance):
        clocks = instance.clocks
        labels = [clock.label for clock in clocks]
        wanted = ("入户访谈", "纳入台账")[self.index]
        if wanted not in labels:
            return "—"
        clock = clocks[labels.index(wanted)]
        text = f"{clock.due.date:%m-%d}"
        if clock.done_on:
            text += "（已完成，超期）" if clock.done_late else "（已完成）"
        elif clock.state:
            text += f"（{clock.state.label}）"
        if clock.due.provisional:
            text += " ⚠暂定"
        return text


class ReportIndexView(ExportButtonMixin, QuickListingMixin, IndexView):
    template_name = "backoffice/triage/index.html"

    def get_base_queryset(self):
        state = self.request.GET.get("state") or "open"
        queryset = scope_queryset(self.request.user, Report.objects.all())
        if state == "open":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif state == "closed":
            queryset = queryset.exclude(status__in=OPEN_STATUSES)
        return queryset.select_related("community")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        reports = list(context["object_list"])
        # The first interview of the reports on this page only (P: the queue of 10k open
        # reports reads a page off its index instead of grouping every report with its visits).
        first_visits = dict(
            Visit.objects.filter(report__in=reports, kind=VisitKind.INTAKE_INTERVIEW)
            .values("report")
            .annotate(first=Min("visited_on"))
            .values_list("report", "first")
        )
        for report in reports:
            report.clocks = report_clocks(
                report, today=today, visited_on=first_visits.get(report.pk)
            )
        # B8: the queue also shows what other jurisdictions handed over to this one.
        context["incoming_handovers"] = handovers_incoming(self.request.user).count()
        context["can_register_leads"] = user_can_triage(self.request.user)  # F2, F3
        return context


class ReportViewSet(BackOfficeViewSet):
    model = Report
    icon = "mail"
    menu_label = _("分派研判")
    menu_order = 90
    add_to_admin_menu = True
    index_view_class = ReportIndexView
    inspect_view_enabled = False
    copy_view_enabled = False
    list_per_page = 50
    filterset_class = ReportFilterSet
    search_fields = ["reference", "subject_name", "address"]
    search_backend_name = None
    ordering = ["-urgent", "learned_on", "id"]
    list_display = [
        FileLinkColumn(
            "reference",
            label=_("受理编号"),
            get_url=lambda report: reverse("backoffice_report", args=[report.pk]),
        ),
        PlainColumn(
            "urgent", label=_("紧急"), accessor=lambda report: "紧急" if report.urgent else ""
        ),
        PlainColumn("community", label=_("社区（村）")),
        "subtype",
        "status",
        ClockColumn("visit_clock", index=0, label=_("入户访谈期限")),
        ClockColumn("ledger_clock", index=1, label=_("纳入台账期限")),
    ]

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("history", "usage", "add", "edit", "delete"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs


report_viewset = ReportViewSet("reports")
