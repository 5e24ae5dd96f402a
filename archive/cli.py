"""The `archive` command: database migrations, serving, seeding, verification and tokens."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from archive.settings import Settings, SettingsError

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """An event-sourced archive of source-cited facts. Settings come from the environment (see README)."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def db_upgrade(revision: str) -> None:
    """Apply the migrations to DATABASE_URL (SQLite ./var/archive.db by default)."""
    from archive.logging import configure_logging
    from archive.migrations import upgrade

    settings = _settings()
    configure_logging(settings)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {_redacted(settings.database_url)}")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default ARCHIVE_HOST or 127.0.0.1).")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port (default ARCHIVE_PORT or 8000)."
)
def serve(host: str | None, port: int | None) -> None:
    """Serve the HTTP API. Run `archive db upgrade` first: the server never migrates."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@main.command()
def verify() -> None:
    """Recompute the hash chain of the whole log; exit 1 and name the first bad position if it breaks."""
    from archive.db import create_engine
    from archive.events import event_registry
    from archive.eventstore import EventStore
    from archive.logging import configure_logging
    from archive.progress import progress

    settings = _settings()
    configure_logging(settings)

    async def check() -> bool:
        engine = create_engine(settings.database_url)
        try:
            store = EventStore(engine, event_registry())
            with progress("verifying the hash chain", await store.count()) as update:
                report = await store.verify(on_progress=update)
        finally:
            await engine.dispose()
        if report.ok:
            click.echo(f"ok: {report.events_checked} events, head hash {report.head_hash}")
        else:
            click.echo(
                f"FAILED at position {report.first_bad_position}: {report.problem} "
                f"({report.events_checked} events verified before it)",
                err=True,
            )
        return report.ok

    sys.exit(0 if _run(check()) else 1)


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


if __name__ == "__main__":
    main()
