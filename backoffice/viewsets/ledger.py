"""Ledger listings in the admin (issue 3): every query goes through the jurisdiction scope.

Objects outside the user's scope answer 404 (SECURITY B1); identifiers are shown masked (B3);
opening a person is audited (C1) and children under 14 need a separate permission (B4).
"""

import django_filters
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.viewsets.base import ViewSetGroup

from ..actor import request_actor
from ..children import child_record_refuse, child_view_of_households, persons_visible
from ..enums import AuditAction, Category, HouseholdStatus
from ..forms.assignments import AssignForm, AssignmentEndForm
from ..forms.base import add_rule_error
from ..forms.ledger import BenefitForm, HouseholdForm, NeedForm, PersonCategoryForm, PersonForm
from ..listing import PlainColumn, QuickListingMixin, QuickSelect, streets_in_scope
from ..models import Benefit, Household, Need, Person, PersonCategory
from ..permissions import user_can_assign_households
from ..scope import scope_queryset
from ..services.cases import household_casework
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.ledger import (
    FiledElsewhereError,
    household_create,
    household_missing_items,
    household_search,
    person_create,
    person_search,
)
from ..services.ledger_edits import (
    household_update,
    ledger_record_delete,
    ledger_record_save,
    person_update,
)
from ..services.triage import member_hand_over
from ..views.charity_station import household_charity_section
from ..views.exchange import ExportButtonMixin
from ..views.household_work import household_work_sections
from .base import BackOfficeViewSet


class ScopedIndexMixin(QuickListingMixin):
    def get_base_queryset(self):
        return scope_queryset(self.request.user, super().get_base_queryset())


class ScopedInspectMixin:
    def get_object(self, queryset=None):
        visible = scope_queryset(self.request.user, self.model._default_manager.all())
        try:
            return get_object_or_404(visible, pk=int(self.pk))
        except (TypeError, ValueError):
            raise Http404 from None


class ScopedObjectMixin:
    """Edit and delete views find their object through the scope: outside it is 404 (B1)."""

    def get_queryset(self):
        return scope_queryset(self.request.user, self.model._default_manager.all())


class RecordObjectMixin(ScopedObjectMixin):
    """A category, benefit or need of a child opens only with the child permission (B4)."""

    def get_object(self, queryset=None):
        record = super().get_object(queryset)
        child_record_refuse(request_actor(self.request), getattr(record, "person", None))
        return record


class ReturnToHouseholdMixin:
    """After a change the user goes back to the one file (L7) it belongs to."""

    def household_of(self, obj) -> Household:
        if isinstance(obj, Household):
            return obj
        if isinstance(obj, Person | Need):
            return obj.household
        return obj.person.household

    def get_success_url(self):
        return reverse("households:inspect", args=[self.household_of(self.object).pk])


class RefusedSaveMixin:
    """A refused save (a rule of the services: G3 stale, D3 the file left the ledger, one head,
    one file per ID, L1-L5...) shows why next to its field, with the typed values kept."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RuleError as error:
            handled = self.rule_refused(form, error)
            if handled is not None:
                return handled
            add_rule_error(form, error)
            self.produced_error_message = error.message
            return self.form_invalid(form)

    def rule_refused(self, form, error: RuleError):
        """A view may answer a refusal otherwise than on the form (a handover, say)."""
        return None


class HouseholdFilterSet(WagtailFilterSet):
    street = django_filters.ChoiceFilter(label=_("街道（乡镇）"), widget=QuickSelect)
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=Category.choices, method="filter_category"
    )
    completeness_below = django_filters.NumberFilter(
        label=_("完整度低于"), field_name="completeness", lookup_expr="lt"
    )

    class Meta:
        model = Household
        fields = ["status", "entry_route", "street", "category", "completeness_below"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        # Only the streets the user may see (all 340 of Beijing for the city bureau).
        self.filters["street"].extra["choices"] = streets_in_scope(request.user)

    def filter_category(self, queryset, name, value):
        # P (ledger list <= 100 ms at 1M persons): the categories of the members are kept on
        # the file (`member_categories`, "S1 S4"), so the list walks its due-date index and
        # counts a street without probing members. Codes S1-S6 never contain one another.
        return queryset.filter(member_categories__contains=value)


class HouseholdIndexView(ExportButtonMixin, ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("community", "street")

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return household_search(queryset, self.search_query, who=request_actor(self.request))


class HouseholdInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/ledger/household_inspect.html"
    timeline_length = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        missing, score = household_missing_items(household)
        user = self.request.user
        actor = request_actor(self.request)
        context.update(
            child_view=child_view_of_households(actor, [household.pk]),  # B4
            household=household,
            members=household.members.prefetch_related("categories", "benefits"),
            needs=household.needs.select_related("person"),
            events=household.events.all()[: self.timeline_length],
            missing=missing,
            score=score,
            can_change=user.has_perm("backoffice.change_household"),
            can_add_person=user.has_perm("backoffice.add_person"),
            can_edit_records=user.has_perm("backoffice.change_personcategory"),
            casework=household_casework(household, today=timezone.localdate()),  # U1-U10
            assignments=household.assignments.select_related("worker", "agency"),  # M4
            can_assign=user_can_assign_households(user),
            assign_form=AssignForm(household=household, actor=actor),
            end_form=AssignmentEndForm(),
            work=household_work_sections(household=household, user=user),  # L6, L7, D3
            charity=household_charity_section(household=household, user=user),  # U3
        )
        event_record(actor=actor, action=AuditAction.VIEW, obj=household)
        return context


class HouseholdCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return household_create(
            community=data["community"],
            address=data["address"],
            entry_route=data["entry_route"],
            entered_on=data["entered_on"],
            learned_on=data.get("learned_on"),
            actor=request_actor(self.request),
        )

    def get_success_url(self):
        return reverse("households:inspect", args=[self.object.pk])


class HouseholdEditView(RefusedSaveMixin, ScopedObjectMixin, ReturnToHouseholdMixin, EditView):
    def save_instance(self):
        form = self.form
        return household_update(
            household=self.object,
            changes=form.model_changes(),
            expected_version=form.expected_version,
            actor=request_actor(self.request),
        )


class LedgerViewSet(BackOfficeViewSet):
    """A ledger model in the admin: only the views listed in `views` exist (no copy, history)."""

    copy_view_enabled = False
    inspect_view_enabled = True
    views = ("index", "add", "edit", "inspect")
    form_class = None

    def get_form_class(self, for_update=False):
        return self.form_class

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("history", "usage", "add", "edit", "delete"):
            if name not in self.views:
                view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        routes = {
            "index": [
                path("", self.index_view, name="index"),
                path("results/", self.index_results_view, name="index_results"),
            ],
            "add": [path("new/", self.add_view, name="add")],
            "edit": [path(f"edit/<{conv}:pk>/", self.edit_view, name="edit")],
            "delete": [path(f"delete/<{conv}:pk>/", self.delete_view, name="delete")],
            "inspect": [path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect")],
        }
        return [route for view in self.views for route in routes[view]]


class HouseholdViewSet(LedgerViewSet):
    model = Household
    icon = "home"
    menu_label = _("家庭档案")
    menu_order = 100
    index_view_class = HouseholdIndexView
    inspect_view_class = HouseholdInspectView
    add_view_class = HouseholdCreateView
    edit_view_class = HouseholdEditView
    form_class = HouseholdForm
    list_display = [
        "file_number",
        PlainColumn("community", label=_("社区（村）")),
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


class PersonIndexView(ExportButtonMixin, ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        visible = persons_visible(request_actor(self.request), super().get_base_queryset())  # B4
        return visible.select_related("household__community")

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        # Unless a column header was clicked, results come in the order of the matched index.
        return person_search(
            queryset, self.search_query, order_by_match=not self.is_explicitly_ordered
        )


class PersonInspectView(ScopedInspectMixin, InspectView):
    def get_object(self, queryset=None):
        person = super().get_object(queryset)
        child_record_refuse(request_actor(self.request), person)  # B4
        return person

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event_record(actor=request_actor(self.request), action=AuditAction.VIEW, obj=self.object)
        return context


class PersonCreateView(RefusedSaveMixin, ReturnToHouseholdMixin, CreateView):
    def get_initial(self):
        return {"household": self.request.GET.get("household")}

    def rule_refused(self, form, error: RuleError):
        """B8: a person filed in another jurisdiction is not added here; the matter is handed
        over to the jurisdiction that holds the file, and the user is told only that."""
        if not isinstance(error, FiledElsewhereError):
            return None
        household = form.cleaned_data["household"]
        member_hand_over(
            household=household,
            holder=error.holder,
            relation=form.cleaned_data["relation"],
            actor=request_actor(self.request),
        )
        messages.warning(
            self.request,
            "该身份证号对应的人员已在其他辖区建档（一人一档），未在本户重复登记。"
            "已移交其所在辖区核实，核实结果见“跨辖区移交”。",
        )
        return redirect("households:inspect", household.pk)

    def save_instance(self):
        data = self.form.cleaned_data
        return person_create(
            household=data["household"],
            name=data["name"],
            relation=data["relation"],
            id_number=data["id_number"],
            phone=data["phone"],
            sex=data.get("sex") or "",
            birth_date=data.get("birth_date"),
            education=data.get("education") or "",
            employment=data.get("employment") or "",
            health=data.get("health") or "",
            actor=request_actor(self.request),
        )


class PersonEditView(RefusedSaveMixin, ScopedObjectMixin, ReturnToHouseholdMixin, EditView):
    def get_object(self, queryset=None):
        person = super().get_object(queryset)
        child_record_refuse(request_actor(self.request), person)  # B4
        return person

    def save_instance(self):
        form = self.form
        return person_update(
            person=self.object,
            changes=form.model_changes(),
            expected_version=form.expected_version,
            id_number=form.cleaned_data["id_number"],
            phone=form.cleaned_data["phone"],
            actor=request_actor(self.request),
        )


class PersonViewSet(LedgerViewSet):
    model = Person
    icon = "user"
    menu_label = _("家庭成员")
    menu_order = 110
    index_view_class = PersonIndexView
    inspect_view_class = PersonInspectView
    add_view_class = PersonCreateView
    edit_view_class = PersonEditView
    form_class = PersonForm
    list_display = [
        "name",
        "sex",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        PlainColumn("household", label=_("家庭档案")),
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
    # Members of the households due first, in the household listing's order ("household" is
    # the household's own ordering, next_visit_due then its id): the databases walk a
    # due-date index of the scope and stop after a page. Ordering by household_id instead
    # sorted all 130k persons of a district at 1M persons (450 ms).
    ordering = ["household", "id"]


class RecordCreateView(RefusedSaveMixin, ReturnToHouseholdMixin, CreateView):
    """Adds a category, benefit or need to a file; `?person=` or `?household=` says which."""

    def get_initial(self):
        return {key: self.request.GET.get(key) for key in ("person", "household")}

    def save_instance(self):
        ledger_record_save(
            record=self.form.instance,
            changed_fields=self.form.record_changes(),
            actor=request_actor(self.request),
        )
        return self.form.instance


class RecordEditView(RefusedSaveMixin, RecordObjectMixin, ReturnToHouseholdMixin, EditView):
    def save_instance(self):
        ledger_record_save(
            record=self.form.instance,
            changed_fields=self.form.record_changes(),
            actor=request_actor(self.request),
        )
        return self.form.instance


class RecordDeleteView(RecordObjectMixin, ReturnToHouseholdMixin, DeleteView):
    def get_success_url(self):
        return reverse("households:inspect", args=[self.household_of(self.object).pk])

    def delete_action(self):
        ledger_record_delete(record=self.object, actor=request_actor(self.request))

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RuleError as error:
            messages.error(self.request, error.message)
            return redirect(self.get_success_url())


class RecordViewSet(LedgerViewSet):
    """Categories, benefits and needs: records of their own, edited from the household file."""

    views = ("index", "add", "edit", "delete")
    add_view_class = RecordCreateView
    edit_view_class = RecordEditView
    delete_view_class = RecordDeleteView
    inspect_view_enabled = False
    list_per_page = 50
    search_backend_name = None


class ScopedRecordIndexView(ExportButtonMixin, ScopedIndexMixin, IndexView):
    related = ("person__household__community",)

    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related(*self.related)
        return persons_visible(request_actor(self.request), queryset, prefix="person__")  # B4


class PersonCategoryViewSet(RecordViewSet):
    model = PersonCategory
    icon = "tag"
    menu_label = _("救助类别")
    form_class = PersonCategoryForm
    index_view_class = ScopedRecordIndexView
    list_display = [Column("person", label=_("成员")), "category", "subtype", "since"]
    list_filter = ["category", "subtype"]
    ordering = ["-id"]


class BenefitViewSet(RecordViewSet):
    model = Benefit
    icon = "tick-inverse"
    menu_label = _("享受保障")
    form_class = BenefitForm
    index_view_class = ScopedRecordIndexView
    list_display = [Column("person", label=_("成员")), "benefit_type", "monthly_amount", "since"]
    list_filter = ["benefit_type"]
    ordering = ["-id"]


class NeedIndexView(ScopedRecordIndexView):
    related = ("household__community", "person")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        needs = list(context["object_list"])
        # B4: descriptions may name a child of the household.
        child_view = child_view_of_households(
            request_actor(self.request), {need.household_id for need in needs}
        )
        for need in needs:
            need.description = child_view.redact(need.description)
        return context


class NeedViewSet(RecordViewSet):
    model = Need
    icon = "help"
    menu_label = _("帮扶需求")
    form_class = NeedForm
    index_view_class = NeedIndexView
    list_display = [
        "need_type",
        PlainColumn("household", label=_("家庭档案")),
        "status",
        "recorded_on",
        "description",
    ]
    list_filter = ["need_type", "status"]
    ordering = ["-recorded_on", "-id"]


class LedgerViewSetGroup(ViewSetGroup):
    """救助帮扶台账: one menu for the file and its records."""

    menu_label = _("救助帮扶台账")
    menu_icon = "folder-open-inverse"
    menu_order = 100
    items = (
        HouseholdViewSet("households"),
        PersonViewSet("persons"),
        PersonCategoryViewSet("person-categories"),
        BenefitViewSet("benefits"),
        NeedViewSet("needs"),
    )


ledger_viewset_group = LedgerViewSetGroup()
