"""The command side: one module per aggregate (sources, entities, facts, bulk ingest), each handler reading
load -> decide -> append + project in one write transaction. `Archive` is all of them on one store."""

from archive.commands.entities import EntityCommands
from archive.commands.findings import FindingCommands
from archive.commands.ingest import FactInput, IngestCommands, Ingested, IngestError
from archive.commands.proposals import AcceptedProposal, ProposalCommands
from archive.commands.redaction import RedactionCommands
from archive.commands.sources import SourceCommands
from archive.commands.unit import CommandMeta, FactWritten, RegisteredSource, Written


class Archive(
    SourceCommands, EntityCommands, IngestCommands, RedactionCommands, FindingCommands, ProposalCommands
):
    """The archive's command side."""


__all__ = [
    "AcceptedProposal",
    "Archive",
    "CommandMeta",
    "FactInput",
    "FactWritten",
    "IngestError",
    "Ingested",
    "RegisteredSource",
    "Written",
]
