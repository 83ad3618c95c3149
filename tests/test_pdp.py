"""The potentially dangerous persons list (issue 9, part 3) on SQLite and PostgreSQL: every access
rule its own test (docs/pdp.md tables them), the audit lines, the decisions and their reasons, the
history, the ranking's import (good, bad, all or nothing) and that the ranking never nominates
anyone by itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from learning_fixtures import FORCE_ORG, OTHER_ORG, PARTNER_ORG, People
from sqlalchemy import func, select, update
from test_web_security import ID_PARAM, Web, post_form, routes, sign_in
from typer.testing import CliRunner

from threadline.errors import InputError
from threadline.learning.audit import Actor
from threadline.learning.errors import Forbidden, Invalid
from threadline.learning.models import AuditEvent, Organisation
from threadline.pdp import proposals, service
from threadline.pdp.models import Nomination, PdpAction, PdpEvent, Proposal
from threadline.web.app import create_app

CORE = ["not_mappa", "present_likelihood", "serious_harm"]
RATIONALE = (
    "Three partners in four years, each reporting non-fatal strangulation; threats to kill the current "
    "partner last week; never convicted of a MAPPA-qualifying offence."
)
HEADER = proposals.COLUMNS


def ranking_row(rank: int, person: str, **kw) -> dict:
    row = {
        "as_of": "2025-06-30",
        "rank": rank,
        "person_id": person,
        "score": 9.5 - rank,
        "harm_90d": 120.5,
        "incidents_90d": 4,
        "incidents_prev_270d": 1,
        "victims": 2,
        "escalation": 3.0,
        "latest_incident_type": "threats to kill",
        "reasons": "4 incidents in 90 days, up from 1; latest: threats to kill; 2 victims",
    }
    row.update(kw)
    return row


def write_ranking(path: Path, rows: list[dict], header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


@pytest.fixture
def web(db_url, factory, people) -> Web:
    app = create_app(db_url)
    yield Web(app, factory, people)
    app.state.factory.kw["bind"].dispose()


def actor(s, people: People, name: str) -> Actor:
    return Actor(s.merge(getattr(people, name)), "127.0.0.1")


def nominate(
    factory,
    people: People,
    who: str = "force_contributor",
    person: str = "P0001",
    shared_with: tuple[str, ...] = (),
    criteria=CORE,
    **kw,
) -> int:
    with factory() as s, s.begin():
        n = service.nominate(
            s,
            actor(s, people, who),
            service.NominationFields(
                person_id=person, rationale=RATIONALE, criteria=list(criteria), shared_with=list(shared_with), **kw
            ),
        )
        return n.id


def audit_lines(factory, username: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.username == username).order_by(AuditEvent.id)))


def count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- the ranking proposes ----------------------------------------------------------------------------


def test_importing_a_ranking_creates_open_proposals_and_no_nomination(factory, people, tmp_path):
    path = write_ranking(
        tmp_path / "ranking.csv",
        [
            ranking_row(1, "P0001"),
            ranking_row(2, "P0002", escalation="", incidents_90d="4.0"),  # as pandas writes it
            ranking_row(3, "P0003", escalation="inf", harm_90d=""),
        ],
    )
    with factory() as s, s.begin():
        report = proposals.import_proposals(s, actor(s, people, "force_contributor"), path)
    assert report.rows == 3 and report.as_of == dt.date(2025, 6, 30) and report.organisation == FORCE_ORG
    with factory() as s:
        rows = list(s.scalars(select(Proposal).order_by(Proposal.rank)))
        assert [(p.rank, p.person_id, p.status) for p in rows] == [
            (1, "P0001", "open"),
            (2, "P0002", "open"),
            (3, "P0003", "open"),
        ]
        assert rows[0].reasons.startswith("4 incidents in 90 days") and rows[0].incidents_prev_270d == 1
        assert rows[1].escalation is None and rows[1].incidents_90d == 4 and rows[2].harm_90d is None
    assert count(factory, Nomination) == 0  # the ranking never puts anyone on the list, nor nominates them
    line = audit_lines(factory, "force.contributor")[-1]
    assert (line.action, line.object_type) == ("collect", "pdp_proposals") and "no one was nominated" in line.detail


@pytest.mark.parametrize(
    ("rows", "header", "where"),
    [
        ([ranking_row(1, "P1"), ranking_row(2, "P2", score="high")], HEADER, ("row 3", "field 'score'")),
        (
            [ranking_row(1, "P1"), ranking_row(2, "P2"), ranking_row(3, "P3", as_of="30/06/2025")],
            HEADER,
            ("row 4", "field 'as_of'"),
        ),
        ([ranking_row(1, "P1"), ranking_row(2, "P2", as_of="2025-07-01")], HEADER, ("row 3", "field 'as_of'")),
        ([ranking_row(1, "P1"), ranking_row(2, "P1")], HEADER, ("row 3", "field 'person_id'")),
        ([ranking_row(1, "P1"), ranking_row(0, "P2")], HEADER, ("row 3", "field 'rank'")),
        ([ranking_row(1, "P1", victims="-1")], HEADER, ("row 2", "field 'victims'")),
        ([ranking_row(1, "P1"), ranking_row(2, "P2", incidents_90d="2.5")], HEADER, ("row 3", "field 'incidents_90d'")),
        ([ranking_row(1, "")], HEADER, ("row 2", "field 'person_id'")),
        ([ranking_row(1, "P1", score="nan")], HEADER, ("row 2", "field 'score'")),
        ([ranking_row(1, "P1")], tuple(h for h in HEADER if h != "reasons"), ("row 1", "field 'reasons'")),
    ],
    ids=[
        "score",
        "date-format",
        "two-dates",
        "duplicate",
        "rank",
        "negative",
        "fraction",
        "no-person",
        "nan",
        "missing-column",
    ],
)
def test_a_bad_ranking_names_file_row_and_field_and_imports_nothing(factory, people, tmp_path, rows, header, where):
    path = write_ranking(tmp_path / "bad-ranking.csv", rows, header)
    with factory() as s, s.begin(), pytest.raises(InputError) as caught:
        proposals.import_proposals(s, actor(s, people, "force_contributor"), path)
    message = str(caught.value)
    assert "bad-ranking.csv" in message, message
    for part in where:
        assert part in message, message
    assert count(factory, Proposal) == 0  # all or nothing


def test_an_empty_ranking_or_a_reader_imports_nothing(factory, people, tmp_path):
    empty = write_ranking(tmp_path / "empty.csv", [])
    with factory() as s, s.begin(), pytest.raises(InputError, match="no rows"):
        proposals.import_proposals(s, actor(s, people, "force_contributor"), empty)
    good = write_ranking(tmp_path / "good.csv", [ranking_row(1, "P1")])
    with factory() as s, s.begin(), pytest.raises(Forbidden):
        proposals.import_proposals(s, actor(s, people, "force_reader"), good)
    assert count(factory, Proposal) == 0


def _import(web: Web, tmp_path: Path, people=("P0001", "P0002", "P0003")) -> list[int]:
    path = write_ranking(tmp_path / "ranking.csv", [ranking_row(i + 1, p) for i, p in enumerate(people)])
    with web.factory() as s, s.begin():
        proposals.import_proposals(s, actor(s, web.people, "force_contributor"), path)
        return list(s.scalars(select(Proposal.id).order_by(Proposal.rank)))


def test_a_proposal_becomes_a_nomination_only_by_a_persons_action(web, tmp_path):
    ids = _import(web, tmp_path)
    c = web.client("force_contributor")
    page = c.get("/pdp/proposals")
    assert page.status_code == 200 and "P0001" in page.text and "threats to kill" in page.text
    assert f'href="/pdp/new?proposal={ids[0]}"' in page.text
    form = c.get(f"/pdp/new?proposal={ids[0]}")
    assert form.status_code == 200 and "4 incidents in 90 days, up from 1" in form.text  # the reasons start it
    assert count(web.factory, Nomination) == 0  # opening the form nominates no one
    prefilled = proposals.rationale_start(_proposal(web, ids[0]))
    base = {"person_id": "P0001", "criteria": CORE, "proposal_id": str(ids[0]), "owner": "force.contributor"}
    unchanged = post_form(c, "/pdp", base | {"rationale": prefilled})
    assert unchanged.status_code == 400 and "your own assessment" in unchanged.text
    wrong_person = post_form(c, "/pdp", base | {"person_id": "P0002", "rationale": RATIONALE})
    assert wrong_person.status_code == 400
    r = post_form(c, "/pdp", base | {"rationale": prefilled + RATIONALE})
    assert r.status_code == 303, r.text
    entry_id = int(re.search(r"/pdp/(\d+)", r.headers["location"]).group(1))
    with web.factory() as s:
        n = s.get(Nomination, entry_id)
        assert (n.status, n.source, n.proposal_id, n.person_id) == ("nominated", "proposal", ids[0], "P0001")
        assert n.decision_by_id is None and n.review_date is None  # nominated, not on the list: a reviewer decides
        assert s.get(Proposal, ids[0]).status == "nominated"
    again = post_form(c, "/pdp", base | {"rationale": RATIONALE})
    assert again.status_code == 400 and "already nominated" in again.text
    assert "P0001" not in c.get("/pdp/proposals").text.split("<tbody>")[-1]  # no longer open


def _proposal(web: Web, proposal_id: int) -> Proposal:
    with web.factory() as s:
        return s.get(Proposal, proposal_id)


def test_dismissing_a_proposal_needs_a_reason(web, tmp_path):
    ids = _import(web, tmp_path)
    c = web.client("force_contributor")
    refused = post_form(c, f"/pdp/proposals/{ids[1]}/dismiss", {"reason": ""})
    assert refused.status_code == 400 and "reason" in refused.text
    assert _proposal(web, ids[1]).status == "open"
    ok = post_form(c, f"/pdp/proposals/{ids[1]}/dismiss", {"reason": "Managed under MAPPA category 2 already"})
    assert ok.status_code == 303
    p = _proposal(web, ids[1])
    assert (p.status, p.status_by, p.status_reason) == (
        "dismissed",
        "force.contributor",
        "Managed under MAPPA category 2 already",
    )
    assert count(web.factory, Nomination) == 0
    line = audit_lines(web.factory, "force.contributor")[-1]
    assert (line.action, line.object_type, line.justification) == (
        "alter",
        "pdp_proposal",
        "Managed under MAPPA category 2 already",
    )


def test_a_partner_never_sees_the_forces_proposals(web, tmp_path):
    ids = _import(web, tmp_path)
    partner = web.client("partner_admin")
    page = partner.get("/pdp/proposals")
    assert page.status_code == 200 and "P0001" not in page.text
    assert partner.get(f"/pdp/new?proposal={ids[0]}").status_code == 404
    assert post_form(partner, f"/pdp/proposals/{ids[0]}/dismiss", {"reason": "not ours to judge"}).status_code == 404
    assert _proposal(web, ids[0]).status == "open"


# --- who sees the list ------------------------------------------------------------------------------


def test_readers_see_nothing_of_the_pdp_list(web):
    entry = nominate(web.factory, web.people, shared_with=(PARTNER_ORG,))
    for who in ("force_reader", "partner_reader"):
        c = web.client(who)
        assert 'href="/pdp"' not in c.get("/").text, who  # no link in the navigation
        for url in ("/pdp", "/pdp/proposals", "/pdp/new", "/pdp/export.csv"):
            assert c.get(url).status_code == 403, (who, url)
        assert c.get(f"/pdp/{entry}").status_code == 404, who  # an entry's address is not even confirmed
        assert post_form(c, "/pdp", {"person_id": "P9", "rationale": RATIONALE, "criteria": CORE}).status_code == 403
    assert 'href="/pdp"' in web.client("force_contributor").get("/").text


def test_the_owning_organisation_sees_its_entries(web):
    entry = nominate(web.factory, web.people)
    for who in ("force_contributor", "force_reviewer", "force_admin"):
        c = web.client(who)
        assert f'href="/pdp/{entry}"' in c.get("/pdp").text, who
        assert c.get(f"/pdp/{entry}").status_code == 200, who


def test_a_shared_partner_sees_the_entry(web):
    entry = nominate(web.factory, web.people, shared_with=(PARTNER_ORG,))
    c = web.client("partner_contributor")
    assert f'href="/pdp/{entry}"' in c.get("/pdp").text
    page = c.get(f"/pdp/{entry}")
    assert page.status_code == 200 and "P0001" in page.text
    assert "P0001" in c.get("/pdp/export.csv").content.decode("utf-8-sig")


def test_a_partner_never_sees_finds_or_exports_an_entry_not_shared_with_it(web):
    nominate(web.factory, web.people, person="SHARED-1", shared_with=(PARTNER_ORG,))
    secret = nominate(web.factory, web.people, person="SECRET-9", shared_with=(OTHER_ORG,))
    with web.factory() as s, s.begin():
        a = service.add_action(s, actor(s, web.people, "force_contributor"), secret, "Warning marker on the address")
        action_id = a.id
    partner = web.client("partner_admin")  # an administrator, but of an organisation the entry is not shared with
    listing = partner.get("/pdp", params={"status": ""}).text
    assert "SHARED-1" in listing and "SECRET-9" not in listing and f'/pdp/{secret}"' not in listing
    export = partner.get("/pdp/export.csv").content.decode("utf-8-sig")
    assert "SHARED-1" in export and "SECRET-9" not in export
    assert "SECRET-9" not in partner.get("/pdp", params={"review_due": "1"}).text
    hidden = {"nomination_id": secret, "action_id": action_id}
    missing = {k: 987_654 for k in hidden}
    checked = 0
    for method, path in routes(web.app):
        if not path.startswith("/pdp/") or not set(ID_PARAM.findall(path)) & set(hidden):
            continue
        answers = []
        for ids in (hidden, missing):
            url = ID_PARAM.sub(lambda m, ids=ids: str(ids[m.group(1)]), path)
            if method == "GET":
                answers.append(partner.get(url, follow_redirects=False))
            else:
                answers.append(
                    post_form(
                        partner,
                        url,
                        {
                            "decision": "remove",
                            "reason": "guessing the id here",
                            "text": "guess",
                            "note": "guess",
                            "rationale": RATIONALE,
                        },
                    )
                )
        a, b = answers
        assert a.status_code == 404 and b.status_code == 404, (method, path, a.status_code, b.status_code)
        assert re.sub(r"\d+", "N", a.text) == re.sub(r"\d+", "N", b.text), (method, path)
        checked += 1
    assert checked >= 5
    with web.factory() as s:
        n = s.get(Nomination, secret)
        assert n.status == "nominated" and len(n.actions) == 1 and n.actions[0].status == "open"
        assert (
            s.scalar(
                select(AuditEvent.id).where(
                    AuditEvent.username == "partner.admin", AuditEvent.object_type == "pdp_entry"
                )
            )
            is None
        )


# --- who does what ----------------------------------------------------------------------------------


def test_a_contributor_nominates_but_cannot_decide(web):
    c = web.client("force_contributor")
    r = post_form(
        c,
        "/pdp",
        {
            "person_id": "P0042",
            "label": "J.D.",
            "rationale": RATIONALE,
            "criteria": CORE,
            "owner": "force.contributor",
            "shared_with": [PARTNER_ORG],
        },
    )
    assert r.status_code == 303, r.text
    entry = int(r.headers["location"].split("/")[2].split("?")[0])
    refused = post_form(c, f"/pdp/{entry}/decision", {"decision": "accept", "review_date": "2099-01-01"})
    assert refused.status_code == 403
    with web.factory() as s:
        n = s.get(Nomination, entry)
        assert n.status == "nominated" and n.label == "J.D." and [o.name for o in n.shared_with] == [PARTNER_ORG]
    with web.factory() as s, s.begin(), pytest.raises(Forbidden):
        service.decide(s, actor(s, web.people, "force_contributor"), entry, "accept")


def test_a_shared_partner_may_not_decide_or_edit(web):
    entry = nominate(web.factory, web.people, shared_with=(PARTNER_ORG,))
    partner = web.client("partner_admin")
    assert (
        post_form(
            partner, f"/pdp/{entry}/decision", {"decision": "reject", "reason": "not for us to decide"}
        ).status_code
        == 403
    )
    assert (
        post_form(partner, f"/pdp/{entry}", {"rationale": RATIONALE + " (changed)", "criteria": CORE}).status_code
        == 403
    )
    page = partner.get(f"/pdp/{entry}").text
    assert f'action="/pdp/{entry}/decision"' not in page and f'action="/pdp/{entry}"' not in page


def test_a_reviewer_decides_and_another_person_accepts_a_reviewers_own_nomination(web):
    entry = nominate(web.factory, web.people)
    r = post_form(web.client("force_reviewer"), f"/pdp/{entry}/decision", {"decision": "accept", "review_date": ""})
    assert r.status_code == 303, r.text
    with web.factory() as s:
        n = s.get(Nomination, entry)
        assert n.status == "on_list" and n.decision_by_id == web.people.force_reviewer.id
        assert n.review_date == service.add_months(dt.date.today(), 3)  # the default: three months on
    own = nominate(web.factory, web.people, who="force_reviewer", person="P0077")
    refused = post_form(web.client("force_reviewer"), f"/pdp/{own}/decision", {"decision": "accept"})
    assert refused.status_code == 403 and "own nomination" in refused.text
    assert post_form(web.client("force_admin"), f"/pdp/{own}/decision", {"decision": "accept"}).status_code == 303


def test_accepting_needs_all_three_parts_of_the_definition(web):
    entry = nominate(web.factory, web.people, criteria=["not_mappa", "serious_harm", "escalating_violence"])
    r = post_form(web.client("force_reviewer"), f"/pdp/{entry}/decision", {"decision": "accept"})
    assert r.status_code == 400 and "Present likelihood" in r.text
    r = post_form(web.client("force_reviewer"), f"/pdp/{entry}/decision", {"decision": "reject", "reason": ""})
    assert r.status_code == 400 and "reason" in r.text
    r = post_form(
        web.client("force_reviewer"),
        f"/pdp/{entry}/decision",
        {"decision": "reject", "reason": "No present likelihood: the partner has moved away"},
    )
    assert r.status_code == 303
    with web.factory() as s:
        n = s.get(Nomination, entry)
        assert n.status == "rejected" and n.decision_note.startswith("No present likelihood")


def test_an_entry_on_the_list_needs_a_review_date(web):
    entry = nominate(web.factory, web.people)
    reviewer = web.client("force_reviewer")
    past = post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "accept", "review_date": "2020-01-01"})
    assert past.status_code == 400 and "review date" in past.text
    assert (
        post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "accept", "review_date": "2099-01-31"}).status_code
        == 303
    )
    with web.factory() as s, s.begin(), pytest.raises(Invalid, match="review date"):
        service.decide(s, actor(s, web.people, "force_reviewer"), entry, "review", None, "Reviewed at the PDP panel")
    no_note = post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "review", "review_date": "2099-06-30"})
    assert no_note.status_code == 400
    ok = post_form(
        reviewer,
        f"/pdp/{entry}/decision",
        {"decision": "review", "review_date": "2099-06-30", "reason": "Panel: still threatening the ex-partner"},
    )
    assert ok.status_code == 303
    with web.factory() as s:
        n = s.get(Nomination, entry)
        assert n.status == "on_list" and n.review_date == dt.date(2099, 6, 30)
        on_list = s.scalars(select(Nomination).where(Nomination.status == "on_list"))
        assert all(x.review_date is not None for x in on_list)


def test_removal_from_the_list_needs_a_reason(web):
    entry = nominate(web.factory, web.people)
    reviewer = web.client("force_reviewer")
    assert post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "accept"}).status_code == 303
    refused = post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "remove", "reason": " "})
    assert refused.status_code == 400 and "reason" in refused.text
    with web.factory() as s:
        assert s.get(Nomination, entry).status == "on_list"
    ok = post_form(
        reviewer,
        f"/pdp/{entry}/decision",
        {"decision": "remove", "reason": "Sentenced to 6 years: now managed under MAPPA"},
    )
    assert ok.status_code == 303
    with web.factory() as s:
        n = s.get(Nomination, entry)
        assert n.status == "removed" and n.removal_reason == "Sentenced to 6 years: now managed under MAPPA"
        assert n.removed_at is not None and n.review_date is None
    closed = post_form(reviewer, f"/pdp/{entry}/decision", {"decision": "accept"})
    assert closed.status_code == 400  # a removed entry is closed; a new nomination starts again
    assert (
        post_form(
            web.client("force_contributor"), f"/pdp/{entry}", {"rationale": RATIONALE, "criteria": CORE}
        ).status_code
        == 403
    )


def test_actions_are_added_and_completed_by_their_owners(web):
    entry = nominate(web.factory, web.people, shared_with=(PARTNER_ORG,))
    force = web.client("force_contributor")
    unshared = post_form(
        force, f"/pdp/{entry}/actions", {"text": "Refer to the hospital trust", "owner": f"org:{OTHER_ORG}"}
    )
    assert unshared.status_code == 400 and "cannot see this entry" in unshared.text
    r = post_form(
        force,
        f"/pdp/{entry}/actions",
        {
            "text": "Safeguarding visit to the ex-partner's children",
            "owner": "user:partner.contributor",
            "due_date": "2099-01-01",
        },
    )
    assert r.status_code == 303, r.text
    with web.factory() as s:
        action_id = s.scalar(select(PdpAction.id).where(PdpAction.nomination_id == entry))
    assert (
        post_form(web.client("partner_reader"), f"/pdp/actions/{action_id}/done", {"note": "done"}).status_code == 404
    )
    partner = web.client("partner_contributor")
    assert post_form(partner, f"/pdp/actions/{action_id}/done", {"note": ""}).status_code == 400
    assert (
        post_form(partner, f"/pdp/actions/{action_id}/done", {"note": "Visited on 3 May; plan agreed"}).status_code
        == 303
    )
    with web.factory() as s:
        a = s.get(PdpAction, action_id)
        assert (a.status, a.done_note, a.owner_user_id) == (
            "done",
            "Visited on 3 May; plan agreed",
            web.people.partner_contributor.id,
        )


# --- history, audit, review queue, export -------------------------------------------------------------


def test_every_change_is_kept_in_the_history(web):
    entry = nominate(web.factory, web.people)
    force = web.client("force_contributor")
    assert (
        post_form(
            force,
            f"/pdp/{entry}",
            {
                "label": "AB",
                "rationale": RATIONALE + " Bail conditions breached.",
                "criteria": CORE + ["repeat_domestic_abuse"],
                "owner": "force.reviewer",
                "shared_with": [PARTNER_ORG],
            },
        ).status_code
        == 303
    )
    assert (
        post_form(force, f"/pdp/{entry}/actions", {"text": "Flag the address", "owner": f"org:{FORCE_ORG}"}).status_code
        == 303
    )
    admin = web.client("force_admin")
    assert post_form(admin, f"/pdp/{entry}/decision", {"decision": "start_review"}).status_code == 303
    assert (
        post_form(admin, f"/pdp/{entry}/decision", {"decision": "accept", "review_date": "2099-03-01"}).status_code
        == 303
    )
    assert (
        post_form(
            admin, f"/pdp/{entry}/decision", {"decision": "remove", "reason": "Moved abroad for good"}
        ).status_code
        == 303
    )
    with web.factory() as s:
        events = [
            (e.username, e.field, e.old, e.new)
            for e in s.scalars(select(PdpEvent).where(PdpEvent.nomination_id == entry).order_by(PdpEvent.id))
        ]
    assert events[0] == ("force.contributor", "status", "", "nominated")
    fields = [e[1] for e in events]
    for f in ("label", "rationale", "criteria", "owner", "shared_with", "action", "review_date", "removal_reason"):
        assert f in fields, f
    assert ("force.contributor", "owner", "force.contributor", "force.reviewer") in events
    assert ("force.contributor", "shared_with", "", PARTNER_ORG) in events
    statuses = [(e[2], e[3]) for e in events if e[1] == "status"]
    assert statuses == [
        ("", "nominated"),
        ("nominated", "under_review"),
        ("under_review", "on_list"),
        ("on_list", "removed"),
    ]
    assert all(e[0] == "force.admin" for e in events if e[1] == "status" and e[2])
    page = admin.get(f"/pdp/{entry}").text
    assert "Moved abroad for good" in page and "History" in page


def test_views_changes_and_exports_are_audited(web):
    c = web.client("force_reviewer")
    entry = nominate(web.factory, web.people)
    assert c.get("/pdp").status_code == 200
    assert c.get(f"/pdp/{entry}").status_code == 200
    assert (
        post_form(c, f"/pdp/{entry}/decision", {"decision": "accept", "review_date": "2099-01-01"}).status_code == 303
    )
    assert (
        post_form(c, f"/pdp/{entry}/actions", {"text": "Warning marker", "owner": f"org:{FORCE_ORG}"}).status_code
        == 303
    )
    export = c.get("/pdp/export.csv", params={"status": "on_list"})
    assert export.status_code == 200 and export.headers["content-disposition"].startswith("attachment;")
    assert c.get("/pdp/proposals").status_code == 200
    lines = {(e.action, e.object_type, e.object_id) for e in audit_lines(web.factory, "force.reviewer")}
    assert ("consult", "pdp_list", "") in lines
    assert ("consult", "pdp_entry", str(entry)) in lines
    assert ("alter", "pdp_entry", str(entry)) in lines
    assert any(a == "collect" and t == "pdp_action" for a, t, _ in lines)
    assert ("disclose", "pdp_export", "") in lines
    assert any(a == "consult" and t == "pdp_proposals" for a, t, _ in lines)
    made = audit_lines(web.factory, "force.contributor")
    assert any(e.action == "collect" and e.object_type == "pdp_entry" and e.object_id == str(entry) for e in made)
    with web.factory() as s:
        ip = s.scalar(select(AuditEvent.ip).where(AuditEvent.object_type == "pdp_export"))
    assert ip == "testclient"


def test_the_review_queue_lists_entries_past_their_review_date(web):
    due = nominate(web.factory, web.people, person="DUE-1")
    later = nominate(web.factory, web.people, person="LATER-2")
    with web.factory() as s, s.begin():
        for entry in (due, later):
            service.decide(s, actor(s, web.people, "force_reviewer"), entry, "accept")
        s.execute(update(Nomination).where(Nomination.id == due).values(review_date=dt.date(2024, 1, 1)))
    with web.factory() as s, s.begin():
        queue = service.review_queue(s, actor(s, web.people, "force_contributor"))
        assert [n.person_id for n in queue] == ["DUE-1"]
        assert service.review_queue(s, actor(s, web.people, "partner_admin")) == []
    page = web.client("force_contributor").get("/pdp", params={"status": "on_list", "review_due": "1"}).text
    assert "DUE-1" in page and "LATER-2" not in page and "review due" in page


def test_the_export_neutralises_formulas(web):
    nominate(web.factory, web.people, label="=HYPERLINK(1)")
    body = web.client("force_contributor").get("/pdp/export.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["label"] == "'=HYPERLINK(1)" and rows[0]["person_id"] == "P0001"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_the_commands_import_list_the_review_queue_and_export(db_url, factory, people, tmp_path):
    from threadline.cli.pdp_cmd import app

    runner = CliRunner()
    bad = write_ranking(tmp_path / "bad.csv", [ranking_row(1, "P1"), ranking_row(2, "P2", incidents_90d="many")])
    result = runner.invoke(app, ["import-proposals", str(bad), "--database", db_url])
    assert result.exit_code == 2 and "bad.csv" in result.output and "row 3" in result.output
    assert "incidents_90d" in result.output
    assert count(factory, Proposal) == 0
    good = write_ranking(tmp_path / "good.csv", [ranking_row(1, "P1"), ranking_row(2, "P2")])
    result = runner.invoke(app, ["import-proposals", str(good), "--database", db_url])
    assert result.exit_code == 0, result.output
    assert "Imported 2 proposals" in result.output and "No one was nominated" in result.output
    with factory() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Proposal)
                .where(
                    Proposal.organisation_id == s.scalar(select(Organisation.id).where(Organisation.name == FORCE_ORG))
                )
            )
            == 2
        )
    assert count(factory, Nomination) == 0
    assert audit_lines(factory, "cli")[-1].object_type == "pdp_proposals"
    entry = nominate(factory, people, person="P1")
    with factory() as s, s.begin():
        service.decide(s, actor(s, people, "force_reviewer"), entry, "accept")
        s.execute(update(Nomination).values(review_date=dt.date(2024, 1, 1)))
    result = runner.invoke(app, ["review-queue", "--as", "force.contributor", "--database", db_url])
    assert result.exit_code == 0 and "1 entry due for review" in result.output and "P1" in result.output
    out = tmp_path / "pdp.csv"
    result = runner.invoke(app, ["export", "--as", "partner.admin", "--out", str(out), "--database", db_url])
    assert result.exit_code == 0 and "P1" not in out.read_text(encoding="utf-8-sig")
    result = runner.invoke(app, ["export", "--as", "force.reader", "--out", str(out), "--database", db_url])
    assert result.exit_code == 2 and "contributors and above" in result.output
    result = runner.invoke(app, ["export", "--as", "force.reviewer", "--out", str(out), "--database", db_url])
    assert result.exit_code == 0 and "P1" in out.read_text(encoding="utf-8-sig")
    assert audit_lines(factory, "force.reviewer")[-1].action == "disclose"


def test_the_migration_goes_down_and_up_again(db_url):
    from alembic import command
    from sqlalchemy import inspect

    from threadline.learning.db import alembic_config, make_engine

    engine = make_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.downgrade(cfg, "0001")
    assert not any(t.startswith("pdp_") for t in inspect(engine).get_table_names())
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, "head")
    assert {"pdp_proposals", "pdp_nominations", "pdp_shares", "pdp_actions", "pdp_history"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_every_pdp_page_renders(web, tmp_path):
    ids = _import(web, tmp_path)
    entry = nominate(web.factory, web.people, shared_with=(PARTNER_ORG,))
    c = web.client("force_admin")
    for url in (
        "/pdp",
        "/pdp?status=",
        "/pdp?status=on_list&review_due=1",
        "/pdp/proposals",
        "/pdp/proposals?show=all",
        "/pdp/new",
        f"/pdp/new?proposal={ids[0]}",
        f"/pdp/{entry}",
    ):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "OFFICIAL-SENSITIVE" in r.text
    assert c.get("/pdp?status=bogus").status_code == 200  # an unknown filter is a message, not an error
    assert c.get("/pdp/export.csv?status=bogus").status_code == 400


def test_sign_in_reaches_a_pdp_page(web):
    c = TestClient(web.app, base_url="https://testserver")
    r = c.get("/pdp", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/pdp"
    assert sign_in(c, "force.contributor", next="/pdp").headers["location"] == "/pdp"


def test_every_test_named_in_the_pdp_rules_table_exists():
    """docs/pdp.md names a test beside every rule; each must exist."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "pdp.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", text)
    assert len(named) >= 20
    for path, name in named:
        source = (root / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} named in docs/pdp.md does not exist"
