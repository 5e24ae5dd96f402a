"""What the write endpoints share: the request's metadata, citations resolved, changes converted.

Each write names the version it was decided against (`expected_version`): a stale one is a 409 with the
current version, and nothing is appended. The actor comes from the token, the reason from the body.
The response is built only after the command's transaction has committed.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from api.auth import requires
from api.requests import (
    ChangesIn,
    CitationIn,
    ContentIn,
    EntityChangesIn,
    QualifiersIn,
    RecordFactRequest,
)
from archive.commands import Archive, CommandMeta, FactWritten
from archive.domain.entities import EntityChanges
from archive.domain.errors import UnknownSource
from archive.domain.events import Citation, CitationRecheck, FactChanges, Qualifiers
from archive.domain.facts import FactContent
from archive.reads import NotFound, Reads, SourceView
from archive.tokens import Principal

ARCHIVIST = [requires("archivist")]


class SourceWritten(msgspec.Struct, frozen=True):
    """A source after registration, with the re-check of every citation into it (for a new version), and
    how many facts were proposed from its text; `events_appended` counts the source's events and those."""

    source: SourceView
    events_appended: int
    rechecks: list[CitationRecheck]
    #: How many facts were proposed from the text it recorded (GET /proposals?source= lists them).
    proposals: int = 0


def command_meta(request: Request[Any, Any, Any], principal: Principal, reason: str | None) -> CommandMeta:
    """The metadata every event of this request carries: who, why, and the request id."""
    return CommandMeta(
        actor=principal.name,
        reason=reason,
        request_id=request.scope.get("state", {}).get("request_id"),
        token_id=principal.token_id,
    )


async def resolve_citations(queries: Reads, given: list[CitationIn]) -> list[Citation]:
    """Citations with their source's content hash (the current version's, when not given)."""
    resolved = []
    for c in given:
        sha = c.content_sha256
        if sha is None:
            try:
                sha = (await queries.source(c.source_id)).content_sha256
            except NotFound:
                raise UnknownSource(f"citation cites the unknown source {c.source_id!r}") from None
        resolved.append(Citation(c.source_id, sha, c.line_start, c.line_end, c.quote))
    return resolved


def qualifiers_of(given: QualifiersIn) -> Qualifiers:
    """Request qualifiers as the domain's."""
    return Qualifiers(role=given.role, place=given.place, organization=given.organization, note=given.note)


def content_of(given: ContentIn | RecordFactRequest) -> FactContent:
    """What a request states (a fact to record, or a proposal's edited content) as the domain's content."""
    return FactContent(
        subject=given.subject,
        predicate=given.predicate,
        object=given.object,
        value=given.value,
        qualifiers=qualifiers_of(given.qualifiers),
        valid_from=given.valid_from,
        valid_to=given.valid_to,
        point_in_time=given.point_in_time,
        modality=given.modality,
    )


def changes_of(given: ChangesIn) -> FactChanges:
    """Request changes as the domain's; absent fields stay UNSET, nulls clear."""
    qualifiers = given.qualifiers
    return FactChanges(
        object=given.object,
        value=given.value,
        qualifiers=qualifiers if isinstance(qualifiers, msgspec.UnsetType) else qualifiers_of(qualifiers),
        valid_from=given.valid_from,
        valid_to=given.valid_to,
        point_in_time=given.point_in_time,
    )


def entity_changes_of(given: EntityChangesIn) -> EntityChanges:
    """A revision's changes as the domain's; absent fields stay UNSET."""
    aliases = given.aliases
    return EntityChanges(
        kind=given.kind,
        label=given.label,
        aliases=aliases if isinstance(aliases, msgspec.UnsetType) else tuple(aliases),
    )


def rechecks_of(data: dict[str, Any]) -> list[CitationRecheck]:
    """The citation re-checks a source event carries."""
    return msgspec.convert(data.get("rechecks", []), list[CitationRecheck])


async def record_fact(
    request: Request[Any, Any, Any],
    data: RecordFactRequest,
    archive: Archive,
    queries: Reads,
    principal: Principal,
) -> FactWritten:
    """A record request (POST /facts, or the record form) through the command handler."""
    return await archive.record_fact(
        content=content_of(data),
        rank=data.rank,
        citations=await resolve_citations(queries, data.citations),
        meta=command_meta(request, principal, data.reason),
        expected_version=data.expected_version,
    )
