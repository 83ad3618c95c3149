"""Outcome 22: who gets it, who looked eligible and did not, and what changed after training.

Outcome 22 ("Diversionary, educational or intervention activity, resulting from the crime report,
has been undertaken and it is not in the public interest to take any further action") was added to
the Home Office crime outcomes framework in April 2019 (Home Office Counting Rules for Recorded
Crime, Crime Outcomes; the codes ship as ``reference/ho-crime-outcome-types.csv``). HMICFRS's
serious youth violence inspection asked forces to train officers in its use.

Outcome codes are recorded per crime, so an incident with several suspects says nothing certain
about each one: the eligibility review and the change after training look only at incidents with
one suspect (the synthetic force plants its outcome-22 change the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files

import pandas as pd

from threadline.analyse.breakdowns import age_band
from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import its


def outcome_labels() -> pd.DataFrame:
    """The Home Office outcome types 0-22 with their labels (shipped table)."""
    with (files("threadline") / "reference" / "ho-crime-outcome-types.csv").open("rb") as fh:
        return pd.read_csv(fh)


def single_suspect(rows: pd.DataFrame) -> pd.DataFrame:
    """The suspect rows of incidents with exactly one suspect."""
    return rows[rows["n_suspects"] == 1]


def with_eligibility(rows: pd.DataFrame, defs: D.Definitions) -> pd.DataFrame:
    """``rows`` (from :func:`register.suspect_rows`) restricted to single-suspect incidents, with an
    ``eligible`` column (the rules of :func:`definitions.outcome22_eligible`, on the whole history)."""
    # Earlier formal outcomes count from every incident, including those with several suspects.
    eligible = D.outcome22_eligible(rows, defs)
    one = single_suspect(rows).copy()
    one["eligible"] = eligible.loc[one.index]
    one["o22"] = pd.to_numeric(one["outcome_code"], errors="coerce").eq(22)
    return one


def use_by(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Outcome 22 among suspects' crimes with an outcome, by ``by`` (offence, age band, group5, la_name).

    Columns: ``by``, crimes (with any assigned outcome, code 1-22), outcome_22, share.
    """
    frame = rows.copy()
    code = pd.to_numeric(frame["outcome_code"], errors="coerce")
    frame = frame[code.between(1, 22)]
    if by == "age_band":
        frame["age_band"] = age_band(frame["age"]).astype(str)
    frame[by] = frame[by].fillna("not recorded").astype(str)
    out = frame.groupby(by).agg(crimes=("incident_id", "size"),
                                outcome_22=("outcome_code", lambda s: int((pd.to_numeric(s) == 22).sum())))
    out["share"] = out["outcome_22"] / out["crimes"]
    return out.reset_index().sort_values("crimes", ascending=False, kind="stable").reset_index(drop=True)


def not_given(rows: pd.DataFrame) -> pd.DataFrame:
    """Eligible crimes that did not get outcome 22, for review (ids, not names), newest first."""
    cols = ["incident_id", "person_id", "occurred_at", "incident_type", "age", "la_name", "outcome_code"]
    miss = rows[rows["eligible"] & ~rows["o22"] & rows["in_window"]]
    miss = miss[pd.to_numeric(miss["outcome_code"], errors="coerce").between(1, 22)]
    return miss[cols].sort_values("occurred_at", ascending=False, kind="stable").reset_index(drop=True)


def monthly(rows: pd.DataFrame) -> pd.DataFrame:
    """Eligible crimes and those given outcome 22, per month."""
    elig = rows[rows["eligible"]]
    if elig.empty:
        return pd.DataFrame(columns=["month", "exposure", "events"])
    m = elig["occurred_at"].dt.to_period("M").dt.to_timestamp()
    out = elig.assign(month=m).groupby("month").agg(exposure=("eligible", "size"), events=("o22", "sum"))
    full = pd.date_range(out.index.min(), out.index.max(), freq="MS")
    out = out.reindex(full, fill_value=0).rename_axis("month").reset_index()
    return out


@dataclass
class TrainingChange:
    """The change in outcome 22 use among eligible crimes after a training date."""

    training: date
    monthly: pd.DataFrame
    result: its.ITSResult

    def summary(self) -> str:
        return self.result.summary("the share of eligible crimes given outcome 22", "training", self.training)


def training_change(rows: pd.DataFrame, training: date, *, step_only: bool = True) -> TrainingChange:
    """Interrupted time series of the monthly share of eligible crimes given outcome 22 (Bernal,
    Cummins and Gasparrini 2017), the training date as the interruption. ``rows`` from
    :func:`with_eligibility`."""
    table = monthly(rows)
    result = its.interrupted_time_series(table, training, events="events", exposure="exposure", month="month",
                                         step_only=step_only)
    return TrainingChange(training=training, monthly=table, result=result)
