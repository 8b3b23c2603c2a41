"""Permission predicates (STYLE 3). Roles are groups; these read them in one place."""

from __future__ import annotations


def user_can_issue_devices(user) -> bool:
    return user.has_perm("backoffice.issue_otp_device")


def user_can_open_child_record(user) -> bool:
    """SECURITY B4: records of children under 14 need their own permission."""
    return user.has_perm("backoffice.view_child_record")


def user_can_reveal_identifiers(user) -> bool:
    """SECURITY B3: seeing a full ID or phone number is a permission of its own."""
    return user.has_perm("backoffice.reveal_identifiers")


def user_can_triage(user) -> bool:
    """Assign, accept, merge, ask for information or reject a report (district and station)."""
    return user.has_perm("backoffice.triage_report")


def user_can_record_visit(user) -> bool:
    """Record the home-visit interview (also the agency worker who made it, F1)."""
    return user.has_perm("backoffice.record_visit")


def user_can_see_reporter(user) -> bool:
    """SECURITY B7: the reporter's identity is hidden from agencies."""
    return user.has_perm("backoffice.view_reporter")


def user_can_work_cases(user) -> bool:
    """Open cases and record their sessions (U5-U10): stations, districts and social workers."""
    return user.has_perm("backoffice.add_case")


def user_can_confirm_case_closure(user) -> bool:
    """U10: a case closed early needs a supervisor's confirmation (district or station staff)."""
    return user.has_perm("backoffice.confirm_case_closure")


def user_can_link_resources(user) -> bool:
    """Send referrals and record their progress (U1-U4)."""
    return user.has_perm("backoffice.add_referral")


def user_can_revise_plan(user) -> bool:
    """Draw up or revise a household plan (L7): stations, districts and social workers."""
    return user.has_perm("backoffice.add_plan")


def user_can_decide_exit(user) -> bool:
    """D3: a household or member leaves the ledger, or re-enters (district or station staff)."""
    return user.has_perm("backoffice.decide_exit")


def user_can_assign_households(user) -> bool:
    """M4: assign a household to an agency worker, or end it (district or station staff)."""
    return user.has_perm("backoffice.assign_household")


def user_can_publish_listings(user) -> bool:
    """U3, D4: record the consent to share, publish and withdraw a need listing, confirm
    receipt and answer charities (station and district staff)."""
    return user.has_perm("backoffice.add_needlisting")


def user_can_manage_charities(user) -> bool:
    """Register charity organisations and their people (the district bureau)."""
    return user.has_perm("backoffice.change_charityorganisation")


def user_can_import_rosters(user) -> bool:
    """Issue 15: bring a survey roster, an approval list or a department's list in (D1, U12)."""
    return user.has_perm("backoffice.import_roster") or user.has_perm(
        "backoffice.import_department_list"
    )


def user_can_export(user) -> bool:
    """SECURITY E3: take a ledger listing out as a spreadsheet (civil-affairs staff)."""
    return user.has_perm("backoffice.export_records")


def user_can_follow_file_deadline(user) -> bool:
    """M5: the year's progress toward complete files with a plan (city, district, station)."""
    return user.has_perm("backoffice.view_filedeadline")


def user_can_set_file_deadline(user) -> bool:
    """M5: the city bureau sets the date by which every file must be complete."""
    return user.has_perm("backoffice.set_file_deadline")


def user_can_view_statistics(user) -> bool:
    """Issue 16 (U11): the ledger's counts within one's area (city, district, station)."""
    return user.has_perm("backoffice.view_statistics")


def user_can_manage_projects(user) -> bool:
    """M2: the district publishes service projects and records reviews and supervision."""
    return user.has_perm("backoffice.change_serviceproject")


def user_can_run_spot_checks(user) -> bool:
    """M2: the district draws spot checks and checks and rechecks the files drawn."""
    return user.has_perm("backoffice.check_files")


def user_can_follow_spot_checks(user) -> bool:
    """M2: the findings on files one keeps, to rectify them (and the city, to read)."""
    return user.has_perm("backoffice.view_spotcheckitem")


def user_can_rectify(user) -> bool:
    """M2: the station or agency keeping a file rectifies what a spot check found."""
    return user.has_perm("backoffice.change_spotcheckitem")
