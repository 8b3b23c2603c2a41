"""Wagtail's own admin endpoints, held to the portal's rules (issue 12: SECURITY B1, B4, F4).

Besides the viewsets and views of the back office, the Wagtail admin serves utilities of its
own. Those that take a model and a primary key were checked (Wagtail 8.0):

- editing sessions (`editing-sessions/ping/<app>/<model>/<pk>/<session>/`, the "someone else
  is editing" notice of every edit view): the one that reaches ledger models. It asks the
  model's permission policy whether the user may change the record and then names everyone
  editing it. `ScopedPermissionPolicy` below answers for the jurisdiction scope and the child
  permission, so a record outside them answers 404. `release/<session>/` deletes only the
  caller's own session.
- bulk actions, tag autocomplete, settings, page creation and usage by type, workflow tasks,
  snippets: they serve only models registered with them (pages, images, documents, users,
  tags, settings, snippets, task types), never a ledger model: 404.
- history, usage, copy and chooser views: ledger viewsets route only the views they list
  (`LedgerViewSet.views`), so these do not exist for ledger models (the delete views of
  categories, benefits and needs do, and find their record through the scope). Locking and
  workflows are for pages and snippets only. The site-history report lists Wagtail's log
  entries, which ledger saves do not write (the services audit them in AuditEvent).

The policy is registered from wagtail_hooks.py before the viewsets are, as Wagtail requires.
`WagtailEndpointGuardMiddleware` closes what a policy cannot: Wagtail's error-test page (any
staff member could raise a 500 with it) and input that Wagtail itself turns into a 500. The
tests are tests/integration/test_wagtail_endpoints.py and test_malformed_input.py.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from .forms.base import scoped_choices


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """A ledger model's permissions: the model permission, and for a given record the scope
    (B1) and the child permission (B4), decided by the same function as form choices."""

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        if instance.pk is None:
            return True  # not a record yet: its form's choices are scoped (B8)
        return scoped_choices(user, self.model._default_manager.filter(pk=instance.pk)).exists()

    def instances_user_has_permission_for(self, user, action):
        return scoped_choices(user, super().instances_user_has_permission_for(user, action))

    def instances_user_has_any_permission_for(self, user, actions):
        return scoped_choices(user, super().instances_user_has_any_permission_for(user, actions))


def scoped_policies_register() -> None:
    """Give every model that declares a jurisdiction (`scope_fields`) the scoped policy,
    unless a policy of its own is registered already (areas: read-only)."""
    for model in apps.get_models():
        if not getattr(model, "scope_fields", None):
            continue
        if policy_registry.get_by_type(model, fallback=False) is None:
            register_permission_policy(model, ScopedPermissionPolicy(model))


# Wagtail's page that raises an exception on purpose, to test error reporting: no use here,
# and any staff member could fill the error log with it.
CLOSED_VIEWS = frozenset({"wagtailadmin_error_test"})

# Wagtail form posts whose missing field Wagtail 8.0 turns into a 500 (the external link
# chooser's URLOrAbsolutePathField calls .startswith on None): refused as malformed instead.
REQUIRED_POST_FIELDS = {
    "wagtailadmin_choose_page_external_link": "external-link-chooser-url",
}

# Wagtail views that look a record up by an id taken from the URL as a string: an id that is
# not a valid primary key makes the lookup raise ValueError (500) instead of not finding it.
OBJECT_ID_VIEWS = frozenset({"wagtailadmin_editing_sessions:ping"})


class WagtailEndpointGuardMiddleware:
    """404 for Wagtail's closed views and for malformed record ids, 400 for malformed posts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        name = match.view_name if match is not None else None
        if name in CLOSED_VIEWS:
            raise Http404
        if name in OBJECT_ID_VIEWS:
            _object_id_check(view_kwargs)
        required = REQUIRED_POST_FIELDS.get(name)
        if required and request.method == "POST" and not request.POST.get(required):
            raise BadRequest(f"{name}: {required} missing")
        return None


def _object_id_check(kwargs) -> None:
    try:
        model = apps.get_model(kwargs["app_label"], kwargs["model_name"])
        model._meta.pk.to_python(unquote(kwargs["object_id"]))
    except (KeyError, LookupError, ValidationError, ValueError, TypeError):
        raise Http404 from None
