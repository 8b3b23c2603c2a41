"""Confidentiality (M3, SECURITY B6): a district records an agency's agreement and downloads
its text; a worker signs the personal pledge. Thin views over services/agencies.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..actor import request_actor
from ..enums import AuditAction, Role
from ..forms.agencies import AgreementForm, PledgeForm
from ..forms.base import add_rule_error
from ..models import Agency
from ..models.staff import agency_access
from ..scope import scope_queryset
from ..services.agencies import PLEDGE_TEXT, agreement_record, pledge_sign
from ..services.errors import RuleError
from ..services.events import event_record


def _agency(request, pk: int) -> Agency:
    return get_object_or_404(scope_queryset(request.user, Agency.objects.all()), pk=pk)


@require_POST
def agreement_record_view(request, pk: int):
    agency = _agency(request, pk)
    if not request.user.has_perm("backoffice.change_agency"):
        raise PermissionDenied
    form = AgreementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            agreement_record(
                actor=request_actor(request),
                agency=agency,
                signed_on=form.cleaned_data["signed_on"],
                expires_on=form.cleaned_data["expires_on"],
                document=form.cleaned_data["document"],
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(
                request, "已登记保密协议；协议生效期间，已签署承诺的社工可办理分派的家庭。"
            )
            return redirect("agencies:inspect", agency.pk)
    for errors in form.errors.values():
        messages.error(request, errors[0])
    return redirect("agencies:inspect", agency.pk)


@require_GET
def agreement_download_view(request, pk: int, agreement_id: int):
    agency = _agency(request, pk)
    agreement = get_object_or_404(agency.agreements, pk=agreement_id)
    if not agreement.document:
        raise Http404
    # Issue 19: opened before the download is audited; a store that is down stops it here.
    document = agreement.document.open("rb")
    event_record(
        actor=request_actor(request),
        action=AuditAction.DOWNLOAD,
        obj=agreement,
        detail={"agency": agency.pk},
    )
    response = FileResponse(
        document,
        as_attachment=True,
        filename=agreement.original_name or f"保密协议-{agency.pk}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def pledge_view(request):
    """M3: a worker reads and signs the personal pledge; the page also says why a worker sees
    no household (B6)."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is None or profile.role != Role.AGENCY_WORKER:
        raise PermissionDenied
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pledge_sign(actor=request_actor(request), signature=form.cleaned_data["signature"])
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, "已签署个人保密承诺。")
            return redirect("backoffice_pledge")
    context = {
        "form": form,
        "pledge_text": PLEDGE_TEXT,
        "access": agency_access(profile),
        "agency": profile.agency,
    }
    return render(request, "backoffice/agencies/pledge.html", context)
