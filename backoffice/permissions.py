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
