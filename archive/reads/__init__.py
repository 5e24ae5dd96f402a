"""The read side: plain queries on the read models, returning views (msgspec Structs).

The API and the web pages both read through `Reads`, so there is one query path. Time has two axes here:
`valid_at` (when the fact held in the world, a partial date; each answer says whether it held there
`definite`ly or only `possible`) and `as_of` (what the archive believed at that record time).

One module per resource: facts, entities (and an entity's relations), timeline, roles, sources,
citations, and the auditor's log; `views` holds every answer's Struct and `filters` what searches share.
"""

from archive.reads.citations import CitationReads
from archive.reads.errors import NotFound
from archive.reads.filters import MAX_LINE, MAX_OFFSET, FactFilter, ModalityFilter, RankFilter
from archive.reads.findings import FindingReads
from archive.reads.log import LogReads
from archive.reads.proposals import ProposalReads
from archive.reads.roles import RoleReads
from archive.reads.sources import SourceReads
from archive.reads.timeline import TimelineReads
from archive.reads.views import (
    AcceptedProposalView,
    CitationChange,
    CitationPage,
    CitationProvenance,
    CitationStateView,
    CitationView,
    DateValue,
    Diff,
    DiffEvent,
    EntityChange,
    EntityHistory,
    EntityPage,
    EntityRef,
    EntityView,
    EventPage,
    EventView,
    FactChange,
    FactEventView,
    FactHistory,
    FactPage,
    FactSummary,
    FactView,
    FieldChange,
    FindingPage,
    FindingView,
    LabelledRef,
    LineText,
    LinkedFromView,
    LinkView,
    MarkView,
    NameMatch,
    Page,
    ProposalPage,
    ProposalStep,
    ProposalView,
    Provenance,
    QualifiersView,
    RecordedFactView,
    RolePage,
    RoleView,
    SourceChange,
    SourceLineView,
    SourcePage,
    SourceText,
    SourceVersions,
    SourceVersionText,
    SourceVersionView,
    SourceView,
    certainty_of,
    date_value,
    event_view,
    source_view,
)


class Reads(TimelineReads, SourceReads, RoleReads, CitationReads, LogReads, FindingReads, ProposalReads):
    """Every read the archive answers."""


__all__ = [
    "MAX_LINE",
    "MAX_OFFSET",
    "AcceptedProposalView",
    "CitationChange",
    "CitationPage",
    "CitationProvenance",
    "CitationStateView",
    "CitationView",
    "DateValue",
    "Diff",
    "DiffEvent",
    "EntityChange",
    "EntityHistory",
    "EntityPage",
    "EntityRef",
    "EntityView",
    "EventPage",
    "EventView",
    "FactChange",
    "FactEventView",
    "FactFilter",
    "FactHistory",
    "FactPage",
    "FactSummary",
    "FactView",
    "FieldChange",
    "FindingPage",
    "FindingView",
    "LabelledRef",
    "LineText",
    "LinkView",
    "LinkedFromView",
    "MarkView",
    "ModalityFilter",
    "NameMatch",
    "NotFound",
    "Page",
    "ProposalPage",
    "ProposalStep",
    "ProposalView",
    "Provenance",
    "QualifiersView",
    "RankFilter",
    "Reads",
    "RecordedFactView",
    "RolePage",
    "RoleView",
    "SourceChange",
    "SourceLineView",
    "SourcePage",
    "SourceText",
    "SourceVersionText",
    "SourceVersionView",
    "SourceVersions",
    "SourceView",
    "certainty_of",
    "date_value",
    "event_view",
    "source_view",
]
