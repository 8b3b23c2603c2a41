from .areas import Area
from .audit import AuditEvent
from .auth import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
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
]
