"""Ledger listings in the admin (issue 3): every query goes through the jurisdiction scope.

Objects outside the user's scope answer 404 (SECURITY B1); identifiers are shown masked (B3);
opening a person is audited (C1) and children under 14 need a separate permission (B4).
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.permissions import register_permission_policy

from .enums import AuditAction, AuditOutcome, Category, HouseholdStatus
from .models import Area, Household, Person
from .permissions import user_can_open_child_record
from .scope import scope_queryset
from .services.audit import audit_record
from .services.ledger import household_missing_items, person_search
from .viewsets import ReadOnlyModelViewSet, ReadOnlyPermissionPolicy

CHILD_AGE = 14


class ScopedIndexMixin:
    def get_base_queryset(self):
        return scope_queryset(self.request.user, super().get_base_queryset())


class ScopedInspectMixin:
    def get_object(self, queryset=None):
        visible = scope_queryset(self.request.user, self.model._default_manager.all())
        try:
            return get_object_or_404(visible, pk=int(self.pk))
        except (TypeError, ValueError):
            raise Http404 from None


class HouseholdFilterSet(WagtailFilterSet):
    street = django_filters.ModelChoiceFilter(
        label=_("街道（乡镇）"), queryset=Area.objects.filter(level="street")
    )
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=Category.choices, method="filter_category"
    )
    completeness_below = django_filters.NumberFilter(
        label=_("完整度低于"), field_name="completeness", lookup_expr="lt"
    )

    class Meta:
        model = Household
        fields = ["status", "entry_route", "street", "category", "completeness_below"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(members__categories__category=value).distinct()


class HouseholdIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community", "street")


class HouseholdInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/ledger/household_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        missing, score = household_missing_items(household)
        context.update(
            household=household,
            members=household.members.prefetch_related("categories", "benefits"),
            needs=household.needs.select_related("person"),
            missing=missing,
            score=score,
        )
        audit_record(action=AuditAction.VIEW, request=self.request, obj=household)
        return context


class HouseholdViewSet(ReadOnlyModelViewSet):
    model = Household
    icon = "home"
    menu_label = _("家庭档案")
    menu_order = 100
    add_to_admin_menu = True
    index_view_class = HouseholdIndexView
    inspect_view_class = HouseholdInspectView
    list_display = [
        "file_number",
        Column("community", label=_("社区（村）")),
        "status",
        "completeness",
        "next_visit_due",
    ]
    list_per_page = 50
    filterset_class = HouseholdFilterSet
    search_fields = ["file_number", "address"]
    search_backend_name = None
    ordering = ["next_visit_due", "id"]


class PersonFilterSet(WagtailFilterSet):
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=Category.choices, field_name="categories__category", distinct=True
    )
    status = django_filters.ChoiceFilter(
        label=_("家庭状态"), choices=HouseholdStatus.choices, field_name="household__status"
    )

    class Meta:
        model = Person
        fields = ["category", "status", "sex"]


class PersonIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("household__community")

    def search_queryset(self, queryset):
        return person_search(queryset, self.search_query)


class PersonInspectView(ScopedInspectMixin, InspectView):
    def get_object(self, queryset=None):
        person = super().get_object(queryset)
        if person.age_on(timezone.localdate()) < CHILD_AGE and not user_can_open_child_record(
            self.request.user
        ):
            audit_record(
                action=AuditAction.DENIED,
                request=self.request,
                obj=person,
                outcome=AuditOutcome.DENIED,
                detail={"reason": "child_under_14"},
            )
            raise PermissionDenied
        return person

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_record(action=AuditAction.VIEW, request=self.request, obj=self.object)
        return context


class PersonViewSet(ReadOnlyModelViewSet):
    model = Person
    icon = "user"
    menu_label = _("家庭成员")
    menu_order = 110
    add_to_admin_menu = True
    index_view_class = PersonIndexView
    inspect_view_class = PersonInspectView
    list_display = [
        "name",
        "sex",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        Column("household", label=_("家庭档案")),
    ]
    list_per_page = 50
    filterset_class = PersonFilterSet
    search_fields = ["name"]
    search_backend_name = None
    inspect_view_fields = [
        "name",
        "relation",
        "sex",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "education",
        "employment",
        "health",
        "household",
    ]
    ordering = ["household_id", "id"]


register_permission_policy(Household, ReadOnlyPermissionPolicy(Household))
register_permission_policy(Person, ReadOnlyPermissionPolicy(Person))
household_viewset = HouseholdViewSet("households")
person_viewset = PersonViewSet("persons")
