"""The synthetic force's serious youth violence plants (issue 8): programme, outcome 22,
disproportionality, arrests, recording of protected characteristics, and the population table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from threadline import vocab
from threadline.analyse.violence import definitions as D
from threadline.analyse.violence.ethnicity import to_group5
from threadline.synth import synthesise
from threadline.synth import violence as V
from threadline.synth.geography import load_geography

END = date(2024, 12, 31)
RUN = {"years": 3, "seed": 11, "population_scale": 0.3, "end": END}
NEW_TRUTH = ("intervention", "outcome22", "disproportionality", "recording")
NEW_FILES = ["participants.csv", "population.csv", "incidents.csv", "incident-persons.csv", "persons.csv",
             "cases.csv"] + [f"truth/{t}.csv" for t in (*NEW_TRUTH, "parameters")]


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("violence")
    synthesise(out, **RUN)
    return out


@pytest.fixture(scope="module")
def d(run) -> dict[str, pd.DataFrame]:
    names = ["persons", "cases", "case-persons", "incidents", "incident-persons", "participants"]
    out = {n: read(run, f"{n}.csv") for n in names}
    out.update({t: read(run / "truth", f"{t}.csv") for t in (*NEW_TRUTH, "parameters", "da_dyads")})
    return out


@pytest.fixture(scope="module")
def defs() -> D.Definitions:
    return D.load()


@pytest.fixture(scope="module")
def lsoa_la() -> dict[str, str]:
    geo = load_geography()
    return dict(zip(geo.code, np.array(geo.la_codes, dtype=object)[geo.la], strict=True))


@pytest.fixture(scope="module")
def off(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("violence_off")
    synthesise(out, **RUN, plant_violence=False)
    return out


def test_new_files_are_deterministic(run, tmp_path):
    synthesise(tmp_path, **RUN)
    for name in NEW_FILES:
        assert (run / name).read_bytes() == (tmp_path / name).read_bytes(), name


# -- 1. the programme --------------------------------------------------------------------------------


def _events(d, defs) -> pd.DataFrame:
    inc = d["incidents"].copy()
    inc["sv"] = D.incident_categories(inc, defs) != ""
    ev = d["incident-persons"].merge(inc[["incident_id", "occurred_at", "sv"]], on="incident_id")
    ev["day"] = pd.to_datetime(ev["occurred_at"]).dt.normalize()
    return ev


def test_participants_meet_the_candidate_rule(d, defs):
    part = d["participants"]
    assert len(part) >= 40 and part["person_id"].is_unique
    assert (part["programme"] == V.PROGRAMME).all()
    persons = d["persons"].set_index("person_id")
    assert part["person_id"].isin(persons.index).all()
    t = pd.to_datetime(part["start_date"])
    assert (t.dt.day == 1).all() and t.nunique() > 1
    age = D.age_at(persons.loc[part["person_id"], "date_of_birth"].reset_index(drop=True), t.reset_index(drop=True))
    assert age.between(12, 24).all()
    ev = _events(d, defs)
    sus = ev[ev["role"] == "suspect"].merge(part.assign(t=t), on="person_id")
    prior = sus[(sus["day"] >= sus["t"] - pd.DateOffset(months=24)) & (sus["day"] < sus["t"])]
    assert set(prior["person_id"]) == set(part["person_id"])
    # The programme cannot take victims or suspects of a death investigation or near miss (the analysis
    # leaves them out of its comparison pool by the same rule).
    cp = d["case-persons"]
    banned = set(cp.loc[cp["role"].isin(["victim", "suspect"]), "person_id"]) | set(d["cases"]["victim_person_id"])
    assert not set(part["person_id"]) & banned


def test_intervention_truth_matches_the_files(d, defs):
    tr = d["intervention"].iloc[0]
    n = int(tr["n_participants"])
    assert n == len(d["participants"])
    assert float(tr["planted_relative_risk"]) == pytest.approx(0.6)
    assert float(tr["realised_att_risk_difference"]) == pytest.approx(-int(tr["n_removed"]) / n, abs=1e-6)
    # Only general incidents can be taken away, so the expected effect is at most q x Y0 in size.
    assert -0.4 * float(tr["y0_risk"]) - 1e-6 <= float(tr["expected_att_risk_difference"]) < 0
    assert tr["covariates"].split(";") == ["age", "sex", "prior_sv_12m", "prior_any_24m", "prior_victim_24m"]
    # The population ATT (over the selection) is the same kind of quantity: negative, at most q in
    # size, and the sample's expected effect lies within sampling error of it (4 SDs of the share).
    pop, y0 = float(tr["population_att_risk_difference"]), float(tr["y0_risk"])
    assert -0.4 < pop < 0
    assert abs(pop - float(tr["expected_att_risk_difference"])) < 0.4 * 4 * (y0 * (1 - y0) / n) ** 0.5
    # Observed follow-up outcome of participants = Y0 less the removed ones, exactly.
    part = d["participants"].assign(t=pd.to_datetime(d["participants"]["start_date"]))
    ev = _events(d, defs)
    f = ev[(ev["role"] == "suspect") & ev["sv"]].merge(part, on="person_id")
    f = f[(f["day"] > f["t"]) & (f["day"] <= f["t"] + pd.DateOffset(months=12))]
    post = f["person_id"].nunique() / n
    assert post == pytest.approx(float(tr["y0_risk"]) + float(tr["realised_att_risk_difference"]), abs=1e-6)


# -- 2. outcome 22 -----------------------------------------------------------------------------------


def test_outcome22_eligibility_recomputed_equals_the_plant(d, defs):
    tr = d["outcome22"].iloc[0]
    inc = d["incidents"]
    rows = d["incident-persons"].query("role == 'suspect'").merge(
        inc[["incident_id", "occurred_at", "severity", "outcome_code", "outcome"]], on="incident_id")
    rows = rows.merge(d["persons"][["person_id", "date_of_birth"]], on="person_id")
    rows["age"] = D.age_at(rows["date_of_birth"], rows["occurred_at"])
    rows["n_suspects"] = rows.groupby("incident_id")["person_id"].transform("size")
    elig = D.outcome22_eligible(rows, defs) & (rows["n_suspects"] == 1)
    after = pd.to_datetime(rows["occurred_at"]) >= pd.Timestamp(tr["training_date"])
    is22 = rows["outcome_code"] == "22"
    assert int((elig & ~after).sum()) == int(tr["n_eligible_before"])
    assert int((elig & after).sum()) == int(tr["n_eligible_after"])
    assert int((elig & ~after & is22).sum()) == int(tr["n_o22_before"])
    assert int((elig & after & is22).sum()) == int(tr["n_o22_after"])
    assert int((~D.outcome22_eligible(rows, defs) & is22).sum()) == int(tr["n_o22_not_eligible"])
    for n_col, k_col, p in (("n_eligible_before", "n_o22_before", 0.08), ("n_eligible_after", "n_o22_after", 0.20)):
        n, k = int(tr[n_col]), int(tr[k_col])
        assert n > 50
        assert abs(k / n - p) < 4 * np.sqrt(p * (1 - p) / n) + 0.01, (n_col, k, n)
    assert pd.Timestamp(tr["training_date"]).day == 1
    labels = rows.loc[is22, "outcome"].unique()
    assert list(labels) == ["Diversionary, educational or intervention activity"]


# -- 3 and 4. disproportionality and arrests -----------------------------------------------------------


def _youth_involvements(d, defs, lsoa_la) -> pd.DataFrame:
    inc, cases = d["incidents"], d["cases"]
    a = d["incident-persons"][d["incident-persons"]["role"].isin(["victim", "suspect"])].merge(
        inc[["incident_id", "occurred_at", "lsoa_code", "incident_type", "ho_offence_code", "flags", "outcome_code"]],
        on="incident_id")
    a = a[D.incident_categories(a, defs) != ""].assign(source="incident")
    c = cases[D.case_categories(cases, defs) != ""].copy()
    c["occurred_at"] = c["occurred_from"].where(c["occurred_from"] != "", c["reported_at"])
    cv = c.assign(person_id=c["victim_person_id"], role="victim")
    cs = d["case-persons"].query("role == 'suspect'").merge(c.drop(columns=["victim_person_id"]), on="case_id")
    both = pd.concat([a, cv, cs], ignore_index=True)
    both = both.merge(d["persons"][["person_id", "date_of_birth", "ethnicity"]], on="person_id")
    both["age"] = D.age_at(both["date_of_birth"], both["occurred_at"])
    both = both[D.is_youth(both["age"], defs)].copy()
    both["la_code"] = both["lsoa_code"].map(lsoa_la)
    return both


def test_disproportionality_truth_matches_observed_counts(d, defs, lsoa_la):
    tr = d["disproportionality"]
    assert len(tr) == len(V.MEASURES) * 6 * 5
    num = tr.set_index(["measure", "area", "group5"])[["expected_count", "sd", "rri"]].apply(pd.to_numeric)
    assert 2.0 < num.loc[("suspects", "force", "black"), "rri"] < 4.5
    assert 1.4 < num.loc[("victims", "force", "black"), "rri"] < 3.5
    assert num.loc[("suspects", "force", "white"), "rri"] == pytest.approx(1.0)
    inv = _youth_involvements(d, defs, lsoa_la)
    assert inv["ethnicity"].isin(V.GROUP5).all()
    code = pd.to_numeric(inv["outcome_code"], errors="coerce")
    inv["arrested_"] = inv["arrested"] == "yes"
    for stage in ("charged", "out_of_court", "outcome_22"):
        inv[stage + "_"] = code.isin(list(defs.stage_outcomes[stage]))
    checked = 0
    for area in [*sorted(set(lsoa_la.values())), "force"]:
        part = inv if area == "force" else inv[inv["la_code"] == area]
        people = {
            "victims": part[part["role"] == "victim"],
            "suspects": part[part["role"] == "suspect"],
        }
        sus = people["suspects"]
        for stage in ("arrested", "charged", "out_of_court", "outcome_22"):
            people[stage] = sus[sus[stage + "_"]]
        for measure, rows in people.items():
            obs = rows.drop_duplicates("person_id")["ethnicity"].value_counts()
            for g in V.GROUP5:
                e, sd = num.loc[(measure, area, g), ["expected_count", "sd"]]
                o = int(obs.get(g, 0))
                assert abs(o - e) <= 4 * sd + 1.5, (measure, area, g, o, e, sd)
                checked += 1
    assert checked == len(tr)
    # Ethnicity is consistent: the victim column of cases and the persons file agree.
    cases = d["cases"].merge(d["persons"][["person_id", "ethnicity"]], left_on="victim_person_id",
                             right_on="person_id")
    assert (cases["victim_ethnicity"] == cases["ethnicity"]).all()


def test_arrests(d, defs):
    ip = d["incident-persons"]
    sus = ip["role"] == "suspect"
    assert ip.loc[sus, "arrested"].isin(["yes", "no"]).all()
    assert (ip.loc[~sus, "arrested"] == "").all()
    inc = d["incidents"].assign(sv=lambda f: D.incident_categories(f, defs) != "")
    s = ip[sus].merge(inc[["incident_id", "sv"]], on="incident_id").merge(
        d["persons"][["person_id", "ethnicity"]], on="person_id")
    other = s[~s["sv"]]
    assert abs((other["arrested"] == "yes").mean() - 0.35) < 0.03
    white = s[s["sv"] & (s["ethnicity"] == "white")]
    assert abs((white["arrested"] == "yes").mean() - 0.45) < 4 * np.sqrt(0.45 * 0.55 / len(white)) + 0.01


# -- 5. recording ------------------------------------------------------------------------------------


def test_recorded_characteristics(d):
    ip = d["incident-persons"]
    vs = ip["role"].isin(["victim", "suspect"])
    for f in V.RECORDED:
        assert (ip.loc[~vs, f] == "").all(), f
    rows = ip[vs].merge(d["incidents"][["incident_id", "occurred_at", "recording_unit", "source_system"]],
                        on="incident_id")
    rows = rows.merge(d["persons"][["person_id", "sex", "ethnicity", "date_of_birth"]], on="person_id",
                      suffixes=("", "_person"))
    fall = d["recording"].iloc[0]
    in_fall = (rows["recording_unit"] == fall["recording_unit"]) & (rows["occurred_at"] >= fall["from_month"])
    assert in_fall.sum() > 100
    for f, rate in V.RECORDED.items():
        base = rows.loc[~in_fall, f] != ""
        assert abs(base.mean() - rate) < 0.02, f
    sd = rows.loc[in_fall, "ethnicity_self_defined"] != ""
    assert abs(sd.mean() - 0.40) < 4 * np.sqrt(0.24 / len(sd)) + 0.01
    assert float(fall["baseline_rate"]) == 0.8 and float(fall["planted_rate"]) == 0.4
    # Values: in the vocabularies and consistent with the person.
    assert rows["ethnicity_self_defined"].isin([*vocab.ETHNICITY_SELF_DEFINED, ""]).all()
    assert rows["ethnicity_observed"].isin([*vocab.ETHNICITY_OBSERVED, ""]).all()
    for f, values in (("disability", vocab.DISABILITY), ("religion", vocab.RELIGIONS),
                      ("sexual_orientation", vocab.SEXUAL_ORIENTATIONS), ("gender_identity", vocab.GENDER_IDENTITIES)):
        assert rows[f].isin([*values, ""]).all(), f
    rec_sex = rows[rows["sex"] != ""]
    assert (rec_sex["sex"] == rec_sex["sex_person"]).all()
    rec_age = rows[rows["age"] != ""]
    assert (rec_age["age"].astype(int) == D.age_at(rec_age["date_of_birth"], rec_age["occurred_at"])).all()
    sdef = rows[~rows["ethnicity_self_defined"].isin(["", "NS"])]
    assert (to_group5(sdef["ethnicity_self_defined"]) == sdef["ethnicity"]).all()
    ns = (rows["ethnicity_self_defined"] == "NS").sum() / (rows["ethnicity_self_defined"] != "").sum()
    assert 0.06 < ns < 0.14
    asian = sdef[sdef["ethnicity"] == "asian"]["ethnicity_self_defined"].value_counts(normalize=True)
    assert asian.index[0] == "A2"
    obs = rows[rows["ethnicity_observed"] != ""]
    agree = to_group5(obs["ethnicity_observed"], "observed") == obs["ethnicity"]
    for g in ("white", "black", "asian"):
        assert 0.8 < agree[obs["ethnicity"] == g].mean() < 0.97, g
    inc = d["incidents"]
    assert inc["source_system"].isin(["Niche RMS", "STORM"]).all()
    assert ((inc["source_system"] == "STORM") == inc["outcome_code"].eq("") & inc["incident_type"].isin(
        ["concern_for_welfare", "missing_person", "anti_social_behaviour", "other"])).all()
    assert inc["recording_unit"].str.endswith(" District").all() and inc["recording_unit"].nunique() == 5


# -- 6. population -----------------------------------------------------------------------------------


def test_population_table(run, d):
    text = (run / "population.csv").read_text(encoding="utf-8")
    header = text.split("\n", 1)[0]
    import gzip
    from importlib.resources import files

    with gzip.open(files("threadline").joinpath("reference", "census-2011-DC2101EW.csv.gz"), "rt") as f:
        shipped = pd.read_csv(f, dtype=str, keep_default_na=False)
    assert header == ",".join(shipped.columns)
    pop = read(run, "population.csv")
    geo = load_geography()
    assert list(pop["geography code"]) == list(geo.la_codes)
    real = shipped.set_index("geography code").loc[list(geo.la_codes)]
    total = "Sex: All persons; Age: All categories: Age; Ethnic Group: All categories: Ethnic group; measures: Value"
    ratio = pop[total].astype(int).to_numpy() / real[total].astype(int).to_numpy()
    assert np.allclose(ratio, 0.3, rtol=0.01)
    num = pop.set_index("geography code").iloc[:, 2:].astype(int)
    # Totals are consistent: all persons = males + females; a group total = its parts.
    cols = list(num.columns)
    for c in cols:
        if c.startswith("Sex: All persons"):
            m, f = c.replace("All persons", "Males"), c.replace("All persons", "Females")
            assert (num[c] == num[m] + num[f]).all(), c
    parts = [c for c in cols if c.startswith("Sex: Males; Age: Age 15; Ethnic Group: Asian/") and "Total" not in c]
    assert (num["Sex: Males; Age: Age 15; Ethnic Group: Asian/Asian British: Total; measures: Value"]
            == num[parts].sum(axis=1)).all()
    population = pytest.importorskip("threadline.analyse.violence.population")
    tidy = population.read_nomis(run / "population.csv")
    assert set(tidy["la_code"]) == set(geo.la_codes)
    assert int(tidy["count"].sum()) == int(num[total].sum())
    youth = tidy[(tidy["age_min"] >= 10) & (tidy["age_max"] <= 24)].groupby("group5")["count"].sum()
    tr = d["disproportionality"]
    force = tr[(tr["measure"] == "suspects") & (tr["area"] == "force")].set_index("group5")["youth_population"]
    for g in V.GROUP5:
        assert int(force[g]) == int(youth[g]), g


# -- switched off ------------------------------------------------------------------------------------


def test_switched_off(off, run):
    assert (off / "participants.csv").read_text(encoding="utf-8") == "person_id,start_date,programme\n"
    for t in NEW_TRUTH:
        head = (run / "truth" / f"{t}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert (off / "truth" / f"{t}.csv").read_text(encoding="utf-8") == head + "\n", t
    params = dict(zip(*read(off / "truth", "parameters.csv").T.to_numpy(), strict=True))
    assert params["plant_violence"] == "no"
    ip = read(off, "incident-persons.csv")
    vs = ip["role"].isin(["victim", "suspect"])
    assert (ip.loc[vs, "ethnicity_self_defined"] != "").mean() > 0.7
    assert ip.loc[ip["role"] == "suspect", "arrested"].isin(["yes", "no"]).all()
    assert (off / "population.csv").read_bytes() == (run / "population.csv").read_bytes()
    assert read(off, "incidents.csv")["recording_unit"].ne("").all()
