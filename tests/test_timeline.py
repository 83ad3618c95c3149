"""Person timelines and prior contacts (``threadline person show | prior-contacts``) on a synthetic force:
the escalation chains, partner records only through linked identities, no names unless asked."""

from __future__ import annotations

import datetime
import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

import threadline as tl
from threadline.cli import app
from threadline.ingest.folder import import_folder
from threadline.link.people.timeline import (
    CASE_SEVERITY,
    incident_severity,
    prior_contacts,
    prior_contacts_findings,
    prior_contacts_summary,
    render_person_html,
    timeline,
)
from threadline.synth import synthesise

runner = CliRunner()
END = datetime.date(2024, 12, 31)
WIDE = {"COLUMNS": "400"}


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    """A two-year synthetic force imported twice: ``plain`` (no person linkage) and ``linked`` (run 1: the
    truth identities; run 2: the same plus one extra police record folded into a suspect's identity)."""
    root = tmp_path_factory.mktemp("timeline")
    out = root / "synth"
    synthesise(out, years=2, seed=5, end=END)
    plain = root / "plain"
    with tl.init_workspace(plain, forces=["West Yorkshire"]) as ws:
        import_folder(ws, out)
    linked = root / "linked"
    shutil.copytree(plain, linked)
    truth = pd.read_csv(out / "truth" / "partner_identity.csv", dtype=str, keep_default_na=False)
    escalation = pd.read_csv(out / "truth" / "escalation.csv", dtype=str)
    truth = truth[truth["match_type"].isin(["identifiable_match", "anonymised_linked"]) & (truth["person_id"] != "")]
    rows = [("I" + p, "persons", p) for p in sorted(set(truth["person_id"]))]
    rows += [("I" + r.person_id, "partner_records", f"{r.agency}:{r.record_id}") for r in truth.itertuples()]
    ids = pd.DataFrame(rows, columns=["identity_id", "source", "record_id"])
    chain = escalation.iloc[0]
    with tl.open_workspace(linked) as ws:
        # an extra police record of the first chain's suspect: someone with incidents, not in the chain
        extra = ws.con.execute(
            """SELECT person_id FROM incident_persons WHERE person_id NOT IN (?, ?) GROUP BY person_id
               HAVING count(*) BETWEEN 2 AND 4 ORDER BY person_id LIMIT 1""",
            [chain.suspect_person_id, chain.victim_person_id]).fetchone()[0]
        ws.con.register("ids", ids)
        for run in (1, 2):
            ws.con.execute("INSERT INTO person_link_runs (run_id, started_at, finished_at, engine, mode, threshold) "
                           "VALUES (?, now(), now(), 'test', 'dedupe_and_link', 0.9)", [run])
            ws.con.execute(f"INSERT INTO person_identities SELECT {run}, identity_id, source, record_id FROM ids")
        sus = "I" + chain.suspect_person_id
        ws.con.execute("DELETE FROM person_identities WHERE run_id = 2 AND record_id IN (?, ?)",
                       [chain.suspect_person_id, extra])
        ws.con.execute("INSERT INTO person_identities VALUES (2, ?, 'persons', ?), (2, ?, 'persons', ?)",
                       [sus, chain.suspect_person_id, sus, extra])
    return {"out": out, "plain": plain, "linked": linked, "truth": truth, "escalation": escalation, "extra": extra}


@pytest.fixture(scope="module")
def plain(force):
    with tl.open_workspace(force["plain"], read_only=True) as ws:
        yield ws.con


@pytest.fixture(scope="module")
def linked(force):
    with tl.open_workspace(force["linked"], read_only=True) as ws:
        yield ws.con


def _person(con, person_id: str) -> dict:
    row = con.execute("SELECT given_name, family_name, date_of_birth FROM persons WHERE person_id = ?",
                      [person_id]).fetchone()
    return {"given_name": row[0], "family_name": row[1], "date_of_birth": pd.Timestamp(row[2]).date()}


def _identifying_strings(con, person_id: str) -> list[str]:
    p = _person(con, person_id)
    dob = p["date_of_birth"]
    return [p["given_name"], p["family_name"], dob.isoformat(), f"{dob:%d/%m/%Y}", f"{dob:%d %b %Y}"]


def _found(text: str, needle: str) -> bool:
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(needle)}(?![A-Za-z0-9])", text) is not None


# ---------------------------------------------------------------- the timeline


def test_escalation_suspect_timeline_holds_the_chain_then_the_case(plain, force):
    assert len(force["escalation"]) >= 3
    for chain in force["escalation"].itertuples():
        events = timeline(plain, chain.suspect_person_id)
        assert events["when"].is_monotonic_increasing
        ids = list(events["id"])
        chain_ids = chain.incident_ids.split(";")
        assert set(chain_ids) <= set(ids), chain.chain_id
        positions = [ids.index(i) for i in chain_ids]
        assert positions == sorted(positions), chain.chain_id
        case = ids.index(chain.case_id)
        assert case > max(positions)
        row = events.iloc[case]
        assert row["kind"] == "case" and row["source"] == "police" and "suspect" in row["role"]
        assert row["severity"] == CASE_SEVERITY[row["what"]]
        chain_rows = events[events["id"].isin(chain_ids)]
        assert set(chain_rows["kind"]) == {"incident"} and set(chain_rows["source"]) == {"police"}
        assert (chain_rows["severity"] >= 1).all()
        assert events.attrs["link_run"] is None and events.attrs["identity_id"] is None


def test_severity_levels():
    assert CASE_SEVERITY["homicide"] > CASE_SEVERITY["attempted_homicide"] > CASE_SEVERITY["unexplained_death"]
    assert incident_severity(None) == 0 and incident_severity(float("nan")) == 0
    assert incident_severity(13.51) == 1 < incident_severity(56.35) == 2 < incident_severity(275.31) == 3
    assert incident_severity(2034.74) == 4


def test_partner_records_only_through_identities(plain, linked, force):
    truth = force["truth"]
    person = truth.groupby("person_id").size().sort_values(ascending=False).index[0]
    expected = set(truth.loc[truth["person_id"] == person, "record_id"])
    assert expected
    without = timeline(plain, person)
    assert "partner_record" not in set(without["kind"])
    assert set(without["source"]) <= {"police"}
    with_ = timeline(linked, person)
    got = with_[with_["kind"] == "partner_record"]
    assert set(got["id"]) == expected
    assert set(got["source"]) == set(truth.loc[truth["person_id"] == person, "agency"])
    assert with_.attrs["identity_id"] == "I" + person and with_.attrs["link_run"] == 2
    assert with_["when"].is_monotonic_increasing
    police = with_[with_["source"] == "police"]
    assert set(police["id"]) == set(without["id"])


def test_identity_folds_in_other_police_records_of_the_latest_run(linked, force):
    chain = force["escalation"].iloc[0]
    extra = force["extra"]
    latest = timeline(linked, chain.suspect_person_id)
    other = set(timeline(linked, extra, run_id=1)["id"])
    assert other and other <= set(latest["id"])
    ident = latest[latest["kind"] == "identity"]
    assert list(ident["id"]) == [extra]
    assert set(latest.loc[latest["id"].isin(other - {extra}), "via"]) == {extra}
    first_run = timeline(linked, chain.suspect_person_id, run_id=1)
    assert "identity" not in set(first_run["kind"]) and not (other & set(first_run["id"]))
    with pytest.raises(tl.InputError):
        timeline(linked, chain.suspect_person_id, run_id=99)


# ---------------------------------------------------------------- no names unless asked


def _linked_identifiable_person(force) -> str:
    truth = force["truth"]
    return truth.loc[truth["match_type"] == "identifiable_match", "person_id"].value_counts().index[0]


def test_default_html_has_no_names_and_identifiable_has_them(linked, plain, force):
    for con, person in ((plain, force["escalation"].iloc[0].suspect_person_id),
                        (linked, _linked_identifiable_person(force))):
        page = render_person_html(con, person)
        assert "OFFICIAL-SENSITIVE" in page and person in page and "<img src=\"data:image/png;base64," in page
        assert "IDENTIFIABLE" not in page
        for s in _identifying_strings(con, person):
            assert not _found(page, s), s
        # nor the names the partner agencies recorded on the linked records
        names = con.execute(
            """SELECT DISTINCT given_name, family_name FROM partner_records
               WHERE agency || ':' || record_id IN (SELECT record_id FROM person_identities WHERE identity_id = ?)
               AND given_name IS NOT NULL""", ["I" + person]).fetchall() if _has_ids(con) else []
        for given, family in names:
            assert not _found(page, given) and not _found(page, family)
        full = render_person_html(con, person, identifiable=True)
        assert "IDENTIFIABLE" in full
        p = _person(con, person)
        assert _found(full, p["given_name"]) and _found(full, p["family_name"])
        assert _found(full, p["date_of_birth"].isoformat())
    plain_page = render_person_html(plain, force["escalation"].iloc[0].suspect_person_id)
    assert "linkage has not been run" in plain_page


def _has_ids(con) -> bool:
    return con.execute("SELECT count(*) FROM person_identities").fetchone()[0] > 0


def test_cli_show_has_no_names_unless_identifiable(force, tmp_path, linked):
    person = _linked_identifiable_person(force)
    strings = _identifying_strings(linked, person)
    result = runner.invoke(app, ["person", "show", person, "-w", str(force["linked"]), "--html",
                                 str(tmp_path / "p.html")], env=WIDE)
    assert result.exit_code == 0, result.output
    assert person in result.output and "partner record(s)" in result.output
    for s in strings:
        assert not _found(result.output, s), s
        assert not _found((tmp_path / "p.html").read_text("utf-8"), s), s
    result = runner.invoke(app, ["person", "show", person, "-w", str(force["linked"]), "--identifiable", "--html",
                                 str(tmp_path / "q.html")], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "IDENTIFIABLE" in result.output
    for s in strings[:3]:
        assert _found(result.output, s), s
    assert "IDENTIFIABLE" in (tmp_path / "q.html").read_text("utf-8")


def test_cli_unknown_person_is_a_one_line_error(force):
    result = runner.invoke(app, ["person", "show", "P9999999X", "-w", str(force["plain"])], env=WIDE)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "P9999999X" in lines[0], result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- prior contacts


def test_prior_contacts_of_escalation_cases(plain, force):
    detail = prior_contacts(plain, datetime.date(2023, 1, 1), datetime.date(2025, 1, 1))
    assert set(detail["agency"]) == {"police"} and detail.attrs["link_run"] is None
    assert set(detail["category"]) <= {"homicide", "attempted_homicide"}
    for chain in force["escalation"].itertuples():
        case = detail[detail["case_id"] == chain.case_id]
        assert not case.empty, chain.case_id
        case_day = pd.Timestamp(plain.execute(
            "SELECT CAST(coalesce(occurred_from, reported_at) AS DATE) FROM cases WHERE case_id = ?",
            [chain.case_id]).fetchone()[0])
        when = plain.execute(
            f"SELECT occurred_at FROM incidents WHERE incident_id IN ({', '.join('?' * int(chain.n_incidents))})",
            chain.incident_ids.split(";")).df()["occurred_at"]
        n = int((when >= case_day - pd.DateOffset(years=2)).sum())
        last = when.max().normalize()
        for party, pid in (("victim", chain.victim_person_id), ("suspect", chain.suspect_person_id)):
            row = case[(case["party"] == party) & (case["person_id"] == pid)]
            assert len(row) == 1, (chain.chain_id, party)
            row = row.iloc[0]
            assert row["contacts"] >= n > 0
            assert row["with_other_party"] == n
            assert pd.Timestamp(row["last_contact"]) >= last
            assert row["days_before"] == (case_day - pd.Timestamp(row["last_contact"])).days >= 0
    summary = prior_contacts_summary(detail)
    police = summary.set_index(["party", "agency"])
    assert police.loc[("victim", "police"), "known_with_other_party"] >= len(force["escalation"])
    assert 0 < police.loc[("suspect", "police"), "share"] <= 1


def test_prior_contacts_with_linkage_counts_partner_agencies(linked):
    detail = prior_contacts(linked, "2023-01-01", "2025-01-01", years_before=2)
    assert detail.attrs["link_run"] == 2
    assert {"police", "nhs_ed", "probation", "la_safeguarding"} <= set(detail["agency"])
    # every case, party and agency has a row, contacts count the linked records in the window
    assert (detail.groupby(["case_id", "party", "person_id"]).size() == len(detail.attrs["agencies"])).all()
    partner = detail[(detail["agency"] != "police") & (detail["contacts"] > 0)]
    assert len(partner) > 0
    assert (partner["with_other_party"].fillna(0) == 0).all()
    for r in partner.head(10).itertuples():
        case_day = (pd.Timestamp(r.last_contact) + pd.Timedelta(days=int(r.days_before))).date()
        n = linked.execute(
            """SELECT count(*) FROM partner_records pr JOIN person_identities i
               ON i.run_id = 2 AND i.source = 'partner_records' AND i.record_id = pr.agency || ':' || pr.record_id
               WHERE i.identity_id = ? AND pr.agency = ? AND CAST(pr.occurred_at AS DATE) < ?
               AND CAST(pr.occurred_at AS DATE) >= ?""",
            [r.identity_id, r.agency, case_day, (pd.Timestamp(case_day) - pd.DateOffset(years=2)).date()],
        ).fetchone()[0]
        assert r.contacts == n


def test_prior_contacts_findings_are_json_and_name_free(linked, force):
    from threadline.report.period import Period

    f = prior_contacts_findings(linked, Period("profile", "2024", datetime.date(2024, 1, 1),
                                               datetime.date(2025, 1, 1)))
    text = json.dumps(f)
    assert f["cases"] > 0 and f["link_run"] == 2 and f["summary"]
    assert f["cases_with_police_contact_with_both"] >= sum(
        force["escalation"]["case_id"].str.startswith("DI-2024"))
    assert not re.search(r"P\d{7}", text)
    for chain in force["escalation"].itertuples():
        for s in _identifying_strings(linked, chain.victim_person_id):
            assert not _found(text, s)
    f2 = prior_contacts_findings(linked, (datetime.date(2024, 1, 1), datetime.date(2024, 4, 1)))
    json.dumps(f2)


def test_cli_prior_contacts_writes_csv(force, tmp_path):
    out = tmp_path / "pc.csv"
    result = runner.invoke(app, ["person", "prior-contacts", "--from", "2024-01-01", "--to", "2025-01-01",
                                 "--out", str(out), "-w", str(force["plain"])], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "linkage has not been run" in result.output
    csv = pd.read_csv(out)
    assert set(force["escalation"].loc[force["escalation"]["case_id"].str.startswith("DI-2024"), "case_id"]) <= set(
        csv["case_id"])
    bad = runner.invoke(app, ["person", "prior-contacts", "--from", "2024-13-01", "--to", "2025-01-01",
                              "-w", str(force["plain"])], env=WIDE)
    assert bad.exit_code == 2 and "--from" in bad.output
