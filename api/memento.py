"""Memento (RFC 7089) for facts: each fact is its own TimeGate, its versions are Mementos, and its TimeMap
lists them.

- The original resource (URI-R) and TimeGate (URI-G) is `/facts/{id}`: with `Accept-Datetime` (or
  `as_of`) it answers the version believed then, 200-style (RFC 7089 §4.1.2: `Content-Location` names
  the Memento), with `Vary: Accept-Datetime`.
- A Memento (URI-M) is `/facts/{id}/versions/{n}`, with its `Memento-Datetime`.
- The TimeMap (URI-T) is `/facts/{id}/timemap`, in `application/link-format` (RFC 6690).

Every one of these answers links the other three (`original`, `timegate`, `timemap`). An HTTP date has
whole seconds, so a `Memento-Datetime` is the version's record time cut to its second, and an
`Accept-Datetime` names that whole second (`api.params.record_time`): the version believed at its end.
Sent back, a `Memento-Datetime` therefore finds its own version, unless a later version was recorded
within the same second: no HTTP date can tell those apart, and the TimeGate answers the last of them.
The TimeMap still lists every version, each reachable by its own URI-M.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from litestar import Request

#: The media type of a TimeMap (RFC 6690).
LINK_FORMAT = "application/link-format"


def http_date(moment: datetime) -> str:
    """`moment` as an HTTP date (IMF-fixdate, whole seconds: the fraction is cut, never rounded up)."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def base_url(request: Request[Any, Any, Any]) -> str:
    """The archive's own address as this request reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def fact_url(base: str, fact_id: str) -> str:
    """The fact's URI-R, which is also its TimeGate."""
    return f"{base}/facts/{quote(fact_id, safe='')}"


def timemap_url(base: str, fact_id: str) -> str:
    """The fact's TimeMap."""
    return f"{fact_url(base, fact_id)}/timemap"


def memento_url(base: str, fact_id: str, version: int) -> str:
    """One version of the fact: a Memento."""
    return f"{fact_url(base, fact_id)}/versions/{version}"


def fact_links(base: str, fact_id: str, memento: tuple[int, datetime] | None = None) -> str:
    """The `Link` header of a fact's answers: original and timegate, timemap, and the memento shown
    (its version and record time) when the answer is one."""
    links = [
        f'<{fact_url(base, fact_id)}>; rel="original timegate"',
        f'<{timemap_url(base, fact_id)}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]
    if memento is not None:
        version, recorded_at = memento
        links.append(
            f'<{memento_url(base, fact_id, version)}>; rel="memento"; datetime="{http_date(recorded_at)}"'
        )
    return ", ".join(links)


def memento_headers(base: str, fact_id: str, version: int, recorded_at: datetime) -> dict[str, str]:
    """The headers of an answer showing one version of a fact as a Memento."""
    return {
        "Memento-Datetime": http_date(recorded_at),
        "Link": fact_links(base, fact_id, (version, recorded_at)),
        "Content-Location": memento_url(base, fact_id, version),
        "Vary": "Accept-Datetime",
    }


def timegate_headers(base: str, fact_id: str) -> dict[str, str]:
    """The headers of the fact's current answer: it is also the TimeGate, so it varies by the date."""
    return {"Link": fact_links(base, fact_id), "Vary": "Accept-Datetime"}


def timemap(base: str, fact_id: str, versions: Sequence[tuple[int, datetime]]) -> str:
    """The fact's TimeMap: its original and TimeGate, itself (with the span it covers), then each
    version, oldest first, as a memento with its `datetime` (`first`/`last` marking the ends)."""
    links = [
        f'<{fact_url(base, fact_id)}>; rel="original timegate"',
        f'<{timemap_url(base, fact_id)}>; rel="self"; type="{LINK_FORMAT}"'
        + (f'; from="{http_date(versions[0][1])}"; until="{http_date(versions[-1][1])}"' if versions else ""),
    ]
    for index, (version, recorded_at) in enumerate(versions):
        rel = " ".join(
            word
            for word, applies in (
                ("first", index == 0),
                ("last", index == len(versions) - 1),
                ("memento", True),
            )
            if applies
        )
        links.append(
            f'<{memento_url(base, fact_id, version)}>; rel="{rel}"; datetime="{http_date(recorded_at)}"'
        )
    return ",\n".join(links) + "\n"
