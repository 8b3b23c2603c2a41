"""Statuses and codes of the back office, with Chinese labels (STYLE 2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Who goes into the ledger (S1-S6) is shared with the public intake form.
from portal.enums import SUBTYPES_BY_CATEGORY, Category, EntryRoute, Subtype  # noqa: F401


class AreaLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道（乡镇）")
    COMMUNITY = "community", _("社区（村）")


class Role(models.TextChoices):
    """Each role is a Django group of the same label; jurisdiction lives on StaffProfile."""

    CITY_BUREAU = "city_bureau", _("市民政局")
    DISTRICT_BUREAU = "district_bureau", _("区民政局")
    STREET_STATION = "street_station", _("街道（乡镇）社会救助服务站")
    AGENCY_WORKER = "agency_worker", _("社工机构社工")
    AUDITOR = "auditor", _("审计员")
    CMS_EDITOR = "cms_editor", _("网站编辑")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    CHARITY = "charity", _("慈善组织")


# Roles that work the ledger and therefore go through the jurisdiction scope.
LEDGER_ROLES = frozenset(
    {Role.CITY_BUREAU, Role.DISTRICT_BUREAU, Role.STREET_STATION, Role.AGENCY_WORKER}
)
# Roles that may enter the Wagtail admin at all (SECURITY B5: charities never do).
ADMIN_ROLES = frozenset(set(Role) - {Role.CHARITY})


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录成功")
    LOGIN_FAILED = "login_failed", _("登录失败")
    OTP_FAILED = "otp_failed", _("动态口令错误")
    LOCKED = "locked", _("账号锁定")
    LOCKED_ATTEMPT = "locked_attempt", _("锁定期间尝试登录")
    UNLOCKED = "unlocked", _("账号解锁")
    LOGOUT = "logout", _("退出登录")
    SESSION_EXPIRED = "session_expired", _("会话超时")
    DEVICE_ISSUED = "device_issued", _("签发动态口令设备")
    ENROLMENT_LINK = "enrolment_link", _("生成设备绑定链接")
    DEVICE_ENROLLED = "device_enrolled", _("完成设备绑定")
    VIEW = "view", _("查看")
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    REVEAL = "reveal", _("查看完整信息")
    PRINT = "print", _("打印")
    EXPORT = "export", _("导出")
    DENIED = "denied", _("拒绝访问")
    ASSIGN = "assign", _("分派")
    VISIT = "visit", _("记录走访")
    ACCEPT = "accept", _("纳入台账")
    MERGE = "merge", _("合并重复")
    REQUEST_INFO = "request_info", _("要求补充信息")
    REJECT = "reject", _("不予纳入")
    DOWNLOAD = "download", _("下载附件")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    EXITED = "exited", _("已退出")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    """GB/T 4658-2006 education levels (codes kept as values)."""

    NONE = "90", _("其他（含未上学）")
    PRESCHOOL = "80", _("学龄前")
    PRIMARY = "60", _("小学")
    JUNIOR = "40", _("初中")
    SENIOR = "30", _("高中/中专/技校")
    COLLEGE = "20", _("大学专科")
    BACHELOR = "10", _("大学本科及以上")


class Employment(models.TextChoices):
    EMPLOYED = "employed", _("就业")
    FLEXIBLE = "flexible", _("灵活就业")
    UNEMPLOYED = "unemployed", _("失业")
    UNABLE = "unable", _("无劳动能力")
    RETIRED = "retired", _("退休")
    STUDENT = "student", _("在校学生")
    PRESCHOOL = "preschool", _("学龄前")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("慢性病")
    SERIOUS = "serious", _("大病")
    DISABLED = "disabled", _("残疾")
    BEDRIDDEN = "bedridden", _("失能卧床")


class BenefitType(models.TextChoices):
    DIBAO = "dibao", _("最低生活保障金")
    LOW_INCOME = "low_income", _("低收入救助")
    EXTREME_POVERTY = "extreme_poverty", _("特困供养金")
    TEMPORARY = "temporary", _("临时救助")
    DISABILITY_LIVING = "disability_living", _("困难残疾人生活补贴")
    DISABILITY_CARE = "disability_care", _("重度残疾人护理补贴")
    ELDER_ALLOWANCE = "elder_allowance", _("高龄津贴")
    ELDER_CARE = "elder_care", _("失能老年人护理补贴")
    CHILD_LIVING = "child_living", _("困境儿童基本生活费")
    MEDICAL = "medical", _("医疗救助")
    OTHER = "other", _("其他")


class NeedType(models.TextChoices):
    LIVING = "living", _("基本生活")
    MEDICAL = "medical", _("医疗")
    CARE = "care", _("照料护理")
    EDUCATION = "education", _("教育")
    HOUSING = "housing", _("住房")
    EMPLOYMENT = "employment", _("就业")
    PSYCHOLOGICAL = "psychological", _("心理疏导")
    REHABILITATION = "rehabilitation", _("康复")
    LEGAL = "legal", _("法律援助")
    OTHER = "other", _("其他")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待解决")
    IN_PROGRESS = "in_progress", _("帮扶中")
    MET = "met", _("已解决")
    CLOSED = "closed", _("已关闭")


class DisabilityType(models.TextChoices):
    """GB/T 26341-2010: the seven disability categories (L4)."""

    VISION = "vision", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class DisabilityGrade(models.TextChoices):
    """GB/T 26341-2010 grades; grades 1 and 2 are "severe" (S4)."""

    GRADE_1 = "1", _("一级")
    GRADE_2 = "2", _("二级")
    GRADE_3 = "3", _("三级")
    GRADE_4 = "4", _("四级")


class TimelineKind(models.TextChoices):
    """What the household timeline records (L7: the one file). Later work adds visits, cases..."""

    FILE_CREATED = "file_created", _("建档")
    FILE_UPDATED = "file_updated", _("修改档案")
    MEMBER_ADDED = "member_added", _("新增成员")
    MEMBER_UPDATED = "member_updated", _("修改成员信息")
    CATEGORY = "category", _("救助类别")
    BENEFIT = "benefit", _("享受保障")
    NEED = "need", _("帮扶需求")
    REPORT = "report", _("群众反映")
    VISIT = "visit", _("走访")


class DeadlineState(models.TextChoices):
    """How a statutory deadline (F1-F3) stands today, counted in working days (F4)."""

    OVERDUE = "overdue", _("已逾期")
    DUE_TODAY = "due_today", _("今日到期")
    AT_RISK = "at_risk", _("即将到期")  # due on the next working day
    ON_TRACK = "on_track", _("正常")


class WorkdaySource(models.TextChoices):
    """Where the working-day calendar took a day's status from (F4), strongest first."""

    OVERRIDE = "override", _("工作日历调整")
    OFFICIAL = "official", _("国务院放假安排")
    STATUTORY = "statutory", _("法定节假日推算")


class VisitKind(models.TextChoices):
    INTAKE_INTERVIEW = "intake_interview", _("入户访谈")  # F1, F2
    FOLLOW_UP = "follow_up", _("跟踪回访")  # L6
    SPECIAL = "special", _("特殊情况走访")  # L6
    EXIT_REVIEW = "exit_review", _("退出评估走访")  # D3
