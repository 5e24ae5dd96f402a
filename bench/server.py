"""The real API app (api.app.create_app with Settings from the environment) plus one hello-JSON route.

`GET /bench/hello` returns a constant JSON object through the same app, middleware (request id, access
log) and uvicorn workers as every other route, so it measures what serving costs before any query.

    uvicorn bench.server:create --factory --host 127.0.0.1 --port PORT --workers N
"""

from __future__ import annotations

from litestar import Litestar, get

from api.app import create_app
from archive.settings import Settings


@get("/bench/hello", sync_to_thread=False, include_in_schema=False)
def hello() -> dict[str, str]:
    """A constant JSON body."""
    return {"hello": "world"}


def create() -> Litestar:
    app = create_app(Settings.from_env())
    app.register(hello)
    return app
