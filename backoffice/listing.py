"""Listing pages that stay fast at a million persons (DESIGN.md: a list page p95 <= 100 ms).

Measured on the 1M-person demo ledger (make bench), the database answered a household listing
in ~15 ms while Django's templates took ~170 ms: one template per table cell (~1 ms for each
title cell with its row menu) and one template per `<option>` (~45 ms for Beijing's 340 streets
in the filter). Here the same HTML is written in Python:

- `PlainColumn`: a cell, rendered as Wagtail's `cell.html` renders it (value localized, escaped).
- `FileLinkColumn`: the first column, a link to the record's page. Each ledger row opens its one
  file (L7), where every action lives, so rows carry no menu of their own.
- `QuickSelect`: a `<select>` for long choice lists.
- `QuickListingMixin`: makes an `IndexView` use them for its `list_display`.
- `streets_in_scope`: the street filter's choices, built once per scope and process (areas are
  reference data loaded by a migration or `load_areas`; a new load shows after a restart).
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import quote
from django.forms.utils import flatatt
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from wagtail.admin.ui.tables import Column, Table

from .models import Area
from .scope import scope_queryset, user_scope

_streets: dict[tuple, tuple[tuple[str, str], ...]] = {}


def _cell_html(column: Column, value) -> str:
    """The escaped text of a cell, as `{{ value }}` shows it in Wagtail's cell template."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # unlocalized, as Wagtail does for numbers
    text = str(localize(value))
    return escape(text if text.strip() else column.empty_value_display)


class PlainColumn(Column):
    def render_cell_html(self, instance, parent_context):
        text = _cell_html(self, self.get_value(instance))
        if self.classname:
            return mark_safe(f'<td class="{escape(self.classname)}">{text}</td>')  # noqa: S308
        return mark_safe(f"<td>{text}</td>")  # noqa: S308 - escaped by _cell_html


class FileLinkColumn(Column):
    empty_value_display = "（空）"

    def __init__(self, name, *, get_url, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url = get_url

    def render_cell_html(self, instance, parent_context):
        url, text = escape(self.get_url(instance)), _cell_html(self, self.get_value(instance))
        return mark_safe(  # noqa: S308 - both escaped
            f'<td class="title"><div class="title-wrapper"><a href="{url}">{text}</a></div></td>'
        )


class QuickSelect(forms.Select):
    """The HTML of `forms.Select` for a flat list of choices, written without a template or a
    dict per option (~3 µs an option instead of ~100 µs)."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):  # option groups
            return super().render(name, value, attrs, renderer)
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            '<option value="{}"{}>{}</option>'.format(
                escape(option), " selected" if str(option) in chosen else "", escape(label)
            )
            for option, label in choices
        )
        attributes = flatatt({"name": name, **self.build_attrs(self.attrs, attrs)})
        return mark_safe(f"<select{attributes}>{options}</select>")  # noqa: S308 - escaped above


class QuickTable(Table):
    """Wagtail's `table.html` written in Python when every cell is a quick column (a template
    tag, a context push and a cell object per cell cost ~0.1 ms: 30 ms for 50 rows)."""

    def render_html(self, parent_context=None):
        columns = list(self.columns.values())
        quick = all(isinstance(column, PlainColumn | FileLinkColumn) for column in columns)
        if not quick or self.has_column_widths():
            return super().render_html(parent_context)
        context = self.get_context_data(parent_context or {})
        caption = self.get_caption()
        rows = [
            format_html(
                "<tr{}>{}</tr>",
                flatatt(self.get_row_attrs(instance)),
                mark_safe(  # noqa: S308 - each cell escapes its value
                    "".join(column.render_cell_html(instance, context) for column in columns)
                ),
            )
            for instance in self.data
        ]
        return format_html(
            "<table{}>{}<thead><tr{}>{}</tr></thead><tbody>{}</tbody></table>",
            flatatt(self.attrs),
            format_html('<caption class="w-sr-only">{}</caption>', caption) if caption else "",
            flatatt({"class": self.header_row_classname} if self.header_row_classname else {}),
            mark_safe("".join(column.render_header_html(context) for column in columns)),  # noqa: S308 - templates
            mark_safe("".join(rows)),  # noqa: S308 - format_html above
        )


class QuickListingMixin:
    """For an `IndexView`: plain cells, and a first column linking to the record's page."""

    def get_table(self, object_list):
        if getattr(self, "show_ordering_column", False):
            return super().get_table(object_list)
        return QuickTable(self.columns, object_list, **self.get_table_kwargs())

    def _get_title_column(self, field_name, column_class=None, **kwargs):
        return self._get_custom_column(field_name, FileLinkColumn, get_url=self._row_url, **kwargs)

    def _row_url(self, instance) -> str:
        """The record's page: `get_inspect_url` without a `reverse()` per row."""
        if not hasattr(self, "_row_url_prefix"):
            sample = self.get_inspect_url(_Pk0())
            self._row_url_prefix = (
                sample[: -len("0/")] if sample and sample.endswith("/0/") else None
            )
        if self._row_url_prefix is None:
            return self.get_inspect_url(instance)
        return f"{self._row_url_prefix}{quote(instance.pk)}/"

    def _get_custom_column(self, field_name, column_class=Column, **kwargs):
        if column_class is Column:
            column_class = PlainColumn
        column = super()._get_custom_column(field_name, column_class, **kwargs)
        if isinstance(column.accessor, str) and "." not in column.accessor:
            name = column.accessor.removeprefix("get_").removesuffix("_display")
            if column.accessor == f"get_{name}_display":
                column.accessor = _choice_label(self.model._meta.get_field(name))
        return column


def _choice_label(field):
    """`get_FOO_display` without Django's per-call `make_hashable` of the choices (~0.1 ms),
    with the labels translated once per language rather than once per cell."""
    labels = dict(field.flatchoices)
    translated: dict[str, dict] = {}

    def label(instance):
        language = get_language()
        if language not in translated:
            translated[language] = {value: str(text) for value, text in labels.items()}
        value = getattr(instance, field.attname)
        return translated[language].get(value, value)

    return label


class _Pk0:
    pk = 0


def streets_in_scope(user) -> tuple[tuple[str, str], ...]:
    """(code, name) of the streets `user` may see, in code order; none outside any scope."""
    scope = user_scope(user)
    key = (scope.level, scope.area_code)
    if key not in _streets:
        streets = scope_queryset(user, Area.objects.filter(level="street").order_by("code"))
        choices = tuple(streets.values_list("code", "name"))
        if not choices:  # assigned work or no scope: asked again, never kept
            return choices
        _streets[key] = choices
    return _streets[key]
