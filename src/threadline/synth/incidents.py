"""Other police crimes and incidents, the people in them, and domestic-abuse escalation chains.

About 25,000 incidents a year for the whole force (scaled by ``population_scale``), in four kinds:

- **histories**: earlier incidents of people later connected to a death investigation (suspects of
  violence with earlier assaults and weapon offences; drug-death victims with possession,
  shoplifting and welfare calls; suicides with welfare and missing-person reports);
- **escalation chains**: for 10-20 partner-abuse homicides and attempts (3 or more in small
  runs), 5-12 incidents between the same suspect and victim over 6-24 months, rising in frequency
  and severity (domestic incidents and harassment, then threats to kill and assaults with injury)
  and ending in the case (College of Policing Domestic Abuse APP; Home Office Domestic Homicide
  Reviews: escalation, stalking and threats to kill precede many domestic homicides);
- **domestic dyads**: the other domestic incidents, between couples whose incidents do not
  escalate (one to a few incidents, flat severity): the controls an escalation detector must
  leave alone;
- **general** incidents of every other type in :data:`threadline.synth.rates.INCIDENT_MIX`.

People come from pools with heavy-tailed reuse, so a few prolific offenders have long histories,
and about one victim in eight is also an offender elsewhere (the victim-offender overlap). Each
incident carries the Home Office offence code it would be recorded under and that offence's ONS
Crime Severity Score weight (``data/incident-severity.csv``), and a Home Office outcome type
(0-22) that depends on the type and the incident's age.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from threadline.synth import rates as R
from threadline.synth.context import DAY, HOUR, MINUTE, Context, sample_days, sample_times
from threadline.synth.geography import incident_severity
from threadline.synth.people import age_on

#: Home Office crime outcome types (Home Office Counting Rules, outcomes framework; labels as in
#: ``ho-crime-outcome-types.csv``, abbreviated there and here).
OUTCOME_LABELS: dict[int, str] = {
    0: "Not yet assigned an outcome",
    1: "Charged or summonsed",
    2: "Caution, youths",
    3: "Caution, adults",
    4: "Taken into consideration",
    5: "Offender died",
    6: "Penalty notices for disorder",
    7: "Cannabis or khat warning",
    8: "Community resolution",
    9: "Not in the public interest, Crown Prosecution Service",
    10: "Not in the public interest, police",
    11: "Prosecution prevented, suspect under age",
    12: "Prosecution prevented, suspect too ill",
    13: "Prosecution prevented, victim or key witness dead or too ill",
    14: "Evidential difficulties, suspect not identified, victim does not support further action",
    15: "Evidential difficulties, suspect identified, victim supports action",
    16: "Evidential difficulties, suspect identified, victim does not support further action",
    17: "Prosecution time limit expired",
    18: "Investigation complete, no suspect identified",
    19: "National Fraud Intelligence Bureau, fraud case",
    20: "Responsibility for further investigation transferred to another body",
    21: "Further investigation to support formal action not in the public interest, police decision",
    22: "Diversionary, educational or intervention activity",
}

#: Outcome mixes (ASSUMPTION, shaped after Home Office Crime outcomes in England and Wales: about
#: 6% of crimes charged overall, evidential difficulties dominant for violence and domestic abuse,
#: "no suspect identified" for theft and criminal damage).
OUTCOME_MIX: dict[str, dict[int, float]] = {
    "violence": {16: 30, 14: 12, 1: 14, 15: 8, 18: 10, 8: 4, 3: 3, 21: 3, 22: 3, 9: 2, 10: 2, 20: 1, 2: 1},
    "serious": {1: 30, 16: 20, 18: 20, 15: 15, 14: 10, 9: 2, 10: 2, 22: 1},
    "property": {18: 65, 14: 10, 1: 8, 15: 5, 8: 4, 3: 3, 16: 3, 22: 2},
    "shoplifting": {1: 30, 18: 30, 8: 15, 3: 8, 2: 3, 22: 5, 15: 9},
    "possession": {1: 35, 8: 15, 22: 12, 3: 10, 2: 5, 10: 5, 15: 5, 18: 3, 21: 10},
    "drugs": {7: 25, 8: 20, 1: 20, 22: 15, 3: 8, 10: 7, 2: 5},
    "order": {18: 30, 1: 15, 14: 15, 16: 15, 8: 10, 3: 5, 22: 5, 6: 5},
}
TYPE_OUTCOME: dict[str, str] = {
    "domestic_abuse": "violence",
    "common_assault": "violence",
    "assault_with_injury": "violence",
    "stalking_harassment": "violence",
    "threats_to_kill": "violence",
    "wounding_gbh": "serious",
    "robbery": "serious",
    "sexual_offence": "serious",
    "burglary": "property",
    "vehicle_crime": "property",
    "other_theft": "property",
    "theft_from_the_person": "property",
    "bicycle_theft": "property",
    "criminal_damage_and_arson": "property",
    "shoplifting": "shoplifting",
    "weapon_possession": "possession",
    "possession_of_weapons": "possession",
    "drugs": "drugs",
    "public_order": "order",
    "other_crime": "order",
    "violence_and_sexual_offences": "violence",
}
NON_CRIME = ("anti_social_behaviour", "missing_person", "concern_for_welfare", "other")

#: Per type: P(suspect recorded), P(victim or subject recorded), P(reporting person), mean witnesses.
ROLE_P: dict[str, tuple[float, float, float, float]] = {
    "domestic_abuse": (1.0, 1.0, 0.2, 0.05),
    "common_assault": (0.85, 1.0, 0.2, 0.3),
    "assault_with_injury": (0.8, 1.0, 0.2, 0.5),
    "wounding_gbh": (0.7, 1.0, 0.3, 0.8),
    "stalking_harassment": (0.95, 1.0, 0.05, 0.05),
    "threats_to_kill": (0.9, 1.0, 0.1, 0.1),
    "sexual_offence": (0.6, 1.0, 0.1, 0.1),
    "robbery": (0.35, 1.0, 0.1, 0.3),
    "weapon_possession": (1.0, 0, 0, 0.1),
    "possession_of_weapons": (1.0, 0, 0, 0.1),
    "drugs": (1.0, 0, 0, 0),
    "public_order": (0.9, 0.3, 0.2, 0.2),
    "shoplifting": (0.8, 0, 0.6, 0),
    "burglary": (0.12, 1.0, 0.1, 0.05),
    "vehicle_crime": (0.08, 1.0, 0, 0),
    "other_theft": (0.15, 1.0, 0, 0),
    "theft_from_the_person": (0.1, 1.0, 0, 0.1),
    "bicycle_theft": (0.05, 1.0, 0, 0),
    "criminal_damage_and_arson": (0.3, 1.0, 0.1, 0.1),
    "other_crime": (0.6, 0.4, 0.1, 0),
    "anti_social_behaviour": (0.25, 0, 0.7, 0),
    "concern_for_welfare": (0, 1.0, 0.8, 0),
    "missing_person": (0, 1.0, 0.9, 0),
}
#: Types that happen where the victim (or subject) lives.
HOME_TYPES = (
    "domestic_abuse",
    "stalking_harassment",
    "threats_to_kill",
    "burglary",
    "concern_for_welfare",
    "missing_person",
)
VIOLENT_TYPES = (
    "common_assault",
    "assault_with_injury",
    "wounding_gbh",
    "robbery",
    "public_order",
    "theft_from_the_person",
    "sexual_offence",
    "weapon_possession",
    "possession_of_weapons",
)
#: Per type: (seasonality, day-of-week profile, hour profile) keys into :mod:`rates`.
TIMING: dict[str, tuple[tuple[float, int], str, str]] = {
    **{t: ((0.15, 196), "violence", "violence") for t in VIOLENT_TYPES},
    "domestic_abuse": ((0.10, 196), "violence", "evening"),
    "stalking_harassment": ((0.0, 1), "flat", "evening"),
    "threats_to_kill": ((0.05, 196), "violence", "evening"),
    "anti_social_behaviour": ((0.2, 196), "violence", "evening"),
    "drugs": ((0.0, 1), "drugs", "evening"),
    "shoplifting": ((0.05, 340), "flat", "daytime"),
    "burglary": ((0.1, 330), "flat", "evening"),
    "vehicle_crime": ((0.05, 330), "flat", "evening"),
    "other_theft": ((0.05, 196), "flat", "daytime"),
    "bicycle_theft": ((0.25, 196), "flat", "daytime"),
    "criminal_damage_and_arson": ((0.1, 300), "violence", "evening"),
    "other_crime": ((0.0, 1), "flat", "daytime"),
    "concern_for_welfare": ((0.05, 15), "flat", "daytime"),
    "missing_person": ((0.05, 196), "flat", "evening"),
}
PLACE_WEIGHT: dict[str, str] = {
    **{t: "violence" for t in VIOLENT_TYPES},
    "anti_social_behaviour": "asb",
    "drugs": "drugs",
}

NARRATIVES: dict[str, tuple[str, ...]] = {
    "domestic_abuse": (
        "Verbal argument between partners; neighbour called police",
        "Ex-partner attended address and refused to leave",
        "Report of shouting and banging from address; couple separated",
        "Partner pushed victim during argument about money",
        "Controlling behaviour reported; DASH risk assessment completed",
        "Argument after drinking; no visible injuries",
    ),
    "stalking_harassment": (
        "Repeated unwanted messages and calls from ex-partner",
        "Suspect seen waiting outside victim's workplace",
        "Persistent following and contact despite warnings",
        "Abusive messages on social media",
        "Turned up at victim's home uninvited again",
    ),
    "threats_to_kill": (
        "Threatened to kill victim during argument",
        "Voice message threatening to kill victim and family",
        "Threats to kill made with a knife in hand",
        "Text message threats to kill",
    ),
    "common_assault": (
        "Pushed and slapped during argument",
        "Punched once, no visible injury",
        "Grabbed by the arm and shoved",
        "Spat at and pushed",
        "Scuffle outside takeaway",
    ),
    "assault_with_injury": (
        "Punched in the face causing swelling",
        "Assaulted causing cut to head",
        "Kicked while on the floor; bruising",
        "Headbutted; bloody nose",
        "Bottled outside pub",
    ),
    "wounding_gbh": (
        "Stabbed in the leg during a fight",
        "Serious head injury after assault",
        "Slashed with a blade",
        "Broken jaw after being stamped on",
    ),
    "weapon_possession": (
        "Found in possession of a lock knife",
        "Machete recovered during stop search",
        "Kitchen knife found in waistband",
        "Knuckle duster and blade recovered",
    ),
    "possession_of_weapons": (
        "Baseball bat carried as a weapon",
        "Imitation firearm recovered",
        "CS spray found in vehicle",
    ),
    "sexual_offence": (
        "Sexual assault reported by victim",
        "Touched inappropriately on bus",
        "Sexual assault after night out",
        "Historic sexual assault disclosed",
    ),
    "robbery": (
        "Phone snatched with threats",
        "Robbed of cash at knifepoint",
        "Mugged and wallet taken",
        "Bike taken by force",
    ),
    "drugs": (
        "Found in possession of cannabis",
        "Suspected crack cocaine recovered on search",
        "Wraps of heroin found",
        "Cannabis smell; small bag found",
    ),
    "public_order": (
        "Abusive and threatening behaviour in street",
        "Fighting in town centre",
        "Drunk and aggressive towards staff",
        "Threatening behaviour towards neighbour",
    ),
    "shoplifting": (
        "Theft of alcohol from supermarket",
        "Meat and cheese stolen from shop",
        "Detained by store security",
        "Repeat shop theft of toiletries",
    ),
    "burglary": (
        "House entered via rear door; electronics taken",
        "Burglary while occupants asleep",
        "Shed and garage broken into",
        "Keys taken and car stolen from drive",
    ),
    "vehicle_crime": (
        "Items stolen from car",
        "Vehicle broken into overnight",
        "Catalytic converter stolen",
        "Car stolen from street",
    ),
    "other_theft": (
        "Purse stolen from bag",
        "Parcel taken from doorstep",
        "Theft of tools from van",
        "Fuel drive-off",
    ),
    "theft_from_the_person": (
        "Phone taken from pocket",
        "Bag snatched in town centre",
        "Pickpocketed on bus",
    ),
    "bicycle_theft": ("Bicycle stolen from outside shop", "Bike taken from garden", "Locked bike stolen"),
    "criminal_damage_and_arson": (
        "Window smashed at address",
        "Car tyres slashed",
        "Wheelie bin set alight",
        "Graffiti on property",
        "Door kicked in",
    ),
    "other_crime": (
        "Breach of restraining order",
        "Fraud reported",
        "Breach of bail conditions",
        "Malicious communications",
    ),
    "anti_social_behaviour": (
        "Youths causing annoyance",
        "Noise nuisance from neighbours",
        "Off-road bikes on playing fields",
        "Group drinking in park",
        "Fireworks thrown at houses",
    ),
    "concern_for_welfare": (
        "Family concerned, not heard from in days",
        "Person in mental health crisis",
        "Found intoxicated and vulnerable",
        "Concern for welfare; safe and well check",
        "Threatening self-harm",
    ),
    "missing_person": (
        "Reported missing by family",
        "Failed to return to supported accommodation",
        "Missing from care home",
        "Missing after argument; found safe",
    ),
}

#: Incident types in the histories of people connected to deaths: (type, role, weight).
HISTORY_MIX: dict[str, tuple[tuple[str, str, float], ...]] = {
    "violent_suspect": (
        ("common_assault", "suspect", 25),
        ("assault_with_injury", "suspect", 20),
        ("public_order", "suspect", 12),
        ("weapon_possession", "suspect", 10),
        ("drugs", "suspect", 10),
        ("criminal_damage_and_arson", "suspect", 8),
        ("robbery", "suspect", 5),
        ("threats_to_kill", "suspect", 5),
        ("shoplifting", "suspect", 5),
    ),
    "violent_victim": (
        ("assault_with_injury", "victim", 25),
        ("common_assault", "victim", 15),
        ("common_assault", "suspect", 15),
        ("assault_with_injury", "suspect", 10),
        ("drugs", "suspect", 10),
        ("robbery", "victim", 10),
        ("public_order", "suspect", 10),
        ("weapon_possession", "suspect", 5),
    ),
    "drug_victim": (
        ("drugs", "suspect", 30),
        ("shoplifting", "suspect", 25),
        ("concern_for_welfare", "victim", 15),
        ("other_theft", "suspect", 10),
        ("anti_social_behaviour", "suspect", 10),
        ("missing_person", "victim", 5),
        ("assault_with_injury", "victim", 5),
    ),
    "suicide_victim": (
        ("concern_for_welfare", "victim", 50),
        ("missing_person", "victim", 25),
        ("common_assault", "victim", 10),
        ("public_order", "suspect", 15),
    ),
    "suspicious_victim": (
        ("concern_for_welfare", "victim", 30),
        ("assault_with_injury", "victim", 20),
        ("drugs", "suspect", 20),
        ("common_assault", "suspect", 15),
        ("anti_social_behaviour", "suspect", 15),
    ),
    "drug_associate": (
        ("drugs", "suspect", 60),
        ("shoplifting", "suspect", 20),
        ("other_theft", "suspect", 20),
    ),
    "sudden_victim": (("concern_for_welfare", "victim", 80), ("missing_person", "victim", 20)),
}
#: (case role, category) -> (history kind, probability, mean number of incidents).
HISTORY_RULES: dict[tuple[str, str], tuple[str, float, float]] = {
    ("suspect", "homicide"): ("violent_suspect", 0.6, 3.0),
    ("suspect", "attempted_homicide"): ("violent_suspect", 0.6, 3.0),
    ("victim", "homicide"): ("violent_victim", 0.35, 2.0),
    ("victim", "attempted_homicide"): ("violent_victim", 0.35, 2.0),
    ("victim", "drug_related_death"): ("drug_victim", 0.5, 3.0),
    ("victim", "suicide"): ("suicide_victim", 0.3, 1.5),
    ("victim", "suspicious_death"): ("suspicious_victim", 0.25, 1.5),
    ("associate", "drug_related_death"): ("drug_associate", 0.3, 2.0),
    ("victim", "unexplained_death"): ("sudden_victim", 0.03, 1.0),
}

CHAIN_STAGES: tuple[dict[str, float], ...] = (
    {"domestic_abuse": 70, "stalking_harassment": 30},
    {"domestic_abuse": 35, "stalking_harassment": 25, "threats_to_kill": 15, "common_assault": 25},
    {"threats_to_kill": 25, "assault_with_injury": 50, "stalking_harassment": 15, "common_assault": 10},
)
#: Days from a non-escalating dyad's first incident within which its others fall.
DYAD_SPAN_DAYS = 540
DYAD_MIX: dict[str, float] = {
    "domestic_abuse": 75,
    "common_assault": 12,
    "stalking_harassment": 8,
    "assault_with_injury": 3,
    "threats_to_kill": 2,
}


@dataclass
class IncidentResult:
    incidents: pd.DataFrame
    links: pd.DataFrame
    chains: list[dict] = field(default_factory=list)
    dyads: pd.DataFrame | None = None


def _frame(ctx: Context, itype, occurred, lsoa, origin, pre_s, pre_v, flags="") -> pd.DataFrame:
    n = len(itype)
    return pd.DataFrame(
        {
            "ik": ctx.keys("incidents", n),
            "incident_type": np.asarray(itype, dtype=object),
            "occurred_at": np.asarray(occurred, dtype="datetime64[s]"),
            "lsoa": np.asarray(lsoa, dtype=int),
            "origin": origin,
            "pre_s": np.broadcast_to(np.asarray(pre_s, dtype=int), (n,)),
            "pre_v": np.broadcast_to(np.asarray(pre_v, dtype=int), (n,)),
            "flags_extra": flags,
        }
    )


def _hours(rng, days, itype) -> np.ndarray:
    out = np.empty(len(days), dtype="datetime64[s]")
    for t in sorted(set(itype)):
        m = itype == t
        out[m] = sample_times(rng, days[m], R.HOURS[TIMING.get(t, ((0, 1), "flat", "daytime"))[2]])
    return out


def _histories(ctx: Context, cases: pd.DataFrame, links: pd.DataFrame, exclude: set[int]) -> pd.DataFrame:
    rng = ctx.rng("incidents.histories")
    geo, people = ctx.geo, ctx.people
    lk = links.merge(cases[["ck", "category", "reported_at"]], on="ck")
    lk = lk[~lk["pidx"].isin(sorted(exclude))].sort_values(["ck", "pidx", "role"], kind="stable")
    frames = []
    for (role, cat), (hkind, p, mean) in HISTORY_RULES.items():
        sel = lk[(lk["role"] == role) & (lk["category"] == cat)]
        sel = sel[rng.random(len(sel)) < p]
        if sel.empty:
            continue
        k = 1 + rng.poisson(mean - 1 if mean > 1 else 0.0, size=len(sel))
        rows = np.repeat(np.arange(len(sel)), k)
        case_day = sel["reported_at"].to_numpy().astype("datetime64[D]")[rows]
        lo = np.maximum(case_day - np.timedelta64(4 * 365, "D"), ctx.period.start_day)
        # No police history before the age of 12.
        born = people.column("dob", sel["pidx"].to_numpy()[rows]).astype("datetime64[D]")
        lo = np.maximum(lo, born + np.timedelta64(12 * 366, "D"))
        span = (case_day - np.timedelta64(7, "D") - lo).astype(int)
        ok = span >= 14
        rows, lo, span = rows[ok], lo[ok], span[ok]
        days = lo + np.floor(rng.random(len(rows)) * span).astype(int).astype("timedelta64[D]")
        mix = HISTORY_MIX[hkind]
        w = np.array([m[2] for m in mix], dtype=float)
        pick = rng.choice(len(mix), size=len(rows), p=w / w.sum())
        itype = np.array([mix[j][0] for j in pick], dtype=object)
        irole = np.array([mix[j][1] for j in pick], dtype=object)
        pidx = sel["pidx"].to_numpy()[rows]
        home = people.column("home", pidx).astype(int)
        lsoa = np.where(rng.random(len(rows)) < 0.6, geo.near(rng, home, 12), -1)
        occurred = _hours(rng, days, itype)
        frames.append(
            _frame(
                ctx,
                itype,
                occurred,
                lsoa,
                "history",
                np.where(irole == "suspect", pidx, -1),
                np.where(irole == "victim", pidx, -1),
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else _frame(ctx, [], [], [], "history", [], [])


def _chains(ctx: Context, cases: pd.DataFrame, links: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    rng = ctx.rng("incidents.chains")
    frames, truth = [], []
    chain_cks = ctx.notes.get("chain_cases", [])
    by_ck = cases.set_index("ck")
    suspects = links[links["role"] == "suspect"].groupby("ck", sort=True)["pidx"].first()
    people = ctx.people
    for n_chain, ck in enumerate(chain_cks, start=1):
        if ck not in suspects.index:
            continue
        row = by_ck.loc[ck]
        victim, suspect = int(row["victim"]), int(suspects[ck])
        case_t = np.datetime64(row["reported_at"], "s")
        room = int((case_t - ctx.period.start_day.astype("datetime64[s]")) / DAY) - 10
        dur = int(min(rng.integers(180, 731), room))
        if dur < 60:
            continue
        k = int(rng.integers(5, 13))
        s = np.sort(np.sqrt(rng.random(k)))
        s[-1] = max(s[-1], 0.97)
        first = case_t - np.timedelta64(dur, "D")
        when = first + (s * (dur - 1) * 86400).astype(int) * np.timedelta64(1, "s")
        day = when.astype("datetime64[D]")
        when = sample_times(rng, day, R.HOURS["evening"])
        when = np.minimum(when, case_t - DAY)
        stage = np.where(s >= 0.75, 2, np.where(s >= 0.4, 1, 0))
        itype = np.array([R.draw(rng, CHAIN_STAGES[g], 1)[0] for g in stage], dtype=object)
        itype[-1] = "assault_with_injury" if rng.random() < 0.6 else "threats_to_kill"
        home = int(people.column("home", [victim])[0])
        f = _frame(ctx, itype, when, np.full(k, home), "chain", suspect, victim, "domestic_abuse")
        f["chain"] = n_chain
        frames.append(f)
        truth.append(
            {
                "chain_id": f"DA-CHAIN-{n_chain:02d}",
                "suspect": suspect,
                "victim": victim,
                "iks": f["ik"].tolist(),
                "ck": int(ck),
                "first": str(when.min())[:10],
                "last": str(when.max())[:10],
            }
        )
    out = pd.concat(frames, ignore_index=True) if frames else _frame(ctx, [], [], [], "chain", [], [])
    return out, truth


def _dyads(ctx: Context, n_target: int, chain_truth: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Non-escalating domestic dyads filling ``n_target`` incidents."""
    rng = ctx.rng("incidents.dyads")
    geo, people = ctx.geo, ctx.people
    # A dyad's incidents fall within DYAD_SPAN_DAYS of its first day, which may precede the period
    # (a couple already known to police); only incidents inside the period are kept, so their
    # days are uniform over the period (no pile-up at either end). Dyads are then taken in random
    # order until their incidents fill ``n_target`` (the last one cut short).
    span, n_days = DYAD_SPAN_DAYS, ctx.period.n_days
    n_cand = max(1, int(n_target / 2.2 * (n_days + span) / n_days * 1.4) + 5)
    k_all = 1 + rng.poisson(1.2, size=n_cand)
    first = ctx.period.start_day - span + rng.integers(0, n_days + span, size=n_cand).astype("timedelta64[D]")
    cand_rows = np.repeat(np.arange(n_cand), k_all)
    cand_days = first[cand_rows] + rng.integers(0, span, size=len(cand_rows)).astype("timedelta64[D]")
    inside = (cand_days >= ctx.period.start_day) & (cand_days <= ctx.period.end_day)
    cand_rows, cand_days = cand_rows[inside], cand_days[inside]
    n_in = np.bincount(cand_rows, minlength=n_cand)
    order = rng.permutation(n_cand)
    order = order[n_in[order] > 0]
    cum = np.cumsum(n_in[order])
    n_dyads = min(len(order), int(np.searchsorted(cum, n_target)) + 1)
    rank = np.full(n_cand, -1)
    rank[order[:n_dyads]] = np.arange(n_dyads)
    keep = rank[cand_rows] >= 0
    rows, days = rank[cand_rows[keep]], cand_days[keep]
    o = np.lexsort((days, rows))[:n_target]
    rows, days = rows[o], days[o]
    k = np.bincount(rows, minlength=n_dyads)
    v_sex = np.where(rng.random(n_dyads) < 0.75, "female", "male").astype(object)
    s_sex = np.where(rng.random(n_dyads) < 0.95, np.where(v_sex == "female", "male", "female"), v_sex).astype(
        object
    )
    v_age = R.draw_ages(rng, (((16, 25), 25), ((25, 35), 30), ((35, 50), 30), ((50, 75), 15)), n_dyads)
    s_age = np.maximum(16, v_age + np.round(rng.normal(2, 5, n_dyads)).astype(int))
    home = geo.pick(rng, "residential", n_dyads)
    mid = ctx.period.start_day + np.timedelta64(ctx.period.n_days // 2, "D")
    vi = people.add(sex=v_sex, age=v_age, at=mid, home=home, source="incident")
    eth = people.column("ethnicity", vi)
    si = people.add(
        sex=s_sex,
        age=s_age,
        at=mid,
        home=home,
        ethnicity=np.where(rng.random(n_dyads) < 0.85, eth, ""),
        source="incident",
    )
    itype = np.empty(len(rows), dtype=object)
    itype[:] = R.draw(rng, DYAD_MIX, len(rows))
    occurred = _hours(rng, days, np.full(len(rows), "domestic_abuse", dtype=object))
    f = _frame(ctx, itype, occurred, home[rows], "dyad", si[rows], vi[rows], "domestic_abuse")
    dy = pd.DataFrame({"suspect": si, "victim": vi, "n_incidents": k, "escalating": "no", "chain_id": ""})
    chains = pd.DataFrame(
        [
            {
                "suspect": c["suspect"],
                "victim": c["victim"],
                "n_incidents": len(c["iks"]),
                "escalating": "yes",
                "chain_id": c["chain_id"],
            }
            for c in chain_truth
        ],
        columns=dy.columns,
    )
    return f, pd.concat([chains, dy], ignore_index=True)


def _general(ctx: Context, n: int) -> pd.DataFrame:
    rng = ctx.rng("incidents.general")
    mix = {t: w for t, w in R.INCIDENT_MIX.items() if t != "domestic_abuse"}
    types, p = R.normalised(mix)
    counts = rng.multinomial(max(0, n), p)
    frames = []
    for t, c in zip(types, counts, strict=True):
        if not c:
            continue
        season, dow, _ = TIMING.get(t, ((0.0, 1), "flat", "daytime"))
        days = sample_days(
            rng, ctx.period.start_day, ctx.period.end_day + np.timedelta64(1, "D"), int(c), season, R.DOW[dow]
        )
        itype = np.full(int(c), t, dtype=object)
        frames.append(_frame(ctx, itype, _hours(rng, days, itype), np.full(int(c), -1), "general", -1, -1))
    return pd.concat(frames, ignore_index=True)


def _fill_people(ctx: Context, inc: pd.DataFrame) -> pd.DataFrame:
    """Suspects, victims, reporting persons and witnesses for every incident."""
    rng = ctx.rng("incidents.people")
    geo, people = ctx.geo, ctx.people
    n = len(inc)
    itype = inc["incident_type"].to_numpy()
    probs = np.array([ROLE_P.get(t, (0.3, 0.5, 0.2, 0.0)) for t in itype])
    preset = inc["origin"].isin(("chain", "dyad")).to_numpy()
    pre_s, pre_v = inc["pre_s"].to_numpy(), inc["pre_v"].to_numpy()
    need_s = (pre_s < 0) & ~preset & (rng.random(n) < probs[:, 0])
    need_v = (pre_v < 0) & ~preset & (rng.random(n) < probs[:, 1])
    need_r = rng.random(n) < np.where(preset, 0.2, probs[:, 2])
    n_w = np.where(preset, 0, np.minimum(rng.poisson(probs[:, 3]), 2))
    mid = ctx.period.start_day + np.timedelta64(ctx.period.n_days // 2, "D")

    # Offender pool: heavy-tailed reuse; victim pool: mild reuse.
    n_os = int(need_s.sum())
    size_o = max(1, int(0.4 * n_os))
    o_sex = np.where(rng.random(size_o) < 0.8, "male", "female")
    o_age = R.draw_ages(rng, R.OFFENDER_AGE_BANDS, size_o)
    o_idx = people.add(
        sex=o_sex, age=o_age, at=mid, home=geo.pick(rng, "residential", size_o), source="incident"
    )
    o_w = np.minimum(rng.pareto(1.3, size_o) + 1.0, 60.0)
    n_vs = int(need_v.sum())
    size_v = max(1, int(0.8 * n_vs))
    v_age = R.draw_ages(
        rng, (((12, 16), 4), ((16, 25), 24), ((25, 40), 32), ((40, 60), 26), ((60, 90), 14)), size_v
    )
    v_idx = people.add(
        sex=np.where(rng.random(size_v) < 0.52, "female", "male"),
        age=v_age,
        at=mid,
        home=geo.pick(rng, "population", size_v),
        source="incident",
    )
    v_w = rng.pareto(3.0, size_v) + 1.0

    s_p = np.full(n, -1)
    s_p[need_s] = o_idx[rng.choice(size_o, size=n_os, p=o_w / o_w.sum())]
    v_p = np.full(n, -1)
    from_o = rng.random(n_vs) < 0.12
    vv = v_idx[rng.choice(size_v, size=n_vs, p=v_w / v_w.sum())]
    vv[from_o] = o_idx[rng.choice(size_o, size=int(from_o.sum()), p=o_w / o_w.sum())]
    v_p[need_v] = vv
    s_p = np.where(pre_s >= 0, pre_s, s_p)
    v_p = np.where(pre_v >= 0, pre_v, v_p)

    # Places: at the victim's home for home types, else by the type's weight.
    lsoa = inc["lsoa"].to_numpy().copy()
    home_of_v = np.where(v_p >= 0, people.column("home", np.maximum(v_p, 0)).astype(int), -1)
    at_home = (lsoa < 0) & np.isin(itype, HOME_TYPES) & (home_of_v >= 0)
    lsoa[at_home] = home_of_v[at_home]
    for t in sorted(set(itype[lsoa < 0])):
        m = (lsoa < 0) & (itype == t)
        lsoa[m] = geo.pick(rng, PLACE_WEIGHT.get(t, "crime"), int(m.sum()))
    inc["lsoa"] = lsoa

    n_r = int(need_r.sum())
    r_idx = people.add(
        sex=np.where(rng.random(n_r) < 0.55, "female", "male"),
        age=rng.integers(18, 81, size=n_r),
        at=mid,
        home=geo.near(rng, lsoa[need_r], 10),
        source="incident",
    )
    w_rows = np.repeat(np.arange(n), n_w)
    w_idx = people.add(
        sex=np.where(rng.random(len(w_rows)) < 0.5, "female", "male"),
        age=rng.integers(16, 76, size=len(w_rows)),
        at=mid,
        home=geo.near(rng, lsoa[w_rows], 15),
        source="incident",
    )
    ik = inc["ik"].to_numpy()
    links = pd.concat(
        [
            pd.DataFrame({"ik": ik[s_p >= 0], "pidx": s_p[s_p >= 0], "role": "suspect"}),
            pd.DataFrame({"ik": ik[v_p >= 0], "pidx": v_p[v_p >= 0], "role": "victim"}),
            pd.DataFrame({"ik": ik[need_r], "pidx": r_idx, "role": "reporting_person"}),
            pd.DataFrame({"ik": ik[w_rows], "pidx": w_idx, "role": "witness"}),
        ],
        ignore_index=True,
    )
    inc["suspect"] = s_p
    inc["victim"] = v_p
    # One role per person per incident (an offender drawn as his own victim keeps the first).
    links = links.drop_duplicates(["ik", "pidx"]).reset_index(drop=True)
    return links


def _finish(ctx: Context, inc: pd.DataFrame) -> pd.DataFrame:
    """Times reported, coordinates, location text, severity, outcome, flags and narrative."""
    rng = ctx.rng("incidents.finish")
    geo, people = ctx.geo, ctx.people
    n = len(inc)
    itype = inc["incident_type"].to_numpy()
    occ = inc["occurred_at"].to_numpy().astype("datetime64[s]")
    occ = np.minimum(occ, ctx.period.end_ts - HOUR)
    delay = (2 + rng.random(n) * 88) * 60
    slow = np.isin(itype, ("burglary", "vehicle_crime", "bicycle_theft", "other_theft"))
    delay[slow] = (0.5 + rng.random(int(slow.sum())) * 14) * 3600
    stalk = np.isin(itype, ("stalking_harassment",))
    delay[stalk] = (1 + rng.random(int(stalk.sum())) * 160) * 3600
    sex_late = (itype == "sexual_offence") & (rng.random(n) < 0.3)
    delay[sex_late] = (1 + rng.random(int(sex_late.sum())) * 59) * 86400
    rep = np.minimum(occ + (delay // 60).astype(int) * MINUTE, ctx.period.end_ts)
    inc["occurred_at"] = occ
    inc["reported_at"] = np.maximum(rep, occ)
    lsoa = inc["lsoa"].to_numpy()
    inc["latitude"], inc["longitude"] = geo.jitter(rng, lsoa)
    inc["location_text"] = "On or near " + pd.Series(geo.street(rng, lsoa), dtype=object)

    sev = incident_severity()
    codes = dict(zip(sev["incident_type"], sev["ho_offence_code"], strict=True))
    weights = dict(zip(sev["incident_type"], pd.to_numeric(sev["css_weight"], errors="coerce"), strict=True))
    inc["ho_offence_code"] = pd.Series(itype).map(codes).fillna("").to_numpy(dtype=object)
    inc["severity"] = pd.Series(itype).map(weights).to_numpy(dtype=float)

    age_days = ((ctx.period.end_ts - inc["reported_at"].to_numpy().astype("datetime64[s]")) / DAY).astype(
        float
    )
    code = np.full(n, -1)
    for group, mix in OUTCOME_MIX.items():
        m = np.isin(itype, [t for t, g in TYPE_OUTCOME.items() if g == group])
        if m.any():
            keys, p = R.normalised({str(k): v for k, v in mix.items()})
            code[m] = np.array(keys, dtype=int)[rng.choice(len(keys), size=int(m.sum()), p=p)]
    crime = ~np.isin(itype, NON_CRIME)
    pending = crime & (rng.random(n) < np.exp(-age_days / 30.0))
    code[pending] = 0
    young = crime & (inc["suspect"].to_numpy() >= 0)
    s_age = np.full(n, 99)
    if young.any():
        s_age[young] = age_on(
            people.column("dob", inc["suspect"].to_numpy()[young]),
            inc["occurred_at"].to_numpy()[young].astype("datetime64[D]"),
        )
    youth = s_age < 18
    code[youth & (code == 3)] = 2
    inc["outcome_code"] = code
    inc["outcome"] = [
        OUTCOME_LABELS.get(int(c), "") if c >= 0 else "Non-crime incident, closed" for c in code
    ]

    v_sex = np.where(
        inc["victim"].to_numpy() >= 0, people.column("sex", np.maximum(inc["victim"].to_numpy(), 0)), ""
    )
    hour = (occ - occ.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
    night = (hour >= 20) | (hour < 4)
    u = rng.random((n, 6))
    flags = {
        "domestic_abuse": (inc["flags_extra"].to_numpy() == "domestic_abuse") | (itype == "domestic_abuse"),
        "alcohol": np.isin(itype, ("common_assault", "assault_with_injury", "public_order", "wounding_gbh"))
        & night
        & (u[:, 0] < 0.4),
        "drugs": (itype == "drugs") | ((itype == "robbery") & (u[:, 1] < 0.1)),
        "mental_health": np.isin(itype, ("concern_for_welfare",)) & (u[:, 2] < 0.5)
        | (itype == "missing_person") & (u[:, 2] < 0.2),
        "knife": (itype == "weapon_possession") & (u[:, 3] < 0.75)
        | (itype == "wounding_gbh") & (u[:, 3] < 0.4)
        | (itype == "robbery") & (u[:, 3] < 0.2)
        | (itype == "threats_to_kill") & (u[:, 3] < 0.1),
        "firearm": (itype == "possession_of_weapons") & (u[:, 4] < 0.1),
        "gang": np.isin(itype, ("wounding_gbh", "robbery")) & (u[:, 5] < 0.03),
        "county_lines": (itype == "drugs") & (u[:, 5] < 0.04),
    }
    flags["vawg"] = (v_sex == "female") & (
        flags["domestic_abuse"] | np.isin(itype, ("sexual_offence", "stalking_harassment"))
    )
    flags["youth"] = youth
    flags["exploitation"] = flags["county_lines"] & (u[:, 0] < 0.5) | (itype == "missing_person") & youth
    inc["flags"] = join_flags(flags, n)

    text = np.empty(n, dtype=object)
    for t in sorted(set(itype)):
        m = itype == t
        opts = np.array(NARRATIVES.get(t, ("Incident recorded",)), dtype=object)
        text[m] = opts[rng.integers(0, len(opts), size=int(m.sum()))]
    street = pd.Series(geo.street(rng, lsoa), dtype=object).to_numpy()
    with_street = rng.random(n) < 0.4
    text = np.where(with_street, text + " on " + street + ".", text + ".")
    inc["narrative"] = text
    return inc


def join_flags(flags: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Semicolon-separated flag lists from a dict of boolean arrays (in vocab order)."""
    from threadline import vocab

    out = np.full(n, "", dtype=object)
    for name in vocab.FLAGS:
        m = flags.get(name)
        if m is None:
            continue
        out = np.where(m, out + name + ";", out)
    return np.array([s[:-1] if s else "" for s in out], dtype=object)


def generate(ctx: Context, cases: pd.DataFrame, case_links: pd.DataFrame) -> IncidentResult:
    """All incidents and incident-person links for the run."""
    budget = int(round(R.INCIDENTS_PER_YEAR_FULL * ctx.period.years * ctx.population / R.FULL_POPULATION))
    chain_inc, chain_truth = _chains(ctx, cases, case_links)
    chain_people = {c["suspect"] for c in chain_truth} | {c["victim"] for c in chain_truth}
    excluded = set(chain_people)
    shared = ctx.notes.get("shared_person")
    if shared is not None:
        series_a = cases.loc[cases["origin"] == "series:shared_person_1", "victim"]
        excluded |= {int(x) for x in series_a}
    hist = _histories(ctx, cases, case_links, excluded)
    da_budget = int(round(budget * R.INCIDENT_MIX["domestic_abuse"] / sum(R.INCIDENT_MIX.values())))
    dyad_inc, dyads = _dyads(ctx, max(10, da_budget - len(chain_inc)), chain_truth)
    n_general = max(0, budget - len(hist) - len(chain_inc) - len(dyad_inc))
    gen = _general(ctx, n_general)
    inc = pd.concat([hist, chain_inc, dyad_inc, gen], ignore_index=True)
    if "chain" not in inc:
        inc["chain"] = np.nan
    links = _fill_people(ctx, inc)
    inc = _finish(ctx, inc)
    return IncidentResult(inc, links, chain_truth, dyads)


__all__ = ["generate", "join_flags", "IncidentResult", "OUTCOME_LABELS"]
