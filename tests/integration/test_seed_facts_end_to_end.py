"""Every field of every seeded fact, as the API returns it, against the seed files read here as plain YAML.

The seed files are read at test time with `yaml.safe_load`, not with the seeder, and the expected values
are worked out here from the YAML alone: the natural key that makes two entries one fact (the note is not
part of it), the labels from entities.yaml, a date's precision from its text, the sha256 of each document's
bytes. So a fact whose qualifiers or literal value were dropped on the way to a read model fails here, and
the corpus may change without changing this test.

A corrected fact and a re-cited one (an entry repeated in another file) are checked the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.tokens import create_token

Client = AsyncTestClient[Litestar]
Json = dict[str, Any]
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
VOCABULARY = Path(__file__).resolve().parents[2] / "archive" / "vocabulary.yaml"
QUALIFIERS = ("role", "place", "organization")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def labels() -> dict[str, str]:
    """Entity id -> label, from entities.yaml."""
    return {e["id"]: e["label"] for e in _load(SEEDS / "entities.yaml")["entities"]}


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def key_of(entry: Json) -> tuple[Any, ...]:
    """What makes two seed entries one fact: all but the note, the rank, the links and the citations."""
    qualifiers = entry.get("qualifiers") or {}
    return (
        entry["subject"],
        entry["predicate"],
        entry.get("object"),
        _text(entry.get("value")),
        *(qualifiers.get(name) for name in QUALIFIERS),
        _text(entry.get("valid_from")),
        _text(entry.get("valid_to")),
        _text(entry.get("point_in_time")),
        entry.get("modality") or "asserted",
    )


def seed_entries() -> Iterator[tuple[Json, Json]]:
    """(source record, fact entry) for every fact of every facts file, in the order the seeder reads them."""
    for path in sorted((SEEDS / "facts").glob("*.yaml")):
        document = _load(path)
        for entry in document.get("facts") or []:
            yield document["source"], entry


def expected_facts() -> dict[tuple[Any, ...], Json]:
    """Each distinct fact: its first entry (which records it) and every citation of every entry, in order."""
    facts: dict[tuple[Any, ...], Json] = {}
    for source, entry in seed_entries():
        sha256 = hashlib.sha256((SEEDS / source["file"]).read_bytes()).hexdigest()
        citations = [
            {
                "source_id": source["id"],
                "line_start": c["line_start"],
                "line_end": c["line_end"],
                "quote": c["quote"],
                "content_sha256": sha256,
                "state": "verified",
            }
            for c in entry["citations"]
        ]
        found = facts.setdefault(key_of(entry), {"entry": entry, "citations": [], "entries": 0})
        found["entries"] += 1
        found["citations"] += [c for c in citations if c not in found["citations"]]
    return facts


def date_view(text: str | None) -> Json | None:
    """A partial date as the API shows it, worked out from the seed text."""
    if text is None:
        return None
    derived = text.startswith("derived ")
    rest = text.removeprefix("derived ")
    circa = rest.startswith("circa ")
    rest = rest.removeprefix("circa ")
    precision = {0: "year", 1: "month", 2: "day"}[rest.count("-")]
    return {"value": text, "precision": precision, "circa": circa, "derived": derived}


def entity_view(entity_id: str | None, names: dict[str, str]) -> Json | None:
    return None if entity_id is None else {"id": entity_id, "label": names[entity_id]}


def expected_view(fact: Json, names: dict[str, str]) -> Json:
    """The fields of the API's fact that the seed files decide."""
    entry = fact["entry"]
    qualifiers = entry.get("qualifiers") or {}
    return {
        "subject": entity_view(entry["subject"], names),
        "predicate": entry["predicate"],
        "object": entity_view(entry.get("object"), names),
        "value": _text(entry.get("value")),
        "qualifiers": {
            **{name: entity_view(qualifiers.get(name), names) for name in QUALIFIERS},
            "note": qualifiers.get("note"),
        },
        "valid_from": date_view(_text(entry.get("valid_from"))),
        "valid_to": date_view(_text(entry.get("valid_to"))),
        "point_in_time": date_view(_text(entry.get("point_in_time"))),
        "modality": entry.get("modality") or "asserted",
        "rank": entry.get("rank") or "normal",
        "status": "active",
        "citations": fact["citations"],
    }


def api_key(view: Json) -> tuple[Any, ...]:
    """The natural key of a fact as the API shows it."""
    q = view["qualifiers"]
    return (
        view["subject"]["id"],
        view["predicate"],
        (view["object"] or {}).get("id"),
        view["value"],
        *((q[name] or {}).get("id") for name in QUALIFIERS),
        *((view[name] or {}).get("value") for name in ("valid_from", "valid_to", "point_in_time")),
        view["modality"],
    )


def decided_by_seeds(view: Json) -> Json:
    """The API's fact restricted to the fields `expected_view` gives, citations without current lines."""
    shown = {name: view[name] for name in expected_view_fields()}
    shown["citations"] = [
        {k: c[k] for k in ("source_id", "line_start", "line_end", "quote", "content_sha256", "state")}
        for c in view["citations"]
    ]
    return shown


def expected_view_fields() -> list[str]:
    return [
        "subject",
        "predicate",
        "object",
        "value",
        "qualifiers",
        "valid_from",
        "valid_to",
        "point_in_time",
        "modality",
        "rank",
        "status",
        "citations",
    ]


async def all_facts(client: Client) -> list[Json]:
    """Every fact the search returns with rank=all, page by page."""
    found: list[Json] = []
    while True:
        page = (await client.get("/facts", params={"rank": "all", "limit": 500, "offset": len(found)})).json()
        found += page["items"]
        if len(found) >= page["total"]:
            return found


def sort_citations(view: Json) -> Json:
    def order(c: Json) -> tuple[Any, ...]:
        return (c["source_id"], c["line_start"], c["line_end"], c["quote"])

    return {**view, "citations": sorted(view["citations"], key=order)}


async def test_every_seeded_fact_has_every_field_its_seed_entries_give(seeded_client: Client) -> None:
    names = labels()
    expected = expected_facts()
    listed = await all_facts(seeded_client)
    by_key: dict[tuple[Any, ...], Json] = {}
    for view in listed:
        assert api_key(view) not in by_key, view
        by_key[api_key(view)] = view
    assert set(by_key) == set(expected)
    assert any(fact["entries"] > 1 for fact in expected.values()), "no re-cited fact in the corpus"
    assert any(fact["entry"].get("value") for fact in expected.values()), "no literal value in the corpus"
    for name in QUALIFIERS:
        assert any((f["entry"].get("qualifiers") or {}).get(name) for f in expected.values()), name

    for key, fact in expected.items():
        view = by_key[key]
        want = sort_citations(expected_view(fact, names))
        assert sort_citations(decided_by_seeds(view)) == want, key
        one = (await seeded_client.get(f"/facts/{view['id']}")).json()
        assert sort_citations(decided_by_seeds(one)) == want, key
        assert one["version"] == view["version"] >= fact["entries"] > 0
        history = (await seeded_client.get(f"/facts/{view['id']}/history")).json()["events"]
        assert history[0]["event_type"] == "fact.recorded"
        cited = [e for e in history if e["event_type"] == "fact.cited"]
        assert len(view["citations"]) == len(history[0]["data"]["citations"]) + len(cited), key


def every_role_of(holder: str) -> Json:
    """The /roles parameters listing every role row of a holder, whatever its rank or modality."""
    return {"holder": holder, "rank": "all", "modality": "all", "limit": 500}


def role_part(spec: str, entry: Json, names: dict[str, str]) -> Json | None:
    """An office or organisation of a role row, from the vocabulary's mapping (read here as YAML)."""
    qualifiers = entry.get("qualifiers") or {}
    if spec.startswith("label:"):
        return {"id": None, "label": spec.removeprefix("label:")}
    entity_id = {
        "object": entry.get("object"),
        "subject": entry["subject"],
        "qualifier:role": qualifiers.get("role"),
        "qualifier:organization": qualifiers.get("organization"),
    }[spec]
    return entity_view(entity_id, names)


async def test_the_roles_read_model_carries_each_seeded_fact_its_predicate_maps(
    seeded_client: Client,
) -> None:
    names = labels()
    mappings = {
        name: predicate["role"]
        for name, predicate in _load(VOCABULARY)["predicates"].items()
        if predicate.get("role")
    }
    ids = {api_key(v): v["id"] for v in await all_facts(seeded_client)}
    rows = {
        r["fact_id"]: r
        for entity in {f["entry"]["subject"] for f in expected_facts().values()}
        for r in (await seeded_client.get("/roles", params=every_role_of(entity))).json()["items"]
    }
    checked = 0
    for fact in expected_facts().values():
        entry = fact["entry"]
        mapping = mappings.get(entry["predicate"])
        fact_id = ids[key_of(entry)]
        if mapping is None:
            assert fact_id not in rows, entry
            continue
        row = rows[fact_id]
        assert (row["holder"], row["predicate"], row["modality"], row["rank"], row["status"]) == (
            entity_view(entry["subject"], names),
            entry["predicate"],
            entry.get("modality") or "asserted",
            entry.get("rank") or "normal",
            "active",
        )
        assert row["office"] == role_part(mapping["office"], entry, names), entry
        assert row["organization"] == role_part(mapping["organization"], entry, names), entry
        assert (row["valid_from"], row["valid_to"], row["point_in_time"]) == tuple(
            date_view(_text(entry.get(name))) for name in ("valid_from", "valid_to", "point_in_time")
        )
        checked += 1
    assert checked > 0, "no seeded fact feeds the roles read model"


@pytest.fixture
async def archivist(seeded_engine: AsyncEngine) -> dict[str, str]:
    """An archivist's bearer header."""
    token, _ = await create_token(seeded_engine, "archivist", "end-to-end")
    return {"Authorization": f"Bearer {token}"}


async def test_a_corrected_fact_keeps_every_field_it_did_not_change(
    seeded_client: Client, archivist: dict[str, str]
) -> None:
    names = labels()
    # a fact with a note and an organisation or place, so that dropping qualifiers on correction shows
    chosen = next(
        fact
        for fact in expected_facts().values()
        if (fact["entry"].get("qualifiers") or {}).get("note")
        and any((fact["entry"].get("qualifiers") or {}).get(q) for q in QUALIFIERS)
        and fact["entry"].get("valid_to") is None
        and fact["entry"].get("point_in_time") is None
    )
    listed = {api_key(v): v for v in await all_facts(seeded_client)}
    view = listed[key_of(chosen["entry"])]
    evidence = [{k: view["citations"][0][k] for k in ("source_id", "line_start", "line_end", "quote")}]
    response = await seeded_client.post(
        f"/facts/{view['id']}/corrections",
        json={
            "expected_version": view["version"],
            "changes": {"valid_to": "2030"},
            "reason_code": "valid_time_shift",
            "justification": "test: every other field stays",
            "citations": evidence,
        },
        headers=archivist,
    )
    assert response.status_code == 200, response.text
    want = expected_view(chosen, names) | {"valid_to": date_view("2030")}
    for shown in (response.json(), (await seeded_client.get(f"/facts/{view['id']}")).json()):
        assert shown["version"] == view["version"] + 1
        assert sort_citations(decided_by_seeds(shown)) == sort_citations(want)
    before = (await seeded_client.get(f"/facts/{view['id']}", params={"as_of": view["recorded_at"]})).json()
    assert sort_citations(decided_by_seeds(before)) == sort_citations(expected_view(chosen, names))
