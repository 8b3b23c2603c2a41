from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("", views.report_form, name="report"),
    path("areas/", views.areas, name="areas"),
    path("receipt/<str:reference>/", views.receipt, name="receipt"),
    path("status/", views.status, name="status"),
]
