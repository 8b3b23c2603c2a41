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
    REVIEWER = "reviewer", _("审核员")  # P1: approves site pages before they are published
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
    CLOSE_REQUEST = "close_request", _("申请提前结案")
    CLOSE = "close", _("结案")
    # Issue 17 (U3, P3): charities take up anonymized need listings.
    CONSENT = "consent", _("记录同意")
    CONSENT_WITHDRAW = "consent_withdraw", _("撤回同意")
    PUBLISH = "publish", _("发布帮扶需求")
    WITHDRAW = "withdraw", _("撤回帮扶需求")
    CLAIM = "claim", _("认领")
    PLEDGE = "pledge", _("认捐")
    CAMPAIGN = "campaign", _("登记慈善众筹")
    DELIVER = "deliver", _("登记送达")
    CONFIRM = "confirm", _("确认收到")
    LAPSE = "lapse", _("超期失效")
    MESSAGE = "message", _("留言")
    EXIT = "exit", _("退出台账")  # D3
    REENTER = "reenter", _("重新纳入台账")  # D3
    HANDOVER = "handover", _("移交其他辖区")  # B8
    ASSIGN_END = "assign_end", _("结束分派")
    HANDOVER_RETURN = "handover_return", _("退回移交")  # B8
    IMPORT = "import", _("批量导入")  # issue 15: upload, check, confirm, cancel of a roster


class HandoverKind(models.TextChoices):
    """B8: what was handed over to the jurisdiction that holds a person's file."""

    REPORT = "report", _("群众反映")
    MEMBER = "member", _("新增成员")


class HandoverStatus(models.TextChoices):
    OPEN = "open", _("待接收辖区处理")
    ACCEPTED = "accepted", _("已纳入原档案")
    ACKNOWLEDGED = "acknowledged", _("已核实")
    RETURNED = "returned", _("已退回")


class Channel(models.TextChoices):
    """How an actor came (STYLE 11): the audit trail says whether a person clicked or a
    command, background task or import acted."""

    WEB = "web", _("网页")
    COMMAND = "command", _("命令")
    TASK = "task", _("后台任务")
    IMPORT = "import", _("批量导入")


class DenialReason(models.TextChoices):
    NOT_FOUND = "not_found", _("记录不存在或不在辖区内")
    FORBIDDEN = "forbidden", _("无权执行")
    WAGTAIL_PERMISSION = "wagtail_permission", _("无权访问该页面")
    # Written by backoffice/children.py (B4) with the person as the object.
    CHILD_UNDER_14 = "child_under_14", _("无权查看未满14周岁儿童的记录")


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
    CASE = "case", _("个案帮扶")  # U5-U10
    SESSION = "session", _("个案服务")  # U10
    REFERRAL = "referral", _("资源链接")  # U1-U4
    PLAN = "plan", _("帮扶计划")  # L7
    EXIT = "exit", _("退出台账")  # D3
    REENTRY = "reentry", _("重新纳入")  # D3
    ASSIGNMENT = "assignment", _("分派社工")  # M4: who serves the household
    CHARITY = "charity", _("慈善帮扶")  # U3: listings, take-up by charities, receipt


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
    EXIT_CHECKIN = "exit_checkin", _("退出后回访")  # D3: 3 months after an exit


# Visits an active household can have; an exited one has only the check-in (D3).
ACTIVE_VISIT_KINDS = (VisitKind.FOLLOW_UP, VisitKind.SPECIAL, VisitKind.EXIT_REVIEW)


class MeasureStatus(models.TextChoices):
    """How a measure of the household plan stands (L7, U4)."""

    PLANNED = "planned", _("待落实")
    IN_PROGRESS = "in_progress", _("落实中")
    DONE = "done", _("已落实")
    STOPPED = "stopped", _("已终止")


OPEN_MEASURE_STATUSES = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)


class ExitReason(models.TextChoices):
    """D3: why a household or a member leaves the ledger."""

    NO_LONGER_ELIGIBLE = "no_longer_eligible", _("不再符合条件")
    OUT_OF_HARDSHIP = "out_of_hardship", _("已脱困")
    DECEASED = "deceased", _("死亡")
    MOVED_AWAY = "moved_away", _("迁出")
    OTHER = "other", _("其他")


# Case assistance (个案帮扶, U5-U10) ------------------------------------------------------------


class ServiceType(models.TextChoices):
    """The services of case assistance named by U5-U9; which group may use which is below."""

    SKILLS_TRAINING = "skills_training", _("技能培训")
    COUNSELLING = "counselling", _("心理疏导")
    TUTORING = "tutoring", _("子女课业辅导")
    POLICY_INFORMATION = "policy_information", _("政策宣传")
    EMOTIONAL_COMFORT = "emotional_comfort", _("精神慰藉")
    RESOURCE_LINKING = "resource_linking", _("资源链接")
    GUARDIANSHIP_AWARENESS = "guardianship_awareness", _("监护意识提升")
    EDUCATION_GUIDANCE = "education_guidance", _("教育引导")
    RELATIONSHIP_ADJUSTMENT = "relationship_adjustment", _("关系调适")
    SKILL_LEARNING = "skill_learning", _("技能学习")
    REHABILITATION = "rehabilitation", _("身体康复")
    EMOTIONAL_COUNSELLING = "emotional_counselling", _("情绪疏导")


# U5-U9: a case serves one group (S1-S5) and may use only that group's services. S6 has no
# case-assistance standard in the notice, so no case is opened for it.
SERVICE_TYPES_BY_GROUP: dict[str, tuple[ServiceType, ...]] = {
    Category.S1: (  # U5
        ServiceType.SKILLS_TRAINING,
        ServiceType.COUNSELLING,
        ServiceType.TUTORING,
    ),
    Category.S2: (  # U6
        ServiceType.POLICY_INFORMATION,
        ServiceType.EMOTIONAL_COMFORT,
        ServiceType.RESOURCE_LINKING,
    ),
    Category.S3: (  # U7
        ServiceType.GUARDIANSHIP_AWARENESS,
        ServiceType.EDUCATION_GUIDANCE,
        ServiceType.RELATIONSHIP_ADJUSTMENT,
    ),
    Category.S4: (  # U8
        ServiceType.SKILL_LEARNING,
        ServiceType.REHABILITATION,
        ServiceType.EMOTIONAL_COUNSELLING,
    ),
    Category.S5: (  # U9
        ServiceType.POLICY_INFORMATION,
        ServiceType.COUNSELLING,
        ServiceType.RESOURCE_LINKING,
    ),
}
CASE_GROUPS = [(code, label) for code, label in Category.choices if code in SERVICE_TYPES_BY_GROUP]


class CaseStatus(models.TextChoices):
    OPEN = "open", _("服务中")
    CLOSURE_REQUESTED = "closure_requested", _("提前结案待确认")
    COMPLETED = "completed", _("已结案")
    CLOSED_EARLY = "closed_early", _("提前结案")


# Sessions may still be recorded while an early closure waits for the supervisor.
OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.CLOSURE_REQUESTED)


class CaseCloseReason(models.TextChoices):
    MOVED = "moved", _("迁出")
    DECEASED = "deceased", _("死亡")
    REFUSED = "refused", _("拒绝服务")
    OTHER = "other", _("其他")


class ChangeDegree(models.TextChoices):
    """U10: the degree of change a session found, on a fixed scale."""

    MARKED = "marked", _("明显改善")
    SOME = "some", _("有所改善")
    NONE = "none", _("无变化")
    WORSE = "worse", _("变差")


# Resource linking (资源链接, U1-U4) --------------------------------------------------------------


class ReferralKind(models.TextChoices):
    ELIGIBLE_NOT_ENROLLED = "eligible_not_enrolled", _("符合条件未纳入")  # U1
    PROXY_APPLICATION = "proxy_application", _("代理申请")  # U2
    STILL_IN_DIFFICULTY = "still_in_difficulty", _("仍有困难")  # U3
    SUPERVISION = "supervision", _("督办联络")  # U4


class ReferralTargetType(models.TextChoices):
    STREET_DEPARTMENT = "street_department", _("街道（乡镇）相关部门")
    GOVERNMENT = "government", _("政府部门")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    CHARITY = "charity", _("慈善组织")


# Where each kind of referral may go (U1-U4).
TARGET_TYPES_BY_KIND: dict[str, tuple[ReferralTargetType, ...]] = {
    ReferralKind.ELIGIBLE_NOT_ENROLLED: (ReferralTargetType.STREET_DEPARTMENT,),  # U1
    ReferralKind.PROXY_APPLICATION: (  # U2: materials go to whoever decides the application
        ReferralTargetType.STREET_DEPARTMENT,
        ReferralTargetType.GOVERNMENT,
    ),
    ReferralKind.STILL_IN_DIFFICULTY: (  # U3
        ReferralTargetType.GOVERNMENT,
        ReferralTargetType.SOCIAL_ORGANISATION,
        ReferralTargetType.CHARITY,
    ),
    ReferralKind.SUPERVISION: (  # U4: the departments responsible for the plan's measures
        ReferralTargetType.STREET_DEPARTMENT,
        ReferralTargetType.GOVERNMENT,
    ),
}


class ProxyBy(models.TextChoices):
    """U2: who applies on the person's behalf."""

    COMMITTEE = "committee", _("村（居）委会")
    AGENCY = "agency", _("社工机构")


class HelpMode(models.TextChoices):
    """U3: how the government, social organisations or charities help."""

    ONE_TO_ONE = "one_to_one", _("一对一")
    MANY_TO_ONE = "many_to_one", _("多对一")
    CROWDFUNDING = "crowdfunding", _("慈善众筹")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("已发送")
    ACKNOWLEDGED = "acknowledged", _("已接收")
    DONE = "done", _("已办结")
    DECLINED = "declined", _("已拒绝")


OPEN_REFERRAL_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED)


# Charity take-up (issue 17: U3, P3, SECURITY D1, D4) -----------------------------------------


class ConsentGiver(models.TextChoices):
    """D4: who agreed to share a need with charities: the person, or the guardian of a child
    under 14."""

    SELF = "self", _("本人")
    GUARDIAN = "guardian", _("监护人")


class AgeBand(models.TextChoices):
    """D1: the only age a listing shows."""

    INFANT = "0-5", _("0-5 岁")
    CHILD = "6-13", _("6-13 岁")
    MINOR = "14-17", _("14-17 岁")
    ADULT = "18-59", _("18-59 岁")
    SENIOR = "60-79", _("60-79 岁")
    ELDERLY = "80+", _("80 岁及以上")


# The ages (inclusive) of each band; the last has no upper end.
AGE_BAND_YEARS: dict[str, tuple[int, int | None]] = {
    AgeBand.INFANT: (0, 5),
    AgeBand.CHILD: (6, 13),
    AgeBand.MINOR: (14, 17),
    AgeBand.ADULT: (18, 59),
    AgeBand.SENIOR: (60, 79),
    AgeBand.ELDERLY: (80, None),
}


class ListingStatus(models.TextChoices):
    OPEN = "open", _("待帮扶")  # on the board, can be taken up
    TAKEN = "taken", _("帮扶中")  # claimed, fully pledged, or a campaign runs
    FULFILLED = "fulfilled", _("已完成")
    WITHDRAWN = "withdrawn", _("已撤回")
    CLOSED = "closed", _("已关闭")  # the person left the ledger


# Listings on the public board.
LIVE_LISTING_STATUSES = (ListingStatus.OPEN, ListingStatus.TAKEN)


class TakeUpKind(models.TextChoices):
    CLAIM = "claim", _("认领")  # one-to-one
    PLEDGE = "pledge", _("认捐")  # many-to-one
    CAMPAIGN = "campaign", _("慈善众筹")


class TakeUpStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    DELIVERED = "delivered", _("已登记送达，待服务站确认")
    CONFIRMED = "confirmed", _("已送达")
    LAPSED = "lapsed", _("超期未送达，已失效")
    WITHDRAWN = "withdrawn", _("需求已撤回或关闭")


# Take-ups that hold their share of a listing (a claim, a pledged quantity, a campaign).
HOLDING_TAKE_UP_STATUSES = (TakeUpStatus.ACTIVE, TakeUpStatus.DELIVERED, TakeUpStatus.CONFIRMED)


class TargetUnit(models.TextChoices):
    """What a many-to-one target counts; a crowdfunding target is in yuan."""

    YUAN = "yuan", _("元")
    ITEM = "item", _("件")
    SESSION = "session", _("次")
    HOUR = "hour", _("小时")
    MONTH = "month", _("个月")


class FundraisingPlatform(models.TextChoices):
    """Charity Law (2023) art. 27: online public fundraising runs on platforms designated by
    the Ministry of Civil Affairs. Those the board accepts; keep it to the ministry's list."""

    TENCENT = "tencent", _("腾讯公益")
    ALIPAY = "alipay", _("支付宝公益")
    WEIBO = "weibo", _("新浪微公益")
    JD = "jd", _("京东公益")
    BAIDU = "baidu", _("百度公益")
    GONGYIBAO = "gongyibao", _("公益宝")
    XINHUA = "xinhua", _("新华公益")
    QINGSONG = "qingsong", _("轻松公益")
    LIANQUAN = "lianquan", _("联劝网")
    GUANGYI = "guangyi", _("广益联募")
    MEITUAN = "meituan", _("美团公益")
    SHUIDI = "shuidi", _("水滴公益")
    BYTEDANCE = "bytedance", _("字节跳动公益")


# Printing (issue 6) ---------------------------------------------------------------------------


class PrintDocument(models.TextChoices):
    """The two printed documents of a household (L7, M5: 一户一策一档)."""

    PLAN = "plan", _("个案帮扶方案")
    FILE = "file", _("家庭档案")


class PrintJobKind(models.TextChoices):
    """What a batch print holds: the plans of a street, or of a worker's caseload (L7)."""

    STREET_PLANS = "street_plans", _("街道（乡镇）全部帮扶方案")
    CASELOAD_PLANS = "caseload_plans", _("我负责家庭的帮扶方案")


class PrintJobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


OPEN_PRINT_JOB_STATUSES = (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING)


# Data exchange (issue 15: D1, U12, U1, F2, F3) ---------------------------------------------------


class RosterKind(models.TextChoices):
    """What a spreadsheet brought into the ledger is; each kind is declared once in
    backoffice/resources/exchange.py (columns, how a row maps onto the ledger)."""

    SURVEY = "survey", _("摸排名册")  # D1, F3
    APPROVAL = "approval", _("社会救助审批名单")  # F2, S1
    DISABILITY = "disability", _("残联：残疾人名单")  # U12
    EDUCATION = "education", _("教育：就学情况名单")
    HUMAN_RESOURCES = "human_resources", _("人社：就业参保名单")
    HEALTH = "health", _("卫健：大病患者名单")
    HOUSING = "housing", _("住建：住房保障名单")
    AGRICULTURE = "agriculture", _("农业农村：防止返贫监测对象名单")


# Lists that bring people in (leads with their clocks) and the departments' lists (U12).
LEAD_ROSTERS = (RosterKind.SURVEY, RosterKind.APPROVAL)
DEPARTMENT_ROSTERS = tuple(kind for kind in RosterKind if kind not in LEAD_ROSTERS)


class RosterImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    CHECKING = "checking", _("正在校验比对")
    PREVIEW = "preview", _("待确认")  # checked, nothing wrong: the user confirms or cancels
    INVALID = "invalid", _("有错误，未导入")  # rows to fix: the user uploads again
    APPLYING = "applying", _("正在写入台账")
    APPLIED = "applied", _("已导入")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")


OPEN_ROSTER_IMPORT_STATUSES = (
    RosterImportStatus.QUEUED,
    RosterImportStatus.CHECKING,
    RosterImportStatus.APPLYING,
)
# The uploaded file is kept (privately) while an import may still be confirmed.
KEPT_ROSTER_IMPORT_STATUSES = (*OPEN_ROSTER_IMPORT_STATUSES, RosterImportStatus.PREVIEW)


class RowOutcome(models.TextChoices):
    """What matching a roster row against the ledger found (issue 15, item 2)."""

    CONSISTENT = "consistent", _("已在台账，信息一致")
    DIFFERENT = "different", _("已在台账，信息有差异（拟更新）")
    REFERRAL = "referral", _("符合条件未享受（拟转介街道）")  # U1
    LEAD = "lead", _("未在台账，属本辖区（拟登记线索）")  # F2, F3
    REPORTED = "reported", _("已有待处理的线索或反映")
    HANDOVER = "handover", _("已在其他辖区建档（拟移交）")  # B8
    OUTSIDE = "outside", _("不属本辖区（仅列出，不导入）")  # B8
    CLOSED = "closed", _("档案已退出台账（未更新）")  # D3
    UNMATCHED = "unmatched", _("台账中未找到")
    ERROR = "error", _("有错误")


# Outcomes that write on confirmation.
WRITING_OUTCOMES = (RowOutcome.DIFFERENT, RowOutcome.REFERRAL, RowOutcome.LEAD, RowOutcome.HANDOVER)


class ServiceKind(models.TextChoices):
    """M1: the services bought from agencies (政府购买服务), each with its unit cost."""

    LEDGER_RECORD = "ledger_record", _("建立台账")
    HOME_VISIT = "home_visit", _("入户走访")
    NEEDS_ASSESSMENT = "needs_assessment", _("需求评估")
    PLAN = "plan", _("制定帮扶方案")
    CASE = "case", _("个案帮扶")
    RETURN_VISIT = "return_visit", _("回访")


class ProjectCheckKind(models.TextChoices):
    """M2: the district reviews (评审) a service project and supervises (督导) its delivery."""

    REVIEW = "review", _("评审")
    SUPERVISION = "supervision", _("督导")


class ProjectCheckResult(models.TextChoices):
    PASSED = "passed", _("合格")
    RECTIFY = "rectify", _("限期整改")
    FAILED = "failed", _("不合格")


class SpotCheckStatus(models.TextChoices):
    """M2: a file drawn for a spot check, from the check to the recheck."""

    PENDING = "pending", _("待检查")
    PASSED = "passed", _("合格")
    RECTIFY = "rectify", _("待整改")
    RECTIFIED = "rectified", _("已整改，待复查")
