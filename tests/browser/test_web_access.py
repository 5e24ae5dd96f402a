"""The pages' access rules, CSRF protection and form errors, over HTTP (no browser needed): the cookie
token is checked like a bearer token, forms need their CSRF token, the JSON API does not."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog.testing
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from archive.settings import Settings
from archive.storage.engine import create_engine
from archive.tokens import create_token, revoke_token
from tests.browser.server import run_async

# Synchronous on purpose: these tests share the package with the Playwright tests, whose sync API keeps
# an event loop running in the main thread.
Client = TestClient[Litestar]
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')
FACT = "dc021ea1-f882-5175-9f95-80fc5527db57"


@pytest.fixture
def database_copy(seeded_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the seeded corpus."""
    target = tmp_path / "archive.db"
    shutil.copyfile(seeded_sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _make_tokens(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    made = {}
    for role in ("archivist", "auditor", "admin"):
        made[role], _ = await create_token(engine, role, f"web {role}")
    made["revoked"], _ = await create_token(engine, "archivist", "web revoked")
    await revoke_token(engine, "web revoked")
    await engine.dispose()
    return made


@pytest.fixture
def tokens(database_copy: str) -> dict[str, str]:
    """One token per role, and one revoked."""
    return run_async(_make_tokens(database_copy))


def _client(
    database_url: str, *, require_token_for_reads: bool = False, log_level: str = "WARNING"
) -> Client:
    config = Settings(
        database_url=database_url,
        log_format="json",
        log_level=log_level,
        require_token_for_reads=require_token_for_reads,
    )
    return TestClient(app=create_app(config))


@pytest.fixture
def client(database_copy: str) -> Iterator[Client]:
    """The app, with reads public (the default)."""
    with _client(database_copy) as client:
        yield client


def csrf_token(client: Client, path: str = "/ui/sign-in") -> str:
    """The CSRF token a page's forms carry (the cookie is kept by the client)."""
    page = client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def sign_in(client: Client, token: str, then: str = "/ui/search") -> None:
    """Sign in through the form."""
    response = client.post(
        "/ui/sign-in",
        data={"_csrf_token": csrf_token(client), "token": token, "next": then},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


def test_signing_in_keeps_the_token_in_an_httponly_strict_cookie_scoped_to_the_pages(
    client: Client, tokens: dict[str, str]
) -> None:
    response = client.post(
        "/ui/sign-in",
        data={"_csrf_token": csrf_token(client), "token": tokens["archivist"], "next": "/ui/search"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/search"
    assert tokens["archivist"] not in response.headers["location"]
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("archive_token="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "path=/ui", "samesite=strict"} <= attributes
    page = client.get("/ui/search")
    assert "Signed in as <strong>web archivist</strong> (archivist)" in page.text


def test_sign_in_goes_back_only_to_a_page_of_this_site(client: Client, tokens: dict[str, str]) -> None:
    for target in ("https://elsewhere.example/ui/search", "//elsewhere.example/ui", "/facts"):
        response = client.post(
            "/ui/sign-in",
            data={"_csrf_token": csrf_token(client), "token": tokens["archivist"], "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/ui/search", target


def test_an_unknown_or_revoked_token_does_not_sign_in(client: Client, tokens: dict[str, str]) -> None:
    for token in ("arc_not-a-token", tokens["revoked"]):
        response = client.post("/ui/sign-in", data={"_csrf_token": csrf_token(client), "token": token})
        assert response.status_code == 401
        assert "unknown or revoked" in response.text
        assert "archive_token" not in client.cookies


def test_a_revoked_token_in_the_cookie_counts_as_signed_out(client: Client, tokens: dict[str, str]) -> None:
    client.cookies.set("archive_token", tokens["revoked"], path="/ui")
    response = client.get(f"/ui/facts/{FACT}/edit")
    assert response.status_code == 401
    assert 'action="/ui/sign-in"' in response.text


#: What each guarded page shows when it is allowed: its own content, not just a 200.
PAGE_SHOWS = {
    f"/ui/facts/{FACT}/edit": "Correct, retract or re-rank",
    "/ui/sources/general-information/record": "Record a fact",
    "/ui/audit/": "The chain is intact",
}


def test_pages_apply_the_api_roles(client: Client, tokens: dict[str, str]) -> None:
    expected = {
        "archivist": {
            f"/ui/facts/{FACT}/edit": 200,
            "/ui/sources/general-information/record": 200,
            "/ui/audit/": 403,
        },
        "auditor": {
            f"/ui/facts/{FACT}/edit": 403,
            "/ui/sources/general-information/record": 403,
            "/ui/audit/": 200,
        },
        "admin": {
            f"/ui/facts/{FACT}/edit": 200,
            "/ui/sources/general-information/record": 200,
            "/ui/audit/": 200,
        },
    }
    assert (client.get("/ui/audit/")).status_code == 401
    for role, pages in expected.items():
        client.cookies.clear()
        sign_in(client, tokens[role])
        for path, status in pages.items():
            response = client.get(path)
            assert response.status_code == status, (role, path)
            assert response.headers["content-type"].startswith("text/html")
            assert f"Signed in as <strong>web {role}</strong> ({role})" in response.text
            if status == 403:
                needed = "auditor" if path == "/ui/audit/" else "archivist"
                assert f"this page needs the {needed} role; you are signed in as {role}" in response.text
            else:
                assert PAGE_SHOWS[path] in response.text, (role, path)


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    client: Client, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["archivist"])
    before = (client.get(f"/facts/{FACT}")).json()["version"]
    form = {"expected_version": str(before), "rank": "preferred", "justification": "no token"}
    for extra in ({}, {"_csrf_token": "0" * 128}):
        response = client.post(f"/ui/facts/{FACT}/rank", data={**form, **extra})
        assert response.status_code == 403
        assert "The form has expired" in response.text
    assert (client.get(f"/facts/{FACT}")).json()["version"] == before


def test_a_csrf_refusal_is_logged_with_the_status_the_client_got(
    database_copy: str, tokens: dict[str, str]
) -> None:
    with _client(database_copy, log_level="INFO") as client:
        sign_in(client, tokens["archivist"])
        with structlog.testing.capture_logs() as logs:
            data = {"expected_version": "1", "rank": "preferred"}
            response = client.post(f"/ui/facts/{FACT}/rank", data=data)
    assert response.status_code == 403
    [access] = [entry for entry in logs if entry["event"] == "request"]
    assert (access["path"], access["status"]) == (f"/ui/facts/{FACT}/rank", 403)
    assert not [entry for entry in logs if entry["event"] == "unhandled error"]


def test_the_json_api_takes_bearer_tokens_without_csrf_and_ignores_the_cookie(
    client: Client, tokens: dict[str, str]
) -> None:
    version = (client.get(f"/facts/{FACT}")).json()["version"]
    body = {"expected_version": version, "rank": "preferred", "justification": "bearer, no CSRF token"}
    client.cookies.set("archive_token", tokens["archivist"])
    cookie_only = client.post(f"/facts/{FACT}/rank", json=body)
    assert cookie_only.status_code == 401
    client.cookies.clear()
    bearer = client.post(
        f"/facts/{FACT}/rank", json=body, headers={"Authorization": f"Bearer {tokens['archivist']}"}
    )
    assert bearer.status_code == 200, bearer.text
    assert bearer.json()["rank"] == "preferred"


def test_a_refused_command_is_shown_on_the_form_with_what_was_typed(
    client: Client, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["archivist"])
    events_before = len((client.get(f"/facts/{FACT}/history")).json()["events"])
    form = {
        "_csrf_token": csrf_token(client, "/ui/sources/general-information/record"),
        "line_start": "4",
        "line_end": "4",
        "quote": "words that are not on line 4",
        "subject": "kazakhstan",
        "predicate": "member_of",
        "object": "osce",
        "valid_from": "1992-01",
    }
    response = client.post("/ui/sources/general-information/record", data=form)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Not recorded." in response.text
    assert "the quote is not in line 4" in response.text
    assert "words that are not on line 4</textarea>" in response.text
    assert len((client.get(f"/facts/{FACT}/history")).json()["events"]) == events_before


def test_a_stale_rank_change_is_a_conflict_page_not_a_problem_document(
    client: Client, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["archivist"])
    version = (client.get(f"/facts/{FACT}")).json()["version"]
    response = client.post(
        f"/ui/facts/{FACT}/rank",
        data={
            "_csrf_token": csrf_token(client, f"/ui/facts/{FACT}/edit"),
            "expected_version": str(version - 1),
            "rank": "deprecated",
            "reason_code": "other",
            "justification": "decided on an old version",
        },
    )
    assert response.status_code == 409
    assert "This fact changed since you opened it" in response.text
    assert "decided on an old version</textarea>" in response.text
    assert (client.get(f"/facts/{FACT}")).json()["rank"] != "deprecated"


def test_reads_need_a_token_when_the_settings_say_so(database_copy: str, tokens: dict[str, str]) -> None:
    with _client(database_copy, require_token_for_reads=True) as client:
        refused = client.get("/ui/search?q=OSCE")
        assert refused.status_code == 401
        assert 'action="/ui/sign-in"' in refused.text
        assert "/ui/search?q=OSCE" in refused.text  # where to come back to after signing in
        assert (client.get("/ui/sign-in")).status_code == 200
        sign_in(client, tokens["auditor"])
        allowed = client.get("/ui/search?q=OSCE")
        assert allowed.status_code == 200
        assert "Signed in as <strong>web auditor</strong> (auditor)" in allowed.text
        # A result, not an empty page: the search is ranked, so any fact of the answer will do.
        assert re.search(r'href="/ui/facts/[0-9a-f-]{36}"', allowed.text)


def test_pages_carry_a_content_security_policy_and_bad_input_is_a_page(client: Client) -> None:
    page = client.get("/ui/search?valid_at=2010-13")
    assert page.status_code == 200
    assert "month 13 is out of range" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    missing = client.get("/ui/facts/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert (client.get("/", follow_redirects=False)).headers["location"] == "/ui/search"
