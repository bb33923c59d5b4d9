"""Who may open a portal page: one decorator, asking the access rules (learnify/accounts/access.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from learnify.accounts.access import PORTAL_ROLES, Role, has_role


def role_required(*roles: str) -> Callable:
    """Let in signed-in, active users of `roles`: others get the sign-in page, or 403 when signed in."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


teacher_required = role_required(*PORTAL_ROLES)
admin_required = role_required(Role.ADMIN)
