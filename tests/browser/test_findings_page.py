"""The findings page in a real browser: the home page's count leads there, each finding links to what
resolves it, and an archivist dismisses one with a reason (refused, naming the field, without one)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.server import LiveServer


def test_an_archivist_follows_the_count_to_a_finding_and_dismisses_it_with_a_reason(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    standing = api.get("/findings", params={"limit": 1}).raise_for_status().json()["total"]
    (finding,) = (
        api.get("/findings", params={"kind": "entity_without_facts"}).raise_for_status().json()["items"]
    )
    entity = finding["entities"][0]["id"]

    sign_in(page, live_server.tokens["archivist"])
    count = page.locator("#findings-count a")
    expect(count).to_have_text(f"{standing} findings")
    count.click()
    page.wait_for_url("**/ui/findings/")
    page.get_by_label("Kind").select_option("entity_without_facts")
    page.get_by_role("button", name="Show").click()

    item = page.locator(f"#finding-{finding['id']}")
    expect(item).to_contain_text("is named by no fact")
    # The link to what resolves it: the entity's edit page (revise or merge).
    expect(item.get_by_role("link", name="revise or merge")).to_have_attribute(
        "href", f"/ui/entities/{entity}/edit"
    )

    item.locator("summary").click()
    item.get_by_label("Reason code").select_option("not_a_problem")
    # Spaces pass the browser's `required`; the form is refused naming the field, and nothing is written.
    item.get_by_label("Justification").fill("   ")
    item.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#refused")).to_contain_text("justification")
    item = page.locator(f"#finding-{finding['id']}")
    expect(item.get_by_label("Justification")).to_have_attribute("aria-invalid", "true")
    assert api.get("/findings", params={"kind": "entity_without_facts"}).json()["total"] == 1

    item.get_by_label("Reason code").select_option("not_a_problem")
    item.get_by_label("Justification").fill("Registered for a document still to be read.")
    item.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("status")).to_contain_text("The finding was dismissed.")
    expect(page.locator(f"#finding-{finding['id']}")).to_have_count(0)

    dismissed = api.get("/findings", params={"kind": "entity_without_facts", "dismissed": "true"}).json()
    assert (
        dismissed["items"][0]["dismissed"]["justification"] == "Registered for a document still to be read."
    )
    page.goto("/ui/search")
    expect(page.locator("#findings-count a")).to_have_text(re.compile(f"^{standing - 1} findings?$"))
