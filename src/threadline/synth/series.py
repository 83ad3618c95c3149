"""Planted series, their decoys, and the chain-ending cases of domestic-abuse escalation.

Each planted series is a small set of cases that belong together by construction, hidden among the
background and among *decoys*: cases that share one defining attribute with the series (the
substance, the place, the time window, a repeated person, a vehicle, the method, the wording of
the modus operandi) and nothing else. Analysts and tests find the answers in ``truth/``.

(a) ``shared_person``: 5-7 deaths of young men (20-35) recorded as drug-related or unexplained
    and closed as non-crime, within about 1.5 km over 12-24 months, substance GHB, with one man
    on every case as reporting person or associate; the victims are otherwise unconnected.
(b) ``drug_batch``: 6-10 drug-related deaths within about 3 km and 10 days, one adulterated
    substance, a batch stamp recorded on about half; non-fatal overdoses in ambulance records.
(c) ``professional``: a night-shift ward nurse present at about three times the deaths expected
    for a nurse on that shift at that hospital, mostly between 00:00 and 06:00.
(d) ``stranger``: 4-6 strangulation attacks on women aged 18-30 in public open space late in the
    evening within about 2 km, one fatal, a partial vehicle registration on some.
(e) ``robbery_elderly``: 4-6 robberies of people aged 75 and over in their homes within a few
    months and one area, by a man posing as from the water board.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from threadline.synth import rates as R
from threadline.synth.background import make_cases, status_for
from threadline.synth.context import HOUR, MINUTE, Context

EMPTY_LINKS = pd.DataFrame(
    {"ck": pd.Series(dtype=int), "pidx": pd.Series(dtype=int), "role": pd.Series(dtype=object)}
)


@dataclass
class Plant:
    """What planting adds: cases, preset case-person links, entities and truth rows."""

    cases: list[pd.DataFrame] = field(default_factory=list)
    links: list[pd.DataFrame] = field(default_factory=list)
    entities: list[tuple[int, str, str]] = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)

    def add(self, df: pd.DataFrame, series_id: str, kind: str, role: str, shares: str = "") -> pd.DataFrame:
        self.cases.append(df)
        for ck in df["ck"]:
            self.truth.append(
                {"series_id": series_id, "kind": kind, "ck": int(ck), "role_in_truth": role, "shares": shares}
            )
        return df

    def link(self, ck, pidx, role: str) -> None:
        self.links.append(
            pd.DataFrame(
                {"ck": np.atleast_1d(ck).astype(int), "pidx": np.atleast_1d(pidx).astype(int), "role": role}
            )
        )


def _cases(
    ctx: Context,
    rng: np.random.Generator,
    category: str,
    events: np.ndarray,
    lsoas: np.ndarray,
    *,
    origin: str,
    force: dict | None = None,
    ages: np.ndarray | None = None,
    jitter=(80.0, 220.0),
) -> pd.DataFrame:
    """Cases at explicit times and places; other attributes drawn as for the background."""
    events = np.asarray(events, dtype="datetime64[s]")
    lsoas = np.asarray(lsoas, dtype=int)
    df = make_cases(ctx, rng, category, events.astype("datetime64[D]"), force=force, origin=origin)
    n = len(df)
    if ages is not None:
        df["victim_age"] = np.asarray(ages, dtype=int)
    mins = lambda lo, hi: (lo + rng.random(n) * (hi - lo)).astype(int) * MINUTE  # noqa: E731
    if category in ("homicide", "attempted_homicide", "fatal_collision"):
        occ_from = events
        occ_to = events + mins(0, 10)
        reported = occ_to + mins(3, 40)
    else:
        reported = events
        occ_to = events - mins(0, 60)
        occ_from = occ_to - mins(120, 9 * 60)
    over = reported - ctx.period.end_ts
    shift = np.where(over > np.timedelta64(0, "s"), over, np.timedelta64(0, "s"))
    df["occurred_from"], df["occurred_to"], df["reported_at"] = (
        occ_from - shift,
        occ_to - shift,
        reported - shift,
    )
    df["lsoa"] = lsoas
    lat, lon = ctx.geo.jitter(rng, lsoas, *jitter)
    df["latitude"], df["longitude"] = lat, lon
    df["facility"] = ""
    dwelling = df["location_type"].to_numpy() == "dwelling_victim"
    df["home"] = np.where(dwelling, lsoas, ctx.geo.near(rng, lsoas, 6))
    if force is None or "status" not in force:
        df["status"] = status_for(
            rng,
            df["category"].to_numpy(),
            df["suspect_relationship"].to_numpy(),
            df["reported_at"].to_numpy(),
            ctx.period.end_ts,
        )
    return df


def _spread_days(rng: np.random.Generator, first: np.datetime64, span_days: int, n: int) -> np.ndarray:
    """``n`` sorted days spread over ``span_days`` from ``first`` (one in each equal slice)."""
    edges = np.linspace(0, span_days, n + 1)
    offs = np.floor(edges[:-1] + rng.random(n) * (edges[1:] - edges[:-1]) * 0.8).astype(int)
    return np.asarray(first, dtype="datetime64[D]") + offs.astype("timedelta64[D]")


def _at(days: np.ndarray, hours: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype="datetime64[D]").astype("datetime64[s]")
        + np.asarray(hours) * HOUR
        + np.asarray(minutes) * MINUTE
    )


def _window(
    ctx: Context,
    rng: np.random.Generator,
    span: int,
    lead: int = 60,
    tail: int = 14,
    latest_years: float | None = None,
) -> np.datetime64:
    """A first day such that ``[first, first + span]`` lies inside the period with margins."""
    start = ctx.period.start_day + np.timedelta64(lead, "D")
    last = ctx.period.end_day - np.timedelta64(span + tail, "D")
    if latest_years is not None:
        start = max(start, ctx.period.end_day - np.timedelta64(int(latest_years * 365), "D"))
    if last <= start:
        return start
    return start + np.timedelta64(int(rng.integers(0, int((last - start).astype(int)) + 1)), "D")


def _days_away(
    ctx: Context, rng: np.random.Generator, first: np.datetime64, span: int, gap: int, n: int
) -> np.ndarray:
    """``n`` days inside the period at least ``gap`` days before ``first`` or after ``first + span``."""
    days = np.arange(
        ctx.period.start_day + np.timedelta64(10, "D"),
        ctx.period.end_day - np.timedelta64(10, "D"),
        dtype="datetime64[D]",
    )
    first = np.asarray(first, dtype="datetime64[D]")
    ok = (days < first - np.timedelta64(gap, "D")) | (days > first + np.timedelta64(span + gap, "D"))
    pool = days[ok] if ok.any() else days
    return np.sort(rng.choice(pool, size=n, replace=len(pool) < n))


def _far(geo, centre: int, km: float, weight: str, rng: np.random.Generator, n: int) -> np.ndarray:
    w = np.where(geo.distances[centre] > km, geo.weights[weight], 0.0)
    return rng.choice(geo.n, size=n, p=w / w.sum())


def _pick_centre(geo, rng: np.random.Generator, la_codes: tuple[str, ...], weight: str, top: int = 40) -> int:
    la_idx = [geo.la_codes.index(c) for c in la_codes]
    la_i = la_idx[int(rng.integers(0, len(la_idx)))]
    cands = np.flatnonzero(geo.la == la_i)
    cands = cands[np.argsort(-geo.weights[weight][cands], kind="stable")][:top]
    return int(cands[int(rng.integers(0, len(cands)))])


def _summary(
    series_id: str, kind: str, description: str, geo, centre: int, radius: float, df: pd.DataFrame, **extra
) -> dict:
    out = {
        "series_id": series_id,
        "kind": kind,
        "description": description,
        "centre_latitude": round(float(geo.lat[centre]), 6),
        "centre_longitude": round(float(geo.lon[centre]), 6),
        "radius_km": radius,
        "la_code": geo.la_codes[geo.la[centre]],
        "first_reported": str(df["reported_at"].min())[:10],
        "last_reported": str(df["reported_at"].max())[:10],
        "n_members": len(df),
        "key_person": "",
        "substance": "",
        "entity_values": "",
    }
    out.update(extra)
    return out


def _who(sex: str, age: int) -> str:
    return f"{'Male' if sex == 'male' else 'Female'} aged {age}"


# ---------------------------------------------------------------------------------------------
# (a) shared person
# ---------------------------------------------------------------------------------------------

GHB_WORDING = ("GHB", "GHB", "GHB/GBL", "suspected GHB", "GHB (G)")
SHARED_FINDS = (
    "{who} found unresponsive at {place} on the morning after a night out; {rel} who was with him called "
    "999; said they had been drinking and taking G; pronounced dead at scene",
    "{who} found dead in bed at {place} by {rel}; had been at a party the night before; small bottle of "
    "clear liquid recovered; suspected GHB",
    "{who} collapsed at {place} in the early hours; {rel} says he 'just went to sleep'; ambulance called at "
    "07:00; no signs of injury; toxicology requested",
    "{who} found not breathing at {place}; {rel} reported he had taken G earlier; CPR attempted; no "
    "third-party involvement identified",
    "{who} discovered unresponsive on the sofa at {place} by {rel}; met at a bar the previous evening; "
    "sudden death file, awaiting toxicology",
)
SHARED_REL = (
    "a man he had met that evening",
    "a friend",
    "an acquaintance",
    "the occupier of the flat",
    "a man he had been out with",
)


def plant_shared_person(ctx: Context, plant: Plant) -> None:
    geo, people = ctx.geo, ctx.people
    rng = ctx.rng("series.shared_person")
    sid, kind = "shared_person_1", "shared_person"
    centre = _pick_centre(geo, rng, ("E08000035",), "violence", top=60)
    radius = 1.5
    local = geo.within(centre, radius - 0.35)
    n = int(rng.integers(5, 8))
    span = int(rng.integers(365, 731))
    first = _window(ctx, rng, span, lead=120)
    days = _spread_days(rng, first, span, n)
    events = _at(days, rng.integers(7, 11, size=n), rng.integers(0, 60, size=n))
    lsoas = rng.choice(local, size=n)
    cats = np.where(rng.random(n) < 0.6, "drug_related_death", "unexplained_death")
    cats[0] = "drug_related_death"
    locs = R.draw(rng, {"dwelling_other": 50, "dwelling_victim": 35, "public_open_space": 15}, n)
    man = people.add(
        sex=["male"], age=[int(rng.integers(33, 43))], at=days[0], home=[centre], source="planted"
    )[0]
    roles = np.where(rng.random(n) < 0.7, "reporting_person", "associate").astype(object)
    roles[0] = "reporting_person"
    frames = []
    for i in range(n):
        status = "closed_non_crime" if rng.random() < 0.7 else "no_further_action"
        method = "poison_or_drugs" if cats[i] == "drug_related_death" else "unknown"
        auto = "witness" if roles[i] == "reporting_person" else "witness;reporting"
        df = _cases(
            ctx,
            rng,
            str(cats[i]),
            events[i : i + 1],
            lsoas[i : i + 1],
            origin=f"series:{sid}",
            ages=[int(rng.integers(20, 36))],
            force={
                "victim_sex": "male",
                "location_type": locs[i],
                "method": method,
                "circumstance": "not_applicable",
                "suspect_relationship": "not_applicable",
                "substance": GHB_WORDING[int(rng.integers(0, len(GHB_WORDING)))],
                "status": status,
            },
        )
        df["auto_roles"] = auto
        place = {
            "dwelling_other": "a flat on {street}",
            "dwelling_victim": "his flat",
            "public_open_space": "a park off {street}",
        }[locs[i]]
        street = geo.street(rng, lsoas[i : i + 1])[0]
        text = SHARED_FINDS[int(rng.integers(0, len(SHARED_FINDS)))].format(
            who=_who("male", int(df["victim_age"].iloc[0])),
            place=place.format(street=street),
            rel=SHARED_REL[int(rng.integers(0, len(SHARED_REL)))],
        )
        df["narrative"] = text + "."
        frames.append(df)
        plant.link(df["ck"].iloc[0], man, str(roles[i]))
    members = pd.concat(frames, ignore_index=True)
    plant.add(members, sid, kind, "member")
    ctx.notes["shared_person"] = int(man)
    plant.summary.append(
        _summary(
            sid,
            kind,
            "Deaths of young men after GHB use near one man's home; the same man "
            "reports or is present at each",
            geo,
            centre,
            radius,
            members,
            key_person=int(man),
            substance="GHB",
        )
    )

    # Decoys: GHB elsewhere (substance); other deaths in the locality and window (place and time);
    # a hostel worker who reports several deaths elsewhere (a repeated person).
    k = 3
    far = _far(geo, centre, 8.0, "residential", rng, k)
    d_days = _spread_days(rng, ctx.period.start_day + np.timedelta64(30, "D"), ctx.period.n_days - 60, k)
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(d_days, rng.integers(7, 12, size=k), rng.integers(0, 60, size=k)),
        far,
        origin=f"decoy:{sid}",
        ages=np.array([41, 48, 23]),
        force={"substance": "GHB", "location_type": "dwelling_victim"},
    )
    d["victim_sex"] = np.array(["female", "male", "male"], dtype=object)
    plant.add(d, sid, kind, "decoy", "substance")
    in_days = first + rng.integers(0, span, size=k).astype("timedelta64[D]")
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(in_days, rng.integers(7, 12, size=k), rng.integers(0, 60, size=k)),
        rng.choice(local, size=k),
        origin=f"decoy:{sid}",
        ages=rng.integers(40, 56, size=k),
        force={"location_type": "dwelling_victim"},
    )
    d["substance"] = np.array(["heroin", "cocaine", "methadone"], dtype=object)
    plant.add(d, sid, kind, "decoy", "place_and_time")
    hostel = int(_far(geo, centre, 10.0, "violence", rng, 1)[0])
    worker = people.add(
        sex=["female"],
        age=[46],
        at=ctx.period.start_day,
        home=[geo.near(rng, [hostel], 5)[0]],
        source="planted",
    )[0]
    h_days = _spread_days(rng, ctx.period.start_day + np.timedelta64(60, "D"), ctx.period.n_days - 90, k)
    d = _cases(
        ctx,
        rng,
        "unexplained_death",
        _at(h_days, rng.integers(7, 11, size=k), rng.integers(0, 60, size=k)),
        np.full(k, hostel),
        origin=f"decoy:{sid}",
        ages=rng.integers(50, 71, size=k),
        force={"victim_sex": "male", "location_type": "other", "status": "closed_non_crime"},
    )
    d["substance"] = ["", "alcohol", ""]
    d["auto_roles"] = "witness;pool"
    street = geo.street(rng, [hostel])[0]
    hostel_addr = f"Hostel, {int(rng.integers(2, 60))} {street}"
    d["narrative"] = [
        f"{_who('male', int(a))} found deceased in his room at a hostel on {street} by the support "
        f"worker during morning checks; history of alcohol misuse; no suspicious circumstances."
        for a in d["victim_age"]
    ]
    plant.add(d, sid, kind, "decoy", "repeated_person")
    plant.link(d["ck"].to_numpy(), np.full(k, worker), "reporting_person")
    for ck in d["ck"]:
        plant.entities.append((int(ck), "address", hostel_addr))


# ---------------------------------------------------------------------------------------------
# (b) drug batch
# ---------------------------------------------------------------------------------------------

BATCH_SUBSTANCE = (
    "heroin (fentanyl-adulterated)",
    "heroin - suspected fentanyl contamination",
    "fentanyl-contaminated heroin",
    "heroin/fentanyl",
    "heroin (fentanyl-adulterated)",
)
BATCH_STAMP = ("Stamp: red scorpion", "red scorpion stamp", "Stamp: RED SCORPION", "scorpion stamp (red)")
BATCH_FINDS = (
    "{who} found collapsed in the bathroom of {place} by {finder}; needle and foil nearby; naloxone given by "
    "paramedics without response; suspected heroin, possibly adulterated",
    "{who} found dead at {place} by {finder} within an hour of buying heroin; rapid collapse described; "
    "{stamp_note}",
    "{who} found unresponsive at {place}; known heroin user; friend reports 'new gear' that was stronger "
    "than usual; naloxone x2 no effect",
    "{who} found deceased at {place} by {finder}; wraps recovered; {stamp_note}; toxicology requested for "
    "synthetic opioids",
)


def plant_drug_batch(ctx: Context, plant: Plant) -> None:
    geo = ctx.geo
    rng = ctx.rng("series.drug_batch")
    sid, kind = "drug_batch_1", "drug_batch"
    centre = _pick_centre(geo, rng, ("E08000032", "E08000034", "E08000036"), "drugs", top=25)
    radius = 3.0
    local = geo.within(centre, radius - 0.5)
    n = int(rng.integers(6, 11))
    first = _window(ctx, rng, 10, lead=90, tail=30)
    days = first + np.sort(rng.integers(0, 10, size=n)).astype("timedelta64[D]")
    events = _at(
        days,
        R.draw(rng, {h: w for h, w in zip(range(24), R.HOURS["found"], strict=True)}, n).astype(int),
        rng.integers(0, 60, size=n),
    )
    lsoas = rng.choice(local, size=n)
    sexes = np.where(rng.random(n) < 0.75, "male", "female").astype(object)
    locs = R.draw(rng, {"dwelling_victim": 65, "dwelling_other": 25, "public_open_space": 10}, n)
    stamped = rng.random(n) < 0.5
    stamped[:2] = True
    frames = []
    for i in range(n):
        df = _cases(
            ctx,
            rng,
            "drug_related_death",
            events[i : i + 1],
            lsoas[i : i + 1],
            origin=f"series:{sid}",
            ages=[int(rng.integers(28, 56))],
            force={
                "victim_sex": sexes[i],
                "location_type": locs[i],
                "substance": BATCH_SUBSTANCE[int(rng.integers(0, len(BATCH_SUBSTANCE)))],
            },
        )
        street = geo.street(rng, lsoas[i : i + 1])[0]
        place = {
            "dwelling_victim": "home address",
            "dwelling_other": f"an address on {street}",
            "public_open_space": f"waste ground off {street}",
        }[locs[i]]
        stamp = BATCH_STAMP[int(rng.integers(0, len(BATCH_STAMP)))] if stamped[i] else ""
        text = BATCH_FINDS[int(rng.integers(0, len(BATCH_FINDS)))].format(
            who=_who(sexes[i], int(df["victim_age"].iloc[0])),
            place=place,
            finder=("partner", "a friend", "a neighbour", "the hostel manager")[int(rng.integers(0, 4))],
            stamp_note="bags marked with a red scorpion found" if stamp else "no packaging found",
        )
        df["narrative"] = text + "."
        frames.append(df)
        if stamp:
            plant.entities.append((int(df["ck"].iloc[0]), "drug_batch", stamp))
    members = pd.concat(frames, ignore_index=True)
    plant.add(members, sid, kind, "member")
    ctx.notes["drug_batch"] = {"first": first, "lsoas": local, "n_members": n}
    plant.summary.append(
        _summary(
            sid,
            kind,
            "Cluster of drug deaths from one adulterated heroin batch",
            geo,
            centre,
            radius,
            members,
            substance="fentanyl-adulterated heroin",
            entity_values="red scorpion stamp",
        )
    )

    # Decoys: same area at other times (place); same days far away (time); fentanyl elsewhere
    # (substance); a different stamp (entity).
    k = 3
    far_days = _days_away(ctx, rng, first, 10, 60, k)
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(far_days, rng.integers(7, 12, size=k), rng.integers(0, 60, size=k)),
        rng.choice(local, size=k),
        origin=f"decoy:{sid}",
        ages=rng.integers(30, 55, size=k),
        force={"substance": "heroin"},
    )
    plant.add(d, sid, kind, "decoy", "place")
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(
            first + rng.integers(0, 10, size=k).astype("timedelta64[D]"),
            rng.integers(7, 12, size=k),
            rng.integers(0, 60, size=k),
        ),
        _far(geo, centre, 15.0, "drugs", rng, k),
        origin=f"decoy:{sid}",
        ages=rng.integers(30, 55, size=k),
    )
    d["substance"] = np.array(["cocaine", "methadone", "crack cocaine"], dtype=object)
    plant.add(d, sid, kind, "decoy", "time")
    k2 = 2
    f_days = _spread_days(rng, ctx.period.start_day + np.timedelta64(20, "D"), ctx.period.n_days - 40, k2)
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(f_days, rng.integers(8, 12, size=k2), rng.integers(0, 60, size=k2)),
        _far(geo, centre, 10.0, "population", rng, k2),
        origin=f"decoy:{sid}",
        ages=rng.integers(60, 80, size=k2),
        force={"substance": "fentanyl patches (prescribed)", "location_type": "dwelling_victim"},
    )
    plant.add(d, sid, kind, "decoy", "substance")
    s_day = _spread_days(rng, ctx.period.start_day + np.timedelta64(20, "D"), ctx.period.n_days - 40, 1)
    d = _cases(
        ctx,
        rng,
        "drug_related_death",
        _at(s_day, [9], [15]),
        _far(geo, centre, 10.0, "drugs", rng, 1),
        origin=f"decoy:{sid}",
        ages=[37],
        force={"substance": "heroin"},
    )
    plant.add(d, sid, kind, "decoy", "entity")
    plant.entities.append((int(d["ck"].iloc[0]), "drug_batch", "Stamp: red dragon"))


# ---------------------------------------------------------------------------------------------
# (c) professional
# ---------------------------------------------------------------------------------------------


def plant_professional(ctx: Context, plant: Plant, cases: pd.DataFrame, prof: pd.DataFrame) -> None:
    """Extra night deaths at one hospital with one night nurse present (about 3x expected)."""
    geo = ctx.geo
    rng = ctx.rng("series.professional")
    sid, kind = "professional_1", "professional"
    hospitals = [f for f in ctx.facilities if f.kind == "hospital"]
    sizes = np.array([f.size for f in hospitals])
    fac = hospitals[int(rng.choice(len(hospitals), p=sizes / sizes.sum()))]
    night = prof[(prof["facility"] == fac.name) & (prof["shift"] == "night")]
    nurse = int(night["pidx"].iloc[int(rng.integers(0, len(night)))])
    at_fac = cases[cases["facility"] == fac.name]
    hours = (
        (at_fac["reported_at"].to_numpy() - at_fac["reported_at"].to_numpy().astype("datetime64[D]"))
        .astype("timedelta64[h]")
        .astype(int)
    )
    night_bg = int(((hours >= 19) | (hours < 7)).sum())
    expected = night_bg / max(1, len(night))
    n_extra = max(4, int(round(2.5 * expected)))
    days = _spread_days(rng, ctx.period.start_day + np.timedelta64(30, "D"), ctx.period.n_days - 45, n_extra)
    events = _at(days, rng.integers(0, 6, size=n_extra), rng.integers(0, 60, size=n_extra))
    df = _cases(
        ctx,
        rng,
        "unexplained_death",
        events,
        np.full(n_extra, fac.lsoa),
        origin=f"series:{sid}",
        ages=rng.integers(68, 96, size=n_extra),
        force={"location_type": "hospital"},
    )
    df["facility"] = fac.name
    df["home"] = ctx.geo.near(rng, np.full(n_extra, fac.lsoa), 30)
    df["prof_forced"] = nurse
    df["occurred_from"] = df["reported_at"] - (rng.integers(20, 120, size=n_extra) * MINUTE)
    df["occurred_to"] = df["reported_at"] - (rng.integers(0, 15, size=n_extra) * MINUTE)
    plant.cases.append(df)
    ctx.notes["professional"] = {
        "series_id": sid,
        "pidx": nurse,
        "facility": fac.name,
        "lsoa": fac.lsoa,
        "expected_background": expected,
        "planted_extra": n_extra,
        "night_staff": len(night),
        "night_deaths_background": night_bg,
    }
    plant.summary.append(
        _summary(
            sid,
            kind,
            f"A night-shift ward nurse at {fac.name} present at about three times "
            "the deaths expected for a nurse on that shift, mostly 00:00-06:00",
            geo,
            fac.lsoa,
            0.5,
            df,
            key_person=nurse,
        )
    )


# ---------------------------------------------------------------------------------------------
# (d) stranger attacks
# ---------------------------------------------------------------------------------------------

PLATES = ("YK6? ?X?", "YK63", "yk-63", "grey Corsa YK6", "YK63 ?X?", "partial: YK6", "YK6 something X")
STRANGER_TEXT = (
    "{who} attacked from behind while walking through {park} at about {time}; grabbed around the neck until "
    "she lost consciousness; offender fled when a dog walker approached; described as a white male, 30s, "
    "dark hooded top",
    "{who} approached by a man on the path through {park} at {time}; pulled to the ground and strangled; "
    "victim fought back and escaped; suspect ran towards a parked grey car",
    "{who} walking home alone through {park} at {time} when a male stranger put an arm around her neck; "
    "she was choked and lost consciousness; woke alone; suspect not known to her",
    "{who} grabbed from behind and strangled on a footpath in {park} at {time}; passer-by disturbed "
    "attacker; grey hatchback seen leaving at speed",
)


def plant_stranger(ctx: Context, plant: Plant) -> None:
    geo = ctx.geo
    rng = ctx.rng("series.stranger")
    sid, kind = "stranger_1", "stranger"
    centre = _pick_centre(geo, rng, ("E08000035", "E08000032", "E08000034"), "violence", top=80)
    radius = 1.0  # every member within 1 km of the centre, so within 2 km of one another
    local = geo.within(centre, radius - 0.3)
    n = int(rng.integers(4, 7))
    span = int(rng.integers(180, 420))
    first = _window(ctx, rng, span, lead=60, tail=14, latest_years=2)
    days = _spread_days(rng, first, span, n)
    hour = rng.choice(np.array([21, 22, 23, 24]), size=n, p=[0.25, 0.3, 0.3, 0.15])
    events = _at(days, hour, rng.integers(0, 60, size=n))
    lsoas = rng.choice(local, size=n)
    fatal = int(rng.integers(1, n))
    plated = rng.random(n) < 0.5
    plated[int(rng.integers(0, n))] = True
    frames = []
    for i in range(n):
        cat = "homicide" if i == fatal else "attempted_homicide"
        df = _cases(
            ctx,
            rng,
            cat,
            events[i : i + 1],
            lsoas[i : i + 1],
            origin=f"series:{sid}",
            ages=[int(rng.integers(18, 31))],
            jitter=(60.0, 180.0),
            force={
                "victim_sex": "female",
                "method": "strangulation",
                "location_type": "public_open_space",
                "suspect_relationship": "stranger",
                "status": "open",
                "circumstance": "sexual" if rng.random() < 0.5 else "unknown",
            },
        )
        df["auto_roles"] = "reporting;witness;pool"
        t = pd.Timestamp(events[i])
        park = f"the park off {geo.street(rng, lsoas[i : i + 1])[0]}"
        text = STRANGER_TEXT[int(rng.integers(0, len(STRANGER_TEXT)))].format(
            who=_who("female", int(df["victim_age"].iloc[0])), park=park, time=f"{t.hour:02d}:{t.minute:02d}"
        )
        if cat == "homicide":
            text = text.replace("lost consciousness", "died at the scene").replace(
                "escaped", "was later found dead"
            )
            text = f"{text}; body found the next morning"
        df["narrative"] = text + "."
        frames.append(df)
        if plated[i]:
            plant.entities.append(
                (int(df["ck"].iloc[0]), "vehicle", PLATES[int(rng.integers(0, len(PLATES)))])
            )
    members = pd.concat(frames, ignore_index=True)
    plant.add(members, sid, kind, "member")
    plant.summary.append(
        _summary(
            sid,
            kind,
            "Strangulation attacks on young women by a stranger in parks late at "
            "night; partial registration YK6?",
            geo,
            centre,
            radius * 2,
            members,
            entity_values="YK6? ?X? (partial, grey Vauxhall Corsa)",
        )
    )

    # Decoys: strangulation by a partner elsewhere (method); men attacked in the same parks
    # (place); the partial plate on unrelated cases (vehicle).
    k = 2
    dd = _spread_days(rng, ctx.period.start_day + np.timedelta64(30, "D"), ctx.period.n_days - 60, k)
    d = _cases(
        ctx,
        rng,
        "attempted_homicide",
        _at(dd, rng.integers(19, 24, size=k), rng.integers(0, 60, size=k)),
        _far(geo, centre, 6.0, "residential", rng, k),
        origin=f"decoy:{sid}",
        ages=rng.integers(20, 35, size=k),
        force={
            "victim_sex": "female",
            "method": "strangulation",
            "location_type": "dwelling_victim",
            "suspect_relationship": "partner_ex_partner",
            "circumstance": "domestic_abuse",
        },
    )
    plant.add(d, sid, kind, "decoy", "method")
    dd = first + rng.integers(0, span, size=k).astype("timedelta64[D]")
    d = _cases(
        ctx,
        rng,
        "attempted_homicide",
        _at(dd, rng.integers(21, 24, size=k), rng.integers(0, 60, size=k)),
        rng.choice(local, size=k),
        origin=f"decoy:{sid}",
        ages=rng.integers(18, 30, size=k),
        force={
            "victim_sex": "male",
            "method": "hitting_kicking",
            "location_type": "public_open_space",
            "suspect_relationship": "friend_acquaintance",
            "circumstance": "quarrel_revenge_temper",
        },
    )
    plant.add(d, sid, kind, "decoy", "place")
    dd = _spread_days(rng, ctx.period.start_day + np.timedelta64(30, "D"), ctx.period.n_days - 60, k)
    d1 = _cases(
        ctx,
        rng,
        "fatal_collision",
        _at(dd[:1], [17], [40]),
        _far(geo, centre, 8.0, "roads", rng, 1),
        origin=f"decoy:{sid}",
        ages=[58],
    )
    d2 = _cases(
        ctx,
        rng,
        "attempted_homicide",
        _at(dd[1:], [14], [5]),
        _far(geo, centre, 8.0, "violence", rng, 1),
        origin=f"decoy:{sid}",
        ages=[31],
        force={"victim_sex": "male", "method": "motor_vehicle", "suspect_relationship": "other_known"},
    )
    plant.add(d1, sid, kind, "decoy", "vehicle")
    plant.add(d2, sid, kind, "decoy", "vehicle")
    plant.entities.append((int(d1["ck"].iloc[0]), "vehicle", "YK63 XRC"))
    plant.entities.append((int(d2["ck"].iloc[0]), "vehicle", "grey Vauxhall Corsa"))


# ---------------------------------------------------------------------------------------------
# (e) robbery of elderly people at home
# ---------------------------------------------------------------------------------------------

WATER_MO = (
    "posing as from the water board",
    "claiming to be from Yorkshire Water",
    "saying he needed to check the water pressure",
    "posing as a water board official",
    "claiming there was a water leak and he had to check the taps",
)
ROBBERY_TEXT = (
    "{who} assaulted in {pos} home by a man who gained entry {mo}; cash and jewellery taken; victim found "
    "with head injuries by {finder}",
    "Distraction burglary: offender {mo} entered the home of {who_l}; when challenged he punched {obj} "
    "repeatedly; cash and bank cards stolen",
    "{who} attacked at home after a man called at the door {mo}; struck with an object; house ransacked; "
    "{finder} raised the alarm",
    "Bogus caller {mo} pushed his way into the address of {who_l}; victim knocked to the floor and kicked; "
    "pension money taken",
)


def plant_robbery_elderly(ctx: Context, plant: Plant) -> None:
    geo, people = ctx.geo, ctx.people
    rng = ctx.rng("series.robbery_elderly")
    sid, kind = "robbery_elderly_1", "robbery_elderly"
    centre = _pick_centre(geo, rng, ("E08000036", "E08000033", "E08000034"), "population", top=80)
    radius = 2.5
    local = geo.within(centre, radius - 0.6)
    n = int(rng.integers(4, 7))
    span = int(rng.integers(60, 150))
    first = _window(ctx, rng, span, lead=90)
    days = _spread_days(rng, first, span, n)
    events = _at(days, rng.integers(10, 17, size=n), rng.integers(0, 60, size=n))
    lsoas = rng.choice(local, size=n)
    n_fatal = int(rng.integers(1, 3))
    fatal = set(rng.choice(n, size=n_fatal, replace=False).tolist())
    sexes = np.where(rng.random(n) < 0.6, "female", "male").astype(object)
    frames = []
    for i in range(n):
        cat = "homicide" if i in fatal else "attempted_homicide"
        df = _cases(
            ctx,
            rng,
            cat,
            events[i : i + 1],
            lsoas[i : i + 1],
            origin=f"series:{sid}",
            ages=[int(rng.integers(75, 95))],
            force={
                "victim_sex": sexes[i],
                "location_type": "dwelling_victim",
                "method": "hitting_kicking" if rng.random() < 0.6 else "blunt_instrument",
                "circumstance": "robbery_financial",
                "suspect_relationship": "stranger",
                "status": "open",
            },
        )
        df["reported_at"] = df["reported_at"] + rng.integers(30, 240) * MINUTE
        df["auto_roles"] = "reporting;witness;pool"
        age = int(df["victim_age"].iloc[0])
        pos, obj = ("her", "her") if sexes[i] == "female" else ("his", "him")
        text = ROBBERY_TEXT[int(rng.integers(0, len(ROBBERY_TEXT)))].format(
            who=_who(sexes[i], age),
            who_l=f"{'an' if str(age).startswith('8') else 'a'} {age}-year-old "
            f"{'woman' if sexes[i] == 'female' else 'man'}",
            pos=pos,
            obj=obj,
            mo=WATER_MO[int(rng.integers(0, len(WATER_MO)))],
            finder=("a neighbour", "her daughter" if sexes[i] == "female" else "his son", "a carer")[
                int(rng.integers(0, 3))
            ],
        )
        if cat == "homicide":
            text += "; victim died in hospital"
        df["narrative"] = text + "."
        frames.append(df)
    members = pd.concat(frames, ignore_index=True)
    members = attach_series_victims(ctx, members)
    for i in range(n):
        ck = int(members["ck"].iloc[i])
        pc = people.column("postcode", [members["victim"].iloc[i]])[0]
        plant.entities.append(
            (ck, "address", f"{int(rng.integers(1, 120))} {geo.street(rng, lsoas[i : i + 1])[0]}, {pc}")
        )
        if rng.random() < 0.4:
            plant.entities.append(
                (
                    ck,
                    "vehicle",
                    ("white van", "white Transit van", "small white van, part reg YJ")[
                        int(rng.integers(0, 3))
                    ],
                )
            )
    plant.add(members, sid, kind, "member")
    plant.summary.append(
        _summary(
            sid,
            kind,
            "Robberies of people aged 75+ at home by a man posing as from the water board",
            geo,
            centre,
            radius,
            members,
        )
    )

    # Decoys: robbery-motivated attacks on young men elsewhere (circumstance); elderly deaths at
    # home in the same area and months (place); similar wording elsewhere years apart (wording).
    k = 2
    dd = _spread_days(rng, ctx.period.start_day + np.timedelta64(30, "D"), ctx.period.n_days - 60, k)
    d = _cases(
        ctx,
        rng,
        "attempted_homicide",
        _at(dd, rng.integers(20, 24, size=k), rng.integers(0, 60, size=k)),
        _far(geo, centre, 10.0, "violence", rng, k),
        origin=f"decoy:{sid}",
        ages=rng.integers(18, 30, size=k),
        force={
            "victim_sex": "male",
            "location_type": "street",
            "circumstance": "robbery_financial",
            "suspect_relationship": "stranger",
            "method": "sharp_instrument",
        },
    )
    plant.add(d, sid, kind, "decoy", "circumstance")
    dd = first + rng.integers(0, span, size=k).astype("timedelta64[D]")
    d = _cases(
        ctx,
        rng,
        "unexplained_death",
        _at(dd, rng.integers(8, 12, size=k), rng.integers(0, 60, size=k)),
        rng.choice(local, size=k),
        origin=f"decoy:{sid}",
        ages=rng.integers(78, 92, size=k),
        force={"location_type": "dwelling_victim", "method": "fall", "status": "closed_non_crime"},
    )
    plant.add(d, sid, kind, "decoy", "place")
    far_day = _days_away(ctx, rng, first, span, 300, 1)[0]
    d = _cases(
        ctx,
        rng,
        "suspicious_death",
        _at([far_day], [11], [20]),
        _far(geo, centre, 12.0, "population", rng, 1),
        origin=f"decoy:{sid}",
        ages=[79],
        force={"victim_sex": "female", "location_type": "dwelling_victim"},
    )
    d["narrative"] = (
        "Female aged 79 found deceased at home with a head injury; a man claiming to be from the gas "
        "board had called the week before; PM found a fall consistent with natural causes."
    )
    plant.add(d, sid, kind, "decoy", "wording")


def attach_series_victims(ctx: Context, df: pd.DataFrame) -> pd.DataFrame:
    from threadline.synth.roles import attach_victims

    return attach_victims(ctx, df.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# domestic-abuse chains: the cases that end them
# ---------------------------------------------------------------------------------------------


def chain_endings(ctx: Context, cases: pd.DataFrame, plant: Plant) -> list[int]:
    """Choose background partner-abuse homicides and attempts to end escalation chains; plant more
    (attempted homicides of women by a partner at home) if the background has too few.

    Returns the chosen case keys.
    """
    rng = ctx.rng("series.chains")
    target = int(np.clip(round(15 * ctx.scale * ctx.period.years / 5), 3, 20))
    earliest = (ctx.period.start_day + np.timedelta64(200, "D")).astype("datetime64[s]")
    ok = (
        cases["category"].isin(("homicide", "attempted_homicide"))
        & (cases["suspect_relationship"] == "partner_ex_partner")
        & (cases["circumstance"] == "domestic_abuse")
        & (cases["origin"] == "background")
        & (cases["reported_at"] >= earliest)
    )
    cands = cases.loc[ok, "ck"].to_numpy()
    chosen = list(rng.choice(cands, size=min(target, len(cands)), replace=False)) if len(cands) else []
    short = target - len(chosen)
    if short > 0:
        days = _spread_days(
            rng, ctx.period.start_day + np.timedelta64(220, "D"), ctx.period.n_days - 240, short
        )
        cats = np.where(rng.random(short) < 0.4, "homicide", "attempted_homicide")
        for i in range(short):
            df = make_cases(
                ctx,
                rng,
                str(cats[i]),
                days[i : i + 1],
                origin="chain",
                force={
                    "victim_sex": "female",
                    "suspect_relationship": "partner_ex_partner",
                    "circumstance": "domestic_abuse",
                    "location_type": "dwelling_victim",
                },
            )
            plant.cases.append(df)
            chosen.append(int(df["ck"].iloc[0]))
    return sorted(int(c) for c in chosen)


def plant_all(ctx: Context, cases: pd.DataFrame, prof: pd.DataFrame, series: bool = True) -> Plant:
    """The five series and their decoys (unless ``series`` is false) and the escalation chains' cases."""
    plant = Plant()
    if series:
        plant_shared_person(ctx, plant)
        plant_drug_batch(ctx, plant)
        plant_professional(ctx, plant, cases, prof)
        plant_stranger(ctx, plant)
        plant_robbery_elderly(ctx, plant)
    ctx.notes["chain_cases"] = chain_endings(ctx, cases, plant)
    return plant


__all__ = ["Plant", "plant_all", "EMPTY_LINKS"]
