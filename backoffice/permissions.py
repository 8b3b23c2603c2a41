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
