from .areas import Area
from .audit import AuditEvent
from .auth import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from .staff import Agency, StaffProfile

__all__ = [
    "Agency",
    "Area",
    "AuditEvent",
    "EnrolmentLink",
    "LoginThrottle",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "StaffProfile",
]
