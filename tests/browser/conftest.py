"""Browser-test fixtures: one live server on a seeded copy of the corpus for the session, Debian's chromium
driven by Playwright (never `playwright install`), and helpers to sign in and to call the JSON API."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserType, Page, Playwright, expect, sync_playwright

from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, LiveServer

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: apt-get install -y chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def live_server(
    seeded_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The archive, served for the whole session on a copy of the seeded corpus."""
    with LiveServer(seeded_sqlite_template, tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def _server_before_browser(live_server: LiveServer) -> None:
    """Seed and start the server before Playwright's own event loop starts in this thread: seeding runs
    `asyncio.run`, which refuses to run inside a running loop."""


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Where pages are: pytest-playwright resolves `page.goto("/ui/...")` against it."""
    return live_server.url


# pytest-playwright's own fixtures, narrowed from the session to this package: its sync API keeps an
# event loop running in the main thread for as long as Playwright runs, and every asyncio test collected
# after this package (the contract and integration tiers) would then fail to start its own loop.


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright, for the browser tests only."""
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    """The browser type pytest-playwright was asked for (chromium by default)."""
    browser_type: BrowserType = getattr(playwright, browser_name)
    return browser_type


@pytest.fixture(scope="package")
def browser_context_args(
    pytestconfig: pytest.Config,
    playwright: Playwright,
    device: str | None,
    base_url: str,
    _pw_artifacts_folder: tempfile.TemporaryDirectory[str],
) -> dict[str, Any]:
    """pytest-playwright's context arguments (device, base URL, video), for this package."""
    args: dict[str, Any] = dict(playwright.devices[device]) if device else {}
    args["base_url"] = base_url
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    return args


@pytest.fixture(scope="package")
def browser(browser_type: BrowserType, browser_type_launch_args: dict[str, Any]) -> Iterator[Browser]:
    """One browser for the package's tests; each test gets its own context (cookies) and page."""
    launched = browser_type.launch(**browser_type_launch_args)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments with Debian's chromium and its flags merged in."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    """The JSON API as an archivist (bearer token), to change data behind the browser's back."""
    headers = {"Authorization": f"Bearer {live_server.tokens['archivist']}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def auditor_api(live_server: LiveServer) -> Iterator[httpx.Client]:
    """The JSON API as an auditor."""
    headers = {"Authorization": f"Bearer {live_server.tokens['auditor']}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=10) as client:
        yield client


def sign_in(page: Page, token: str, then: str = "/ui/search") -> None:
    """Sign in through the form, as a person would, and land on `then`."""
    page.goto(f"/ui/sign-in?next={then}")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def fact_id(api: httpx.Client, **criteria: str) -> str:
    """The id of the one fact matching `criteria` (all ranks), via GET /facts."""
    found = api.get("/facts", params={**criteria, "rank": "all"}).raise_for_status().json()
    assert found["total"] == 1, found
    return str(found["items"][0]["id"])
