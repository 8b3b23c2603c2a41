"""Requests the portal refuses before any view reads them (issue 12: SECURITY F4, G5).

A form body in another character set than UTF-8 is refused here with 400. Django refuses an
urlencoded body in another charset itself (BadRequest), but not cleanly: the CSRF check reads
the body first and raises, and Django's 400 handler is wrapped in the same CSRF check, which
reads the body again and raises again, so a real browser (CSRF enforced) got a 500. Bodies of
other types (multipart) in another charset would be decoded into garbled text; no page of the
portal sends one. Every page is served as UTF-8 and its forms post UTF-8.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACCEPTED_CHARSET = "utf-8"


def bad_request() -> HttpResponseBadRequest:
    """The portal's own 400 page, rendered without the request (nothing of it is read). It
    leaves before the clickjacking middleware would mark it (F2), so it is marked here."""
    response = HttpResponseBadRequest(render_to_string("400.html"))
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    return response


class RequestSanityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in BODY_METHODS and not _charset_accepted(request):
            return bad_request()
        return self.get_response(request)


def _charset_accepted(request) -> bool:
    charset = request.content_params.get("charset")
    return charset is None or charset.strip().lower() == ACCEPTED_CHARSET
