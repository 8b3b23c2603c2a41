from .areas import Area
from .audit import AuditEvent
from .auth import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from .calendar import WorkdayOverride, WorkdayYear
from .ledger import (
    Benefit,
    Household,
    HouseholdAssignment,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
)
from .staff import Agency, StaffProfile
from .triage import Triage, Visit

__all__ = [
    "Agency",
    "Area",
    "AuditEvent",
    "Benefit",
    "Household",
    "HouseholdAssignment",
    "HouseholdEvent",
    "Need",
    "Person",
    "PersonCategory",
    "EnrolmentLink",
    "LoginThrottle",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "StaffProfile",
    "Triage",
    "Visit",
    "WorkdayOverride",
    "WorkdayYear",
]
