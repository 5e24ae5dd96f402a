"""The pages in a real browser (Debian's chromium, driven by Playwright) against a live server."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import fact_id, sign_in
from tests.browser.server import LiveServer
from tests.conftest import SEEDS as SEED_FOLDER

SEEDS = SEED_FOLDER / "documents"


def _normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_search_then_fact_then_the_quote_is_highlighted_in_the_source(
    browser: Browser, base_url: str, javascript: bool
) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/ui/search")
    if javascript:
        assert page.evaluate("typeof htmx") == "object"  # served from /static, no CDN
        page.evaluate("window.__same_page = true")
    page.get_by_label("Text").fill("Helsinki")
    page.get_by_label("Predicate").select_option(label="adopted")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    # Two facts: the year one document states, and the year another only implies ("derived 1975").
    adopted = results.locator("tbody tr", has_text="Helsinki Final Act adopted")
    expect(adopted).to_have_count(2)
    row = adopted.filter(has_not_text="derived")
    expect(row).to_have_count(1)
    if javascript:
        # htmx updated the results in place and put the search in the address bar.
        assert page.evaluate("window.__same_page") is True
        expect(page).to_have_url(re.compile(r"/ui/search\?.*q=Helsinki"))

    row.get_by_role("link", name=re.compile(r"^Open")).click()
    expect(page.locator("h1")).to_contain_text("Helsinki Final Act adopted")
    expect(page.locator(".valid-time")).to_contain_text("1975")
    citation = page.locator("article.citation").first
    quote = citation.locator("q.quote").inner_text()
    # On the fact page already, the quote is marked inside the source lines it cites.
    expect(citation.locator("mark.quote").first).to_be_visible()

    citation.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/ui/sources/[^?]+\?fact=[0-9a-f-]+&line=\d+#L\d+$"))
    marks = page.locator("table.document mark.quote")
    expect(marks.first).to_be_visible()
    highlighted = " ".join(marks.all_inner_texts())
    assert _normalised(highlighted) == _normalised(quote)
    line = re.search(r"#L(\d+)$", page.url)
    assert line is not None
    expect(page.locator(f"#L{line.group(1)}")).to_have_class(re.compile(r"\bhighlighted\b"))
    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()


def _char_point(page: Page, line: int, offset: int, edge: str) -> tuple[float, float]:
    """Viewport coordinates of the left or right edge of one character of a source line (whose text may be
    cut into runs by the marks of a quote)."""
    box = page.evaluate(
        """([line, offset]) => {
            const walker = document.createTreeWalker(
                document.querySelector(`.document-select [data-line="${line}"]`), NodeFilter.SHOW_TEXT);
            let node = walker.nextNode();
            while (offset >= node.length) {
                offset -= node.length;
                node = walker.nextNode();
            }
            const range = document.createRange();
            range.setStart(node, offset);
            range.setEnd(node, offset + 1);
            const r = range.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        }""",
        [line, offset],
    )
    x = box["x"] + 1 if edge == "left" else box["x"] + box["width"] - 1
    return x, box["y"] + box["height"] / 2


def _select_with_the_mouse(page: Page, first: int, start: int, last: int, end: int) -> None:
    """Drag from character `start` of line `first` to the character before `end` on line `last`."""
    page.locator(f'.document-select [data-line="{first}"]').scroll_into_view_if_needed()
    page.mouse.move(*_char_point(page, first, start, "left"))
    page.mouse.down()
    page.mouse.move(*_char_point(page, last, end - 1, "right"), steps=8)
    page.mouse.up()


def _line_text(page: Page, line: int) -> str:
    return page.locator(f'.document-select [data-line="{line}"]').text_content() or ""


def _pick_evidence(page: Page, citation: dict[str, object], words: int = 6) -> str:
    """Select the first words of a citation's quote in the edit page's text; return the quote they make."""
    line = int(str(citation["line_start"]))
    text = _line_text(page, line)
    quote = " ".join(str(citation["quote"]).split()[:words])
    start = text.index(quote)
    _select_with_the_mouse(page, line, start, line, start + len(quote))
    return quote


def test_record_a_fact_by_selecting_its_quote(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.tokens["archivist"], then="/ui/sources/chairmanship-preparation/record")
    first = page.locator('.document-select [data-line="21"]').inner_text()
    second = page.locator('.document-select [data-line="22"]').inner_text()
    start, end = first.index("Kazakhstan established"), second.index("Task Force") + len("Task Force") + 1

    # Drag with the mouse from "Kazakhstan" on line 21 to the closing quotation mark on line 22.
    _select_with_the_mouse(page, 21, start, 22, end)

    expected = f"{first[start:].strip()} {second[:end].strip()}"
    expect(page.get_by_label("First line")).to_have_value("21")
    expect(page.get_by_label("Last line")).to_have_value("22")
    expect(page.get_by_label("Quote")).to_have_value(expected)

    page.get_by_label("Subject (entity id)").fill("kazakhstan")
    page.get_by_label("Predicate").select_option("established")
    page.get_by_label("Object (entity id)").fill("osce-task-force")
    page.get_by_label("Point in time").fill("2009")
    page.get_by_label("Note").fill("Recorded in a browser test.")
    page.get_by_role("button", name="Record fact").click()

    expect(page.get_by_role("status")).to_contain_text("The fact was recorded.")
    expect(page.locator("h1")).to_contain_text("Kazakhstan established")
    citation = page.locator("article.citation").first
    expect(citation).to_contain_text("lines 21–22")
    assert _normalised(" ".join(citation.locator("mark.quote").all_inner_texts())) == _normalised(expected)
    expect(page.locator("table.history")).to_contain_text("Ada Archivist")


def test_a_correction_against_a_stale_version_shows_the_conflict_and_writes_nothing(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    target = fact_id(
        api,
        subject="kazakhstan",
        predicate="chaired",
        object="group-for-cooperation-with-the-mediterranean-partners",
    )
    before = api.get(f"/facts/{target}").raise_for_status().json()
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{target}/edit")
    form = page.locator("#correct-form")
    expect(form.locator('input[name="expected_version"]')).to_have_value(str(before["version"]))

    # Another archivist re-ranks the fact while this form is open.
    api.post(
        f"/facts/{target}/rank",
        json={
            "expected_version": before["version"],
            "rank": "preferred",
            "justification": "Checked the minutes.",
        },
    ).raise_for_status()

    citation = before["citations"][0]
    form.get_by_label("Valid from").fill("2008")
    form.get_by_label("Reason code").select_option("valid_time_shift")
    form.get_by_label("Justification").fill("The chair began a year earlier.")
    quote = _pick_evidence(page, citation)
    expect(form.get_by_label("Quote")).to_have_value(quote)
    form.get_by_role("button", name="Record correction").click()

    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text(f"You decided against version {before['version']}")
    expect(conflict).to_contain_text(f"now at version {before['version'] + 1}")
    expect(conflict).to_contain_text("Checked the minutes.")
    current = page.locator(".current-value")
    expect(current).to_contain_text("preferred")
    expect(current.locator(".valid-time")).to_contain_text(before["valid_from"]["value"])
    # What was typed is kept, ready to apply to the current version once checked.
    expect(page.locator("#correct-form").get_by_label("Valid from")).to_have_value("2008")
    expect(page.locator("#correct-form").get_by_label("Quote")).to_have_value(quote)
    expect(page.locator('#correct-form input[name="expected_version"]')).to_have_value(
        str(before["version"] + 1)
    )

    after = api.get(f"/facts/{target}").raise_for_status().json()
    assert after["version"] == before["version"] + 1
    assert after["rank"] == "preferred"
    assert after["valid_from"] == before["valid_from"]


def test_a_correction_then_the_as_of_view_shows_the_old_value(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    target = fact_id(api, subject="kazakhstan", predicate="announced", valid_at="2003")
    before = api.get(f"/facts/{target}").raise_for_status().json()
    old = before["point_in_time"]["value"]
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{target}/edit")

    form = page.locator("#correct-form")
    citation = before["citations"][0]
    form.get_by_label("Point in time").fill("2003")
    form.get_by_label("Reason code").select_option("precision_refinement")
    form.get_by_label("Justification").fill("The source gives the year only.")
    quote = _pick_evidence(page, citation, words=len(citation["quote"].split()))
    expect(form.get_by_label("First line")).to_have_value(str(citation["line_start"]))
    form.get_by_role("button", name="Record correction").click()

    expect(page.get_by_role("status")).to_contain_text("The correction was recorded.")
    expect(page.locator(".valid-time")).to_have_text(re.compile(r"at 2003 \(year\)"))
    expect(page.locator(".fact-version")).to_have_text(str(before["version"] + 1))
    # The history says what the correction changed, old → new.
    change = page.locator('table.history tr.shown-version li.change[data-field="point_in_time"]')
    expect(change).to_have_text(f"point in time: {old} → 2003")
    history = api.get(f"/facts/{target}/history").raise_for_status().json()["events"]
    [corrected] = [e for e in history if e["version"] == before["version"] + 1]
    assert [(c["line_start"], c["quote"]) for c in corrected["data"]["citations"]] == [
        (citation["line_start"], quote)
    ]

    page.locator(f'a.as-of-link[data-version="{before["version"]}"]').click()
    expect(page.locator(".notice.as-of")).to_contain_text("as the archive believed it at")
    expect(page.locator(".valid-time")).to_contain_text(f"at {old} (month)")
    expect(page.locator(".fact-version")).to_have_text(str(before["version"]))
    expect(page.locator(".notice.as-of")).to_contain_text(f"it is now at version {before['version'] + 1}")


# -- the edit page: evidence picked in the text ------------------------------------------------------

MINUTES = [
    "Minutes of the meeting",
    "The delegation announced a mission to the region.",
    "That announcement was withdrawn the next day,",
    "as the chair told the meeting on its second day.",
]


def _fact_on_fresh_minutes(api: httpx.Client) -> dict[str, object]:
    """A fact citing line 2 of a source of its own: the live server is shared by the whole session."""
    source_id = f"browser-minutes-{uuid.uuid4().hex[:8]}"
    api.post(
        "/sources",
        json={
            "source_id": source_id,
            "title": "Minutes of a meeting",
            "origin": "a browser test",
            "source_date": "2021",
            "text": "\n".join(MINUTES),
        },
    ).raise_for_status()
    citation = {"source_id": source_id, "line_start": 2, "line_end": 2, "quote": MINUTES[1]}
    body = {"subject": "kazakhstan", "predicate": "announced", "value": f"a mission ({source_id})"}
    recorded: dict[str, object] = (
        api.post("/facts", json={**body, "point_in_time": "2021", "citations": [citation]})
        .raise_for_status()
        .json()
    )
    return recorded


def _last_event(api: httpx.Client, fact: dict[str, object]) -> dict[str, Any]:
    events: list[dict[str, Any]] = api.get(f"/facts/{fact['id']}/history").raise_for_status().json()["events"]
    return events[-1]


def test_a_retraction_takes_its_required_evidence_from_words_selected_in_the_text_and_its_chosen_reason(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    fact = _fact_on_fresh_minutes(api)
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{fact['id']}/edit")
    # No reason code is chosen for the archivist, on any form.
    for form_id in ("correct-form", "rerank-form", "retract-form"):
        expect(page.locator(f"#{form_id}").get_by_label("Reason code")).to_have_value("")
    retract = page.locator("#retract-form")
    expect(retract.locator("fieldset.evidence legend")).to_have_text("Evidence citation (required)")
    for label in ("Reason code", "Justification", "First line", "Quote"):
        expect(retract.get_by_label(label)).to_have_attribute("aria-required", "true")
    # The text beside the forms is the cited source's, the words the fact cites marked.
    expect(page.locator('.document-select [data-line="2"] mark.quote')).to_have_text(MINUTES[1])

    # Sent without a reason or evidence, the browser asks for them and sends nothing.
    retract.get_by_label("Justification").fill("The announcement was withdrawn.")
    retract.get_by_role("button", name="Retract fact").click()
    expect(page).to_have_url(re.compile(rf"/ui/facts/{fact['id']}/edit$"))
    assert retract.get_by_label("Reason code").evaluate("select => select.validity.valueMissing")
    assert retract.get_by_label("Quote").evaluate("quote => quote.validity.valueMissing")

    start = _line_text(page, 3).index("withdrawn")
    _select_with_the_mouse(page, 3, start, 4, _line_text(page, 4).index("chair") + len("chair"))
    picked = "withdrawn the next day, as the chair"
    for form in (page.locator("#correct-form"), retract):
        expect(form.get_by_label("First line")).to_have_value("3")
        expect(form.get_by_label("Last line")).to_have_value("4")
        expect(form.get_by_label("Quote")).to_have_value(picked)
    expect(page.locator(".select-line.picked")).to_have_count(2)
    expect(page.locator(".selection-status")).to_have_text(
        "Evidence for the correction and the retraction taken from lines 3–4."
    )
    retract.get_by_label("Reason code").select_option("other")
    retract.get_by_role("button", name="Retract fact").click()

    expect(page.get_by_role("status")).to_contain_text("The fact was retracted.")
    retraction = _last_event(api, fact)
    assert (retraction["event_type"], retraction["data"]["reason_code"]) == ("fact.retracted", "other")
    [cited] = retraction["data"]["citations"]
    assert (cited["line_start"], cited["line_end"], cited["quote"]) == (3, 4, picked)

    # The entity forms share the reason code: it starts unchosen there too.
    page.goto("/ui/entities/kazakhstan/edit")
    expect(page.locator("#revise-form").get_by_label("Reason code")).to_have_value("")


def test_a_form_the_browser_did_not_check_is_refused_naming_each_missing_field_keeping_what_was_typed(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    fact = _fact_on_fresh_minutes(api)
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{fact['id']}/edit")
    page.evaluate("document.getElementById('retract-form').noValidate = true")  # as a browser that does not
    retract = page.locator("#retract-form")
    retract.get_by_label("Justification").fill("The announcement was withdrawn.")
    retract.get_by_role("button", name="Retract fact").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not saved. reason code: choose the reason for the change")
    expect(alert).to_contain_text("evidence quote: a retraction needs evidence")
    retract = page.locator("#retract-form")
    for label in ("Reason code", "Quote"):
        expect(retract.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(retract.get_by_label("Quote")).to_have_accessible_description(
        re.compile("a retraction needs evidence: select the words in the source")
    )
    expect(retract.get_by_label("Justification")).to_have_value("The announcement was withdrawn.")
    expect(retract.get_by_label("Justification")).not_to_have_attribute("aria-invalid", "true")
    assert _last_event(api, fact)["event_type"] == "fact.recorded"


def test_evidence_is_taken_from_the_keyboard_by_its_line_numbers_then_shortened(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    fact = _fact_on_fresh_minutes(api)
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{fact['id']}/edit")
    form = page.locator("#correct-form")
    form.get_by_label("Point in time").fill("2021-05")
    form.get_by_label("Reason code").select_option("precision_refinement")
    form.get_by_label("Justification").fill("The minutes give the month.")
    take = form.get_by_role("button", name="Take the text of these lines")

    form.get_by_label("First line").fill("9")
    take.press("Enter")
    expect(form.locator(".take-lines-status")).to_contain_text("The text shown does not hold line 9")
    expect(form.get_by_label("First line")).to_be_focused()

    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    expect(take).to_be_focused()
    page.keyboard.press("Enter")
    quote = form.get_by_label("Quote")
    expect(quote).to_have_value(MINUTES[3])
    expect(quote).to_be_focused()
    expect(form.locator(".take-lines-status")).to_have_text(
        "Took the text of line 4: shorten the quote to the words that matter."
    )
    page.keyboard.press("Control+End")
    for _ in " on its second day.":
        page.keyboard.press("Backspace")
    expect(quote).to_have_value("as the chair told the meeting")
    # Only the form the lines were given in took them.
    expect(page.locator("#retract-form").get_by_label("Quote")).to_have_value("")
    form.get_by_role("button", name="Record correction").click()

    expect(page.get_by_role("status")).to_contain_text("The correction was recorded.")
    correction = _last_event(api, fact)
    assert correction["event_type"] == "fact.corrected"
    [cited] = correction["data"]["citations"]
    assert (cited["line_start"], cited["line_end"], cited["quote"]) == (4, 4, "as the chair told the meeting")


def test_without_javascript_the_edit_page_takes_evidence_typed_as_the_record_form_does(
    browser: Browser, base_url: str, live_server: LiveServer, api: httpx.Client
) -> None:
    fact = _fact_on_fresh_minutes(api)
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/facts/{fact['id']}/edit")
    form = page.locator("#correct-form")
    expect(form.get_by_role("button", name="Take the text of these lines")).to_be_hidden()
    form.get_by_label("Point in time").fill("2021-05")
    form.get_by_label("Reason code").select_option("precision_refinement")
    form.get_by_label("Justification").fill("The minutes give the month.")
    form.get_by_label("First line").fill("3")
    form.get_by_label("Quote").fill("That announcement was withdrawn")
    form.get_by_role("button", name="Record correction").click()

    expect(page.get_by_role("status")).to_contain_text("The correction was recorded.")
    [cited] = _last_event(api, fact)["data"]["citations"]
    assert (cited["line_start"], cited["line_end"], cited["quote"]) == (
        3,
        3,
        "That announcement was withdrawn",
    )
    context.close()


def test_the_timeline_draws_one_fuzzy_band_for_a_month_precision_start(page: Page, api: httpx.Client) -> None:
    membership = fact_id(api, subject="kazakhstan", predicate="member_of", object="osce")
    page.goto("/ui/entities/kazakhstan")
    chart = page.locator("svg.timeline-chart")
    expect(chart).to_be_visible()

    bands = chart.locator(f'.fuzzy-band[data-fact-id="{membership}"]')
    expect(bands).to_have_count(1)
    expect(bands).to_have_attribute("data-precision", "month")
    expect(bands).to_have_attribute("data-bound", "start")
    # The band spans January 1992: one month of the axis, not a line on the 1st.
    ticks = {
        (t.text_content() or ""): float(t.get_attribute("x") or 0) for t in chart.locator(".tick-label").all()
    }
    years = sorted(int(year) for year in ticks)
    per_day = (ticks[str(years[1])] - ticks[str(years[0])]) / (
        datetime(years[1], 1, 1) - datetime(years[0], 1, 1)
    ).days
    width = float(bands.get_attribute("width") or 0)
    assert width == pytest.approx(31 * per_day, abs=0.05)
    # The start of the term is the band; its open end fades out, and there is no sharp start edge.
    expect(chart.locator(f'.open-end[data-fact-id="{membership}"]')).to_have_count(1)

    # A day-precision start is a sharp edge: no band.
    troika = fact_id(api, subject="kazakhstan", predicate="member_of", object="osce-troika", valid_at="2015")
    expect(chart.locator(f'.fuzzy-band[data-fact-id="{troika}"]')).to_have_count(0)

    # Contested facts (a contradicts link) are drawn in adjacent rows, with a marker.
    rows = chart.locator("g.row")
    ids = [rows.nth(i).get_attribute("data-fact-id") for i in range(rows.count())]
    rival = fact_id(
        api, subject="kazakhstan", predicate="elected_to_chair", object="osce", valid_at="2007-12"
    )
    preferred = fact_id(
        api, subject="kazakhstan", predicate="elected_to_chair", object="osce", valid_at="2007-11"
    )
    assert abs(ids.index(rival) - ids.index(preferred)) == 1
    group = chart.locator(f'g.row[data-fact-id="{rival}"]').get_attribute("data-contested-group")
    expect(chart.locator(f'.contested-mark[data-contested-group="{group}"]')).to_have_count(1)


def test_a_script_in_a_quote_is_shown_as_text_and_never_runs(page: Page, api: httpx.Client) -> None:
    payload = "<script>window.__injected = 'quote'</script>"
    text = "\n".join(
        [
            "An injected document",
            f"It says {payload} and <img src=x onerror=\"window.__injected = 'img'\"> too.",
            "The end.",
        ]
    )
    api.post(
        "/sources",
        json={
            "source_id": "injected-document",
            "title": "<b>Injected</b> <script>window.__injected = 'title'</script>",
            "origin": "a browser test",
            "source_date": "2020",
            "text": text,
        },
    ).raise_for_status()
    recorded = (
        api.post(
            "/facts",
            json={
                "subject": "kazakhstan",
                "predicate": "announced",
                "value": "<script>window.__injected = 'value'</script>",
                "point_in_time": "2020",
                "citations": [
                    {
                        "source_id": "injected-document",
                        "line_start": 2,
                        "line_end": 2,
                        "quote": f"It says {payload}",
                    }
                ],
            },
        )
        .raise_for_status()
        .json()
    )

    for path in (f"/ui/facts/{recorded['id']}", "/ui/sources/injected-document", f"/ui/search?q={payload}"):
        page.goto(path)
        assert page.evaluate("window.__injected") is None, path
        assert page.locator("script:not([src])").count() == 0, path
        assert page.locator("img[src='x'], b").count() == 0, path
    page.goto(f"/ui/facts/{recorded['id']}")
    expect(page.locator("mark.quote").first).to_contain_text(payload)
    expect(page.locator("h1")).to_contain_text("<script>window.__injected = 'value'</script>")
    page.goto(f"/ui/sources/injected-document?fact={recorded['id']}")
    expect(page.locator("h1")).to_have_text("<b>Injected</b> <script>window.__injected = 'title'</script>")
    expect(page.locator("#L2")).to_contain_text("<img src=x onerror=")


def test_the_auditor_sees_the_verified_chain_its_head_hash_the_log_and_a_diff(
    page: Page, live_server: LiveServer, auditor_api: httpx.Client
) -> None:
    report = auditor_api.get("/audit/verify").raise_for_status().json()
    sign_in(page, live_server.tokens["auditor"], then="/ui/audit/")
    expect(page.locator(".verify-result")).to_have_attribute("data-ok", "true")
    expect(page.locator(".head-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    checked = int(page.locator(".events-checked").inner_text())
    assert checked >= report["events_checked"]
    expect(page.locator("table.log tbody tr")).to_have_count(50)

    now = datetime.now(UTC)
    page.get_by_label("From (exclusive)").fill((now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page.get_by_label("To (inclusive)").fill((now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".diff-summary")).to_contain_text("added")
    expect(page.locator("table.diff tbody tr").first).to_be_visible()
    # Each fact's net change names its fields with their new values.
    expect(page.locator('table.diff li.change[data-field="predicate"]').first).to_be_visible()


def test_an_archivist_cannot_open_the_audit_page(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.tokens["archivist"])
    response = page.goto("/ui/audit/")
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")


HEADINGS_AND_LABELS = """() => {
    const problems = [];
    const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1]));
    if (headings.filter(level => level === 1).length !== 1) problems.push('not exactly one h1');
    headings.forEach((level, i) => {
        if (i > 0 && level > headings[i - 1] + 1) problems.push(`h${headings[i - 1]} then h${level}`);
    });
    for (const control of document.querySelectorAll('input, select, textarea')) {
        if (control.type === 'hidden') continue;
        const labelled = control.labels.length > 0 || control.getAttribute('aria-label')
            || control.getAttribute('aria-labelledby');
        if (!labelled) problems.push(`unlabelled ${control.tagName} ${control.name}`);
    }
    return problems;
}"""


def test_pages_have_one_h1_headings_in_order_labelled_controls_and_a_skip_link(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    membership = fact_id(api, subject="kazakhstan", predicate="member_of", object="osce")
    sign_in(page, live_server.tokens["archivist"])
    paths = [
        "/ui/search?q=OSCE",
        f"/ui/facts/{membership}",
        f"/ui/facts/{membership}/edit",
        "/ui/entities/kazakhstan",
        "/ui/sources/general-information",
        "/ui/sources/general-information/record",
        "/ui/entities/",
        "/ui/sources/",
    ]
    for path in paths:
        page.goto(path)
        assert page.evaluate(HEADINGS_AND_LABELS) == [], path
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")


def test_a_new_source_version_flags_drifted_and_orphaned_citations(page: Page, api: httpx.Client) -> None:
    source = api.get("/sources/new-challenges-new-solutions").raise_for_status().json()
    original = (SEEDS / "new-challenges-new-solutions.txt").read_text(encoding="utf-8")
    assert "its first President Nursultan Nazarbayev" in original
    # One line more at the top moves every quote down a line; one quote is reworded away.
    revised = "A line added at the top.\n" + original.replace(
        "its first President Nursultan Nazarbayev", "its President"
    )
    written = api.post(
        "/sources",
        json={
            "source_id": source["id"],
            "title": source["title"],
            "origin": source["origin"],
            "source_date": source["source_date"]["value"],
            "text": revised,
            "expected_version": source["version"],
        },
    )
    assert written.status_code == 200, written.text
    current = api.get("/sources/new-challenges-new-solutions").raise_for_status().json()

    page.goto("/ui/sources/new-challenges-new-solutions")
    expect(page.locator(".source-version")).to_have_text("2")
    expect(page.locator(".source-sha256")).to_have_text(current["content_sha256"])
    flagged = page.locator("ul.flagged")
    # Every citation whose quote held the reworded words is orphaned, and only those (the API agrees).
    orphaned = api.get("/citations", params={"state": "orphaned", "limit": 500}).raise_for_status().json()
    lost = [c for c in orphaned["items"] if c["source_id"] == "new-challenges-new-solutions"]
    assert lost
    assert all("its first President Nursultan Nazarbayev" in c["quote"] for c in lost)
    expect(flagged.locator("li.citation-orphaned")).to_have_count(len(lost))
    expect(flagged.locator("li.citation-orphaned").first).to_contain_text(
        "its first President Nursultan Nazarbayev"
    )
    expect(flagged.locator("li.citation-drifted").first).to_contain_text("now at line")
    # The drifted quotes are marked at their new lines: line 11 is cited, line 10 is not any more.
    expect(page.locator("#L11")).to_have_class(re.compile(r"\bcited\b"))
    expect(page.locator("#L10")).not_to_have_class(re.compile(r"\bcited\b"))

    flagged.locator("li.citation-orphaned a").first.click()
    expect(page.locator("article.citation.state-orphaned")).to_contain_text("no longer contains this quote")


def test_a_search_at_a_date_names_entities_as_they_were_and_keeps_only_what_surely_held(
    page: Page, api: httpx.Client
) -> None:
    page.goto("/ui/search")
    page.get_by_label("Valid at").fill("1993")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    # The organisation was the CSCE in 1993: the page says so, with today's name beside it.
    expect(results.locator("a[href='/ui/entities/osce']").first).to_have_text(
        "Conference on Security and Cooperation in Europe"
    )
    expect(results.locator(".now-named").first).to_contain_text("(now Organization for Security")

    surely = api.get("/facts", params={"valid_at": "1992", "certainty": "definite"}).raise_for_status().json()
    page.get_by_label("Valid at").fill("1992")
    page.get_by_label("surely held").check()
    page.get_by_role("button", name="Search").click()
    expect(results.locator("tbody tr")).to_have_count(surely["total"])
    expect(results.locator(".badge.certainty-possible")).to_have_count(0)

    page.get_by_label("Valid at").fill("1800")
    page.get_by_label("held or may have held").check()
    page.get_by_label("also undated facts").check()
    page.get_by_role("button", name="Search").click()
    undated = api.get("/facts", params={"valid_at": "1800", "undated": "true"}).raise_for_status().json()
    expect(results.locator(".count")).to_contain_text(str(undated["total"]))
    expect(results.locator(".badge.certainty-undated").first).to_be_visible()


def test_a_text_search_lists_the_best_match_first_and_where_each_matched(
    page: Page, api: httpx.Client
) -> None:
    ranked = api.get("/facts", params={"q": "Helsinki Final", "limit": 5}).raise_for_status().json()
    assert ranked["total"] > 1
    shown = {"subject": "subject", "object": "object", "value": "value"}
    shown |= {"qualifiers.note": "note", "citations.quote": "quote"}

    page.goto("/ui/search")
    page.get_by_label("Text").fill("Helsinki Final")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    expect(results.locator(".count")).to_contain_text(f"{ranked['total']} facts, best match first")
    rows = results.locator("tbody tr")
    # The page lists the facts in the API's order, each with the fields its words were found in.
    for n, item in enumerate(ranked["items"]):
        expect(rows.nth(n).locator("a.open-fact")).to_have_attribute("href", f"/ui/facts/{item['id']}")
        fields = ranked["matches"][item["id"]]["fields"]
        expect(rows.nth(n).locator("td.matched")).to_have_text(", ".join(shown[f] for f in fields))

    page.get_by_label("Text").fill("%%")
    page.get_by_role("button", name="Search").click()
    expect(results.get_by_role("alert")).to_contain_text("Text: holds no word to search for")
    expect(results.locator("tbody tr")).to_have_count(0)


# -- entity forms ----------------------------------------------------------------------------------


def _new_entity_id(stem: str) -> str:
    """An id no other test uses: the live server is shared by the whole session."""
    return f"{stem}-{uuid.uuid4().hex[:8]}"


def test_an_archivist_creates_an_entity_revises_it_and_merges_a_duplicate_into_it(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    entity_id = _new_entity_id("browser-delegation")
    sign_in(page, live_server.tokens["archivist"], then="/ui/entities/")
    page.get_by_role("link", name="New entity").click()
    form = page.locator("#entity-form")
    form.get_by_label("Id").fill(entity_id)
    form.get_by_label("Kind").select_option("body")
    form.get_by_label("Label").fill("Browser Delegaton")
    form.get_by_label("Aliases (one a line)").fill("BD\nThe Delegation")
    form.get_by_role("button", name="Create entity").click()

    expect(page.get_by_role("status")).to_contain_text("Entity created.")
    expect(page.locator("h1")).to_have_text("Browser Delegaton")
    expect(page.locator("main")).to_contain_text("Also called: BD; The Delegation")
    assert api.get(f"/entities/{entity_id}").raise_for_status().json()["version"] == 1

    page.get_by_role("link", name="Revise or merge").click()
    revise = page.locator("#revise-form")
    revise.get_by_label("Label").fill("Browser Delegation")
    revise.get_by_label("Reason code").select_option("transcription_error")
    revise.get_by_label("Justification").fill("The label was misspelt.")
    revise.get_by_role("button", name="Record revision").click()

    expect(page.get_by_role("status")).to_contain_text("Entity revised.")
    expect(page.locator("h1")).to_have_text("Browser Delegation")
    revised = api.get(f"/entities/{entity_id}").raise_for_status().json()
    # The aliases were left as shown, so the revision did not send them.
    assert (revised["label"], revised["aliases"], revised["version"]) == (
        "Browser Delegation",
        ["BD", "The Delegation"],
        2,
    )

    duplicate = _new_entity_id("browser-duplicate")
    api.post(
        "/entities", json={"entity_id": duplicate, "kind": "body", "label": "Delegation (duplicate)"}
    ).raise_for_status()
    page.goto(f"/ui/entities/{duplicate}/edit")
    merge = page.locator("#merge-form")
    merge.get_by_label("The same as (entity id)").fill(entity_id)
    merge.get_by_label("Justification").fill("One delegation, entered twice.")
    merge.get_by_role("button", name="Review the merge").click()

    # The second step shows both entities as they are; nothing is written yet.
    expect(page.locator("table.merge-sides")).to_contain_text("Delegation (duplicate)")
    expect(page.locator("table.merge-sides")).to_contain_text("Browser Delegation")
    assert api.get(f"/entities/{duplicate}").raise_for_status().json()["redirected_from"] is None
    page.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("status")).to_contain_text("Merged")
    expect(page.locator("#merged-from")).to_contain_text(duplicate)
    assert api.get(f"/entities/{duplicate}").raise_for_status().json()["id"] == entity_id

    # The merged entity's page leads to its target, saying where the reader came from.
    page.goto(f"/ui/entities/{duplicate}")
    expect(page).to_have_url(re.compile(rf"/ui/entities/{entity_id}\?redirected_from={duplicate}$"))
    expect(page.locator("#redirected-from")).to_contain_text(f"Redirected from {duplicate}")
    # Its own history is kept, ending with the merge; it has no forms any more.
    page.goto(f"/ui/entities/{duplicate}/edit")
    expect(page.locator("#merged-into")).to_contain_text(f"{duplicate} was merged into Browser Delegation")
    expect(page.locator("ol.history li")).to_have_count(2)
    expect(page.locator("ol.history li").last).to_contain_text("entity.merged_into by Ada Archivist")
    expect(page.locator("#revise-form")).to_have_count(0)
    for path in ("/ui/entities/new", f"/ui/entities/{entity_id}/edit"):
        page.goto(path)
        assert page.evaluate(HEADINGS_AND_LABELS) == [], path


def test_an_entity_revision_against_a_stale_version_shows_the_conflict_and_writes_nothing(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    entity_id = _new_entity_id("browser-council")
    api.post(
        "/entities", json={"entity_id": entity_id, "kind": "body", "label": "Council"}
    ).raise_for_status()
    sign_in(page, live_server.tokens["archivist"], then=f"/ui/entities/{entity_id}/edit")
    expect(page.locator('#revise-form input[name="expected_version"]')).to_have_value("1")

    # Another archivist revises the entity while this form is open.
    api.post(
        f"/entities/{entity_id}/revisions",
        json={
            "expected_version": 1,
            "changes": {"aliases": ["The Council"]},
            "reason_code": "better_source",
            "justification": "The minutes call it so.",
        },
    ).raise_for_status()

    revise = page.locator("#revise-form")
    revise.get_by_label("Label").fill("Council of Ministers")
    revise.get_by_label("Reason code").select_option("better_source")
    revise.get_by_label("Justification").fill("Its full name.")
    revise.get_by_role("button", name="Record revision").click()

    expect(page.locator("#conflict")).to_contain_text("You decided against version 1")
    expect(page.locator("#conflict")).to_contain_text("is at version 2, not 1")
    expect(page.locator(".current-version")).to_have_text("2")
    expect(page.locator("ol.history")).to_contain_text("The minutes call it so.")
    # What was typed is kept, ready to apply to the current version once checked.
    expect(page.locator("#revise-form").get_by_label("Label")).to_have_value("Council of Ministers")
    expect(page.locator('#revise-form input[name="expected_version"]')).to_have_value("2")
    after = api.get(f"/entities/{entity_id}").raise_for_status().json()
    assert (after["label"], after["version"]) == ("Council", 2)

    # Submitted again on the current version, it changes the label only: the aliases the other archivist
    # set are kept, since this form never changed them (it sends only what the archivist changed).
    page.locator("#revise-form").get_by_role("button", name="Record revision").click()
    expect(page.get_by_role("status")).to_contain_text("Entity revised.")
    final = api.get(f"/entities/{entity_id}").raise_for_status().json()
    assert (final["label"], final["aliases"], final["version"]) == (
        "Council of Ministers",
        ["The Council"],
        3,
    )


def test_a_refused_entity_form_says_why_and_keeps_what_was_typed(
    page: Page, live_server: LiveServer, api: httpx.Client
) -> None:
    sign_in(page, live_server.tokens["archivist"], then="/ui/entities/new")
    form = page.locator("#entity-form")
    form.get_by_label("Id").fill("osce")
    form.get_by_label("Kind").select_option("organisation")
    form.get_by_label("Label").fill("Another OSCE")
    form.get_by_role("button", name="Create entity").click()
    expect(page.get_by_role("alert")).to_contain_text("entity 'osce' exists")
    expect(page.locator("#entity-form").get_by_label("Label")).to_have_value("Another OSCE")

    entity_id = _new_entity_id("browser-mission")
    api.post(
        "/entities", json={"entity_id": entity_id, "kind": "body", "label": "Mission"}
    ).raise_for_status()
    page.goto(f"/ui/entities/{entity_id}/edit")
    merge = page.locator("#merge-form")
    merge.get_by_label("The same as (entity id)").fill("kazakhstan")
    merge.get_by_label("Justification").fill("Wrongly thought the same.")
    merge.get_by_role("button", name="Review the merge").click()
    page.get_by_role("button", name="Merge").click()
    expect(page.get_by_role("alert")).to_contain_text("of kind body and 'kazakhstan' of kind country")
    assert api.get(f"/entities/{entity_id}").raise_for_status().json()["version"] == 1


def test_only_archivists_see_and_open_the_entity_forms(page: Page, live_server: LiveServer) -> None:
    page.goto("/ui/entities/kazakhstan")
    expect(page.get_by_role("link", name="Revise or merge")).to_have_count(0)
    page.goto("/ui/entities/")
    expect(page.get_by_role("link", name="New entity")).to_have_count(0)
    response = page.goto("/ui/entities/new")
    assert response is not None
    assert response.status == 401
    sign_in(page, live_server.tokens["auditor"])
    for path in ("/ui/entities/new", "/ui/entities/kazakhstan/edit"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, path
    expect(page.locator("h1")).to_have_text("Not allowed")


def test_a_fact_page_shows_the_facts_linking_to_it_and_leads_to_them_and_back(
    page: Page, api: httpx.Client
) -> None:
    plan = fact_id(api, subject="kazakhstan", predicate="chaired", object="osce", modality="planned")
    linked_from = api.get(f"/facts/{plan}").raise_for_status().json()["linked_from"]
    assert linked_from, "the seed records what fulfilled the plan"
    page.goto(f"/ui/facts/{plan}")
    shown = page.locator("dd.linked-from")
    expect(shown).to_have_count(len(linked_from))
    for link, entry in zip(linked_from, shown.all(), strict=True):
        expect(entry).to_have_attribute("data-relation", link["relation"])
        other = api.get(f"/facts/{link['fact_id']}").raise_for_status().json()
        anchor = entry.get_by_role("link")
        expect(anchor).to_have_attribute("href", f"/ui/facts/{link['fact_id']}")
        expect(anchor).to_contain_text(other["subject"]["label"])  # the other fact's statement
    first = linked_from[0]
    label = first["relation"].replace("_", " ").capitalize()  # "Fulfilled by"
    expect(page.locator("dl.summary dt", has_text=label)).to_have_count(
        sum(link["relation"] == first["relation"] for link in linked_from)
    )

    # To the fact that made the link: it shows its own link back to the plan.
    shown.first.get_by_role("link").click()
    page.wait_for_url(f"**/ui/facts/{first['fact_id']}")
    expect(page.locator(f'dl.summary a[href="/ui/facts/{plan}"]')).to_be_visible()
    theirs = api.get(f"/facts/{first['fact_id']}").raise_for_status().json()["linked_from"]
    expect(page.locator("dd.linked-from")).to_have_count(len(theirs))

    # As the archive believed it when the plan was first recorded, nothing linked to it yet.
    recorded = api.get(f"/facts/{plan}/history").raise_for_status().json()["events"][0]["recorded_at"]
    page.goto(f"/ui/facts/{plan}?as_of={recorded.replace('+', '%2B')}")
    expect(page.locator(".notice.as-of")).to_be_visible()
    expect(page.locator("dd.linked-from")).to_have_count(0)
