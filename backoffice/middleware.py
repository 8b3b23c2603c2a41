"""Guards every back-office response (SECURITY A1, A5, F2) and audits denied access (C1)."""

import functools
import re
import time
from urllib.parse import urlsplit

import wagtail.admin.auth
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .actor import request_actor
from .enums import AuditAction, AuditOutcome, DenialReason
from .models import AuditEvent
from .services.events import denial_record, event_record

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
        if refusal is not None:
            response = refusal
        else:
            started = timezone.now()
            response = self.get_response(request)
            _denial_audit(request, response, started)
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
        expired = session_clock(request)
        if expired:
            event_record(
                actor=request_actor(request),
                action=AuditAction.SESSION_EXPIRED,
                detail={"reason": expired},
            )
            logout(request)
            messages.warning(request, _("长时间未操作，已自动退出，请重新登录。"))
            return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        return None


def session_clock(request) -> str | None:
    """A5: "idle" or "absolute" when a signed-in session has run out; otherwise None, and the
    activity is noted (at most once a minute). The back office and the charity pages ask it."""
    now = time.time()
    session = request.session
    login_at = session.setdefault(SESSION_LOGIN_AT, now)
    last_seen = session.get(SESSION_LAST_SEEN, now)
    if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
        return "idle"
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
        return "absolute"
    if SESSION_LAST_SEEN not in session or now - last_seen >= SESSION_TOUCH_SECONDS:
        session[SESSION_LAST_SEEN] = now
    return None


# C1: every denied access under /admin/ by a signed-in, OTP-verified user is audited here, once,
# whichever way the denial was made:
# - a 404: the scope answers 404 outside the jurisdiction (B1), and a URL that does not exist;
# - a 403: PermissionDenied outside Wagtail's admin views, an XHR refusal, a CSRF refusal;
# - Wagtail's refusal of a permission: PermissionDenied raised inside its admin views and a
#   failed permission policy check become a redirect to the admin home with a message
#   (wagtail.admin.auth.permission_denied), which leaves no status to see and only translated
#   text. require_admin_access and user_passes_test (so PermissionPolicyChecker too) look the
#   function up in its module when they call it, so wrapping it there marks the request and
#   changes nothing else; tests/integration/test_denied_access.py fails when that stops;
# - a signed-in user sent to the login page: only a user without admin access at all (a
#   charity account) is, by Wagtail's require_admin_access or Django's permission_required.
# Anonymous and password-only requests are not audited: they never reach a view (A1 sends them
# to the login page, whose failures are audited), and rows nobody can be named in would let
# anyone fill a table that can never be pruned (C2).
_DENIAL_MARK = "_backoffice_denial"


def _marking_denial(permission_denied):
    if getattr(permission_denied, "marks_denial", False):  # a module reload: wrapped already
        return permission_denied

    @functools.wraps(permission_denied)
    def marked(request, *args, **kwargs):
        setattr(request, _DENIAL_MARK, DenialReason.WAGTAIL_PERMISSION)
        return permission_denied(request, *args, **kwargs)

    marked.marks_denial = True
    return marked


wagtail.admin.auth.permission_denied = _marking_denial(wagtail.admin.auth.permission_denied)

_STATUS_REASONS = {404: DenialReason.NOT_FOUND, 403: DenialReason.FORBIDDEN}
# C3: a path segment is kept when it is a plain ASCII word or number short of a phone number
# (11 digits) or an ID number; a name, an ID or a phone typed into a URL is not. Of the query
# string only the parameter names are kept, and only those that look like names.
_SAFE_SEGMENT = re.compile(r"(?!.*\d{11})[A-Za-z0-9_.\-]{1,64}")
_SAFE_QUERY_KEY = re.compile(r"[a-z_][a-z0-9_\-]{0,39}")


def _denial_audit(request, response, started) -> None:
    user = getattr(request, "user", None)
    verified = getattr(user, "is_verified", None)  # the login view puts a plain user here
    if user is None or not user.is_authenticated or verified is None or not verified():
        return  # anonymous, signed in or out by this very request (login, logout)
    reason = _denial_reason(request, response)
    if reason is None:
        return
    if reason != DenialReason.NOT_FOUND and _denial_recorded_by_view(user, started):
        return
    match = request.resolver_match
    denial_record(
        actor=request_actor(request),
        reason=reason,
        status=response.status_code,
        path=_safe_path(request.path),
        route=f"/{match.route}" if match is not None else "",
        query_keys=sorted({k if _SAFE_QUERY_KEY.fullmatch(k) else "?" for k in request.GET}),
    )


def _denial_reason(request, response) -> DenialReason | None:
    marked = getattr(request, _DENIAL_MARK, None)
    if marked is not None:
        return marked
    if response.status_code in _STATUS_REASONS:
        return _STATUS_REASONS[response.status_code]
    location = response.get("Location") if response.status_code in (301, 302, 303, 307) else None
    if location and urlsplit(location).path == reverse("wagtailadmin_login"):
        return DenialReason.WAGTAIL_PERMISSION
    return None


def _denial_recorded_by_view(user, since) -> bool:
    """A view that audits its own refusal with more to say (a child's record, B4: which person)
    has written the one event of this denial; those events carry no route."""
    return (
        AuditEvent.objects.filter(
            actor_id=user.pk, action=AuditAction.DENIED, outcome=AuditOutcome.DENIED, at__gte=since
        )
        .exclude(detail__has_key="route")
        .exists()
    )


def _safe_path(path: str) -> str:
    segments = [s if not s or _SAFE_SEGMENT.fullmatch(s) else "*" for s in path.split("/")]
    return "/".join(segments)[:200]
