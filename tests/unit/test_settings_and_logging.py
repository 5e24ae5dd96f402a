"""Settings read from the environment, and logs that never carry secrets."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
import structlog

from archive.logging import configure_logging
from archive.settings import Settings, SettingsError, normalise_database_url


def test_defaults_are_the_embedded_sqlite_database_on_loopback() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///./var/archive.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.require_token_for_reads is False
    # The server's writes leave their findings to a task 50 ms later; a library caller's compute them at once.
    assert (settings.findings_delay_ms, settings.findings_delay) == (50, 0.05)
    assert Settings().findings_delay is None
    assert Settings.from_env({"ARCHIVE_FINDINGS_DELAY_MS": "0"}).findings_delay == 0.0


def test_environment_values_are_read_and_urls_get_their_async_driver() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:p@h/db",
            "ARCHIVE_PORT": "9001",
            "ARCHIVE_LOG_FORMAT": "JSON",
            "ARCHIVE_LOG_LEVEL": "debug",
            "ARCHIVE_REQUIRE_TOKEN_FOR_READS": "yes",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@h/db"
    assert settings.port == 9001
    assert settings.log_format == "json"
    assert settings.log_level == "DEBUG"
    assert settings.require_token_for_reads is True


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARCHIVE_PORT": "eighty"}, "not a whole number"),
        ({"ARCHIVE_PORT": "0"}, "out of range"),
        ({"ARCHIVE_LOG_FORMAT": "xml"}, "use auto, json or console"),
        ({"ARCHIVE_LOG_LEVEL": "LOUD"}, "use DEBUG"),
        ({"ARCHIVE_REQUIRE_TOKEN_FOR_READS": "perhaps"}, "not a boolean"),
        ({"ARCHIVE_FINDINGS_DELAY_MS": "-1"}, "ARCHIVE_FINDINGS_DELAY_MS=-1 is out of range"),
        ({"ARCHIVE_FINDINGS_DELAY_MS": "soon"}, "ARCHIVE_FINDINGS_DELAY_MS='soon' is not a whole number"),
        ({"DATABASE_URL": "mysql://x/y"}, "is not supported"),
    ],
)
def test_unusable_values_are_refused_with_a_message_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_sqlite_urls_get_aiosqlite() -> None:
    assert normalise_database_url("sqlite:///./var/a.db") == "sqlite+aiosqlite:///./var/a.db"


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Structlog as it was before the test: configured here, it writes to this test's captured stdout, which
    pytest closes afterwards, and a later test that logs without configuring again would write there."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_json_logs_redact_tokens_and_bodies(
    capsys: pytest.CaptureFixture[str], logging_restored: None
) -> None:
    configure_logging(Settings(log_format="json"))
    structlog.get_logger("t").info(
        "request", token="s3cret", authorization="Bearer s3cret", body="{}", path="/x"
    )
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["path"] == "/x"
    assert record["token"] == record["authorization"] == record["body"] == "[redacted]"
    assert "s3cret" not in line
