"""Statements compiled once by SQLAlchemy and run by the database's driver itself."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Dialect
from sqlalchemy.sql.compiler import SQLCompiler


class DriverStatement:
    """A statement compiled once for `dialect` and run by the driver itself, with SQLAlchemy's own bind
    and result processors: the SQL and values SQLAlchemy would send, and the values it would return,
    without its execution path (the compiled-cache lookup, the execution context, the result object),
    which costs more than a SQLite point read or insert itself.

    Parameters are given by name; those the statement carries itself (a LIMIT, a JSON path) are bound
    here once. A SELECT's rows come back as named tuples of its selected columns' keys. Statements that
    render their parameters at run time (an expanding IN) are refused: SQLAlchemy's path is for those.
    """

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys or ()) or None)
        assert isinstance(compiled, SQLCompiler)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise TypeError("a statement with parameters rendered at run time cannot run by the driver")
        self.sql = str(compiled)
        self._names: list[str] = list(compiled.positiontup or ())
        self._bind: dict[str, Callable[[Any], Any] | None] = {}
        self._carried: dict[str, Any] = {}
        for name in self._names:
            bind = compiled.binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self._bind[name] = process
            if not bind.required:
                value = bind.effective_value
                self._carried[name] = value if process is None else process(value)
        selected = list(getattr(statement, "selected_columns", ()))
        self.row: Any = namedtuple("row", [c.key for c in selected], rename=True)  # type: ignore[misc]
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        self._results = [(index, p) for index, p in enumerate(processors) if p is not None]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's positional values for named `values` (processed as SQLAlchemy would)."""
        out = []
        for name in self._names:
            if name in values:
                process = self._bind[name]
                out.append(values[name] if process is None else process(values[name]))
            elif name in self._carried:
                out.append(self._carried[name])
            else:
                raise ValueError(f"a value is required for the parameter {name!r}")
        return tuple(out)

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[Any]:
        """Rows as the driver fetched them, with each column processed as SQLAlchemy would."""
        make, results = self.row._make, self._results
        if not results:
            return [make(raw) for raw in fetched]
        processed = []
        for raw in fetched:
            values = list(raw)
            for index, process in results:
                values[index] = process(values[index])
            processed.append(make(values))
        return processed
