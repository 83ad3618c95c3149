"""The quarterly report's section on people and dyads whose violence is escalating: counts and
patterns, never names or ids (``findings.json`` travels beyond the force).

"Escalating" is strict: the 95% interval of the growth in incidents a quarter lies wholly above 1
(:mod:`trend`), at the end of the period and, for comparison, at the end of the period before.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from threadline.analyse.escalation import register, scores
from threadline.analyse.escalation.ranking import end_of_day

METHOD = ("People (as suspects of violence) and domestic-abuse dyads with harm recorded in the year to the date, "
          "scored on recency, frequency, gravity (ONS Crime Severity Score) and victims; escalating when the 95% "
          "interval of the growth in their incidents a quarter (penalised Poisson regression over four quarters) "
          "is wholly above 1. The list itself, with ids and reasons, is `threadline escalation rank` and the "
          "potentially dangerous persons list: the ranking proposes, a person decides (docs/escalation.md).")


def _escalating(feats: pd.DataFrame) -> pd.DataFrame:
    return feats[feats["escalation_low"] > 1]


def _counts(ev: pd.DataFrame, victims: pd.DataFrame, dyads: pd.DataFrame, when: pd.Timestamp) -> dict:
    people = scores.people_features(ev, victims, dyads, when)
    pairs = scores.features(dyads, victims, when, key="dyad_id")
    return {"people": people, "dyads": pairs, "people_escalating": _escalating(people),
            "dyads_escalating": _escalating(pairs)}


def escalation_findings(con: duckdb.DuckDBPyConnection, start: date, end: date) -> dict:
    """The section for the period ``[start, end)``: JSON-ready counts and patterns."""
    ev, victims = register.events(con)
    dyads = register.dyad_events(ev, victims)
    now = _counts(ev, victims, dyads, end_of_day(end - timedelta(days=1)))
    before = _counts(ev, victims, dyads, end_of_day(start - timedelta(days=1)))
    esc_p, esc_d = now["people_escalating"], now["dyads_escalating"]
    types = pd.DataFrame({
        "people": esc_p["latest_incident_type"].value_counts(),
        "dyads": esc_d["latest_incident_type"].value_counts(),
    }).fillna(0).astype(int).sort_values(["people", "dyads"], ascending=False)
    newly = len(set(esc_p.index) - set(before["people_escalating"].index))
    return {
        "as_of": (end - timedelta(days=1)).isoformat(),
        "people_ranked": len(now["people"]),
        "people_escalating": len(esc_p),
        "people_escalating_before": len(before["people_escalating"]),
        "people_newly_escalating": newly,
        "people_multiple_victims": int((esc_p["victims"] > 1).sum()),
        "people_median_incidents_90d": float(esc_p["incidents_90d"].median()) if len(esc_p) else None,
        "dyads_ranked": len(now["dyads"]),
        "dyads_escalating": len(esc_d),
        "dyads_escalating_before": len(before["dyads_escalating"]),
        "dyads_threats_or_injury_90d": int(esc_d["latest_incident_type"].isin(
            ["threats_to_kill", "assault_with_injury", "wounding_gbh"]).sum()),
        "by_latest_type": [{"incident_type": t, "people": int(r["people"]), "dyads": int(r["dyads"])}
                           for t, r in types.iterrows()],
        "method": METHOD,
    }
