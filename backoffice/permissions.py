"""Permission predicates (STYLE 3). Roles are groups; these read them in one place."""

from __future__ import annotations

from .enums import ADMIN_ROLES, LEDGER_ROLES, Role


def user_role(user) -> Role | None:
    profile = getattr(user, "staff_profile", None)
    return Role(profile.role) if profile is not None else None


def user_can_enter_admin(user) -> bool:
    return user.is_superuser or user_role(user) in ADMIN_ROLES


def user_can_work_ledger(user) -> bool:
    return user_role(user) in LEDGER_ROLES


def user_can_read_audit(user) -> bool:
    return user.has_perm("backoffice.view_auditevent")


def user_can_issue_devices(user) -> bool:
    return user.has_perm("backoffice.issue_otp_device")


def user_can_open_child_record(user) -> bool:
    """SECURITY B4: records of children under 14 need their own permission."""
    return user.has_perm("backoffice.view_child_record")


def user_can_reveal_identifiers(user) -> bool:
    """SECURITY B3: seeing a full ID or phone number is a permission of its own."""
    return user.has_perm("backoffice.reveal_identifiers")
