"""asyncpg behind SQLAlchemy: the engine's options, and the driver for what SQLAlchemy would slow down."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


def engine_options(
    lock_timeout_ms: int, kwargs: dict[str, Any], connect_timeout_ms: int | None = None
) -> dict[str, Any]:
    """The engine's options: the pool, the session's `lock_timeout`, and how long asyncpg may take to
    connect (its `timeout`, 60 s unless `connect_timeout_ms` is given)."""
    # Up to 30 connections, all kept once opened: an overflow connection is closed when it comes back,
    # so a server busier than the pool size opened a new PostgreSQL session (a backend fork) for most
    # requests (bench case 7). The ceiling is the same 30 as before (10 + 20 overflow).
    kwargs.setdefault("pool_size", 30)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("connect_args", {"server_settings": {"lock_timeout": str(int(lock_timeout_ms))}})
    if connect_timeout_ms is not None:
        kwargs["connect_args"] = {**kwargs["connect_args"], "timeout": connect_timeout_ms / 1000}
    return kwargs


async def postgres_driver(conn: AsyncConnection, in_transaction: bool = True) -> Any:
    """The asyncpg connection behind `conn`, for COPY and for calls SQLAlchemy would slow down.

    SQLAlchemy's asyncpg adapter opens the driver's transaction on its first statement, so unless the
    caller wants autocommit (`in_transaction=False`) that statement is sent here first.
    """
    driver = (await conn.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the connection has no driver connection")
    if in_transaction and not driver.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")
    return driver
