"""Admin listings (STYLE 4): one ModelViewSet per model, instantiated once."""

import django_filters
from django.apps import apps
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from ..audit_display import LEDGER_APPS, detail_lines, model_kind, object_display
from ..enums import AuditAction, DenialReason
from ..listing import PlainColumn, QuickListingMixin
from ..models import Area, AuditEvent


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Only "view" is ever granted, to superusers too: these records are not edited here."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class PlainInspectView(InspectView):
    """Wagtail's detail page, with an empty value and a yes/no worded in Chinese instead of
    Python's "None", "True" and "False" (issue 13)."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return "是" if value else "否"
        return value


class BackOfficeViewSet(ModelViewSet):
    """Every back-office viewset. Ledger and intake records are not CMS content: Wagtail's
    reference index (the "usage" of snippets and images) would write a row on every save."""

    add_to_reference_index = False
    inspect_view_class = PlainInspectView


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


def object_type_choices() -> list[tuple[str, str]]:
    """C4: the kinds of record the log names, by their Chinese names (the value stays the
    stored code, e.g. backoffice.person, so links and bookmarks keep working)."""
    models = [
        model
        for app in (*LEDGER_APPS, "auth")
        if apps.is_installed(app)
        for model in apps.get_app_config(app).get_models()
    ]
    return sorted(
        ((model._meta.label_lower, model_kind(model)) for model in models),
        key=lambda choice: choice[1],
    )


class AuditEventFilterSet(WagtailFilterSet):
    at = django_filters.DateFromToRangeFilter(label=_("时间范围"), widget=DateRangePickerWidget)
    actor_username = django_filters.CharFilter(label=_("用户名"), lookup_expr="exact")
    object_type = django_filters.ChoiceFilter(label=_("对象类型"), choices=object_type_choices)
    object_id = django_filters.CharFilter(label=_("对象ID"))

    class Meta:
        model = AuditEvent
        fields = [
            "action",
            "outcome",
            "channel",
            "actor_username",
            "object_type",
            "object_id",
            "at",
        ]


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


class AuditEventInspectView(PlainInspectView):
    """One entry as a register reads (issue 13): Beijing time, labels for the codes, the
    detail as lines. The model's get_<field>_display methods word time, role and kind."""

    def get_field_label(self, field_name, field):
        if field_name == "at":
            return gettext("时间（北京时间）")
        return super().get_field_label(field_name, field)

    def get_object_label_display_value(self):
        return object_display(self.object)

    def get_detail_display_value(self):
        lines = detail_lines(self.object)
        if not lines:
            return "—"
        return format_html(
            '<dl class="audit-detail">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", lines),
        )


class AuditEventViewSet(ReadOnlyModelViewSet):
    """SECURITY C4: the auditor filters by person (object), user, action and date range."""

    model = AuditEvent
    inspect_view_class = AuditEventInspectView
    icon = "history"
    menu_label = _("审计日志")
    menu_order = 950
    add_to_admin_menu = True
    url_prefix = "audit"
    # Time, role and channel read through AuditEvent's get_<field>_display (Beijing time, labels).
    list_display = [
        "at",
        "actor_username",
        "actor_role",
        "channel",
        "ip",
        "action",
        "outcome",
        PlainColumn("object_label", label=_("对象"), accessor=object_display),
        DenialColumn("denial", label=_("拒绝说明")),
    ]
    list_per_page = 50
    filterset_class = AuditEventFilterSet
    search_fields = ["actor_username", "object_label", "object_id"]
    search_backend_name = None
    inspect_view_fields = [
        "at",
        "actor_username",
        "actor_id",
        "actor_role",
        "channel",
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
