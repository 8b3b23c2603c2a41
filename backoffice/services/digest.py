"""The daily digest (issue 5, item 6): each worker's day by mail, before they log in.

No personal data leaves the system by mail (SECURITY C3, M3): counts, report references and
file numbers only; names and details stay behind the OTP-protected back office.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from ..enums import LEDGER_ROLES
from .my_work import MyWork, my_work


def digest_text(work: MyWork) -> str:
    counts = work.counts
    lines = [
        f"{work.today:%Y年%m月%d日} 工作提醒",
        "",
        f"已逾期：{counts['overdue']} 项",
        f"今日到期：{counts['due_today']} 项",
        f"下一个工作日到期：{counts['at_risk']} 项",
        f"跟踪回访超期：{counts['visits_overdue']} 户；14 天内到期：{counts['visits_due']} 户",
        f"个案服务不足 5 次：{counts['cases_short']} 个",
        f"资源链接待跟进：{counts['referrals_waiting']} 项",
    ]
    pressing = [*work.overdue, *work.due_today][:10]
    if pressing:
        lines += ["", "最紧急的事项（受理编号）："]
        lines += [f"  {item.report.reference} {item.clock.label}" for item in pressing]
    lines += ["", f"请登录工作台查看：{settings.WAGTAILADMIN_BASE_URL}/admin/my-work/"]
    return "\n".join(lines)


def digest_send(*, today: dt.date) -> int:
    """Mail every active ledger worker with an address their day; returns how many were sent."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role__in=list(LEDGER_ROLES))
        .exclude(email="")
    )
    sent = 0
    for user in users.select_related("staff_profile"):
        work = my_work(user=user, today=today)
        if work.is_empty:
            continue
        send_mail(
            f"【救助帮扶台账】{today:%m月%d日} 待办：逾期 {work.counts['overdue']} 项",
            digest_text(work),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        sent += 1
    return sent
