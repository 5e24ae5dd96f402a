"""The `archive` command: database migrations, serving, seeding, verification and tokens."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import sys
from collections.abc import Coroutine
from pathlib import Path
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
    from sqlalchemy.exc import DBAPIError

    from archive.storage.engine import is_missing_table

    try:
        return asyncio.run(coroutine)
    except DBAPIError as error:
        if is_missing_table(error):
            raise click.ClickException(
                "the database has no archive tables yet: run `archive db upgrade` first"
            ) from None
        raise


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
    from archive.storage.migrate import upgrade

    settings = _settings()
    configure_logging(settings)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {_redacted(settings.database_url)}")


@main.command()
@click.option("--host", default=None, help="Interface to bind (default ARCHIVE_HOST or 127.0.0.1).")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port (default ARCHIVE_PORT or 8000)."
)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Worker processes sharing the port (default ARCHIVE_WORKERS or 1).",
)
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the HTTP API. Run `archive db upgrade` first: the server never migrates."""
    import uvicorn

    settings = _settings()  # refuses unusable settings here, with the variable's name
    workers = workers or settings.workers
    if workers > 1 and settings.csrf_secret is None:
        # Each worker builds its settings from the environment it inherits (uvicorn spawns them), so a
        # secret drawn here, once, signs every worker's forms: a form rendered by one worker and posted
        # to another still passes the CSRF check. Like the one-process default, it lasts until a restart.
        os.environ["ARCHIVE_CSRF_SECRET"] = secrets.token_hex(32)
    # The app is loaded by name (as workers need it): the archive package never imports the API it serves.
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


@main.command()
@click.option("--chain-only", is_flag=True, help="Check only the hash chain, not the read models.")
def verify(chain_only: bool) -> None:
    """Recompute the hash chain and name the first bad position; then check that every read model equals
    a rebuild into shadow tables. Exits 1 when either check fails."""
    from archive.logging import configure_logging
    from archive.progress import progress
    from archive.projections.shadow import compare_with_rebuild

    settings = _settings()
    configure_logging(settings)

    async def check() -> bool:
        engine, archive = _archive_for(settings)
        try:
            total = await archive.store.count()
            with progress("verifying the hash chain", total) as update:
                report = await archive.store.verify(on_progress=update)
            if report.ok:
                click.echo(f"ok: {report.events_checked} events, head hash {report.head_hash}")
            else:
                click.echo(
                    f"FAILED at position {report.first_bad_position}: {report.problem} "
                    f"({report.events_checked} events verified before it)",
                    err=True,
                )
            if chain_only:
                return bool(report.ok)
            with progress("rebuilding read models into shadow tables", total) as update:
                differences = await compare_with_rebuild(archive.store, archive.projector, on_progress=update)
        finally:
            await engine.dispose()
        for d in differences:
            click.echo(
                f"FAILED read model {d.table}: {d.live_rows} rows live, {d.rebuilt_rows} rebuilt; "
                f"{d.only_live} only live, {d.only_rebuilt} only rebuilt; e.g. {d.example}",
                err=True,
            )
        if not differences:
            click.echo("ok: every read model equals a rebuild from the log")
        return report.ok and not differences

    sys.exit(0 if _run(check()) else 1)


def _archive_for(settings: Settings) -> tuple[Any, Any]:
    """An engine and the archive's command side on it (the caller disposes of the engine)."""
    from archive.bootstrap import build

    # One command and the process ends: its writes' findings catch up before it does.
    wired = build(dataclasses.replace(settings, findings_delay_ms=None))
    return wired.engine, wired.commands


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def seed(path: Path | None) -> None:
    """Load a seeds folder (default: ARCHIVE_SEEDS_PATH or ./seeds). Running it twice appends nothing."""
    from archive.logging import configure_logging
    from archive.progress import progress
    from archive.seeding import Seeder, SeedError

    settings = _settings()
    configure_logging(settings)
    root = path or Path(settings.seeds_path)
    if not (root / "entities.yaml").is_file():
        raise click.UsageError(f"{root} is not a seeds folder: it has no entities.yaml")

    async def load() -> None:
        engine, archive = _archive_for(settings)
        try:
            seeder = Seeder(archive, root)
            with progress("seeding", seeder.total_entries()) as update:
                seeder.on_progress = update
                report = await seeder.run()
        finally:
            await engine.dispose()
        click.echo(
            f"seeded {report.sources} sources, {report.entities} entities, {report.facts} facts "
            f"({report.citations} citations, {report.no_fact_here} lines marked no fact here): "
            f"{report.events_appended} events appended"
        )

    try:
        _run(load())
    except SeedError as error:
        click.echo(f"seed stopped: {error}", err=True)
        click.echo("nothing was appended from that file", err=True)
        sys.exit(1)


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def coverage(path: Path | None) -> None:
    """List every sentence of every source that no fact cites and no "no fact here" mark explains.

    Marks (the words they explain, quoted, and a reason) come from the facts files of the seeds folder
    PATH. Exits 1 when a sentence is uncovered or a mark's words are no longer in its source.
    """
    from sqlalchemy import select

    from archive.logging import configure_logging
    from archive.projections.sources import sources_table
    from archive.seeding import SeedError, SeedMarks

    settings = _settings()
    configure_logging(settings)
    marks = SeedMarks(path or Path(settings.seeds_path))
    try:
        marks()
    except SeedError as error:
        raise click.UsageError(str(error)) from None

    async def scan() -> tuple[list[Any], set[str]]:
        from archive.bootstrap import wire
        from archive.storage.engine import create_engine

        engine = create_engine(settings.database_url, settings.lock_timeout_ms)
        try:
            queries = wire(engine, marks).reads
            async with engine.connect() as conn:
                source_ids = sorted((await conn.execute(select(sources_table.c.source_id))).scalars())
            reports = [await queries.source_coverage(source_id) for source_id in source_ids]
        finally:
            await engine.dispose()
        if not source_ids:
            raise click.UsageError("the archive holds no sources: run `archive seed` first")
        return reports, queries.mark_sources() - set(source_ids)

    reports, unknown = _run(scan())
    uncovered = orphaned = 0
    for report in reports:
        for item in report.uncovered:
            click.echo(f"{item.source_id}:{item.line_start}-{item.line_end}: uncovered: {item.text[:160]}")
        for mark in report.orphaned_marks:
            click.echo(
                f"{mark.source_id}:{mark.line_start}: mark orphaned, its words are gone: {mark.quote[:120]}"
            )
        uncovered += len(report.uncovered)
        orphaned += len(report.orphaned_marks)
    for source_id in sorted(unknown):
        click.echo(f"{source_id}: marks name a source the archive does not hold")
    sentences = sum(r.sentences for r in reports)
    click.echo(
        f"{len(reports)} sources scanned: {sentences} sentences, {sentences - uncovered} covered, "
        f"{orphaned} orphaned marks"
    )
    click.echo(f"{uncovered} uncovered sentences")
    sys.exit(1 if uncovered or orphaned or unknown else 0)


@main.command("rebuild-projections")
def rebuild_projections() -> None:
    """Rebuild every read model from the log, in one transaction."""
    from archive.logging import configure_logging
    from archive.progress import progress
    from archive.projections.rebuild import rebuild

    settings = _settings()
    configure_logging(settings)

    async def run() -> int:
        engine, archive = _archive_for(settings)
        try:
            with progress("rebuilding projections", await archive.store.count()) as update:
                return await rebuild(archive.store, archive.projector, on_progress=update)
        finally:
            await engine.dispose()

    click.echo(f"rebuilt every read model from {_run(run())} events")


@main.command("redact")
@click.argument("position", type=click.IntRange(min=1))
@click.option(
    "--reason-code",
    required=True,
    type=click.Choice(["privacy", "legal_order"]),
    help="Why the payload must go (never to correct a fact: correct it instead).",
)
@click.option("--reason", required=True, help="The justification: the request or the order, in words.")
def redact_event(position: int, reason_code: str, reason: str) -> None:
    """Replace the payload of the event at POSITION by its hash, recording the redaction as an event.

    The chain, the Merkle tree and every proof still verify; the fact is withdrawn from the reads. The
    actor recorded is `cli:<user>`.
    """
    import getpass

    from archive.commands import CommandMeta
    from archive.domain.errors import DomainError
    from archive.logging import configure_logging

    settings = _settings()
    configure_logging(settings)

    async def run() -> Any:
        engine, archive = _archive_for(settings)
        try:
            return await archive.redact_event(
                position=position,
                reason_code=reason_code,
                justification=reason,
                meta=CommandMeta(actor=f"cli:{getpass.getuser()}", reason=reason),
            )
        finally:
            await engine.dispose()

    try:
        written = _run(run())
    except DomainError as error:
        raise click.ClickException(f"{error.field or 'redaction'}: {error.message}") from None
    recorded = written.events[0]
    click.echo(
        f"redacted position {position} ({recorded.data['redacted_event_type']} of "
        f"{recorded.data['stream_id']}): its payload is now sha256 {recorded.data['content_sha256']}; "
        f"the redaction is the event at position {recorded.position}"
    )


@main.group()
def tokens() -> None:
    """API bearer tokens: create (shown once), list, revoke."""


@tokens.command("create")
@click.option(
    "--role", required=True, type=click.Choice(["archivist", "auditor", "admin"]), help="What it may do."
)
@click.option("--name", required=True, help="Who or what holds it; recorded as the actor of its writes.")
def tokens_create(role: str, name: str) -> None:
    """Create a token and print it once: only its hash is stored."""
    from archive.storage.engine import create_engine
    from archive.tokens import TokenError, create_token

    settings = _settings()

    async def create() -> tuple[str, Any]:
        engine = create_engine(settings.database_url, settings.lock_timeout_ms)
        try:
            return await create_token(engine, role, name)
        finally:
            await engine.dispose()

    try:
        token, info = _run(create())
    except TokenError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"created token {info.token_id} for {info.name!r} with role {info.role}", err=True)
    click.echo("store it now: it is shown only once", err=True)
    click.echo(token)


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (never the tokens themselves)."""
    from archive.storage.engine import create_engine
    from archive.tokens import list_tokens

    settings = _settings()

    async def fetch() -> list[Any]:
        engine = create_engine(settings.database_url, settings.lock_timeout_ms)
        try:
            return await list_tokens(engine)
        finally:
            await engine.dispose()

    for info in _run(fetch()):
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "live"
        click.echo(f"{info.token_id}  {info.role:<9}  {state:<24}  {info.name}")


@tokens.command("revoke")
@click.argument("token_id_or_name")
def tokens_revoke(token_id_or_name: str) -> None:
    """Revoke the live token(s) with this id or name."""
    from archive.storage.engine import create_engine
    from archive.tokens import TokenError, revoke_token

    settings = _settings()

    async def revoke() -> list[Any]:
        engine = create_engine(settings.database_url, settings.lock_timeout_ms)
        try:
            return await revoke_token(engine, token_id_or_name)
        finally:
            await engine.dispose()

    try:
        revoked = _run(revoke())
    except TokenError as error:
        raise click.UsageError(str(error)) from None
    for info in revoked:
        click.echo(f"revoked {info.token_id} ({info.name}, {info.role})")


@main.group()
def keys() -> None:
    """The Ed25519 key that signs the log's checkpoints."""


@keys.command("generate")
@click.option(
    "--origin",
    required=True,
    help="The log's name: the checkpoints' origin line and the key's name, e.g. archive.example.org/log.",
)
@click.option(
    "--out",
    default="var/log-signing.key",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (mode 0600); never overwritten.",
)
def keys_generate(origin: str, out: Path) -> None:
    """Write a new signing key to OUT and print its public key as a signed-note verifier key."""
    from archive.eventstore.checkpoint import CheckpointKeyError, generate_signer

    try:
        signer = generate_signer(origin)
    except CheckpointKeyError as error:
        raise click.UsageError(f"--origin: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: a key that checkpoints were signed with must not be lost to a second run.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.UsageError(f"--out: {out} exists; move it away first to replace the key") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(signer.signer_key() + "\n")
    click.echo(f"wrote the private key to {out}; set ARCHIVE_LOG_SIGNING_KEY={out}", err=True)
    click.echo("publish the verifier key below (it is also served at /.well-known/log-key):", err=True)
    click.echo(signer.verifier_key)


@main.command()
def checkpoint() -> None:
    """Print the log's current signed checkpoint (a C2SP signed note), to keep outside the database."""
    from archive.eventstore.checkpoint import CheckpointKeyError, load_signer
    from archive.reads import log_proofs
    from archive.storage.engine import create_engine

    settings = _settings()
    if settings.log_signing_key is None:
        raise click.UsageError(
            "ARCHIVE_LOG_SIGNING_KEY is not set: run `archive keys generate --origin <log name>` first"
        )
    try:
        signer = load_signer(settings.log_signing_key)
    except CheckpointKeyError as error:
        raise click.UsageError(f"ARCHIVE_LOG_SIGNING_KEY: {error}") from None

    async def sign() -> str:
        engine = create_engine(settings.database_url, settings.lock_timeout_ms)
        try:
            return (await log_proofs.checkpoint(engine, signer)).note
        finally:
            await engine.dispose()

    click.echo(_run(sign()), nl=False)


@main.command(
    "verify-evidence",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify_evidence(args: tuple[str, ...]) -> None:
    """Check an evidence pack offline: PACK [--public-key K] [--checkpoint C [--consistency-proof P]]
    [--source FILE ...]; --help for more. No database, no server: the standalone verifier
    (archive/audit/verify_evidence.py, which an auditor can run without the archive) does the work."""
    from archive.audit.verify_evidence import main as verify_pack_main

    sys.exit(verify_pack_main(list(args)))


@main.command("export")
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="The file to write (replaced only once the export is whole), or - for stdout.",
)
def export_log_command(output: Path) -> None:
    """Write the whole log as JSON Lines: each event as stored (the fields its hash covers, its position,
    prev_hash and hash), then an end-of-log line. With `archive import` it moves an archive to another
    database (SQLite to PostgreSQL) and is a backup. The read models are rebuilt from the log on import;
    the API tokens are not part of the log and are not exported. Progress goes to stderr."""
    from archive.eventstore.transfer import export_log
    from archive.logging import configure_logging
    from archive.progress import progress

    settings = _settings()
    configure_logging(settings, sys.stderr)

    async def write(out: Any) -> Any:
        engine, archive = _archive_for(settings)
        try:
            with progress("exporting the log", await archive.store.count()) as update:
                return await export_log(archive.store, out, on_progress=update)
        finally:
            await engine.dispose()

    if str(output) == "-":
        report = _run(write(sys.stdout.buffer))
        sys.stdout.buffer.flush()
    else:
        # A failed export leaves the file it would replace (an older backup) as it was.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                report = _run(write(out))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
    click.echo(f"exported {report.events} events, head hash {report.head_hash}", err=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.pass_context
def import_log_command(ctx: click.Context, file: Path) -> None:
    """Load FILE, an `archive export`, into an empty database (DATABASE_URL, after `archive db upgrade`),
    SQLite or PostgreSQL: the same positions, recorded_at and hashes. Each line's hash is checked against
    the chain as it is read; the whole file loads in one transaction, so the first bad line refuses it,
    naming the line, and nothing is written. Then the read models are rebuilt and `archive verify` runs
    (exit 1 if it fails). API tokens are not part of the log: create them again with `archive tokens
    create`."""
    from archive.eventstore.transfer import TransferError, import_log, promised_events
    from archive.logging import configure_logging
    from archive.progress import progress
    from archive.projections.rebuild import rebuild

    settings = _settings()
    configure_logging(settings, sys.stderr)

    async def load() -> Any:
        engine, archive = _archive_for(settings)
        try:
            with progress("importing the log", promised_events(file)) as update:
                if str(file) == "-":
                    report = await import_log(archive.store, sys.stdin.buffer, on_progress=update)
                else:
                    with file.open("rb") as lines:
                        report = await import_log(archive.store, lines, on_progress=update)
            click.echo(f"imported {report.events} events, head hash {report.head_hash}")
            # The events are committed: should this fail, `archive rebuild-projections` finishes the job.
            with progress("rebuilding read models", report.events) as update:
                await rebuild(archive.store, archive.projector, on_progress=update)
            return report
        finally:
            await engine.dispose()

    try:
        _run(load())
    except TransferError as error:
        click.echo(f"import refused: {error}", err=True)
        click.echo("nothing was written", err=True)
        sys.exit(1)
    click.echo("rebuilt every read model from the log; verifying")
    ctx.invoke(verify, chain_only=False)


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
