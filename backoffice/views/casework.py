"""The page of one case (U5-U10) and of one referral (U1-U4), with their actions.

Thin views: forms parse, services in services/cases.py and services/referrals.py decide. Both
pages go through the jurisdiction scope, so a case or referral outside it answers 404 (SECURITY
B1); a child's case needs the child-record permission (B4); every opening is audited (C1).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ..actor import request_actor
from ..children import child_record_refuse
from ..enums import AuditAction, CaseStatus
from ..forms.base import add_rule_error
from ..forms.casework import (
    CaseCloseRequestForm,
    CaseCloseReviewForm,
    CaseCompleteForm,
    CaseEditForm,
    ReferralStatusForm,
    SessionForm,
)
from ..models import Case, Referral
from ..models.casework import MIN_SESSIONS
from ..permissions import (
    user_can_confirm_case_closure,
    user_can_link_resources,
    user_can_work_cases,
)
from ..scope import scope_queryset
from ..services.cases import (
    case_close_early_confirm,
    case_close_early_reject,
    case_close_early_request,
    case_complete,
    case_update,
    session_record,
)
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.referrals import referral_update_status


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _act(request, form, action: Callable[[dict], object], *, success: str, page, url: str):
    """Run a service with the form's values; a refusal is shown on the form, on the page."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, success)
            return redirect(url)
    return page(form)


# Cases -----------------------------------------------------------------------------------------


def _case(request, pk: int) -> Case:
    visible = scope_queryset(request.user, Case.objects.all())
    case = get_object_or_404(
        visible.select_related("household__community", "person", "worker", "closure_requested_by"),
        pk=pk,
    )
    if case.person_id:
        child_record_refuse(request_actor(request), case.person)  # B4
    return case


def _case_page(request, case: Case, **forms):
    user = request.user
    sessions = list(case.sessions.select_related("worker"))
    can_work = user_can_work_cases(user) and case.is_open
    pending = case.status == CaseStatus.CLOSURE_REQUESTED
    context = {
        # A refusal that belongs to no field is shown at the top: the form may be hidden now.
        "page_errors": [e for form in forms.values() for e in form.non_field_errors()],
        "case": case,
        "sessions": sessions,
        "session_count": len(sessions),
        "can_work": can_work,
        "min_sessions": MIN_SESSIONS,
        "can_complete": can_work and len(sessions) >= MIN_SESSIONS,
        "pending": pending,
        # U10: the one who asked never confirms their own request.
        "can_review": pending
        and user_can_confirm_case_closure(user)
        and case.closure_requested_by_id != user.pk,
        "session_form": forms.get("session_form") or SessionForm(case=case, user=user),
        "edit_form": forms.get("edit_form") or CaseEditForm(case=case, user=user),
        "complete_form": forms.get("complete_form") or CaseCompleteForm(prefix="complete"),
        "close_form": forms.get("close_form") or CaseCloseRequestForm(prefix="close"),
        "review_form": forms.get("review_form") or CaseCloseReviewForm(prefix="review"),
    }
    return render(request, "backoffice/casework/case.html", context)


@require_GET
def case_page(request, pk: int):
    case = _case(request, pk)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=case)
    return _case_page(request, case)


def _case_action(request, pk: int, *, allowed, form_name: str, make_form, action, success: str):
    case = _case(request, pk)  # outside the scope: 404 before anything else (B1)
    _require(allowed(request.user))
    actor = request_actor(request)
    return _act(
        request,
        make_form(case),
        lambda data: action(case, data, actor),
        success=success,
        page=lambda bound: _case_page(request, case, **{form_name: bound}),
        url=reverse("backoffice_case", args=[case.pk]),
    )


@require_POST
def case_edit_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_work_cases,
        form_name="edit_form",
        make_form=lambda case: CaseEditForm(request.POST, case=case, user=request.user),
        action=lambda case, data, actor: case_update(case=case, actor=actor, **data),
        success="已保存个案计划的修改。",
    )


@require_POST
def case_session_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_work_cases,
        form_name="session_form",
        make_form=lambda case: SessionForm(request.POST, case=case, user=request.user),
        action=lambda case, data, actor: session_record(case=case, actor=actor, **data),
        success="已记录本次服务。",
    )


@require_POST
def case_complete_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_work_cases,
        form_name="complete_form",
        make_form=lambda case: CaseCompleteForm(request.POST, prefix="complete"),
        action=lambda case, data, actor: case_complete(case=case, actor=actor, **data),
        success="个案已结案。",
    )


@require_POST
def case_close_request_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_work_cases,
        form_name="close_form",
        make_form=lambda case: CaseCloseRequestForm(request.POST, prefix="close"),
        action=lambda case, data, actor: case_close_early_request(
            case=case, actor=request_actor(request), **data
        ),
        success="已申请提前结案，等待主管确认。",
    )


@require_POST
def case_close_confirm_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_confirm_case_closure,
        form_name="review_form",
        make_form=lambda case: CaseCloseReviewForm(request.POST, prefix="review"),
        action=lambda case, data, actor: case_close_early_confirm(
            case=case, actor=request_actor(request), **data
        ),
        success="已确认提前结案。",
    )


@require_POST
def case_close_reject_view(request, pk: int):
    return _case_action(
        request,
        pk,
        allowed=user_can_confirm_case_closure,
        form_name="review_form",
        make_form=lambda case: CaseCloseReviewForm(request.POST, prefix="review"),
        action=lambda case, data, actor: case_close_early_reject(
            case=case, actor=request_actor(request), **data
        ),
        success="已退回提前结案申请，个案继续服务。",
    )


# Referrals -------------------------------------------------------------------------------------


def _referral(request, pk: int) -> Referral:
    visible = scope_queryset(request.user, Referral.objects.all())
    referral = get_object_or_404(
        visible.with_overdue(timezone.localdate()).select_related(
            "household__community", "person", "created_by"
        ),
        pk=pk,
    )
    if referral.person_id:
        child_record_refuse(request_actor(request), referral.person)  # B4
    return referral


def _referral_page(request, referral: Referral, status_form=None):
    context = {
        "page_errors": status_form.non_field_errors() if status_form else [],
        "referral": referral,
        "can_update": user_can_link_resources(request.user) and referral.is_open,
        "status_form": status_form or ReferralStatusForm(referral=referral),
    }
    return render(request, "backoffice/casework/referral.html", context)


@require_GET
def referral_page(request, pk: int):
    referral = _referral(request, pk)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=referral)
    return _referral_page(request, referral)


@require_POST
def referral_status_view(request, pk: int):
    referral = _referral(request, pk)
    _require(user_can_link_resources(request.user))
    form = ReferralStatusForm(request.POST, referral=referral)
    return _act(
        request,
        form,
        lambda data: referral_update_status(
            referral=referral, actor=request_actor(request), **data
        ),
        success="已更新资源链接的办理情况。",
        page=lambda bound: _referral_page(request, referral, bound),
        url=reverse("backoffice_referral", args=[referral.pk]),
    )
