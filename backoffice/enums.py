"""Statuses and codes of the back office, with Chinese labels (STYLE 2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")
