"""Census denominators (population.py), the [violence] settings, schema version 5 and the new
incident and incident-person columns."""

from __future__ import annotations

import gzip

import duckdb
import pandas as pd
import pytest
from conftest import FORCE, REPO, count, load_all, quarantine_rows, write_csv, write_kind
from typer.testing import CliRunner

import threadline as tl
from threadline import vocab
from threadline.analyse.violence import population as P
from threadline.cli import app
from threadline.errors import InputError, WorkspaceError
from threadline.ingest import kinds as K
from threadline.ingest.readers import sha256_of
from threadline.workspace import DB_NAME, SCHEMA_VERSION
from threadline.workspace.config import CONFIG_NAME, WorkspaceConfig
from threadline.workspace.schema import migrate, schema_version
from threadline.workspace.workspace import Workspace

SHARED = REPO.parent / "shared" / "data" / "reference" / "census-2011-DC2101EW-ethnicity-sex-age-by-la.csv"
LEEDS, BRADFORD = "E08000035", "E08000032"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


# --- a small hand-written nomis file ------------------------------------------------------------

_ETH = ["White: English/Welsh/Scottish/Northern Irish/British", "Black/African/Caribbean/Black British: African"]
_AGES = ["Age 10 to 14", "Age 15", "Age 16 to 17", "Age 85 and over"]


def _col(sex, age, eth):
    return f"Sex: {sex}; Age: {age}; Ethnic Group: {eth}; measures: Value"


def _nomis_header(with_persons=True):
    cols = ["date", "geography", "geography code"]
    sexes = ["All persons", "Males", "Females"] if with_persons else ["Males", "Females"]
    for sex in sexes:
        for age in ["All categories: Age", *_AGES]:
            for eth in ["All categories: Ethnic group", "White: Total", _ETH[0],
                        "Black/African/Caribbean/Black British: Total", _ETH[1]]:
                cols.append(_col(sex, age, eth))
    return cols


def _nomis_row(header, code, name, male, female):
    """male/female: {(age, eth): count}; every total is computed, so the file is consistent."""
    def cell(sex, age, eth):
        sexes = {"Males": [male], "Females": [female], "All persons": [male, female]}[sex]
        ages = _AGES if age.startswith("All") else [age]
        if eth.startswith("All"):
            eths = _ETH
        elif eth.endswith("Total"):
            eths = [e for e in _ETH if e.split(":")[0] == eth.split(":")[0]]
        else:
            eths = [eth]
        return sum(d.get((a, e), 0) for d in sexes for a in ages for e in eths)

    row = ["2011", name, code]
    for col in header[3:]:
        parts = [p.split(": ", 1)[1] for p in col.split("; ")[:3]]
        row.append(str(cell(*parts)))
    return row


def _small_nomis(path, *, with_persons=True, bad=None):
    header = _nomis_header(with_persons)
    a = {("Age 10 to 14", _ETH[0]): 100, ("Age 15", _ETH[0]): 20, ("Age 16 to 17", _ETH[1]): 7,
         ("Age 85 and over", _ETH[0]): 3}
    b = {("Age 10 to 14", _ETH[0]): 90, ("Age 16 to 17", _ETH[1]): 5}
    rows = [_nomis_row(header, "E99000001", "Alphaton", a, b), _nomis_row(header, "E99000002", "Betaford", b, a)]
    if bad:
        row, col, value = bad
        rows[row - 2][header.index(col)] = value
    return write_csv(path, header, rows)


def test_read_small_nomis_file_keeps_leaf_cells_of_each_sex(tmp_path):
    pop = P.read_nomis(_small_nomis(tmp_path / "pop.csv"))
    assert list(pop.columns) == list(P.COLUMNS)
    assert set(pop["sex"]) == {"male", "female"}  # the All persons columns are dropped
    assert set(pop["ethnic_group"]) == set(_ETH)  # no totals
    assert set(zip(pop["age_min"], pop["age_max"], strict=True)) == {(10, 14), (15, 15), (16, 17), (85, 120)}
    assert dict(zip(pop["ethnic_group"], pop["group5"], strict=False)) == {_ETH[0]: "white", _ETH[1]: "black"}
    alpha = pop[pop["la_code"] == "E99000001"]
    assert alpha["la_name"].iloc[0] == "Alphaton"
    assert alpha["count"].sum() == 100 + 20 + 7 + 3 + 90 + 5
    one = alpha[(alpha["sex"] == "male") & (alpha["age_min"] == 16)].set_index("ethnic_group")["count"]
    assert one[_ETH[1]] == 7


def test_all_persons_only_file_gives_sex_all(tmp_path):
    header = [c for c in _nomis_header() if not c.startswith(("Sex: Males", "Sex: Females"))]
    full_header = _nomis_header()
    full = _nomis_row(full_header, "E99000001", "Alphaton", {("Age 15", _ETH[0]): 4}, {("Age 15", _ETH[0]): 6})
    row = [v for c, v in zip(full_header, full, strict=True) if c in header]
    pop = P.read_nomis(write_csv(tmp_path / "p.csv", header, [row]))
    assert set(pop["sex"]) == {"all"}
    assert pop["count"].sum() == 10
    assert P.population_for(pop, 15, 15)["population"].sum() == 10
    with pytest.raises(InputError, match="no male figures"):
        P.population_for(pop, 15, 15, sex="male")


def test_shipped_table_adds_up_to_the_census_totals():
    pop = P.shipped_2011()
    assert pop["la_code"].nunique() == 348
    assert pop["count"].sum() == 56_075_912
    assert pop.loc[pop["la_code"] == LEEDS, "count"].sum() == 751_485
    assert set(pop["sex"]) == {"male", "female"}
    assert pop["ethnic_group"].nunique() == 18
    assert sorted(set(zip(pop["age_min"], pop["age_max"], strict=True)))[-1] == (85, 120)
    assert len(pop) == 348 * 2 * 21 * 18
    # the packaged file is the shared download, byte for byte
    packaged = (REPO / "src" / "threadline" / "reference" / P.SHIPPED_NAME).read_bytes()
    if SHARED.exists():
        assert gzip.decompress(packaged) == SHARED.read_bytes()


def test_shipped_totals_match_each_authoritys_all_categories_column():
    """read_nomis checks each authority's cells against its all-persons total; read the raw file to be sure."""
    with gzip.open(REPO / "src" / "threadline" / "reference" / P.SHIPPED_NAME) as fh:
        raw = pd.read_csv(fh, dtype=str)
    total_col = _col("All persons", "All categories: Age", "All categories: Ethnic group")
    totals = raw.set_index("geography code")[total_col].astype(int)
    sums = P.shipped_2011().groupby("la_code")["count"].sum()
    assert (sums == totals.reindex(sums.index)).all()
    assert totals.sum() == 56_075_912


def test_read_nomis_accepts_gzip(tmp_path):
    plain = _small_nomis(tmp_path / "pop.csv")
    gz = tmp_path / "pop.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    pd.testing.assert_frame_equal(P.read_nomis(gz), P.read_nomis(plain))


def test_non_numeric_count_names_file_row_and_column(tmp_path):
    col = _col("Males", "Age 15", _ETH[0])
    path = _small_nomis(tmp_path / "bad.csv", bad=(3, col, "n/a"))
    with pytest.raises(InputError) as info:
        P.read_nomis(path)
    text = str(info.value)
    assert "bad.csv" in text and "row 3" in text and col in text and "'n/a'" in text
    assert info.value.row == 3 and info.value.field == col


def test_cells_not_adding_up_to_the_total_are_refused(tmp_path):
    path = _small_nomis(tmp_path / "off.csv", bad=(2, _col("Females", "Age 15", _ETH[0]), "999"))
    with pytest.raises(InputError, match="row 2.*add up to"):
        P.read_nomis(path)
    assert P.read_nomis(path, check_totals=False)["count"].sum() > 999


def test_unknown_layout_and_missing_column_are_clear_errors(tmp_path):
    other = write_csv(tmp_path / "other.csv", ["area", "people"], [["Leeds", "5"]])
    with pytest.raises(InputError, match=r"other\.csv, row 1: not a census population table"):
        P.read_nomis(other)
    header = [c for c in _nomis_header() if c != "geography code"]
    no_code = write_csv(tmp_path / "nocode.csv", header, [["2011", "X", *["1"] * (len(header) - 2)]])
    with pytest.raises(InputError, match="nocode.csv, row 1, field 'geography code'"):
        P.read_nomis(no_code)
    with pytest.raises(InputError, match="no such file"):
        P.read_nomis(tmp_path / "missing.csv")
    header = ["date", "geography", "geography code", _col("Males", "Age fifteen", _ETH[0])]
    bad_band = write_csv(tmp_path / "band.csv", header, [["2011", "X", "E1", "3"]])
    with pytest.raises(InputError, match="unknown age band 'Age fifteen'"):
        P.read_nomis(bad_band)


def test_ons_2021_custom_download_long_layout(tmp_path):
    header = ["Lower tier local authorities Code", "Lower tier local authorities", "Age (6 categories) Code",
              "Age (6 categories)", "Ethnic group (20 categories) Code", "Ethnic group (20 categories)",
              "Sex (2 categories) Code", "Sex (2 categories)", "Observation"]
    black = "Black, Black British, Black Welsh, Caribbean or African: African"
    white = "White: English, Welsh, Scottish, Northern Irish or British"
    rows = [
        ["E08000035", "Leeds", "1", "Aged 15 years and under", "-8", "Does not apply", "1", "Female", "0"],
        ["E08000035", "Leeds", "1", "Aged 15 years and under", "13", black, "1", "Female", "40"],
        ["E08000035", "Leeds", "2", "Aged 16 to 24 years", "13", black, "2", "Male", "30"],
        ["E08000035", "Leeds", "2", "Aged 16 to 24 years", "15", white, "2", "Male", "200"],
        ["E08000035", "Leeds", "6", "Aged 85 years and over", "15", white, "1", "Female", "9"],
    ]
    pop = P.read_nomis(write_csv(tmp_path / "custom.csv", header, rows))
    assert len(pop) == 4 and pop["count"].sum() == 279
    assert set(zip(pop["age_min"], pop["age_max"], strict=True)) == {(0, 15), (16, 24), (85, 120)}
    assert dict(zip(pop["ethnic_group"], pop["group5"], strict=False)) == {black: "black", white: "white"}
    assert P.population_for(pop, 16, 24).set_index("group5")["population"].to_dict() == {
        "asian": 0, "black": 30, "mixed": 0, "white": 200, "other": 0}
    rows[2][-1] = "thirty"
    with pytest.raises(InputError, match="row 4, field 'Observation'"):
        P.read_nomis(write_csv(tmp_path / "bad.csv", header, rows))


def test_age_band_parsing():
    assert P.parse_age_band("Age 0 to 4") == (0, 4)
    assert P.parse_age_band("Age 15") == (15, 15)
    assert P.parse_age_band("Age 85 and over") == (85, 120)
    assert P.parse_age_band("Aged under 1 year") == (0, 0)
    assert P.parse_age_band("Aged 4 years and under") == (0, 4)
    assert P.parse_age_band("All categories: Age") is None


# --- population_for ------------------------------------------------------------------------------

def test_population_for_sums_whole_bands_by_authority_and_group():
    pop = P.shipped_2011()
    youth = P.population_for(pop, 10, 24, la_codes=[LEEDS, BRADFORD])
    assert list(youth.columns) == ["la_code", "la_name", "group5", "population"]
    assert len(youth) == 10 and set(youth["la_name"]) == {"Leeds", "Bradford"}
    leeds = pop[(pop["la_code"] == LEEDS) & (pop["age_min"] >= 10) & (pop["age_max"] <= 24)]
    assert youth[youth["la_code"] == LEEDS]["population"].sum() == leeds["count"].sum()
    everyone = P.population_for(pop, 0, 120)
    assert everyone["population"].sum() == 56_075_912
    total = P.force_total(youth)
    assert list(total["group5"]) == ["asian", "black", "mixed", "white", "other"]
    assert total["population"].sum() == youth["population"].sum()
    males = P.population_for(pop, 10, 17, la_codes=LEEDS, sex="male")["population"].sum()
    females = P.population_for(pop, 10, 17, la_codes=LEEDS, sex="female")["population"].sum()
    assert males + females == P.population_for(pop, 10, 17, la_codes=LEEDS)["population"].sum()


@pytest.mark.parametrize(("lo", "hi", "words"), [
    (10, 16, "band 16-17; use 15 or 17 as the oldest age"),
    (11, 24, "band 10-14; use 10 or 15 as the youngest age"),
    (0, 86, "band 85-120; use 84 or 120 as the oldest age"),
])
def test_population_for_refuses_ages_inside_a_band(lo, hi, words):
    with pytest.raises(InputError, match=words):
        P.population_for(P.shipped_2011(), lo, hi)


def test_population_for_refuses_unknown_authority_and_bad_ages():
    with pytest.raises(InputError, match="E99999999"):
        P.population_for(P.shipped_2011(), 10, 24, la_codes=["E99999999"])
    with pytest.raises(InputError, match="min <= max"):
        P.population_for(P.shipped_2011(), 24, 10)
    with pytest.raises(InputError, match="sex must be"):
        P.population_for(P.shipped_2011(), 10, 24, sex="men")


# --- the workspace population table -------------------------------------------------------------

def test_empty_workspace_falls_back_to_the_shipped_table(workspace, caplog):
    with caplog.at_level("INFO"):
        pop = P.workspace_population(workspace)
    assert pop.attrs["fallback"] is True and "2011" in pop.attrs["source"]
    assert pop["count"].sum() == 56_075_912
    assert "shipped" in caplog.text


def test_import_then_workspace_population_and_replacement(workspace, tmp_path):
    path = _small_nomis(tmp_path / "pop.csv")
    n = P.import_population(workspace, path, source="test census")
    assert n == count(workspace.con, "population") == 32  # 2 authorities x 2 sexes x 4 ages x 2 groups
    pop = P.workspace_population(workspace.con)
    assert pop.attrs["fallback"] is False and pop.attrs["source"] == "test census"
    assert set(pop["la_code"]) == {"E99000001", "E99000002"}
    assert workspace.con.execute("SELECT DISTINCT source_sha256 FROM population").fetchall() == [(sha256_of(path),)]
    # Re-importing one authority replaces its rows only
    header = _nomis_header()
    one = _nomis_row(header, "E99000001", "Alphaton", {("Age 15", _ETH[1]): 11}, {})
    again = write_csv(tmp_path / "alpha.csv", header, [one])
    assert P.import_population(workspace, again) == 16
    rows = workspace.con.execute(
        "SELECT la_code, sum(count), any_value(source_name) FROM population GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("E99000001", 11, "alpha.csv"), ("E99000002", 225, "test census")]
    # A bad file changes nothing
    bad = _small_nomis(tmp_path / "bad.csv", bad=(2, _col("Males", "Age 15", _ETH[0]), "x"))
    with pytest.raises(InputError):
        P.import_population(workspace, bad)
    assert count(workspace.con, "population") == 32


# --- CLI ----------------------------------------------------------------------------------------

def test_cli_import_and_show(tmp_path):
    ws = tmp_path / "ws"
    assert run("init", ws, "-f", FORCE).exit_code == 0
    shown = run("population", "show", "-w", ws, "--la", LEEDS, "--min-age", 10, "--max-age", 24)
    assert shown.exit_code == 0, shown.output
    assert "shipped" in shown.output and "Leeds" in shown.output and "164,876" in shown.output
    result = run("population", "import", _small_nomis(tmp_path / "pop.csv"), "-w", ws, "--source", "mine")
    assert result.exit_code == 0, result.output
    assert "32 rows" in result.output and "2 local authorities" in result.output
    shown = run("population", "show", "-w", ws)
    assert shown.exit_code == 0, shown.output
    assert "Alphaton" in shown.output and "mine" in shown.output and "shipped" not in shown.output
    assert "2 authorities" in shown.output


def test_cli_errors_are_one_line(tmp_path):
    ws = tmp_path / "ws"
    assert run("init", ws).exit_code == 0
    bad = _small_nomis(tmp_path / "bad.csv", bad=(3, _col("Males", "Age 15", _ETH[0]), "lots"))
    for args in (("population", "import", bad, "-w", ws), ("population", "show", "-w", ws, "--max-age", 16)):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        lines = [x for x in result.output.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "bad.csv, row 3" in run("population", "import", bad, "-w", ws).output


# --- [violence] settings ------------------------------------------------------------------------

def test_violence_settings_default_save_and_load(tmp_path):
    with tl.init_workspace(tmp_path / "ws") as ws:
        assert (ws.config.youth_min_age, ws.config.youth_max_age, ws.config.suppress_below) == (10, 24, 5)
    text = (tmp_path / "ws" / CONFIG_NAME).read_text(encoding="utf-8")
    assert "[violence]" in text and "youth_max_age = 24" in text
    (tmp_path / "ws" / CONFIG_NAME).write_text(
        '[workspace]\nname = "x"\n\n[violence]\nyouth_max_age = 17\nsuppress_below = 10\n', encoding="utf-8")
    config = WorkspaceConfig.load(tmp_path / "ws")
    assert (config.youth_min_age, config.youth_max_age, config.suppress_below) == (10, 17, 10)


@pytest.mark.parametrize(("body", "words"), [
    ("[violence]\nyouth_min_age = 18\nyouth_max_age = 17\n", "youth_min_age <= youth_max_age"),
    ("[violence]\nyouth_max_age = \"24\"\n", "youth_max_age must be a whole number"),
    ("[violence]\nyouth_max_age = 17.5\n", "youth_max_age must be a whole number"),
    ("[violence]\nsuppress_below = -1\n", "suppress_below must be 0 or more"),
    ("[violence]\nyouth_age = 17\n", "unknown \\[violence\\] setting.*youth_age"),
    ("[violnce]\nyouth_max_age = 17\n", "unknown section.*violnce"),
])
def test_bad_violence_settings_are_refused_with_the_file_name(tmp_path, body, words):
    tl.init_workspace(tmp_path / "ws").close()
    (tmp_path / "ws" / CONFIG_NAME).write_text(body, encoding="utf-8")
    with pytest.raises(WorkspaceError, match=words) as info:
        tl.open_workspace(tmp_path / "ws")
    assert CONFIG_NAME in str(info.value)


# --- vocabularies and schema version 5 ----------------------------------------------------------

def test_ethnicity_vocabularies_match_the_reference_tables():
    from threadline.analyse.violence.ethnicity import observed_codes, self_defined_codes

    assert tuple(self_defined_codes()["code"]) == vocab.ETHNICITY_SELF_DEFINED
    assert tuple(observed_codes()["code"]) == vocab.ETHNICITY_OBSERVED
    assert "O1" not in vocab.ETHNICITY_SELF_DEFINED and len(vocab.ETHNICITY_SELF_DEFINED) == 19


def _v4_workspace(folder, data_dir):
    """A workspace as schema version 4 left it, holding persons and cases imported then, and an incident."""
    folder.mkdir()
    con = duckdb.connect(str(folder / DB_NAME))
    assert migrate(con, target=4) == (0, 4)
    WorkspaceConfig(forces=[FORCE]).save(folder)
    ws = Workspace(folder, WorkspaceConfig(forces=[FORCE]), con)
    for kind in ("persons", "cases"):  # kinds whose columns version 5 did not change
        assert tl.import_file(ws, kind, write_kind(data_dir, kind)).imported == 3
    con.execute(
        "INSERT INTO incidents (incident_id, force, incident_type, occurred_at, row_hash, import_id, source_name, "
        "source_sha256, source_row, imported_at) VALUES ('i9', 'Kent', 'robbery', TIMESTAMP '2020-01-01', 'h', 1, "
        "'old.csv', 'abc', 2, TIMESTAMP '2020-01-02')"
    )
    assert "ethnicity_self_defined" not in {r[0] for r in con.execute("DESCRIBE incident_persons").fetchall()}
    con.close()


def test_v4_workspace_upgrades_to_v5_in_place(tmp_path, data_dir):
    folder = tmp_path / "v4"
    _v4_workspace(folder, data_dir)
    with tl.open_workspace(folder) as ws:
        assert ws.upgraded_from == 4 and ws.schema_version == SCHEMA_VERSION == 5
        assert count(ws.con, "persons") == 3 and count(ws.con, "cases") == 3
        assert ws.con.execute("SELECT incident_id, source_system, recording_unit FROM incidents").fetchall() == [
            ("i9", None, None)]
        for table in ("incidents", "incident_persons", "incidents_history", "incident_persons_history"):
            described = {r[0]: r[1] for r in ws.con.execute(f"DESCRIBE {table}").fetchall()}
            kind = K.INCIDENTS if table.startswith("incidents") else K.INCIDENT_PERSONS
            for f in kind.fields:
                assert described[f.name] == f.sql_type
        assert count(ws.con, "population") == 0
        # re-importing the persons file made at version 4 changes nothing
        again = tl.import_file(ws, "persons", data_dir / "persons.csv")
        assert (again.imported, again.updated, again.unchanged) == (0, 0, 3)
        # and the upgraded workspace takes the new columns
        inc = write_csv(data_dir / "inc.csv", ["incident_id", "incident_type", "occurred_at", "source_system"],
                        [["i1", "robbery", "2020-02-01", "Niche"]])
        assert tl.import_file(ws, "incidents", inc).imported == 1
        ip = write_csv(data_dir / "ip.csv", ["incident_id", "person_id", "role", "ethnicity_self_defined"],
                       [["i1", "p1", "victim", "b2"]])
        assert tl.import_file(ws, "incident-persons", ip).imported == 1
        assert ws.con.execute("SELECT ethnicity_self_defined FROM incident_persons").fetchone() == ("B2",)
    con = duckdb.connect(str(folder / DB_NAME), read_only=True)
    assert schema_version(con) == 5
    con.close()


# --- importing the new columns ------------------------------------------------------------------

NEW_IP = ["age", "sex", "ethnicity_self_defined", "ethnicity_observed", "disability", "religion",
          "sexual_orientation", "gender_identity", "arrested"]


def _with_incidents(ws, data_dir):
    for kind in ("persons", "incidents"):
        tl.import_file(ws, kind, write_kind(data_dir, kind))


def test_files_without_the_new_columns_import_and_hash_as_before(loaded):
    # `loaded` imported every kind without the new columns
    assert count(loaded.con, "incident_persons") == 2
    assert loaded.con.execute(
        f"SELECT count(*) FROM incident_persons WHERE coalesce({', '.join(c + '::VARCHAR' for c in NEW_IP)}) "
        "IS NOT NULL").fetchone()[0] == 0
    # the stored hash is the one the columns of version 1 give, as an earlier Threadline stored it
    for kind in (K.INCIDENTS, K.INCIDENT_PERSONS):
        old = ", ".join(f"coalesce({c}::VARCHAR, '\\N')" for c in kind.columns if kind.field(c).since == 1)
        mismatched = loaded.con.execute(
            f"SELECT count(*) FROM {kind.table} WHERE row_hash <> "
            f"md5(concat_ws(chr(31), {old}, coalesce(attributes::VARCHAR, '\\N')))").fetchone()[0]
        assert mismatched == 0, kind.name


def test_incident_and_person_columns_import_and_change_detection(workspace, data_dir):
    _with_incidents(workspace, data_dir)
    header = ["incident_id", "source_system", "recording_unit", "incident_type", "occurred_at"]
    inc = write_csv(data_dir / "inc2.csv", header, [["i5", "Niche", "Leeds District", "robbery", "2021-01-01"]])
    assert tl.import_file(workspace, "incidents", inc).imported == 1
    assert workspace.con.execute(
        "SELECT source_system, recording_unit FROM incidents WHERE incident_id = 'i5'").fetchone() == (
        "Niche", "Leeds District")
    header = ["incident_id", "person_id", "role", *NEW_IP]
    rows = [
        ["i1", "p1", "victim", "17", "Female", "w1", "ic1", "no", "Muslim", "not stated", "same as sex at birth", "no"],
        ["i1", "p3", "suspect", "19", "male", "B2", "IC3", "", "", "", "", "yes"],
    ]
    path = write_csv(data_dir / "ip.csv", header, rows)
    r = tl.import_file(workspace, "incident-persons", path)
    assert (r.imported, r.quarantined) == (2, 0)
    got = workspace.con.execute(
        f"SELECT person_id, {', '.join(NEW_IP)} FROM incident_persons ORDER BY person_id").fetchall()
    assert got == [
        ("p1", 17, "female", "W1", "IC1", "no", "muslim", "not_stated", "same_as_sex_at_birth", "no"),
        ("p3", 19, "male", "B2", "IC3", None, None, None, None, "yes"),
    ]
    # the same file again changes nothing; a changed characteristic is an update with history
    assert tl.import_file(workspace, "incident-persons", path).unchanged == 2
    rows[1][-1] = "no"
    r = tl.import_file(workspace, "incident-persons", write_csv(data_dir / "ip.csv", header, rows))
    assert (r.updated, r.unchanged) == (1, 1)
    assert workspace.con.execute("SELECT arrested FROM incident_persons_history").fetchall() == [("yes",)]


def test_bad_new_column_values_are_quarantined_with_row_and_field(workspace, data_dir):
    _with_incidents(workspace, data_dir)
    header = ["incident_id", "person_id", "role", "ethnicity_self_defined", "age", "arrested"]
    rows = [
        ["i1", "p1", "victim", "W1", "17", "yes"],
        ["i1", "p3", "suspect", "O1", "19", "no"],  # O1 was the 2001 code for Chinese: not 18+1
        ["i2", "p2", "victim", "A4", "130", "maybe"],
    ]
    path = write_csv(data_dir / "ip.csv", header, rows)
    r = tl.import_file(workspace, "incident-persons", path)
    assert (r.imported, r.quarantined) == (1, 2)
    q = quarantine_rows(workspace.con)
    assert (3, "ethnicity_self_defined", "not an allowed value (allowed: W1, W2, W3, W9, M1, M2, M3, M9, A1, A2, "
            "A3, A4, A9, B1, B2, B9, O2, O9, NS)") in q
    assert (4, "age", "out of range (0 to 120)") in q
    assert any(row == 4 and f == "arrested" for row, f, _ in q)
    source = workspace.con.execute(
        "SELECT DISTINCT source_name FROM quarantine WHERE field = 'ethnicity_self_defined'").fetchall()
    assert source == [("ip.csv",)]
    assert r.rejects_path is not None and r.rejects_path.exists()


def test_full_load_still_imports_every_kind(workspace, data_dir):
    results = load_all(workspace, data_dir)
    assert all(res.quarantined == 0 and res.imported > 0 for res in results.values())
