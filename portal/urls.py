from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from backoffice.views.devices import enrol

from . import ops, views

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics_view, name="metrics"),  # issue 19: METRICS_ALLOWED_IPS only
    path("enrol/<str:token>/", enrol, name="otp_enrol"),
    # SECURITY A7, one way in: Wagtail's front-end login (where login-restricted pages send
    # visitors) is Django's plain LoginView: a password alone, no code, no lockout, no audit.
    # Listed before wagtail_urls, this route shadows it and hands over to the OTP login, `next`
    # included (the OTP login checks it is a local address). A POST is not forwarded.
    path(
        "_util/login/",
        RedirectView.as_view(pattern_name="wagtailadmin_login", query_string=True),
        name="wagtailcore_login",
    ),
    path("report/", include("intake.urls")),
    # P1: the bureau's public site beside the pages Wagtail serves.
    path("search/", views.search_view, name="portal_search"),
    path("feeds/notices.xml", views.NoticesFeed(), name="portal_notices_feed"),
    path("sitemap.xml", sitemap, name="portal_sitemap"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += [path("404/", TemplateView.as_view(template_name="404.html"))]

# Issue 17: the need board (/needs/, /needs.json) and the charities' pages (/charity/).
urlpatterns += [path("", include("backoffice.charity_urls"))]

urlpatterns += [path("", include(wagtail_urls))]
