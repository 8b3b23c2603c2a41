"""The fresh one-time code a bulk export asks for (SECURITY E3): one form base for every export.

A form that inherits `ReverifyForm` gets the code field and checks the code as the last step
of its own validation, once its other fields are valid (a code is spent only on a request
that could go ahead): a view cannot forget the check. The form is built for an actor, since
the code is checked for the actor's own device (services/reauth.py). A subclass with a
clean() of its own makes its checks before calling super().clean(), so that a refused request
does not spend the code.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..actor import Actor
from ..services.reauth import CODE_FIELD, ReverifyRefused, otp_reverify
from .base import add_rule_error


class OneTimeCodeInput(forms.TextInput):
    """A code is never written back into the page (C3), even when the form comes back."""

    def format_value(self, value):
        return None


class ReverifyForm(forms.Form):
    # Names the export in the audit log; each subclass sets its own.
    reverify_purpose = ""

    otp_code = forms.CharField(
        label=_("动态口令"),
        max_length=16,
        help_text=_(
            "涉及多户个人信息，请输入手机验证器上当前显示的 6 位数字，每个口令只能使用一次。"
        ),
        error_messages={"required": _("请输入手机验证器上的动态口令。")},
        widget=OneTimeCodeInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "placeholder": _("6 位数字"),
            }
        ),
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                otp_reverify(
                    actor=self.actor,
                    code=cleaned.get(CODE_FIELD, ""),
                    purpose=self.reverify_purpose,
                )
            except ReverifyRefused as refusal:
                add_rule_error(self, refusal)
        return cleaned
