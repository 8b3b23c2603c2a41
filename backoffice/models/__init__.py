from .areas import Area
from .audit import AuditEvent
from .auth import EnrolmentLink, LoginThrottle, RecoveryCode, RecoveryCodeDevice
from .calendar import WorkdayOverride, WorkdayYear
from .casework import Case, CaseSession, Referral
from .charity import (
    CharityMember,
    CharityOrganisation,
    ListingMessage,
    NeedListing,
    ShareConsent,
    TakeUp,
)
from .deadlines import FileDeadline
from .exchange import RosterImport
from .exits import LedgerExit
from .funds import UnitCost
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
from .projects import ProjectCheck, ServiceProject
from .spotchecks import SpotCheck, SpotCheckItem
from .staff import Agency, ConfidentialityAgreement, StaffProfile, WorkerPledge
from .statistics import StatisticsSnapshot
from .triage import Handover, Triage, Visit

__all__ = [
    "Agency",
    "Area",
    "AuditEvent",
    "Benefit",
    "Case",
    "CaseSession",
    "CharityMember",
    "CharityOrganisation",
    "ConfidentialityAgreement",
    "Household",
    "HouseholdAssignment",
    "HouseholdEvent",
    "LedgerExit",
    "ListingMessage",
    "MeasureProgress",
    "Need",
    "NeedListing",
    "Person",
    "PersonCategory",
    "Plan",
    "PlanMeasure",
    "PrintJob",
    "ProjectCheck",
    "ServiceProject",
    "EnrolmentLink",
    "FileDeadline",
    "Handover",
    "LoginThrottle",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Referral",
    "RosterImport",
    "ShareConsent",
    "SpotCheck",
    "SpotCheckItem",
    "StaffProfile",
    "StatisticsSnapshot",
    "TakeUp",
    "Triage",
    "UnitCost",
    "Visit",
    "WorkdayOverride",
    "WorkerPledge",
    "WorkdayYear",
]
