"""A real server for browser tests and screenshots: the app under uvicorn, in a background thread, on a
free loopback port, on a copy of a seeded SQLite database, with one token per role."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from api.app import create_app
from archive.settings import Settings
from archive.storage.engine import create_engine
from archive.tokens import create_token

#: Debian's chromium and the flags it needs here (no sandbox as root, no GPU, no network chatter).
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, in a thread of its own.

    Playwright's sync API keeps an event loop running in the main thread, where `asyncio.run` refuses
    to start another one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _tokens(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    try:
        made = {}
        for role, name in (("archivist", "Ada Archivist"), ("auditor", "Otto Auditor")):
            token, _ = await create_token(engine, role, name)
            made[role] = token
        return made
    finally:
        await engine.dispose()


class LiveServer:
    """The archive served over HTTP on 127.0.0.1 until `stop()` (or the end of a `with` block)."""

    def __init__(self, seeded_database: Path, workdir: Path) -> None:
        target = workdir / "archive.db"
        shutil.copyfile(seeded_database, target)
        self.database_url = f"sqlite+aiosqlite:///{target}"
        self.tokens = run_async(_tokens(self.database_url))
        settings = Settings(database_url=self.database_url, log_format="json", log_level="WARNING")
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="live-server", daemon=True
        )

    def start(self) -> LiveServer:
        """Start serving; return once the server accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server's thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
