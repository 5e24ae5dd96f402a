"""Errors the domain raises when a command cannot be accepted.

Each error carries a stable ``code`` (the API turns it into a problem type) and a message written for
the person who sent the command: what was wrong, and what would be accepted instead.
"""

from __future__ import annotations

from typing import ClassVar


# The subclass names are the contract the service and the API map to problem types: they name what
# happened rather than ending in "Error", hence the N818 waivers.
class DomainError(Exception):
    """Base of every refusal by a decider; ``code`` is stable, ``message`` is for humans.

    ``field`` names the command field at fault, as the request spells it (``valid_from``,
    ``citations[1].quote``), so a client can point at it; ``choices`` lists what a choice accepts.
    """

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.choices = choices

    def within(self, prefix: str) -> DomainError:
        """This error, its field named inside ``prefix`` (``citations[0]`` + ``quote``); for re-raising."""
        self.field = prefix if self.field is None else f"{prefix}.{self.field}"
        return self


class InvalidDate(DomainError):
    """A partial date or a valid-time range that cannot be read or is inconsistent."""

    code = "invalid_date"


class InvalidCommand(DomainError):
    """A command whose fields break a rule of the domain (empty justification, no change, ...)."""

    code = "invalid_command"


class InvalidVocabulary(DomainError):
    """The predicate vocabulary (archive/vocabulary.yaml) is malformed."""

    code = "invalid_vocabulary"


class CitationMismatch(DomainError):
    """A citation's quote is not found in the lines it points to, or the lines do not exist."""

    code = "citation_mismatch"

    def __init__(
        self,
        source_id: str,
        line_start: int,
        line_end: int,
        expected: str,
        found: str,
        message: str | None = None,
        field: str = "quote",
    ) -> None:
        self.source_id = source_id
        self.line_start = line_start
        self.line_end = line_end
        self.expected = expected
        self.found = found
        lines = f"line {line_start}" if line_start == line_end else f"lines {line_start}-{line_end}"
        super().__init__(
            message
            or (
                f"the quote is not in {lines} of source {source_id!r}: "
                f"expected {expected!r}, but the text there is {found!r}"
            ),
            field=field,
        )


class UnknownSource(DomainError):
    """A command refers to a source that is not registered."""

    code = "unknown_source"


class UnknownEntity(DomainError):
    """A command refers to an entity id that is not in the registry."""

    code = "unknown_entity"


class UnknownPredicate(DomainError):
    """A fact uses a predicate that the vocabulary does not define."""

    code = "unknown_predicate"


class SourceHashMismatch(DomainError):
    """A text does not hash to the declared sha256, or a citation names another version's hash."""

    code = "source_hash_mismatch"


class FactNotFound(DomainError):
    """A command targets a fact that was never recorded."""

    code = "fact_not_found"


class EvidenceRequired(DomainError):
    """A change to a fact's value was submitted without any citation to support it."""

    code = "evidence_required"


class StaleVersion(DomainError):
    """The command was decided against an older version of the fact than the current one."""

    code = "stale_version"

    def __init__(
        self, stream_id: str, expected_version: int, current_version: int, field: str = "expected_version"
    ) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"{stream_id} is at version {current_version}, not {expected_version}: "
            "reload it, check what changed, and resubmit with the current version",
            field=field,
        )


class VersionRequired(DomainError):
    """A write that would change an existing stream names no ``expected_version``.

    Without it, two writers who both read version n would both succeed and the later would silently
    replace what the earlier wrote; with it, the later gets a conflict and sees what changed.
    """

    code = "version_required"

    def __init__(
        self, stream_id: str, current_version: int, change: str, field: str = "expected_version"
    ) -> None:
        self.stream_id = stream_id
        self.current_version = current_version
        super().__init__(
            f"{stream_id} exists (version {current_version}) and this request would {change}: "
            f"send {field} {current_version} to say which version you decided on",
            field=field,
        )


class AlreadyRetracted(DomainError):
    """The fact is retracted: it cannot be retracted again, corrected or reranked."""

    code = "already_retracted"


class AlreadyDecided(DomainError):
    """The proposal was already accepted or rejected: one decision per proposal."""

    code = "already_decided"


class EntityNotFound(DomainError):
    """A command changes an entity that was never registered."""

    code = "entity_not_found"


class EntityExists(DomainError):
    """A create names an entity id the registry already holds (with other values)."""

    code = "entity_exists"


class AlreadyMerged(DomainError):
    """The entity was merged into another: it is a redirect now and cannot be revised or merged again."""

    code = "already_merged"
