from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .permissions import user_can_issue_devices
from .viewsets import area_viewset, audit_viewset
from .viewsets_calendar import workday_calendar_viewset_group
from .viewsets_ledger import ledger_viewset_group
from .viewsets_triage import report_viewset


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [
        report_viewset,
        ledger_viewset_group,
        area_viewset,
        audit_viewset,
        workday_calendar_viewset_group,
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
