"""docker-compose.yml is a valid Compose file with the services the design asks for.

No Docker engine runs here, so the file is checked against the Compose JSON schema and its wiring is
checked by reading it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "data" / "compose_spec.json").read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_file_is_valid_against_the_compose_schema(compose: dict[str, Any]) -> None:
    errors = sorted(jsonschema.Draft201909Validator(SCHEMA).iter_errors(compose), key=str)
    assert [e.message for e in errors] == []


def test_the_schema_check_rejects_a_broken_compose_file(compose: dict[str, Any]) -> None:
    broken = {
        **compose,
        "services": {**compose["services"], "db": {**compose["services"]["db"], "ports": "5432"}},
    }
    assert list(jsonschema.Draft201909Validator(SCHEMA).iter_errors(broken))


def test_db_is_postgres_16_with_a_pg_isready_healthcheck(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_migrate_is_one_shot_and_waits_for_a_healthy_db(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert "archive db upgrade" in " ".join(migrate["command"])
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_api_starts_after_the_db_is_healthy_and_the_migration_completed(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert api["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert (ROOT / "Dockerfile").is_file()
