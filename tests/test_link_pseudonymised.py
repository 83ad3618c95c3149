"""`threadline link pseudonymised`: both sides pseudonymised with one key, linked with no names anywhere."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from threadline.cli.app import app
from threadline.synth import synthesise

runner = CliRunner()


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    root = tmp_path_factory.mktemp("pseudo-link")
    summary = synthesise(root / "synth", years=1, seed=9, end=date(2024, 12, 31), population_scale=0.2)
    return root, summary.out_dir


def test_pseudonymised_files_link_to_the_right_people(force):
    root, synth = force
    partners = pd.read_csv(synth / "partner-records.csv", dtype=str, keep_default_na=False)
    identifiable = partners[(partners["given_name"] != "") | (partners["date_of_birth"] != "")]
    identifiable.to_csv(root / "partner.csv", index=False)
    key = root / "shared.key"
    assert runner.invoke(app, ["pseudonymise", "--new-key", "--key-file", str(key)]).exit_code == 0
    for src, dst in (("partner.csv", "partner.pseudo.csv"), (synth / "persons.csv", "persons.pseudo.csv")):
        res = runner.invoke(app, ["pseudonymise", str(root / src), "--key-file", str(key), "--out", str(root / dst)])
        assert res.exit_code == 0, res.output
    out = root / "links.csv"
    res = runner.invoke(app, ["link", "pseudonymised", str(root / "partner.pseudo.csv"), "--persons",
                              str(root / "persons.pseudo.csv"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    links = pd.read_csv(out, dtype=str)
    assert list(links.columns) == ["record", "person_id", "probability"]
    text = out.read_text("utf-8").lower()
    for name in identifiable["family_name"].head(50):
        if len(name) >= 6:
            assert name.lower() not in text
    truth = pd.read_csv(synth / "truth" / "partner_identity.csv", dtype=str, keep_default_na=False)
    truth["record"] = truth["agency"] + ":" + truth["record_id"]
    truth = truth[truth["record"].isin(identifiable["agency"] + ":" + identifiable["record_id"])]
    want = dict(zip(truth.loc[truth["match_type"] == "identifiable_match", "record"],
                    truth.loc[truth["match_type"] == "identifiable_match", "person_id"], strict=True))
    got = dict(zip(links["record"], links["person_id"], strict=True))
    tp = sum(1 for r, p in got.items() if want.get(r) == p)
    precision, recall = tp / len(got), tp / len(want)
    assert precision > 0.95 and recall > 0.95, (precision, recall)


def test_wrong_inputs_fail_in_one_line(force, tmp_path):
    root, synth = force
    res = runner.invoke(app, ["link", "pseudonymised", str(synth / "persons.csv"), "--persons",
                              str(synth / "persons.csv"), "--out", str(tmp_path / "l.csv")])
    assert res.exit_code == 2 and "pseudonymise it" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["link", "pseudonymised", str(tmp_path / "none.csv"), "--persons",
                              str(synth / "persons.csv"), "--out", str(tmp_path / "l.csv"), "--method", "magic"])
    assert res.exit_code == 2 and "hmac or clk" in res.output
