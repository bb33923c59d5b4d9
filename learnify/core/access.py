"""Who may see and do what: one declaration per model, read by every face.

Each domain app declares its models' policies in its own `access.py`. A policy names, for each action and each
role, the rows that role may act on: `True` for every row, or a function of the user returning a `Q`. Everything
else derives from that one declaration, as Kolibri's role-based permissions derive a queryset filter and an
object check from the same rules:

- `filter(user, action)` and `q(user, action)`: the rows, for selectors, GraphQL types and prefetches;
- `can(user, action, obj)`: one object, for services and views. A rule that reads only the object's own columns
  is decided in memory; any other is asked of the database with the same `Q` (one EXISTS query), so the check
  can never disagree with the filter.

Some decisions depend on the role alone, such as which fields of a row the caller already sees are theirs to read
(a child never receives the right answer). Those are `role_actions`: `allows(user, action)` answers them.

A role missing from an action's rules may not take it; an anonymous or deactivated user has no role at all.
Rules are plain lookups on the model's own fields and relations (no F() expressions), so a policy can be reached
through a relation: `lessons.q(user, through="lesson")` is the rule for rows whose `lesson` the user may see.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

M = TypeVar("M", bound=models.Model)

Rule = bool | Callable[[Any], Q]

# A Q that matches nothing, for a role that may not act: keeps `q()` composable where a queryset is not at hand.
NOTHING = Q(pk__in=[])


def active_role(user: Any) -> str | None:
    """Return the role of a signed-in, active user; None for anonymous or deactivated users."""
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
    ):
        return None
    return getattr(user, "role", None)


def has_role(user: Any, *roles: str) -> bool:
    """Whether the user is signed in, active and has one of `roles`."""
    return active_role(user) in roles


@dataclass(frozen=True)
class Policy(Generic[M]):
    """The rules of one model: per action, per role, which rows (see the module's docstring)."""

    model: type[M]
    actions: Mapping[str, Mapping[str, Rule]]
    role_actions: Mapping[str, Collection[str]] = field(default_factory=dict)

    def _rule(self, user: Any, action: str) -> bool | Q:
        if action not in self.actions:
            raise LookupError(f"{self.model.__name__} has no row action {action!r}")
        role = active_role(user)
        if role is None:
            return False
        rule = self.actions[action].get(role, False)
        return rule(user) if callable(rule) else rule

    def allows(self, user: Any, action: str) -> bool:
        """Whether the user's role may take `action` at all: on some rows, or a role action."""
        if action in self.role_actions:
            return active_role(user) in self.role_actions[action]
        return self._rule(user, action) is not False

    def q(self, user: Any, action: str = "view", *, through: str = "") -> Q:
        """Return the rows' condition; with `through`, for rows that reach this model through that relation."""
        rule = self._rule(user, action)
        if rule is True:
            return Q()
        if rule is False:
            return NOTHING
        return _prefixed(rule, through) if through else rule

    def filter(
        self, user: Any, action: str = "view", *, base: QuerySet[M] | None = None
    ) -> QuerySet[M]:
        """Return the rows of `base` (default: all) the user may take `action` on."""
        qs = self.model._default_manager.all() if base is None else base
        rule = self._rule(user, action)
        if rule is True:
            return qs
        if rule is False:
            return qs.none()
        return qs.filter(rule)

    def can(self, user: Any, action: str, obj: M) -> bool:
        """Whether the user may take `action` on `obj`: the same rule as `filter`, for one object."""
        if action in self.role_actions:
            raise LookupError(f"{action!r} is decided by role alone: ask allows(user, {action!r})")
        rule = self._rule(user, action)
        if isinstance(rule, bool):
            return rule
        verdict = _evaluate(rule, obj)
        if verdict is not None:
            return verdict
        return self.model._default_manager.filter(pk=obj.pk).filter(rule).exists()


def _prefixed(q: Q, through: str) -> Q:
    """Return `q` with every lookup reached through the relation `through`."""
    prefixed = Q()
    prefixed.connector, prefixed.negated = q.connector, q.negated
    prefixed.children = [_prefixed_child(child, through) for child in q.children]
    return prefixed


def _prefixed_child(child: Any, through: str) -> Any:
    if isinstance(child, Q):
        return _prefixed(child, through)
    lookup, value = child
    return (f"{through}__{lookup}", value)


def _evaluate(q: Q, obj: models.Model) -> bool | None:
    """Decide `q` for `obj` from its own columns, or None when it needs the database."""
    verdicts = [_verdict(child, obj) for child in q.children]
    decisive = q.connector != Q.AND  # one True decides an OR, one False an AND
    result: bool | None
    if decisive in verdicts:
        result = decisive
    elif None in verdicts:
        result = None
    else:
        result = not decisive
    if result is None:
        return None
    return not result if q.negated else result


def _verdict(child: Any, obj: models.Model) -> bool | None:
    if isinstance(child, Q):
        return _evaluate(child, obj)
    lookup, value = child
    return _lookup(obj, lookup, value)


def _lookup(obj: models.Model, lookup: str, value: Any) -> bool | None:
    name, _, operator = lookup.partition("__")
    operator = operator or "exact"
    if operator not in ("exact", "isnull", "in") or isinstance(value, QuerySet):
        # A relation (`classroom__teachers__user`), a subquery or an operator the database answers.
        return None
    try:
        model_field = obj._meta.pk if name == "pk" else obj._meta.get_field(name)
    except Exception:  # not a field of this model (a reverse relation): ask the database
        return None
    if not model_field.concrete or model_field.many_to_many:
        return None
    attname = model_field.attname  # type: ignore[union-attr]
    if attname not in obj.__dict__:
        return None  # deferred: reading it would cost the query the database check costs anyway
    current = obj.__dict__[attname]
    if operator == "isnull":
        return (current is None) == bool(value)
    if operator == "in":
        return current in {_key(item) for item in value}
    return current == _key(value)


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value
