"""Given/when/then for deciders: no database, only events in and events (or an error) out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pytest

from archive.domain.events import Event

C = TypeVar("C")
S = TypeVar("S")
E = TypeVar("E", bound=BaseException)


class Scenario(Generic[C, S]):
    """A decider under test: ``Scenario(decide, evolve, initial).given(*past).when(cmd).then(*new)``."""

    def __init__(
        self,
        decide: Callable[[C, S], list[Event]],
        evolve: Callable[[S, Event], S],
        initial: Callable[[], S],
        history: tuple[Event, ...] = (),
        command: C | None = None,
    ) -> None:
        self._decide = decide
        self._evolve = evolve
        self._initial = initial
        self._history = history
        self._command = command

    def given(self, *events: Event) -> Scenario[C, S]:
        """The events already in the stream."""
        return Scenario(self._decide, self._evolve, self._initial, self._history + events, self._command)

    def when(self, command: C) -> Scenario[C, S]:
        """The command to decide."""
        return Scenario(self._decide, self._evolve, self._initial, self._history, command)

    @property
    def state(self) -> S:
        """The state folded from the given events."""
        state = self._initial()
        for event in self._history:
            state = self._evolve(state, event)
        return state

    def decided(self) -> list[Event]:
        """The events the decider returns for the command."""
        if self._command is None:
            raise AssertionError("the scenario has no command: call .when(command) first")
        return self._decide(self._command, self.state)

    def then(self, *expected: Event) -> None:
        """Assert the decider returns exactly ``expected``, in order."""
        assert self.decided() == list(expected)

    def then_raises(self, error: type[E], match: str | None = None) -> E:
        """Assert the decider raises ``error`` (message matching ``match``); return it for more checks."""
        with pytest.raises(error, match=match) as caught:
            self.decided()
        return caught.value

    def then_state(self, **expected: Any) -> S:
        """Apply the decided events and assert the resulting state's fields equal ``expected``."""
        state = self.state
        for event in self.decided():
            state = self._evolve(state, event)
        actual = {name: getattr(state, name) for name in expected}
        assert actual == expected
        return state
