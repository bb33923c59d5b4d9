from pathlib import Path

from django.conf import settings
from strawberry.printer import print_schema

from api.schema import schema


def test_committed_schema_graphql_is_current():
    committed = (Path(settings.BASE_DIR) / "schema.graphql").read_text(encoding="utf-8")

    assert committed.strip() == print_schema(schema).strip(), (
        "schema.graphql is stale: run `make schema`"
    )
