"""Request bodies of the write endpoints: what a client sends, apart from the domain's commands and events."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from archive.domain.events import DismissalReason, LinkRelation, Modality, Rank, ReasonCode

#: No NUL character in any text: PostgreSQL cannot store one in text or JSONB (it was a 500 there, and
#: accepted on SQLite), so the API refuses it on both, as a 400 naming the field.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Meta(min_length=1, max_length=20_000, pattern=NO_NUL)]
Id = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Line = Annotated[int, Meta(ge=1, le=10_000_000)]
Version = Annotated[int, Meta(ge=0)]
#: A partial date as the domain reads it (`archive.domain.time.parse_partial_date`). The schema states the
#: form; the domain checks it, so a date outside it (or a 13th month) is a 422 naming the field.
PARTIAL_DATE = r"^\s*(derived )?(circa )?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\s*$"
DateText = Annotated[
    str,
    Meta(
        min_length=4,
        max_length=40,
        pattern=NO_NUL,
        description="A partial date: YYYY, YYYY-MM or YYYY-MM-DD, optionally after 'circa ' or 'derived '.",
        extra_json_schema={"pattern": PARTIAL_DATE},
    ),
]
#: A predicate of the vocabulary: the OpenAPI document lists them (`api.openapi`), the domain checks them.
PredicateName = Annotated[
    str, Meta(min_length=1, max_length=200, pattern=NO_NUL, extra={"vocabulary": "predicate"})
]
ShortText = Annotated[str, Meta(max_length=2000, pattern=NO_NUL)]


class CitationIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A citation: lines of a source and the exact quote. `content_sha256` defaults to the current version."""

    source_id: Id
    line_start: Line
    line_end: Line
    quote: Text
    content_sha256: Annotated[str, Meta(pattern="^[0-9a-f]{64}$")] | None = None


class QualifiersIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Qualifiers: entity ids for role, place and organization; a free note."""

    role: Id | None = None
    place: Id | None = None
    organization: Id | None = None
    note: ShortText | None = None


class RecordFactRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /facts."""

    subject: Id
    predicate: PredicateName
    citations: Annotated[list[CitationIn], Meta(min_length=1, max_length=50)]
    object: Id | None = None
    value: ShortText | None = None
    qualifiers: QualifiersIn = QualifiersIn()
    valid_from: DateText | None = None
    valid_to: DateText | None = None
    point_in_time: DateText | None = None
    modality: Modality = "asserted"
    rank: Rank = "normal"
    reason: ShortText | None = None
    expected_version: Version | None = None


class ChangesIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The values a correction sets: an absent field is unchanged, null clears it."""

    object: Id | UnsetType | None = UNSET
    value: ShortText | UnsetType | None = UNSET
    qualifiers: QualifiersIn | UnsetType = UNSET
    valid_from: DateText | UnsetType | None = UNSET
    valid_to: DateText | UnsetType | None = UNSET
    point_in_time: DateText | UnsetType | None = UNSET


class CorrectionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /facts/{fact_id}/corrections."""

    expected_version: Version
    changes: ChangesIn
    reason_code: ReasonCode
    justification: Text
    citations: Annotated[list[CitationIn], Meta(max_length=50)] = []


class RetractionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /facts/{fact_id}/retractions."""

    expected_version: Version
    reason_code: ReasonCode
    justification: Text
    citations: Annotated[list[CitationIn], Meta(max_length=50)] = []


class RankRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /facts/{fact_id}/rank."""

    expected_version: Version
    rank: Rank
    justification: Text
    reason_code: ReasonCode = "other"


class LinkRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /facts/{fact_id}/links: the linking fact's version, as for every change of a fact."""

    relation: LinkRelation
    target_fact_id: Id
    expected_version: Version
    reason: ShortText | None = None


class SourceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /sources: a new source, or a new version of one's text (which needs `expected_version`)."""

    source_id: Id
    title: Text
    origin: Text
    source_date: DateText
    text: Annotated[str, Meta(min_length=1, max_length=5_000_000, pattern=NO_NUL)]
    expected_version: Version | None = None
    reason: ShortText | None = None


EntityLabel = Annotated[str, Meta(min_length=1, max_length=2000, pattern=NO_NUL)]
Aliases = Annotated[list[EntityLabel], Meta(max_length=200)]


class EntityRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /entities: a new entity (its kind is checked against the registry's kinds)."""

    entity_id: Id
    kind: Id
    label: EntityLabel
    aliases: Aliases = []
    reason: ShortText | None = None


class EntityChangesIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The values a revision sets: an absent field is unchanged; `aliases` replaces the whole list."""

    kind: Id | UnsetType = UNSET
    label: EntityLabel | UnsetType = UNSET
    aliases: Aliases | UnsetType = UNSET


class EntityRevisionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /entities/{entity_id}/revisions: `expected_version` is required (428 without it)."""

    changes: EntityChangesIn
    reason_code: ReasonCode
    justification: Text
    expected_version: Version | None = None


class MergeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /entities/{entity_id}/merge: this entity is `into`; both versions are required (428)."""

    into: Id
    justification: Text
    expected_version: Version | None = None
    into_expected_version: Version | None = None


class DismissalRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /findings/{finding_id}/dismissals: the finding's version as listed (0 until dismissed)."""

    expected_version: Version
    reason_code: DismissalReason
    justification: Text


class ContentIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a fact states, as an archivist edits a proposal's content (the fields of POST /facts but the
    citations, rank and versions)."""

    subject: Id
    predicate: PredicateName
    object: Id | None = None
    value: ShortText | None = None
    qualifiers: QualifiersIn = QualifiersIn()
    valid_from: DateText | None = None
    valid_to: DateText | None = None
    point_in_time: DateText | None = None
    modality: Modality = "asserted"


class AcceptanceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /proposals/{proposal_id}/acceptance: the proposal's version as listed; `content` when the
    archivist edited what was proposed (absent: as proposed)."""

    expected_version: Version
    content: ContentIn | None = None
    rank: Rank = "normal"
    reason: ShortText | None = None


class RejectionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST /proposals/{proposal_id}/rejection: the proposal's version as listed, and why it is wrong."""

    expected_version: Version
    reason: Text
