"""Progress for long work: a bar on a terminal, structured log lines (every 10%) otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

log = structlog.get_logger("archive.progress")


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yield `update(done)`, called with the running count of items done so far."""
    if sys.stderr.isatty():
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        # rich draws on stdout unless told: the bar goes where the check above looked, stdout may be data.
        with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task(description, total=total)
            yield lambda done: bar.update(task, completed=done)
        return
    step = max(1, (total or 0) // 10)
    last = 0

    def update(done: int) -> None:
        nonlocal last
        if done - last >= step or (total is not None and done == total and done != last):
            last = done
            log.info(description, done=done, total=total)

    log.info(description, done=0, total=total)
    yield update
    log.info(f"{description} finished", done=last, total=total)
