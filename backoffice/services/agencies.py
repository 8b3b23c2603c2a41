"""Social-work agencies and confidentiality (M3, SECURITY B6): the district records each
agency's confidentiality agreement, every worker signs a personal pledge, and without both an
agency's people open no household (backoffice/scope.py asks `models.staff.agency_access`).
The district is warned 30 days before an agreement runs out.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from intake.uploads import CleanUpload

from ..actor import Actor
from ..enums import AuditAction, Role
from ..models import Agency, ConfidentialityAgreement, WorkerPledge
from ..scope import scope_queryset, scope_require
from .errors import RuleError
from .events import event_record

PLEDGE_VERSION = "2026-12"
PLEDGE_TEXT = (
    "本人在承接政府购买社会救助服务、使用精准救助帮扶台账期间，承诺：只为开展服务查看和使用"
    "困难群众的个人信息；不向任何单位和个人泄露、出售或提供；不拍照、不复制、不带离工作场所；"
    "离岗后继续保密。违反承诺的，依法承担相应责任。"
)
EXPIRY_WARNING_DAYS = 30  # M3: the district renews in time


@transaction.atomic
def agreement_record(
    *,
    actor: Actor,
    agency: Agency,
    signed_on: dt.date,
    expires_on: dt.date,
    document: CleanUpload | None = None,
) -> ConfidentialityAgreement:
    """Record a confidentiality agreement the agency signed (M3); from its first day the
    agency's people who signed their pledge open their assigned households again (B6)."""
    scope_require(actor, agency)
    if expires_on <= signed_on:
        raise RuleError("有效期至应晚于签订日期。", field="expires_on")
    if signed_on > timezone.localdate():
        raise RuleError("签订日期不能晚于今天。", field="signed_on")
    agreement = ConfidentialityAgreement(
        agency=agency,
        signed_on=signed_on,
        expires_on=expires_on,
        uploaded_by_name=actor.name,
    )
    if document is not None:
        agreement.original_name = document.original_name
        agreement.document.save(document.as_file().name, document.as_file(), save=False)
    agreement.save()
    event_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=agreement,
        detail={"fields": ["signed_on", "expires_on"] + (["document"] if document else [])},
    )
    return agreement


@transaction.atomic
def pledge_sign(*, actor: Actor, signature: str) -> WorkerPledge:
    """A worker signs the personal pledge for their agency (M3)."""
    profile = getattr(actor.user, "staff_profile", None)
    if profile is None or profile.role != Role.AGENCY_WORKER or profile.agency_id is None:
        raise RuleError("只有社工机构的工作人员需要签署个人保密承诺。")
    signature = signature.strip()
    expected = actor.user.get_full_name() or actor.user.get_username()
    if signature != expected:
        raise RuleError(f"请输入您在系统中登记的姓名“{expected}”作为签名。", field="signature")
    pledge, created = WorkerPledge.objects.get_or_create(
        user=actor.user,
        agency_id=profile.agency_id,
        defaults={"text_version": PLEDGE_VERSION, "signature": signature},
    )
    if created:
        event_record(actor=actor, action=AuditAction.CREATE, obj=pledge, detail={"fields": []})
    profile.__dict__.pop("_agency_access", None)
    return pledge


def agreements_expiring(who, *, today: dt.date | None = None) -> QuerySet:
    """Agencies in `who`'s scope whose agreement in force runs out within EXPIRY_WARNING_DAYS
    with no later one recorded, each with `latest_expiry`."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return (
        scope_queryset(who, Agency.objects.all())
        .annotate(latest_expiry=Max("agreements__expires_on"))
        .filter(latest_expiry__gte=today, latest_expiry__lte=soon)
        .order_by("latest_expiry", "name")
    )


def agencies_without_agreement(who, *, today: dt.date | None = None) -> QuerySet:
    """Agencies in `who`'s scope with no agreement in force today (their people see nothing)."""
    today = today or timezone.localdate()
    in_force = ConfidentialityAgreement.objects.filter(
        signed_on__lte=today, expires_on__gte=today
    ).values("agency_id")
    return scope_queryset(who, Agency.objects.exclude(pk__in=in_force)).order_by("name")
