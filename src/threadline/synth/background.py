"""Background death investigations: every category at its published rate, with realistic mixes.

For each category and each year of the period the number of cases is Poisson with mean
``rate per 100,000 x population / 100,000`` (:data:`threadline.synth.rates.RATE_PER_100K`). Days
follow a seasonal and day-of-week profile, times an hour-of-day profile; the victim's sex and age,
the relationship to the suspect, the location type, method, circumstance, substance and status
follow the mixes in :mod:`threadline.synth.rates`, conditioned on one another the way the ONS
Homicide Index tables are (women are mostly killed by partners, at home; domestic cases happen
at home; deaths in care homes are of old people). The LSOA is drawn by a weight that suits the
place: dwellings by residents with a deprivation proxy, streets and night-time places by recorded
violence, care homes, hospitals and prisons at their own LSOA.

:func:`plant_emerging` adds the planted emerging rise (one category in one local authority
roughly doubling in the last quarter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline import vocab
from threadline.synth import rates as R
from threadline.synth.context import MINUTE, Context, sample_days, sample_times

VIOLENT = ("homicide", "attempted_homicide")
#: Internal case columns (the public ``cases`` columns plus bookkeeping).
CASE_FRAME_COLUMNS = (
    "ck",
    "category",
    "occurred_from",
    "occurred_to",
    "reported_at",
    "lsoa",
    "latitude",
    "longitude",
    "location_type",
    "method",
    "circumstance",
    "substance",
    "victim",
    "victim_age",
    "victim_sex",
    "victim_ethnicity",
    "suspect_relationship",
    "status",
    "narrative",
    "origin",
    "facility",
    "home",
    "auto_roles",
    "flags_extra",
    "prof_forced",
)
STATUSES = np.array(vocab.STATUSES, dtype=object)

#: The planted emerging rise: category and local authority (Leeds).
EMERGING_CATEGORY = "suspicious_death"
EMERGING_LA = "E08000035"
#: How many times its expected level the planted quarter holds. A tripling is the kind of rise an
#: analyst must not miss; at about eight cases a quarter a mere doubling is within what chance
#: produces somewhere among the report's ~60 series, so no detector with an honest false-alarm
#: rate finds it reliably (the report's validation measures power at both).
EMERGING_FACTOR = 3.0


def _place_weight(category: str, location: str) -> str:
    if location in ("dwelling_victim", "dwelling_other"):
        return (
            "residential"
            if category in (*VIOLENT, "suspicious_death", "drug_related_death")
            else "population"
        )
    if location in ("street", "public_open_space", "licensed_premises", "vehicle"):
        if category in (*VIOLENT, "suspicious_death"):
            return "violence"
        if category == "drug_related_death":
            return "drugs"
        if category in ("fatal_collision", "suicide"):
            return "roads"
        return "crime"
    return "crime"


def status_for(
    rng: np.random.Generator,
    category: np.ndarray,
    relationship: np.ndarray,
    reported: np.ndarray,
    end_ts: np.datetime64,
) -> np.ndarray:
    """Status drawn from the recent/mature mixes by the case's age at the end of the period."""
    n = len(category)
    age_days = (end_ts - np.asarray(reported, dtype="datetime64[s]")).astype(float) / 86400.0
    m = 1.0 - np.exp(-np.maximum(age_days, 0.0) / R.STATUS_MATURITY_DAYS)
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    no_suspect = np.isin(relationship, ("no_suspect", "unknown"))
    keys = np.array(
        [
            f"{c}_no_suspect" if (ns and c in VIOLENT) else c
            for c, ns in zip(category, no_suspect, strict=True)
        ],
        dtype=object,
    )
    for key in sorted(set(keys)):
        sel = keys == key
        recent, mature = (np.array(x, dtype=float) for x in R.STATUS_MIX[key])
        p = (1 - m[sel, None]) * recent[None, :] + m[sel, None] * mature[None, :]
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        out[sel] = STATUSES[np.minimum((u[sel, None] > cum).sum(axis=1), len(STATUSES) - 1)]
    return out


def make_cases(
    ctx: Context,
    rng: np.random.Generator,
    category: str,
    days: np.ndarray,
    *,
    la: int | None = None,
    force: dict | None = None,
    origin: str = "background",
) -> pd.DataFrame:
    """``len(days)`` cases of ``category`` on those days (victims not yet created)."""
    geo = ctx.geo
    n = len(days)
    force = dict(force or {})
    days = np.asarray(days, dtype="datetime64[D]")
    cat = category
    sex = np.where(rng.random(n) < R.MALE_SHARE[cat], "male", "female").astype(object)
    if "victim_sex" in force:
        sex[:] = force["victim_sex"]
    age = R.draw_ages(rng, R.AGE_BANDS[cat], n)

    rel = np.full(n, "not_applicable", dtype=object)
    if cat in R.RELATIONSHIP:
        for s in ("male", "female"):
            m = sex == s
            rel[m] = R.draw(rng, R.RELATIONSHIP[cat][s], int(m.sum()))
    if "suspect_relationship" in force:
        rel[:] = force["suspect_relationship"]

    loc = np.empty(n, dtype=object)
    if cat in VIOLENT:
        dom = np.isin(rel, R.DOMESTIC_RELATIONSHIPS)
        loc[dom] = R.draw(rng, R.LOCATION[f"{cat}_domestic"], int(dom.sum()))
        loc[~dom] = R.draw(rng, R.LOCATION[cat], int((~dom).sum()))
    else:
        loc[:] = R.draw(rng, R.LOCATION[cat], n)
    if "location_type" in force:
        loc[:] = force["location_type"]
    care = loc == "care_home"
    age[care] = np.maximum(age[care], 75 + rng.integers(0, 26, size=int(care.sum())))

    method = np.empty(n, dtype=object)
    if cat in VIOLENT:
        for s in ("male", "female"):
            m = sex == s
            method[m] = R.draw(rng, R.METHOD[f"{cat}_{s}"], int(m.sum()))
    else:
        method[:] = R.draw(rng, R.METHOD[cat], n)
    if "method" in force:
        method[:] = force["method"]

    circ = np.full(n, "not_applicable", dtype=object)
    if cat in VIOLENT:
        for r in sorted(set(rel)):
            m = rel == r
            circ[m] = R.draw(rng, R.CIRCUMSTANCE_BY_RELATIONSHIP.get(r, {"unknown": 1}), int(m.sum()))
    elif cat == "suspicious_death":
        circ[:] = R.draw(rng, {"unknown": 70, "not_applicable": 20, "other": 10}, n)
    if "circumstance" in force:
        circ[:] = force["circumstance"]

    substance = np.full(n, "", dtype=object)
    if cat == "drug_related_death":
        substance[:] = R.draw(rng, R.DRD_SUBSTANCES, n)
    elif cat == "suicide":
        m = method == "poison_or_drugs"
        substance[m] = R.draw(rng, R.SUICIDE_POISONS, int(m.sum()))
    elif cat == "suspicious_death":
        m = rng.random(n) < 0.15
        substance[m] = R.draw(
            rng, {"unknown - awaiting toxicology": 60, "alcohol": 30, "cocaine": 10}, int(m.sum())
        )
    elif cat == "unexplained_death":
        m = rng.random(n) < 0.04
        substance[m] = "awaiting toxicology"
    elif cat in VIOLENT:
        substance[method == "poison_or_drugs"] = "unknown - awaiting toxicology"
    if "substance" in force:
        substance[:] = force["substance"]

    # Times.
    dow_name, hour_name = R.CATEGORY_TIMING[cat]
    institution = np.isin(loc, ("care_home", "hospital", "custody_or_prison"))
    event = np.empty(n, dtype="datetime64[s]")
    event[~institution] = sample_times(rng, days[~institution], R.HOURS[hour_name])
    event[institution] = sample_times(rng, days[institution], R.HOURS["institution"])
    mins = lambda lo, hi: (lo + rng.random(n) * (hi - lo)).astype(int) * MINUTE  # noqa: E731
    if cat in VIOLENT:
        occ_from = event
        occ_to = event + mins(0, 10)
        reported = occ_to + mins(3, 45)
    elif cat == "fatal_collision":
        occ_from = event
        occ_to = event
        reported = event + mins(2, 20)
    elif cat == "other_death":
        occ_from = event - mins(0, 30)
        occ_to = event
        reported = event + mins(5, 60)
    else:
        reported = event
        occ_to = reported - mins(0, 60)
        window = np.where(institution, mins(30, 240), mins(60, 36 * 60))
        occ_from = occ_to - window
    overshoot = reported - ctx.period.end_ts
    shift = np.where(overshoot > np.timedelta64(0, "s"), overshoot, np.timedelta64(0, "s"))
    occ_from, occ_to, reported = occ_from - shift, occ_to - shift, reported - shift

    # Places.
    lsoa = np.empty(n, dtype=int)
    facility = np.full(n, "", dtype=object)
    fac_kinds = ("care_home", "hospital", "custody_or_prison")
    for kind in fac_kinds:
        m = np.flatnonzero(loc == kind)
        if not len(m):
            continue
        facs = [f for f in ctx.facilities if f.kind == kind and (la is None or geo.la[f.lsoa] == la)]
        if not facs:
            loc[m] = "dwelling_victim"
            continue
        sizes = np.array([f.size for f in facs], dtype=float)
        pick = rng.choice(len(facs), size=len(m), p=sizes / sizes.sum())
        lsoa[m] = [facs[k].lsoa for k in pick]
        facility[m] = [facs[k].name for k in pick]
    for location in sorted(set(loc)):
        if location in fac_kinds:
            continue
        m = loc == location
        lsoa[m] = geo.pick(rng, _place_weight(cat, location), int(m.sum()), la=la)
    lat, lon = geo.jitter(rng, lsoa)
    home = np.where(np.isin(loc, ("dwelling_victim", "care_home")), lsoa, geo.near(rng, lsoa, 15))
    if la is not None:
        outside = geo.la[home] != la
        home[outside] = lsoa[outside]

    status = status_for(rng, np.full(n, cat, dtype=object), rel, reported, ctx.period.end_ts)
    if "status" in force:
        status[:] = force["status"]
    return pd.DataFrame(
        {
            "ck": ctx.keys("cases", n),
            "category": cat,
            "occurred_from": occ_from,
            "occurred_to": occ_to,
            "reported_at": reported,
            "lsoa": lsoa,
            "latitude": lat,
            "longitude": lon,
            "location_type": loc,
            "method": method,
            "circumstance": circ,
            "substance": substance,
            "victim": -1,
            "victim_age": age,
            "victim_sex": sex,
            "victim_ethnicity": "",
            "suspect_relationship": rel,
            "status": status,
            "narrative": "",
            "origin": origin,
            "facility": facility,
            "home": home,
            "auto_roles": "all",
            "flags_extra": "",
            "prof_forced": -1,
        },
        columns=list(CASE_FRAME_COLUMNS),
    )


def background(ctx: Context) -> pd.DataFrame:
    """All background cases for the period, category by category, year by year."""
    frames = []
    for cat in vocab.CATEGORIES:
        rng = ctx.rng(f"background.{cat}")
        lam = R.yearly_expected(cat, ctx.population)
        dow_name, _ = R.CATEGORY_TIMING[cat]
        days = []
        for first, stop in ctx.period.year_chunks():
            n = int(rng.poisson(lam * (stop - first).astype(int) / 365.25))
            days.append(sample_days(rng, first, stop, n, R.SEASON[cat], R.DOW[dow_name]))
        frames.append(make_cases(ctx, rng, cat, np.concatenate(days)))
    return pd.concat(frames, ignore_index=True)


def plant_emerging(ctx: Context, cases: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Raise ``EMERGING_CATEGORY`` in ``EMERGING_LA`` to ``EMERGING_FACTOR`` times its expected level
    in the period's last quarter.

    The expectation is the background's own rate there before the quarter (cases per day times
    the quarter's days); enough extra cases are planted that the quarter holds ``EMERGING_FACTOR`` times that
    (at least three extra), whatever the quarter's background happened to be.
    """
    geo = ctx.geo
    rng = ctx.rng("emerging")
    la_i = geo.la_codes.index(EMERGING_LA)
    first, stop, label = ctx.period.last_quarter()
    q_days = int((stop - first).astype(int))
    mine = (cases["category"] == EMERGING_CATEGORY) & (geo.la[cases["lsoa"].to_numpy()] == la_i)
    reported = cases["reported_at"]
    before = mine & (reported < first.astype("datetime64[s]"))
    days_before = int((first - ctx.period.start_day).astype(int))
    if days_before >= 90:
        expected = int(before.sum()) / days_before * q_days
    else:  # a period shorter than two quarters: fall back on the published rate
        la_pop = float(geo.population[geo.la == la_i].sum()) * ctx.scale
        expected = R.yearly_expected(EMERGING_CATEGORY, la_pop) * q_days / 365.25
    in_q = int(
        (mine & (reported >= first.astype("datetime64[s]")) & (reported < stop.astype("datetime64[s]"))).sum()
    )
    n_extra = max(3, int(round(EMERGING_FACTOR * expected - in_q)))
    days = sample_days(rng, first, stop, n_extra, R.SEASON[EMERGING_CATEGORY], R.DOW["violence"])
    extra = make_cases(ctx, rng, EMERGING_CATEGORY, days, la=la_i, origin="emerging")
    truth = {
        "category": EMERGING_CATEGORY,
        "la_code": EMERGING_LA,
        "la_name": geo.la_names[la_i],
        "quarter": label,
        "expected_without_plant": round(expected, 2),
        "planted_extra": n_extra,
        "background_in_quarter": in_q,
        "observed_in_quarter": in_q + n_extra,
    }
    return extra, truth


__all__ = ["background", "make_cases", "plant_emerging", "status_for"]
