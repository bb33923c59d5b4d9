"""Walk the live GraphQL schema: every Query and Mutation field, its arguments and their types.

Reusable by any suite that must cover "every operation" or "every string argument" without hand-listing them:
the lists come from `schema.schema.schema`, so a new field is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from api.schema import schema as learnify_schema


def graphql_schema() -> GraphQLSchema:
    return learnify_schema._schema


@dataclass(frozen=True)
class Argument:
    name: str
    type: GraphQLInputType

    @property
    def type_str(self) -> str:
        return str(self.type)

    @property
    def required(self) -> bool:
        return isinstance(self.type, GraphQLNonNull)


@dataclass(frozen=True)
class Operation:
    kind: str  # "query" or "mutation"
    name: str
    field: GraphQLField
    arguments: tuple[Argument, ...]

    @property
    def id(self) -> str:
        return f"{self.kind}.{self.name}"

    def document(self, *, depth: int = 2) -> str:
        """Return an operation passing every argument as a variable `$<name>`, selecting leaves to `depth`."""
        variables = ", ".join(f"${a.name}: {a.type_str}" for a in self.arguments)
        call_args = ", ".join(f"{a.name}: ${a.name}" for a in self.arguments)
        header = f"{self.kind} Walk{self.name[0].upper()}{self.name[1:]}"
        if variables:
            header += f"({variables})"
        call = self.name + (f"({call_args})" if call_args else "")
        return f"{header} {{ {call}{selection_set(self.field.type, depth=depth)} }}"


def operations() -> list[Operation]:
    """Return every Query and Mutation field of the schema, queries first, each in schema order."""
    found: list[Operation] = []
    gql = graphql_schema()
    for kind, root in (("query", gql.query_type), ("mutation", gql.mutation_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            args = tuple(Argument(arg_name, arg.type) for arg_name, arg in field.args.items())
            found.append(Operation(kind, name, field, args))
    return found


def selection_set(output_type: Any, *, depth: int = 2) -> str:
    """Return ` { ... }` choosing every argument-free leaf field (and objects down to `depth`), or "" for a leaf."""
    named = get_named_type(output_type)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType), f"unions/interfaces are not walked yet: {named}"
    parts: list[str] = []
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 0:
            parts.append(name + selection_set(field.type, depth=depth - 1))
    if not parts:
        parts.append("__typename")
    return " { " + " ".join(parts) + " }"


def input_paths(
    type_: GraphQLInputType, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], GraphQLNamedType]]:
    """Yield (path, named leaf type) for every scalar or enum reachable inside an input type.

    List levels add "[]" to the path. Recursive inputs (LessonFilter's AND/OR/NOT) are entered once.
    """
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        yield from input_paths(inner.of_type, (*prefix, "[]"))
        return
    if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
        yield prefix, inner
        return
    assert isinstance(inner, GraphQLInputObjectType)
    for name, field in inner.fields.items():
        if get_named_type(field.type) is inner:
            continue
        yield from input_paths(field.type, (*prefix, name))


def string_arguments() -> list[tuple[Operation, tuple[str, ...]]]:
    """Return (operation, path) for every String reachable from any operation's arguments."""
    found = []
    for op in operations():
        for arg in op.arguments:
            for path, leaf in input_paths(arg.type, (arg.name,)):
                if leaf.name == "String":
                    found.append((op, path))
    return found


def minimal_value(type_: GraphQLInputType, *, ids: dict[str, Any] | None = None) -> Any:
    """Return a plausible value for a type: required fields of inputs filled, optional ones left out."""
    ids = ids or {}
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [minimal_value(type_.of_type, ids=ids)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: minimal_value(field.type, ids=ids)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    scalar = type_.name
    return {
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "ID": ids.get("ID", "1"),
        "DateTime": "2026-01-01T00:00:00+00:00",
        "Date": "2020-01-01",
    }.get(scalar, "x")


def minimal_variables(op: Operation, **overrides: Any) -> dict[str, Any]:
    """Return variables for every argument of `op`: required ones filled, optional ones left out."""
    variables = {a.name: minimal_value(a.type) for a in op.arguments if a.required}
    variables.update(overrides)
    return variables


def set_path(
    variables: dict[str, Any], path: tuple[str, ...], value: Any, op: Operation
) -> dict[str, Any]:
    """Return a copy of `variables` with `value` placed at `path` (creating inputs and one-item lists)."""
    result = dict(variables)
    arg = next(a for a in op.arguments if a.name == path[0])
    result[path[0]] = _place(result.get(path[0]), arg.type, path[1:], value)
    return result


def _place(current: Any, type_: GraphQLInputType, path: tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        item = (current or [None])[0]
        return [_place(item, inner.of_type, path[1:], value)]
    assert isinstance(inner, GraphQLInputObjectType)
    base = dict(current) if isinstance(current, dict) else minimal_value(inner)
    base[path[0]] = _place(base.get(path[0]), inner.fields[path[0]].type, path[1:], value)
    return base
