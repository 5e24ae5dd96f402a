"""A fact's provenance in the W3C PROV vocabulary, built with the `prov` library: PROV-N and PROV-O
(JSON-LD).

What it says, for one fact:

- the fact is a `prov:Entity`, and each of its versions an entity that is a `prov:specializationOf` it;
- each event of its stream is a `prov:Activity` at its record time (it starts and ends then), associated
  with its actor (`prov:Agent`); it generated the version it made, used and invalidated the one before,
  and that new version `prov:wasRevisionOf` the one before;
- each cited source version is an entity carrying its sha256, a `prov:specializationOf` its source;
  the version an event made `prov:hadPrimarySource` it and `prov:wasDerivedFrom` the quote, which
  `prov:wasQuotedFrom` that source version;
- the quote is a Web Annotation `oa:SpecificResource` of that source version, selected by an
  `oa:TextQuoteSelector` (the quote, with the words around it) and an `oa:TextPositionSelector` (its
  character offsets in the version's text).

Identifiers are the archive's own URLs under `base` (a fact version is `/facts/{id}/versions/{n}`, a
source version `/sources/{id}/versions/{n}`), so a reader can follow them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as percent_encoded

from prov.model import PROV, Namespace, ProvDocument, QualifiedName
from prov.serializers.provrdf import ProvRDFSerializer
from rdflib import Graph, URIRef
from rdflib.namespace import PROV as PROV_O

from archive.domain.events import (
    Citation,
    FactCited,
    FactCorrected,
    FactRecorded,
    FactRetracted,
    citation_id,
    decode_event,
)
from archive.domain.quote_spans import quote_span
from archive.domain.sources import split_lines
from archive.reads.views import FactEventView, Provenance, SourceVersionText

if TYPE_CHECKING:
    from archive.reads import Reads

#: The Web Annotation vocabulary (W3C), for the quote and its selectors.
OA = Namespace("oa", "http://www.w3.org/ns/oa#")
#: How many characters of the text before and after a quote its `TextQuoteSelector` gives.
QUOTE_CONTEXT = 32
#: A cited source version by (source id, sha256 of its text).
CitedVersions = Mapping[tuple[str, str], SourceVersionText]

#: PROV-O's qualified influences and the unqualified property each stands for (PROV-O §3.3, the
#: qualification table): (qualifying property, the node's property naming the influencer, shortcut).
#: The `prov` library writes a relation that carries a time, an activity or a type in its qualified
#: form only; a reader asking `?fact prov:wasRevisionOf ?older` should not need to know that.
_SHORTCUTS = (
    ("qualifiedGeneration", "activity", "wasGeneratedBy"),
    ("qualifiedUsage", "entity", "used"),
    ("qualifiedInvalidation", "activity", "wasInvalidatedBy"),
    ("qualifiedAssociation", "agent", "wasAssociatedWith"),
    ("qualifiedDerivation", "entity", "wasDerivedFrom"),
    ("qualifiedRevision", "entity", "wasRevisionOf"),
    ("qualifiedQuotation", "entity", "wasQuotedFrom"),
    ("qualifiedPrimarySource", "entity", "hadPrimarySource"),
)


def _jsonld_context(document: ProvDocument) -> dict[str, str]:
    """The prefixes of the PROV-O answer: the document's own and the vocabularies it uses."""
    context = {ns.prefix: ns.uri for ns in document.namespaces}
    return {
        **context,
        "prov": PROV.uri,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    }


def _local(*parts: str | int) -> str:
    """A local name made of ids, each percent-encoded so that it stays one path segment."""
    return "/".join(percent_encoded(str(part), safe="") for part in parts)


def _citations_of(event: FactEventView) -> tuple[Citation, ...]:
    """The citations an event of a fact brought (a record, a new citation, a correction's or a
    retraction's evidence)."""
    decoded = decode_event(event.event_type, event.data)
    if isinstance(decoded, FactRecorded | FactCorrected | FactRetracted):
        return decoded.citations
    if isinstance(decoded, FactCited):
        return (decoded.citation,)
    return ()


async def cited_versions(reads: Reads, provenance: Provenance) -> dict[tuple[str, str], SourceVersionText]:
    """Each source version the fact's events cite, by (source id, sha256): the first version whose text
    has that hash (a later version with the same text is the same text)."""
    wanted = {(c.source_id, c.content_sha256) for e in provenance.events for c in _citations_of(e)}
    found: dict[tuple[str, str], SourceVersionText] = {}
    for source_id in sorted({source_id for source_id, _ in wanted}):
        first_with: dict[str, int] = {}
        for view in (await reads.source_versions(source_id)).items:
            first_with.setdefault(view.content_sha256, view.version)
        for sha256 in sorted(sha for sid, sha in wanted if sid == source_id and sha in first_with):
            found[(source_id, sha256)] = await reads.source_version(source_id, first_with[sha256])
    return found


async def fact_prov_document(reads: Reads, fact_id: str, base: str) -> ProvDocument:
    """The PROV document of one fact, its identifiers under `base` (e.g. `https://archive.example`)."""
    provenance = await reads.provenance(fact_id)
    return prov_document(provenance, await cited_versions(reads, provenance), base)


def prov_document(provenance: Provenance, cited: CitedVersions, base: str) -> ProvDocument:
    """The PROV document of `provenance`: its fact, the events behind it and the source versions they
    cite (`cited`, by source id and sha256; a citation of a text not among them is left out)."""
    base = base.rstrip("/")
    fact = provenance.fact
    document = ProvDocument()
    archive = document.add_namespace("archive", f"{base}/ns/archive#")
    document.add_namespace(OA)
    facts = document.add_namespace("fact", f"{base}/facts/")
    versions = document.add_namespace("version", f"{base}/facts/{_local(fact.id)}/versions/")
    quotes = document.add_namespace("quote", f"{base}/facts/{_local(fact.id)}/citations/")
    sources = document.add_namespace("source", f"{base}/sources/")
    events = document.add_namespace("event", f"{base}/events/")
    actors = document.add_namespace("actor", f"{base}/actors/")

    said = fact.object.label if fact.object is not None else fact.value
    fact_entity = document.entity(
        facts[_local(fact.id)],
        {
            "prov:type": archive["Fact"],
            "prov:label": " ".join(part for part in (fact.subject.label, fact.predicate, said) if part),
        },
    )
    drawn: set[QualifiedName] = set()  # the source versions and quotes already in the document

    def source_version(text: SourceVersionText, source_id: str) -> QualifiedName:
        view = text.version
        identifier = sources[_local(source_id, "versions", view.version)]
        if identifier not in drawn:
            drawn.add(identifier)
            document.entity(
                identifier,
                {
                    "prov:type": archive["SourceVersion"],
                    "prov:label": f"{view.title}, version {view.version}",
                    archive["sha256"]: view.content_sha256,
                    archive["version"]: view.version,
                },
            )
            document.specialization(identifier, sources[_local(source_id)])
            if sources[_local(source_id)] not in drawn:
                drawn.add(sources[_local(source_id)])
                document.entity(
                    sources[_local(source_id)], {"prov:type": archive["Source"], "prov:label": view.title}
                )
        return identifier

    def quote_of(citation: Citation, text: SourceVersionText, cited_version: QualifiedName) -> QualifiedName:
        identifier = quotes[_local(citation_id(citation), text.version.version)]
        if identifier in drawn:
            return identifier
        drawn.add(identifier)
        span = quote_span(split_lines(text.text), citation.line_start, citation.line_end, citation.quote)
        exact: dict[Any, Any] = {"prov:type": OA["TextQuoteSelector"], OA["exact"]: citation.quote}
        selectors = [quotes[_local(citation_id(citation), text.version.version, "quote")]]
        if span is not None:
            start, end = span
            exact[OA["prefix"]] = text.text[max(0, start - QUOTE_CONTEXT) : start]
            exact[OA["suffix"]] = text.text[end : end + QUOTE_CONTEXT]
            selectors.append(quotes[_local(citation_id(citation), text.version.version, "position")])
            document.entity(
                selectors[1],
                {"prov:type": OA["TextPositionSelector"], OA["start"]: start, OA["end"]: end},
            )
        document.entity(selectors[0], exact)
        document.entity(
            identifier,
            [
                ("prov:type", OA["SpecificResource"]),
                (OA["hasSource"], cited_version),
                *((OA["hasSelector"], selector) for selector in selectors),
                (archive["lineStart"], citation.line_start),
                (archive["lineEnd"], citation.line_end),
            ],
        )
        document.quotation(identifier, cited_version)
        return identifier

    before: QualifiedName | None = None
    for event in provenance.events:
        when: datetime = event.recorded_at
        activity = document.activity(
            events[str(event.position)],
            when,
            when,
            {
                "prov:type": archive[event.event_type],
                "prov:label": event.event_type,
                archive["position"]: event.position,
                archive["hash"]: event.hash,
                **({archive["reason"]: event.reason} if event.reason else {}),
            },
        )
        version = document.entity(
            versions[str(event.version)],
            {"prov:type": archive["FactVersion"], archive["version"]: event.version},
        )
        document.specialization(version, fact_entity)
        document.wasGeneratedBy(version, activity, when)
        if event.actor is not None:
            agent = actors[_local(event.actor)]
            if agent not in drawn:
                drawn.add(agent)
                document.agent(agent, {"prov:label": event.actor})
            document.wasAssociatedWith(activity, agent)
            document.wasAttributedTo(version, agent)
        if before is not None:
            document.used(activity, before, when)
            document.revision(version, before, activity)
            document.wasInvalidatedBy(before, activity, when)
        primary_sources: set[QualifiedName] = set()
        for citation in _citations_of(event):
            text = cited.get((citation.source_id, citation.content_sha256))
            if text is None:
                continue
            cited_version = source_version(text, citation.source_id)
            if cited_version not in primary_sources:  # two quotes of one text are one primary source
                primary_sources.add(cited_version)
                document.primary_source(version, cited_version)
            document.derivation(version, quote_of(citation, text, cited_version))
        before = version.identifier
    return document


def prov_n(document: ProvDocument) -> str:
    """The document in PROV-N, the W3C's notation for PROV."""
    return document.get_provn()


def prov_o_graph(document: ProvDocument) -> Graph:
    """The document as a PROV-O RDF graph, with the unqualified shortcut beside each qualified
    influence (`prov:wasRevisionOf` beside `prov:qualifiedRevision`, and so on)."""
    graph = Graph()
    # A document without bundles is all in the default graph (read there: the union view is deprecated).
    for triple in ProvRDFSerializer(document).encode_document(document).default_graph:
        graph.add(triple)
    for prefix, uri in _jsonld_context(document).items():
        graph.bind(prefix, uri)
    for qualifying, influencer, shortcut in _SHORTCUTS:
        for subject, node in graph.subject_objects(PROV_O[qualifying]):
            for target in graph.objects(node, PROV_O[influencer]):
                graph.add((subject, URIRef(PROV_O[shortcut]), target))
    return graph


def prov_o_jsonld(document: ProvDocument) -> str:
    """The document as PROV-O in JSON-LD, compacted with a context of the prefixes it uses."""
    graph = prov_o_graph(document)
    return graph.serialize(format="json-ld", context=_jsonld_context(document), auto_compact=True)
