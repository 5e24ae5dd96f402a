"""The API's skeleton: health, OpenAPI, problem details and request ids."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from archive.settings import Settings


async def test_health_answers_200_with_the_database_backend(
    client: AsyncTestClient[Litestar], backend: str
) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "sqlite" if backend == "sqlite" else "postgresql"}


async def test_health_answers_503_problem_when_the_database_is_unreachable(tmp_path: object) -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody:wrong@127.0.0.1:1/none", log_format="json")
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "database does not answer" in response.json()["detail"]


async def test_every_response_carries_a_request_id_and_echoes_a_sane_incoming_one(
    client: AsyncTestClient[Litestar],
) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"


async def test_unknown_path_is_a_problem_details_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no/such/path")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["instance"] == "/no/such/path"


async def test_openapi_schema_and_its_ui_are_served(client: AsyncTestClient[Litestar]) -> None:
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/health" in schema.json()["paths"]
    assert schema.json()["paths"]["/health"]["get"]["operationId"] == "health"
    ui = await client.get("/schema")
    assert ui.status_code == 200
    assert ui.headers["content-type"].startswith("text/html")
