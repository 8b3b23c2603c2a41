"""The one-step back-office login form: username, password and one-time code (SECURITY A1)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm, PasswordChangeForm

from portal.client import client_address

from ..actor import Actor
from ..enums import Channel, Role
from ..services.auth import LoginRefused, login_verify, password_confirm


class OTPLoginForm(LoginForm):
    otp_token = forms.CharField(
        label=_("动态口令"),
        max_length=16,
        required=True,
        help_text=_("手机验证器显示的 6 位数字；手机不在身边时可输入一次性恢复码。"),
        error_messages={"required": _("请输入动态口令。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "placeholder": _("6 位数字"),
            }
        ),
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["username"].error_messages["required"] = _("请输入用户名。")
        self.fields["password"].label = _("密码")
        self.fields["password"].error_messages["required"] = _("请输入密码。")
        self.fields.pop("remember", None)  # SECURITY A5: no long-lived sessions

    def clean(self):
        data = self.cleaned_data
        if not (data.get("username") and data.get("password")):
            return data
        # A7: a username and password are always checked, with or without a code, so that
        # every attempt counts toward the lock; a missing code fails like a wrong one.
        # Nobody yet, from this address: the service names the account once it is known.
        actor = Actor(user=None, channel=Channel.WEB, ip=client_address(self.request))
        try:
            user, device = login_verify(
                actor=actor,
                username=data["username"],
                password=data["password"],
                token=data.get("otp_token") or "",
            )
        except LoginRefused as refused:
            raise forms.ValidationError(refused.message, code="invalid_login") from None
        self.confirm_login_allowed(user)
        user.otp_device = device  # django-otp marks the session verified at login
        self.user_cache = user
        return data

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise forms.ValidationError(_("该账号已停用。"), code="inactive")
        self.door_check(user)

    # Where this form lets people in; both doors check password and code the same way (A7).
    door = "admin"

    def door_check(self, user) -> None:
        """B5: a charity's people never enter the back office; they have their own door."""
        profile = getattr(user, "staff_profile", None)
        if profile is not None and profile.role == Role.CHARITY:
            self.refuse_at_this_door(user)
            raise forms.ValidationError(
                _("慈善组织账号不能进入工作台，请从慈善组织入口登录：/charity/login/"),
                code="wrong_door",
            )

    def refuse_at_this_door(self, user) -> None:
        """C1: both factors were right, at the wrong door: nobody signs in, and it is audited."""
        from ..services.charity import wrong_door_record

        actor = Actor(user=None, channel=Channel.WEB, ip=client_address(self.request))
        wrong_door_record(actor=actor, user=user, door=self.door)


class LockedPasswordChangeForm(PasswordChangeForm):
    """Changing the password on the account page: the old password is checked like a login's,
    under the username's lock and count, and audited (A2, A7, C1)."""

    def __init__(self, user, *args, actor: Actor, **kwargs):
        self.actor = actor
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = _("原密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")

    def clean_old_password(self):
        password = self.cleaned_data.get("old_password") or ""
        try:
            password_confirm(actor=self.actor, password=password)
        except LoginRefused as refused:
            raise forms.ValidationError(refused.message, code="password_incorrect") from None
        return password
