"""Coverage through the API for any source: one posted over the API is covered sentence by sentence
like the seeded ones, a fact citing a sentence covers it, and a retraction or a new text uncovers it
again. Every backend."""

from __future__ import annotations

from typing import Any

from tests.integration.test_writes import MEMO_V1, MEMO_V2, Client, citation, memo, new_fact

ALPHA = "The alpha line states one thing."


async def uncovered(client: Client) -> tuple[int, int, list[str]]:
    response = await client.get("/sources/test-memo/coverage")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body["sentences"], body["covered"], [s["text"] for s in body["uncovered"]]


async def test_a_source_posted_over_the_api_has_its_coverage(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    h = headers["archivist"]
    assert (await seeded_client.post("/sources", json=memo(MEMO_V1), headers=h)).status_code == 201
    sentences, covered, left = await uncovered(seeded_client)
    assert (sentences, covered) == (3, 0)
    assert ALPHA in left

    fact = (
        await seeded_client.post(
            "/facts", json=new_fact(citations=[citation(2, ALPHA, "test-memo")]), headers=h
        )
    ).json()
    assert (await uncovered(seeded_client))[1:] == (
        1,
        ["Memo of the test desk", "The beta line states another."],
    )

    # A new text keeps the quote (drifted to line 3): still covered, where it now stands.
    revised = await seeded_client.post("/sources", json=memo(MEMO_V2) | {"expected_version": 1}, headers=h)
    assert revised.status_code == 200, revised.text
    sentences, covered, left = await uncovered(seeded_client)
    assert (covered, ALPHA in left) == (1, False)

    # A retracted fact covers nothing.
    retracted = await seeded_client.post(
        f"/facts/{fact['id']}/retractions",
        json={
            "expected_version": 1,
            "reason_code": "other",
            "justification": "test: the memo says nothing of the kind",
            "citations": [citation(3, ALPHA, "test-memo")],
        },
        headers=h,
    )
    assert retracted.status_code == 200, retracted.text
    sentences, covered, left = await uncovered(seeded_client)
    assert (covered, ALPHA in left) == (0, True)
