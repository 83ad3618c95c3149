"""The answers: the ``truth/`` folder written beside the import files.

See ``docs/synth.md`` and the ``truth/README.md`` written with them for every file's columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from threadline.synth.writer import write_csv

README = """# Ground truth for this synthetic force

Written by `threadline synth` (`threadline.synth.synthesise`) beside the import files. Every id
here is an id in those files. Full documentation: `docs/synth.md` in the Threadline source.

- `series.csv`: one row per case in a planted series or a decoy for it. Columns `series_id`,
  `kind` (shared_person, drug_batch, professional, stranger, robbery_elderly), `case_id`,
  `role_in_truth` (member or decoy), `shares` (for a decoy, the one attribute it shares with the
  series: substance, place, time, place_and_time, repeated_person, entity, method, vehicle,
  circumstance, wording, high_volume_professional).
- `series_summary.csv`: one row per series. `series_id, kind, description, centre_latitude,
  centre_longitude, radius_km` (every member lies within this distance of the centre),
  `la_code, first_reported, last_reported, n_members, n_decoys, key_person_id` (the shared man,
  or the planted professional), `substance, entity_values`.
- `series_partner_records.csv`: partner records that belong to a series (the ambulance
  overdoses of the drug batch). `series_id, agency, record_id`.
- `professionals.csv`: one row per professional recorded on any case. `person_id,
  role_description, setting, facility, la_code, shift, n_cases, n_night_cases` (reported
  00:00-05:59), `expected_cases` (their share of their group's cases, planted cases excluded),
  `rate_ratio, planted` (yes/no), `note`.
- `emerging.csv`: the planted rise. `category, la_code, la_name, quarter,
  expected_without_plant` (the background's own rate there before the quarter),
  `planted_extra, background_in_quarter, observed_in_quarter` (every case of the category there
  that quarter, including any planted series case), `case_ids` (the planted extra, `;`-separated).
- `nhs_hotspot.csv`: the planted NHS-only hot spot, one row per LSOA of it (3-6 neighbouring
  LSOAs in one local authority, around a strip of late-night venues). From `from_date` to
  `to_date` (the last four quarters) emergency-department assault attendances there run at
  several times their background, none reported to police, while police-recorded violence stays
  at its background. `lsoa_code, la_code, la_name, from_date, to_date,
  background_ed_per_quarter` (geocoded non-planted ED attendances in the LSOA a quarter over the
  whole period), `planted_ed_per_quarter` (geocoded planted ones a quarter over the window),
  `police_violence_per_quarter` (police violence incidents a quarter over the whole period).
- `escalation.csv`: one row per domestic-abuse escalation chain. `chain_id, suspect_person_id,
  victim_person_id, incident_ids` (`;`-separated, in time order), `case_id` (the homicide or
  attempt that ends it), `first_incident, last_incident, n_incidents`.
- `da_dyads.csv`: every domestic-abuse dyad, escalating or not. `dyad_id, suspect_person_id,
  victim_person_id, n_incidents, escalating` (yes/no), `chain_id`.
- `partner_identity.csv`: one row per partner record. `record_id, agency, person_id` (empty when
  the person is not in police data, or the record is anonymised and unlinked), `match_type`
  (identifiable_match, non_match, anonymised_linked, anonymised_unlinked), `errors`
  (`;`-separated: typo_given_name, typo_family_name, nickname, spelling_variant,
  dob_day_month_swapped, dob_missing, postcode_missing, sex_missing, family_name_changed,
  postcode_changed, duplicate_agency_ref).
- `intervention.csv`: the programme in `../participants.csv` (one row). `programme,
  n_participants, first_start, last_start, follow_up_months, planted_relative_risk, q, y0_risk`
  (mean of Y0, any serious violence as suspect in the follow-up without the programme),
  `expected_att_risk_difference` (-q x the share of participants whose Y0 = 1 came from general
  incidents only, the ones the programme can change), `realised_att_risk_difference` (-n_removed /
  n_participants), `population_att_risk_difference` (-q x the share with removable Y0 = 1 over
  every candidate, each weighted by its probability of selection: the ATT expected over the
  selection itself, which an evaluation's interval estimates), `n_removed, n_incidents_changed,
  covariates, selection_logit`.
- `outcome22.csv`: outcome 22 after training (one row). `training_date, p_before, p_after,
  rate_ratio, n_eligible_before, n_eligible_after, n_o22_before, n_o22_after,
  n_o22_not_eligible, n_replaced_by_21, n_multi_suspect_skipped`.
- `disproportionality.csv`: expected distinct young people (10-24) involved in serious violence
  by `measure` (victims, suspects, arrested, charged, out_of_court, outcome_22), `area` (authority
  code or force), `area_name, group5`: `expected_count, sd, youth_population,
  expected_rate_per_1000, rri` (against white), `of_suspects, of_suspects_rri`. Denominators:
  `../population.csv`.
- `recording.csv`: the planted fall in recording. `recording_unit, la_code, field, from_month,
  baseline_rate, planted_rate`.
- `parameters.csv`: the run's parameters. `name, value`, including the plant switches
  `plant_series`, `plant_emerging`, `plant_nhs_hotspot`, `plant_violence` (yes/no).

A plant switched off (`synthesise(..., plant_series=False)` and so on) leaves its files here with
a header and no rows: `series.csv`, `series_summary.csv` and `series_partner_records.csv` for
the series; `emerging.csv`; `nhs_hotspot.csv`; `intervention.csv`, `outcome22.csv`,
`disproportionality.csv`, `recording.csv` and `../participants.csv` for the violence plants.

Decoys share one defining attribute with their series and nothing else: a method that links
them to the series has over-linked.
"""


def write_truth(out: Path, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write each truth frame as ``truth/<name>.csv`` and the README; return row counts."""
    folder = Path(out) / "truth"
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in frames.items():
        counts[f"truth/{name}.csv"] = write_csv(folder / f"{name}.csv", frame, list(frame.columns))
    (folder / "README.md").write_text(README, encoding="utf-8")
    return counts


def professionals_truth(
    cases: pd.DataFrame,
    links: pd.DataFrame,
    prof: pd.DataFrame,
    planted: dict,
    la_codes: tuple[str, ...],
    person_id: np.ndarray,
) -> tuple[pd.DataFrame, list[int]]:
    """One row per professional with cases; and the case keys of the busiest care-home GP."""
    pl = links[links["role"] == "professional"].merge(
        cases[["ck", "reported_at", "facility", "origin", "lsoa"]], on="ck"
    )
    hour = (
        (pl["reported_at"].to_numpy() - pl["reported_at"].to_numpy().astype("datetime64[D]"))
        .astype("timedelta64[h]")
        .astype(int)
    )
    pl["night"] = hour < 6
    pl["extra"] = pl["origin"].str.startswith("series:professional")
    roster = prof.copy()
    roster["group"] = np.where(
        roster["setting"] == "community",
        roster["role_description"] + "|" + roster["la"].astype(str),
        roster["role_description"] + "|" + roster["facility"] + "|" + roster["shift"],
    )
    size = roster.groupby("group").size()
    # Links attributed to each group: a link counts for the group(s) its professional is in at
    # that facility (facility staff, care home GPs) or in that local authority (community).
    pl_roles = pl.merge(
        roster[["pidx", "group", "setting", "facility"]].rename(columns={"facility": "r_fac"}), on="pidx"
    )
    pl_roles = pl_roles[(pl_roles["setting"] == "community") | (pl_roles["r_fac"] == pl_roles["facility"])]
    group_cases = pl_roles[~pl_roles["extra"]].groupby("group")["ck"].nunique()
    per_group = (group_cases / size).fillna(0.0)
    roster["expected"] = roster["group"].map(per_group).fillna(0.0)
    person = roster.groupby("pidx", sort=True).agg(
        role_description=("role_description", "first"),
        setting=("setting", "first"),
        facility=("facility", lambda s: "; ".join(sorted(set(s) - {""}))),
        la=("la", "first"),
        shift=("shift", "first"),
        expected_cases=("expected", "sum"),
    )
    counts = pl.groupby("pidx").agg(n_cases=("ck", "nunique"), n_night_cases=("night", "sum"))
    person = person.join(counts, how="inner")
    person["rate_ratio"] = (person["n_cases"] / person["expected_cases"].replace(0, np.nan)).round(2)
    nurse = planted.get("pidx", -1)
    person["planted"] = np.where(person.index == nurse, "yes", "no")
    gps = person[person["role_description"] == "care home GP"].sort_values(
        ["n_cases"], ascending=False, kind="stable"
    )
    busiest = int(gps.index[0]) if len(gps) else -1
    person["note"] = ""
    person.loc[person.index == nurse, "note"] = (
        f"planted: {planted.get('planted_extra', 0)} extra night deaths at {planted.get('facility', '')}"
    )
    person.loc[person.index == busiest, "note"] = "high-volume care home GP (legitimate; decoy)"
    out = (
        pd.DataFrame(
            {
                "person_id": person_id[person.index.to_numpy()],
                "role_description": person["role_description"],
                "setting": person["setting"],
                "facility": person["facility"],
                "la_code": [la_codes[int(i)] for i in person["la"]],
                "shift": person["shift"],
                "n_cases": person["n_cases"].astype(int),
                "n_night_cases": person["n_night_cases"].astype(int),
                "expected_cases": person["expected_cases"].round(2),
                "rate_ratio": person["rate_ratio"],
                "planted": person["planted"],
                "note": person["note"],
            }
        )
        .sort_values("person_id")
        .reset_index(drop=True)
    )
    gp_cases = sorted(int(c) for c in pl.loc[pl["pidx"] == busiest, "ck"].unique()) if busiest >= 0 else []
    return out, gp_cases
