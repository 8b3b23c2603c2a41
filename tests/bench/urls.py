from django.urls import include, path

from tests.bench.bareapp.views import bare_report

urlpatterns = [
    path("bench/bare/", bare_report),
    path("", include("portal.urls")),
]
