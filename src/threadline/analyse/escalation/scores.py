"""Recency, frequency, gravity and victims (RFGV), the harm trend, and the ranking.

:func:`features` scores any key (a dyad, a person); :func:`people_features` makes the people list
from it (violent incidents, log severity, plus the person's most escalating dyad; :data:`PEOPLE`).

For each person (as a suspect) or domestic-abuse dyad, at a date ``as_of``, from the events known
by then (:mod:`register`) in the year before it:

- **recency**: days since the latest event;
- **frequency**: events in the last 90 days and in the 270 days before those;
- **gravity**: the Crime Severity Score weight of each event (:mod:`severity`), summed as *harm*;
- **victims**: distinct victims in the year. Each event's harm counts once per victim, as the Home
  Office Counting Rules record one crime per victim;
- **escalation**: the trend of incidents over the year's four quarters (:mod:`trend`), as the
  factor by which their rate grows a quarter, with its interval, and the rate it projects for the
  next quarter.

The **score** is that projected number of incidents next quarter times the *recent harm*: the
harm of the year's events, each weighted by its recency with a half-life of
:data:`HALF_LIFE_DAYS` (recency, frequency and gravity in one sum). It is high for a person whose
harm is high, recent and whose incidents come faster. The form was chosen among a dozen on two
synthetic tuning forces (seeds 1 and 2) and is reported on others (docs/escalation.md). This is the
RFG(V) idea of multi-agency tasking and coordination of domestic abuse
perpetrators (Northumbria Police's MATAC, "a matrix ... over a 2 year period" of recency, frequency,
gravity and victims; Davies and Biddle, "Implementing a perpetrator-focused partnership approach
to tackling domestic abuse: the opportunities and challenges of criminal justice localism",
Criminology & Criminal Justice 2018) with the points matrix replaced by a published severity scale
and a fitted trend, so there are no local points to set. Harm from police records is a measure of
what was reported, not of what happened: Barnham, Barnes and Sherman, "Targeting escalation of
intimate partner violence: evidence from 52,000 offenders", Cambridge Journal of Evidence-Based
Policing 2017, found most couples reported to police never escalate, which is why a trend, not a
count, is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from threadline.analyse.escalation import severity
from threadline.analyse.escalation import trend as T

QUARTER_DAYS = 365.25 / 4
#: Half-life of an event's weight in the recent harm, in days.
HALF_LIFE_DAYS = 90.0

FEATURE_COLUMNS = [
    "score", "projected_incidents", "recent_harm", "harm_90d", "harm_prev_270d", "incidents_90d",
    "incidents_prev_270d", "gravity_max", "victims", "recency_days", "latest_incident_type", "latest_gravity",
    "escalation", "escalation_low", "escalation_high",
]


@dataclass(frozen=True)
class Settings:
    """How scores are made: ``quarters`` of history for the trend (the window is that many quarters),
    the penalty on the slope (:data:`trend.PRIOR_SD`), the smallest number of events in the window
    for a person to be ranked, and whether harm sums the severity weights (``log_gravity=False``)
    or ``log(1 + weight)`` (see :data:`PEOPLE`)."""

    quarters: int = 4
    prior_sd: float = T.PRIOR_SD
    min_events: int = 1
    log_gravity: bool = False


#: The dyads list: harm on the published Crime Severity Score scale.
DEFAULT = Settings()
#: The people list: harm on ``log(1 + weight)``. A person's incidents range over every kind of
#: violence, whose weights span three orders of magnitude (common assault 13.5 days, wounding with
#: intent 2,034), so on the linear scale one wounding outweighs 150 common assaults and the list
#: fills with one-off serious assaults whose violence is not rising. The log keeps severity in the
#: order the CSS gives it while letting frequency and trend count. Chosen on tuning seeds 1-6
#: (planted perpetrators in the top 25 the quarter before: 38 of 90 linear, 51 log; see
#: docs/escalation.md), reported on others.
PEOPLE = Settings(log_gravity=True)


def known_by(events: pd.DataFrame, as_of: pd.Timestamp, quarters: int) -> pd.DataFrame:
    """Events known by ``as_of`` that happened in the ``quarters`` quarters before it."""
    as_of = pd.Timestamp(as_of)
    start = as_of - pd.Timedelta(days=quarters * QUARTER_DAYS)
    keep = (events["known_at"] <= as_of) & (events["occurred_at"] > start) & (events["occurred_at"] <= as_of)
    return events[keep]


def features(events: pd.DataFrame, victims: pd.DataFrame, as_of, key: str = "person_id",
             settings: Settings | None = None) -> pd.DataFrame:
    """RFGV features, escalation and score of every ``key`` with harm in the window before ``as_of``.

    ``events``: :data:`register.EVENT_COLUMNS` (plus ``key`` when it is not ``person_id``);
    ``victims``: ``event_id, victim_id``. Returns one row per key, indexed by it, with
    :data:`FEATURE_COLUMNS`, in no particular order (see :func:`rank`).
    """
    settings = settings or DEFAULT
    as_of = pd.Timestamp(as_of)
    ev = known_by(events, as_of, settings.quarters)
    if ev.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS, index=pd.Index([], name=key))
    if "victim_id" in ev:  # a dyad event has its one victim
        per_event = pd.Series(1, index=ev.index)
        vic = ev[[key, "victim_id"]]
    else:
        n_vic = victims.groupby("event_id")["victim_id"].nunique()
        per_event = ev["event_id"].map(n_vic).fillna(0).clip(lower=1)
        vic = ev[[key, "event_id"]].merge(victims, on="event_id")[[key, "victim_id"]]
    age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400.0
    weight = ev["gravity"].to_numpy(dtype=float)
    harm = (np.log1p(weight) if settings.log_gravity else weight) * per_event.to_numpy()
    recent = (age <= QUARTER_DAYS).to_numpy()
    frame = pd.DataFrame({
        key: ev[key].to_numpy(), "harm": harm, "recent": recent, "harm_recent": harm * recent, "age": age.to_numpy(),
        "decayed": harm * 0.5 ** (age.to_numpy() / HALF_LIFE_DAYS),
        "bin": np.clip(settings.quarters - 1 - np.floor(age.to_numpy() / QUARTER_DAYS), 0,
                       settings.quarters - 1).astype(int),
        "gravity": ev["gravity"].to_numpy(), "incident_type": ev["incident_type"].to_numpy(),
        "occurred_at": ev["occurred_at"].to_numpy(),
    })
    g = frame.groupby(key, sort=True)
    out = pd.DataFrame({
        "harm_90d": g["harm_recent"].sum(),
        "harm_total": g["harm"].sum(),
        "recent_harm": g["decayed"].sum(),
        "incidents_90d": g["recent"].sum().astype(int),
        "incidents": g.size(),
        "gravity_max": g["gravity"].max(),
        "recency_days": g["age"].min(),
    })
    out["harm_prev_270d"] = out["harm_total"] - out["harm_90d"]
    out["incidents_prev_270d"] = out["incidents"] - out["incidents_90d"]
    latest = frame.sort_values(["occurred_at", "gravity"]).groupby(key).tail(1).set_index(key)
    out["latest_incident_type"] = latest["incident_type"]
    out["latest_gravity"] = latest["gravity"]
    out["victims"] = vic.groupby(key)["victim_id"].nunique().reindex(out.index).fillna(0).astype(int)
    out = out[(out["harm_total"] > 0) & (out["incidents"] >= settings.min_events)]
    if out.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS, index=pd.Index([], name=key))
    bins = frame[frame[key].isin(out.index)].pivot_table(index=key, columns="bin", values="harm", aggfunc="size",
                                                          fill_value=0)
    bins = bins.reindex(index=out.index, columns=range(settings.quarters), fill_value=0)
    fit = T.fit(bins.to_numpy().astype(float), prior_sd=settings.prior_sd)
    low, high = fit.interval()
    out["escalation"], out["escalation_low"], out["escalation_high"] = fit.ratio(), low, high
    out["projected_incidents"] = fit.projected
    out["score"] = out["projected_incidents"] * out["recent_harm"]
    return out[FEATURE_COLUMNS]


def people_features(events: pd.DataFrame, victims: pd.DataFrame, dyads: pd.DataFrame, as_of,
                    settings: Settings = PEOPLE) -> pd.DataFrame:
    """The people list: :func:`features` of each suspect's **violent** incidents
    (:func:`severity.violent`), with the score of their most escalating domestic-abuse dyad
    (``dyad_score``, from the same settings) added to their own.

    Why the dyad is added: escalation within one relationship (abuse reported more often and more
    seriously, then stalking and threats to kill) is the best-documented precursor of domestic
    homicide (Monckton Smith, "Intimate partner femicide: using Foucauldian analysis to track an
    eight stage progression to homicide", Violence Against Women 2020; the Home Office's Domestic
    Homicide Review analyses), while a person's own score sums harm across victims and so dilutes
    a rising pattern against one victim among their other violence. Adding it (rather than taking
    the larger) keeps a person's other violence in the score. On tuning seeds 1-6 it raised the
    planted perpetrators in the top 25 from 51 to 60 of 90 (docs/escalation.md)."""
    is_violent = events["violent"] if "violent" in events else severity.violent(events)
    own = features(events[is_violent.to_numpy(dtype=bool)], victims, as_of, settings=settings)
    pairs = features(dyads, victims, as_of, key="dyad_id", settings=settings)
    suspect = pairs.index.to_series().str.split(">", n=1).str[0].to_numpy()
    worst = pairs["score"].groupby(suspect).max()
    own["dyad_score"] = worst.reindex(own.index).fillna(0.0).to_numpy()
    own["score"] = own["score"] + own["dyad_score"]
    return own


#: How each method orders people: sort columns and whether each ascends. ``model`` is the score;
#: the two baselines of the backtest rank by most incidents in the year and by the latest incident.
ORDERS = {
    "model": (["score", "recency_days"], [False, True]),
    "most_incidents": (["incidents", "recency_days"], [False, True]),
    "most_recent": (["recency_days", "incidents"], [True, False]),
}


def rank(feats: pd.DataFrame, top: int | None = None, method: str = "model") -> pd.DataFrame:
    """Order by ``method`` (:data:`ORDERS`; the model: score highest first, ties more recent first)
    with the id as the last tie-break, and number the ranks from 1."""
    key = feats.index.name or "id"
    out = feats.reset_index().rename(columns={"index": key})
    columns, ascending = ORDERS[method]
    keys = out.assign(incidents=out["incidents_90d"] + out["incidents_prev_270d"])
    out = out.loc[keys.sort_values([*columns, key], ascending=[*ascending, True], kind="stable").index]
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.head(top) if top else out
