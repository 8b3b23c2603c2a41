from django.urls import path

from .views import (
    agencies,
    assignments,
    charity_station,
    deadlines,
    devices,
    exits,
    funds,
    handovers,
    my_work,
    pdf,
    plans,
    projects,
    snapshots,
    spotchecks,
    statistics,
    triage,
    visits,
)
from .views.casework import (
    case_close_confirm_view,
    case_close_reject_view,
    case_close_request_view,
    case_complete_view,
    case_edit_view,
    case_page,
    case_session_view,
    referral_page,
    referral_status_view,
)
from .views.exchange import (
    exchange_home,
    export_urls,
    roster_feedback_view,
    roster_import_cancel_view,
    roster_import_confirm_view,
    roster_import_errors_download,
    roster_import_page,
    roster_template_download,
)
from .views.reveal import person_reveal_view

urlpatterns = [
    path("my-work/", my_work.my_work_view, name="backoffice_my_work"),
    path("reports/<int:pk>/", triage.report_workspace, name="backoffice_report"),
    path("reports/leads/new/", triage.lead_register_view, name="backoffice_lead_register"),
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
    path("reports/<int:pk>/reveal/", triage.report_reveal_view, name="backoffice_report_reveal"),
    path(
        "reports/<int:pk>/attachments/<int:attachment_id>/",
        triage.attachment_download,
        name="backoffice_report_attachment",
    ),
    path("persons/<int:pk>/reveal/", person_reveal_view, name="backoffice_person_reveal"),
    # B8: reports and new members whose person is filed in another jurisdiction.
    path("handovers/", handovers.handover_list, name="backoffice_handovers"),
    path("handovers/<int:pk>/", handovers.handover_page, name="backoffice_handover"),
    path(
        "handovers/<int:pk>/accept/",
        handovers.handover_accept_view,
        name="backoffice_handover_accept",
    ),
    path(
        "handovers/<int:pk>/acknowledge/",
        handovers.handover_acknowledge_view,
        name="backoffice_handover_acknowledge",
    ),
    path(
        "handovers/<int:pk>/return/",
        handovers.handover_return_view,
        name="backoffice_handover_return",
    ),
    # Issue 5: case assistance (U5-U10) and resource linking (U1-U4).
    path("cases/<int:pk>/", case_page, name="backoffice_case"),
    path("cases/<int:pk>/sessions/", case_session_view, name="backoffice_case_session"),
    path("cases/<int:pk>/edit/", case_edit_view, name="backoffice_case_edit"),
    path("cases/<int:pk>/complete/", case_complete_view, name="backoffice_case_complete"),
    path("cases/<int:pk>/close/", case_close_request_view, name="backoffice_case_close_request"),
    path(
        "cases/<int:pk>/close/confirm/",
        case_close_confirm_view,
        name="backoffice_case_close_confirm",
    ),
    path(
        "cases/<int:pk>/close/reject/", case_close_reject_view, name="backoffice_case_close_reject"
    ),
    path("referrals/<int:pk>/", referral_page, name="backoffice_referral"),
    path("referrals/<int:pk>/status/", referral_status_view, name="backoffice_referral_status"),
    # Issue 5: the household plan (L7), follow-up visits (L6), exit and re-entry (D3).
    path("households/<int:pk>/plan/", plans.plan_view, name="backoffice_plan"),
    path(
        "households/<int:pk>/plan/versions/<int:number>/",
        plans.plan_view,
        name="backoffice_plan_version",
    ),
    path("households/<int:pk>/plan/revise/", plans.plan_revise_view, name="backoffice_plan_revise"),
    path(
        "households/<int:pk>/visits/new/", visits.visit_record_view, name="backoffice_visit_record"
    ),
    path(
        "households/<int:pk>/visits/<int:visit_id>/",
        visits.visit_detail_view,
        name="backoffice_visit",
    ),
    path("households/<int:pk>/exit/", exits.household_exit_view, name="backoffice_household_exit"),
    # M4: who serves the household.
    path(
        "households/<int:pk>/assign/",
        assignments.household_assign_view,
        name="backoffice_household_assign",
    ),
    path(
        "households/<int:pk>/assignments/<int:assignment_id>/end/",
        assignments.assignment_end_view,
        name="backoffice_assignment_end",
    ),
    path(
        "households/<int:pk>/reenter/",
        exits.household_reenter_view,
        name="backoffice_household_reenter",
    ),
    path("visits-due/", visits.visits_due_view, name="backoffice_visits_due"),
    # Issue 6: printing (L7, M5), scoped (B1) and audited (C1).
    path(
        "households/<int:pk>/pdf/plan/",
        pdf.household_plan_pdf,
        name="backoffice_household_plan_pdf",
    ),
    path(
        "households/<int:pk>/pdf/file/",
        pdf.household_file_pdf,
        name="backoffice_household_file_pdf",
    ),
    path("print-jobs/", pdf.print_jobs_view, name="backoffice_print_jobs"),
    path("print-jobs/<int:pk>/", pdf.print_job_view, name="backoffice_print_job"),
    path("print-jobs/<int:pk>/retry/", pdf.print_job_retry_view, name="backoffice_print_job_retry"),
    path(
        "print-jobs/<int:pk>/download/",
        pdf.print_job_download,
        name="backoffice_print_job_download",
    ),
    # M3, B6: confidentiality agreements and pledges.
    path(
        "agencies/<int:pk>/agreements/new/",
        agencies.agreement_record_view,
        name="backoffice_agreement_record",
    ),
    path(
        "agencies/<int:pk>/agreements/<int:agreement_id>/download/",
        agencies.agreement_download_view,
        name="backoffice_agreement_download",
    ),
    path("pledge/", agencies.pledge_view, name="backoffice_pledge"),
    # M2: a district publishes a service project and records its reviews and supervision.
    path(
        "projects/<int:pk>/publish/",
        projects.project_publish_view,
        name="backoffice_project_publish",
    ),
    path(
        "projects/<int:pk>/checks/new/",
        projects.project_check_view,
        name="backoffice_project_check",
    ),
    # M1: a project's unit costs, the funds its year needs, the monthly statement per agency.
    path("projects/<int:pk>/unit-costs/", funds.unit_costs_view, name="backoffice_unit_costs"),
    path("projects/<int:pk>/funds/", funds.funds_view, name="backoffice_project_funds"),
    path("projects/<int:pk>/statement/", funds.statement_view, name="backoffice_project_statement"),
    # M1: an agency's own people read their agency's monthly statement.
    path("agency-statement/", funds.agency_statement_view, name="backoffice_agency_statement"),
    # M2: spot checks of ledger files, their findings, rectification and recheck.
    path("spot-checks/", spotchecks.spot_checks_view, name="backoffice_spot_checks"),
    path("spot-checks/<int:pk>/", spotchecks.spot_check_view, name="backoffice_spot_check"),
    path(
        "spot-checks/items/<int:pk>/",
        spotchecks.spot_check_item_view,
        name="backoffice_spot_check_item",
    ),
    # M5: the year's deadline for complete files with a plan, and the progress toward it.
    path("file-deadline/", deadlines.file_deadline_view, name="backoffice_file_deadline"),
    # Issue 16 (U11): the ledger's counts area by area, within the user's scope.
    path("statistics/", statistics.statistics_view, name="backoffice_statistics"),
    # Issue 16 items 2-3: monthly snapshots (and the release drawn from one), the trends.
    path("statistics/snapshots/", snapshots.snapshots_view, name="backoffice_statistics_snapshots"),
    path("statistics/trends/", snapshots.trends_view, name="backoffice_statistics_trends"),
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
    # Issue 17 (U3, P3, D4): consent to share, listings for charities, receipt, messages.
    path(
        "households/<int:pk>/charity-consent/",
        charity_station.share_consent_view,
        name="backoffice_share_consent",
    ),
    path(
        "charity-consents/<int:pk>/withdraw/",
        charity_station.share_consent_withdraw_view,
        name="backoffice_share_consent_withdraw",
    ),
    path(
        "needs/<int:pk>/publish/",
        charity_station.listing_publish_view,
        name="backoffice_listing_publish",
    ),
    path(
        "charity-listings/<int:pk>/withdraw/",
        charity_station.listing_withdraw_view,
        name="backoffice_listing_withdraw",
    ),
    path(
        "charity-listings/<int:pk>/messages/",
        charity_station.listing_reply_view,
        name="backoffice_listing_reply",
    ),
    path(
        "charity-take-ups/<int:pk>/confirm/",
        charity_station.take_up_confirm_view,
        name="backoffice_take_up_confirm",
    ),
    path(
        "charities/<int:pk>/members/new/",
        charity_station.charity_member_add_view,
        name="backoffice_charity_member_add",
    ),
    path(
        "charity-members/<int:pk>/deactivate/",
        charity_station.charity_member_deactivate_view,
        name="backoffice_charity_member_deactivate",
    ),
    # Issue 15: data exchange (D1, U12, E2, E3): rosters in, listings out.
    path("exchange/", exchange_home, name="backoffice_exchange"),
    path("exchange/template/", roster_template_download, name="backoffice_roster_template"),
    path("exchange/imports/<int:pk>/", roster_import_page, name="backoffice_roster_import"),
    path(
        "exchange/imports/<int:pk>/confirm/",
        roster_import_confirm_view,
        name="backoffice_roster_import_confirm",
    ),
    path(
        "exchange/imports/<int:pk>/cancel/",
        roster_import_cancel_view,
        name="backoffice_roster_import_cancel",
    ),
    path(
        "exchange/imports/<int:pk>/errors/download/",
        roster_import_errors_download,
        name="backoffice_roster_import_errors",
    ),
    path(
        "exchange/imports/<int:pk>/feedback/",
        roster_feedback_view,
        name="backoffice_roster_feedback",
    ),
    *export_urls(),
]
