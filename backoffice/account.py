"""The account page's password panel (SECURITY A2, A7): Wagtail's own checks the old password
with no lockout and no audit, so it is switched off (WAGTAIL_PASSWORD_MANAGEMENT_ENABLED) and
this one, whose form goes through services/auth.py, takes its place."""

from __future__ import annotations

from wagtail.admin.views.account import ChangePasswordPanel

from .actor import request_actor
from .forms.auth import LockedPasswordChangeForm


class LockedPasswordPanel(ChangePasswordPanel):
    form_class = LockedPasswordChangeForm

    def is_active(self):
        return self.user.has_usable_password()

    def get_form(self):
        # Wagtail builds the panels again to render the page after a POST: one form per
        # request, so one wrong old password counts once.
        form = getattr(self.request, "_locked_password_form", None)
        if form is None:
            form = self.request._locked_password_form = self._new_form()
        return form

    def _new_form(self):
        # As Wagtail's panel: bound only when a new password was typed.
        actor = request_actor(self.request)
        data = self.request.POST if self.request.method == "POST" else None
        if data is not None and any(
            data.get(f"{self.name}-{field}") for field in ("new_password1", "new_password2")
        ):
            return self.form_class(self.user, data, prefix=self.name, actor=actor)
        return self.form_class(self.user, prefix=self.name, actor=actor)
