"""Handovers between jurisdictions (SECURITY B8): the list and the page of one handover.

Both sides see a handover: the sender what it sent and the outcome, never the file; the
receiver (the jurisdiction that holds the person's file) the report or the new member, and
acts on it in its own file. Thin views: services/triage.py decides.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ..actor import request_actor
from ..enums import AuditAction, HandoverKind, NeedType
from ..forms.base import add_rule_error
from ..models import Handover
from ..permissions import user_can_triage
from ..scope import in_scope
from ..services.errors import RuleError
from ..services.events import event_record
from ..services.triage import (
    handover_accept,
    handover_acknowledge,
    handover_return,
    handovers_for,
)
from ..workdays import deadline_state


class HandoverAcceptForm(forms.Form):
    need_type = forms.ChoiceField(label=_("主要需求类型"), choices=NeedType.choices)


class HandoverNoteForm(forms.Form):
    note = forms.CharField(
        label=_("办理说明"),
        min_length=4,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("请写明核实情况或退回理由。"),
            "min_length": _("请具体说明（至少 4 个字）。"),
        },
    )


def _require_triage(request) -> None:
    if not user_can_triage(request.user):
        raise PermissionDenied


@require_GET
def handover_list(request):
    _require_triage(request)
    today = timezone.localdate()
    actor = request_actor(request)
    rows = []
    for handover in handovers_for(actor).select_related(
        "report", "from_street", "to_street", "person__household"
    )[:200]:
        receiving = in_scope(actor, handover.person.household)
        rows.append(
            {
                "handover": handover,
                "receiving": receiving,
                "state": deadline_state(handover.due_on, today) if handover.is_open else None,
            }
        )
    return render(request, "backoffice/handovers/list.html", {"rows": rows})


def _handover(request, pk: int) -> Handover:
    _require_triage(request)
    visible = handovers_for(request_actor(request)).select_related(
        "report", "person__household__community", "from_street", "to_street"
    )
    return get_object_or_404(visible, pk=pk)


def _page(request, handover: Handover, **forms):
    actor = request_actor(request)
    receiving = in_scope(actor, handover.person.household)
    context = {
        "handover": handover,
        "receiving": receiving,
        # The sender sees what it sent and the outcome; the receiver also whom it concerns.
        "person": handover.person if receiving else None,
        "report": handover.report,
        "state": deadline_state(handover.due_on, timezone.localdate())
        if handover.is_open
        else None,
        "can_act": receiving and handover.is_open,
        "is_report": handover.kind == HandoverKind.REPORT,
        "accept_form": forms.get("accept_form") or HandoverAcceptForm(),
        "note_form": forms.get("note_form") or HandoverNoteForm(),
    }
    return render(request, "backoffice/handovers/handover.html", context)


@require_GET
def handover_page(request, pk: int):
    handover = _handover(request, pk)
    event_record(actor=request_actor(request), action=AuditAction.VIEW, obj=handover)
    return _page(request, handover)


@require_POST
def handover_accept_view(request, pk: int):
    handover = _handover(request, pk)
    form = HandoverAcceptForm(request.POST)
    if form.is_valid():
        try:
            household = handover_accept(
                handover_id=handover.pk,
                need_type=form.cleaned_data["need_type"],
                actor=request_actor(request),
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, f"已纳入原档案 {household.file_number}。")
            return redirect("households:inspect", household.pk)
    return _page(request, handover, accept_form=form)


def _note_action(request, pk: int, action, success: str):
    handover = _handover(request, pk)
    form = HandoverNoteForm(request.POST)
    if form.is_valid():
        try:
            action(
                handover_id=handover.pk,
                note=form.cleaned_data["note"],
                actor=request_actor(request),
            )
        except RuleError as error:
            add_rule_error(form, error)
        else:
            messages.success(request, success)
            return redirect("backoffice_handover", handover.pk)
    return _page(request, handover, note_form=form)


@require_POST
def handover_acknowledge_view(request, pk: int):
    return _note_action(request, pk, handover_acknowledge, "已登记核实情况，移交方可看到办理说明。")


@require_POST
def handover_return_view(request, pk: int):
    return _note_action(request, pk, handover_return, "已退回移交方。")
