from django.urls import path

from .views import devices, triage
from .views.reveal import person_reveal_view

urlpatterns = [
    path("reports/<int:pk>/", triage.report_workspace, name="backoffice_report"),
    path("reports/<int:pk>/assign/", triage.report_assign_view, name="backoffice_report_assign"),
    path("reports/<int:pk>/visit/", triage.report_visit_view, name="backoffice_report_visit"),
    path("reports/<int:pk>/accept/", triage.report_accept_view, name="backoffice_report_accept"),
    path("reports/<int:pk>/merge/", triage.report_merge_view, name="backoffice_report_merge"),
    path(
        "reports/<int:pk>/request-info/",
        triage.report_request_info_view,
        name="backoffice_report_request_info",
    ),
    path("reports/<int:pk>/reject/", triage.report_reject_view, name="backoffice_report_reject"),
    path(
        "reports/<int:pk>/attachments/<int:attachment_id>/",
        triage.attachment_download,
        name="backoffice_report_attachment",
    ),
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
