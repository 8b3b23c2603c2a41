"""The case-assistance ledger at /admin/cases/ (U10) and resource linking at /admin/referrals/
(U1-U4): scoped listings (SECURITY B1) and the forms that open a case or send a referral from a
household file. Each case and referral has its own page in views/cases.py and views/referrals.py.
"""

from __future__ import annotations

import django_filters
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup

from ..actor import request_actor
from ..enums import CASE_GROUPS, CaseStatus, ReferralKind, ReferralStatus
from ..forms.base import add_rule_error
from ..forms.casework import CaseOpenForm, ReferralForm
from ..models import Case, Referral
from ..services.cases import case_open, cases_for
from ..services.errors import RuleError
from ..services.referrals import referral_create, referrals_for
from ..views.exchange import ExportButtonMixin
from .ledger import LedgerViewSet

YES_NO = [("yes", _("是")), ("no", _("否"))]


class CaseFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices)
    group = django_filters.ChoiceFilter(label=_("帮扶对象类别"), choices=CASE_GROUPS)
    short_of_sessions = django_filters.ChoiceFilter(
        label=_("服务次数不足"), choices=YES_NO, method="filter_short_of_sessions"
    )
    mine = django_filters.ChoiceFilter(
        label=_("我负责的"), choices=[("yes", _("是"))], method="filter_mine"
    )

    class Meta:
        model = Case
        fields = ["status", "group", "short_of_sessions", "mine"]

    def filter_short_of_sessions(self, queryset, name, value):
        """U10: open cases with fewer sessions on record than planned (and than five)."""
        short = queryset.short_of_sessions()
        return short if value == "yes" else queryset.exclude(pk__in=short.values("pk"))

    def filter_mine(self, queryset, name, value):
        return queryset.filter(worker=self.request.user)


class OpenedFromHouseholdMixin:
    """Cases and referrals are started from a household file, so the listing offers no "add"."""

    def get_add_url(self):
        return None


class CaseIndexView(ExportButtonMixin, OpenedFromHouseholdMixin, IndexView):
    def get_base_queryset(self):
        return cases_for(self.request.user)


def case_url(case: Case) -> str:
    return reverse("backoffice_case", args=[case.pk])


def _case_sessions(case: Case) -> str:
    return f"{case.session_count} / {case.planned_sessions}"


def _case_result(case: Case) -> str:
    if case.status == CaseStatus.COMPLETED:
        return "目标达成" if case.goals_met else "目标未完全达成"
    if case.close_reason:
        return case.get_close_reason_display()
    return "—"


class RuleErrorFormMixin:
    """A service's refusal is shown on the form with what the user typed kept on screen."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RuleError as error:
            add_rule_error(form, error)
            self.produced_error_message = error.message
            return self.form_invalid(form)


class HouseholdRecordCreateView(RuleErrorFormMixin, CreateView):
    """Opened from a household page: `?household=` (and `?person=`, `?group=`) say for whom."""

    def get_initial(self):
        return {key: self.request.GET.get(key) for key in ("household", "person", "group")}

    def get_success_buttons(self):
        return []  # the success URL is the record's own page


class CaseCreateView(HouseholdRecordCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return case_open(
            household=data["household"],
            person=data.get("person"),
            group=data["group"],
            service_types=data["service_types"],
            goals=data["goals"],
            planned_sessions=data["planned_sessions"],
            worker=data["worker"],
            opened_on=data["opened_on"],
            actor=request_actor(self.request),
        )

    def get_success_url(self):
        return case_url(self.object)


class CaseViewSet(LedgerViewSet):
    model = Case
    icon = "group"
    menu_label = _("个案帮扶台账")
    menu_order = 200
    views = ("index", "add")
    inspect_view_enabled = False
    index_view_class = CaseIndexView
    add_view_class = CaseCreateView
    form_class = CaseOpenForm
    filterset_class = CaseFilterSet
    list_per_page = 50
    search_fields = ["household__file_number", "person__name"]
    search_backend_name = None
    ordering = ["-opened_on", "-id"]
    list_display = [
        TitleColumn("id", label=_("个案"), get_url=case_url, accessor=lambda c: f"个案 {c.pk}"),
        Column("household", label=_("家庭档案"), accessor=lambda c: c.household.file_number),
        Column("person", label=_("服务对象"), accessor="subject_name"),  # B4: see cases_for
        "group",
        Column("service_types", label=_("服务类型"), accessor=lambda c: c.service_type_labels()),
        Column("worker", label=_("负责社工"), accessor=lambda c: c.worker.get_full_name()),
        "opened_on",
        Column("session_count", label=_("已服务/计划次数"), accessor=_case_sessions),
        "status",
        Column("result", label=_("结案情况"), accessor=_case_result),
    ]


class ReferralFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ReferralStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("链接类型"), choices=ReferralKind.choices)
    overdue = django_filters.ChoiceFilter(
        label=_("已逾期"), choices=YES_NO, method="filter_overdue"
    )

    class Meta:
        model = Referral
        fields = ["status", "kind", "overdue"]

    def filter_overdue(self, queryset, name, value):
        """Open and past the due date; `is_overdue` is annotated by `referrals_for`."""
        return queryset.filter(is_overdue=value == "yes")


class ReferralIndexView(ExportButtonMixin, OpenedFromHouseholdMixin, IndexView):
    def get_base_queryset(self):
        return referrals_for(self.request.user, today=timezone.localdate())


def referral_url(referral: Referral) -> str:
    return reverse("backoffice_referral", args=[referral.pk])


class ReferralCreateView(HouseholdRecordCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return referral_create(
            household=data["household"],
            person=data.get("person"),
            kind=data["kind"],
            target_type=data["target_type"],
            target=data["target"],
            description=data["description"],
            benefit_type=data.get("benefit_type") or "",
            proxy_by=data.get("proxy_by") or "",
            materials=data.get("materials") or "",
            help_mode=data.get("help_mode") or "",
            sent_on=data["sent_on"],
            due_on=data.get("due_on"),
            actor=request_actor(self.request),
        )

    def get_success_url(self):
        return referral_url(self.object)


class ReferralViewSet(LedgerViewSet):
    model = Referral
    icon = "link"
    menu_label = _("资源链接")
    menu_order = 210
    views = ("index", "add")
    inspect_view_enabled = False
    index_view_class = ReferralIndexView
    add_view_class = ReferralCreateView
    form_class = ReferralForm
    filterset_class = ReferralFilterSet
    list_per_page = 50
    search_fields = ["household__file_number", "target"]
    search_backend_name = None
    ordering = ["due_on", "id"]
    list_display = [
        TitleColumn(
            "id", label=_("资源链接"), get_url=referral_url, accessor=lambda r: f"链接 {r.pk}"
        ),
        Column("household", label=_("家庭档案"), accessor=lambda r: r.household.file_number),
        "kind",
        "target",
        "sent_on",
        "due_on",
        "status",
        Column("is_overdue", label=_("逾期"), accessor=lambda r: "已逾期" if r.is_overdue else ""),
    ]


class CaseworkViewSetGroup(ViewSetGroup):
    """个案帮扶与资源链接: the two ways the ledger is used (U1-U10)."""

    menu_label = _("个案与资源链接")
    menu_icon = "group"
    menu_order = 105
    items = (CaseViewSet("cases"), ReferralViewSet("referrals"))


casework_viewset_group = CaseworkViewSetGroup()
