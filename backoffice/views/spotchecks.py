"""M2: spot checks of ledger files. Thin views over services/spotchecks.py: the district draws
and checks, the station or agency keeping a file rectifies, everyone within their scope."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ..actor import request_actor
from ..enums import AreaLevel, AuditAction, SpotCheckStatus
from ..forms.base import add_rule_error
from ..forms.spotchecks import SpotCheckDrawForm, SpotCheckRecordForm, SpotCheckRectifyForm
from ..models import Area, SpotCheck, SpotCheckItem
from ..permissions import user_can_follow_spot_checks, user_can_rectify, user_can_run_spot_checks
from ..scope import scope_of, scope_queryset
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.spotchecks import (
    spot_check_draw,
    spot_check_record,
    spot_check_rectify,
    spot_check_results,
)


def _own_district(user) -> Area | None:
    scope = scope_of(user)
    if scope.level != "district":
        return None
    return Area.objects.filter(pk=scope.area_code, level=AreaLevel.DISTRICT).first()


@require_http_methods(["GET", "POST"])
def spot_checks_view(request):
    """The district's checks and the draw form; for stations and agencies, the findings on
    the files they keep, open ones first."""
    if not user_can_follow_spot_checks(request.user):
        raise PermissionDenied
    district = _own_district(request.user) if user_can_run_spot_checks(request.user) else None
    form = None
    if district is not None:
        form = SpotCheckDrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                check = spot_check_draw(
                    actor=request_actor(request), district=district, **form.cleaned_data
                )
            except RuleError as error:
                add_rule_error(form, error)
            else:
                messages.success(request, f"已抽取 {check.size} 户档案（随机种子 {check.seed}）。")
                return redirect("backoffice_spot_check", check.pk)
    elif request.method == "POST":
        raise PermissionDenied
    checks = scope_queryset(request.user, SpotCheck.objects.select_related("district"))
    items = (
        scope_queryset(request.user, SpotCheckItem.objects.all())
        .exclude(status=SpotCheckStatus.PENDING)
        .select_related("household", "spot_check", "street")
        .order_by("status", "rectify_by", "id")
    )
    context = {
        "form": form,
        "district": district,
        "checks": checks if request.user.has_perm("backoffice.view_spotcheck") else None,
        "items": None if district is not None else items[:200],
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/spotchecks/index.html", context)


@require_http_methods(["GET"])
def spot_check_view(request, pk: int):
    if not request.user.has_perm("backoffice.view_spotcheck"):
        raise PermissionDenied
    check = get_object_or_404(scope_queryset(request.user, SpotCheck.objects.all()), pk=pk)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=check)
    context = {
        "check": check,
        "items": check.items.select_related("household", "street", "agency"),
        "results": spot_check_results(check),
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/spotchecks/check.html", context)


@require_http_methods(["GET", "POST"])
def spot_check_item_view(request, pk: int):
    """One file drawn: what the ledger says of it, the check (district), the rectification
    (station or agency keeping the file)."""
    if not user_can_follow_spot_checks(request.user):
        raise PermissionDenied
    item = get_object_or_404(
        scope_queryset(request.user, SpotCheckItem.objects.all()).select_related(
            "household", "spot_check", "street", "agency"
        ),
        pk=pk,
    )
    actor = request_actor(request)
    can_check = user_can_run_spot_checks(request.user) and item.status in (
        SpotCheckStatus.PENDING,
        SpotCheckStatus.RECTIFIED,
    )
    can_rectify = user_can_rectify(request.user) and item.status == SpotCheckStatus.RECTIFY
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if posted else None
    record_form = rectify_form = None
    if can_check:
        record_form = SpotCheckRecordForm(
            posted if action == "record" else None, initial={"version": item.version}
        )
    if can_rectify:
        rectify_form = SpotCheckRectifyForm(
            posted if action == "rectify" else None, initial={"version": item.version}
        )
    form = record_form if action == "record" else rectify_form if action == "rectify" else None
    if posted is not None:
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                if action == "record":
                    spot_check_record(actor=actor, item=item, expected_version=version, **data)
                else:
                    spot_check_rectify(actor=actor, item=item, expected_version=version, **data)
            except RuleError as error:
                add_rule_error(form, error)
            else:
                messages.success(request, "已保存。")
                return redirect("backoffice_spot_check_item", item.pk)
    context = {
        "item": item,
        "household": item.household,
        "record_form": record_form,
        "rectify_form": rectify_form,
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/spotchecks/item.html", context)
