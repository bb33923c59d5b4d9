"""Who may resolve a field: the access policies (learnify/*/access.py) as one strawberry-django extension.

Resolvers never compare roles themselves: an operation or a field names the policy and the action it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strawberry.types import Info
from strawberry_django.permissions import DjangoNoPermission, DjangoPermissionExtension

from api.base import Forbidden, require_user
from learnify.accounts.models import User
from learnify.core.access import Policy


def ensure_allowed(info: Info, policy: Policy, action: str) -> User:
    """Return the signed-in user if the policy lets their role take `action`.

    Raises Unauthenticated for anonymous callers (saying why their token failed) and Forbidden for other roles.
    """
    user = require_user(info)
    if not policy.allows(user, action):
        raise Forbidden("You are not allowed to do this.")
    return user


class Allowed(DjangoPermissionExtension):
    """Resolve the field only for users whose role `policy` allows `action`.

    An operation refuses everyone else with UNAUTHENTICATED or FORBIDDEN. With `hide`, a field of a row the
    caller already sees reads null instead (a child's app gets the same shape without the secret).
    """

    def __init__(self, policy: Policy, action: str, *, hide: bool = False) -> None:
        # No schema directive: who may read a field is the server's business, not the published contract's.
        super().__init__(use_directives=False, fail_silently=True)
        self.policy = policy
        self.action = action
        self.hide = hide

    def resolve_for_user(
        self, resolver: Callable[[], Any], user: Any, *, info: Info, source: Any
    ) -> Any:
        if self.policy.allows(user, self.action):
            return resolver()
        if self.hide:
            raise DjangoNoPermission
        ensure_allowed(info, self.policy, self.action)
        return resolver()  # pragma: no cover - ensure_allowed raised: allows() answered no
