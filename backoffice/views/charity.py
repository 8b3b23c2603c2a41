"""The need board and the charities' pages (issue 17: U3, P3; SECURITY A7, B2, D1).

- `/needs/` and `/needs.json`: the public board, from the listings' anonymized columns only
  (`services.charity.PUBLIC_COLUMNS`), filterable by district, need type and help mode; no
  session, no JavaScript.
- `/charity/login/`: the one login (OTPLoginForm's password and code check, lock and audit),
  for the people of a charity only.
- `/charity/...`: a charity's own claims, pledges, campaigns and messages. Every page asks
  `charity_required`: a verified (password + code) session of an active charity member, within
  the idle and absolute limits of the back office (A5); staff sessions are refused and audited.

Thin views: the forms check input, services/charity.py decides.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ..actor import request_actor
from ..enums import (
    AreaLevel,
    AuditAction,
    DenialReason,
    HelpMode,
    ListingStatus,
    TakeUpKind,
    TakeUpStatus,
)
from ..forms.charity import (
    BoardFilterForm,
    CampaignForm,
    CharityLoginForm,
    DeliveryForm,
    MessageForm,
    PledgeForm,
    RaisedForm,
)
from ..middleware import _safe_path, session_clock
from ..models import Area, ListingMessage, NeedListing, TakeUp
from ..services.charity import (
    DELIVERY_DAYS,
    ENDING_COLUMNS,
    PUBLIC_COLUMNS,
    board_listings,
    campaign_progress,
    campaign_register,
    charity_member_of,
    choice_labels,
    fulfilled_count,
    listing_cards,
    listing_claim,
    listing_open_data,
    listing_pledge,
    message_send,
    take_up_deliver,
)
from ..services.errors import RuleError
from ..services.events import denial_record, event_record

BOARD_PAGE = 20
HOME_ROWS = 100
JSON_PAGE = 100
_districts: list[tuple[str, str]] = []


def _district_choices() -> list[tuple[str, str]]:
    """Beijing's 16 districts (reference data: read once per process)."""
    if not _districts:
        _districts.extend(
            Area.objects.filter(level=AreaLevel.DISTRICT)
            .order_by("code")
            .values_list("code", "name")
        )
    return _districts


def _board_filters(request) -> tuple[BoardFilterForm, dict[str, str]]:
    form = BoardFilterForm(request.GET or None, districts=_district_choices())
    filters = {name: form.value(name) for name in ("district", "need_type", "help_mode")}
    return form, filters


# The public board (P3) -----------------------------------------------------------------------


@require_GET
def needs_board(request):
    form, filters = _board_filters(request)
    paginator = Paginator(board_listings(**filters), BOARD_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "form": form,
        "page": page,
        "cards": listing_cards(page.object_list),
        "live_count": paginator.count,
        "fulfilled": fulfilled_count(**filters),
        "query": query,
        "filtered": any(filters.values()),
    }
    return render(request, "charity/board.html", context)


@require_GET
def needs_json(request):
    """Open data: the board's listings, 100 a page, anonymized fields only (D1)."""
    _form, filters = _board_filters(request)
    paginator = Paginator(board_listings(**filters), JSON_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = {k: v for k, v in filters.items() if v}
    next_url = None
    if page.has_next():
        next_url = (
            f"{reverse('needs_json')}?{urlencode({**query, 'page': page.next_page_number()})}"
        )
    data = {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": next_url,
        "fulfilled": fulfilled_count(**filters),
        "results": [listing_open_data(card) for card in listing_cards(page.object_list)],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response


# Charity pages -------------------------------------------------------------------------------


def _to_login(request):
    return redirect(f"{reverse('charity_login')}?{urlencode({'next': request.get_full_path()})}")


def charity_required(view):
    """A7, A5, B5: the page of a charity's person, on a password + code session within its
    time limits; anyone else is sent to the charity login, or refused (403) and audited."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            response = _to_login(request)
        elif not user.is_verified():
            logout(request)  # a password-only session is never served (A1, A7)
            response = _to_login(request)
        elif expired := session_clock(request):
            event_record(
                actor=request_actor(request),
                action=AuditAction.SESSION_EXPIRED,
                detail={"reason": expired},
            )
            logout(request)
            messages.warning(request, "长时间未操作，已自动退出，请重新登录。")
            response = _to_login(request)
        elif (member := charity_member_of(user)) is None:
            match = request.resolver_match
            denial_record(
                actor=request_actor(request),
                reason=DenialReason.FORBIDDEN,
                status=403,
                path=_safe_path(request.path),
                route=f"/{match.route}" if match is not None else "",
            )
            response = render(request, "charity/forbidden.html", status=403)
        else:
            request.charity_member = member
            response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response

    return guarded


class CharityLoginView(LoginView):
    """A7: the same one-step check as /admin/login/ (OTPLoginForm: password and code under the
    username's lock, audited), for charities; staff are told to use the back office."""

    form_class = CharityLoginForm
    template_name = "charity/login.html"
    redirect_authenticated_user = False
    next_page = "/charity/"

    def get_default_redirect_url(self):
        return reverse("charity_home")


charity_login = never_cache(CharityLoginView.as_view())


@require_POST
def charity_logout(request):
    logout(request)
    messages.success(request, "已退出登录。")
    return redirect("charity_login")


def _own_listing(request, pk: int, *, live_or_own: bool = True) -> NeedListing:
    """A listing a charity may open: on the board, or one its organisation took up or wrote
    about. Only the anonymized columns are read (B2)."""
    organisation = request.charity_member.organisation
    try:
        listing = NeedListing.objects.only(*PUBLIC_COLUMNS, *ENDING_COLUMNS).get(pk=pk)
    except NeedListing.DoesNotExist:
        raise Http404 from None
    if listing.is_live:
        return listing
    took_up = TakeUp.objects.filter(listing=listing, organisation=organisation).exists()
    wrote = ListingMessage.objects.filter(listing=listing, organisation=organisation).exists()
    if took_up or wrote:
        return listing
    raise Http404


@require_GET
@charity_required
def charity_home(request):
    member = request.charity_member
    take_ups = list(
        TakeUp.objects.filter(organisation=member.organisation)
        .select_related("listing")
        .only(
            *(f.name for f in TakeUp._meta.concrete_fields),
            *(f"listing__{column}" for column in (*PUBLIC_COLUMNS, *ENDING_COLUMNS)),
        )
        .order_by("-created_at", "-id")[:HOME_ROWS]
    )
    cards = {card["id"]: card for card in listing_cards({t.listing for t in take_ups})}
    kinds, statuses = choice_labels(TakeUpKind), choice_labels(TakeUpStatus)
    rows = [
        {
            "take_up": take_up,
            "card": cards[take_up.listing_id],
            "kind": kinds[take_up.kind],
            "status": statuses[take_up.status],
            # A listing the station withdrew or that closed: why, as the station said it.
            "end_reason": take_up.listing.end_reason if not take_up.listing.is_live else "",
        }
        for take_up in take_ups
    ]
    threads = (
        ListingMessage.objects.filter(organisation=member.organisation)
        .values_list("listing_id", flat=True)
        .distinct()
    )
    context = {
        "member": member,
        "organisation": member.organisation,
        "rows": rows,
        "active": [row for row in rows if row["take_up"].status == TakeUpStatus.ACTIVE],
        "thread_listing_ids": sorted(set(threads), reverse=True)[:50],
    }
    return render(request, "charity/home.html", context)


@require_GET
@charity_required
def charity_listing(request, pk: int):
    listing = _own_listing(request, pk)
    organisation = request.charity_member.organisation
    context = {
        "listing": listing,
        "card": listing_cards([listing])[0],
        "organisation": organisation,
        "own_take_ups": TakeUp.objects.filter(listing=listing, organisation=organisation),
        "ended": not listing.is_live and listing.status != ListingStatus.FULFILLED,
        "thread": ListingMessage.objects.filter(listing=listing, organisation=organisation),
        "pledge_form": PledgeForm(),
        "campaign_form": CampaignForm(),
        "message_form": MessageForm(),
        "delivery_form": DeliveryForm(),
        "raised_form": RaisedForm(),
        "delivery_days": DELIVERY_DAYS,
        "modes": HelpMode,
        "kinds": TakeUpKind,
    }
    return render(request, "charity/listing.html", context)


def _back_to_listing(pk: int):
    return redirect("charity_listing", pk)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        messages.error(request, errors[0])


@require_POST
@charity_required
def charity_claim(request, pk: int):
    """U3 one-to-one: claiming is `POST /charity/needs/<id>/claim/` (DESIGN.md)."""
    _own_listing(request, pk)
    try:
        take_up = listing_claim(actor=request_actor(request), listing_id=pk)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"认领成功。请在 {take_up.due_on:%Y-%m-%d} 前送达并登记，逾期未送达的认领将失效。",
        )
    return _back_to_listing(pk)


@require_POST
@charity_required
def charity_pledge(request, pk: int):
    _own_listing(request, pk)
    form = PledgeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_listing(pk)
    try:
        take_up = listing_pledge(
            actor=request_actor(request), listing_id=pk, quantity=form.cleaned_data["quantity"]
        )
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"认捐成功。请在 {take_up.due_on:%Y-%m-%d} 前送达并登记。")
    return _back_to_listing(pk)


@require_POST
@charity_required
def charity_campaign(request, pk: int):
    _own_listing(request, pk)
    form = CampaignForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_listing(pk)
    try:
        campaign_register(actor=request_actor(request), listing_id=pk, **form.cleaned_data)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已登记慈善众筹，需求公示页将显示平台、备案编号和项目链接。")
    return _back_to_listing(pk)


@require_POST
@charity_required
def charity_message(request, pk: int):
    _own_listing(request, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_listing(pk)
    try:
        message_send(actor=request_actor(request), listing_id=pk, body=form.cleaned_data["body"])
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "留言已发送给发布方。")
    return _back_to_listing(pk)


def _own_take_up_listing(request, pk: int) -> int:
    listing_id = (
        TakeUp.objects.filter(pk=pk, organisation=request.charity_member.organisation)
        .values_list("listing_id", flat=True)
        .first()
    )
    if listing_id is None:
        raise Http404
    return listing_id


@require_POST
@charity_required
def charity_deliver(request, pk: int):
    listing_id = _own_take_up_listing(request, pk)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_listing(listing_id)
    try:
        take_up_deliver(actor=request_actor(request), take_up_id=pk, **form.cleaned_data)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已登记送达，待服务站与当事人确认收到。")
    return _back_to_listing(listing_id)


@require_POST
@charity_required
def charity_raised(request, pk: int):
    listing_id = _own_take_up_listing(request, pk)
    form = RaisedForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back_to_listing(listing_id)
    try:
        campaign_progress(
            actor=request_actor(request),
            take_up_id=pk,
            raised_amount=form.cleaned_data["raised_amount"],
        )
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已更新众筹进度。")
    return _back_to_listing(listing_id)
