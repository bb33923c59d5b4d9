from typing import Any

from django import template

from learnify.accounts.access import has_role

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """Look a key up in a dict: `{{ row.cells|get_item:lesson.pk }}`."""
    return mapping.get(key) if mapping else None


@register.filter(name="has_role")
def has_role_filter(user: Any, role: str) -> bool:
    """Whether the signed-in, active user has the role: `{% if user|has_role:"ADMIN" %}`."""
    return has_role(user, role)
