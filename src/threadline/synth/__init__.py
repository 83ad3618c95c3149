"""A synthetic police force with known ground truth: ``threadline.synth.synthesise``.

Analysts cannot share real death investigations, so Threadline ships a generator of a realistic
West Yorkshire-sized force: five years (by default) of death investigations at published rates,
the people and things connected to them, ~25,000 other police incidents a year, partner agencies'
records with realistic recording errors, and planted series (a shared person, a drug batch, a
professional, a stranger, robberies of elderly people), an emerging rise, an NHS-only hot spot
of emergency-department assault attendances and domestic-abuse escalation chains, each hidden
among decoys or background; and the serious youth violence truth (a programme with an effect,
outcome 22 after training, ethnic disproportionality, a fall in recording; ``violence.py``).
The series, the rise, the hot spot and the violence plants can be switched off for
validation runs. The import files go in ``out_dir`` (one per import kind, named ``<kind>.csv``),
the answers in ``out_dir/truth/``. Same seed and arguments, same bytes. See ``docs/synth.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.errors import InputError

FORCE = "West Yorkshire"
#: Columns of ``truth/series_summary.csv`` as the plants give them, and as written.
SUMMARY_COLUMNS = (
    "series_id",
    "kind",
    "description",
    "centre_latitude",
    "centre_longitude",
    "radius_km",
    "la_code",
    "key_person",
    "substance",
    "entity_values",
)
SUMMARY_OUT = (
    "series_id",
    "kind",
    "description",
    "centre_latitude",
    "centre_longitude",
    "radius_km",
    "la_code",
    "first_reported",
    "last_reported",
    "n_members",
    "n_decoys",
    "key_person_id",
    "substance",
    "entity_values",
)
EMERGING_COLUMNS = (
    "category",
    "la_code",
    "la_name",
    "quarter",
    "expected_without_plant",
    "planted_extra",
    "background_in_quarter",
    "observed_in_quarter",
    "case_ids",
)
STAGES = ("geography", "cases", "series", "people", "incidents", "violence", "partners", "writing", "truth")


@dataclass
class SynthSummary:
    """What :func:`synthesise` wrote."""

    out_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    truth_counts: dict[str, int] = field(default_factory=dict)
    seed: int = 1
    years: int = 5
    start: date | None = None
    end: date | None = None
    population: int = 0
    seconds: float = 0.0
    plants: dict[str, bool] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


def synthesise(
    out_dir: Path | str,
    years: int = 5,
    seed: int = 1,
    end: date | None = None,
    population_scale: float = 1.0,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    plant_series: bool = True,
    plant_emerging: bool = True,
    plant_nhs_hotspot: bool = True,
    plant_violence: bool = True,
) -> SynthSummary:
    """Write a synthetic force's import files and ``truth/`` to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write to (created if missing; existing files of the same names are replaced).
    years
        Whole years of data, ending on ``end``.
    seed
        Random seed: the same seed and arguments give byte-identical files.
    end
        Last day covered; default the last day of the last complete calendar quarter before today.
    population_scale
        Multiplies West Yorkshire's 2011 population (2,226,058); every volume scales with it.
    progress
        Called as ``progress(stage, i, n)`` at the start of each of the ``n`` stages.
    plant_series
        Plant the five linked series and their decoys (off: ``truth/series*.csv`` have no rows).
        The domestic-abuse escalation chains are not a switchable plant.
    plant_emerging
        Plant the emerging rise in one category and local authority in the last quarter (off:
        ``truth/emerging.csv`` has no rows), e.g. to measure a trend detector's false alarms.
    plant_nhs_hotspot
        Plant the NHS-only hot spot of ED assault attendances (off: ``truth/nhs_hotspot.csv``
        has no rows). Switching it off changes nothing else but the ED records' ids.
    plant_violence
        Plant the serious youth violence truth (issue 8: a programme with an effect, outcome 22 after
        training, ethnic disproportionality, a fall in recording; see :mod:`threadline.synth.violence`).
        Off: ``participants.csv`` and ``truth/{intervention,outcome22,disproportionality,recording}.csv``
        have no rows, but the recorded characteristics, arrests and ``population.csv`` are still written.

    Returns
    -------
    SynthSummary
        Rows written per file and the run's parameters.
    """
    from threadline.synth import background as B
    from threadline.synth import casework, incidents, narratives, partners, roles, series, truth, violence
    from threadline.synth.context import Context, Period, default_end, iso, iso_date
    from threadline.synth.geography import load_geography
    from threadline.synth.names import NameBank
    from threadline.synth.people import People
    from threadline.synth.writer import write_csv, write_kind

    if int(years) < 1:
        raise InputError(f"years must be at least 1, not {years}")
    if not population_scale or population_scale <= 0:
        raise InputError(f"population_scale must be positive, not {population_scale}")
    started = time.perf_counter()
    step = progress or (lambda _stage, _i, _n: None)
    out = Path(out_dir)
    end = end or default_end()
    period = Period.ending(end, int(years))

    step(STAGES[0], 1, len(STAGES))
    geo = load_geography()
    names = NameBank()
    ctx = Context(
        seed=int(seed),
        period=period,
        scale=float(population_scale),
        geo=geo,
        names=names,
        population=float(geo.population.sum()) * float(population_scale),
    )
    ctx.people = People(geo, names, ctx.rng("people"))
    ctx.facilities = geo.facilities(ctx.rng("facilities"))

    step(STAGES[1], 2, len(STAGES))
    cases = B.background(ctx)
    emerging = None
    if plant_emerging:
        extra, emerging = B.plant_emerging(ctx, cases)
        cases = pd.concat([cases, extra], ignore_index=True)
    prof = roles.build_professionals(ctx)

    step(STAGES[2], 3, len(STAGES))
    plant = series.plant_all(ctx, cases, prof, series=bool(plant_series))
    cases = pd.concat([cases, *plant.cases], ignore_index=True)
    cases = roles.attach_victims(ctx, cases)

    step(STAGES[3], 4, len(STAGES))
    preset = pd.concat(plant.links, ignore_index=True) if plant.links else series.EMPTY_LINKS
    links = roles.add_case_persons(ctx, cases, preset, prof)
    cases["flags"] = casework.case_flags(ctx, cases)
    cases = narratives.fill_case_narratives(ctx, cases)
    ents = pd.DataFrame(
        casework.background_entities(ctx, cases) + plant.entities,
        columns=["ck", "entity_type", "entity_value"],
    ).drop_duplicates()

    step(STAGES[4], 5, len(STAGES))
    inc_res = incidents.generate(ctx, cases, links)
    inc, inc_links = inc_res.incidents, inc_res.links

    step(STAGES[5], 6, len(STAGES))
    inc, inc_links, vres = violence.plant(ctx, cases, links, inc, inc_links, enabled=bool(plant_violence))

    # Public ids: cases and incidents numbered in time order per year; people by a permutation.
    cases = cases.sort_values(["reported_at", "ck"], kind="stable").reset_index(drop=True)
    year = cases["reported_at"].dt.year
    cases["case_id"] = [
        f"DI-{y}-{s:05d}" for y, s in zip(year, year.groupby(year).cumcount() + 1, strict=True)
    ]
    case_id = dict(zip(cases["ck"], cases["case_id"], strict=True))
    inc = inc.sort_values(["occurred_at", "ik"], kind="stable").reset_index(drop=True)
    iyear = inc["occurred_at"].dt.year
    inc["incident_id"] = [
        f"INC-{y}-{s:06d}" for y, s in zip(iyear, iyear.groupby(iyear).cumcount() + 1, strict=True)
    ]
    incident_id = dict(zip(inc["ik"], inc["incident_id"], strict=True))
    used = np.unique(
        np.concatenate(
            [links["pidx"].to_numpy(), inc_links["pidx"].to_numpy(), cases["victim"].to_numpy()]
        ).astype(int)
    )
    person_id = np.full(ctx.people.n, "", dtype=object)
    perm = ctx.rng("ids").permutation(len(used))
    person_id[used] = np.array([f"P{k + 1:07d}" for k in perm], dtype=object)

    step(STAGES[6], 7, len(STAGES))
    prec = partners.generate(ctx, cases, links, inc, inc_links, nhs_hotspot=bool(plant_nhs_hotspot))

    step(STAGES[7], 8, len(STAGES))
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    pf = ctx.people.frame().iloc[used]
    persons = pd.DataFrame(
        {
            "person_id": person_id[used],
            "given_name": pf["given"].to_numpy(),
            "family_name": pf["family"].to_numpy(),
            "date_of_birth": iso_date(pf["dob"].to_numpy()),
            "sex": pf["sex"].to_numpy(),
            "ethnicity": pf["ethnicity"].to_numpy(),
            "postcode": pf["postcode"].to_numpy(),
            "aliases": pf["aliases"].to_numpy(),
        }
    ).sort_values("person_id", kind="stable")
    counts["persons.csv"] = write_kind(out, "persons", persons)

    cases_out = pd.DataFrame(
        {
            "case_id": cases["case_id"],
            "force": FORCE,
            "category": cases["category"],
            "reported_at": iso(cases["reported_at"].to_numpy()),
            "occurred_from": iso(cases["occurred_from"].to_numpy()),
            "occurred_to": iso(cases["occurred_to"].to_numpy()),
            "latitude": [f"{v:.6f}" for v in cases["latitude"]],
            "longitude": [f"{v:.6f}" for v in cases["longitude"]],
            "lsoa_code": geo.code[cases["lsoa"].to_numpy()],
            "location_type": cases["location_type"],
            "method": cases["method"],
            "circumstance": cases["circumstance"],
            "substance": cases["substance"],
            "victim_person_id": person_id[cases["victim"].to_numpy().astype(int)],
            "victim_age": cases["victim_age"].astype(int),
            "victim_sex": cases["victim_sex"],
            "victim_ethnicity": cases["victim_ethnicity"],
            "suspect_relationship": cases["suspect_relationship"],
            "flags": cases["flags"],
            "status": cases["status"],
            "narrative": cases["narrative"],
        }
    )
    counts["cases.csv"] = write_kind(out, "cases", cases_out)

    role_order = {
        r: i
        for i, r in enumerate(
            ("victim", "suspect", "reporting_person", "witness", "associate", "professional")
        )
    }
    cp = pd.DataFrame(
        {
            "case_id": links["ck"].map(case_id),
            "person_id": person_id[links["pidx"].to_numpy()],
            "role": links["role"],
            "_o": links["role"].map(role_order),
        }
    )
    cp = cp.sort_values(["case_id", "_o", "person_id"], kind="stable")
    counts["case-persons.csv"] = write_kind(out, "case-persons", cp)
    ce = pd.DataFrame(
        {
            "case_id": ents["ck"].map(case_id),
            "entity_type": ents["entity_type"],
            "entity_value": ents["entity_value"],
        }
    ).drop_duplicates()
    ce = ce.sort_values(["case_id", "entity_type", "entity_value"], kind="stable")
    counts["case-entities.csv"] = write_kind(out, "case-entities", ce)

    inc_out = pd.DataFrame(
        {
            "incident_id": inc["incident_id"],
            "force": FORCE,
            "incident_type": inc["incident_type"],
            "occurred_at": iso(inc["occurred_at"].to_numpy()),
            "reported_at": iso(inc["reported_at"].to_numpy()),
            "latitude": [f"{v:.6f}" for v in inc["latitude"]],
            "longitude": [f"{v:.6f}" for v in inc["longitude"]],
            "lsoa_code": geo.code[inc["lsoa"].to_numpy()],
            "location_text": inc["location_text"],
            "severity": [f"{v:.2f}" if v == v else "" for v in inc["severity"]],
            "ho_offence_code": inc["ho_offence_code"],
            "outcome": inc["outcome"],
            "outcome_code": [str(int(c)) if c >= 0 else "" for c in inc["outcome_code"]],
            "flags": inc["flags"],
            "narrative": inc["narrative"],
            "source_system": inc["source_system"],
            "recording_unit": inc["recording_unit"],
        }
    )
    counts["incidents.csv"] = write_kind(out, "incidents", inc_out)
    ip = pd.DataFrame(
        {
            "incident_id": inc_links["ik"].map(incident_id),
            "person_id": person_id[inc_links["pidx"].to_numpy()],
            "role": inc_links["role"],
            **{c: inc_links[c].to_numpy() for c in violence.LINK_COLUMNS},
        }
    )
    ip = ip.sort_values(["incident_id", "role", "person_id"], kind="stable")
    counts["incident-persons.csv"] = write_kind(out, "incident-persons", ip)

    pr = prec.copy()
    pr["occurred_at"] = iso(pr["occurred_at"].to_numpy())
    pr["latitude"] = [
        f"{v:.6f}" if v == v else "" for v in pr.get("latitude", pd.Series(np.nan, index=pr.index))
    ]
    pr["longitude"] = [
        f"{v:.6f}" if v == v else "" for v in pr.get("longitude", pd.Series(np.nan, index=pr.index))
    ]
    pr["age"] = [str(int(a)) if a == a else "" for a in pr["age"]]
    pr["assailant_count"] = [str(int(a)) if a == a and a != "" else "" for a in pr.get("assailant_count", "")]
    counts["partner-records.csv"] = write_kind(out, "partner-records", pr)
    vp = vres.participants
    participants = pd.DataFrame(
        {
            "person_id": person_id[vp["pidx"].to_numpy().astype(int)],
            "start_date": iso_date(vp["start_date"].to_numpy()),
            "programme": vp["programme"].to_numpy(),
        }
    )
    counts["participants.csv"] = write_csv(out / "participants.csv", participants, violence.PARTICIPANT_COLUMNS)
    counts["population.csv"] = write_csv(out / "population.csv", vres.population, list(vres.population.columns))

    step(STAGES[8], 9, len(STAGES))
    frames = _truth_frames(
        ctx, cases, links, prof, inc, prec, plant, emerging, inc_res, case_id, incident_id, person_id
    )
    frames.update(vres.truth)
    frames["parameters"] = pd.concat(
        [frames["parameters"], pd.DataFrame(vres.params, columns=["name", "value"])], ignore_index=True
    )
    parameters = frames.pop("parameters")
    frames["parameters"] = parameters
    truth_counts = truth.write_truth(out, frames)
    plants = {
        "series": bool(plant_series),
        "emerging": bool(plant_emerging),
        "nhs_hotspot": bool(plant_nhs_hotspot),
        "violence": bool(plant_violence),
    }
    return SynthSummary(
        plants=plants,
        out_dir=out,
        counts=counts,
        truth_counts=truth_counts,
        seed=int(seed),
        years=int(years),
        start=period.start,
        end=period.end,
        population=int(round(ctx.population)),
        seconds=round(time.perf_counter() - started, 2),
    )


def _truth_frames(
    ctx, cases, links, prof, inc, prec, plant, emerging, inc_res, case_id, incident_id, person_id
) -> dict[str, pd.DataFrame]:
    from threadline.synth import hotspot, partners, truth

    geo = ctx.geo
    rows = [dict(r) for r in plant.truth]
    planted = ctx.notes.get("professional", {})
    prof_truth, gp_cases = truth.professionals_truth(cases, links, prof, planted, geo.la_codes, person_id)
    if planted:
        nurse_cases = sorted(
            int(c)
            for c in links.loc[
                (links["pidx"] == planted["pidx"]) & (links["role"] == "professional"), "ck"
            ].unique()
        )
        rows += [
            {
                "series_id": planted["series_id"],
                "kind": "professional",
                "ck": c,
                "role_in_truth": "member",
                "shares": "",
            }
            for c in nurse_cases
        ]
        rows += [
            {
                "series_id": planted["series_id"],
                "kind": "professional",
                "ck": c,
                "role_in_truth": "decoy",
                "shares": "high_volume_professional",
            }
            for c in gp_cases
            if c not in set(nurse_cases)
        ]
    ser = pd.DataFrame(rows, columns=["series_id", "kind", "ck", "role_in_truth", "shares"])
    ser["case_id"] = ser["ck"].map(case_id)
    ser = ser[["series_id", "kind", "case_id", "role_in_truth", "shares"]].sort_values(
        ["series_id", "role_in_truth", "case_id"], ascending=[True, False, True], kind="stable"
    )

    summary = pd.DataFrame(plant.summary, columns=SUMMARY_COLUMNS)
    summary["key_person_id"] = [person_id[int(k)] if k != "" else "" for k in summary["key_person"]]
    decoys = ser[ser["role_in_truth"] == "decoy"].groupby("series_id").size()
    members = ser[ser["role_in_truth"] == "member"].groupby("series_id").size()
    summary["n_members"] = summary["series_id"].map(members).fillna(0).astype(int)
    summary["n_decoys"] = summary["series_id"].map(decoys).fillna(0).astype(int)
    by_series = (
        ser[ser["role_in_truth"] == "member"]
        .merge(cases[["case_id", "reported_at"]], on="case_id")
        .groupby("series_id")["reported_at"]
    )
    summary["first_reported"] = summary["series_id"].map(by_series.min().dt.strftime("%Y-%m-%d"))
    summary["last_reported"] = summary["series_id"].map(by_series.max().dt.strftime("%Y-%m-%d"))
    summary = summary[list(SUMMARY_OUT)]

    sp = prec[prec["series"] != ""]
    series_partner = pd.DataFrame(
        {"series_id": sp["series"], "agency": sp["agency"], "record_id": sp["record_id"]}
    )

    if emerging is not None:
        em_cases = sorted(cases.loc[cases["origin"] == "emerging", "case_id"])
        q_first, q_stop, _ = ctx.period.last_quarter()
        in_q = (
            (cases["category"] == emerging["category"])
            & (np.array(geo.la_codes, dtype=object)[geo.la[cases["lsoa"].to_numpy()]] == emerging["la_code"])
            & (cases["reported_at"] >= q_first.astype("datetime64[s]"))
            & (cases["reported_at"] < q_stop.astype("datetime64[s]"))
        )
        emerging = dict(emerging, observed_in_quarter=int(in_q.sum()), case_ids=";".join(em_cases))
    emerging_df = pd.DataFrame([emerging] if emerging is not None else [], columns=list(EMERGING_COLUMNS))

    inc_time = dict(zip(inc["incident_id"], inc["occurred_at"], strict=True))
    chains = pd.DataFrame(
        [
            {
                "chain_id": c["chain_id"],
                "suspect_person_id": person_id[c["suspect"]],
                "victim_person_id": person_id[c["victim"]],
                "incident_ids": ";".join(
                    sorted((incident_id[k] for k in c["iks"]), key=lambda x: (inc_time[x], x))
                ),
                "case_id": case_id[c["ck"]],
                "first_incident": c["first"],
                "last_incident": c["last"],
                "n_incidents": len(c["iks"]),
            }
            for c in inc_res.chains
        ],
        columns=[
            "chain_id",
            "suspect_person_id",
            "victim_person_id",
            "incident_ids",
            "case_id",
            "first_incident",
            "last_incident",
            "n_incidents",
        ],
    )
    dy = inc_res.dyads.copy()
    dyads = pd.DataFrame(
        {
            "dyad_id": [f"DYAD-{i + 1:05d}" for i in range(len(dy))],
            "suspect_person_id": person_id[dy["suspect"].to_numpy().astype(int)],
            "victim_person_id": person_id[dy["victim"].to_numpy().astype(int)],
            "n_incidents": dy["n_incidents"].astype(int),
            "escalating": dy["escalating"],
            "chain_id": dy["chain_id"],
        }
    )

    pid = prec["pidx"].to_numpy().astype(int)
    identity = pd.DataFrame(
        {
            "record_id": prec["record_id"],
            "agency": prec["agency"],
            "person_id": np.where(pid >= 0, person_id[np.maximum(pid, 0)], ""),
            "match_type": prec["match_type"],
            "errors": prec["errors"],
        }
    )
    hotspot_df = ctx.notes.get("nhs_hotspot", hotspot.empty_truth())
    hs = ctx.notes.get("nhs_hotspot_params", {})
    params = pd.DataFrame(
        [
            ("force", FORCE),
            ("seed", ctx.seed),
            ("years", ctx.period.years),
            ("start", str(ctx.period.start)),
            ("end", str(ctx.period.end)),
            ("population_scale", ctx.scale),
            ("population", int(round(ctx.population))),
            ("plant_series", "yes" if plant.summary else "no"),
            ("plant_emerging", "yes" if emerging is not None else "no"),
            ("plant_nhs_hotspot", "yes" if len(hotspot_df) else "no"),
            ("emerging_category", emerging["category"] if emerging is not None else ""),
            ("emerging_la_code", emerging["la_code"] if emerging is not None else ""),
            ("nhs_hotspot_la_code", hs.get("la_code", "")),
            ("nhs_hotspot_multiplier", hs.get("multiplier", "")),
            ("nhs_hotspot_records", hs.get("n_planted", "")),
            ("nhs_hotspot_venues", hs.get("venues", "")),
            ("ed_geocoded_share", partners.ED_GEOCODED_SHARE),
            ("escalation_chains", len(chains)),
        ],
        columns=["name", "value"],
    )
    return {
        "series": ser,
        "series_summary": summary,
        "series_partner_records": series_partner,
        "professionals": prof_truth,
        "emerging": emerging_df,
        "nhs_hotspot": hotspot_df,
        "escalation": chains,
        "da_dyads": dyads,
        "partner_identity": identity,
        "parameters": params,
    }


__all__ = ["synthesise", "SynthSummary", "FORCE", "STAGES"]
