"""Valid-time answers without noise: an undated fact is no answer to "what held in 1800" unless asked
for (`undated=true`, certainty `undated`), and `certainty=definite` keeps only what surely held. On
every backend, against the seeded corpus."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_writes import Client, membership_1992

Json = dict[str, Any]


async def every(client: Client, path: str, **params: Any) -> list[Json]:
    """Every item of a listing, page by page (two at a time, so that paging is exercised)."""
    items: list[Json] = []
    while True:
        response = await client.get(path, params={**params, "limit": 2, "offset": len(items)})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["items"]:
            assert page["total"] == len(items)
            return items


async def test_an_undated_role_is_no_answer_to_a_date_unless_asked_for(seeded_client: Client) -> None:
    assert (await seeded_client.get("/roles", params={"valid_at": "1800"})).json()["total"] == 0
    asked = (await seeded_client.get("/roles", params={"valid_at": "1800", "undated": "true"})).json()
    assert asked["total"] >= 1
    assert {r["certainty"] for r in asked["items"]} == {"undated"}
    assert all(r["valid_from"] is r["valid_to"] is r["point_in_time"] is None for r in asked["items"])
    # Without a date, every role is listed, undated or not: the undated one is among them.
    all_roles = {r["fact_id"] for r in await every(seeded_client, "/roles")}
    assert {r["fact_id"] for r in asked["items"]} <= all_roles


async def test_facts_at_a_date_leave_out_the_undated_ones_unless_asked_for(seeded_client: Client) -> None:
    plain = await every(seeded_client, "/facts", valid_at="1992")
    with_undated = await every(seeded_client, "/facts", valid_at="1992", undated="true")
    undated = [f for f in with_undated if f["certainty"] == "undated"]
    assert undated, "the seed holds facts with no valid time"
    assert all(f["valid_from"] is f["valid_to"] is f["point_in_time"] is None for f in undated)
    assert sorted(f["id"] for f in with_undated if f["certainty"] != "undated") == sorted(
        f["id"] for f in plain
    )
    assert {f["certainty"] for f in plain} == {"definite", "possible"}


@pytest.mark.parametrize(
    ("path", "key", "valid_at"), [("/facts", "id", "1992"), ("/roles", "fact_id", "2010")]
)
async def test_certainty_definite_keeps_exactly_the_definite_answers_in_order_and_paged(
    seeded_client: Client, path: str, key: str, valid_at: str
) -> None:
    possible = await every(seeded_client, path, valid_at=valid_at)
    definite = await every(seeded_client, path, valid_at=valid_at, certainty="definite")
    assert definite, "some answer surely held"
    assert len(definite) < len(possible), "and some only possibly"
    assert [f[key] for f in definite] == [f[key] for f in possible if f["certainty"] == "definite"]
    assert {f["certainty"] for f in definite} == {"definite"}


async def test_a_membership_from_january_1992_is_definite_for_1992_and_only_possible_later(
    seeded_client: Client,
) -> None:
    fact = await membership_1992(seeded_client)
    for valid_at, listed in (("1992", True), ("2010", False)):
        definite = await every(
            seeded_client, "/facts", valid_at=valid_at, certainty="definite", subject="kazakhstan"
        )
        assert (fact["id"] in {f["id"] for f in definite}) is listed, valid_at


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"certainty": "definite"}, "certainty"),
        ({"undated": "true"}, "undated"),
        ({"valid_at": "1992", "certainty": "surely"}, "certainty"),
        ({"valid_at": "1992", "undated": "perhaps"}, "undated"),
    ],
)
@pytest.mark.parametrize("path", ["/facts", "/roles"])
async def test_certainty_and_undated_without_a_date_or_with_a_bad_value_are_400_naming_them(
    seeded_client: Client, path: str, params: Json, named: str
) -> None:
    response = await seeded_client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert named in response.text
