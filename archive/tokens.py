"""Bearer tokens for the API: created with a role, shown once, stored only as a sha256 hash, revocable.

Tokens are 32 random bytes, so a fast hash is enough: there is nothing to brute-force. They are access
control, not archive content, so they live in a plain table rather than in the event log.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import Column, DateTime, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.eventstore.store import utc_now
from archive.storage.engine import metadata

Role = Literal["archivist", "auditor", "admin"]
ROLES: tuple[Role, ...] = ("archivist", "auditor", "admin")
TOKEN_PREFIX = "arc_"

tokens_table = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


class TokenError(ValueError):
    """A token command that cannot be carried out."""


class Principal(msgspec.Struct, frozen=True):
    """Who a valid token belongs to."""

    token_id: str
    name: str
    role: Role

    def has_role(self, *roles: Role) -> bool:
        """Admin may do everything; the others what their role allows."""
        return self.role == "admin" or self.role in roles


class TokenInfo(msgspec.Struct, frozen=True):
    """A token's record (never the token itself)."""

    token_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(engine: AsyncEngine, role: str, name: str) -> tuple[str, TokenInfo]:
    """Create a token; return it (to show once) and its record."""
    if role not in ROLES:
        raise TokenError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 200:
        raise TokenError("a token needs a name of 1 to 200 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(str(uuid.uuid4()), name.strip(), role, utc_now(), None)
    async with engine.begin() as conn:
        await conn.execute(
            tokens_table.insert().values(
                token_id=info.token_id,
                name=info.name,
                role=info.role,
                token_sha256=hash_token(token),
                created_at=info.created_at,
            )
        )
    return token, info


async def revoke_token(engine: AsyncEngine, token_id_or_name: str) -> list[TokenInfo]:
    """Revoke the live tokens with this id or name; return what was revoked."""
    table = tokens_table
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(table).where(
                    (table.c.token_id == token_id_or_name) | (table.c.name == token_id_or_name),
                    table.c.revoked_at.is_(None),
                )
            )
        ).all()
        if not rows:
            raise TokenError(f"no live token has the id or name {token_id_or_name!r}")
        now = utc_now()
        await conn.execute(
            table.update().where(table.c.token_id.in_([r.token_id for r in rows])).values(revoked_at=now)
        )
    return [TokenInfo(r.token_id, r.name, r.role, r.created_at, now) for r in rows]


async def list_tokens(engine: AsyncEngine) -> list[TokenInfo]:
    """Every token's record, oldest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(tokens_table).order_by(tokens_table.c.created_at))
        return [TokenInfo(r.token_id, r.name, r.role, r.created_at, r.revoked_at) for r in rows]


async def authenticate(engine: AsyncEngine, token: str) -> Principal | None:
    """The principal of a live token, or None for an unknown or revoked one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    query = select(tokens_table.c.token_id, tokens_table.c.name, tokens_table.c.role).where(
        tokens_table.c.token_sha256 == hash_token(token), tokens_table.c.revoked_at.is_(None)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else Principal(row.token_id, row.name, row.role)
