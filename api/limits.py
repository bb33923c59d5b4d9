"""Limits checked before a document is validated or run: each refuses cheaply with BAD_USER_INPUT.

Each puts its error in `pre_execution_errors` from `on_validate`; CheckedValidationCache, listed after them,
then skips the other rules, so a hostile document costs one linear walk. Raising instead would work over HTTP
but a websocket subscription would end with a bare "complete" and no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension, ValidationCache

from api.base import ErrorCode


class _Limit(SchemaExtension):
    def problem(self) -> str | None:
        raise NotImplementedError

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            problem = self.problem()
            if problem:
                context.pre_execution_errors = [
                    GraphQLError(problem, extensions={"code": ErrorCode.BAD_USER_INPUT.value})
                ]
        yield


class CheckedValidationCache(ValidationCache):
    """Validate (with the cache) only documents that no limit above has refused."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
        else:
            yield from super().on_validate()


def expanded_field_count(document: DocumentNode, *, stop_at: int) -> int:
    """Return how many fields the operations select once every fragment spread is expanded.

    Each fragment is counted once and remembered, so a document whose fragments spread each other
    exponentially costs time linear in its length. Counting stops early past `stop_at`.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def fragment_size(name: str, visiting: frozenset[str]) -> int:
        if name in sizes:
            return sizes[name]
        fragment = fragments.get(name)
        if fragment is None or name in visiting:
            # Unknown fragments and cycles are reported by graphql-core's own validation rules.
            return 0
        sizes[name] = size(fragment.selection_set, visiting | {name})
        return sizes[name]

    def size(selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set, visiting)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment_size(selection.name.value, visiting)
            if total > stop_at:
                return total
        return total

    total = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += size(definition.selection_set, frozenset())
            if total > stop_at:
                break
    return total


class MaxExpandedFieldsLimiter(_Limit):
    """Refuse a document whose fragments expand to more than `max_fields` fields, before validating it.

    Strawberry's depth and alias limiters walk every fragment spread anew, so a few hundred bytes of fragments
    spreading each other hold a worker for minutes. This check runs first, in time linear in the document.
    """

    def __init__(self, max_fields: int) -> None:
        self.max_fields = max_fields

    def problem(self) -> str | None:
        document = self.execution_context.graphql_document
        if expanded_field_count(document, stop_at=self.max_fields) > self.max_fields:  # type: ignore[arg-type]
            return (
                f"The query selects more than {self.max_fields} fields once its fragments are"
                " expanded."
            )
        return None


def text_problem(value: str, *, max_length: int) -> str | None:
    """Return why a string cannot be stored as text, or None when it can."""
    if len(value) > max_length:
        return f"A text value is longer than {max_length} characters."
    if "\x00" in value:
        # PostgreSQL refuses NUL in text columns; SQLite would store it and show it nowhere sensibly.
        return "A text value contains a NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "A text value is not valid Unicode (it has a lone surrogate)."
    return None


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


class _StringLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.values.append(node.value)


class TextInputGuard(_Limit):
    """Refuse every string input (variable or inline literal) that no text column can hold.

    One rule for every String and ID argument of every operation, so no service has to remember NUL bytes,
    lone surrogates or megabyte values.
    """

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def problem(self) -> str | None:
        literals = _StringLiterals()
        visit(self.execution_context.graphql_document, literals)  # type: ignore[arg-type]
        for value in (*literals.values, *_strings_in(self.execution_context.variables or {})):
            problem = text_problem(value, max_length=self.max_length)
            if problem:
                return problem
        return None
