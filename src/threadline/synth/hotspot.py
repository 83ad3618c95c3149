"""The planted NHS-only hot spot: assaults the emergency department sees and the police do not.

The Cardiff Model's point is that many assaults treated in emergency departments are never
reported to the police, and that some places are hot spots only in the NHS data (a late-night
venue strip whose victims go to hospital but not to the police). This plants one: a small
cluster of 3-6 neighbouring LSOAs in one local authority, around a strip of late-night venues,
where ED assault attendances in the last four quarters of the period are several times the
LSOAs' own background, while police-recorded violence there stays at its background (the extra
victims do not report).

- **Where**: a local authority drawn at random; its LSOAs ranked by recorded violence; a centre
  drawn from ranks :data:`CENTRE_RANKS` (busy, but not the city-centre core, where "several
  times" would be thousands); the cluster is the centre and its nearest LSOAs in the same
  authority (3-6 in all). Three or four named venues stand on streets of the cluster.
- **When**: from the first day of the fourth-last complete calendar quarter to the end of the
  period (the last four quarters when the period ends on a quarter's last day).
- **How many**: each LSOA's extra attendances per quarter are ``(m - 1) x max(b, 1)``, where
  ``b`` is its background ED attendances per quarter over the whole period and ``m`` (4 to 6) is
  drawn from :data:`MULTIPLIER` once per run; so the window holds about ``m`` times the
  background (more in quiet LSOAs and small runs, whose background is below the floor of one a
  quarter: the floor keeps the hot spot findable at any scale).
- **What**: anonymised attendances never reported to police (``anonymised_unlinked``), late at
  night and at weekends, mostly young men, more glass and bottle injuries; the place names a
  venue of the strip or a street of the LSOA, and like all ED records about 80% are geocoded.

All draws come from the run's ``nhs_hotspot`` stream, so switching the plant off
(``synthesise(..., plant_nhs_hotspot=False)``) leaves every other record as it was.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from threadline.synth import rates as R
from threadline.synth.context import MINUTE, Context, sample_days, sample_times

#: Attendances in the window are about this many times the background (drawn once per run).
MULTIPLIER = (4.0, 6.0)
#: Floor (attendances per quarter) on the background the extra is sized by.
MIN_BACKGROUND = 1.0
#: Ranks (0-based, by recorded violence within the authority) the centre LSOA is drawn from.
CENTRE_RANKS = (4, 40)
#: Cluster size range (inclusive).
CLUSTER_SIZE = (3, 6)
QUARTER_DAYS = 365.25 / 4
TRUTH_COLUMNS = [
    "lsoa_code",
    "la_code",
    "la_name",
    "from_date",
    "to_date",
    "background_ed_per_quarter",
    "planted_ed_per_quarter",
    "police_violence_per_quarter",
]
#: Late-night venues of the strip.
STRIP_VENUES = (
    "The Black Bull",
    "The Red Lion",
    "The White Swan",
    "The Fleece",
    "The Junction",
    "The Cross Keys",
    "The Commercial",
    "The Vine",
    "Revolution",
    "Pryzm",
    "O'Neill's",
    "The Brewery Tap",
    "Spoons",
)
#: Day of week (Monday first) and hour of day of night-time economy assaults (ASSUMPTION: the
#: weekend late-night peak of ED assault attendances, e.g. Sivarajasingam et al., NVSN reports).
NTE_DOW = (0.45, 0.45, 0.55, 0.85, 1.6, 2.4, 1.7)
NTE_HOURS = (9, 8, 6, 4, 2, 0.5, 0.2, 0.2, 0.2, 0.3, 0.3, 0.4, 0.5, 0.5, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 7, 8)
NTE_WEAPONS = {
    "fists or feet": 55,
    "glass": 15,
    "bottle": 10,
    "knife": 6,
    "blunt object": 5,
    "none / unknown": 9,
}


def empty_truth() -> pd.DataFrame:
    """``truth/nhs_hotspot.csv`` with no rows (the plant switched off)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TRUTH_COLUMNS})


def window(ctx: Context) -> tuple[np.datetime64, np.datetime64]:
    """First day of the fourth-last complete quarter (or the period's start) and the day after the end."""
    q_first, _, _ = ctx.period.last_quarter()
    first = date.fromisoformat(str(q_first))
    months = first.year * 12 + first.month - 1 - 9
    start = np.datetime64(date(months // 12, months % 12 + 1, 1), "D")
    return max(start, ctx.period.start_day), ctx.period.end_day + np.timedelta64(1, "D")


def choose_cluster(ctx: Context, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """The authority and the cluster's LSOAs (centre first)."""
    geo = ctx.geo
    la = int(rng.integers(0, len(geo.la_codes)))
    in_la = np.flatnonzero(geo.la == la)
    order = in_la[np.argsort(-geo.weights["violence"][in_la], kind="stable")]
    lo = min(CENTRE_RANKS[0], len(order) - 1)
    hi = max(lo + 1, min(CENTRE_RANKS[1], len(order)))
    cands = order[lo:hi]
    centre = int(cands[int(rng.integers(0, len(cands)))])
    k = int(rng.integers(CLUSTER_SIZE[0], CLUSTER_SIZE[1] + 1))
    near = [int(j) for j in geo.neighbours(60)[centre] if geo.la[j] == la]
    return la, np.array(near[:k], dtype=int)


def plant(ctx: Context, ed: pd.DataFrame, inc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hot spot's extra ED attendances (columns as ``partners._ed``'s) and its truth frame.

    ``ed`` is the background attendances with their true ``place`` and ``located``; ``inc`` the
    police incidents (for the truth's police violence counts). Neither is changed.
    """
    from threadline.synth.partners import ED_GEOCODED_SHARE, ED_TEXT, POLICE_VIOLENCE, set_position

    geo = ctx.geo
    rng = ctx.rng("nhs_hotspot")
    la, cluster = choose_cluster(ctx, rng)
    first, stop = window(ctx)
    window_q = float((stop - first).astype(int)) / QUARTER_DAYS
    period_q = ctx.period.n_days / QUARTER_DAYS
    m = float(rng.uniform(*MULTIPLIER))
    place = ed["place"].to_numpy().astype(int)
    background_all = np.bincount(place, minlength=geo.n)[cluster] / period_q
    n_extra = np.round((m - 1.0) * np.maximum(background_all, MIN_BACKGROUND) * window_q).astype(int)

    # The strip: venues on streets of the cluster (two at the centre).
    n_venues = int(rng.integers(3, 5))
    venues = [STRIP_VENUES[int(i)] for i in rng.choice(len(STRIP_VENUES), size=n_venues, replace=False)]
    venue_lsoa = np.concatenate([[cluster[0], cluster[0]], rng.choice(cluster, size=n_venues - 2)]).astype(int)
    venue_street = geo.street(rng, venue_lsoa)

    rows_place = np.repeat(cluster, n_extra)
    n = len(rows_place)
    days = sample_days(rng, first, stop, n, (0.1, 196), NTE_DOW)
    t = sample_times(rng, days, NTE_HOURS) + rng.integers(20, 120, size=n) * MINUTE
    t = np.minimum(t, ctx.period.end_ts)
    located = rng.random(n) < ED_GEOCODED_SHARE
    streets = geo.street(rng, rows_place)
    texts = []
    for j in range(n):
        here = np.flatnonzero(venue_lsoa == rows_place[j])
        if len(here) and rng.random() < 0.65:
            k = int(here[int(rng.integers(0, len(here)))])
            v, s = venues[k], venue_street[k]
            forms = (
                (f"outside {v}, {s}", f"in {v} on {s}", f"{v}, {s}", f"taxi queue near {v}, {s}")
                if located[j]
                else (v, f"near {v}", "town centre")
            )
        else:
            s = streets[j]
            forms = (
                (s, f"in the street, {s}", f"taxi rank on {s}", f"outside the takeaway on {s}")
                if located[j]
                else ("town centre", "in town", "not known")
            )
        texts.append(forms[int(rng.integers(0, len(forms)))])
    extra = pd.DataFrame(
        {
            "pidx": -1,
            "occurred_at": t,
            "place": rows_place,
            "home": False,
            "night": True,
            "weapon": R.draw(rng, NTE_WEAPONS, n),
            "assailant_count": R.draw(rng, {1: 55, 2: 25, 3: 12, 4: 8}, n),
            "narrative": np.array(ED_TEXT, dtype=object)[rng.integers(0, len(ED_TEXT), size=n)],
            "age": R.draw_ages(rng, (((16, 18), 6), ((18, 25), 50), ((25, 35), 32), ((35, 55), 12)), n),
            "sex": np.where(rng.random(n) < 0.8, "male", "female"),
            "agency": "nhs_ed",
            "record_type": "assault_attendance",
            "match_type": "anonymised_unlinked",
            "location_text": np.array(texts, dtype=object),
        }
    )
    extra = set_position(ctx, rng, extra, located)

    located_bg = np.bincount(place[ed["located"].to_numpy()], minlength=geo.n)[cluster] / period_q
    located_pl = np.bincount(rows_place[located], minlength=geo.n)[cluster] / window_q
    violent = inc["incident_type"].isin(POLICE_VIOLENCE).to_numpy()
    police = np.bincount(inc["lsoa"].to_numpy()[violent].astype(int), minlength=geo.n)[cluster] / period_q
    truth = pd.DataFrame(
        {
            "lsoa_code": geo.code[cluster],
            "la_code": geo.la_codes[la],
            "la_name": geo.la_names[la],
            "from_date": str(first),
            "to_date": str(stop - np.timedelta64(1, "D")),
            "background_ed_per_quarter": np.round(located_bg, 2),
            "planted_ed_per_quarter": np.round(located_pl, 2),
            "police_violence_per_quarter": np.round(police, 2),
        },
        columns=TRUTH_COLUMNS,
    )
    ctx.notes["nhs_hotspot_params"] = {
        "la_code": geo.la_codes[la],
        "multiplier": round(m, 2),
        "venues": "; ".join(f"{v}, {s}" for v, s in zip(venues, venue_street, strict=True)),
        "n_planted": n,
    }
    return extra, truth


__all__ = ["plant", "empty_truth", "window", "TRUTH_COLUMNS", "MULTIPLIER"]
