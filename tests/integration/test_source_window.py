"""The source page shows a window of lines, never the whole document: a long source gave a page of tens of
megabytes that held the event loop for seconds. A citation's link opens the window holding its lines."""

from __future__ import annotations

import re

from api.web.windows import WINDOW_LINES, line_window
from archive.domain.sources import MAX_SOURCE_LINES
from tests.integration.test_writes import Client

ROW = re.compile(r'<tr id="L(\d+)"')
LONG = "a-long-source"


def shown_lines(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


async def register_long_source(client: Client, headers: dict[str, str], lines: int) -> None:
    text = "\n".join(f"Line {n} of a long register." for n in range(1, lines + 1))
    body = {
        "source_id": LONG,
        "title": "A long register",
        "origin": "test",
        "source_date": "2020",
        "text": text,
    }
    response = await client.post("/sources", json=body, headers=headers)
    assert response.status_code == 201, response.text


def line_citation(line: int) -> list[dict[str, object]]:
    """A citation of one line of the long register, quoting it whole."""
    quote = f"Line {line} of a long register."
    return [{"source_id": LONG, "line_start": line, "line_end": line, "quote": quote}]


async def record_membership(
    client: Client, headers: dict[str, str], year: str, line: int
) -> dict[str, object]:
    """A membership fact (valid from `year`) cited on one line of the long register."""
    body = {
        "subject": "kazakhstan",
        "predicate": "member_of",
        "object": "osce",
        "valid_from": year,
        "citations": line_citation(line),
    }
    response = await client.post("/facts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    fact: dict[str, object] = response.json()
    return fact


def test_a_window_is_aligned_holds_the_line_asked_for_and_stays_inside_the_document() -> None:
    assert line_window(1000) == line_window(1000, first=1)
    around = line_window(1000, line=450)
    assert (around.first, around.last, around.previous, around.next) == (401, 600, 201, 601)
    assert 450 in around
    assert 601 not in around
    end = line_window(1000, first=950)
    assert (end.first, end.last, end.next) == (950, 1000, None)
    assert line_window(1000, line=5000).last == 1000  # a link past the end shows the last lines
    assert line_window(3).first == 1
    assert line_window(3).last == 3
    assert line_window(MAX_SOURCE_LINES, line=MAX_SOURCE_LINES).last == MAX_SOURCE_LINES


async def test_the_source_page_shows_one_window_with_links_to_the_next(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    await register_long_source(seeded_client, headers["archivist"], 1000)
    first = await seeded_client.get(f"/ui/sources/{LONG}")
    assert first.status_code == 200
    assert shown_lines(first.text) == list(range(1, WINDOW_LINES + 1))
    assert f'href="/ui/sources/{LONG}?from={WINDOW_LINES + 1}" rel="next"' in first.text
    assert "Lines 1–200 of 1000" in first.text

    around = await seeded_client.get(f"/ui/sources/{LONG}", params={"line": 750})
    assert shown_lines(around.text) == list(range(601, 801))
    assert "Line 750 of a long register." in around.text
    assert f'href="/ui/sources/{LONG}?from=401" rel="prev"' in around.text

    last = await seeded_client.get(f"/ui/sources/{LONG}", params={"from": 950})
    assert shown_lines(last.text) == list(range(950, 1001))
    assert 'rel="next"' not in last.text


async def test_a_citations_link_opens_the_window_holding_its_quote(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    await register_long_source(seeded_client, headers["archivist"], 1000)
    fact = await record_membership(seeded_client, headers["archivist"], "1999", 777)
    fact_page = await seeded_client.get(f"/ui/facts/{fact['id']}")
    link = re.search(rf'href="(/ui/sources/{LONG}\?[^"]+)"', fact_page.text)
    assert link is not None
    source_page = await seeded_client.get(link.group(1).replace("&amp;", "&"))
    assert 777 in shown_lines(source_page.text)
    assert '<mark class="quote">Line 777 of a long register.</mark>' in source_page.text
    # Asked by the fact alone, the page opens at its quote too.
    by_fact = await seeded_client.get(f"/ui/sources/{LONG}", params={"fact": fact["id"]})
    assert 777 in shown_lines(by_fact.text)


async def test_a_retracted_fact_is_struck_through_and_no_longer_counts_as_citing(
    seeded_client: Client, headers: dict[str, dict[str, str]]
) -> None:
    await register_long_source(seeded_client, headers["archivist"], 300)
    fact = await record_membership(seeded_client, headers["archivist"], "1998", 250)
    before = await seeded_client.get(f"/ui/sources/{LONG}", params={"line": 250})
    assert "cited by 1 fact<" in before.text
    assert '<tr id="L250" class="cited' in before.text
    retraction = {
        "expected_version": fact["version"],
        "reason_code": "other",
        "justification": "test: the line says no such thing",
        "citations": line_citation(250),
    }
    retracted = await seeded_client.post(
        f"/facts/{fact['id']}/retractions", json=retraction, headers=headers["archivist"]
    )
    assert retracted.status_code == 200, retracted.text
    after = await seeded_client.get(f"/ui/sources/{LONG}", params={"line": 250})
    assert "cited by 0 facts" in after.text
    assert '<tr id="L250" class="' in after.text
    assert '<tr id="L250" class="cited' not in after.text
    assert '<del class="line-fact retracted">' in after.text
