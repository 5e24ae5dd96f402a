"""Coverage by sentence on the seed corpus: every sentence of every source is cited or explained, and the
zero is earned (each sentence that one citation or one mark alone covers is uncovered without it); the
same answer from `archive coverage` and `GET /sources/{id}/coverage`; marks on a line's read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from archive.bootstrap import wire
from archive.coverage import FlatText, QuotedSpan, Sentence, coverage_of, follow_mark, split_sentences
from archive.domain.sources import split_lines
from archive.projections.citations import citations_table
from archive.projections.sources import sources_table
from archive.seeding import SeedMarks

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
Client = AsyncTestClient[Litestar]


def _archive_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ARCHIVE_LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_archive_coverage_reports_no_uncovered_sentence_on_the_seeded_corpus(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    target = tmp_path / "seeded.db"
    shutil.copyfile(seeded_sqlite_template, target)
    result = _archive_cli("coverage", str(SEEDS), database_url=f"sqlite+aiosqlite:///{target}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 sources scanned" in result.stdout
    assert "0 orphaned marks" in result.stdout
    assert result.stdout.rstrip().endswith("\n0 uncovered sentences")


def test_archive_coverage_fails_on_the_sentence_whose_only_mark_is_removed(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    target = tmp_path / "seeded.db"
    shutil.copyfile(seeded_sqlite_template, target)
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    facts_file = seeds / "facts" / "general-information.yaml"
    data = yaml.safe_load(facts_file.read_text(encoding="utf-8"))
    heading = next(m for m in data["no_fact_here"] if m["quote"] == "GENERAL INFORMATION")
    data["no_fact_here"].remove(heading)
    facts_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = _archive_cli("coverage", str(seeds), database_url=f"sqlite+aiosqlite:///{target}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "general-information:3-3: uncovered: GENERAL INFORMATION" in result.stdout
    assert result.stdout.rstrip().endswith("\n1 uncovered sentences")


async def _corpus(engine: AsyncEngine) -> dict[str, tuple[tuple[str, ...], list[QuotedSpan]]]:
    """Each source's stored lines and its citations at their current lines."""
    async with engine.connect() as conn:
        texts = dict((await conn.execute(select(sources_table.c.source_id, sources_table.c.text))).all())
        rows = await conn.execute(
            select(
                citations_table.c.source_id,
                citations_table.c.current_line_start,
                citations_table.c.current_line_end,
                citations_table.c.quote,
            )
        )
        cited: dict[str, list[QuotedSpan]] = {}
        for source_id, start, end, quote in rows:
            cited.setdefault(source_id, []).append(QuotedSpan(start, end, quote))
    return {source_id: (split_lines(text), cited.get(source_id, [])) for source_id, text in texts.items()}


async def test_the_zero_is_earned_a_sentence_covered_by_one_quote_alone_is_uncovered_without_it(
    seeded_engine: AsyncEngine,
) -> None:
    """For every citation and every mark that alone covers some sentence, removing it uncovers exactly
    the sentences it alone covered: the count of zero comes from the quotes, not from a lenient check."""
    marks = SeedMarks(SEEDS)()
    removed = {"citation": 0, "mark": 0}
    for source_id, (lines, cited) in (await _corpus(seeded_engine)).items():
        followed = [follow_mark(lines, mark) for mark in marks.get(source_id, [])]
        assert coverage_of(source_id, lines, cited, followed).uncovered == []
        flat = FlatText(lines)
        sentences = split_sentences(lines)
        quotes = [("citation", span) for span in cited] + [
            ("mark", QuotedSpan(m.mark.line_start, m.mark.line_end, m.mark.quote)) for m in followed
        ]

        def overlapping(
            span: QuotedSpan, flat: FlatText = flat, sentences: list[Sentence] = sentences
        ) -> set[int]:
            found = flat.find(span.quote, span.line_start, span.line_end)
            assert found is not None, span
            return {i for i, s in enumerate(sentences) if found[0] < s.end and s.start < found[1]}

        covers = [(kind, overlapping(span)) for kind, span in quotes]
        for index, (kind, mine) in enumerate(covers):
            others = set().union(*(c for i, (_, c) in enumerate(covers) if i != index))
            alone = mine - others
            if not alone:
                continue
            without = [span for i, (k, span) in enumerate(quotes) if i != index and k == "citation"]
            without_marks = [
                m
                for m in followed
                if ("mark", QuotedSpan(m.mark.line_start, m.mark.line_end, m.mark.quote)) != quotes[index]
            ]
            report = coverage_of(source_id, lines, without, without_marks)
            assert {(u.line_start, u.text) for u in report.uncovered} == {
                (sentences[i].line_start, sentences[i].text) for i in alone
            }
            removed[kind] += 1
    assert removed["citation"] > 0
    assert removed["mark"] > 0


async def test_the_api_and_the_cli_give_the_same_coverage_and_a_line_shows_its_marks(
    seeded_database_url: str, seeded_engine: AsyncEngine
) -> None:
    from api.app import create_app
    from archive.settings import Settings

    settings = Settings(
        database_url=seeded_database_url, log_format="json", log_level="WARNING", seeds_path=str(SEEDS)
    )
    marks = SeedMarks(SEEDS)()
    queries = wire(seeded_engine, SeedMarks(SEEDS)).reads
    async with AsyncTestClient(app=create_app(settings)) as client:
        for source_id in ("chairmanship-preparation", "general-information", "new-challenges-new-solutions"):
            response = await client.get(f"/sources/{source_id}/coverage")
            assert response.status_code == 200, response.text
            body = response.json()
            direct = await queries.source_coverage(source_id)
            assert body["uncovered"] == [] == direct.uncovered
            assert body["orphaned_marks"] == []
            assert body["sentences"] == body["covered"] == direct.sentences > 0
        mark = next(m for m in marks["general-information"] if m.quote == "GENERAL INFORMATION")
        line = (await client.get(f"/sources/general-information/lines/{mark.line_start}")).json()
        assert line["facts"] == []
        assert line["marks"] == [
            {
                "line_start": mark.line_start,
                "line_end": mark.line_end,
                "quote": mark.quote,
                "reason": mark.reason,
                "state": "verified",
            }
        ]
        cited = (await client.get("/sources/general-information/lines/4")).json()
        assert cited["facts"]
        assert cited["marks"] == []
        assert (await client.get("/sources/no-such-source/coverage")).status_code == 404
