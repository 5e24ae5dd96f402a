"""Findings (issue 26): what an archivist should look at, computed from the read models and kept current as
events arrive; a write that makes one still succeeds and names it; a dismissal is an event with a reason.
Every test runs on both databases and ends, where it wrote, with the read models equal to a rebuild."""

from __future__ import annotations

from typing import Any

import pytest

from archive.commands import Archive
from archive.eventstore import EventStore
from archive.projections import findings as findings_projection
from archive.projections.shadow import compare_with_rebuild
from tests.integration.test_writes import Client, assert_problem, citation
from tests.integration.test_writes import store as store

Json = dict[str, Any]
HCNM = "osce-high-commissioner-on-national-minorities"
# general-information.txt line 16, quoted exactly: the current High Commissioner's appointment.
LINE_16 = "From December 4, 2020 - Ambassador Kairat Abdrakhmanov (Kazakhstan) has been appointed"


def high_commissioner(holder: str, **dates: str) -> Json:
    """A term of the High Commissioner on National Minorities, cited on line 16."""
    return {
        "subject": holder,
        "predicate": "held_position",
        "object": HCNM,
        "qualifiers": {"organization": "osce"},
        **dates,
        "citations": [citation(16, LINE_16)],
        "reason": "test: a second High Commissioner",
    }


async def findings(client: Client, **params: Any) -> Json:
    response = await client.get("/findings", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    page: Json = response.json()
    return page


async def current_holder(client: Client) -> Json:
    """The seeded term of the current High Commissioner (from 2020-12-04, no end recorded)."""
    response = await client.get("/roles", params={"office": HCNM, "holder": "kairat-abdrakhmanov"})
    (term,) = response.json()["items"]
    return dict(term)


async def assert_rebuild_equal(archive: Archive) -> None:
    assert await compare_with_rebuild(archive.store, archive.projector) == []


async def test_a_second_high_commissioner_overlapping_the_current_one_is_a_finding_the_write_names(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    current = await current_holder(seeded_client)
    assert (await findings(seeded_client, entity=HCNM, kind="overlapping_holders"))["items"] == []

    response = await seeded_client.post(
        "/facts", json=high_commissioner("knut-vollebaek", valid_from="2022-03"), headers=h
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    (named,) = [f for f in recorded["findings"] if f["kind"] == "overlapping_holders"]
    assert {f["id"] for f in named["facts"]} == {recorded["id"], current["fact_id"]}
    assert {"kairat-abdrakhmanov", "knut-vollebaek", HCNM, "osce"} <= {e["id"] for e in named["entities"]}
    assert "Kairat Abdrakhmanov" in named["summary"]
    assert "one holder at a time" in named["summary"]
    assert named["sources"] == ["general-information"]
    # What resolves it: a link between the two, a rank, a correction or a retraction of either, a dismissal.
    actions = {(a["action"], a.get("fact_id")) for a in named["resolve"]}
    assert ("link", recorded["id"]) in actions or ("link", current["fact_id"]) in actions
    assert {("rank", recorded["id"]), ("correct", current["fact_id"]), ("dismiss", None)} <= actions

    # Listed by kind, by either holder, by the office and by the source; not by an unrelated entity.
    for params in (
        {"kind": "overlapping_holders"},
        {"entity": "kairat-abdrakhmanov"},
        {"entity": "knut-vollebaek"},
        {"entity": HCNM},
        {"source": "general-information", "kind": "overlapping_holders"},
        {"fact": recorded["id"]},
    ):
        assert named["id"] in {f["id"] for f in (await findings(seeded_client, **params))["items"]}, params
    assert named["id"] not in {f["id"] for f in (await findings(seeded_client, entity="austria"))["items"]}
    await assert_rebuild_equal(seeded_archive)

    # Deprecating the new term resolves it: the finding is gone, from the list and from the count.
    before = (await findings(seeded_client))["total"]
    reranked = await seeded_client.post(
        f"/facts/{recorded['id']}/rank",
        json={"expected_version": 1, "rank": "deprecated", "justification": "test: not a real term"},
        headers=h,
    )
    assert reranked.status_code == 200, reranked.text
    assert (await findings(seeded_client, entity=HCNM, kind="overlapping_holders"))["items"] == []
    assert (await findings(seeded_client))["total"] == before - 1
    await assert_rebuild_equal(seeded_archive)


async def test_terms_meeting_within_one_imprecise_date_are_a_handover_and_a_year_later_an_overlap(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    # Ends "2020-12": it may end on the 3rd, the day before the next term starts. A handover.
    handover = high_commissioner("knut-vollebaek", valid_from="2017", valid_to="2020-12")
    response = await seeded_client.post("/facts", json=handover, headers=h)
    assert response.status_code == 201, response.text
    assert response.json()["findings"] == []
    # Ends "2021": the current term surely started before that end. Two holders.
    overlap = high_commissioner("miklos-haraszti", valid_from="2018", valid_to="2021")
    response = await seeded_client.post("/facts", json=overlap, headers=h)
    assert response.status_code == 201, response.text
    kinds = [f["kind"] for f in response.json()["findings"]]
    # It overlaps the current term and the handover term above (2018-2020 within 2017-2020).
    assert kinds == ["overlapping_holders", "overlapping_holders"]
    await assert_rebuild_equal(seeded_archive)


async def test_a_dismissal_is_an_event_with_a_reason_refused_without_one_and_409_when_stale(
    seeded_client: Client, headers: dict[str, dict[str, str]], store: EventStore, seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    (finding,) = (await findings(seeded_client, kind="entity_without_facts"))["items"]
    assert finding["version"] == 0
    path = f"/findings/{finding['id']}/dismissals"
    good = {"expected_version": 0, "reason_code": "not_a_problem", "justification": "test: named elsewhere"}
    head = await store.head_position()

    for body, status, field in (
        ({**good, "justification": ""}, 400, "justification"),
        ({**good, "reason_code": "bored"}, 400, "reason_code"),
        ({k: v for k, v in good.items() if k != "expected_version"}, 400, "expected_version"),
        ({**good, "justification": "   "}, 422, "justification"),
        ({**good, "expected_version": 3}, 409, "expected_version"),
    ):
        problem = assert_problem(await seeded_client.post(path, json=body, headers=h), status)
        assert field in (problem.get("parameter", "") + problem["detail"]), (body, problem)
    assert_problem(
        await seeded_client.post("/findings/no-such-finding/dismissals", json=good, headers=h), 404
    )
    assert_problem(await seeded_client.post(path, json=good, headers=headers["auditor"]), 403)
    assert await store.head_position() == head  # nothing appended by any refusal

    response = await seeded_client.post(path, json=good, headers=h)
    assert response.status_code == 200, response.text
    dismissed = response.json()
    assert dismissed["version"] == 1
    assert dismissed["dismissed"]["reason_code"] == "not_a_problem"
    (event,) = await store.read_all(head, 10)
    assert event.event_type == "finding.dismissed"
    assert event.stream_id == f"finding:{finding['id']}"
    assert event.data["justification"] == "test: named elsewhere"

    # Listed no more, unless asked for with its dismissal; a second dismissal is refused.
    assert (await findings(seeded_client, kind="entity_without_facts"))["items"] == []
    shown = (await findings(seeded_client, kind="entity_without_facts", dismissed="true"))["items"]
    assert [f["id"] for f in shown] == [finding["id"]]
    assert_problem(await seeded_client.post(path, json=good, headers=h), 409)
    assert_problem(await seeded_client.post(path, json={**good, "expected_version": 1}, headers=h), 422)
    await assert_rebuild_equal(seeded_archive)


async def test_a_plan_is_a_finding_only_once_its_date_has_passed_on_the_day_read_and_until_fulfilled(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    plans = await seeded_client.get(
        "/facts",
        params={
            "subject": "kazakhstan",
            "object": "advisory-committee-on-management-and-finance",
            "modality": "planned",
        },
    )
    (plan,) = plans.json()["items"]
    assert plan["valid_from"]["value"] == "2009-10"

    def listed(page: Json) -> bool:
        return plan["id"] in {fact["id"] for f in page["items"] for fact in f["facts"]}

    # "In October 2009 Kazakhstan will assume chairmanship": due by the month's last day.
    assert not listed(await findings(seeded_client, kind="plan_passed", on="2009-10-31"))
    assert listed(await findings(seeded_client, kind="plan_passed", on="2009-11-01"))
    assert listed(await findings(seeded_client, kind="plan_passed"))  # today

    # A fact that fulfils it, linked to it: the plan is no finding on any day.
    done = {
        "subject": "kazakhstan",
        "predicate": "chaired",
        "object": "advisory-committee-on-management-and-finance",
        "valid_from": "2009-10",
        "citations": [
            citation(
                65, "In October 2009, Kazakhstan will assume chairmanship", "chairmanship-preparation", 66
            )
        ],
        "reason": "test: the chairmanship happened",
    }
    response = await seeded_client.post("/facts", json=done, headers=h)
    assert response.status_code == 201, response.text
    linked = await seeded_client.post(
        f"/facts/{response.json()['id']}/links",
        json={"relation": "fulfils", "target_fact_id": plan["id"], "expected_version": 1},
        headers=h,
    )
    assert linked.status_code == 200, linked.text
    assert not listed(await findings(seeded_client, kind="plan_passed"))
    await assert_rebuild_equal(seeded_archive)


async def test_facts_differing_only_in_precision_are_a_finding_until_linked(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    found = (await findings(seeded_client, kind="precision_variants", entity="helsinki-final-act"))["items"]
    (pair,) = found
    dates = sorted(f["point_in_time"]["value"] for f in pair["facts"])
    assert dates == ["1975", "derived 1975"]
    first, second = pair["facts"]
    linked = await seeded_client.post(
        f"/facts/{first['id']}/links",
        json={"relation": "supersedes", "target_fact_id": second["id"], "expected_version": first["version"]},
        headers=h,
    )
    assert linked.status_code == 200, linked.text
    assert (await findings(seeded_client, kind="precision_variants", entity="helsinki-final-act"))[
        "items"
    ] == []
    await assert_rebuild_equal(seeded_archive)


async def test_a_new_entity_whose_name_collides_is_two_findings_until_revised(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    created = await seeded_client.post(
        "/entities",
        json={
            "entity_id": "kazakh-republic",
            "kind": "country",
            "label": "Republic of Kazakhstan",
            "aliases": [],
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    about = await findings(seeded_client, entity="kazakh-republic")
    kinds = sorted(f["kind"] for f in about["items"])
    assert kinds == ["entity_without_facts", "name_collision"]
    (collision,) = [f for f in about["items"] if f["kind"] == "name_collision"]
    assert {e["id"] for e in collision["entities"]} == {"kazakh-republic", "kazakhstan"}

    revised = await seeded_client.post(
        "/entities/kazakh-republic/revisions",
        json={
            "expected_version": 1,
            "changes": {"label": "A test country"},
            "reason_code": "other",
            "justification": "test: a distinct name",
        },
        headers=h,
    )
    assert revised.status_code == 200, revised.text
    kinds = [f["kind"] for f in (await findings(seeded_client, entity="kazakh-republic"))["items"]]
    assert kinds == ["entity_without_facts"]
    await assert_rebuild_equal(seeded_archive)


async def test_findings_parameters_are_checked(seeded_client: Client) -> None:
    for params, name in (
        ({"kind": "everything"}, "kind"),
        ({"on": "2010-13-01"}, "on"),
        ({"limit": 0}, "limit"),
        ({"colour": "red"}, "colour"),
    ):
        problem = assert_problem(await seeded_client.get("/findings", params=params), 400)
        assert name in (problem.get("parameter", "") + problem["detail"]), (params, problem)
    # An offset past what the databases' integers hold is a page past the end, not a 500.
    beyond = await seeded_client.get("/findings", params={"offset": 2**70})
    assert beyond.status_code == 200, beyond.text
    assert beyond.json()["items"] == []
    assert beyond.json()["total"] > 0


async def test_the_home_page_counts_the_findings_and_the_findings_page_lists_them(
    seeded_client: Client,
) -> None:
    total = (await findings(seeded_client))["total"]
    assert total > 0
    home = await seeded_client.get("/ui/search")
    assert home.status_code == 200
    assert f">{total} findings</a>" in home.text
    listing = await seeded_client.get("/ui/findings/", params={"kind": "overlapping_holders"})
    assert listing.status_code == 200, listing.text
    assert (
        listing.text.count('data-kind="overlapping_holders"')
        == (await findings(seeded_client, kind="overlapping_holders"))["total"]
    )
    assert (await seeded_client.get("/ui/findings/", params={"kind": "everything"})).status_code == 200


async def test_a_fact_whose_every_citation_a_new_source_version_lost_is_a_finding_until_the_text_returns(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    current = await current_holder(seeded_client)
    whole = (await seeded_client.get("/sources/general-information", params={"text": "true"})).json()
    source = whole["source"]
    original = {
        "source_id": "general-information",
        "title": source["title"],
        "origin": source["origin"],
        "source_date": source["source_date"]["value"],
        "reason": "test: a new version",
    }

    def about_the_term(page: Json) -> list[Json]:
        return [f for f in page["items"] if current["fact_id"] in {fact["id"] for fact in f["facts"]}]

    assert about_the_term(await findings(seeded_client, kind="citations_unverified")) == []
    cut = await seeded_client.post(
        "/sources",
        json=original | {"text": "A text that keeps none of the old lines\n", "expected_version": 1},
        headers=h,
    )
    assert cut.status_code == 200, cut.text
    (lost,) = about_the_term(await findings(seeded_client, kind="citations_unverified"))
    assert lost["sources"] == ["general-information"]
    # A fact also cited in a source that still says it is no finding: one verified citation is enough.
    helsinki = await seeded_client.get(
        "/facts", params={"subject": "helsinki-final-act", "predicate": "adopted", "rank": "all"}
    )
    cited_elsewhere = [
        f["id"]
        for f in helsinki.json()["items"]
        if {c["source_id"] for c in f["citations"]} != {"general-information"}
    ]
    assert cited_elsewhere
    unverified = {
        fact["id"]
        for f in (await findings(seeded_client, kind="citations_unverified"))["items"]
        for fact in f["facts"]
    }
    assert not unverified & set(cited_elsewhere)
    await assert_rebuild_equal(seeded_archive)

    back = await seeded_client.post(
        "/sources", json=original | {"text": whole["text"], "expected_version": 2}, headers=h
    )
    assert back.status_code == 200, back.text
    assert about_the_term(await findings(seeded_client, kind="citations_unverified")) == []
    await assert_rebuild_equal(seeded_archive)


async def test_an_entity_with_a_name_too_long_to_compare_is_registered_all_the_same(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    label = "A very long name " * 100  # 1700 characters: longer than a finding's scope may be
    for entity_id in ("long-name-one", "long-name-two"):
        created = await seeded_client.post(
            "/entities",
            json={"entity_id": entity_id, "kind": "body", "label": label},
            headers=headers["archivist"],
        )
        assert created.status_code == 201, created.text
    kinds = [f["kind"] for f in (await findings(seeded_client, entity="long-name-two"))["items"]]
    assert kinds == ["entity_without_facts"]
    await assert_rebuild_equal(seeded_archive)


async def test_two_holders_of_an_office_with_the_longest_ids_are_a_finding(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]
    # 193 characters each, the longest an entity's stream name (entity:<id>, 200 at most) allows.
    office, organisation = "office-" + "x" * 186, "org-" + "y" * 189
    for entity_id, kind in ((office, "office"), (organisation, "organisation")):
        body = {"entity_id": entity_id, "kind": kind, "label": f"A test {kind}"}
        assert (await seeded_client.post("/entities", json=body, headers=h)).status_code == 201
    for holder, start in (("knut-vollebaek", "2020"), ("miklos-haraszti", "2021")):
        term = high_commissioner(holder, valid_from=start) | {
            "object": office,
            "qualifiers": {"organization": organisation},
        }
        response = await seeded_client.post("/facts", json=term, headers=h)
        assert response.status_code == 201, response.text
    kinds = [f["kind"] for f in response.json()["findings"]]
    assert kinds == ["overlapping_holders"]
    await assert_rebuild_equal(seeded_archive)


async def test_a_fact_that_surely_ended_before_its_entity_began_is_a_finding(
    seeded_client: Client, headers: dict[str, dict[str, str]], seeded_archive: Archive
) -> None:
    h = headers["archivist"]

    def located(valid_to: str) -> Json:
        return {
            "subject": "osce-center-in-almaty",
            "predicate": "located_in",
            "object": "almaty",
            "valid_to": valid_to,
            "citations": [citation(7, "1999 – The OSCE Center in Almaty was opened.")],
            "reason": "test: an end before the opening",
        }

    # Opened in "1999": an end within 1999 may be after the opening; an end in 1998 is surely before.
    same_year = await seeded_client.post("/facts", json=located("1999-03"), headers=h)
    assert same_year.status_code == 201, same_year.text
    assert same_year.json()["findings"] == []
    before = await seeded_client.post("/facts", json=located("1998"), headers=h)
    assert before.status_code == 201, before.text
    (found,) = before.json()["findings"]
    assert found["kind"] == "ends_before_beginning"
    early, dating = found["facts"]
    assert early["id"] == before.json()["id"]
    assert (dating["predicate"], dating["point_in_time"]["value"]) == ("opened", "1999")
    assert "ends before OSCE Center in Almaty began" in found["summary"]
    await assert_rebuild_equal(seeded_archive)

    # Deprecating the opening removes the beginning the finding was measured against.
    reranked = await seeded_client.post(
        f"/facts/{dating['id']}/rank",
        json={"expected_version": dating["version"], "rank": "deprecated", "justification": "test: doubtful"},
        headers=h,
    )
    assert reranked.status_code == 200, reranked.text
    assert (await findings(seeded_client, kind="ends_before_beginning"))["items"] == []
    await assert_rebuild_equal(seeded_archive)


async def test_findings_lost_between_a_write_and_their_catch_up_are_made_good_by_the_next_write(
    seeded_client: Client,
    headers: dict[str, dict[str, str]],
    seeded_archive: Archive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fact write is one trip to the database; its findings follow in a transaction of their own. When
    the process dies in between, the findings' checkpoint stays behind the log, and the next write's
    catch-up computes what was missed, whatever that write touches."""
    h = headers["archivist"]
    real_catch_up = findings_projection.catch_up

    async def died_before(*_: Any) -> None:
        return None

    monkeypatch.setattr(findings_projection, "catch_up", died_before)
    lost = await seeded_client.post(
        "/facts", json=high_commissioner("knut-vollebaek", valid_from="2022-03"), headers=h
    )
    assert lost.status_code == 201, lost.text
    assert (await findings(seeded_client, entity=HCNM, kind="overlapping_holders"))["items"] == []
    async with seeded_archive.store.engine.connect() as conn:
        assert await findings_projection.refreshed_through(conn) < await seeded_archive.store.head_position()

    monkeypatch.setattr(findings_projection, "catch_up", real_catch_up)
    # Another office, other entities: nothing of the lost write's scopes.
    unrelated = await seeded_client.post(
        "/facts",
        json=high_commissioner("united-states", valid_from="1990")
        | {"predicate": "member_of", "object": "osce"},
        headers=h,
    )
    assert unrelated.status_code == 201, unrelated.text
    (found,) = (await findings(seeded_client, entity=HCNM, kind="overlapping_holders"))["items"]
    assert lost.json()["id"] in {f["id"] for f in found["facts"]}
    await assert_rebuild_equal(seeded_archive)
