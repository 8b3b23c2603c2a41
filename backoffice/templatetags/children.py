"""Template side of the child policy (SECURITY B4, backoffice/children.py).

`{{ person|shown_name:child_view }}` gives the name or "未满14周岁儿童"; `{{ text|redacted:
child_view }}` replaces hidden children's names in free text; `{{ person|hidden_for:child_view }}`
tells the template to leave the row's details out. A view that shows members puts a
`child_view` in the context; without one, nothing is hidden only for those who may see."""

from django import template

from ..children import ChildView

register = template.Library()


@register.filter
def shown_name(person, child_view: ChildView | None):
    if person is None:
        return "全户"
    if child_view is None:
        raise ValueError("shown_name needs the view's child_view")
    return child_view.label(person)


@register.filter
def redacted(text, child_view: ChildView | None):
    if child_view is None:
        raise ValueError("redacted needs the view's child_view")
    return child_view.redact(str(text or ""))


@register.filter
def hidden_for(person, child_view: ChildView | None) -> bool:
    return bool(child_view is not None and child_view.hides(person))
