"""What every back-office form shares: one way to show a service's refusal, and choices that
are scoped like the rows themselves (SECURITY B8).

`ScopedChoicesMixin.limit_choices(who)` cuts every field that offers records (persons,
households, cases, referrals, visits, areas, agencies, staff) to what the actor may see, so a
form cannot offer, or accept, a record outside the jurisdiction whatever its query string
says. Forms call it at the end of their __init__; tests sweep every form to prove it."""

from __future__ import annotations

import functools

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ..children import persons_visible
from ..enums import AreaLevel
from ..models import Agency, Area, Household, Person
from ..scope import scope_of, scope_queryset
from ..services.errors import RuleError

DATE_INVALID = _("日期格式应为 2026-11-29。")
# The one date input of the back office: an ISO value the browser's date picker understands.
DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def add_rule_error(form: forms.BaseForm, error: RuleError) -> None:
    """Show a service's refusal next to its field, or at the top of the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _district_code(who) -> str | None:
    scope = scope_of(who)
    if scope.level in (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY):
        return Area.objects.filter(code=scope.area_code).values_list("district_id", flat=True)[0]
    return None


def agencies_visible(who, queryset: QuerySet | None = None) -> QuerySet:
    """The social-work agencies of the actor's district (all of them for the city)."""
    queryset = Agency.objects.all() if queryset is None else queryset
    scope = scope_of(who)
    if scope.is_everything:
        return queryset
    if scope.level == "assigned":
        user = getattr(who, "user", who)
        profile = getattr(user, "staff_profile", None)
        return queryset.filter(pk=getattr(profile, "agency_id", None))
    district = _district_code(who)
    return queryset.filter(district_id=district) if district else queryset.none()


def staff_visible(who, queryset: QuerySet | None = None) -> QuerySet:
    """The staff an actor may choose (a worker for a case, a visit, an assignment): themselves,
    staff bound to an area in their scope, the workers of their district's agencies, and the
    workers assigned to households in their scope."""
    users = get_user_model()._default_manager
    queryset = users.all() if queryset is None else queryset
    scope = scope_of(who)
    queryset = queryset.filter(is_active=True)
    if scope.is_everything:
        return queryset.filter(staff_profile__isnull=False)
    user = getattr(who, "user", who)
    mine = Q(pk=getattr(user, "pk", None))
    households = scope_queryset(who, Household.objects.all()).values("pk")
    assigned = Q(pk__in=users.filter(assigned_households__household__in=households).values("pk"))
    if scope.level in ("assigned", "none"):
        return queryset.filter(mine | assigned)
    areas = scope_queryset(who, Area.objects.all()).values("code")
    in_area = Q(staff_profile__area__in=areas)
    agencies = Q(staff_profile__agency__in=agencies_visible(who).values("pk"))
    return queryset.filter(mine | assigned | in_area | agencies)


def scoped_choices(who, queryset: QuerySet) -> QuerySet:
    """`queryset` cut to the records `who` may choose (B8); children only with B4's permission."""
    model = queryset.model
    if model is get_user_model():
        return staff_visible(who, queryset)
    if model is Agency:
        return agencies_visible(who, queryset)
    if model is Person:
        return persons_visible(who, scope_queryset(who, queryset))
    if getattr(model, "scope_fields", None):
        visible = scope_queryset(who, queryset)
        if any(field.name == "person" for field in model._meta.fields):
            visible = persons_visible(who, visible, prefix="person__")
        return visible
    raise TypeError(f"{model.__name__} has no scope: a form cannot offer it (SECURITY B8)")


class ScopedChoicesMixin:
    """Every field that offers records offers only those in the actor's scope (B8).

    Each form class's __init__ is wrapped so that, once it has set its querysets, they are
    cut to the scope of the form's actor (`actor`, Wagtail's `for_user`, or `user`). A form
    that offers records without saying who it is for fails at once: no record list escapes."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__") or cls.__init__
        if getattr(init, "limits_choices", False):
            return  # inherited, already wrapped

        @functools.wraps(init)
        def __init__(self, *args, **kw):
            init(self, *args, **kw)
            self.limit_choices()

        __init__.limits_choices = True
        cls.__init__ = __init__

    def choices_actor(self):
        for name in ("actor", "for_user", "user"):
            who = getattr(self, name, None)
            if who is not None:
                return who
        return None

    def limit_choices(self) -> None:
        who = self.choices_actor()
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or getattr(field, "scoped_queryset", None) is queryset:
                continue
            if who is None:
                raise TypeError(f"{type(self).__name__}.{name} offers records but has no actor")
            field.queryset = scoped_choices(who, queryset)
            field.scoped_queryset = field.queryset
