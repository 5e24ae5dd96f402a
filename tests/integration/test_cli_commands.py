"""`archive tokens create/list/revoke` and `archive rebuild-projections`, run as the real command."""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.projections.rebuild import REPLAYED_TABLES
from archive.projections.roles import roles_table
from archive.projections.shadow import snapshot
from archive.tokens import authenticate, tokens_table
from tests.integration.test_cli import archive

TOKEN_ID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def create(database_url: str, role: str, name: str) -> tuple[str, str]:
    """Run `archive tokens create`; return the token it printed and the id it named."""
    result = archive("tokens", "create", "--role", role, "--name", name, database_url=database_url)
    assert result.returncode == 0, result.stderr
    (token,) = result.stdout.splitlines()
    assert re.fullmatch(r"arc_[A-Za-z0-9_-]{43}", token), token
    found = re.search(rf"created token ({TOKEN_ID}) for '{name}' with role {role}", result.stderr)
    assert found is not None, result.stderr
    assert "store it now: it is shown only once" in result.stderr
    return token, found.group(1)


async def test_tokens_are_created_shown_once_stored_hashed_listed_and_revoked_by_id(
    database_url: str, engine: AsyncEngine
) -> None:
    ada, ada_id = create(database_url, "archivist", "Ada Archivist")
    bob, bob_id = create(database_url, "auditor", "Bob")
    assert ada != bob

    principal = await authenticate(engine, ada)
    assert principal is not None
    assert (principal.token_id, principal.name, principal.role) == (ada_id, "Ada Archivist", "archivist")
    async with engine.connect() as conn:
        stored = (await conn.execute(select(tokens_table).order_by(tokens_table.c.name))).all()
    assert [(r.token_id, r.token_sha256) for r in stored] == [
        (ada_id, hashlib.sha256(ada.encode()).hexdigest()),
        (bob_id, hashlib.sha256(bob.encode()).hexdigest()),
    ]
    assert all(ada not in str(tuple(r)) and bob not in str(tuple(r)) for r in stored)

    listed = archive("tokens", "list", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows == [[ada_id, "archivist", "live", "Ada", "Archivist"], [bob_id, "auditor", "live", "Bob"]]
    assert ada not in listed.stdout
    assert bob not in listed.stdout

    revoked = archive("tokens", "revoke", ada_id, database_url=database_url)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.splitlines() == [f"revoked {ada_id} (Ada Archivist, archivist)"]
    assert await authenticate(engine, ada) is None
    assert await authenticate(engine, bob) is not None

    after = archive("tokens", "list", database_url=database_url).stdout.splitlines()
    assert re.fullmatch(rf"{ada_id}  archivist  revoked \d{{4}}-\d\d-\d\d \d\d:\d\d +Ada Archivist", after[0])
    assert after[1].split() == [bob_id, "auditor", "live", "Bob"]

    again = archive("tokens", "revoke", ada_id, database_url=database_url)
    assert again.returncode == 2
    assert f"no live token has the id or name '{ada_id}'" in again.stderr

    by_name = archive("tokens", "revoke", "Bob", database_url=database_url)
    assert by_name.stdout.splitlines() == [f"revoked {bob_id} (Bob, auditor)"]
    assert await authenticate(engine, bob) is None


def test_tokens_create_refuses_an_unknown_role_and_an_empty_name(database_url: str) -> None:
    bad_role = archive("tokens", "create", "--role", "reader", "--name", "x", database_url=database_url)
    assert bad_role.returncode == 2
    assert "'reader' is not one of 'archivist', 'auditor', 'admin'" in bad_role.stderr
    no_name = archive("tokens", "create", "--role", "admin", "--name", "  ", database_url=database_url)
    assert no_name.returncode == 2
    assert "a token needs a name of 1 to 200 characters" in no_name.stderr
    assert archive("tokens", "list", database_url=database_url).stdout == ""


async def test_rebuild_projections_replays_the_log_into_the_read_models(
    seeded_database_url: str, seeded_engine: AsyncEngine
) -> None:
    async with seeded_engine.connect() as conn:
        before = {t.name: await snapshot(conn, t) for t in REPLAYED_TABLES}
    async with seeded_engine.begin() as conn:
        await conn.execute(update(roles_table).values(office_label="Forged Office"))
    events = await wire(seeded_engine).store.count()

    result = archive("rebuild-projections", database_url=seeded_database_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if not line.startswith("{")] == [
        f"rebuilt every read model from {events} events"
    ]
    progress = [json.loads(line) for line in lines if line.startswith("{")]
    done = [p for p in progress if p["event"] == "rebuilding projections"]
    assert done[-1]["done"] == done[-1]["total"] == events
    async with seeded_engine.connect() as conn:
        after = {t.name: await snapshot(conn, t) for t in REPLAYED_TABLES}
    assert after == before
    assert len(after["roles"]) > 0
