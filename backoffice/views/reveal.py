"""Revealing a full identifier (SECURITY B3): a permission, a typed reason, an audit entry."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..actor import request_actor
from ..models import Person
from ..permissions import user_can_reveal_identifiers
from ..scope import scope_queryset
from ..services.ledger import person_reveal


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("查看项目"), choices=[("id_number", _("身份证号")), ("phone", _("联系电话"))]
    )
    reason = forms.CharField(
        label=_("查看原因"),
        min_length=4,
        max_length=200,
        error_messages={
            "required": _("请填写查看完整信息的工作原因。"),
            "min_length": _("请具体说明查看原因（至少 4 个字）。"),
        },
        widget=forms.TextInput(attrs={"placeholder": _("例如：为办理医疗救助核对身份")}),
    )


@require_http_methods(["GET", "POST"])
def person_reveal_view(request, pk: int):
    person = get_object_or_404(scope_queryset(request.user, Person.objects.all()), pk=pk)
    if not user_can_reveal_identifiers(request.user):
        raise PermissionDenied
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        revealed = person_reveal(
            actor=request_actor(request),
            person=person,
            field=form.cleaned_data["field"],
            reason=form.cleaned_data["reason"],
        )
    return render(
        request,
        "backoffice/ledger/reveal.html",
        {"person": person, "form": form, "revealed": revealed},
    )
