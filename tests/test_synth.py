"""The synthetic force: determinism, import format, vocabularies, references, volumes, planted truth."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threadline import vocab
from threadline.errors import InputError
from threadline.ingest.kinds import KINDS
from threadline.synth import SynthSummary, synthesise
from threadline.synth import background as B
from threadline.synth.geography import BOUNDS, km_between, load_geography
from threadline.synth.hotspot import TRUTH_COLUMNS as HOTSPOT_COLUMNS
from threadline.synth.names import nickname_table
from threadline.synth.narratives import VENUES
from threadline.synth.partners import ERROR_RATES, POLICE_VIOLENCE
from threadline.synth.rates import RATE_PER_100K

END = date(2023, 12, 31)
SMALL = {"years": 2, "population_scale": 0.25, "end": END}
FILES = [f"{k}.csv" for k in KINDS]
TRUTH = [
    "series",
    "series_summary",
    "series_partner_records",
    "professionals",
    "emerging",
    "nhs_hotspot",
    "escalation",
    "da_dyads",
    "partner_identity",
    "parameters",
]


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("small")
    return out, synthesise(out, seed=7, **SMALL)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """Two years of the whole force: enough volume for rates and for every error type."""
    out = tmp_path_factory.mktemp("full")
    synthesise(out, years=2, seed=3, end=END)
    return out


@pytest.fixture(scope="module")
def data(full) -> dict[str, pd.DataFrame]:
    d = {k: read(full, f"{k}.csv") for k in KINDS}
    d.update({f"truth/{t}": read(full / "truth", f"{t}.csv") for t in TRUTH})
    return d


# -- determinism and format ---------------------------------------------------------------------


def test_same_seed_same_bytes_and_different_seed_differs(small, tmp_path):
    folder, _ = small
    again = tmp_path / "again"
    synthesise(again, seed=7, **SMALL)
    names = FILES + [f"truth/{t}.csv" for t in TRUTH] + ["truth/README.md"]
    for name in names:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name
    other = tmp_path / "other"
    synthesise(other, seed=8, **SMALL)
    assert (folder / "cases.csv").read_bytes() != (other / "cases.csv").read_bytes()
    assert (folder / "persons.csv").read_bytes() != (other / "persons.csv").read_bytes()


def test_headers_are_the_kinds_columns_and_counts_match(small):
    folder, summary = small
    for kind, spec in KINDS.items():
        header = (folder / f"{kind}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ",".join(spec.columns), kind
        assert summary.counts[f"{kind}.csv"] == len(read(folder, f"{kind}.csv"))
    assert (folder / "truth" / "README.md").exists()
    assert summary.start == date(2022, 1, 1) and summary.end == END


def test_values_are_in_the_vocabularies(data):
    for kind, spec in KINDS.items():
        frame = data[kind]
        for f in spec.fields:
            col = frame[f.name]
            if f.required:
                assert (col != "").all(), (kind, f.name)
            if f.type == "enum":
                bad = set(col[col != ""]) - set(f.values)
                assert not bad, (kind, f.name, bad)
            if f.type == "flags":
                used = {x for v in col for x in v.split(";") if x}
                assert used <= set(f.values), (kind, f.name, used - set(f.values))
            if f.type in ("timestamp", "date"):
                vals = col[col != ""]
                parsed = pd.to_datetime(vals, format="%Y-%m-%d" if f.type == "date" else "%Y-%m-%dT%H:%M:%S")
                assert parsed.max() <= pd.Timestamp(END) + pd.Timedelta(days=1), (kind, f.name)
                assert parsed.min() >= pd.Timestamp("1900-01-01"), (kind, f.name)
            if f.type in ("int", "float") and (f.minimum is not None or f.maximum is not None):
                nums = pd.to_numeric(col[col != ""])
                if f.minimum is not None:
                    assert nums.min() >= f.minimum, (kind, f.name)
                if f.maximum is not None:
                    assert nums.max() <= f.maximum, (kind, f.name)
            if f.name == "lsoa_code":
                assert col[col != ""].str.fullmatch(r"E01\d{6}").all()
    cases = data["cases"]
    assert (cases["force"] == "West Yorkshire").all()
    assert (cases["occurred_from"] <= cases["occurred_to"]).all()
    assert (cases["occurred_from"] <= cases["reported_at"]).all()
    inc = data["incidents"]
    assert (inc["occurred_at"] <= inc["reported_at"]).all()
    assert inc["outcome_code"].isin([str(i) for i in range(23)] + [""]).all()
    assert (inc["outcome_code"] == "22").any()


def test_keys_unique_and_references_resolve(data):
    for kind, spec in KINDS.items():
        assert not data[kind].duplicated(list(spec.key)).any(), kind
    persons = set(data["persons"]["person_id"])
    cases = set(data["cases"]["case_id"])
    incidents = set(data["incidents"]["incident_id"])
    assert set(data["cases"]["victim_person_id"]) <= persons
    assert set(data["case-persons"]["person_id"]) <= persons
    assert set(data["case-persons"]["case_id"]) == cases
    assert set(data["case-entities"]["case_id"]) <= cases
    assert set(data["incident-persons"]["person_id"]) <= persons
    assert set(data["incident-persons"]["incident_id"]) <= incidents
    # Every person is connected to something.
    used = set(data["case-persons"]["person_id"]) | set(data["incident-persons"]["person_id"])
    assert used == persons
    # Every victim is on their case as victim.
    cp = data["case-persons"]
    victims = set(
        zip(
            cp.loc[cp["role"] == "victim", "case_id"],
            cp.loc[cp["role"] == "victim", "person_id"],
            strict=True,
        )
    )
    assert set(zip(data["cases"]["case_id"], data["cases"]["victim_person_id"], strict=True)) <= victims
    # Truth references.
    assert set(data["truth/series"]["case_id"]) <= cases
    ident = data["truth/partner_identity"]
    assert set(ident["person_id"][ident["person_id"] != ""]) <= persons
    assert set(zip(ident["agency"], ident["record_id"], strict=True)) == set(
        zip(data["partner-records"]["agency"], data["partner-records"]["record_id"], strict=True)
    )
    assert set(data["truth/professionals"]["person_id"]) <= persons
    esc = data["truth/escalation"]
    assert set(esc["case_id"]) <= cases
    assert {i for v in esc["incident_ids"] for i in v.split(";")} <= incidents
    dy = data["truth/da_dyads"]
    assert set(dy["suspect_person_id"]) | set(dy["victim_person_id"]) <= persons


def test_places_are_in_west_yorkshire_and_near_their_lsoa(data):
    geo = load_geography()
    where = dict(zip(geo.code, range(geo.n), strict=True))
    for kind in ("cases", "incidents"):
        f = data[kind]
        lat, lon = f["latitude"].astype(float).to_numpy(), f["longitude"].astype(float).to_numpy()
        assert (lat >= BOUNDS["lat_min"]).all() and (lat <= BOUNDS["lat_max"]).all()
        assert (lon >= BOUNDS["lon_min"]).all() and (lon <= BOUNDS["lon_max"]).all()
        idx = f["lsoa_code"].map(where)
        assert idx.notna().all()
        idx = idx.astype(int).to_numpy()
        assert (km_between(lat, lon, geo.lat[idx], geo.lon[idx]) <= 0.31).all()


def test_dates_of_birth_match_ages(data):
    cases = data["cases"].merge(data["persons"], left_on="victim_person_id", right_on="person_id")
    dob = pd.to_datetime(cases["date_of_birth"])
    at = pd.to_datetime(cases["reported_at"])
    age = (
        at.dt.year
        - dob.dt.year
        - ((at.dt.month < dob.dt.month) | ((at.dt.month == dob.dt.month) & (at.dt.day < dob.dt.day)))
    )
    assert (age == cases["victim_age"].astype(int)).mean() > 0.99
    assert ((age - cases["victim_age"].astype(int)).abs() <= 1).all()


def test_ethnic_mix_is_west_yorkshire(data):
    mix = data["persons"]["ethnicity"].value_counts(normalize=True)
    assert 0.74 < mix["white"] < 0.88
    assert 0.08 < mix["asian"] < 0.18
    assert mix["black"] < 0.05 and mix["mixed"] < 0.05 and mix["other"] < 0.03
    assert 0.0 < mix["not_stated"] < 0.05


# -- volumes ----------------------------------------------------------------------------------------


def test_yearly_volumes_follow_the_cited_rates(data):
    cases = data["cases"]
    population = 2_226_058
    years = 2
    counts = cases["category"].value_counts()
    for cat, rate in RATE_PER_100K.items():
        expected = rate * population / 100_000 * years
        got = counts.get(cat, 0)
        # Poisson noise (4 sd) plus planted series, decoys and the emerging rise (at most ~40).
        assert abs(got - expected) <= 4 * math.sqrt(expected) + 0.02 * expected + 40, (cat, got, expected)
    assert 1_800 <= len(cases) / years <= 2_300
    assert abs(len(data["incidents"]) / years - 25_000) < 100


def test_mixes_follow_ons_homicide_patterns(data):
    cases = data["cases"]
    hom = cases[cases["category"].isin(("homicide", "attempted_homicide"))]
    assert (hom["method"] == "sharp_instrument").mean() > 0.3
    female = hom[hom["victim_sex"] == "female"]
    male = hom[hom["victim_sex"] == "male"]
    assert (female["suspect_relationship"] == "partner_ex_partner").mean() > 0.25
    assert (male["suspect_relationship"] == "partner_ex_partner").mean() < 0.12
    drd = cases[cases["category"] == "drug_related_death"]
    assert (drd["method"] == "poison_or_drugs").all() and drd["flags"].str.contains("drugs").all()
    assert 0.6 < (drd["victim_sex"] == "male").mean() < 0.8
    sui = cases[cases["category"] == "suicide"]
    assert (sui["suspect_relationship"] == "not_applicable").all()
    young = cases["victim_age"].astype(int) < 25
    assert cases.loc[young, "flags"].str.contains("youth").all()
    assert not cases.loc[~young, "flags"].str.contains("youth").any()
    assert (
        cases.loc[cases["circumstance"] == "domestic_abuse", "flags"].str.contains("domestic_abuse")
    ).all()
    knife = hom[hom["method"] == "sharp_instrument"]
    assert knife["flags"].str.contains("knife").mean() > 0.5


# -- planted truth --------------------------------------------------------------------------------


def members(data, kind: str, role: str = "member") -> pd.DataFrame:
    s = data["truth/series"]
    ids = s.loc[(s["kind"] == kind) & (s["role_in_truth"] == role), "case_id"]
    return data["cases"][data["cases"]["case_id"].isin(ids)]


def summary(data, kind: str) -> pd.Series:
    s = data["truth/series_summary"]
    return s[s["kind"] == kind].iloc[0]


def within(df: pd.DataFrame, row: pd.Series) -> np.ndarray:
    return km_between(
        df["latitude"].astype(float),
        df["longitude"].astype(float),
        float(row["centre_latitude"]),
        float(row["centre_longitude"]),
    )


@pytest.mark.parametrize(
    "kind", ["shared_person", "drug_batch", "professional", "stranger", "robbery_elderly"]
)
def test_every_series_has_members_and_decoys(data, kind):
    m, d = members(data, kind), members(data, kind, "decoy")
    assert len(m) >= 4
    assert len(d) >= 2
    assert not set(m["case_id"]) & set(d["case_id"])
    s = data["truth/series"]
    assert (s.loc[(s["kind"] == kind) & (s["role_in_truth"] == "decoy"), "shares"] != "").all()


def test_shared_person_series(data):
    m = members(data, "shared_person")
    row = summary(data, "shared_person")
    assert 5 <= len(m) <= 7
    assert m["category"].isin(("drug_related_death", "unexplained_death")).all()
    assert m["status"].isin(("closed_non_crime", "no_further_action")).all()
    assert (m["victim_sex"] == "male").all() and m["victim_age"].astype(int).between(20, 35).all()
    assert m["substance"].str.lower().str.contains("ghb").all()
    assert (within(m, row) <= 1.5).all()
    days = pd.to_datetime(m["reported_at"])
    assert (days.max() - days.min()).days <= 731
    cp = data["case-persons"]
    key = row["key_person_id"]
    on = cp[cp["person_id"] == key]
    assert set(m["case_id"]) <= set(on["case_id"])
    assert on.loc[on["case_id"].isin(m["case_id"]), "role"].isin(("reporting_person", "associate")).all()
    assert m["victim_person_id"].nunique() == len(m)
    # Apart from the key person, no one links two members.
    others = cp[cp["case_id"].isin(m["case_id"]) & (cp["person_id"] != key)]
    assert others.groupby("person_id")["case_id"].nunique().max() == 1
    assert not set(on["case_id"]) & set(members(data, "shared_person", "decoy")["case_id"])


def test_drug_batch_series(data):
    m = members(data, "drug_batch")
    row = summary(data, "drug_batch")
    assert 6 <= len(m) <= 10
    assert (m["category"] == "drug_related_death").all()
    assert m["substance"].str.contains("fentanyl").all()
    assert (within(m, row) <= 3.0).all()
    days = pd.to_datetime(m["reported_at"]).dt.normalize()
    assert (days.max() - days.min()).days <= 10
    ents = data["case-entities"]
    stamped = ents[(ents["entity_type"] == "drug_batch") & ents["case_id"].isin(m["case_id"])]
    assert 2 <= stamped["case_id"].nunique() <= len(m)
    assert stamped["entity_value"].str.lower().str.contains("scorpion").all()
    sp = data["truth/series_partner_records"]
    assert len(sp) >= 4 and (sp["agency"] == "ambulance").all()


def test_professional_series(data):
    prof = data["truth/professionals"]
    planted = prof[prof["planted"] == "yes"]
    assert len(planted) == 1
    p = planted.iloc[0]
    m = members(data, "professional")
    cp = data["case-persons"]
    present = set(cp.loc[(cp["person_id"] == p["person_id"]) & (cp["role"] == "professional"), "case_id"])
    assert set(m["case_id"]) == present
    assert int(p["n_cases"]) >= 2 * float(p["expected_cases"])
    assert int(p["n_night_cases"]) / int(p["n_cases"]) >= 0.5
    peers = prof[
        (prof["role_description"] == p["role_description"])
        & (prof["setting"] == p["setting"])
        & (prof["planted"] == "no")
    ]
    assert int(p["n_cases"]) > 2 * peers["n_cases"].astype(int).mean()
    assert (peers["n_night_cases"].astype(int).sum() / peers["n_cases"].astype(int).sum()) < 0.5
    # The legitimate high-volume professionals: care home GPs, daytime only, at their expected rate.
    gps = prof[prof["role_description"] == "care home GP"]
    assert (gps["n_night_cases"].astype(int) == 0).all()
    assert (gps["rate_ratio"].astype(float).round(6) == 1.0).all()
    assert gps["n_cases"].astype(int).max() > peers["n_cases"].astype(int).mean()


def test_stranger_series(data):
    m = members(data, "stranger")
    assert 4 <= len(m) <= 6
    assert (m["category"] == "homicide").sum() == 1
    assert m["category"].isin(("homicide", "attempted_homicide")).all()
    assert (m["victim_sex"] == "female").all() and m["victim_age"].astype(int).between(18, 30).all()
    assert (m["method"] == "strangulation").all() and (m["location_type"] == "public_open_space").all()
    assert (m["suspect_relationship"] == "stranger").all() and (m["status"] == "open").all()
    hours = pd.to_datetime(m["occurred_from"]).dt.hour
    assert hours.isin((21, 22, 23, 0)).all()
    lat, lon = m["latitude"].astype(float).to_numpy(), m["longitude"].astype(float).to_numpy()
    assert km_between(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).max() <= 2.0
    ents = data["case-entities"]
    plates = ents[(ents["entity_type"] == "vehicle") & ents["case_id"].isin(m["case_id"])]["entity_value"]
    assert len(plates) >= 1
    assert plates.str.lower().str.replace("-", "", regex=False).str.contains("yk6").all()


def test_robbery_elderly_series(data):
    m = members(data, "robbery_elderly")
    assert 4 <= len(m) <= 6
    assert m["category"].isin(("homicide", "attempted_homicide")).all()
    assert (m["circumstance"] == "robbery_financial").all() and (
        m["location_type"] == "dwelling_victim"
    ).all()
    assert (m["victim_age"].astype(int) >= 75).all()
    assert m["method"].isin(("hitting_kicking", "blunt_instrument")).all()
    assert m["narrative"].str.lower().str.contains("water").all()
    days = pd.to_datetime(m["reported_at"])
    assert (days.max() - days.min()).days <= 150
    assert (within(m, summary(data, "robbery_elderly")) <= 2.5).all()


def test_emerging_rise(data):
    em = data["truth/emerging"].iloc[0]
    assert em["category"] in vocab.CATEGORIES and em["quarter"] == "2023Q4"
    ids = em["case_ids"].split(";")
    assert len(ids) == int(em["planted_extra"]) >= 3
    geo = load_geography()
    la = dict(zip(geo.code, geo.table["la_code"], strict=True))
    c = data["cases"][data["cases"]["case_id"].isin(ids)]
    assert (c["category"] == em["category"]).all()
    assert c["lsoa_code"].map(la).eq(em["la_code"]).all()
    assert (c["reported_at"] >= "2023-10-01").all()
    q = data["cases"][
        (data["cases"]["category"] == em["category"])
        & (data["cases"]["reported_at"] >= "2023-10-01")
        & data["cases"]["lsoa_code"].map(la).eq(em["la_code"])
    ]
    assert len(q) == int(em["observed_in_quarter"]) >= (B.EMERGING_FACTOR - 0.2) * float(em["expected_without_plant"])


def test_escalation_chains(data):
    esc = data["truth/escalation"]
    assert 5 <= len(esc) <= 6  # 15 per five years of the whole force, 3 at least, 20 at most
    inc = data["incidents"].set_index("incident_id")
    ip = data["incident-persons"]
    cases = data["cases"].set_index("case_id")
    cp = data["case-persons"]
    early, late, gaps_first, gaps_second = [], [], [], []
    for _, ch in esc.iterrows():
        ids = ch["incident_ids"].split(";")
        assert len(ids) >= 5
        rows = inc.loc[ids]
        assert rows["flags"].str.contains("domestic_abuse").all()
        assert (rows["occurred_at"] < cases.at[ch["case_id"], "reported_at"]).all()
        assert list(rows["occurred_at"]) == sorted(rows["occurred_at"])
        people = ip[ip["incident_id"].isin(ids)]
        assert set(people.loc[people["role"] == "suspect", "person_id"]) == {ch["suspect_person_id"]}
        assert set(people.loc[people["role"] == "victim", "person_id"]) == {ch["victim_person_id"]}
        case = cases.loc[ch["case_id"]]
        assert case["category"] in ("homicide", "attempted_homicide")
        assert (
            case["suspect_relationship"] == "partner_ex_partner" and case["circumstance"] == "domestic_abuse"
        )
        assert case["victim_person_id"] == ch["victim_person_id"]
        assert (
            (cp["case_id"] == ch["case_id"])
            & (cp["person_id"] == ch["suspect_person_id"])
            & (cp["role"] == "suspect")
        ).any()
        sev = rows["severity"].astype(float).to_numpy()
        third = max(1, len(sev) // 3)
        early.append(sev[:third].mean())
        late.append(sev[-third:].mean())
        t = pd.to_datetime(rows["occurred_at"]).to_numpy().astype("datetime64[s]").astype(np.int64)
        gaps = np.diff(t)
        half = len(gaps) // 2
        gaps_first.append(gaps[:half].mean())
        gaps_second.append(gaps[half:].mean())
    assert np.mean(late) > 2 * np.mean(early)
    assert np.mean(gaps_second) < np.mean(gaps_first)
    dy = data["truth/da_dyads"]
    assert (dy["escalating"] == "no").sum() > 10 * (dy["escalating"] == "yes").sum()


def test_partner_identity_truth_and_errors(data):
    ident = data["truth/partner_identity"]
    recs = data["partner-records"].merge(ident, on=["agency", "record_id"])
    assert set(ident["match_type"]) == {
        "identifiable_match",
        "non_match",
        "anonymised_linked",
        "anonymised_unlinked",
    }
    errors = {e for v in ident["errors"] for e in v.split(";") if e}
    assert errors == set(ERROR_RATES)
    anon = recs[recs["agency"].isin(("nhs_ed", "ambulance"))]
    assert (anon["given_name"] == "").all() and (anon["family_name"] == "").all()
    ed = recs[recs["agency"] == "nhs_ed"]
    assert (ed["record_type"] == "assault_attendance").all() and (ed["location_text"] != "").all()
    named = recs[recs["agency"].isin(("la_safeguarding", "youth_justice", "probation"))]
    assert (named["given_name"] != "").all() and (named["source_person_ref"] != "").all()
    assert set(named["match_type"]) == {"identifiable_match", "non_match"}
    assert (named.loc[named["match_type"] == "non_match", "person_id"] == "").all()
    persons = data["persons"].set_index("person_id")
    match = named[named["match_type"] == "identifiable_match"]
    clean = match[match["errors"] == ""]
    truth = persons.loc[clean["person_id"]]
    assert (clean["given_name"].to_numpy() == truth["given_name"].to_numpy()).all()
    assert (clean["family_name"].to_numpy() == truth["family_name"].to_numpy()).all()
    assert (clean["date_of_birth"].to_numpy() == truth["date_of_birth"].to_numpy()).all()
    swapped = match[match["errors"].str.contains("dob_day_month_swapped")]
    t = persons.loc[swapped["person_id"], "date_of_birth"].to_numpy()
    assert all(
        s[:4] == d[:4] and s[5:7] == d[8:10] and s[8:10] == d[5:7]
        for s, d in zip(swapped["date_of_birth"], t, strict=True)
    )
    nick = match[match["errors"].str.contains("nickname") & ~match["errors"].str.contains("typo_given")]
    table = nickname_table()
    true_given = persons.loc[nick["person_id"], "given_name"].str.lower().to_numpy()
    assert all(g.lower() in table[t] for g, t in zip(nick["given_name"], true_given, strict=True))
    share = (match["errors"] != "").mean()
    assert 0.3 < share < 0.8
    assert 0.2 < (named["match_type"] == "non_match").mean() < 0.35


# -- NHS data located for the Cardiff Model, and the NHS-only hot spot ---------------------------

VAGUE_PLACES = {
    "at home",
    "partner's house",
    "home address",
    "at a friend's house",
    "town centre",
    "in town",
    "park",
    "in the park",
    "not known",
    *VENUES,
    *(f"near {v}" for v in VENUES),
}


def ed_records(data) -> pd.DataFrame:
    p = data["partner-records"]
    ident = data["truth/partner_identity"][["agency", "record_id", "match_type"]]
    return p[p["agency"] == "nhs_ed"].merge(ident, on=["agency", "record_id"])


def test_most_ed_records_are_geocoded_consistently_with_their_text(data):
    ed = ed_records(data)
    located = ed["lsoa_code"] != ""
    assert 0.75 < located.mean() < 0.85
    assert ((ed["latitude"] != "") == located).all() and ((ed["longitude"] != "") == located).all()
    # Free text only: vague places no analyst could geocode.
    assert set(ed.loc[~located, "location_text"]) <= VAGUE_PLACES
    # Geocoded: the text names a street of the LSOA it was geocoded to.
    geo = load_geography()
    where = dict(zip(geo.code, range(geo.n), strict=True))
    for code, text in zip(ed.loc[located, "lsoa_code"], ed.loc[located, "location_text"], strict=True):
        i = where[code]
        names = geo.streets[i] or (str(geo.name[i]),)
        assert any(n in text for n in names), (code, text)
    # Under-reporting: about half of attendances are unknown to police (Cardiff Model literature).
    assert 0.4 < (ed["match_type"] == "anonymised_unlinked").mean() < 0.6


def test_partner_positions_are_in_west_yorkshire_and_near_their_lsoa(data):
    geo = load_geography()
    where = dict(zip(geo.code, range(geo.n), strict=True))
    p = data["partner-records"]
    amb = p[(p["agency"] == "ambulance") & (p["record_type"] == "assault")]
    assert len(amb) and (amb["lsoa_code"] != "").all() and (amb["latitude"] != "").all()
    placed = p[p["latitude"] != ""]
    assert set(placed["agency"]) == {"nhs_ed", "ambulance"}
    assert ((placed["lsoa_code"] != "") & (placed["longitude"] != "")).all()
    lat, lon = placed["latitude"].astype(float).to_numpy(), placed["longitude"].astype(float).to_numpy()
    assert (lat >= BOUNDS["lat_min"]).all() and (lat <= BOUNDS["lat_max"]).all()
    assert (lon >= BOUNDS["lon_min"]).all() and (lon <= BOUNDS["lon_max"]).all()
    idx = placed["lsoa_code"].map(where).astype(int).to_numpy()
    assert (km_between(lat, lon, geo.lat[idx], geo.lon[idx]) <= 0.31).all()


def test_ed_assaults_follow_police_violence_geography(data):
    ed = ed_records(data)
    hot = set(data["truth/nhs_hotspot"]["lsoa_code"])
    before = ed[(ed["occurred_at"] < "2023-01-01") & (ed["lsoa_code"] != "") & ~ed["lsoa_code"].isin(hot)]
    inc = data["incidents"]
    police = inc[inc["incident_type"].isin(POLICE_VIOLENCE) & ~inc["lsoa_code"].isin(hot)]
    geo = load_geography()
    counts = pd.DataFrame(
        {
            "ed": before.groupby("lsoa_code").size().reindex(geo.code, fill_value=0),
            "police": police.groupby("lsoa_code").size().reindex(geo.code, fill_value=0),
        }
    )
    assert counts["ed"].corr(counts["police"]) > 0.5
    # The busiest tenth of LSOAs for police violence hold a similar share of ED attendances.
    top = counts["police"] >= counts["police"].quantile(0.9)
    share_ed = counts.loc[top, "ed"].sum() / counts["ed"].sum()
    share_police = counts.loc[top, "police"].sum() / counts["police"].sum()
    assert abs(share_ed - share_police) < 0.1, (share_ed, share_police)


def test_nhs_only_hot_spot(data):
    hs = data["truth/nhs_hotspot"]
    assert list(hs.columns) == HOTSPOT_COLUMNS
    assert 3 <= len(hs) <= 6 and hs["la_code"].nunique() == 1 and hs["lsoa_code"].is_unique
    assert set(hs["from_date"]) == {"2023-01-01"} and set(hs["to_date"]) == {"2023-12-31"}
    geo = load_geography()
    where = dict(zip(geo.code, range(geo.n), strict=True))
    idx = hs["lsoa_code"].map(where).astype(int).to_numpy()
    assert (geo.table["la_code"].to_numpy()[idx] == hs["la_code"].iloc[0]).all()
    assert geo.distances[np.ix_(idx, idx)].max() <= 3.0  # neighbouring LSOAs
    planted = hs["planted_ed_per_quarter"].astype(float).sum()
    assert planted >= 2.0 * hs["background_ed_per_quarter"].astype(float).sum()
    # In the data: ED attendances located there in the last four quarters are several times the
    # same LSOAs' earlier level; police-recorded violence there is not elevated.
    ed = ed_records(data)
    ed = ed[ed["lsoa_code"].isin(hs["lsoa_code"])]
    ed_late, ed_early = (ed["occurred_at"] >= "2023-01-01").sum(), (ed["occurred_at"] < "2023-01-01").sum()
    assert ed_late >= 3 * max(ed_early, 3), (ed_late, ed_early)
    assert (ed.loc[ed["occurred_at"] >= "2023-01-01", "match_type"] == "anonymised_unlinked").mean() > 0.7
    inc = data["incidents"]
    pv = inc[inc["lsoa_code"].isin(hs["lsoa_code"]) & inc["incident_type"].isin(POLICE_VIOLENCE)]
    pv_late, pv_early = (pv["occurred_at"] >= "2023-01-01").sum(), (pv["occurred_at"] < "2023-01-01").sum()
    assert pv_late <= 1.3 * pv_early + 3 * math.sqrt(pv_early) + 3, (pv_late, pv_early)
    assert ed_late / max(pv_late, 1) > 2 * ed_early / max(pv_early, 1)
    params = dict(zip(data["truth/parameters"]["name"], data["truth/parameters"]["value"], strict=True))
    assert params["plant_nhs_hotspot"] == "yes" and params["nhs_hotspot_la_code"] == hs["la_code"].iloc[0]


# -- switches for validation runs ---------------------------------------------------------------

SWITCHES = {
    "plant_series": ("series", "series_summary", "series_partner_records"),
    "plant_emerging": ("emerging",),
    "plant_nhs_hotspot": ("nhs_hotspot",),
}
CASE_KEY = ["category", "reported_at", "occurred_from", "lsoa_code", "latitude", "longitude", "method"]


@pytest.fixture(scope="module")
def switched(tmp_path_factory) -> dict[str, Path]:
    """The small run again with each plant switched off in turn."""
    out = {}
    for switch in SWITCHES:
        out[switch] = tmp_path_factory.mktemp(switch)
        synthesise(out[switch], seed=7, **SMALL, **{switch: False})
    return out


@pytest.mark.parametrize("switch", list(SWITCHES))
def test_a_plant_switched_off_leaves_an_empty_truth_file(small, switched, switch):
    on, off = small[0], switched[switch]
    for name in TRUTH:
        head = (on / "truth" / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        text = (off / "truth" / f"{name}.csv").read_text(encoding="utf-8")
        if name in SWITCHES[switch]:
            assert text == head + "\n", name
        else:
            assert text.split("\n", 1)[0] == head and len(read(off / "truth", f"{name}.csv")) > 0, name
        assert len(read(on / "truth", f"{name}.csv")) > 0, name
    params = dict(zip(*read(off / "truth", "parameters.csv").T.to_numpy(), strict=True))
    assert params[switch] == "no"
    assert all(params[s] == "yes" for s in SWITCHES if s != switch)


def test_switching_off_series_or_emerging_keeps_the_background_cases(small, switched):
    on = read(small[0], "cases.csv")
    planted = {
        "plant_emerging": set(read(small[0] / "truth", "emerging.csv")["case_ids"].iloc[0].split(";")),
        "plant_series": set(on["case_id"][on["case_id"].isin(read(small[0] / "truth", "series.csv")["case_id"])]),
    }
    for switch, ids in planted.items():
        off = read(switched[switch], "cases.csv")
        # The switched-off run's cases are the full run's cases less planted ones (series truth
        # also names background cases the planted professional attended, which stay).
        got = off[CASE_KEY].merge(on[CASE_KEY].assign(_in=1), on=CASE_KEY, how="left")
        assert got["_in"].notna().all() and len(got) == len(off), switch
        gone = on.merge(off[CASE_KEY].assign(_in=1), on=CASE_KEY, how="left")
        gone = set(gone.loc[gone["_in"].isna(), "case_id"])
        assert gone and gone <= ids, switch
        if switch == "plant_emerging":
            assert gone == ids
    em = read(switched["plant_emerging"] / "truth", "emerging.csv")
    assert em.empty


def test_switching_off_the_nhs_hot_spot_changes_nothing_else(small, switched):
    on, off = small[0], switched["plant_nhs_hotspot"]
    changed = ("partner-records.csv", "truth/partner_identity.csv", "truth/parameters.csv", "truth/nhs_hotspot.csv")
    for name in FILES + [f"truth/{t}.csv" for t in TRUTH]:
        if name in changed:
            continue
        assert (on / name).read_bytes() == (off / name).read_bytes(), name
    a, b = read(on, "partner-records.csv"), read(off, "partner-records.csv")
    assert a[a["agency"] != "nhs_ed"].reset_index(drop=True).equals(b[b["agency"] != "nhs_ed"].reset_index(drop=True))
    cols = [c for c in a.columns if c != "record_id"]
    ed_on, ed_off = a[a["agency"] == "nhs_ed"][cols], b[b["agency"] == "nhs_ed"][cols]
    extra = ed_on.merge(ed_off.assign(_in=1), on=cols, how="left")
    hs = read(on / "truth", "nhs_hotspot.csv")
    new = extra[extra["_in"].isna()]
    assert len(extra) == len(ed_on) and len(new) == len(ed_on) - len(ed_off) > 0
    assert new.loc[new["lsoa_code"] != "", "lsoa_code"].isin(hs["lsoa_code"]).all()
    assert (new["occurred_at"] >= hs["from_date"].iloc[0]).all()


def test_switches_are_deterministic(switched, tmp_path):
    again = tmp_path / "again"
    synthesise(again, seed=7, **SMALL, plant_nhs_hotspot=False)
    for name in FILES + [f"truth/{t}.csv" for t in TRUTH] + ["truth/README.md"]:
        assert (switched["plant_nhs_hotspot"] / name).read_bytes() == (again / name).read_bytes(), name
    everything_off = tmp_path / "off"
    for folder in (everything_off, tmp_path / "off2"):
        synthesise(folder, seed=7, **SMALL, plant_series=False, plant_emerging=False, plant_nhs_hotspot=False)
    for name in FILES + [f"truth/{t}.csv" for t in TRUTH]:
        assert (everything_off / name).read_bytes() == (tmp_path / "off2" / name).read_bytes(), name
    for name in ("series", "series_summary", "series_partner_records", "emerging", "nhs_hotspot"):
        assert read(everything_off / "truth", f"{name}.csv").empty, name


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(InputError):
        synthesise(tmp_path, years=0, end=END)
    with pytest.raises(InputError):
        synthesise(tmp_path, population_scale=0, end=END)
