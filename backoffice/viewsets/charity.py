"""Charity take-up in the admin (issue 17: U3, P3): the listings the station published, each with
what charities took up, receipts to confirm and messages; the charity organisations the
district registers. Scoped like every ledger row (B1)."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView, InspectView

from ..actor import request_actor
from ..children import child_view_of_households, persons_visible
from ..enums import AuditAction, HelpMode, ListingStatus, TakeUpStatus
from ..forms.charity import (
    CharityMemberForm,
    CharityOrganisationForm,
    ListingWithdrawForm,
    StationReplyForm,
)
from ..models import CharityOrganisation, NeedListing
from ..permissions import user_can_manage_charities, user_can_publish_listings
from ..services.charity import charity_organisation_save, listing_cards
from ..services.events import event_record
from ..views.charity_station import thread_organisations
from .ledger import (
    LedgerViewSet,
    RefusedSaveMixin,
    ScopedIndexMixin,
    ScopedInspectMixin,
    ScopedObjectMixin,
)


class ListingFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ListingStatus.choices)
    help_mode = django_filters.ChoiceFilter(label=_("帮扶方式"), choices=HelpMode.choices)
    waiting = django_filters.BooleanFilter(label=_("有待确认收到的送达"), method="filter_waiting")

    class Meta:
        model = NeedListing
        fields = ["status", "help_mode", "waiting"]

    def filter_waiting(self, queryset, name, value):
        if value is None:
            return queryset
        delivered = Q(take_ups__status=TakeUpStatus.DELIVERED)
        return queryset.filter(delivered) if value else queryset.exclude(delivered)


def listing_url(listing: NeedListing) -> str:
    return reverse("charity-listings:inspect", args=[listing.pk])


class ListingIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        listings = super().get_base_queryset().select_related("household")
        listings = listings.annotate(
            waiting=Count("take_ups", filter=Q(take_ups__status=TakeUpStatus.DELIVERED))
        )
        return persons_visible(request_actor(self.request), listings, prefix="person__")  # B4


class ListingInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/charity/listing_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listing = self.object
        actor = request_actor(self.request)
        organisations = thread_organisations(listing)
        can_work = user_can_publish_listings(self.request.user)
        context.update(
            listing=listing,
            household=listing.household,
            child_view=child_view_of_households(actor, [listing.household_id]),  # B4
            card=listing_cards([listing])[0],
            take_ups=listing.take_ups.select_related("organisation"),
            messages_by_org=[
                (org, listing.messages.filter(organisation=org)) for org in organisations
            ],
            can_work=can_work,
            withdraw_form=ListingWithdrawForm(),
            reply_form=StationReplyForm(organisations=organisations) if organisations else None,
            delivered=TakeUpStatus.DELIVERED,
        )
        event_record(actor=actor, action=AuditAction.VIEW, obj=listing)
        return context


class NeedListingViewSet(LedgerViewSet):
    model = NeedListing
    icon = "heart"
    menu_label = _("慈善帮扶需求")
    menu_order = 150
    add_to_admin_menu = True
    views = ("index", "inspect")
    index_view_class = ListingIndexView
    inspect_view_class = ListingInspectView
    list_display = [
        TitleColumn(
            "id", label=_("编号"), get_url=listing_url, accessor=lambda listing: listing.pk
        ),
        "need_type",
        "help_mode",
        "status",
        "area_label",
        Column("waiting", label=_("待确认收到")),
        "published_at",
    ]
    list_per_page = 50
    filterset_class = ListingFilterSet
    search_fields = ["area_label", "description"]
    search_backend_name = None
    ordering = ["-published_at", "-id"]


class OrganisationCreateView(RefusedSaveMixin, CreateView):
    def save_instance(self):
        return charity_organisation_save(
            actor=request_actor(self.request),
            organisation=self.form.instance,
            changed_fields=self.form.changed_fields(),
        )


class OrganisationEditView(RefusedSaveMixin, ScopedObjectMixin, EditView):
    def save_instance(self):
        return charity_organisation_save(
            actor=request_actor(self.request),
            organisation=self.form.instance,
            changed_fields=self.form.changed_fields(),
        )


class OrganisationInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/charity/organisation_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.object
        context.update(
            organisation=organisation,
            members=organisation.members.select_related("user"),
            take_ups=organisation.take_ups.select_related("listing")[:50],
            can_manage=user_can_manage_charities(self.request.user),
            member_form=CharityMemberForm(),
        )
        event_record(actor=request_actor(self.request), action=AuditAction.VIEW, obj=organisation)
        return context


class OrganisationIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("district")


class CharityOrganisationViewSet(LedgerViewSet):
    model = CharityOrganisation
    icon = "group"
    menu_label = _("慈善组织")
    menu_order = 310
    add_to_admin_menu = True
    views = ("index", "add", "edit", "inspect")
    index_view_class = OrganisationIndexView
    add_view_class = OrganisationCreateView
    edit_view_class = OrganisationEditView
    inspect_view_class = OrganisationInspectView
    form_class = CharityOrganisationForm
    list_display = [
        "name",
        "credit_code",
        Column("district", label=_("登记区"), accessor=lambda o: o.district.name),
        Column(
            "public_fundraising",
            label=_("公开募捐资格"),
            accessor=lambda o: _("有") if o.public_fundraising else _("无"),
        ),
        Column("active", label=_("状态"), accessor=lambda o: _("在用") if o.active else _("停用")),
    ]
    list_per_page = 50
    search_fields = ["name", "credit_code"]
    search_backend_name = None
    ordering = ["name"]


need_listing_viewset = NeedListingViewSet("charity-listings")
charity_organisation_viewset = CharityOrganisationViewSet("charities")
