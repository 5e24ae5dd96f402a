"""Names at the date asked: with `valid_at`, an entity is labelled by the name the archive's facts say
it bore then (the organisation was the CSCE in 1993), with today's label beside it. Every backend."""

from __future__ import annotations

from typing import Any

from tests.integration.test_writes import Client

OLD = "Conference on Security and Cooperation in Europe"
NOW = "Organization for Security and Cooperation in Europe"


def refs_to(items: list[dict[str, Any]], entity_id: str) -> list[dict[str, Any]]:
    refs = [item.get(k) for item in items for k in ("subject", "object")]
    return [r for r in refs if isinstance(r, dict) and r["id"] == entity_id]


async def items(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/facts", params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_question_about_1993_names_the_organisation_as_it_was_then(seeded_client: Client) -> None:
    then = refs_to(await items(seeded_client, valid_at="1993"), "osce")
    assert then
    assert all((r["label"], r["current_label"]) == (OLD, NOW) for r in then)


async def test_without_a_date_or_at_a_date_no_fact_names_it_today_s_label_stands(
    seeded_client: Client,
) -> None:
    for params in ({}, {"valid_at": "2010"}):
        refs = refs_to(await items(seeded_client, entity="osce", **params), "osce")
        assert refs, params
        assert all(r["label"] == NOW and "current_label" not in r for r in refs), params
