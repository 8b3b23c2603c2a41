"""Guards every back-office response (SECURITY A1, A5, F2)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .actor import request_actor
from .enums import AuditAction
from .services.events import event_record

ADMIN_PREFIX = "/admin/"
SESSION_LOGIN_AT = "backoffice_login_at"
SESSION_LAST_SEEN = "backoffice_last_seen"
# A5 needs the last activity to the minute, not a session write (three queries on SQLite) on
# every request: P, back-office pages within 15 queries.
SESSION_TOUCH_SECONDS = 60


class BackOfficeGuardMiddleware:
    """Under /admin/: a password-only session is logged out (never served), idle and absolute
    timeouts end sessions, and every response is marked no-store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(ADMIN_PREFIX):
            return self.get_response(request)
        refusal = self._refuse(request)
        response = refusal or self.get_response(request)
        response["Cache-Control"] = "no-store, private"
        response["Pragma"] = "no-cache"
        # Wagtail's admin widgets carry small inline scripts; the public site stays strict.
        response._csp_update = {"script-src": ["'unsafe-inline'"]}
        return response

    def _refuse(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        login_url = reverse("wagtailadmin_login")
        if not user.is_verified():
            # A1: logging out first avoids a redirect loop with Wagtail's own login view.
            logout(request)
            if request.path == login_url:
                return None
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        now = time.time()
        session = request.session
        login_at = session.setdefault(SESSION_LOGIN_AT, now)
        last_seen = session.get(SESSION_LAST_SEEN, now)
        idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS
        too_old = now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
        if idle or too_old:
            event_record(
                actor=request_actor(request),
                action=AuditAction.SESSION_EXPIRED,
                detail={"reason": "idle" if idle else "absolute"},
            )
            logout(request)
            messages.warning(request, _("长时间未操作，已自动退出，请重新登录。"))
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        if SESSION_LAST_SEEN not in session or now - last_seen >= SESSION_TOUCH_SECONDS:
            session[SESSION_LAST_SEEN] = now
        return None
