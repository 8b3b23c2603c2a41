"""Admin listings (STYLE 4): one ModelViewSet per model, instantiated once."""

import django_filters
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from ..enums import AuditAction, DenialReason
from ..listing import PlainColumn, QuickListingMixin
from ..models import Area, AuditEvent


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Only "view" is ever granted, to superusers too: these records are not edited here."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class BackOfficeViewSet(ModelViewSet):
    """Every back-office viewset. Ledger and intake records are not CMS content: Wagtail's
    reference index (the "usage" of snippets and images) would write a row on every save."""

    add_to_reference_index = False


class ReadOnlyModelViewSet(BackOfficeViewSet):
    copy_view_enabled = False
    inspect_view_enabled = True

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]


class AreaFilterSet(WagtailFilterSet):
    class Meta:
        model = Area
        fields = ["level", "district", "is_legal_unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = Area.objects.filter(level="district")


class AreaIndexView(QuickListingMixin, IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("parent")


class AreaViewSet(ReadOnlyModelViewSet):
    model = Area
    index_view_class = AreaIndexView
    icon = "site"
    menu_label = _("行政区划")
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["code", "name", "level", PlainColumn("parent", label=_("上级")), "aliases"]
    list_per_page = 50
    filterset_class = AreaFilterSet
    search_fields = ["name", "code", "aliases"]
    search_backend_name = None
    inspect_view_fields = [
        "code",
        "name",
        "level",
        "parent",
        "district",
        "street",
        "aliases",
        "is_legal_unit",
    ]
    ordering = ["code"]


class AuditEventFilterSet(WagtailFilterSet):
    at = django_filters.DateFromToRangeFilter(label=_("时间范围"), widget=DateRangePickerWidget)
    actor_username = django_filters.CharFilter(label=_("用户名"), lookup_expr="exact")
    object_type = django_filters.CharFilter(label=_("对象类型"))
    object_id = django_filters.CharFilter(label=_("对象ID"))

    class Meta:
        model = AuditEvent
        fields = ["action", "outcome", "actor_username", "object_type", "object_id", "at"]


class DenialColumn(Column):
    """C1: for a denied access, why, where and how often (see services.events.denial_record)."""

    def get_value(self, instance):
        detail = instance.detail or {}
        if instance.action != AuditAction.DENIED or not isinstance(detail, dict):
            return ""
        reason = detail.get("reason")
        parts = [DenialReason(reason).label if reason in DenialReason.values else reason]
        parts.append(detail.get("path"))
        count = detail.get("count")
        if isinstance(count, int) and count > 1:
            parts.append(gettext("本时段第 %(count)s 次") % {"count": count})
        previous = detail.get("previous_window")
        if isinstance(previous, dict) and previous.get("count"):
            parts.append(gettext("上一时段共 %(count)s 次") % {"count": previous["count"]})
        return " · ".join(str(part) for part in parts if part)


class AuditEventViewSet(ReadOnlyModelViewSet):
    """SECURITY C4: the auditor filters by person (object), user, action and date range."""

    model = AuditEvent
    icon = "history"
    menu_label = _("审计日志")
    menu_order = 950
    add_to_admin_menu = True
    url_prefix = "audit"
    list_display = [
        "at",
        "actor_username",
        "actor_role",
        "ip",
        "action",
        "outcome",
        "object_label",
        DenialColumn("denial", label=_("拒绝说明")),
    ]
    list_per_page = 50
    filterset_class = AuditEventFilterSet
    search_fields = ["actor_username", "object_label", "object_id"]
    search_backend_name = None
    inspect_view_fields = [
        "at",
        "actor_id",
        "actor_username",
        "actor_role",
        "ip",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "object_label",
        "detail",
    ]
    ordering = ["-at"]


register_permission_policy(Area, ReadOnlyPermissionPolicy(Area))
register_permission_policy(AuditEvent, ReadOnlyPermissionPolicy(AuditEvent))
area_viewset = AreaViewSet("areas")
audit_viewset = AuditEventViewSet("audit")
