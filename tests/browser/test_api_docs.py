"""The API documentation at /schema renders in a browser with no way out to the internet: its script and
stylesheet come from the app (the pinned swagger-ui-py package), and the page asks nothing of any other
host."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, Route, expect


def offline(page: Page, base_url: str) -> list[str]:
    """Refuse every request to another host than the server, as a machine without internet would; the
    refused URLs are returned so that a test can say which ones the page tried."""
    refused: list[str] = []

    def only_the_server(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    return refused


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_the_api_docs_render_every_operation_without_the_internet(
    page: Page, base_url: str, path: str
) -> None:
    refused = offline(page, base_url)
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))

    page.goto(path)

    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    document = httpx.get(f"{base_url}/schema/openapi.json").raise_for_status().json()
    # Swagger UI lists an operation under each of its tags (the evidence pack is under facts and log proofs).
    documented = sum(
        max(1, len(op.get("tags", ())))
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    )
    expect(operations).to_have_count(documented)
    expect(page.locator(".opblock-summary-path", has_text="/facts/{fact_id}/corrections")).to_be_visible()
    # The role a write needs is shown: Swagger UI draws a lock on each operation with a security requirement.
    expect(page.locator(".opblock-post .authorization__btn").first).to_be_visible()
    assert refused == []
    assert any(url.endswith("/schema/assets/swagger-ui-bundle.js") for url in loaded), loaded
    assert all(url.startswith(base_url) for url in loaded), loaded


def test_the_docs_assets_are_served_by_the_app(base_url: str) -> None:
    script = httpx.get(f"{base_url}/schema/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert b"SwaggerUIBundle" in script.content
    page = httpx.get(f"{base_url}/schema").raise_for_status().text
    assert "https://" not in page, "the docs page names another host"
