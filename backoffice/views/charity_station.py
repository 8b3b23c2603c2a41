"""Charity take-up in the back office (issue 17: U3, P3, D4): the station records the consent
to share, publishes a need, withdraws it, answers charities and confirms receipt; the district
registers charity organisations and their people. Scoped (B1, B8), audited (C1); thin views
over services/charity.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ..actor import request_actor
from ..children import child_record_refuse
from ..enums import LIVE_LISTING_STATUSES, HouseholdStatus, NeedStatus, TakeUpStatus
from ..forms.base import add_rule_error
from ..forms.charity import (
    CharityMemberForm,
    ListingPublishForm,
    ListingWithdrawForm,
    ShareConsentForm,
    StationReplyForm,
)
from ..models import (
    CharityMember,
    CharityOrganisation,
    ListingMessage,
    Need,
    NeedListing,
    ShareConsent,
    TakeUp,
)
from ..permissions import user_can_manage_charities, user_can_publish_listings
from ..scope import scope_queryset
from ..services.charity import (
    SHARE_NOTICE_TEXT,
    SHARE_NOTICE_VERSION,
    charity_member_add,
    charity_member_deactivate,
    consent_in_force,
    listing_publish,
    listing_withdraw,
    message_send,
    share_consent_record,
    share_consent_withdraw,
    take_up_confirm,
)
from ..services.errors import RuleError
from .household_work import require, scoped_household


def household_charity_section(*, household, user) -> dict:
    """The household page's 慈善帮扶 section: consents, listings and what waits for the station."""
    if not user.has_perm("backoffice.view_needlisting"):
        return {"shown": False}
    listings = household.listings.select_related("person").annotate(
        waiting=Count("take_ups", filter=Q(take_ups__status=TakeUpStatus.DELIVERED))
    )
    live_needs = set(
        household.listings.filter(status__in=LIVE_LISTING_STATUSES).values_list(
            "need_id", flat=True
        )
    )
    can_publish = user_can_publish_listings(user) and household.status == HouseholdStatus.ACTIVE
    return {
        "shown": True,
        "can_publish": can_publish,
        "consents": household.share_consents.select_related("person"),
        "listings": listings,
        "publishable": [
            need
            for need in household.needs.select_related("person")
            if need.pk not in live_needs
            and need.status in (NeedStatus.OPEN, NeedStatus.IN_PROGRESS)
        ]
        if can_publish
        else [],
        "notice_version": SHARE_NOTICE_VERSION,
    }


def _household_page(household) -> str:
    return reverse("households:inspect", args=[household.pk]) + "#charity-title"


@require_http_methods(["GET", "POST"])
def share_consent_view(request, pk: int):
    """D4: record the person's (or guardian's) consent after reading them the notice."""
    household = scoped_household(request, pk)
    require(user_can_publish_listings(request.user))
    actor = request_actor(request)
    data = request.POST if request.method == "POST" else None
    form = ShareConsentForm(data, household=household, actor=actor)
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            share_consent_record(
                actor=actor,
                person=values["person"],
                given_by=values["given_by"],
                guardian_name=values["guardian_name"],
                given_on=values["given_on"],
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, "已记录同意。现在可以为该成员发布慈善帮扶需求。")
            return redirect(_household_page(household))
    context = {
        "household": household,
        "form": form,
        "notice_text": SHARE_NOTICE_TEXT,
        "notice_version": SHARE_NOTICE_VERSION,
    }
    return render(request, "backoffice/charity/consent.html", context)


@require_POST
def share_consent_withdraw_view(request, pk: int):
    consent = get_object_or_404(
        scope_queryset(request.user, ShareConsent.objects.select_related("household", "person")),
        pk=pk,
    )
    require(user_can_publish_listings(request.user))
    try:
        withdrawn = share_consent_withdraw(actor=request_actor(request), consent=consent)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, "已记录撤回同意" + (f"，撤下公示需求 {withdrawn} 项。" if withdrawn else "。")
        )
    return redirect(_household_page(consent.household))


@require_http_methods(["GET", "POST"])
def listing_publish_view(request, pk: int):
    """U3, D1: publish a need of the household for a consenting member."""
    need = get_object_or_404(
        scope_queryset(request.user, Need.objects.select_related("household", "person")), pk=pk
    )
    actor = request_actor(request)
    child_record_refuse(actor, need.person)  # B4
    require(user_can_publish_listings(request.user))
    data = request.POST if request.method == "POST" else None
    form = ListingPublishForm(data, need=need, actor=actor)
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            listing = listing_publish(
                actor=actor,
                need=need,
                person=values["person"],
                category=values["category"],
                help_mode=values["help_mode"],
                description=values["description"],
                target_quantity=values.get("target_quantity"),
                unit=values.get("unit") or "",
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            where = "只显示到区" if listing.street_id is None else "显示到街道"
            messages.success(
                request,
                f"已发布到慈善帮扶需求公示（{where}：{listing.area_label}），编号 {listing.pk}。",
            )
            return redirect("charity-listings:inspect", listing.pk)
    members = list(form.fields["person"].queryset)
    context = {
        "need": need,
        "household": need.household,
        "form": form,
        "consented": {m.pk for m in members if consent_in_force(m) is not None},
        "members": members,
        "notice_version": SHARE_NOTICE_VERSION,
    }
    return render(request, "backoffice/charity/publish.html", context)


def _scoped_listing(request, pk: int) -> NeedListing:
    return get_object_or_404(
        scope_queryset(request.user, NeedListing.objects.select_related("household")), pk=pk
    )


@require_POST
def listing_withdraw_view(request, pk: int):
    listing = _scoped_listing(request, pk)
    require(user_can_publish_listings(request.user))
    form = ListingWithdrawForm(request.POST)
    if form.is_valid():
        try:
            listing_withdraw(
                actor=request_actor(request), listing=listing, reason=form.cleaned_data["reason"]
            )
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已撤回该需求；慈善组织尚未送达的认领和认捐随之结束。")
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect("charity-listings:inspect", listing.pk)


def thread_organisations(listing: NeedListing) -> list[CharityOrganisation]:
    """The charities the station may write to about a listing: those that took it up or wrote."""
    wrote = ListingMessage.objects.filter(listing=listing).values("organisation_id")
    took_up = TakeUp.objects.filter(listing=listing).values("organisation_id")
    return list(
        CharityOrganisation.objects.filter(Q(pk__in=wrote) | Q(pk__in=took_up)).order_by("name")
    )


@require_POST
def listing_reply_view(request, pk: int):
    listing = _scoped_listing(request, pk)
    require(user_can_publish_listings(request.user))
    form = StationReplyForm(request.POST, organisations=thread_organisations(listing))
    if form.is_valid():
        try:
            message_send(
                actor=request_actor(request),
                listing_id=listing.pk,
                body=form.cleaned_data["body"],
                organisation_id=form.cleaned_data["organisation"],
            )
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已回复。")
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect(reverse("charity-listings:inspect", args=[listing.pk]) + "#messages-title")


@require_POST
def take_up_confirm_view(request, pk: int):
    take_up = get_object_or_404(
        scope_queryset(request.user, TakeUp.objects.select_related("listing")), pk=pk
    )
    require(user_can_publish_listings(request.user))
    try:
        confirmed = take_up_confirm(actor=request_actor(request), take_up_id=take_up.pk)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        confirmed.listing.refresh_from_db()
        done = "，需求已完成" if confirmed.listing.status == "fulfilled" else ""
        messages.success(request, f"已确认收到{done}。家庭档案时间线已记录。")
    return redirect("charity-listings:inspect", take_up.listing_id)


# Organisations (district) --------------------------------------------------------------------


@require_POST
def charity_member_add_view(request, pk: int):
    organisation = get_object_or_404(
        scope_queryset(request.user, CharityOrganisation.objects.all()), pk=pk
    )
    require(user_can_manage_charities(request.user))
    form = CharityMemberForm(request.POST)
    if form.is_valid():
        try:
            member = charity_member_add(
                actor=request_actor(request), organisation=organisation, **form.cleaned_data
            )
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"已为 {organisation.name} 开通账号 {member.user.username}。"
                "请安全管理员为其签发动态口令设备后，本人从 /charity/login/ 登录。",
            )
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect("charities:inspect", organisation.pk)


@require_POST
def charity_member_deactivate_view(request, pk: int):
    member = get_object_or_404(
        scope_queryset(request.user, CharityMember.objects.select_related("organisation")), pk=pk
    )
    require(user_can_manage_charities(request.user))
    try:
        charity_member_deactivate(actor=request_actor(request), member=member)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已停用该账号。")
    return redirect("charities:inspect", member.organisation_id)
