"""Roles as groups bound to a jurisdiction (issue 2, item 7)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..enums import AreaLevel, Role
from ..models import Agency, Area, StaffProfile

ADMIN_ACCESS = "wagtailadmin.access_admin"
# "plan": the household plan (L7), kept as versions; drawn up by those who keep the file.
LEDGER_MODELS = ("household", "person", "personcategory", "benefit", "need", "plan")
LEDGER_READ = ["backoffice.view_area", *(f"backoffice.view_{m}" for m in LEDGER_MODELS)]
# Those who work cases keep the file up to date; categories, benefits and needs can be removed,
# households and persons never (they leave the ledger by an exit, issue 5).
LEDGER_WRITE = [
    *(f"backoffice.{action}_{m}" for m in LEDGER_MODELS for action in ("add", "change")),
    *(f"backoffice.delete_{m}" for m in ("personcategory", "benefit", "need")),
]
CHILD_RECORDS = "backoffice.view_child_record"  # SECURITY B4
REVEAL = "backoffice.reveal_identifiers"  # SECURITY B3: only the station that serves people
# F4: the city bureau keeps the working-day calendar (holidays, make-up days) for everyone.
CALENDAR_EDIT = [
    f"backoffice.{action}_{model}"
    for model in ("workdayoverride", "workdayyear")
    for action in ("add", "change", "delete")
]
# Issue 4: triage of public reports. Agencies make the home visit (F1) but neither decide
# nor see who reported (SECURITY B7).
REPORT_READ = ["intake.view_report"]
TRIAGE = ["backoffice.triage_report", "backoffice.record_visit", "backoffice.view_reporter"]
# Issue 5: case assistance (U5-U10) and resource linking (U1-U4), run by stations and social
# workers (M4). Closing a case early needs a supervisor: district or station staff confirm.
CASEWORK_MODELS = ("case", "casesession", "referral")
CASEWORK_READ = [f"backoffice.view_{m}" for m in CASEWORK_MODELS]
CASEWORK_WRITE = [f"backoffice.{a}_{m}" for m in CASEWORK_MODELS for a in ("add", "change")]
CONFIRM_CASE_CLOSURE = "backoffice.confirm_case_closure"
# D3: the decision that a household or member leaves the ledger, or re-enters, is the civil
# affairs staff's (district, station); agencies make the review visit it rests on.
EXIT_DECISION = "backoffice.decide_exit"
# M4: the civil-affairs staff assign households to agency workers and end assignments.
ASSIGN = "backoffice.assign_household"
# Issue 15: stations and districts bring survey rosters and approval lists in (D1, F2, F3) and
# match other departments' lists (U12); ledger listings leave as spreadsheets (E3) for the
# civil-affairs staff, not for agencies (contractors: PIPL art. 21, M3).
IMPORT = ["backoffice.import_roster", "backoffice.import_department_list"]
EXPORT = "backoffice.export_records"
# M3: the district manages its agencies and their confidentiality agreements; the city and the
# stations read them.
AGENCY_READ = ["backoffice.view_agency"]
AGENCY_MANAGE = [*AGENCY_READ, "backoffice.add_agency", "backoffice.change_agency"]
# Issue 17 (U3, P3, D4): stations and districts record the consent to share a need, publish and
# withdraw listings, confirm receipt and answer charities; the district registers charities and
# their people; the city reads. Charities themselves never enter the admin.
CHARITY_LISTING_READ = ["backoffice.view_needlisting"]
CHARITY_LISTING_WORK = [
    *CHARITY_LISTING_READ,
    "backoffice.add_needlisting",
    "backoffice.change_needlisting",
]
CHARITY_READ = ["backoffice.view_charityorganisation"]
CHARITY_MANAGE = [
    *CHARITY_READ,
    "backoffice.add_charityorganisation",
    "backoffice.change_charityorganisation",
]
# M2: the district publishes its service projects and records reviews and supervision; the
# city, the stations served and the agencies bound read them.
PROJECT_READ = ["backoffice.view_serviceproject"]
PROJECT_MANAGE = [
    *PROJECT_READ,
    "backoffice.add_serviceproject",
    "backoffice.change_serviceproject",
]
# M2: the district draws spot checks and checks and rechecks the files; the station and the
# agency keeping a file read its findings and rectify; the city reads.
SPOT_CHECK_READ = ["backoffice.view_spotcheck", "backoffice.view_spotcheckitem"]
SPOT_CHECK_RUN = [*SPOT_CHECK_READ, "backoffice.add_spotcheck", "backoffice.check_files"]
SPOT_CHECK_RECTIFY = ["backoffice.view_spotcheckitem", "backoffice.change_spotcheckitem"]
# M5: the city sets the year's deadline for complete files; districts and stations follow it.
DEADLINE_READ = "backoffice.view_filedeadline"
DEADLINE_SET = "backoffice.set_file_deadline"
# Issue 16 (U11): the ledger's counts, area by area, for those who keep an area; agencies,
# auditors and editors keep none.
STATISTICS_READ = "backoffice.view_statistics"
# Issue 16: the city and the districts take the monthly snapshot; the city draws the public
# release from one (the reviewer publishes it, portal/workflow.py).
STATISTICS_SNAPSHOT = "backoffice.take_statistics_snapshot"
STATISTICS_RELEASE = "backoffice.release_statistics"

# What each role's group may do in the admin. Ledger rows are further cut by the scope.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CITY_BUREAU: [
        ADMIN_ACCESS,
        *CHARITY_LISTING_READ,
        *CHARITY_READ,
        *AGENCY_READ,
        *LEDGER_READ,
        CHILD_RECORDS,
        *CALENDAR_EDIT,
        *REPORT_READ,
        "backoffice.view_reporter",
        *CASEWORK_READ,
        EXPORT,
        DEADLINE_READ,
        DEADLINE_SET,
        STATISTICS_READ,
        STATISTICS_SNAPSHOT,
        STATISTICS_RELEASE,
        *PROJECT_READ,
        *SPOT_CHECK_READ,
    ],
    Role.DISTRICT_BUREAU: [
        ADMIN_ACCESS,
        DEADLINE_READ,
        STATISTICS_READ,
        STATISTICS_SNAPSHOT,
        *PROJECT_MANAGE,
        *SPOT_CHECK_RUN,
        *CHARITY_LISTING_WORK,
        *CHARITY_MANAGE,
        *AGENCY_MANAGE,
        *LEDGER_READ,
        *LEDGER_WRITE,
        CHILD_RECORDS,
        *REPORT_READ,
        *TRIAGE,
        *CASEWORK_READ,
        *CASEWORK_WRITE,
        CONFIRM_CASE_CLOSURE,
        EXIT_DECISION,
        ASSIGN,
        *IMPORT,
        EXPORT,
    ],
    Role.STREET_STATION: [
        ADMIN_ACCESS,
        DEADLINE_READ,
        STATISTICS_READ,
        *PROJECT_READ,
        *SPOT_CHECK_RECTIFY,
        *CHARITY_LISTING_WORK,
        *AGENCY_READ,
        *LEDGER_READ,
        *LEDGER_WRITE,
        CHILD_RECORDS,
        REVEAL,
        *REPORT_READ,
        *TRIAGE,
        *CASEWORK_READ,
        *CASEWORK_WRITE,
        CONFIRM_CASE_CLOSURE,
        EXIT_DECISION,
        ASSIGN,
        *IMPORT,
        EXPORT,
    ],
    # An agency worker keeps assigned files up to date but opens no new household: a file it
    # opened would not be assigned to it, so it could not see it.
    Role.AGENCY_WORKER: [
        ADMIN_ACCESS,
        *PROJECT_READ,
        *SPOT_CHECK_RECTIFY,
        *LEDGER_READ,
        *(p for p in LEDGER_WRITE if p != "backoffice.add_household"),
        *REPORT_READ,
        "backoffice.record_visit",
        *CASEWORK_READ,
        *CASEWORK_WRITE,
    ],
    # SECURITY B5: the auditor reads the audit log and nothing else.
    Role.AUDITOR: [ADMIN_ACCESS, "backoffice.view_auditevent"],
    Role.SECURITY_ADMIN: [ADMIN_ACCESS, "backoffice.issue_otp_device"],
    Role.CMS_EDITOR: [
        ADMIN_ACCESS,
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    ],
    # P1: the reviewer approves site pages (the site's workflow, portal/workflow.py) and keeps
    # the site's menus; editors draft and submit, and cannot publish by themselves.
    Role.REVIEWER: [ADMIN_ACCESS, "portal.change_sitenavigation"],
    Role.CHARITY: [],  # charities never enter the admin
}
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]
REVIEWER_PAGE_PERMISSIONS = ["change_page", "publish_page"]
# Jurisdiction level each role must be bound to (None: no area).
ROLE_AREA_LEVEL: dict[Role, tuple[str, ...] | None] = {
    Role.CITY_BUREAU: (AreaLevel.CITY,),
    Role.DISTRICT_BUREAU: (AreaLevel.DISTRICT,),
    Role.STREET_STATION: (AreaLevel.STREET, AreaLevel.COMMUNITY),
}


def _permissions(labels) -> dict[str, Permission]:
    """The permissions named "app_label.codename", in one query (a missing one raises)."""
    wanted = set(labels)
    codenames = {label.split(".")[1] for label in wanted}
    found = {
        f"{permission.content_type.app_label}.{permission.codename}": permission
        for permission in Permission.objects.filter(codename__in=codenames).select_related(
            "content_type"
        )
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise Permission.DoesNotExist(f"permissions missing: {', '.join(missing)}")
    return {label: found[label] for label in wanted}


def roles_sync_groups() -> dict[Role, Group]:
    """Create or refresh one group per role with exactly its permissions (idempotent)."""
    from wagtail.models import GroupCollectionPermission, GroupPagePermission, Page

    permission = _permissions(
        [label for role in Role for label in ROLE_PERMISSIONS[role]]
        + [f"wagtailcore.{c}" for c in EDITOR_PAGE_PERMISSIONS + REVIEWER_PAGE_PERMISSIONS]
    )
    groups = {}
    for role in Role:
        group, _created = Group.objects.get_or_create(name=str(role.label))
        group.permissions.set([permission[label] for label in ROLE_PERMISSIONS[role]])
        groups[role] = group
    editors = groups[Role.CMS_EDITOR]
    root = Page.get_first_root_node()
    if root is not None:
        for role, codenames in (
            (Role.CMS_EDITOR, EDITOR_PAGE_PERMISSIONS),
            (Role.REVIEWER, REVIEWER_PAGE_PERMISSIONS),
        ):
            GroupPagePermission.objects.filter(group=groups[role]).exclude(
                permission__codename__in=codenames
            ).delete()
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=groups[role], page=root, permission=permission[f"wagtailcore.{codename}"]
                )
    from wagtail.models import Collection

    collection = Collection.get_first_root_node()
    if collection is not None:
        for label in ROLE_PERMISSIONS[Role.CMS_EDITOR][1:]:
            GroupCollectionPermission.objects.get_or_create(
                group=editors, collection=collection, permission=permission[label]
            )
    return groups


@transaction.atomic
def staff_assign(
    *, user, role: Role, area: Area | None = None, agency: Agency | None = None
) -> StaffProfile:
    """Give `user` exactly one role group and bind it to its jurisdiction."""
    role = Role(role)
    levels = ROLE_AREA_LEVEL.get(role)
    if levels and (area is None or area.level not in levels):
        raise ValidationError(_("该角色必须绑定到相应层级的行政区划。"))
    if role == Role.AGENCY_WORKER and agency is None:
        raise ValidationError(_("社工必须属于一个社工机构。"))
    groups = roles_sync_groups()
    role_groups = [g.pk for g in groups.values()]
    user.groups.remove(*role_groups)
    user.groups.add(groups[role])
    profile, _created = StaffProfile.objects.update_or_create(
        user=user, defaults={"role": role, "area": area, "agency": agency}
    )
    user.__dict__.pop("staff_profile", None)
    return profile
