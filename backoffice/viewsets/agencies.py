"""Social-work agencies in the admin (M3): the district manages its own, with their
confidentiality agreements and the pledges of their workers; scoped like every ledger row."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView

from ..actor import request_actor
from ..enums import AuditAction, Role
from ..forms.agencies import AgencyForm, AgreementForm
from ..models import Agency, WorkerPledge
from ..models.staff import agency_access
from ..services.events import event_record
from .ledger import LedgerViewSet, ScopedIndexMixin, ScopedInspectMixin


class AgencyIndexView(ScopedIndexMixin, IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("district")
            .annotate(latest_expiry=Max("agreements__expires_on"))
        )


def _agreement_state(agency) -> str:
    expiry = getattr(agency, "latest_expiry", None)
    today = timezone.localdate()
    if expiry is None:
        return "未签订保密协议"
    if expiry < today:
        return f"已于 {expiry:%Y-%m-%d} 到期"
    return f"有效期至 {expiry:%Y-%m-%d}"


class AgencyInspectView(ScopedInspectMixin, InspectView):
    template_name = "backoffice/agencies/agency_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agency = self.object
        pledged = set(WorkerPledge.objects.filter(agency=agency).values_list("user_id", flat=True))
        staff = []
        for profile in agency.staff.filter(role=Role.AGENCY_WORKER).select_related("user"):
            staff.append(
                {
                    "user": profile.user,
                    "pledged": profile.user_id in pledged,
                    "access": agency_access(profile),
                }
            )
        context.update(
            agency=agency,
            agreements=agency.agreements.all(),
            staff=staff,
            can_manage=self.request.user.has_perm("backoffice.change_agency"),
            agreement_form=AgreementForm(),
            today=timezone.localdate(),
        )
        event_record(actor=request_actor(self.request), action=AuditAction.VIEW, obj=agency)
        return context


class AgencyViewSet(LedgerViewSet):
    model = Agency
    icon = "group"
    menu_label = _("社工机构")
    menu_order = 300
    add_to_admin_menu = True
    views = ("index", "add", "edit", "inspect")
    index_view_class = AgencyIndexView
    inspect_view_class = AgencyInspectView
    form_class = AgencyForm
    list_display = [
        "name",
        "credit_code",
        Column("district", label=_("服务区"), accessor=lambda a: a.district.name),
        Column("agreement", label=_("保密协议"), accessor=_agreement_state),
    ]
    list_per_page = 50
    search_fields = ["name", "credit_code"]
    search_backend_name = None
    ordering = ["name"]


agency_viewset = AgencyViewSet("agencies")
