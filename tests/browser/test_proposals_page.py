"""The proposals page in a real browser: a registered source's proposals are reviewed from its page; an
archivist accepts one, edits away a name no entity matched then accepts, and rejects one with a reason
(refused, naming the field, without one)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.server import LiveServer

SOURCE = "browser-bulletin"
TEXT = "\n".join(
    [
        "BROWSER BULLETIN",
        "",
        "Austria became a member of the OSCE in March 1995.",
        "",
        "In 2001 the Kingdom of Ruritania became a member of the OSCE.",
        "",
        "Italy became a member of the OSCE in June 1996.",
        "",
    ]
)


def proposal_of(api: httpx.Client, subject: str) -> dict[str, object]:
    found = api.get("/proposals", params={"source": SOURCE, "limit": 500}).raise_for_status().json()["items"]
    (proposal,) = [p for p in found if p["content"]["subject"] == subject]
    return dict(proposal)


def test_an_archivist_accepts_edits_then_accepts_and_rejects_proposals_from_a_source(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    body = {
        "source_id": SOURCE,
        "title": "A browser bulletin",
        "origin": "tests",
        "source_date": "2024",
        "text": TEXT,
    }
    assert api.post("/sources", json=body).raise_for_status().json()["proposals"] >= 3
    austria, ruritania, italy = (proposal_of(api, s) for s in ("austria", "Kingdom of Ruritania", "italy"))
    pending = (
        api.get("/proposals", params={"status": "pending", "limit": 1}).raise_for_status().json()["total"]
    )

    sign_in(page, live_server.tokens["archivist"])
    expect(page.locator("#proposals-count a")).to_have_text(re.compile(f"^{pending} proposals?$"))
    page.goto(f"/ui/sources/{SOURCE}")
    page.get_by_role("link", name="Facts proposed from this source's text").click()
    page.wait_for_url(f"**/ui/proposals/?source={SOURCE}")

    # Accept as proposed: the fact is recorded with the proposal's citation.
    item = page.locator(f"#proposal-{austria['id']}")
    expect(item.locator("blockquote")).to_have_text("Austria became a member of the OSCE in March 1995.")
    expect(item.locator(".matched")).to_contain_text("“OSCE” → osce")
    item.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The proposal was accepted")
    expect(page.locator(f"#proposal-{austria['id']}")).to_have_count(0)  # the page lists pending ones
    accepted = api.get(f"/proposals/{austria['id']}").raise_for_status().json()
    assert accepted["status"] == "accepted"
    fact = api.get(f"/facts/{accepted['accepted_fact_id']}").raise_for_status().json()
    assert [(c["source_id"], c["line_start"]) for c in fact["citations"]] == [(SOURCE, 3)]

    # A name no entity matched: no plain Accept; accepting it unedited is refused, naming the subject.
    item = page.locator(f"#proposal-{ruritania['id']}")
    expect(item.locator(".unmatched")).to_contain_text("Kingdom of Ruritania")
    expect(item.get_by_role("button", name="Accept", exact=True)).to_have_count(0)
    item.get_by_text("Edit, then accept").click()
    item.get_by_role("button", name="Accept as edited").click()
    expect(page.locator("#refused")).to_contain_text("Kingdom of Ruritania")
    item = page.locator(f"#proposal-{ruritania['id']}")
    expect(item.get_by_label("Subject")).to_have_attribute("aria-invalid", "true")
    assert api.get(f"/proposals/{ruritania['id']}").json()["status"] == "pending"
    item.get_by_label("Subject").fill("austria")
    item.get_by_label("Valid from").fill("2001-05")
    item.get_by_role("button", name="Accept as edited").click()
    expect(page.get_by_role("status")).to_contain_text("The proposal was accepted")
    edited = api.get(f"/proposals/{ruritania['id']}").raise_for_status().json()
    assert (edited["status"], edited["edited"]["subject"], edited["edited"]["valid_from"]) == (
        "accepted",
        "austria",
        "2001-05",
    )

    # Reject: spaces pass the browser's `required`; refused naming the reason, then rejected with one.
    item = page.locator(f"#proposal-{italy['id']}")
    item.get_by_text("Reject with a reason").click()
    item.get_by_label("Reason").fill("   ")
    item.get_by_role("button", name="Reject").click()
    expect(page.locator("#refused")).to_contain_text("reason")
    item = page.locator(f"#proposal-{italy['id']}")
    expect(item.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    item.get_by_label("Reason").fill("A draft: the bulletin was never published.")
    item.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_contain_text("The proposal was rejected")
    rejected = api.get(f"/proposals/{italy['id']}").raise_for_status().json()
    assert (rejected["status"], rejected["reason"]) == (
        "rejected",
        "A draft: the bulletin was never published.",
    )
    assert [s["event_type"] for s in rejected["steps"]] == ["proposal.made", "proposal.rejected"]

    page.goto("/ui/search")
    expect(page.locator("#proposals-count a")).to_have_text(re.compile(f"^{pending - 3} proposals?$"))
