"""The optimistic version rule every write of a stream follows, in one place.

A write names the version it was decided on (`expected_version`). A stale one is refused. Leaving it out
is allowed only where no earlier writer's work can be lost: for a stream that does not exist yet, and for
a request that changes nothing. A write that would change an existing stream without it is refused too,
since two writers who read the same version would otherwise both succeed and the later one would
silently replace the earlier's work.
"""

from __future__ import annotations

from archive.domain.errors import StaleVersion, VersionRequired


def require_expected_version(
    stream: str, current: int, expected: int | None, change: str | None, field: str = "expected_version"
) -> None:
    """Refuse a stale `expected` (StaleVersion), or a missing one when `change` would alter the stream.

    `stream` names the stream for people ("source general-information"), `current` is its version now
    (0 before its first event), and `change` says what the write would do to it, or None when nothing.
    `field` is the request field that carries the version (a merge names two).
    """
    if expected is not None:
        if expected != current:
            raise StaleVersion(stream, expected, current, field=field)
        return
    if current > 0 and change is not None:
        raise VersionRequired(stream, current, change, field=field)
