"""Best rank as Wikidata means it: with `rank=best` (the default), a preferred fact hides the normal ones
with the same subject and predicate; `rank=all` shows every one, `as_of` applies the ranks of its time,
and a retracted preferred fact hides nothing. On every backend."""

from __future__ import annotations

from typing import Any

from tests.integration.test_writes import Client, evidence, membership_1992, new_fact, newest
from tests.integration.test_writes import store as store

Json = dict[str, Any]
MEMBERSHIPS = {"subject": "kazakhstan", "predicate": "member_of"}


async def ids(client: Client, path: str = "/facts", **params: Any) -> set[str]:
    response = await client.get(path, params={**MEMBERSHIPS, **params, "limit": 500})
    assert response.status_code == 200, response.text
    return {f["id"] for f in response.json()["items"]}


async def test_a_preferred_fact_hides_the_normal_ones_with_its_subject_and_predicate(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: Any
) -> None:
    h = headers["archivist"]
    seeded = await membership_1992(seeded_client)
    before = await ids(seeded_client)
    chaired = await ids(seeded_client, predicate="chaired")
    assert chaired
    assert seeded["id"] in before
    assert len(before) >= 2
    added = (await seeded_client.post("/facts", json=new_fact(), headers=h)).json()
    assert await ids(seeded_client) == before | {added["id"]}
    ranked_at = (await newest(store)).recorded_at

    reranked = await seeded_client.post(
        f"/facts/{added['id']}/rank",
        json={"expected_version": 1, "rank": "preferred", "justification": "the fuller statement"},
        headers=h,
    )
    assert reranked.status_code == 200, reranked.text
    # Every other membership of the same subject was normal: the preferred one alone is best.
    assert await ids(seeded_client) == {added["id"]}
    assert await ids(seeded_client, rank="all") >= before | {added["id"]}
    # As believed before the rerank, nothing outranked them.
    assert await ids(seeded_client, as_of=ranked_at.isoformat()) == before | {added["id"]}
    # Another predicate of the same subject is not touched.
    assert await ids(seeded_client, predicate="chaired") == chaired
    # The entity's relations and the timeline follow the same rule.
    related = await seeded_client.get("/entities/osce/relations", params={"limit": 500})
    related_ids = {f["id"] for f in related.json()["items"]}
    assert added["id"] in related_ids
    assert seeded["id"] not in related_ids
    timeline = await seeded_client.get("/timeline", params={"entity": "kazakhstan", "limit": 500})
    assert seeded["id"] not in {f["id"] for f in timeline.json()["items"]}

    retracted = await seeded_client.post(
        f"/facts/{added['id']}/retractions",
        json={
            "expected_version": 2,
            "reason_code": "other",
            "justification": "recorded by mistake",
            "citations": evidence(added),
        },
        headers=h,
    )
    assert retracted.status_code == 200, retracted.text
    # A retracted preferred fact outranks nothing.
    assert await ids(seeded_client) == before


async def role_ids(client: Client, **params: Any) -> list[Json]:
    response = await client.get("/roles", params={"valid_at": "2010", **params, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_preferred_role_hides_the_normal_ones_in_the_listing_by_valid_time(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: Any
) -> None:
    # The listing by valid time alone names its indexes (ix_roles_current_valid_time, and the outranked
    # ids' own): best rank must hide there what it hides everywhere else.
    before = await role_ids(seeded_client)
    chaired = [r for r in before if r["holder"]["id"] == "kazakhstan" and r["predicate"] == "chaired"]
    chosen = next(r for r in chaired if r["organization"]["id"] == "osce")
    hidden = {r["fact_id"] for r in chaired} - {chosen["fact_id"]}
    assert hidden
    version = (await seeded_client.get(f"/facts/{chosen['fact_id']}")).json()["version"]
    ranked_at = (await newest(store)).recorded_at

    reranked = await seeded_client.post(
        f"/facts/{chosen['fact_id']}/rank",
        json={"expected_version": version, "rank": "preferred", "justification": "the chair of the year"},
        headers=headers["archivist"],
    )
    assert reranked.status_code == 200, reranked.text
    listed = {r["fact_id"] for r in await role_ids(seeded_client)}
    assert listed == {r["fact_id"] for r in before} - hidden
    assert chosen["fact_id"] in listed
    assert {r["fact_id"] for r in await role_ids(seeded_client, rank="all")} >= {r["fact_id"] for r in before}
    # As believed before the rerank, nothing outranked them.
    as_of = {r["fact_id"] for r in await role_ids(seeded_client, as_of=ranked_at.isoformat())}
    assert as_of == {r["fact_id"] for r in before}
