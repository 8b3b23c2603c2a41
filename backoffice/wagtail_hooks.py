from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component

from . import admin_urls
from .enums import Role
from .permissions import user_can_import_rosters, user_can_issue_devices, user_can_triage
from .scope import user_scope
from .services.my_work import my_work
from .viewsets.agencies import agency_viewset
from .viewsets.base import area_viewset, audit_viewset
from .viewsets.calendar import workday_calendar_viewset_group
from .viewsets.casework import casework_viewset_group
from .viewsets.charity import charity_organisation_viewset, need_listing_viewset
from .viewsets.ledger import ledger_viewset_group
from .viewsets.projects import service_project_viewset
from .viewsets.triage import report_viewset
from .wagtail_endpoints import scoped_policies_register

# B1, B4: Wagtail's own utilities (the editing-session notice) ask a model's permission policy
# about a record; ledger models answer with the scope. Registered before the viewsets are.
scoped_policies_register()


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [
        report_viewset,
        ledger_viewset_group,
        casework_viewset_group,
        area_viewset,
        audit_viewset,
        workday_calendar_viewset_group,
        agency_viewset,
        service_project_viewset,
        need_listing_viewset,  # issue 17: U3, P3
        charity_organisation_viewset,
    ]


@hooks.register("register_admin_urls")
def register_backoffice_urls():
    return [path("", include(admin_urls))]


class DeviceMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_issue_devices(request.user)


@hooks.register("register_settings_menu_item")
def register_device_menu():
    return DeviceMenuItem(
        _("动态口令设备"), reverse("backoffice_devices"), icon_name="key", order=100
    )


class MyWorkMenuItem(MenuItem):
    def is_shown(self, request):
        return user_scope(request.user).level != "none"


@hooks.register("register_admin_menu_item")
def register_my_work_menu():
    return MyWorkMenuItem(_("我的工作"), reverse("backoffice_my_work"), icon_name="tasks", order=10)


class VisitsDueMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("backoffice.view_household")


@hooks.register("register_admin_menu_item")
def register_visits_due_menu():
    """L6/D3: households due or late for a follow-up visit, per street and per worker."""
    return VisitsDueMenuItem(
        _("回访提醒"), reverse("backoffice_visits_due"), icon_name="calendar-check", order=20
    )


class HandoversMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_triage(request.user)


@hooks.register("register_admin_menu_item")
def register_handovers_menu():
    """B8: reports and members handed over to, or by, the user's jurisdiction."""
    return HandoversMenuItem(
        _("跨辖区移交"), reverse("backoffice_handovers"), icon_name="resubmit", order=25
    )


class PrintJobsMenuItem(MenuItem):
    def is_shown(self, request):
        return user_scope(request.user).level != "none"


@hooks.register("register_admin_menu_item")
def register_print_jobs_menu():
    """Issue 6: batch printing of plans (a street's, or a worker's caseload), with progress."""
    return PrintJobsMenuItem(
        _("批量打印"), reverse("backoffice_print_jobs"), icon_name="doc-full", order=30
    )


class ExchangeMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_import_rosters(request.user)


@hooks.register("register_admin_menu_item")
def register_exchange_menu():
    """Issue 15: survey rosters, approval lists and department lists into the ledger."""
    return ExchangeMenuItem(
        _("名单导入与比对"), reverse("backoffice_exchange"), icon_name="upload", order=35
    )


class MyWorkPanel(Component):
    """The admin home opens on the day's work for those who have a caseload (issue 5)."""

    name = "my_work"
    order = 10
    template_name = "backoffice/includes/my_work_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        return {"work": my_work(user=self.user, today=timezone.localdate())}


@hooks.register("construct_homepage_panels")
def add_my_work_panel(request, panels):
    if user_scope(request.user).level != "none":
        panels.insert(0, MyWorkPanel(request.user))


class ConfidentialityPanel(Component):
    """M3, B6: a worker who may not open households is told why on the admin home; the
    district sees agencies whose agreement runs out within 30 days or is not in force."""

    name = "confidentiality"
    order = 5
    template_name = "backoffice/includes/confidentiality_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        from .models.staff import agency_access
        from .services.agencies import agencies_without_agreement, agreements_expiring

        profile = getattr(self.user, "staff_profile", None)
        if profile is not None and profile.role == Role.AGENCY_WORKER:
            return {"access": agency_access(profile)}
        return {
            "expiring": list(agreements_expiring(self.user)),
            "lapsed": list(agencies_without_agreement(self.user)),
        }


@hooks.register("construct_homepage_panels")
def add_confidentiality_panel(request, panels):
    profile = getattr(request.user, "staff_profile", None)
    if profile is None:
        return
    if profile.role == Role.AGENCY_WORKER or request.user.has_perm("backoffice.change_agency"):
        panels.insert(0, ConfidentialityPanel(request.user))


class PledgeMenuItem(MenuItem):
    def is_shown(self, request):
        profile = getattr(request.user, "staff_profile", None)
        return profile is not None and profile.role == Role.AGENCY_WORKER


@hooks.register("register_admin_menu_item")
def register_pledge_menu():
    """M3: the worker's own pledge, and why no household opens when one is missing."""
    return PledgeMenuItem(_("保密承诺"), reverse("backoffice_pledge"), icon_name="lock", order=40)


@hooks.register("register_admin_menu_item")
def register_agency_statement_menu():
    """M1: the agency's own monthly statement, for its people."""
    return PledgeMenuItem(
        _("服务结算"), reverse("backoffice_agency_statement"), icon_name="table", order=41
    )


class FileDeadlineMenuItem(MenuItem):
    def is_shown(self, request):
        from .permissions import user_can_follow_file_deadline

        return user_can_follow_file_deadline(request.user)


@hooks.register("register_admin_menu_item")
def register_file_deadline_menu():
    """M5: the year's deadline for complete files, and the progress toward it."""
    return FileDeadlineMenuItem(
        _("年度建档期限"), reverse("backoffice_file_deadline"), icon_name="date", order=45
    )


class StatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        from .permissions import user_can_view_statistics

        return user_can_view_statistics(request.user)


@hooks.register("register_admin_menu_item")
def register_statistics_menu():
    """Issue 16 (U11): the ledger's counts area by area within the user's scope."""
    return StatisticsMenuItem(
        _("统计分析"), reverse("backoffice_statistics"), icon_name="table", order=47
    )


class SpotCheckMenuItem(MenuItem):
    def is_shown(self, request):
        from .permissions import user_can_follow_spot_checks

        return user_can_follow_spot_checks(request.user)


@hooks.register("register_admin_menu_item")
def register_spot_check_menu():
    """M2: spot checks (the district) and their findings (stations and agencies)."""
    return SpotCheckMenuItem(
        _("台账抽查"), reverse("backoffice_spot_checks"), icon_name="clipboard-list", order=46
    )


@hooks.register("register_account_settings_panel")
def register_password_panel(request, user, profile):
    """A2, A7: the password panel whose old-password check goes through the login's lock."""
    from .account import LockedPasswordPanel

    return LockedPasswordPanel(request, user, profile)


# Issue 13: the back office is the bureau's ledger. Wagtail's links to its English release notes
# and editor guide leave the help menu (its keyboard shortcuts stay), and the help and settings
# menus are rebuilt as plain submenus: no "new items" badge for the links removed, no
# "Wagtail v8.0.1" under the settings.
WAGTAIL_HELP_LINKS = ("editor-guide", "whats-new-in-wagtail-")


@hooks.register("construct_help_menu")
def drop_wagtail_guides(request, menu_items):
    menu_items[:] = [item for item in menu_items if not item.name.startswith(WAGTAIL_HELP_LINKS)]


@hooks.register("construct_main_menu")
def plain_help_and_settings_menus(request, menu_items):
    for index, item in enumerate(menu_items):
        if item.name in ("help", "settings"):
            menu_items[index] = SubmenuMenuItem(
                item.label,
                item.menu,
                name=item.name,
                icon_name=item.icon_name,
                classname=item.classname,
                order=item.order,
            )
