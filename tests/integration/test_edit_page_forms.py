"""The edit page's forms over HTTP, signed in with the cookie as a browser is, on every backend: no reason
code is chosen for the archivist, the evidence a correction or a retraction needs is marked required and
picked in a source's text shown on the page, and a form missing any of them is refused naming the field,
keeping what was typed and appending nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.web.archivist import REASON_CODES
from archive.bootstrap import wire
from archive.eventstore import EventStore
from tests.integration.test_writes import LINE_19_PART, SOURCE, Client, membership_1992, newest

Json = dict[str, Any]
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')
REASON_SELECT = re.compile(r'<select id="(\w+-)reason_code" name="reason_code"([^>]*)>(.*?)</select>', re.S)
OTHER_SOURCE = "chairmanship-preparation"


@pytest.fixture
def store(seeded_engine: AsyncEngine) -> EventStore:
    """The event store of the seeded database the client writes to."""
    return wire(seeded_engine).store


async def _csrf(client: Client, path: str) -> str:
    page = await client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


@pytest.fixture
async def archivist(seeded_client: Client, headers: dict[str, dict[str, str]]) -> Client:
    """The client, signed in to the pages as an archivist (the token in the cookie)."""
    token = headers["archivist"]["Authorization"].removeprefix("Bearer ")
    response = await seeded_client.post(
        "/ui/sign-in",
        data={"_csrf_token": await _csrf(seeded_client, "/ui/sign-in"), "token": token, "next": "/ui/search"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return seeded_client


async def _post(client: Client, fact: Json, action: str, form: dict[str, str]) -> Any:
    edit = f"/ui/facts/{fact['id']}/edit"
    data = {"_csrf_token": await _csrf(client, edit), "expected_version": str(fact["version"]), **form}
    return await client.post(f"/ui/facts/{fact['id']}/{action}", data=data, follow_redirects=False)


def _evidence(line: int, quote: str, source_id: str = SOURCE) -> dict[str, str]:
    return {
        "evidence_source_id": source_id,
        "evidence_line_start": str(line),
        "evidence_line_end": str(line),
        "evidence_quote": quote,
    }


def _field(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    found = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{element_id}"[^>]*>', html)
    assert found is not None, element_id
    return found.group(0)


async def test_no_reason_code_is_chosen_and_the_evidence_is_required_on_both_forms_that_need_it(
    archivist: Client,
) -> None:
    fact = await membership_1992(archivist)
    page = await archivist.get(f"/ui/facts/{fact['id']}/edit")
    assert page.status_code == 200

    selects = REASON_SELECT.findall(page.text)
    assert [prefix for prefix, _, _ in selects] == ["correct-", "rerank-", "retract-"]
    for _, attributes, options in selects:
        assert 'required aria-required="true"' in attributes
        # The first option is the empty one and the only one selected.
        assert re.match(r'\s*<option value="" selected>choose…</option>', options), options
        assert options.count("selected") == 1
    for prefix in ("correct-", "retract-"):
        for name in ("evidence_line_start", "evidence_quote"):
            assert 'required aria-required="true"' in _field(page.text, f"{prefix}{name}"), (prefix, name)
    assert page.text.count('Evidence citation <span class="required-marker">(required)</span>') == 2
    assert "(optional)" not in page.text

    # The text beside the forms is the cited source's, the quote the fact cites marked in its line.
    cited = fact["citations"][0]
    assert f'data-source-id="{cited["source_id"]}"' in page.text
    line = re.search(rf'<span class="text" data-line="{cited["line_start"]}">(.*?)</span></div>', page.text)
    assert line is not None
    assert f'<mark class="quote">{cited["quote"][:40]}' in line.group(1)
    assert page.text.count('<input type="hidden" name="evidence_source_id" value="general-information">') == 2


async def test_every_reason_code_needs_evidence_for_a_retraction_and_the_form_asks_for_it(
    archivist: Client, headers: dict[str, dict[str, str]], store: EventStore
) -> None:
    fact = await membership_1992(archivist)
    before = await store.count()
    for code in REASON_CODES:
        # The archive refuses a retraction without evidence whatever its reason: hence the required mark.
        api = await archivist.post(
            f"/facts/{fact['id']}/retractions",
            json={"expected_version": fact["version"], "reason_code": code, "justification": "test"},
            headers=headers["archivist"],
        )
        assert (api.status_code, api.json()["code"]) == (422, "evidence_required"), code

        form = {"reason_code": code, "justification": f"test: {code} without evidence"}
        response = await _post(archivist, fact, "retractions", form)
        assert response.status_code == 422, code
        assert "evidence quote: a retraction needs evidence" in response.text
        quote = _field(response.text, "retract-evidence_quote")
        assert 'aria-invalid="true"' in quote
        assert "retract-evidence_quote-error" in quote
        # What was typed is kept.
        assert f"test: {code} without evidence</textarea>" in response.text
        assert f'<option value="{code}" selected>' in response.text
    assert await store.count() == before


async def test_a_change_without_a_reason_code_is_refused_naming_it_and_appends_nothing(
    archivist: Client, store: EventStore
) -> None:
    fact = await membership_1992(archivist)
    before = await store.count()
    evidence = _evidence(19, LINE_19_PART)
    forms = {
        "corrections": ("correct-", {"valid_from": "1992", "was_valid_from": "1992-01", **evidence}),
        "rank": ("rerank-", {"rank": "preferred"}),
        "retractions": ("retract-", evidence),
    }
    for action, (prefix, form) in forms.items():
        response = await _post(archivist, fact, action, {**form, "justification": "test: no reason chosen"})
        assert response.status_code == 422, action
        assert "reason code: choose the reason for the change" in response.text, action
        assert 'aria-invalid="true"' in _field(response.text, f"{prefix}reason_code"), action
        assert "test: no reason chosen</textarea>" in response.text, action
        if "evidence_quote" in form:
            assert 'value="19"' in _field(response.text, f"{prefix}evidence_line_start"), action
    # All that is missing is named at once.
    empty = await _post(archivist, fact, "retractions", {})
    assert "reason code: choose the reason for the change; justification: say why" in empty.text
    assert "evidence quote: a retraction needs evidence" in empty.text
    assert await store.count() == before


async def test_evidence_picked_in_the_text_is_recorded_with_the_retraction(
    archivist: Client, store: EventStore
) -> None:
    fact = await membership_1992(archivist)
    form = {
        "reason_code": "misattribution",
        "justification": "test: another body",
        **_evidence(19, LINE_19_PART),
    }
    response = await _post(archivist, fact, "retractions", form)
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"/ui/facts/{fact['id']}?done=retracted"
    event = await newest(store)
    assert (event.event_type, event.data["reason_code"]) == ("fact.retracted", "misattribution")
    [cited] = event.data["citations"]
    assert (cited["source_id"], cited["line_start"], cited["line_end"], cited["quote"]) == (
        SOURCE,
        19,
        19,
        LINE_19_PART,
    )


async def test_the_text_shown_is_the_one_asked_for_or_the_one_a_refused_forms_evidence_came_from(
    archivist: Client, store: EventStore
) -> None:
    fact = await membership_1992(archivist)
    edit = f"/ui/facts/{fact['id']}/edit"
    other = await archivist.get(edit, params={"source": OTHER_SOURCE, "line": 21})
    assert other.status_code == 200
    assert f'data-source-id="{OTHER_SOURCE}"' in other.text
    assert f'<input type="hidden" name="evidence_source_id" value="{OTHER_SOURCE}">' in other.text
    assert '<mark class="quote">' not in other.text  # the fact cites nothing there
    assert (await archivist.get(edit, params={"source": "no-such-source"})).status_code == 404

    # A refused correction shows the text its evidence was picked in, those lines marked as picked.
    before = await store.count()
    form = {
        "valid_from": "1992",
        "was_valid_from": "1992-01",
        "reason_code": "precision_refinement",
        "justification": "test: words not on that line",
        **_evidence(21, "words that are not there", OTHER_SOURCE),
    }
    refused = await _post(archivist, fact, "corrections", form)
    assert refused.status_code == 422
    assert "the quote is not in line 21" in refused.text
    assert f'data-source-id="{OTHER_SOURCE}"' in refused.text
    assert '<div class="select-line picked" id="L21">' in refused.text
    assert 'aria-invalid="true"' in _field(refused.text, "correct-evidence_quote")
    assert "words that are not there</textarea>" in refused.text
    assert await store.count() == before


async def test_an_entity_revision_without_a_reason_code_is_refused_naming_it(
    archivist: Client, store: EventStore
) -> None:
    # The entity forms share the reason code's field: it starts unchosen and is asked for there too.
    edit = await archivist.get("/ui/entities/kazakhstan/edit")
    [(prefix, _, options)] = REASON_SELECT.findall(edit.text)
    assert (prefix, options.count("selected")) == ("revise-", 1)
    assert '<option value="" selected>choose…</option>' in options
    before = await store.count()
    current = {"kind": "country", "label": "Kazakhstan", "aliases": "Republic of Kazakhstan"}
    form = {f"was_{name}": value for name, value in current.items()} | current
    response = await archivist.post(
        "/ui/entities/kazakhstan/revisions",
        data={
            **form,
            "_csrf_token": await _csrf(archivist, "/ui/entities/kazakhstan/edit"),
            "expected_version": "1",
            "label": "Kazakhstan (the Republic)",
            "justification": "test: no reason chosen",
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "reason code: choose the reason for the change" in response.text
    assert 'value="Kazakhstan (the Republic)"' in response.text
    assert await store.count() == before
