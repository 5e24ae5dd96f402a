"""The read API over HTTP, on a fresh copy of the seeded corpus, on every backend.

Facts are found by their content (subject, predicate, object, valid time) as the seed files state
them, never by a hard-coded id, so the tests read like the corpus they check.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient

from archive.commands import Archive, CommandMeta
from archive.domain.events import Citation, FactChanges
from archive.domain.facts import FactContent

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PROBLEM_JSON = "application/problem+json"
META = CommandMeta(actor="tester", reason="test")
BEFORE_THE_SEED = "2000-01-01T00:00:00Z"


# -- helpers ---------------------------------------------------------------------------------------


async def get_json(client: Client, url: str, **params: Any) -> Json:
    """GET that must answer 200 with JSON."""
    response = await client.get(url, params=params)
    assert response.status_code == 200, (url, params, response.status_code, response.text)
    body: Json = response.json()
    return body


async def find_fact(
    client: Client,
    *,
    subject: str,
    predicate: str,
    object: str | None = None,
    valid_from: str | None = None,
    valid_to: str | None = None,
    point_in_time: str | None = None,
    modality: str = "asserted",
) -> Json:
    """The one fact (any rank) with this content, as /facts returns it."""
    params: dict[str, Any] = {"subject": subject, "predicate": predicate, "rank": "all", "limit": 500}
    if object is not None:
        params["object"] = object
    page = await get_json(client, "/facts", **params)

    def text(date: Json | None) -> str | None:
        return None if date is None else date["value"]

    matches = [
        f
        for f in page["items"]
        if text(f["valid_from"]) == valid_from
        and text(f["valid_to"]) == valid_to
        and text(f["point_in_time"]) == point_in_time
        and f["modality"] == modality
    ]
    assert len(matches) == 1, (subject, predicate, object, [f["id"] for f in matches])
    return matches[0]


async def all_facts(client: Client, **params: Any) -> list[Json]:
    """Every fact /facts returns for these filters, through every page of 500."""
    items: list[Json] = []
    offset = 0
    while True:
        page = await get_json(client, "/facts", limit=500, offset=offset, **params)
        items += page["items"]
        offset += page["limit"]
        if offset >= page["total"]:
            assert len(items) == page["total"]
            return items


def citation_of(fact: Json, index: int = 0) -> Citation:
    """One of the fact's own citations, as evidence for a command."""
    c = fact["citations"][index]
    return Citation(c["source_id"], c["content_sha256"], c["line_start"], c["line_end"], c["quote"])


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_problem(
    response: Any, status: int, names: tuple[str, ...], mentions: str | None = None, member: bool = True
) -> Json:
    """A problem+json response with this status, naming one of `names` as the offending parameter.

    The parameter must be named in the human-readable `detail` and, with `member`, as a member too
    (`parameter`, or the `key` of an entry of `errors`). The request target is removed from the
    detail first, since a detail that merely echoes the URL names nothing.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: Json = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    if member:
        keys = {body.get("parameter")} | {e.get("key") for e in body.get("errors", [])}
        assert keys & set(names), body
    detail = body["detail"].replace(str(response.request.url.raw_path.decode()), "")
    detail = detail.replace(response.request.url.path, "")
    assert any(re.search(rf"\b{re.escape(name)}\b", detail) for name in names), body["detail"]
    if mentions is not None:
        assert mentions in body["detail"]
    return body


def normalise_breaks(text: str) -> str:
    """Whitespace around each line break collapsed to one space (how quotes span wrapped lines)."""
    return re.sub(r"[ \t]*\n[ \t]*", " ", text)


def seed_documents() -> dict[str, Path]:
    """Source id → the file in seeds/documents, as the seed files declare them."""
    found = {}
    for path in sorted((SEEDS / "facts").glob("*.yaml")):
        source = yaml.safe_load(path.read_text(encoding="utf-8"))["source"]
        found[source["id"]] = SEEDS / source["file"]
    return found


def seed_entities() -> list[Json]:
    entities: list[Json] = yaml.safe_load((SEEDS / "entities.yaml").read_text(encoding="utf-8"))["entities"]
    return entities


# -- valid time: roles held on a date ----------------------------------------------------------------


async def test_chairmanship_valid_2010_to_2010_is_definite_for_2010_and_only_possible_for_a_day_in_it(
    seeded_client: Client,
) -> None:
    term = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )

    for valid_at, certainty in [("2010", "definite"), ("2010-06", "possible"), ("2010-06-01", "possible")]:
        page = await get_json(seeded_client, "/roles", holder="kazakhstan", valid_at=valid_at)
        roles = {r["fact_id"]: r for r in page["items"]}
        assert term["id"] in roles, valid_at
        role = roles[term["id"]]
        assert role["certainty"] == certainty, valid_at
        assert role["organization"] == {"id": "osce", "label": term["object"]["label"]}
        assert role["office"] == {"id": None, "label": "Chair"}
        assert role["valid_from"] == {"value": "2010", "precision": "year", "circa": False, "derived": False}
        assert role["valid_to"] == {"value": "2010", "precision": "year", "circa": False, "derived": False}
        assert all(r["holder"]["id"] == "kazakhstan" for r in page["items"])


async def test_chairmanship_of_2010_is_absent_before_and_after_its_term(seeded_client: Client) -> None:
    term = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )

    for valid_at in ("2009", "2009-12-31", "2011-01-01", "2011"):
        page = await get_json(seeded_client, "/roles", holder="kazakhstan", valid_at=valid_at)
        assert term["id"] not in {r["fact_id"] for r in page["items"]}, valid_at


async def test_term_starting_on_a_day_with_no_recorded_end_is_definite_only_around_its_start(
    seeded_client: Client,
) -> None:
    term = await find_fact(
        seeded_client,
        subject="kairat-abdrakhmanov",
        predicate="held_position",
        object="osce-high-commissioner-on-national-minorities",
        valid_from="2020-12-04",
    )

    async def role_at(valid_at: str) -> Json | None:
        page = await get_json(seeded_client, "/roles", holder="kairat-abdrakhmanov", valid_at=valid_at)
        return next((r for r in page["items"] if r["fact_id"] == term["id"]), None)

    assert await role_at("2020-12-03") is None
    assert await role_at("2019") is None
    # No source gives an end: later dates are possible, never definite.
    expected = {"2020-12-04": "definite", "2020-12": "definite", "2020": "definite"}
    expected |= {"2020-12-05": "possible", "2021": "possible", "2021-06-15": "possible"}
    for valid_at, certainty in expected.items():
        role = await role_at(valid_at)
        assert role is not None, valid_at
        assert role["certainty"] == certainty, valid_at
        assert role["office"]["id"] == "osce-high-commissioner-on-national-minorities"
        assert role["valid_from"] == {
            "value": "2020-12-04",
            "precision": "day",
            "circa": False,
            "derived": False,
        }
        assert role["valid_to"] is None


async def test_fact_search_with_valid_at_says_definite_or_possible_like_roles(seeded_client: Client) -> None:
    term = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )
    year = await get_json(seeded_client, "/facts", subject="kazakhstan", valid_at="2010", limit=500)
    day = await get_json(seeded_client, "/facts", subject="kazakhstan", valid_at="2010-06-01", limit=500)
    before = await get_json(seeded_client, "/facts", subject="kazakhstan", valid_at="2009-06-01", limit=500)

    assert {f["id"]: f["certainty"] for f in year["items"]}[term["id"]] == "definite"
    assert {f["id"]: f["certainty"] for f in day["items"]}[term["id"]] == "possible"
    assert term["id"] not in {f["id"] for f in before["items"]}
    assert all(f["certainty"] in ("definite", "possible") for f in year["items"] + day["items"])


# -- record time: as_of and Accept-Datetime ----------------------------------------------------------


async def test_fact_as_of_before_a_correction_shows_the_old_version_and_now_shows_the_new(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    before = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    believed_from = parse_time(before["recorded_at"])

    written = await seeded_archive.correct_fact(
        fact_id=before["id"],
        expected_version=before["version"],
        changes=FactChanges(valid_from="1992"),
        reason_code="precision_refinement",
        justification="test: coarsen the start to the year",
        citations=[citation_of(before)],
        meta=META,
    )
    corrected_at = written.events[0].recorded_at
    assert corrected_at > believed_from

    between = believed_from + (corrected_at - believed_from) / 2
    old = await get_json(seeded_client, f"/facts/{before['id']}", as_of=between.isoformat())
    assert old["version"] == before["version"]
    assert old["valid_from"] == {"value": "1992-01", "precision": "month", "circa": False, "derived": False}
    assert old["recorded_at"] == before["recorded_at"]
    assert parse_time(old["superseded_at"]) == corrected_at

    # The same instant written in another zone is the same record time.
    elsewhere = between.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    assert await get_json(seeded_client, f"/facts/{before['id']}", as_of=elsewhere) == old

    exactly_then = await get_json(seeded_client, f"/facts/{before['id']}", as_of=believed_from.isoformat())
    assert exactly_then["version"] == before["version"]

    new = await get_json(seeded_client, f"/facts/{before['id']}")
    assert new["version"] == before["version"] + 1
    assert new["valid_from"] == {"value": "1992", "precision": "year", "circa": False, "derived": False}
    assert parse_time(new["recorded_at"]) == corrected_at
    assert new["superseded_at"] is None

    at_correction = await get_json(seeded_client, f"/facts/{before['id']}", as_of=corrected_at.isoformat())
    assert at_correction["version"] == new["version"]

    history = await get_json(seeded_client, f"/facts/{before['id']}/history")
    assert [e["event_type"] for e in history["events"]][-1] == "fact.corrected"
    assert history["events"][-1]["actor"] == "tester"
    assert history["events"][-1]["reason"] == "test"


async def test_accept_datetime_header_answers_like_as_of_and_carries_memento_datetime(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    before = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    believed_from = parse_time(before["recorded_at"])
    # An HTTP date names a whole second, answered as of its end: take the second the version was
    # recorded in, and make sure the correction comes after that second is over.
    http_moment = datetime.fromtimestamp(math.floor(believed_from.timestamp()), UTC)
    end_of_second = http_moment + timedelta(microseconds=999_999)
    wait = (end_of_second - datetime.now(UTC)).total_seconds() + 0.01
    if wait > 0:
        await asyncio.sleep(wait)
    await seeded_archive.correct_fact(
        fact_id=before["id"],
        expected_version=before["version"],
        changes=FactChanges(valid_from="1992"),
        reason_code="precision_refinement",
        justification="test: coarsen the start to the year",
        citations=[citation_of(before)],
        meta=META,
    )

    http_date = format_datetime(http_moment, usegmt=True)
    response = await seeded_client.get(f"/facts/{before['id']}", headers={"Accept-Datetime": http_date})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == before["version"]
    assert response.json()["valid_from"]["value"] == "1992-01"
    memento = parsedate_to_datetime(response.headers["Memento-Datetime"])
    assert memento == believed_from.replace(microsecond=0)
    assert "accept-datetime" in response.headers["Vary"].lower()

    by_query = await get_json(seeded_client, f"/facts/{before['id']}", as_of=end_of_second.isoformat())
    assert by_query == response.json()

    current = await seeded_client.get(f"/facts/{before['id']}")
    assert current.json()["version"] == before["version"] + 1
    assert "Memento-Datetime" not in current.headers

    searched = await seeded_client.get(
        "/facts",
        params={"subject": "kazakhstan", "predicate": "member_of"},
        headers={"Accept-Datetime": http_date},
    )
    assert searched.status_code == 200
    assert parsedate_to_datetime(searched.headers["Memento-Datetime"]) == http_moment
    found = {f["id"]: f for f in searched.json()["items"]}
    assert found[before["id"]]["version"] == before["version"]


async def test_fact_is_absent_as_of_a_time_before_it_was_recorded(seeded_client: Client) -> None:
    fact = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )

    response = await seeded_client.get(f"/facts/{fact['id']}", params={"as_of": BEFORE_THE_SEED})
    problem = assert_problem(response, 404, ("fact",), mentions=fact["id"], member=False)
    assert "not yet recorded" in problem["detail"]

    searched = await get_json(
        seeded_client, "/facts", subject="kazakhstan", as_of=BEFORE_THE_SEED, rank="all"
    )
    assert searched["total"] == 0
    assert searched["items"] == []
    now = await get_json(seeded_client, "/facts", subject="kazakhstan", rank="all")
    assert fact["id"] in {f["id"] for f in now["items"]}


async def test_fact_recorded_after_as_of_is_absent_from_search_while_older_facts_remain(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    existing = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    seeded_at = parse_time(existing["recorded_at"])
    written = await seeded_archive.record_fact(
        content=FactContent(subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992"),
        rank="normal",
        citations=[citation_of(existing)],
        meta=META,
    )
    added_at = written.events[0].recorded_at
    between = (seeded_at + (added_at - seeded_at) / 2).isoformat()

    then = await get_json(seeded_client, "/facts", subject="kazakhstan", predicate="member_of", as_of=between)
    now = await get_json(seeded_client, "/facts", subject="kazakhstan", predicate="member_of")
    assert written.fact_id not in {f["id"] for f in then["items"]}
    assert existing["id"] in {f["id"] for f in then["items"]}
    assert written.fact_id in {f["id"] for f in now["items"]}
    assert now["total"] == then["total"] + 1

    response = await seeded_client.get(f"/facts/{written.fact_id}", params={"as_of": between})
    assert_problem(response, 404, ("fact",), mentions=written.fact_id, member=False)


# -- rank and status -----------------------------------------------------------------------------------


async def test_rank_best_hides_the_deprecated_madrid_date_and_rank_all_shows_it(
    seeded_client: Client,
) -> None:
    deprecated = await find_fact(
        seeded_client,
        subject="madrid-ministerial-council-2007",
        predicate="took_place_in",
        point_in_time="derived 2007-12",
    )
    preferred = await find_fact(
        seeded_client,
        subject="madrid-ministerial-council-2007",
        predicate="took_place_in",
        point_in_time="2007-11",
    )
    assert deprecated["rank"] == "deprecated"
    assert preferred["rank"] == "preferred"

    best = await get_json(seeded_client, "/facts", subject="madrid-ministerial-council-2007")
    default = await get_json(seeded_client, "/facts", subject="madrid-ministerial-council-2007", rank="best")
    every = await get_json(seeded_client, "/facts", subject="madrid-ministerial-council-2007", rank="all")
    assert best == default
    assert deprecated["id"] not in {f["id"] for f in best["items"]}
    assert preferred["id"] in {f["id"] for f in best["items"]}
    ranks = {f["id"]: f["rank"] for f in every["items"]}
    assert ranks[deprecated["id"]] == "deprecated"
    assert ranks[preferred["id"]] == "preferred"
    assert every["total"] == best["total"] + 1

    relations = await get_json(seeded_client, "/entities/madrid/relations")
    assert {f["id"] for f in relations["items"]} == {preferred["id"]}
    relations_all = await get_json(seeded_client, "/entities/madrid/relations", rank="all")
    assert {f["id"] for f in relations_all["items"]} == {preferred["id"], deprecated["id"]}


async def test_retracted_fact_leaves_best_and_shows_as_retracted_under_rank_all(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    fact = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )
    assert fact["status"] == "active"
    await seeded_archive.retract_fact(
        fact_id=fact["id"],
        expected_version=fact["version"],
        reason_code="other",
        justification="test: retract it",
        citations=[citation_of(fact)],
        meta=META,
    )

    best = await get_json(seeded_client, "/facts", subject="kazakhstan", predicate="chaired", limit=500)
    every = await get_json(
        seeded_client, "/facts", subject="kazakhstan", predicate="chaired", rank="all", limit=500
    )
    assert fact["id"] not in {f["id"] for f in best["items"]}
    retracted = {f["id"]: f for f in every["items"]}[fact["id"]]
    assert retracted["status"] == "retracted"
    assert retracted["version"] == fact["version"] + 1

    roles = await get_json(seeded_client, "/roles", holder="kazakhstan", valid_at="2010")
    assert fact["id"] not in {r["fact_id"] for r in roles["items"]}
    roles_all = await get_json(seeded_client, "/roles", holder="kazakhstan", valid_at="2010", rank="all")
    assert {r["fact_id"]: r["status"] for r in roles_all["items"]}[fact["id"]] == "retracted"

    timeline = await get_json(seeded_client, "/timeline", entity="kazakhstan", limit=500)
    assert fact["id"] not in {f["id"] for f in timeline["items"]}

    one = await get_json(seeded_client, f"/facts/{fact['id']}")
    assert one["status"] == "retracted"


# -- provenance and the line index ---------------------------------------------------------------------


async def test_provenance_traces_each_citation_to_the_exact_lines_and_the_document_hash(
    seeded_client: Client,
) -> None:
    documents = seed_documents()
    fact = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
        modality="planned",
    )
    provenance = await get_json(seeded_client, f"/facts/{fact['id']}/provenance")

    assert provenance["fact"]["id"] == fact["id"]
    assert len(provenance["citations"]) == len(fact["citations"]) > 1
    assert any(c["line_end"] > c["line_start"] for c in provenance["citations"]), "want a wrapped quote"
    for traced in provenance["citations"]:
        raw = documents[traced["source_id"]].read_bytes()
        file_lines = raw.decode("utf-8").split("\n")
        assert traced["source_sha256"] == hashlib.sha256(raw).hexdigest()
        assert traced["cited_sha256"] == traced["source_sha256"]
        assert traced["state"] == "verified"
        assert [line["line"] for line in traced["lines"]] == list(
            range(traced["line_start"], traced["line_end"] + 1)
        )
        assert [line["text"] for line in traced["lines"]] == file_lines[
            traced["line_start"] - 1 : traced["line_end"]
        ]
        joined = normalise_breaks("\n".join(line["text"] for line in traced["lines"]))
        assert normalise_breaks(traced["quote"]) in joined

    recorded = [e for e in provenance["events"] if e["event_type"] == "fact.recorded"]
    assert len(recorded) == 1
    assert recorded[0]["actor"] == "seed"
    assert recorded[0]["version"] == 1
    assert recorded[0]["stream_id"] == f"fact:{fact['id']}"
    assert recorded[0]["data"]["fact_id"] == fact["id"]
    assert [e["version"] for e in provenance["events"]] == list(range(1, fact["version"] + 1))


async def test_sources_report_the_sha256_and_line_count_of_the_seed_documents(seeded_client: Client) -> None:
    documents = seed_documents()
    page = await get_json(seeded_client, "/sources")
    assert {s["id"] for s in page["items"]} == set(documents)
    for source in page["items"]:
        raw = documents[source["id"]].read_bytes()
        assert source["content_sha256"] == hashlib.sha256(raw).hexdigest()
        assert source["line_count"] == len(raw.decode("utf-8").split("\n"))
        assert await get_json(seeded_client, f"/sources/{source['id']}") == source


async def test_every_citation_round_trips_from_fact_to_line_and_back(seeded_client: Client) -> None:
    facts = await all_facts(seeded_client, rank="all")
    assert len(facts) > 100

    # Every (source, line) a citation covers → the (fact, span) pairs that cover it.
    expected: dict[tuple[str, int], set[tuple[str, int, int]]] = {}
    for fact in facts:
        assert fact["citations"], fact["id"]
        for c in fact["citations"]:
            for line in range(c["line_start"], c["line_end"] + 1):
                expected.setdefault((c["source_id"], line), set()).add(
                    (fact["id"], c["line_start"], c["line_end"])
                )

    file_lines = {sid: path.read_text(encoding="utf-8").split("\n") for sid, path in seed_documents().items()}
    for (source_id, line), cited in sorted(expected.items()):
        view = await get_json(seeded_client, f"/sources/{source_id}/lines/{line}")
        assert view["source_id"] == source_id
        assert view["line"] == line
        assert view["text"] == file_lines[source_id][line - 1]
        listed = {(f["id"], f["line_start"], f["line_end"]) for f in view["facts"]}
        assert listed == cited, (source_id, line)

        searched = await get_json(seeded_client, "/facts", source=source_id, line=line, rank="all", limit=500)
        assert {f["id"] for f in searched["items"]} == {fact_id for fact_id, _, _ in cited}, (source_id, line)


async def test_an_uncited_line_lists_no_facts_and_source_search_is_limited_to_its_lines(
    seeded_client: Client,
) -> None:
    facts = await all_facts(seeded_client, rank="all")
    cited = {
        (c["source_id"], n)
        for f in facts
        for c in f["citations"]
        for n in range(c["line_start"], c["line_end"] + 1)
    }
    source = await get_json(seeded_client, "/sources/general-information")
    uncited = [n for n in range(1, source["line_count"] + 1) if ("general-information", n) not in cited]
    assert uncited, "the corpus has uncited lines (blank ones at least)"
    view = await get_json(seeded_client, f"/sources/general-information/lines/{uncited[0]}")
    assert view["facts"] == []
    searched = await get_json(
        seeded_client, "/facts", source="general-information", line=uncited[0], rank="all"
    )
    assert searched["total"] == 0

    whole = await get_json(seeded_client, "/facts", source="general-information", rank="all", limit=500)
    citing = {f["id"] for f in facts if any(c["source_id"] == "general-information" for c in f["citations"])}
    assert {f["id"] for f in whole["items"]} == citing


# -- entities ------------------------------------------------------------------------------------------


async def test_entity_search_matches_labels_and_aliases_case_insensitively(seeded_client: Client) -> None:
    by_label = await get_json(seeded_client, "/entities", q="kazakhstan", limit=500)
    assert "kazakhstan" in {e["id"] for e in by_label["items"]}
    assert all(
        "kazakhstan" in (e["label"] + "\n" + "\n".join(e["aliases"])).casefold() for e in by_label["items"]
    )

    by_alias = await get_json(seeded_client, "/entities", q="Russian Federation")
    assert [e["id"] for e in by_alias["items"]] == ["russia"]
    assert by_alias["items"][0]["label"] == "Russia"
    assert by_alias["total"] == 1

    upper = await get_json(seeded_client, "/entities", q="RUSSIAN FEDERATION")
    assert upper == by_alias

    nothing = await get_json(seeded_client, "/entities", q="no such entity anywhere")
    assert nothing == {"items": [], "total": 0, "limit": 50, "offset": 0, "matches": {}}

    # q is words, not a pattern: a wildcard alone is no word to search for (tests/integration/
    # test_full_text_search.py has the rest of the search).
    wildcard = await seeded_client.get("/entities", params={"q": "%"})
    assert (wildcard.status_code, wildcard.json()["parameter"]) == (400, "q")


async def test_entity_kind_filter_returns_exactly_the_registry_entries_of_that_kind(
    seeded_client: Client,
) -> None:
    registry = seed_entities()
    countries = sorted(e["id"] for e in registry if e["kind"] == "country")
    page = await get_json(seeded_client, "/entities", kind="country", limit=500)
    assert [e["id"] for e in page["items"]] == countries
    assert page["total"] == len(countries)

    both = await get_json(seeded_client, "/entities", kind="country", q="republic", limit=500)
    assert {e["id"] for e in both["items"]} == {
        e["id"]
        for e in registry
        if e["kind"] == "country" and "republic" in " ".join([e["label"], *e.get("aliases", [])]).casefold()
    }
    assert "kazakhstan" in {e["id"] for e in both["items"]}

    one = await get_json(seeded_client, "/entities/kazakhstan")
    assert one == {
        "id": "kazakhstan",
        "kind": "country",
        "label": "Kazakhstan",
        "aliases": ["Republic of Kazakhstan"],
        "version": 1,
        "merged_from": [],
        "redirected_from": None,
    }

    response = await seeded_client.get("/entities", params={"kind": "planet"})
    assert_problem(response, 400, ("kind",))


async def test_entity_relations_are_the_facts_where_it_is_subject_or_object(seeded_client: Client) -> None:
    relations = await get_json(seeded_client, "/entities/osce/relations", rank="all", limit=500)
    facts = await all_facts(seeded_client, rank="all")
    involving = {
        f["id"] for f in facts if f["subject"]["id"] == "osce" or (f["object"] or {}).get("id") == "osce"
    }
    assert {f["id"] for f in relations["items"]} == involving
    assert relations["total"] == len(involving)
    assert any(f["subject"]["id"] == "osce" for f in relations["items"])
    assert any((f["object"] or {}).get("id") == "osce" for f in relations["items"])

    in_2010 = await get_json(seeded_client, "/entities/osce/relations", valid_at="2010", limit=500)
    chair = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )
    certainty = {f["id"]: f["certainty"] for f in in_2010["items"]}
    assert certainty[chair["id"]] == "definite"
    slovakia = await find_fact(
        seeded_client, subject="slovakia", predicate="chaired", object="osce", point_in_time="2019-09"
    )
    assert slovakia["id"] not in certainty

    response = await seeded_client.get("/entities/no-such-entity/relations")
    assert_problem(response, 404, ("entity",), mentions="no-such-entity", member=False)


# -- the timeline --------------------------------------------------------------------------------------


def _bounds(fact: Json) -> tuple[str, str]:
    """The fact's widest days as ISO texts, for ordering and overlap checks (open ends sort outermost)."""
    from archive.domain.time import bounds, make_valid_time

    def text(date: Json | None) -> str | None:
        return None if date is None else date["value"]

    earliest, latest = bounds(
        make_valid_time(text(fact["valid_from"]), text(fact["valid_to"]), text(fact["point_in_time"]))
    )
    return (
        earliest.isoformat() if earliest else "0000-00-00",
        latest.isoformat() if latest else "9999-99-99",
    )


async def test_timeline_of_an_entity_is_in_valid_time_order(seeded_client: Client) -> None:
    timeline = await get_json(seeded_client, "/timeline", entity="kazakhstan", limit=500)
    items = timeline["items"]
    assert timeline["total"] == len(items) > 20
    keys = [(*_bounds(f), f["id"]) for f in items]
    assert keys == sorted(keys)

    member = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    chair = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )
    ids = [f["id"] for f in items]
    assert ids.index(member["id"]) < ids.index(chair["id"])
    # Open starts sort first: a fact known only to end in December 2011 comes before January 1992.
    assert items[0]["valid_from"] is None
    assert items[0]["valid_to"] == {
        "value": "2011-12",
        "precision": "month",
        "circa": False,
        "derived": False,
    }
    for f in items:
        assert "kazakhstan" in {
            f["subject"]["id"],
            (f["object"] or {}).get("id"),
            *((f["qualifiers"][k] or {}).get("id") for k in ("role", "place", "organization")),
        }
        assert (f["valid_from"], f["valid_to"], f["point_in_time"]) != (None, None, None)

    second = await get_json(seeded_client, "/timeline", entity="kazakhstan", limit=5, offset=5)
    assert [f["id"] for f in second["items"]] == ids[5:10]


async def test_timeline_from_and_to_keep_only_facts_that_may_overlap_the_period(
    seeded_client: Client,
) -> None:
    everything = await get_json(seeded_client, "/timeline", limit=500)
    bounded = await get_json(seeded_client, "/timeline", limit=500, **{"from": "2010", "to": "2010-12"})
    expected = [
        f["id"]
        for f in everything["items"]
        if _bounds(f)[1] >= "2010-01-01" and _bounds(f)[0] <= "2010-12-31"
    ]
    assert [f["id"] for f in bounded["items"]] == expected
    assert 0 < bounded["total"] < everything["total"]

    budapest = await find_fact(
        seeded_client, subject="budapest-summit-1994", predicate="took_place_in", point_in_time="1994-12-05"
    )
    chair = await find_fact(
        seeded_client,
        subject="kazakhstan",
        predicate="chaired",
        object="osce",
        valid_from="2010",
        valid_to="2010",
    )
    assert chair["id"] in expected
    assert budapest["id"] not in expected

    only_from = await get_json(seeded_client, "/timeline", limit=500, **{"from": "2019-10-09"})
    assert all(_bounds(f)[1] >= "2019-10-09" for f in only_from["items"])
    only_to = await get_json(seeded_client, "/timeline", limit=500, to="1994-12-05")
    assert budapest["id"] in {f["id"] for f in only_to["items"]}
    assert all(_bounds(f)[0] <= "1994-12-05" for f in only_to["items"])


# -- precision is never invented -----------------------------------------------------------------------


async def test_dates_come_back_at_the_precision_the_source_gives(seeded_client: Client) -> None:
    member = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    assert member["valid_from"] == {
        "value": "1992-01",
        "precision": "month",
        "circa": False,
        "derived": False,
    }
    assert member["valid_to"] is None
    assert member["point_in_time"] is None

    budapest = await find_fact(
        seeded_client, subject="budapest-summit-1994", predicate="took_place_in", point_in_time="1994-12-05"
    )
    assert budapest["point_in_time"] == {
        "value": "1994-12-05",
        "precision": "day",
        "circa": False,
        "derived": False,
    }

    austria = await find_fact(
        seeded_client,
        subject="austria",
        predicate="chaired",
        object="osce",
        point_in_time="derived circa 2017",
    )
    assert austria["point_in_time"] == {
        "value": "derived circa 2017",
        "precision": "year",
        "circa": True,
        "derived": True,
    }

    precision_of_length = {4: "year", 7: "month", 10: "day"}
    for fact in await all_facts(seeded_client, rank="all"):
        for field in ("valid_from", "valid_to", "point_in_time"):
            date = fact[field]
            if date is None:
                continue
            derived = date["value"].startswith("derived ")
            hedged = date["value"].removeprefix("derived ")
            bare = hedged.removeprefix("circa ")
            assert date["precision"] == precision_of_length[len(bare)], (fact["id"], field, date)
            assert date["circa"] == hedged.startswith("circa ")
            assert date["derived"] == derived


# -- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "status", "names"),
    [
        pytest.param("/roles", {"valid_at": "2010-13"}, 400, ("valid_at",), id="month-13"),
        pytest.param("/roles", {"valid_at": "2010-02-30"}, 400, ("valid_at",), id="february-30"),
        pytest.param("/facts", {"valid_at": "abc"}, 400, ("valid_at",), id="valid-at-not-a-date"),
        pytest.param("/facts", {"valid_at": "2010-1"}, 400, ("valid_at",), id="valid-at-unpadded"),
        pytest.param(
            "/entities/kazakhstan/relations", {"valid_at": "20100"}, 400, ("valid_at",), id="relations"
        ),
        pytest.param("/timeline", {"from": "2010-13"}, 400, ("from",), id="timeline-from"),
        pytest.param("/timeline", {"to": "soon"}, 400, ("to",), id="timeline-to"),
        pytest.param("/facts", {"as_of": "yesterday"}, 400, ("as_of",), id="as-of-not-a-time"),
        pytest.param("/facts", {"as_of": "2026-01-01T00:00:00"}, 400, ("as_of",), id="as-of-naive"),
        pytest.param("/roles", {"as_of": "2026-02-30T00:00:00Z"}, 400, ("as_of",), id="as-of-no-such-day"),
        pytest.param("/facts", {"line": "3"}, 400, ("line",), id="line-without-source"),
        pytest.param("/facts", {"limit": "501"}, 400, ("limit",), id="limit-over-500"),
        pytest.param("/facts", {"limit": "0"}, 400, ("limit",), id="limit-0"),
        pytest.param("/facts", {"offset": "-1"}, 400, ("offset",), id="negative-offset"),
        pytest.param("/facts", {"rank": "worst"}, 400, ("rank",), id="unknown-rank"),
        pytest.param("/roles", {"modality": "maybe"}, 400, ("modality",), id="unknown-modality"),
        pytest.param(
            "/facts", {"source": "general-information", "line": "0"}, 400, ("line",), id="search-line-0"
        ),
        pytest.param("/sources/general-information/lines/0", {}, 400, ("n", "line"), id="line-0"),
    ],
)
async def test_bad_parameter_is_a_problem_naming_the_parameter(
    seeded_client: Client, url: str, params: dict[str, str], status: int, names: tuple[str, ...]
) -> None:
    response = await seeded_client.get(url, params=params)
    assert_problem(response, status, names)


async def test_limit_of_500_is_accepted(seeded_client: Client) -> None:
    page = await get_json(seeded_client, "/facts", limit=500)
    assert page["limit"] == 500


async def test_bad_accept_datetime_header_is_a_problem_naming_it(seeded_client: Client) -> None:
    response = await seeded_client.get("/facts", headers={"Accept-Datetime": "the day before yesterday"})
    assert_problem(response, 400, ("Accept-Datetime",))


@pytest.mark.parametrize(
    ("url", "mentions"),
    [
        pytest.param(
            "/facts/00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", id="fact"
        ),
        pytest.param("/facts/no-such-fact/history", "no-such-fact", id="fact-history"),
        pytest.param("/facts/no-such-fact/provenance", "no-such-fact", id="fact-provenance"),
        pytest.param("/entities/no-such-entity", "no-such-entity", id="entity"),
        pytest.param("/timeline?entity=no-such-entity", "no-such-entity", id="timeline-entity"),
        pytest.param("/sources/no-such-source", "no-such-source", id="source"),
        pytest.param("/sources/no-such-source/lines/1", "no-such-source", id="source-line"),
    ],
)
async def test_unknown_id_is_a_404_problem_naming_it(seeded_client: Client, url: str, mentions: str) -> None:
    response = await seeded_client.get(url)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert mentions in body["detail"]


async def test_line_past_the_end_is_a_404_problem_naming_the_line_and_the_range(
    seeded_client: Client,
) -> None:
    source = await get_json(seeded_client, "/sources/general-information")
    last = await get_json(seeded_client, f"/sources/general-information/lines/{source['line_count']}")
    assert last["line"] == source["line_count"]

    past = source["line_count"] + 1
    response = await seeded_client.get(f"/sources/general-information/lines/{past}")
    assert_problem(response, 404, ("line",), mentions=f"1..{source['line_count']}", member=False)
    assert str(past) in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/facts/%00", id="fact"),
        pytest.param("/facts/%00/history", id="fact-history"),
        pytest.param("/facts/%00/provenance", id="fact-provenance"),
        pytest.param("/entities/%00", id="entity"),
        pytest.param("/entities/%00/relations", id="entity-relations"),
        pytest.param("/timeline?entity=%00", id="timeline-entity"),
        pytest.param("/sources/%00", id="source"),
        pytest.param("/sources/%00/lines/1", id="source-line"),
    ],
)
async def test_id_with_a_nul_character_is_not_found_rather_than_a_server_error(
    seeded_client: Client, url: str
) -> None:
    # PostgreSQL text cannot hold NUL: binding one used to fail there with a 500.
    response = await seeded_client.get(url)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "does not exist" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        pytest.param("/facts", {"subject": "kazakhstan\x00"}, id="facts-subject"),
        pytest.param("/facts", {"entity": "\x00"}, id="facts-entity"),
        pytest.param("/facts", {"source": "general-information\x00", "line": "4"}, id="facts-source"),
        pytest.param("/roles", {"holder": "kazakhstan\x00"}, id="roles-holder"),
        pytest.param("/roles", {"office": "Chair\x00"}, id="roles-office"),
        pytest.param("/entities", {"q": "kazakh\x00"}, id="entities-q"),
    ],
)
async def test_filter_with_a_nul_character_matches_nothing_rather_than_a_server_error(
    seeded_client: Client, url: str, params: dict[str, str]
) -> None:
    page = await get_json(seeded_client, url, **params)
    assert page["items"] == []
    assert page["total"] == 0


async def test_a_predicate_with_a_nul_character_is_not_one_of_the_vocabulary(seeded_client: Client) -> None:
    # Checked against the vocabulary before any query: a 400 naming it, never a server error.
    response = await seeded_client.get("/facts", params={"predicate": "member_of\x00"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "predicate"


async def test_line_and_offset_beyond_any_stored_value_match_nothing(seeded_client: Client) -> None:
    # A line past a 32-bit integer used to overflow PostgreSQL's column type, and past 64 bits
    # SQLite's binding: both were 500s.
    for line in (2**31, 10**20):
        page = await get_json(seeded_client, "/facts", source="general-information", line=line)
        assert (page["items"], page["total"]) == ([], 0), line

    full = await get_json(seeded_client, "/facts")
    for url in ("/facts", "/entities", "/sources", "/timeline", "/roles", "/entities/osce/relations"):
        page = await get_json(seeded_client, url, offset=10**20)
        assert page["items"] == [], url
        assert page["offset"] == 10**20
        assert page["total"] > 0, url
    assert (await get_json(seeded_client, "/facts", offset=10**20))["total"] == full["total"]


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_as_of_at_the_ends_of_the_calendar_is_a_problem_naming_as_of(
    seeded_client: Client, as_of: str
) -> None:
    response = await seeded_client.get("/facts", params={"as_of": as_of})
    assert_problem(response, 400, ("as_of",))
