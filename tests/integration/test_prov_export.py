"""A fact's provenance in the W3C PROV vocabulary over HTTP, on every backend: PROV-O in JSON-LD and
PROV-N, chosen by `Accept`, read back with rdflib and with the `prov` library, and checked against the
PROV constraints that this export can break.

The `prov` library validates what `ProvDocument.unified()` does: the key constraints (22, 23: records
sharing an identifier must agree) and the type constraints 53-55 (an identifier is not both an entity
and an activity, nor two kinds of relation). The rest of PROV-CONSTRAINTS it leaves to an engine it does
not have, so this file checks on the RDF graph the ones an archive's events could break: typing (each
end of a derivation is an entity, each activity's agent an agent), start-precedes-end, usage- and
generation-within-activity, generation-precedes-invalidation, derivation-generation-generation-ordering
(a revision is generated no earlier than what it revises), and that derivations close no cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from prov.model import ProvActivity, ProvDocument
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV

from archive.commands import Archive
from archive.domain.events import FactChanges
from archive.domain.sources import normalise_quote
from tests.integration.test_read_api import (
    META,
    Client,
    Json,
    assert_problem,
    citation_of,
    find_fact,
    get_json,
)

OA = Namespace("http://www.w3.org/ns/oa#")
BASE = "http://testserver.local"
ARCHIVE = Namespace(f"{BASE}/ns/archive#")
JSON_LD = "application/ld+json"
PROV_N = "text/provenance-notation"
DERIVATIONS = (PROV.wasDerivedFrom, PROV.wasRevisionOf, PROV.wasQuotedFrom, PROV.hadPrimarySource)


async def corrected_fact(client: Client, archive: Archive) -> Json:
    """The seeded membership from 1992-01, corrected once more (so it has a revision), as it stands now."""
    before = await find_fact(
        client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    await archive.correct_fact(
        fact_id=before["id"],
        expected_version=before["version"],
        changes=FactChanges(valid_from="1992"),
        reason_code="precision_refinement",
        justification="test: coarsen the start to the year",
        citations=[citation_of(before)],
        meta=META,
    )
    return await get_json(client, f"/facts/{before['id']}")


async def prov_o(client: Client, fact_id: str) -> Graph:
    """The fact's PROV-O answer, parsed as JSON-LD into an RDF graph."""
    response = await client.get(f"/facts/{fact_id}/provenance", headers={"Accept": JSON_LD})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSON_LD)
    return Graph().parse(data=response.text, format="json-ld")


def when(graph: Graph, node: Any, predicate: URIRef) -> datetime:
    """The one time `node` has by `predicate`."""
    values = list(graph.objects(node, predicate))
    assert len(values) == 1, (node, predicate, values)
    value = values[0]
    assert isinstance(value, Literal)
    moment = value.toPython()
    assert isinstance(moment, datetime), value
    return moment


def version_iri(fact_id: str, version: int) -> URIRef:
    return URIRef(f"{BASE}/facts/{fact_id}/versions/{version}")


async def test_prov_o_names_the_fact_each_event_its_agent_and_time_and_each_revision(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    fact = await corrected_fact(seeded_client, seeded_archive)
    history = (await get_json(seeded_client, f"/facts/{fact['id']}/history"))["events"]
    graph = await prov_o(seeded_client, fact["id"])

    fact_iri = URIRef(f"{BASE}/facts/{fact['id']}")
    assert (fact_iri, RDF.type, PROV.Entity) in graph
    assert len(history) == fact["version"] >= 2
    for event in history:
        activity = URIRef(f"{BASE}/events/{event['position']}")
        version = version_iri(fact["id"], event["version"])
        assert (activity, RDF.type, PROV.Activity) in graph
        recorded_at = datetime.fromisoformat(event["recorded_at"])
        assert when(graph, activity, PROV.startedAtTime) == recorded_at
        assert when(graph, activity, PROV.endedAtTime) == recorded_at
        assert (version, RDF.type, PROV.Entity) in graph
        assert (version, PROV.specializationOf, fact_iri) in graph
        assert (version, PROV.wasGeneratedBy, activity) in graph
        agents = set(graph.objects(activity, PROV.wasAssociatedWith))
        assert len(agents) == 1
        (agent,) = agents
        assert (agent, RDF.type, PROV.Agent) in graph
        assert graph.value(agent, RDFS.label) == Literal(event["actor"])
        assert (version, PROV.wasAttributedTo, agent) in graph
    revisions = sorted(graph.subject_objects(PROV.wasRevisionOf))
    assert revisions == sorted(
        (version_iri(fact["id"], n + 1), version_iri(fact["id"], n)) for n in range(1, len(history))
    )
    for event in history[1:]:
        activity = URIRef(f"{BASE}/events/{event['position']}")
        before = version_iri(fact["id"], event["version"] - 1)
        assert set(graph.objects(activity, PROV.used)) == {before}
        assert (before, PROV.wasInvalidatedBy, activity) in graph
    assert not list(graph.objects(version_iri(fact["id"], len(history)), PROV.wasInvalidatedBy))


async def test_prov_o_cites_the_source_version_by_its_sha256_and_selects_the_quote_in_its_text(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    fact = await corrected_fact(seeded_client, seeded_archive)
    provenance = await get_json(seeded_client, f"/facts/{fact['id']}/provenance")
    history = provenance["events"]
    graph = await prov_o(seeded_client, fact["id"])

    assert provenance["citations"]
    for citation in provenance["citations"]:
        cited = await get_json(
            seeded_client, f"/sources/{citation['source_id']}/versions/{citation['cited_version']}"
        )
        source_version = URIRef(
            f"{BASE}/sources/{citation['source_id']}/versions/{citation['cited_version']}"
        )
        assert cited["version"]["content_sha256"] == citation["cited_sha256"]
        assert graph.value(source_version, ARCHIVE.sha256) == Literal(citation["cited_sha256"])
        assert (source_version, RDF.type, PROV.Entity) in graph
        assert (
            source_version,
            PROV.specializationOf,
            URIRef(f"{BASE}/sources/{citation['source_id']}"),
        ) in graph
        # The versions whose event brought this citation (a record, a new citation, a correction's
        # evidence) have the source version as primary source and derive from the quote.
        key = (citation["source_id"], citation["line_start"], citation["line_end"], citation["quote"])
        bringing = {
            version_iri(fact["id"], event["version"])
            for event in history
            for brought in [*event["data"].get("citations", []), event["data"].get("citation")]
            if brought
            and (brought["source_id"], brought["line_start"], brought["line_end"], brought["quote"]) == key
        }
        assert bringing
        assert set(graph.subjects(PROV.hadPrimarySource, source_version)) >= bringing
        for version in bringing:
            primary = list(graph.objects(version, PROV.qualifiedPrimarySource))
            assert len([n for n in primary if graph.value(n, PROV.entity) == source_version]) == 1

        # The quote of this citation: the one of the source version whose quote selector holds its words.
        quotes = [
            q
            for q in graph.subjects(PROV.wasQuotedFrom, source_version)
            for selector in graph.objects(q, OA.hasSelector)
            if graph.value(selector, OA.exact) == Literal(citation["quote"])
        ]
        assert len(quotes) == 1
        (quote,) = quotes
        assert graph.value(quote, ARCHIVE.lineStart).toPython() == citation["line_start"]
        assert (quote, RDF.type, OA.SpecificResource) in graph
        assert (quote, OA.hasSource, source_version) in graph
        assert set(graph.subjects(PROV.wasDerivedFrom, quote)) == bringing
        selectors = set(graph.objects(quote, OA.hasSelector))
        by_type = {
            kind: selector
            for selector in graph.objects(quote, OA.hasSelector)
            for kind in graph.objects(selector, RDF.type)
            if kind in (OA.TextQuoteSelector, OA.TextPositionSelector)
        }
        assert len(selectors) == 2
        assert set(by_type) == {OA.TextQuoteSelector, OA.TextPositionSelector}
        text = cited["text"]
        exact = str(graph.value(by_type[OA.TextQuoteSelector], OA.exact))
        assert exact == citation["quote"]
        start = graph.value(by_type[OA.TextPositionSelector], OA.start).toPython()
        end = graph.value(by_type[OA.TextPositionSelector], OA.end).toPython()
        assert normalise_quote(text[start:end]) == normalise_quote(citation["quote"])
        prefix = str(graph.value(by_type[OA.TextQuoteSelector], OA.prefix))
        suffix = str(graph.value(by_type[OA.TextQuoteSelector], OA.suffix))
        assert text[:start].endswith(prefix)
        assert text[end:].startswith(suffix)
        assert len(prefix) == min(32, start)
        assert len(suffix) == min(32, len(text) - end)


async def test_prov_o_meets_the_prov_constraints_it_can_break(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    fact = await corrected_fact(seeded_client, seeded_archive)
    graph = await prov_o(seeded_client, fact["id"])

    # The prov library's own validation: key and type constraints, on the document read back from RDF.
    read_back = ProvDocument.deserialize(
        content=graph.serialize(format="turtle"), format="rdf", rdf_format="turtle"
    )
    read_back.unified()
    assert read_back.get_records()

    activities = set(graph.subjects(RDF.type, PROV.Activity))
    entities = set(graph.subjects(RDF.type, PROV.Entity))
    agents = set(graph.subjects(RDF.type, PROV.Agent))
    assert activities
    assert entities
    assert agents
    assert not activities & entities, "an identifier is both an activity and an entity"
    # start-precedes-end
    for activity in activities:
        assert when(graph, activity, PROV.startedAtTime) <= when(graph, activity, PROV.endedAtTime)
    # typing: each end of a derivation is an entity; each association's agent is an agent
    derived = [(s, o) for p in DERIVATIONS for s, o in graph.subject_objects(p)]
    assert derived
    for newer, older in derived:
        assert newer in entities, newer
        assert older in entities, older
    for activity, agent in graph.subject_objects(PROV.wasAssociatedWith):
        assert activity in activities
        assert agent in agents

    def timed(qualifier: URIRef) -> list[tuple[Any, Any, datetime]]:
        """(subject, the activity or entity the qualified node names, its time) of each qualified node."""
        found = []
        for subject, node in graph.subject_objects(qualifier):
            other = graph.value(node, PROV.activity) or graph.value(node, PROV.entity)
            found.append((subject, other, when(graph, node, PROV.atTime)))
        return found

    generated = {entity: moment for entity, _, moment in timed(PROV.qualifiedGeneration)}
    # generation-within-activity and usage-within-activity
    for entity, activity, moment in timed(PROV.qualifiedGeneration):
        assert activity in activities
        assert entity in entities
        assert when(graph, activity, PROV.startedAtTime) <= moment <= when(graph, activity, PROV.endedAtTime)
    for activity, entity, moment in timed(PROV.qualifiedUsage):
        assert when(graph, activity, PROV.startedAtTime) <= moment <= when(graph, activity, PROV.endedAtTime)
        assert generated[entity] <= moment, "used before it was generated"
    # generation-precedes-invalidation
    invalidations = timed(PROV.qualifiedInvalidation)
    assert invalidations
    for entity, _, moment in invalidations:
        assert generated[entity] <= moment
    # derivation-generation-generation-ordering, for the entities the log generated
    for newer, older in derived:
        if newer in generated and older in generated:
            assert generated[older] <= generated[newer], (newer, older)
    # no derivation cycle
    edges: dict[Any, set[Any]] = {}
    for newer, older in derived:
        edges.setdefault(newer, set()).add(older)

    def reaches(start: Any, goal: Any, seen: set[Any]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert not any(reaches(node, node, {node}) for node in edges)


async def test_prov_n_reads_back_with_the_prov_library(
    seeded_client: Client, seeded_archive: Archive
) -> None:
    fact = await corrected_fact(seeded_client, seeded_archive)
    history = (await get_json(seeded_client, f"/facts/{fact['id']}/history"))["events"]
    response = await seeded_client.get(f"/facts/{fact['id']}/provenance", headers={"Accept": PROV_N})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(PROV_N)
    assert response.text.startswith("document\n")
    assert response.text.rstrip().endswith("endDocument")

    document = ProvDocument.deserialize(content=response.text, format="provn")
    document.unified()
    activities = {str(r.identifier.uri) for r in document.get_records(ProvActivity)}
    assert activities == {f"{BASE}/events/{e['position']}" for e in history}
    revisions = [
        r
        for r in document.get_records()
        if r.get_type().localpart == "Derivation"
        and "Revision" in {getattr(t, "localpart", t) for t in r.get_asserted_types()}
    ]
    assert sorted((str(r.args[0].uri), str(r.args[1].uri)) for r in revisions) == sorted(
        (str(version_iri(fact["id"], n + 1)), str(version_iri(fact["id"], n))) for n in range(1, len(history))
    )


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/provenance-notation;q=0.9, application/ld+json;q=0.5", PROV_N),
        ("text/html;q=1, application/*;q=0.8", "application/json"),
        ("application/ld+json, */*;q=0.1", JSON_LD),
        ("application/json;q=0, */*", JSON_LD),
    ],
)
async def test_accept_chooses_the_provenance_format(
    seeded_client: Client, accept: str | None, expected: str
) -> None:
    fact = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    headers = {"Accept": accept} if accept is not None else {}
    response = await seeded_client.get(f"/facts/{fact['id']}/provenance", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(expected)
    assert "accept" in response.headers["vary"].lower()
    if expected == "application/json":
        assert response.json()["fact"]["id"] == fact["id"]


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/turtle;q=0.5", "application/json;q=0"]
)
async def test_an_accept_offered_nothing_is_a_406_naming_the_types_offered(
    seeded_client: Client, accept: str
) -> None:
    fact = await find_fact(
        seeded_client, subject="kazakhstan", predicate="member_of", object="osce", valid_from="1992-01"
    )
    response = await seeded_client.get(f"/facts/{fact['id']}/provenance", headers={"Accept": accept})
    body = assert_problem(response, 406, ("Accept",))
    assert body["allowed"] == ["application/json", JSON_LD, PROV_N]
    for offered in body["allowed"]:
        assert offered in body["detail"]


async def test_an_unknown_fact_has_no_provenance_in_any_format(seeded_client: Client) -> None:
    for accept in ("application/json", JSON_LD, PROV_N):
        response = await seeded_client.get("/facts/no-such-fact/provenance", headers={"Accept": accept})
        assert response.status_code == 404, (accept, response.text)
