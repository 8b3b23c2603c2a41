"""Demo accounts (DESIGN.md): never in production, refused unless DEMO_DATA_ALLOWED."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..enums import Role
from ..models import Agency, Area, ConfidentialityAgreement, WorkerPledge
from ..services.agencies import PLEDGE_VERSION
from ..services.staff import staff_assign

DEMO_PASSWORD = "demo-pass-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
DEMO_AGENCY = "东城区阳光社会工作服务中心（演示）"
# M3, B6: worker2's agency let its confidentiality agreement run out: worker2 sees no household
# until the district records a new one.
DEMO_LAPSED_AGENCY = "东城区启航社会工作事务所（演示）"
DEMO_AGENCY_CODES = {DEMO_AGENCY: "91110101MA01A1B2C2", DEMO_LAPSED_AGENCY: "52110101MJ0123456W"}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    area_code: str | None
    description: str


DEMO_ACCOUNTS = [
    DemoAccount("city", "市局演示", Role.CITY_BUREAU, "110000000000", "市民政局，全市"),
    DemoAccount("dongcheng", "东城区演示", Role.DISTRICT_BUREAU, "110101000000", "东城区民政局"),
    DemoAccount(
        "street", "东华门演示", Role.STREET_STATION, "110101001000", "东华门街道社会救助服务站"
    ),
    DemoAccount(
        "worker", "社工演示", Role.AGENCY_WORKER, None, "演示社工机构的社工，只看分派的家庭"
    ),
    DemoAccount(
        "worker2",
        "社工二演示",
        Role.AGENCY_WORKER,
        None,
        "另一社工机构的社工；该机构保密协议已过期，看不到任何家庭",
    ),
    DemoAccount("auditor", "审计演示", Role.AUDITOR, None, "只看审计日志"),
    DemoAccount("editor", "编辑演示", Role.CMS_EDITOR, None, "只管理网站页面"),
    DemoAccount("reviewer", "审核演示", Role.REVIEWER, None, "审核网站页面，批准后发布"),
    DemoAccount(
        "security", "安全管理演示", Role.SECURITY_ADMIN, None, "签发动态口令设备、解除锁定"
    ),
    DemoAccount(
        "charity",
        "慈善组织演示",
        Role.CHARITY,
        None,
        "演示慈善基金会的人员，从 /charity/ 认领需求，不能进入工作台",
    ),
]


def _agency_of(account: DemoAccount, agencies: dict[str, Agency]) -> Agency | None:
    if account.role != Role.AGENCY_WORKER:
        return None
    return agencies[DEMO_LAPSED_AGENCY if account.username == "worker2" else DEMO_AGENCY]


def _demo_agencies() -> dict[str, Agency]:
    """The two demo agencies of 东城区 serving 东华门街道: one with an agreement in force, one
    whose agreement ran out a month ago (M3, B6)."""
    district = Area.objects.get(code="110101000000")
    street = Area.objects.get(code="110101001000")
    today = timezone.localdate()
    terms = {
        DEMO_AGENCY: (today - dt.timedelta(days=300), today + dt.timedelta(days=430)),
        DEMO_LAPSED_AGENCY: (today - dt.timedelta(days=395), today - dt.timedelta(days=30)),
    }
    agencies = {}
    for name, (signed_on, expires_on) in terms.items():
        agency, _ = Agency.objects.get_or_create(
            name=name,
            defaults={
                "district": district,
                "credit_code": DEMO_AGENCY_CODES[name],
                "contact_person": "王丽",
                "contact_phone": "010-65120000",
            },
        )
        agency.streets.add(street)
        if not agency.agreements.exists():
            ConfidentialityAgreement.objects.create(
                agency=agency,
                signed_on=signed_on,
                expires_on=expires_on,
                uploaded_by_name="东城区演示",
            )
        agencies[name] = agency
    return agencies


def demo_lapsed_worker_assign(count: int = 5) -> int:
    """Give worker2 some households of the demo street (seen once an agreement is in force)."""
    from ..models import Household, HouseholdAssignment

    worker2 = get_user_model().objects.filter(username="worker2").first()
    if worker2 is None or HouseholdAssignment.objects.filter(worker=worker2).exists():
        return 0
    households = Household.objects.filter(street_id="110101001000", assignments=None)
    rows = [
        HouseholdAssignment(household=h, worker=worker2, agency=worker2.staff_profile.agency)
        for h in households.order_by("id")[:count]
    ]
    HouseholdAssignment.objects.bulk_create(rows)
    return len(rows)


def demo_totp_key_hex() -> str:
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def require_demo_allowed() -> None:
    if not getattr(settings, "DEMO_DATA_ALLOWED", False):
        raise ImproperlyConfigured("seed_demo 只能在开发或测试环境运行，生产环境禁止生成演示数据。")


@transaction.atomic
def demo_accounts_create() -> list[DemoAccount]:
    """Create (or reset) every demo account with the shared password and TOTP secret."""
    require_demo_allowed()
    User = get_user_model()
    agencies = _demo_agencies()
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.email = f"{account.username}@demo.invalid"
        user.is_staff = False
        user.set_password(DEMO_PASSWORD)
        user.save()
        area = Area.objects.get(code=account.area_code) if account.area_code else None
        staff_assign(
            user=user,
            role=account.role,
            area=area,
            agency=_agency_of(account, agencies),
        )
        if account.role == Role.AGENCY_WORKER:
            WorkerPledge.objects.get_or_create(
                user=user,
                agency=_agency_of(account, agencies),
                defaults={"text_version": PLEDGE_VERSION, "signature": account.full_name},
            )
        if account.role == Role.CHARITY:
            from .charity import demo_charity_member_bind

            demo_charity_member_bind(user)  # issue 17: the demo charity's person
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(
            user=user, name="演示验证器", key=demo_totp_key_hex(), confirmed=True
        )
    return DEMO_ACCOUNTS
