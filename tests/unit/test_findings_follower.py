"""When `FindingsFollower` (archive/commands/follow.py) catches up, against a store whose catch-up waits
until the test lets it finish: a write that commits while a catch-up runs is taken by another one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from archive.commands.follow import FindingsFollower
from archive.domain.vocabulary import Vocabulary


class HeldStore:
    """A store whose catch-ups are counted and wait for `release` (the test's stand-in for the lock)."""

    def __init__(self) -> None:
        self.catch_ups = 0
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def follow_in_one_trip(self, work: Callable[..., Any]) -> None:
        self.catch_ups += 1
        self.started.set()
        await self.release.wait()


async def settle(follower: FindingsFollower) -> None:
    for _ in range(200):
        await asyncio.sleep(0.005)
        task = follower._task
        if task is None or task.done():
            return


async def test_a_write_committed_during_a_catch_up_gets_a_catch_up_of_its_own() -> None:
    store = HeldStore()
    follower = FindingsFollower(store, Vocabulary(predicates={}), delay=0.0)  # type: ignore[arg-type]
    await follower.wrote()
    await store.started.wait()  # the first catch-up has begun, and holds on
    await follower.wrote()  # a write commits meanwhile: the catch-up may have read the log before it
    store.release.set()
    await settle(follower)
    assert store.catch_ups == 2


async def test_writes_before_a_catch_up_begins_share_it() -> None:
    store = HeldStore()
    store.release.set()
    follower = FindingsFollower(store, Vocabulary(predicates={}), delay=0.05)  # type: ignore[arg-type]
    for _ in range(5):
        await follower.wrote()
    await settle(follower)
    assert store.catch_ups == 1
    await follower.close()
