"""Settings: one frozen dataclass, read from the environment, passed explicitly to whatever needs it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

LogFormat = Literal["auto", "json", "console"]
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/archive.db"


class SettingsError(ValueError):
    """An environment variable holds a value the archive cannot use."""


def normalise_database_url(url: str) -> str:
    """Give a plain database URL the async driver the archive uses (asyncpg, aiosqlite)."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise SettingsError(
        f"DATABASE_URL {url!r} is not supported: use sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB"
    )


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean: use true or false")


def _int(name: str, raw: str, *, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range {low}..{high}")
    return value


#: The server's findings delay: long enough for a steady writer's writes to share a catch-up, short
#: against a person's pace (a read of the findings catches them up anyway).
FINDINGS_DELAY_MS = 50


@dataclass(frozen=True)
class Settings:
    """Everything the archive can be configured with. Build it with `Settings.from_env()` or directly."""

    database_url: str = DEFAULT_DATABASE_URL
    log_format: LogFormat = "auto"
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    #: How many uvicorn worker processes `archive serve` starts (each with its own engine and pool).
    workers: int = 1
    require_token_for_reads: bool = False
    max_body_bytes: int = 1_048_576
    #: How long a write waits for another connection's write lock before it is answered 503.
    lock_timeout_ms: int = 30_000
    seeds_path: str = "seeds"
    csrf_secret: str | None = field(default=None, repr=False)
    #: The file holding the Ed25519 key that signs checkpoints (`archive keys generate` writes one).
    log_signing_key: str | None = None
    #: A read-only PostgreSQL (a streaming replica of `database_url`) that serves the API's reads;
    #: writes, and reads that name a position it has not reached, go to `database_url`.
    read_database_url: str | None = None
    #: How long a read naming a log position waits for the replica to reach it before the primary
    #: answers instead.
    read_wait_ms: int = 500
    #: How long opening a connection to the replica may take before the read goes to the primary; the
    #: driver's own 60 s would hold every read while a replica's host does not answer.
    read_connect_timeout_ms: int = 3_000
    #: How long after a one-trip write its findings catch up, in a background task that takes every write
    #: made meanwhile (archive/commands/follow.py); None: before the write's command returns.
    findings_delay_ms: int | None = None

    @property
    def findings_delay(self) -> float | None:
        """`findings_delay_ms` in seconds."""
        return None if self.findings_delay_ms is None else self.findings_delay_ms / 1000

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (the process environment by default), refusing unusable values."""
        env = os.environ if env is None else env
        log_format = env.get("ARCHIVE_LOG_FORMAT", "auto").strip().lower()
        if log_format not in ("auto", "json", "console"):
            raise SettingsError(f"ARCHIVE_LOG_FORMAT={log_format!r}: use auto, json or console")
        log_level = env.get("ARCHIVE_LOG_LEVEL", "INFO").strip().upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"ARCHIVE_LOG_LEVEL={log_level!r}: use DEBUG, INFO, WARNING or ERROR")
        return cls(
            database_url=normalise_database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
            log_format=log_format,  # type: ignore[arg-type]
            log_level=log_level,
            host=env.get("ARCHIVE_HOST", "127.0.0.1"),
            port=_int("ARCHIVE_PORT", env.get("ARCHIVE_PORT", "8000"), low=1, high=65535),
            workers=_int("ARCHIVE_WORKERS", env.get("ARCHIVE_WORKERS", "1"), low=1, high=64),
            require_token_for_reads=_bool(
                "ARCHIVE_REQUIRE_TOKEN_FOR_READS", env.get("ARCHIVE_REQUIRE_TOKEN_FOR_READS", "false")
            ),
            max_body_bytes=_int(
                "ARCHIVE_MAX_BODY_BYTES", env.get("ARCHIVE_MAX_BODY_BYTES", "1048576"), low=1024, high=1 << 30
            ),
            lock_timeout_ms=_int(
                "ARCHIVE_LOCK_TIMEOUT_MS", env.get("ARCHIVE_LOCK_TIMEOUT_MS", "30000"), low=1, high=600_000
            ),
            seeds_path=env.get("ARCHIVE_SEEDS_PATH", "seeds"),
            csrf_secret=env.get("ARCHIVE_CSRF_SECRET") or None,
            log_signing_key=env.get("ARCHIVE_LOG_SIGNING_KEY") or None,
            read_database_url=_read_database_url(env),
            read_wait_ms=_int(
                "ARCHIVE_READ_WAIT_MS", env.get("ARCHIVE_READ_WAIT_MS", "500"), low=0, high=60_000
            ),
            read_connect_timeout_ms=_int(
                "ARCHIVE_READ_CONNECT_TIMEOUT_MS",
                env.get("ARCHIVE_READ_CONNECT_TIMEOUT_MS", "3000"),
                low=1,
                high=60_000,
            ),
            findings_delay_ms=_int(
                "ARCHIVE_FINDINGS_DELAY_MS",
                env.get("ARCHIVE_FINDINGS_DELAY_MS", str(FINDINGS_DELAY_MS)),
                low=0,
                high=60_000,
            ),
        )


def _read_database_url(env: Mapping[str, str]) -> str | None:
    """ARCHIVE_READ_DATABASE_URL, normalised; refused unless the primary is PostgreSQL too."""
    raw = env.get("ARCHIVE_READ_DATABASE_URL") or None
    if raw is None:
        return None
    try:
        url = normalise_database_url(raw)
    except SettingsError as error:
        raise SettingsError(f"ARCHIVE_READ_DATABASE_URL: {error}") from None
    primary = normalise_database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    if not (url.startswith("postgresql") and primary.startswith("postgresql")):
        raise SettingsError(
            "ARCHIVE_READ_DATABASE_URL names a PostgreSQL replica of DATABASE_URL, which must be "
            "PostgreSQL too (a SQLite file has no replicas)"
        )
    return url
