"""Codes of the public intake, with Chinese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReporterType(models.TextChoices):
    SELF = "self", _("本人")
    FAMILY = "family", _("家属")
    NEIGHBOUR = "neighbour", _("邻居")
    VILLAGE_COMMITTEE = "village_committee", _("村民委员会")
    RESIDENTS_COMMITTEE = "residents_committee", _("居民委员会")
    AGENCY = "agency", _("社会工作服务机构")
    OTHER = "other", _("其他")
    # F2/F3: a lead a station registers (an approval, a survey sweep), never the public.
    STAFF = "staff", _("工作人员登记")


# What the public form offers.
PUBLIC_REPORTER_TYPES = [(v, label) for v, label in ReporterType.choices if v != "staff"]


# U2: a committee or an agency applies on the person's behalf (代理申请).
PROXY_REPORTERS = frozenset(
    {ReporterType.VILLAGE_COMMITTEE, ReporterType.RESIDENTS_COMMITTEE, ReporterType.AGENCY}
)


class UrgencyReason(models.TextChoices):
    """D2: situations that make a report urgent."""

    MINOR_SHELTER = "minor_shelter", _("未成年人需要紧急庇护")
    ELDER_UNREACHABLE = "elder_unreachable", _("独居老人联系不上")


class ReportStatus(models.TextChoices):
    """Where a report is in triage (staff see these)."""

    RECEIVED = "received", _("已受理，待分派")
    ASSIGNED = "assigned", _("已分派，待入户")
    VISITED = "visited", _("已入户访谈")
    NEEDS_INFO = "needs_info", _("待补充信息")
    ACCEPTED = "accepted", _("已纳入台账")
    MERGED = "merged", _("重复反映，已合并")
    REFERRED = "referred", _("已转介")
    REJECTED = "rejected", _("不予纳入")
    # B8: the person is filed in another jurisdiction, which now handles the report.
    HANDED_OVER = "handed_over", _("已移交其他辖区")


class PublicStatus(models.TextChoices):
    """What the status page tells the public: coarse, with no personal data."""

    RECEIVED = "received", _("已受理")
    VISIT_ARRANGED = "visit_arranged", _("已安排入户走访")
    IN_LEDGER = "in_ledger", _("已纳入救助帮扶台账")
    REFERRED = "referred", _("已转介相关部门")
    CLOSED = "closed", _("已办结")


PUBLIC_STATUS = {
    ReportStatus.RECEIVED: PublicStatus.RECEIVED,
    ReportStatus.NEEDS_INFO: PublicStatus.RECEIVED,
    ReportStatus.ASSIGNED: PublicStatus.VISIT_ARRANGED,
    ReportStatus.VISITED: PublicStatus.VISIT_ARRANGED,
    ReportStatus.ACCEPTED: PublicStatus.IN_LEDGER,
    ReportStatus.MERGED: PublicStatus.IN_LEDGER,
    ReportStatus.REFERRED: PublicStatus.REFERRED,
    ReportStatus.REJECTED: PublicStatus.CLOSED,
    ReportStatus.HANDED_OVER: PublicStatus.VISIT_ARRANGED,
}
OPEN_STATUSES = frozenset(
    {ReportStatus.RECEIVED, ReportStatus.ASSIGNED, ReportStatus.VISITED, ReportStatus.NEEDS_INFO}
)


class AttachmentKind(models.TextChoices):
    ENTRUSTMENT = "entrustment", _("委托书")
    SUPPORTING = "supporting", _("证明材料")


class ConsentKind(models.TextChoices):
    """D4: each consent is its own record, tied to the notice version it was given for."""

    PRIVACY_NOTICE = "privacy_notice", _("已阅读隐私告知并同意处理个人信息")
    GUARDIAN = "guardian", _("未满 14 周岁儿童监护人同意")
    ENTRUSTMENT = "entrustment", _("当事人委托代理申请")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败（已停止重试）")
