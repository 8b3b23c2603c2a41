"""Device issuance by a security administrator (SECURITY A6) and the one-time enrolment link."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..actor import request_actor
from ..permissions import user_can_issue_devices
from ..services import auth as auth_services


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, title=_("动态口令二维码"))


def _require_issuer(request) -> None:
    if not user_can_issue_devices(request.user):
        raise PermissionDenied


def device_list(request):
    _require_issuer(request)
    users = list(get_user_model().objects.order_by("username").select_related("staff_profile"))
    confirmed = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    locked = auth_services.accounts_locked(users)
    rows = [{"user": u, "has_device": u.pk in confirmed, "locked": u.pk in locked} for u in users]
    return render(request, "backoffice/devices/list.html", {"rows": rows})


@require_http_methods(["POST"])
def device_issue(request, user_id: int):
    """Shows the QR code and recovery codes once; the response is never cached."""
    _require_issuer(request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    issued = auth_services.otp_device_issue(actor=request_actor(request), user=user)
    return render(
        request,
        "backoffice/devices/issued.html",
        {
            "target": user,
            "qr_svg": _qr_svg(issued.config_url),
            "secret": issued.secret_b32,
            "recovery_codes": issued.recovery_codes,
        },
    )


@require_http_methods(["POST"])
def enrolment_link_issue(request, user_id: int):
    _require_issuer(request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    raw = auth_services.enrolment_link_create(actor=request_actor(request), user=user)
    link = request.build_absolute_uri(reverse("otp_enrol", args=[raw]))
    return render(
        request,
        "backoffice/devices/link.html",
        {
            "target": user,
            "link": link,
            "hours": auth_services.ENROLMENT_LINK_HOURS,
        },
    )


@require_http_methods(["POST"])
def throttle_unlock(request, user_id: int):
    _require_issuer(request)
    user = get_object_or_404(get_user_model(), pk=user_id)
    auth_services.throttle_unlock(actor=request_actor(request), user=user)
    messages.success(request, _("已解除 %(name)s 的登录锁定。") % {"name": user.username})
    return redirect("backoffice_devices")


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request, token: str):
    """Public, outside /admin/: the person proves their password, scans, and confirms a code."""
    link = auth_services.enrolment_link_get(token)
    if link is None:
        raise Http404(_("绑定链接无效或已过期，请联系安全管理员重新生成。"))
    context = {"username": link.user.get_username()}
    if request.method == "POST" and "password" in request.POST:
        try:
            device, secret = auth_services.enrolment_start(
                actor=request_actor(request), link=link, password=request.POST.get("password", "")
            )
        except auth_services.LoginRefused as refused:
            context["error"] = refused.message
        else:
            context.update(step="scan", qr_svg=_qr_svg(device.config_url), secret=secret)
    elif request.method == "POST" and "otp_token" in request.POST:
        try:
            codes = auth_services.enrolment_confirm(
                actor=request_actor(request), link=link, code=request.POST.get("otp_token", "")
            )
        except auth_services.LoginRefused as refused:
            context.update(step="scan", error=refused.message)
        else:
            context.update(step="done", recovery_codes=codes)
    return render(request, "backoffice/devices/enrol.html", context)
