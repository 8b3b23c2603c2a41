"""Issue 2 benchmarks: the public home page, /healthz, and an admin listing behind the OTP gate."""

from django.test import Client
from django.test.utils import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.demo.accounts import demo_accounts_create
from tests.bench.harness import measure


def _verified_client(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@override_settings(ALLOWED_HOSTS=["*"])
def run():
    demo_accounts_create()
    public = Client()
    city = _verified_client("city")
    return [
        measure(
            "portal home page (public)",
            lambda: public.get("/"),
            n=100,
            target="p95 <= 100 ms",
            p95_limit_ms=100,
        ),
        measure("/healthz", lambda: public.get("/healthz"), n=200),
        measure(
            "admin area list, 50 of 7,901 rows (city)",
            lambda: city.get("/admin/areas/?level=community"),
            n=50,
            target="p95 <= 100 ms, <= 15 queries",
            p95_limit_ms=100,
            query_limit=15,
        ),
        measure(
            "admin area search ?q=东华门 (city)",
            lambda: city.get("/admin/areas/?q=东华门"),
            n=50,
            target="p95 <= 100 ms",
            p95_limit_ms=100,
        ),
    ]
