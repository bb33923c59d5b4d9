"""Draw the data model as a Mermaid entity-relationship diagram, straight from the models."""

from __future__ import annotations

from django.apps import apps
from django.db import models

PROJECT_APP_PREFIX = "learnify."

_CARDINALITY = {
    "fk": "}o--||",  # many rows here to one there
    "fk_null": "}o--o|",
    "o2o": "|o--||",
    "m2m": "}o--o{",
}


def _project_models() -> list[type[models.Model]]:
    found = [
        model
        for config in apps.get_app_configs()
        if config.name.startswith(PROJECT_APP_PREFIX)
        for model in config.get_models()
    ]
    return sorted(found, key=lambda m: (m._meta.app_label, m._meta.model_name or ""))


def _entity(model: type[models.Model]) -> str:
    return model._meta.db_table.upper()


_TYPE_NAMES = {
    "AutoField": "int",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "BooleanField": "bool",
    "CharField": "varchar",
    "DateField": "date",
    "DateTimeField": "timestamp",
    "FileField": "file",
    "FloatField": "float",
    "GenericIPAddressField": "inet",
    "IntegerField": "int",
    "JSONField": "json",
    "PositiveBigIntegerField": "bigint",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "smallint",
    "SmallIntegerField": "smallint",
    "TextField": "text",
    "UUIDField": "uuid",
    "EmailField": "varchar",
}


def _column_type(field: models.Field) -> str:
    if isinstance(field, models.ForeignKey):  # also one-to-one
        return _column_type(field.target_field)
    return _TYPE_NAMES.get(field.get_internal_type(), field.get_internal_type().lower())


def _attribute(field: models.Field) -> str:
    keys = []
    if field.primary_key:
        keys.append("PK")
    elif isinstance(field, models.ForeignKey | models.OneToOneField):
        keys.append("FK")
    elif field.unique:
        keys.append("UK")
    key = f" {','.join(keys)}" if keys else ""
    nullable = ' "nullable"' if field.null and not field.primary_key else ""
    return f"        {_column_type(field)} {field.column}{key}{nullable}"


def render_er_diagram() -> str:
    """Return docs/data-model.md: a Mermaid diagram of every Learnify model, their columns and relations."""
    project = _project_models()
    lines = [
        "# Learnify data model",
        "",
        "Generated from the models by `python manage.py export_er_diagram` (`make docs`); a test fails when",
        "this file is stale. Tables prefixed `ai_` are the recommender's; they key children by `ml_student_id`",
        "(see `AI_ML_STUDENT_MAP`) and other rows by bare ids, so the ML database role sees no personal data.",
        "",
        "```mermaid",
        "erDiagram",
    ]
    relations: list[str] = []
    for model in project:
        lines.append(f"    {_entity(model)} {{")
        for field in model._meta.concrete_fields:
            lines.append(_attribute(field))
        lines.append("    }")
        for relation in model._meta.get_fields(include_hidden=False):
            if (
                not relation.is_relation
                or relation.auto_created
                or (not relation.concrete and not relation.many_to_many)
            ):
                continue
            target = relation.related_model
            if target not in project:  # Django's own auth tables are not ours to draw
                continue
            if relation.one_to_one:
                shape = _CARDINALITY["o2o"]
            elif relation.many_to_many:
                shape = _CARDINALITY["m2m"]
            else:
                shape = _CARDINALITY["fk_null" if relation.null else "fk"]
            relations.append(f'    {_entity(model)} {shape} {_entity(target)} : "{relation.name}"')
    lines.extend(sorted(relations))
    lines.append("```")
    lines.append("")
    return "\n".join(lines)
