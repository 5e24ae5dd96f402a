"""A query parameter an operation does not take is a 400 naming it, not a filter silently ignored."""

from __future__ import annotations

import pytest

from tests.integration.test_writes import SOURCE, Client, assert_problem


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/facts", {"predicat": "member_of"}, "predicat"),
        ("/roles", {"valid_at": "2010", "holdr": "x"}, "holdr"),
        (f"/sources/{SOURCE}", {"txt": "true"}, "txt"),
        ("/entities", {"q": "osce", "kinds": "body"}, "kinds"),
        ("/health", {"verbose": "1"}, "verbose"),
    ],
)
async def test_an_unknown_query_parameter_is_400_naming_it_and_what_is_taken(
    seeded_client: Client, path: str, params: dict[str, str], unknown: str
) -> None:
    problem = assert_problem(await seeded_client.get(path, params=params), 400)
    assert problem["parameter"] == unknown
    assert "not a parameter of this operation" in problem["detail"]


async def test_the_parameters_an_operation_takes_are_accepted_by_their_names(seeded_client: Client) -> None:
    facts = await seeded_client.get(
        "/facts", params={"predicate": "member_of", "valid_at": "2000", "rank": "all", "limit": 5}
    )
    assert facts.status_code == 200, facts.text
    assert facts.json()["items"]
    assert all(f["predicate"] == "member_of" for f in facts.json()["items"])
    listed = await seeded_client.get("/citations", params={"state": "verified", "limit": 1})
    assert listed.status_code == 200, listed.text  # `state` is the alias of the handler's argument
    text = await seeded_client.get(f"/sources/{SOURCE}", params={"text": "true"})
    assert text.status_code == 200, text.text
    dated = await seeded_client.get("/facts", headers={"Accept-Datetime": "Sat, 05 Dec 2026 00:00:00 GMT"})
    assert dated.status_code == 200, dated.text  # a header, not a query parameter


async def test_the_pages_keep_their_lenient_forms(seeded_client: Client) -> None:
    assert (await seeded_client.get("/ui/search", params={"q": "OSCE", "utm_source": "x"})).status_code == 200


async def test_a_predicate_the_vocabulary_does_not_define_is_400_listing_those_it_does(
    seeded_client: Client,
) -> None:
    problem = assert_problem(await seeded_client.get("/facts", params={"predicate": "bogus"}), 400)
    assert problem["parameter"] == "predicate"
    assert "member_of" in problem["allowed"]
    assert problem["allowed"] == sorted(problem["allowed"])
