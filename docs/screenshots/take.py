"""Take the README's screenshots of the pages from a real run.

    uv run python docs/screenshots/take.py

It migrates and seeds a temporary SQLite database, serves the app on a free loopback port (the browser
tests' `LiveServer`), drives Debian's chromium with Playwright, and writes PNGs next to this file.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from archive.bootstrap import wire  # noqa: E402
from archive.seeding import Seeder  # noqa: E402
from archive.storage.engine import create_engine  # noqa: E402
from archive.storage.migrate import upgrade  # noqa: E402
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, LiveServer  # noqa: E402

OUT = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 860}


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await Seeder(wire(engine).commands, ROOT / "seeds").run()
    finally:
        await engine.dispose()


def _seeded_database(folder: Path) -> Path:
    path = folder / "seeded.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return path


def _sign_in(page: Page, token: str, then: str) -> None:
    page.goto(f"/ui/sign-in?next={then}")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def _fact_id(page: Page, **criteria: str) -> str:
    found = page.request.get("/facts", params={**criteria, "rank": "all"}).json()
    return str(found["items"][0]["id"])


def _select(page: Page, line: int, start: int, last_line: int, end: int) -> None:
    """Select source text with the mouse, from a character of one line to a character of another."""

    def point(n: int, offset: int, right: bool) -> tuple[float, float]:
        box = page.evaluate(
            """([n, offset]) => {
                // The line's text may be cut into runs by the marks of a quote it holds.
                const walker = document.createTreeWalker(
                    document.querySelector(`.document-select [data-line="${n}"]`), NodeFilter.SHOW_TEXT);
                let node = walker.nextNode();
                while (offset >= node.length) {
                    offset -= node.length;
                    node = walker.nextNode();
                }
                const range = document.createRange();
                range.setStart(node, offset);
                range.setEnd(node, offset + 1);
                const r = range.getBoundingClientRect();
                return {x: r.x, y: r.y, width: r.width, height: r.height};
            }""",
            [n, offset],
        )
        return (box["x"] + (box["width"] - 1 if right else 1), box["y"] + box["height"] / 2)

    page.mouse.move(*point(line, start, False))
    page.mouse.down()
    page.mouse.move(*point(last_line, end, True), steps=8)
    page.mouse.up()


def _select_quote(page: Page, citation: dict[str, object]) -> None:
    """Select a one-line citation's quote in the edit page's text, as the evidence of a change."""
    line, quote = int(str(citation["line_start"])), str(citation["quote"])
    text = page.locator(f'.document-select [data-line="{line}"]').text_content() or ""
    start = text.index(quote)
    page.locator(f'.document-select [data-line="{line}"]').scroll_into_view_if_needed()
    _select(page, line, start, line, start + len(quote) - 1)


def take(server: LiveServer) -> list[Path]:
    """Drive the pages and write the screenshots; return their paths."""
    written: list[Path] = []

    def shot(page: Page, name: str, **options: object) -> None:
        path = OUT / f"{name}.png"
        page.screenshot(path=str(path), **options)  # type: ignore[arg-type]
        written.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        archivist = browser.new_context(base_url=server.url, viewport=VIEWPORT)  # type: ignore[arg-type]
        page = archivist.new_page()

        page.goto("/ui/search?q=OSCE&valid_at=2010&rank=best")
        shot(page, "search")

        _sign_in(page, server.tokens["archivist"], "/ui/sources/chairmanship-preparation/record")
        page.locator('.document-select [data-line="21"]').scroll_into_view_if_needed()
        first = page.locator('.document-select [data-line="21"]').inner_text()
        second = page.locator('.document-select [data-line="22"]').inner_text()
        _select(page, 21, first.index("Kazakhstan"), 22, second.index("Task Force") + len("Task Force"))
        page.get_by_label("Subject (entity id)").fill("kazakhstan")
        page.get_by_label("Predicate").select_option("established")
        page.get_by_label("Object (entity id)").fill("osce-task-force")
        page.evaluate("window.scrollTo(0, 0)")  # the heading in view; the text keeps its own scroll
        shot(page, "archivist-record")

        # A correction through the form, so that the fact page shows a history with who, when and why.
        target = _fact_id(page, subject="kazakhstan", predicate="announced", valid_at="2003")
        page.goto(f"/ui/facts/{target}/edit")
        fact = page.request.get(f"/facts/{target}").json()
        citation = fact["citations"][0]
        form = page.locator("#correct-form")
        form.get_by_label("Point in time").fill("2003")
        form.get_by_label("Reason code").select_option("precision_refinement")
        form.get_by_label("Justification").fill("Year only, until the Council's minutes are checked.")
        _select_quote(page, citation)
        form.get_by_role("button", name="Record correction").click()
        page.wait_for_url(f"**/ui/facts/{target}?done=corrected")
        shot(page, "fact", full_page=True)

        # A stale correction: another archivist re-ranks the fact while this form is open.
        page.goto(f"/ui/facts/{target}/edit")
        current = page.request.get(f"/facts/{target}").json()
        page.request.post(
            f"/facts/{target}/rank",
            headers={"Authorization": f"Bearer {server.tokens['archivist']}"},
            data={"expected_version": current["version"], "rank": "preferred", "justification": "Confirmed."},
        )
        form = page.locator("#correct-form")
        form.get_by_label("Point in time").fill("2003-02-05")
        form.get_by_label("Reason code").select_option("precision_refinement")
        form.get_by_label("Justification").fill("Another reading of the same line.")
        _select_quote(page, citation)
        form.get_by_role("button", name="Record correction").click()
        page.locator("#conflict").wait_for()
        shot(page, "archivist-conflict")

        membership = _fact_id(page, subject="kazakhstan", predicate="member_of", object="osce")
        page.goto(f"/ui/sources/general-information?fact={membership}")
        shot(page, "source", full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1150})

        page.goto("/ui/entities/kazakhstan")
        page.locator("#timeline-heading").scroll_into_view_if_needed()
        page.evaluate("document.getElementById('names-heading').scrollIntoView()")
        shot(page, "entity-timeline")
        archivist.close()

        auditor = browser.new_context(base_url=server.url, viewport=VIEWPORT)  # type: ignore[arg-type]
        page = auditor.new_page()
        _sign_in(page, server.tokens["auditor"], "/ui/audit/")
        events = page.request.get(
            "/events", headers={"Authorization": f"Bearer {server.tokens['auditor']}"}, params={"limit": 1}
        ).json()
        start = events["items"][0]["recorded_at"]
        page.get_by_label("From (exclusive)").fill(start)
        page.get_by_label("To (inclusive)").fill("2100-01-01T00:00:00Z")
        page.get_by_role("button", name="Compare").click()
        page.locator(".diff-summary").wait_for()
        shot(page, "auditor")
        auditor.close()
        browser.close()
    return written


def main() -> None:
    """Seed, serve, shoot."""
    with tempfile.TemporaryDirectory() as folder:
        seeded = _seeded_database(Path(folder))
        with LiveServer(seeded, Path(folder)) as server:
            for path in take(server):
                print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
