"""Request bodies the JSON decoder cannot read are the client's error: a 400 problem, never a 500.

msgspec refuses invalid UTF-8 with `UnicodeDecodeError` and nesting deeper than its limit (about 1,000
levels) with `RecursionError`, neither of which Litestar treats as a bad body; this request class says
what is wrong with the body instead.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException


def _bad_body(message: str) -> ValidationException:
    return ValidationException(
        detail=f"body: {message}", extra=[{"key": "body", "message": message, "source": "body"}]
    )


class ArchiveRequest(Request[Any, Any, Any]):
    """Litestar's request, with undecodable JSON bodies answered as 400 problems naming the body."""

    async def json(self) -> Any:
        """The decoded JSON body; a 400 problem for bytes that are not UTF-8 or that nest too deep."""
        try:
            return await super().json()
        except UnicodeDecodeError as error:
            raise _bad_body(
                f"not UTF-8: byte {error.start} ({error.object[error.start : error.start + 1]!r}) cannot be "
                "decoded; send JSON encoded as UTF-8"
            ) from None
        except RecursionError:
            raise _bad_body(
                "the JSON nests too deep to read; no request of this API nests more than a few levels"
            ) from None
