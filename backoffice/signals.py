"""Audit of logins and logouts (SECURITY C1) and the session clock (A5)."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from portal.client import client_address

from .actor import Actor
from .enums import AuditAction, Channel
from .middleware import SESSION_LAST_SEEN, SESSION_LOGIN_AT
from .services.events import event_record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_LOGIN_AT] = now
        request.session[SESSION_LAST_SEEN] = now
    device = getattr(user, "otp_device", None)
    event_record(
        actor=Actor(user=user, channel=Channel.WEB, ip=client_address(request)),
        action=AuditAction.LOGIN,
        detail={"factor": device.__class__.__name__ if device else "password-only"},
    )


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        event_record(
            actor=Actor(user=user, channel=Channel.WEB, ip=client_address(request)),
            action=AuditAction.LOGOUT,
        )
