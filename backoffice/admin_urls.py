from django.urls import path

from .views import devices
from .views.reveal import person_reveal_view

urlpatterns = [
    path("persons/<int:pk>/reveal/", person_reveal_view, name="backoffice_person_reveal"),
    path("staff-devices/", devices.device_list, name="backoffice_devices"),
    path(
        "staff-devices/<int:user_id>/issue/", devices.device_issue, name="backoffice_device_issue"
    ),
    path(
        "staff-devices/<int:user_id>/link/",
        devices.enrolment_link_issue,
        name="backoffice_enrolment_link",
    ),
    path("staff-devices/<int:user_id>/unlock/", devices.throttle_unlock, name="backoffice_unlock"),
]
