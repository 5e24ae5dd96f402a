"""Schema fuzzing: schemathesis drives every operation of the app's own OpenAPI schema.

The app runs on a copy of the seeded SQLite corpus, with an admin token in the headers so that the write
operations get past access control and are exercised too. Each operation gets a bounded number of
derandomised examples: once with generated path parameters, and once with the ids of real facts,
sources and entities, so that writes reach the deciders instead of stopping at a 404; then the cases
of schemathesis' coverage phase (boundary values, valid and invalid).

It must find no server error (5xx), no status code the schema does not declare for the operation, no
response whose content type or body does not conform to the schema.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from api.app import create_app
from archive.settings import Settings
from archive.storage.engine import create_engine
from archive.tokens import create_token

MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


async def _admin_token_and_ids(database_url: str) -> tuple[str, dict[str, list[str]]]:
    """An admin token, and a few real ids of each kind that paths take."""
    queries = {
        "fact_id": "SELECT DISTINCT fact_id FROM fact_versions ORDER BY fact_id LIMIT 5",
        "source_id": "SELECT source_id FROM sources ORDER BY source_id",
        "entity_id": "SELECT entity_id FROM entities ORDER BY entity_id LIMIT 5",
        "proposal_id": "SELECT proposal_id FROM proposals ORDER BY proposal_id LIMIT 5",
    }
    engine = create_engine(database_url)
    try:
        token, _ = await create_token(engine, "admin", "schema-fuzzer")
        async with engine.connect() as conn:
            ids = {name: [row[0] for row in await conn.execute(text(sql))] for name, sql in queries.items()}
    finally:
        await engine.dispose()
    return token, ids


@pytest.fixture
def fuzzed_app(seeded_database_url: str) -> Iterator[tuple[Litestar, str, dict[str, list[str]]]]:
    token, ids = asyncio.run(_admin_token_and_ids(seeded_database_url))
    app = create_app(Settings(database_url=seeded_database_url, log_format="json", log_level="ERROR"))
    yield app, token, ids
    # schemathesis runs the app's lifespan in its own event-loop thread; end it (it disposes the engine).
    asgi.shutdown_lifespans()


class Findings:
    """What the fuzzing saw: requests per operation, and each distinct problem."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.statuses: Counter[int] = Counter()
        self.problems: dict[str, set[str]] = {}


def fuzz(
    operation: Any, headers: dict[str, str], fixed: dict[str, list[str]] | None, findings: Findings
) -> None:
    """Run the bounded, derandomised examples of one operation, recording problems instead of stopping."""
    label = f"{operation.method.upper()} {operation.path}"

    @given(data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def examples(data: st.DataObject) -> None:
        path_parameters = None
        if fixed:
            path_parameters = {name: data.draw(st.sampled_from(values)) for name, values in fixed.items()}
        case = data.draw(operation.as_strategy(path_parameters=path_parameters))
        call_and_check(case, label, headers, findings)

    examples()


def call_and_check(case: Any, label: str, headers: dict[str, str], findings: Findings) -> None:
    """Send one case and record every check it fails."""
    # The test is about what each answer is, not how fast: on a loaded 2-core machine one request has
    # taken longer than the client's default 10 s read timeout (a flaky failure that did not reproduce).
    response = case.call(headers=headers, timeout=60)
    findings.calls[label] = findings.calls.get(label, 0) + 1
    findings.statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.problems.setdefault(label, set()).add(
                f"{response.status_code} {failure.title}: {failure.message[:300]} <- "
                f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]} "
                f"-> {response.text[:200]}"
            )


def summary(findings: Findings) -> str:
    """One line per operation: each kind of problem (status and check) with an example."""
    lines = []
    for label, found in sorted(findings.problems.items()):
        kinds: dict[str, str] = {}
        for problem in sorted(found):
            kinds.setdefault(problem.split(" <- ")[0].split(":")[0], problem)
        lines.append(f"{label}:")
        lines += [f"  {example[:600]}" for example in kinds.values()]
    return "\n".join(lines)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_operation_answers_within_its_schema_and_never_with_a_server_error(
    fuzzed_app: tuple[Litestar, str, dict[str, list[str]]],
) -> None:
    app, token, ids = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    findings = Findings()
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        fuzz(operation, headers, None, findings)
        real = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
        if real:
            fuzz(operation, headers, real, findings)
        # schemathesis' coverage phase: boundary values, valid and invalid, deterministically.
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation),
        ):
            call_and_check(case, label, headers, findings)
    elapsed = time.perf_counter() - started

    print(
        f"\nschema fuzz: {sum(findings.calls.values())} requests to {len(findings.calls)} operations "
        f"in {elapsed:.0f}s, statuses {dict(sorted(findings.statuses.items()))}; "
        f"problems in {len(findings.problems)} operations"
    )
    report = summary(findings)
    assert not findings.problems, (
        f"schemathesis found problems in {len(findings.problems)} operations:\n{report}"
    )
    # Every operation of the document got requests (none was skipped by a generation error).
    assert len(findings.calls) == sum(1 for _ in schema.get_all_operations())


@pytest.mark.parametrize(
    ("url", "echoed"),
    [
        ("/citations?state=verified&offset={n}", "offset"),
        ("/diff?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&offset={n}", "offset"),
        ("/facts?offset={n}", "offset"),
        ("/events?after={n}", "after"),
    ],
)
async def test_paging_past_the_databases_64_bit_integers_matches_nothing_instead_of_a_500(
    seeded_client: Any, seeded_engine: Any, url: str, echoed: str
) -> None:
    token, _ = await create_token(seeded_engine, "auditor", "pager")
    headers = {"Authorization": f"Bearer {token}"}
    items = "facts" if url.startswith("/diff") else "items"
    first = await seeded_client.get(url.format(n=0), headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()[items] != []
    for n in (2**63 - 1, 2**63, 10**20):
        page = await seeded_client.get(url.format(n=n), headers=headers)
        assert page.status_code == 200, (n, page.text)
        assert (page.json()[items], page.json()[echoed]) == ([], n)
