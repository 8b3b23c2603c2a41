from .areas import Area
from .audit import AuditEvent
from .auth import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from .calendar import WorkdayOverride, WorkdayYear
from .casework import Case, CaseSession, Referral
from .exchange import RosterImport
from .exits import LedgerExit
from .ledger import (
    Benefit,
    Household,
    HouseholdAssignment,
    HouseholdEvent,
    Need,
    Person,
    PersonCategory,
)
from .plans import MeasureProgress, Plan, PlanMeasure
from .printing import PrintJob
from .staff import Agency, ConfidentialityAgreement, StaffProfile, WorkerPledge
from .triage import Handover, Triage, Visit

__all__ = [
    "Agency",
    "Area",
    "AuditEvent",
    "Benefit",
    "Case",
    "CaseSession",
    "ConfidentialityAgreement",
    "Household",
    "HouseholdAssignment",
    "HouseholdEvent",
    "LedgerExit",
    "MeasureProgress",
    "Need",
    "Person",
    "PersonCategory",
    "Plan",
    "PlanMeasure",
    "PrintJob",
    "EnrolmentLink",
    "Handover",
    "LoginThrottle",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Referral",
    "RosterImport",
    "StaffProfile",
    "Triage",
    "Visit",
    "WorkdayOverride",
    "WorkerPledge",
    "WorkdayYear",
]
