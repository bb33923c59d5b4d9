from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """Look a key up in a dict: `{{ row.cells|get_item:lesson.pk }}`."""
    return mapping.get(key) if mapping else None
