"""The quarterly report and problem profile on a small synthetic force: every number reconciled
with plain SQL on the register, every sentence traceable, the files self-contained and readable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from conftest import FORCE
from scipy import stats
from typer.testing import CliRunner

import threadline as tl
from threadline import vocab
from threadline.cli import app
from threadline.ingest.folder import import_folder
from threadline.report import build_findings, build_report, profile_period, quarter_period
from threadline.report.areas import lsoa_table
from threadline.synth import synthesise

END = date(2024, 12, 31)
QUARTER = "2024Q4"
#: The report's windows for QUARTER, written out by hand (half-open).
CURRENT = (date(2024, 10, 1), date(2025, 1, 1))
PREVIOUS = (date(2024, 7, 1), date(2024, 10, 1))
YEAR_AGO = (date(2023, 10, 1), date(2024, 1, 1))
ROLLING = (date(2024, 1, 1), date(2025, 1, 1))
VIOLENCE = ("common_assault", "assault_with_injury", "wounding_gbh", "robbery", "violence_and_sexual_offences",
            "domestic_abuse", "threats_to_kill")
HOTSPOT_CATEGORIES = ("homicide", "attempted_homicide", "suspicious_death", "drug_related_death")

runner = CliRunner()


# --------------------------------------------------------------------------------------------------
# One small synthetic force per module
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Three years of a quarter-scale West Yorkshire, imported into a closed workspace."""
    root = tmp_path_factory.mktemp("report-force")
    synthesise(root / "synth", years=3, seed=3, end=END, population_scale=0.25)
    with tl.init_workspace(root / "ws", forces=[FORCE]) as ws:
        results = import_folder(ws, root / "synth")
    assert sum(r.quarantined for r in results) == 0
    return root


@pytest.fixture(scope="module")
def ws(built):
    """The workspace, open read-only: building a report must not need to write to the register."""
    ws = tl.open_workspace(built / "ws", read_only=True)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def report(ws, tmp_path_factory):
    return build_report(ws, quarter_period(QUARTER), tmp_path_factory.mktemp("quarterly") / "out")


@pytest.fixture(scope="module")
def findings(report) -> dict:
    return report.data


@pytest.fixture
def ws_copy(built, tmp_path) -> Path:
    """A writable copy of the workspace folder."""
    shutil.copytree(built / "ws", tmp_path / "ws")
    return tmp_path / "ws"


def counts(ws, window, where: str = "TRUE", params: list | None = None) -> dict[str, int]:
    rows = ws.con.execute(
        f"SELECT category, count(*) FROM cases WHERE reported_at >= ? AND reported_at < ? AND {where} GROUP BY 1",
        [*window, *(params or [])],
    ).fetchall()
    return dict(rows)


def window_frame(ws, window) -> pd.DataFrame:
    return ws.con.execute("SELECT * FROM cases WHERE reported_at >= ? AND reported_at < ?", list(window)).df()


def force_population(force: str = FORCE) -> float:
    t = lsoa_table()
    return float(t.loc[t["police_force"] == force, "population"].sum())


def resolve(doc, path: str):
    """The value at a path such as ``volumes.all.vs_year_ago`` or ``emerging[0].observed``."""
    value = doc
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        value = value[int(index)] if index else value[name]
    return value


def test_resolver():
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}, "x_y": 3}
    assert resolve(doc, "a.b[1].c") == 2
    assert resolve(doc, "x_y") == 3
    with pytest.raises(KeyError):
        resolve(doc, "a.nope")
    with pytest.raises(IndexError):
        resolve(doc, "a.b[2]")


# --------------------------------------------------------------------------------------------------
# (a) Reconciliation with plain SQL on the register
# --------------------------------------------------------------------------------------------------


def test_volumes_reconcile(ws, findings):
    current, previous = counts(ws, CURRENT), counts(ws, PREVIOUS)
    year_ago, rolling = counts(ws, YEAR_AGO), counts(ws, ROLLING)
    population = force_population()
    vols = findings["volumes"]
    assert set(vols) == {*vocab.CATEGORIES, "all"}
    for category in [*vocab.CATEGORIES, "all"]:
        def n(d, c=category):
            return sum(d.values()) if c == "all" else d.get(c, 0)

        v = vols[category]
        assert (v["current"], v["previous"], v["year_ago"], v["rolling_year"]) == (
            n(current), n(previous), n(year_ago), n(rolling)), category
        # Rate per 100,000 residents a year over the rolling year, with its exact interval.
        events = n(rolling)
        assert v["rate"] == pytest.approx(events / population * 100_000), category
        upper = stats.chi2.ppf(0.975, 2 * (events + 1)) / 2 / population * 100_000
        assert v["rate_upper"] == pytest.approx(upper), category
        # The change on a year ago, by the exact conditional test.
        cur, ago = n(current), n(year_ago)
        p = 1.0 if cur + ago == 0 else stats.binomtest(cur, cur + ago, 0.5).pvalue
        assert v["p_value"] == pytest.approx(p, abs=1e-12), category
        assert v["vs_previous"]["base"] == n(previous)
    assert findings["total_cases"] == vols["all"]["current"] > 0
    assert findings["population"]["residents"] == population
    assert findings["population"]["lsoas"] == int((lsoa_table()["police_force"] == FORCE).sum())
    quarterly = findings["quarterly"]
    assert quarterly["quarters"][-1] == QUARTER and len(quarterly["quarters"]) == 8
    for category in vocab.CATEGORIES:
        assert quarterly["counts"][category][-1] == current.get(category, 0)
        assert quarterly["counts"][category][-2] == previous.get(category, 0)


def test_local_authority_counts_reconcile(ws, findings):
    cases = window_frame(ws, CURRENT)
    rolling = window_frame(ws, ROLLING)
    lsoas = lsoa_table()
    joined = cases.merge(lsoas[["lsoa_code", "la_code", "la_name"]], on="lsoa_code", how="left")
    joined_year = rolling.merge(lsoas[["lsoa_code", "la_code"]], on="lsoa_code", how="left")
    by_la = joined.groupby("la_name").size().to_dict()
    mine = lsoas[lsoas["police_force"] == FORCE]
    areas = {a["la_name"]: a for a in findings["areas"]}
    assert set(areas) - {"no LSOA recorded"} == set(mine["la_name"])  # the five West Yorkshire districts
    for name, a in areas.items():
        if a["la_code"] is None:
            continue
        assert a["cases"] == by_la.get(name, 0), name
        here = joined[joined["la_name"] == name]
        assert a["by_category"] == here["category"].value_counts().to_dict(), name
        assert a["rolling_year"] == int((joined_year["la_code"] == a["la_code"]).sum()), name
        pop = float(mine.loc[mine["la_name"] == name, "population"].sum())
        assert a["population"] == pop
        assert a["rate"] == pytest.approx(a["rolling_year"] / pop * 100_000)
    unplaced = int(joined["la_code"].isna().sum())
    if unplaced:
        assert areas["no LSOA recorded"]["cases"] == unplaced
    else:
        assert "no LSOA recorded" not in areas
    assert sum(a["cases"] for a in findings["areas"]) == len(cases)


def _sql_breakdown(ws, field: str, where: str = "TRUE") -> dict[str, int]:
    rows = ws.con.execute(
        f"SELECT coalesce({field}, 'not recorded'), count(*) FROM cases "
        f"WHERE reported_at >= ? AND reported_at < ? AND {where} GROUP BY 1", list(CURRENT)).fetchall()
    return dict(rows)


@pytest.mark.parametrize("field", ["method", "victim_sex", "victim_ethnicity", "location_type"])
def test_breakdowns_reconcile(ws, findings, field):
    got = {r["value"]: r["count"] for r in findings["breakdowns"][field]["rows"]}
    assert got == _sql_breakdown(ws, field)
    recorded = sum(n for v, n in got.items() if v != "not recorded")
    for r in findings["breakdowns"][field]["rows"]:
        if r["value"] != "not recorded":
            assert r["share"] == pytest.approx(r["count"] / recorded)


@pytest.mark.parametrize("field", ["method", "victim_sex"])
def test_homicide_breakdowns_reconcile(ws, findings, field):
    section = findings["sections"]["homicide"]
    assert section["current"] == counts(ws, CURRENT).get("homicide", 0)
    expected = _sql_breakdown(ws, field, "category = 'homicide'")
    got = {r["value"]: r["count"] for r in section["breakdowns"][field]["rows"]} if section["breakdowns"] else {}
    assert got == expected
    near = findings["sections"]["near_miss"]
    assert near["current"] == counts(ws, CURRENT).get("attempted_homicide", 0)
    assert near["previous"] == counts(ws, PREVIOUS).get("attempted_homicide", 0)


def test_ethnicity_completeness_reconciles(ws, findings):
    sql = ("SELECT avg(CASE WHEN victim_ethnicity IS NOT NULL AND victim_ethnicity <> 'not_stated' "
           "THEN 1.0 ELSE 0.0 END) FROM cases WHERE reported_at >= ? AND reported_at < ?")
    now = ws.con.execute(sql, list(CURRENT)).fetchone()[0]
    before = ws.con.execute(sql, list(PREVIOUS)).fetchone()[0]
    dq = findings["data_quality"]
    assert dq["current"]["victim_ethnicity"] == pytest.approx(now)
    assert dq["previous"]["victim_ethnicity"] == pytest.approx(before)
    assert 0 < now < 1  # the synthetic force leaves some ethnicities unrecorded
    row = next(r for r in dq["by_source"] if r["source"] == "all sources" and r["field"] == "victim_ethnicity")
    assert row["cases"] == findings["volumes"]["all"]["current"]
    assert row["change_points"] == pytest.approx(100 * (now - before))


def test_nhs_counts_reconcile(ws, findings):
    partner = findings["partner"]
    assert partner["available"]
    nhs = ws.con.execute(
        "SELECT agency, count(*) FROM partner_records WHERE occurred_at >= ? AND occurred_at < ? "
        "AND (agency = 'nhs_ed' OR (agency = 'ambulance' AND record_type = 'assault')) GROUP BY 1",
        list(ROLLING)).fetchall()
    assert partner["by_agency"] == dict(nhs)
    assert partner["nhs_records"] == sum(n for _, n in nhs) > 0
    lsoas = lsoa_table()
    mine = lsoas.loc[lsoas["police_force"] == FORCE, "lsoa_code"].tolist()
    located = ws.con.execute(
        "SELECT count(*) FROM partner_records WHERE occurred_at >= ? AND occurred_at < ? "
        "AND (agency = 'nhs_ed' OR (agency = 'ambulance' AND record_type = 'assault')) "
        "AND list_contains(?, lsoa_code)", [*ROLLING, mine]).fetchone()[0]
    assert partner["nhs_records_located"] == located
    police = ws.con.execute(
        "SELECT count(*) FROM incidents WHERE occurred_at >= ? AND occurred_at < ? AND list_contains(?, incident_type)",
        [*ROLLING, list(VIOLENCE)]).fetchone()[0]
    # Recorded homicides and attempts count as police violence too (their ambulance records were seen).
    police += ws.con.execute(
        "SELECT count(*) FROM cases WHERE reported_at >= ? AND reported_at < ? "
        "AND category IN ('homicide', 'attempted_homicide')", list(ROLLING)).fetchone()[0]
    assert partner["police_violence"] == police > 0
    assert sum(a["nhs"] for a in partner["by_area"]) == located
    assert sum(a["police"] for a in partner["by_area"]) <= police


def test_emerging_and_hotspot_counts_reconcile(ws, findings):
    lsoas = lsoa_table()
    for e in findings["emerging"]:
        assert e["quarter"] == QUARTER
        where, params = "TRUE", []
        if e["area"] != "force":
            codes = lsoas.loc[lsoas["la_code"] == e["area_code"], "lsoa_code"].tolist()
            where, params = "list_contains(?, lsoa_code)", [codes]
        if e["flags"]:
            where += " AND list_contains(string_split(coalesce(flags, ''), ';'), ?)"
            params.append(e["flags"][0])
        got = counts(ws, CURRENT, where, params)
        observed = sum(got.values()) if e["category"] == "all" else got.get(e["category"], 0)
        assert e["observed"] == observed, e["description"]
        assert e["history"][-1] == observed
    hot_cases = sum(n for c, n in counts(ws, ROLLING).items() if c in HOTSPOT_CATEGORIES)
    assert findings["hotspots"]["cases"] == hot_cases
    assert findings["hotspots"]["window"] == "2024Q1 to 2024Q4"
    assert len(findings["cases_map"]) == ws.con.execute(
        "SELECT count(*) FROM cases WHERE reported_at >= ? AND reported_at < ? AND latitude IS NOT NULL "
        "AND longitude IS NOT NULL", list(CURRENT)).fetchone()[0]


# --------------------------------------------------------------------------------------------------
# (b) Every sentence traceable; (c) the findings.json schema
# --------------------------------------------------------------------------------------------------


def test_every_commentary_sentence_has_resolvable_refs(findings):
    sentences = findings["commentary"]
    assert len(sentences) >= 5
    groups = {s["group"] for s in sentences}
    assert {"what changed", "what is emerging", "where", "data quality", "what to look at next"} <= groups
    for s in sentences:
        assert s["text"].strip() and s["refs"], s
        for ref in s["refs"]:
            resolve(findings, ref)  # raises if the path is not in the findings
    first = sentences[0]
    assert first["refs"] == ["volumes.all.vs_year_ago"]
    assert f"holds {findings['volumes']['all']['current']} " in first["text"]
    # A sentence about the least complete field names the figure it quotes.
    dq = next(s for s in sentences if s["group"] == "data quality")
    value = resolve(findings, dq["refs"][0])
    assert f"{value:.0%}" in dq["text"]


def test_findings_schema(report, findings):
    on_disk = json.loads(report.findings.read_text("utf-8"), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert on_disk == findings
    period = findings["period"]
    assert period["kind"] == "quarter" and period["label"] == QUARTER
    assert (period["start"], period["end"]) == ("2024-10-01", "2025-01-01")
    assert (period["previous"], period["year_ago"]) == ("2024Q3", "2023Q4")
    assert findings["forces"] == [FORCE]
    for category, v in findings["volumes"].items():
        for key in ("current", "previous", "year_ago", "rate", "p_value", "rolling_year", "vs_previous",
                    "vs_year_ago"):
            assert key in v, (category, key)
        assert 0 <= v["p_value"] <= 1
    assert isinstance(findings["emerging"], list)
    for e in findings["emerging"]:
        assert {"category", "area", "flags", "observed", "expected", "score", "description"} <= set(e)
        assert isinstance(e["flags"], list) and e["score"] > 0 and e["observed"] > e["expected"]
    method = findings["emerging_method"]
    assert method["quarter"] == QUARTER and method["series_tested"] > 0
    assert {"method", "window", "hot", "lsoas_assessed"} <= set(findings["hotspots"])
    assert findings["series"]["linkage_run"] is False and findings["series"]["items"] == []
    dq = findings["data_quality"]
    assert {"fields", "by_source", "current", "previous"} <= set(dq)
    assert set(dq["current"]) == set(dq["fields"])


def test_findings_hold_no_case_ids(ws, report):
    """findings.json travels: positions and categories only, never a case reference."""
    text = report.findings.read_text("utf-8")
    ids = [r[0] for r in ws.con.execute("SELECT case_id FROM cases LIMIT 50").fetchall()]
    assert not any(i in text for i in ids)
    assert "DI-20" not in text


# --------------------------------------------------------------------------------------------------
# (d) The files: self-contained HTML, a PDF of real pages; (e) the series section
# --------------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: dict[str, list[str]] = {}
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._in = tag
            self.headings.setdefault(tag, []).append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.headings[self._in][-1] += data


@pytest.fixture(scope="module")
def html(report) -> str:
    return report.html.read_text("utf-8")


@pytest.fixture(scope="module")
def tags(html) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_report_files_written(report):
    assert {p.name for p in report.out_dir.iterdir()} == {"report.html", "report.pdf", "findings.json"}
    assert report.pdf.read_bytes()[:5] == b"%PDF-"


def test_html_is_self_contained(tags, html):
    for tag, attrs in tags.tags:
        if tag in ("img", "script", "link", "iframe", "source", "video", "audio"):
            for attr in ("src", "href", "srcset"):
                value = (attrs.get(attr) or "").strip().lower()
                assert not value.startswith(("http://", "https://", "//")), (tag, attr, value[:80])
    imgs = [a for t, a in tags.tags if t == "img"]
    assert len(imgs) >= 3
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert "@import" not in html and "url(http" not in html


def test_html_is_accessible(tags):
    html_tag = next(a for t, a in tags.tags if t == "html")
    assert html_tag.get("lang", "").startswith("en")
    for tag, attrs in tags.tags:
        if tag == "img":
            assert (attrs.get("alt") or "").strip(), attrs.get("src", "")[:40]
    assert len(tags.headings["h1"]) == 1 and QUARTER in tags.headings["h1"][0]
    h2 = tags.headings["h2"]
    for name in ("Summary", "Volumes", "Emerging trends", "Where", "Linked series", "Data quality", "Context"):
        assert any(name in h for h in h2), (name, h2)
    n_tables = sum(t == "table" for t, _ in tags.tags)
    assert n_tables > 0 and sum(t == "caption" for t, _ in tags.tags) == n_tables


def test_pdf_pages_render_and_are_not_blank(report, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed (poppler-utils: scripts/system-packages.sh)")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(report.pdf), str(tmp_path / "page")], check=True,
                   capture_output=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4, pages
    for page in pages:
        img = mpimg.imread(page)
        assert img.shape[0] > 200 and img.shape[1] > 150  # A4 at 30 dpi is about 248 x 351
        grey = img[..., :3].mean(axis=2)
        assert (grey < 0.9).mean() > 0.002, f"{page.name} is blank"
    # The first page carries the title and summary text, not just a margin.
    first = mpimg.imread(pages[0])[..., :3].mean(axis=2)
    assert (first < 0.9).mean() > 0.01


def test_series_section_says_linkage_has_not_been_run(html):
    section = re.search(r'<section id="series">(.*?)</section>', html, re.S).group(1)
    assert "Series linkage has not been run" in section
    assert "not a finding that there are none" in section
    assert "<table" not in section


# --------------------------------------------------------------------------------------------------
# (f) The problem profile
# --------------------------------------------------------------------------------------------------


def test_profile_covers_only_its_categories(ws, tmp_path):
    period = profile_period(date(2023, 1, 1), date(2024, 12, 31))
    files = build_report(ws, period, tmp_path / "profile", categories=["homicide", "attempted_homicide"], pdf=False)
    f = files.data
    assert files.pdf is None and files.html.exists()
    assert f["period"]["kind"] == "profile" and f["period"]["year_ago"] is None
    assert f["categories"] == ["homicide", "attempted_homicide"]
    assert set(f["volumes"]) == {"homicide", "attempted_homicide", "all"}
    assert set(f["quarterly"]["counts"]) == {"homicide", "attempted_homicide"}
    window = counts(ws, (date(2023, 1, 1), date(2025, 1, 1)))
    before = counts(ws, (date(2021, 1, 1), date(2023, 1, 1)))
    for c in ("homicide", "attempted_homicide"):
        assert f["volumes"][c]["current"] == window.get(c, 0)
        assert f["volumes"][c]["previous"] == before.get(c, 0)
    assert f["volumes"]["all"]["current"] == window.get("homicide", 0) + window.get("attempted_homicide", 0)
    assert f["total_cases"] == f["volumes"]["all"]["current"]
    assert all(e["category"] in ("homicide", "attempted_homicide", "all") for e in f["emerging"])
    assert {r["value"] for r in f["breakdowns"]["method"]["rows"]} <= set(vocab.METHODS) | {"not recorded"}
    for s in f["commentary"]:
        for ref in s["refs"]:
            resolve(f, ref)
    html = files.html.read_text("utf-8")
    assert "Problem profile" in html and "suicides" not in html.split('id="volumes"')[1].split("</table>")[0]


# --------------------------------------------------------------------------------------------------
# (g) A collaboration of two forces
# --------------------------------------------------------------------------------------------------


def test_collaboration_reports_each_force(ws_copy, tmp_path):
    """Copies of some West Yorkshire cases, moved to Norfolk LSOAs and filed by Norfolk."""
    lsoas = lsoa_table()
    norfolk = lsoas[lsoas["police_force"] == "Norfolk"].reset_index(drop=True)
    with tl.open_workspace(ws_copy) as ws:
        source = ws.con.execute(
            "SELECT * EXCLUDE (attributes, row_hash, import_id, source_name, source_sha256, source_row, "
            "imported_at) FROM cases WHERE reported_at >= ? AND reported_at < ? ORDER BY case_id",
            list(ROLLING)).df().iloc[::8].reset_index(drop=True)
        rng = np.random.default_rng(1)
        picks = norfolk.iloc[rng.integers(0, len(norfolk), len(source))].reset_index(drop=True)
        moved = source.assign(
            case_id="NFK-" + source["case_id"], force="Norfolk", lsoa_code=picks["lsoa_code"],
            latitude=np.round(52.63 + rng.normal(0, 0.05, len(source)), 6),
            longitude=np.round(1.29 + rng.normal(0, 0.08, len(source)), 6),
            victim_person_id=None,
        )
        path = tmp_path / "norfolk-cases.csv"
        moved.to_csv(path, index=False)
        ws.config.forces = [FORCE, "Norfolk"]
        ws.config.save(ws.path)
        result = tl.import_file(ws, "cases", path)
        assert result.imported == len(moved) and result.quarantined == 0
    with tl.open_workspace(ws_copy, read_only=True) as ws:
        assert ws.config.forces == [FORCE, "Norfolk"]
        f = build_findings(ws, quarter_period(QUARTER))
        nfk_current = counts(ws, CURRENT, "force = 'Norfolk'")
        wy_current = counts(ws, CURRENT, "force = ?", [FORCE])
    assert f["forces"] == [FORCE, "Norfolk"]
    per_force = {r["force"]: r for r in f["collaboration"]["per_force"]}
    assert set(per_force) == {FORCE, "Norfolk"}
    assert per_force["Norfolk"]["cases"] == sum(nfk_current.values()) > 0
    assert per_force[FORCE]["cases"] == sum(wy_current.values())
    assert per_force["Norfolk"]["rolling_year"] == len(moved)
    assert per_force["Norfolk"]["population"] == force_population("Norfolk")
    assert per_force[FORCE]["population"] == force_population(FORCE)
    assert f["volumes"]["all"]["current"] == per_force[FORCE]["cases"] + per_force["Norfolk"]["cases"]
    assert f["population"]["residents"] == force_population(FORCE) + force_population("Norfolk")
    assert {"Norwich", "Leeds"} <= {a["la_name"] for a in f["areas"]}
    # Norfolk's series have nothing before 2024: a rise from an empty baseline has no finite
    # exceedance score (null in JSON), and the report must still render it.
    from_nothing = [e for e in f["emerging"] if e["expected"] == 0]
    assert from_nothing  # (King's Lynn and West Norfolk, with this seed)
    for e in from_nothing:
        assert e["score"] is None and "none in its baseline quarters" in e["description"]
    from threadline.report.build import render_html

    html = render_html(f, "Joint report")
    assert "Collaboration: per force" in html and "Norfolk" in html
    assert "inf" not in re.sub(r"inf[a-z]", "", html.split('id="emerging"')[1].split("</section>")[0])


# --------------------------------------------------------------------------------------------------
# (h) The commands
# --------------------------------------------------------------------------------------------------


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.output
    for fragment in fragments:
        assert fragment in errors[0]
    return errors[0]


def test_cli_quarterly_and_profile(ws_copy, tmp_path):
    out = tmp_path / "q"
    result = _run("report", "quarterly", "--quarter", QUARTER, "--no-pdf", "--out", out, "-w", ws_copy)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists() and (out / "findings.json").exists()
    assert not (out / "report.pdf").exists()
    assert "Report for" in result.output and QUARTER in result.output
    assert json.loads((out / "findings.json").read_text("utf-8"))["period"]["label"] == QUARTER

    prof = tmp_path / "p"
    result = _run("report", "profile", "--from", "2023-01-01", "--to", "2024-12-31",
                  "--categories", "homicide,attempted_homicide", "--no-pdf", "--out", prof, "-w", ws_copy)
    assert result.exit_code == 0, result.output
    f = json.loads((prof / "findings.json").read_text("utf-8"))
    assert set(f["volumes"]) == {"homicide", "attempted_homicide", "all"}

    # Default output folder: inside the workspace.
    result = _run("report", "quarterly", "--quarter", QUARTER, "--no-pdf", "-w", ws_copy)
    assert result.exit_code == 0, result.output
    assert (ws_copy / "reports" / f"quarterly-{QUARTER}" / "report.html").exists()


@pytest.mark.parametrize("quarter", ["2024Q5", "Q4-2024", "2024"])
def test_cli_bad_quarter_is_one_line(ws_copy, tmp_path, quarter):
    result = _run("report", "quarterly", "--quarter", quarter, "--no-pdf", "--out", tmp_path / "x", "-w", ws_copy)
    _one_line_error(result, quarter)
    assert not (tmp_path / "x").exists()


def test_cli_out_pointing_at_a_file_is_one_line(ws_copy, tmp_path):
    target = tmp_path / "report.html"
    target.write_text("not a folder", encoding="utf-8")
    result = _run("report", "quarterly", "--quarter", QUARTER, "--no-pdf", "--out", target, "-w", ws_copy)
    _one_line_error(result, "folder")
    assert target.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--from", "2023-13-01", "--to", "2024-12-31"], "2023-13-01"),
        (["--from", "2024-12-31", "--to", "2023-01-01"], "before"),
        (["--from", "2023-01-01", "--to", "2024-12-31", "--categories", "homicide,murder"], "murder"),
    ],
)
def test_cli_profile_errors_are_one_line(ws_copy, tmp_path, args, fragment):
    result = _run("report", "profile", *args, "--no-pdf", "--out", tmp_path / "x", "-w", ws_copy)
    _one_line_error(result, fragment)


def test_prior_contacts_section_is_aggregate_and_says_when_linkage_is_missing(report):
    f = json.loads(report.findings.read_text("utf-8"))
    pc = f["prior_contacts"]
    assert "by_case" not in pc and pc["years_before"] == 2
    if pc["cases"]:
        assert {r["party"] for r in pc["summary"]} <= {"victim", "suspect"}
        assert all(0 <= r["share"] <= 1 for r in pc["summary"] if r["share"] is not None)
    assert pc["link_run"] is None and "Person linkage has not been run" in pc["linkage_note"]
    assert "10. Prior contacts of victims and suspects" in report.html.read_text("utf-8")
