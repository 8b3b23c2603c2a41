from django.conf import settings
from django.urls import include, path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from backoffice.views.devices import enrol

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("enrol/<str:token>/", enrol, name="otp_enrol"),
    path("report/", include("intake.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += [path("404/", TemplateView.as_view(template_name="404.html"))]

urlpatterns += [path("", include(wagtail_urls))]
