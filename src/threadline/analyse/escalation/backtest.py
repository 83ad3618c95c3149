"""Backtest the ranking, honestly: at each past quarter end, rank using only what was known then,
and count who among the next quarter's homicide and near-miss suspects and victims was on top.

For each quarter end ``q`` from ``start`` to ``end`` (a quarter end whose next quarter ends by
``end``):

- the **people** list ranks suspects (:func:`scores.features` on events known by ``q``), the
  **dyads** list ranks domestic-abuse suspect-victim pairs;
- the **outcomes** are the suspects and victims of homicides and attempted homicides reported in
  the quarter after ``q``; a suspect is found by the people list if ranked in its top ``k``, and by
  the dyads list if a top-``k`` dyad has them as its suspect; a victim is found if a top-``k`` dyad
  has them as its victim;
- **recall at k** = outcomes found / outcomes; **precision at k** = top-``k`` entries that had an
  outcome next quarter / entries; both pooled over the quarters with Wilson score intervals
  (Wilson, "Probable inference, the law of succession, and statistical inference", JASA 1927),
  which treat person-quarters as independent: the same prolific person in many quarters makes
  the true uncertainty somewhat larger;
- **lead time**: for an outcome found, the days from the first quarter end of the unbroken run of
  quarter ends at which it was in the top ``k`` up to the case (at least the days from the last
  quarter end to the case);
- **baselines** rank the same people by the most incidents in the year (ties: most recent), and by
  the most recent incident (ties: most incidents).

The same counting is the recommended practice of Lum and Isaac, "To predict and serve?"
(Significance 2016) and of Oswald et al. on algorithmic risk assessment in policing (ALGO-CARE,
Information & Communications Technology Law 2018): evaluate prospectively in time, beside simple
baselines, with the errors by group (:mod:`fairness`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from threadline.analyse.escalation import scores
from threadline.analyse.escalation.fairness import fairness_table

METHODS = tuple(scores.ORDERS)
KS = (10, 25, 50)


@dataclass
class BacktestResult:
    """Every table of a backtest (see the module docstring)."""

    quarter_ends: list[pd.Timestamp]
    ks: tuple[int, ...]
    recall: pd.DataFrame
    precision: pd.DataFrame
    lead_time: pd.DataFrame
    outcome_ranks: pd.DataFrame
    fairness: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _end_of_day(t: pd.Timestamp) -> pd.Timestamp:
    return t.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)


def next_quarter_end(q: pd.Timestamp) -> pd.Timestamp:
    """The end (last second) of the quarter after the one ending at ``q``."""
    return _end_of_day(q + pd.offsets.QuarterEnd(1))


def quarter_ends(start, end) -> list[pd.Timestamp]:
    """Calendar quarter ends ``q`` (end of day) with ``start <= q`` and the next quarter ending by ``end``."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return [_end_of_day(q) for q in pd.date_range(start, end, freq="QE")
            if next_quarter_end(q).normalize() <= end]


def wilson(hits, n) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval of ``hits / n`` (NaN where ``n`` is 0)."""
    hits, n = np.asarray(hits, dtype=float), np.asarray(n, dtype=float)
    low, high = proportion_confint(hits, np.maximum(n, 1), alpha=0.05, method="wilson")
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _best_rank(ranked: pd.DataFrame, column: str) -> pd.Series:
    return ranked.groupby(column)["rank"].min()


def run(events: pd.DataFrame, victims: pd.DataFrame, dyads: pd.DataFrame, outcomes: pd.DataFrame,
        people: pd.DataFrame, start, end, ks: tuple[int, ...] = KS, fairness_k: int = 25,
        settings: scores.Settings = scores.DEFAULT, people_settings: scores.Settings = scores.PEOPLE,
        progress=None) -> BacktestResult:
    """Run the backtest on frames from :mod:`register` (``events``, ``victims``, ``dyad_events``,
    ``outcomes``, ``people``). ``settings`` make the dyads list and ``people_settings`` the people
    list (:func:`scores.people_features`). ``progress`` is called with each quarter end."""
    qs = quarter_ends(start, end)
    if not qs:
        raise ValueError("no quarter end between the dates with a whole quarter after it: widen --from/--to")
    kmax = max(ks)
    rank_rows, precision_rows, selection_rows = [], [], []
    sus_interest = set(outcomes.loc[outcomes["party"] == "suspect", "person_id"])
    vic_interest = set(outcomes.loc[outcomes["party"] == "victim", "person_id"])
    dyad_people = dyads.drop_duplicates("dyad_id").set_index("dyad_id")[["person_id", "victim_id"]]
    for q in qs:
        later = outcomes[(outcomes["reported_at"] > q) & (outcomes["reported_at"] <= next_quarter_end(q))]
        next_sus = set(later.loc[later["party"] == "suspect", "person_id"])
        next_vic = set(later.loc[later["party"] == "victim", "person_id"])
        pf = scores.people_features(events, victims, dyads, q, settings=people_settings)
        df = scores.features(dyads, victims, q, key="dyad_id", settings=settings)
        for method in METHODS:
            pr = scores.rank(pf, method=method)
            dr = scores.rank(df, method=method).join(dyad_people, on="dyad_id")
            ranks = [("people", "suspect", _best_rank(pr[pr["person_id"].isin(sus_interest)], "person_id")),
                     ("dyads", "suspect", _best_rank(dr[dr["person_id"].isin(sus_interest)], "person_id")),
                     ("dyads", "victim", _best_rank(dr[dr["victim_id"].isin(vic_interest)], "victim_id"))]
            for lst, party, r in ranks:
                rank_rows.append(pd.DataFrame({"quarter_end": q, "list": lst, "party": party, "method": method,
                                               "person_id": r.index, "rank": r.to_numpy()}))
            top_p, top_d = pr.head(kmax), dr.head(kmax)
            for k in ks:
                hits_p = int(top_p.head(k)["person_id"].isin(next_sus).sum())
                hd = top_d.head(k)
                hits_d = int((hd["person_id"].isin(next_sus) | hd["victim_id"].isin(next_vic)).sum())
                precision_rows += [{"quarter_end": q, "list": "people", "method": method, "k": k,
                                    "entries": min(k, len(pr)), "hits": hits_p},
                                   {"quarter_end": q, "list": "dyads", "method": method, "k": k,
                                    "entries": min(k, len(dr)), "hits": hits_d}]
            if method == "model":
                sel = pr[["person_id", "rank", "gravity_max"]].assign(
                    incidents=pr["incidents_90d"] + pr["incidents_prev_270d"], quarter_end=q)
                selection_rows.append(sel)
        if progress:
            progress(q)
    ranks = pd.concat(rank_rows, ignore_index=True)
    per_case = _outcome_ranks(outcomes, qs, ranks)
    recall = _recall(per_case, ks)
    precision = pd.DataFrame(precision_rows).groupby(["list", "method", "k"], as_index=False)[["entries", "hits"]].sum()
    precision["precision"] = precision["hits"] / precision["entries"].where(precision["entries"] > 0)
    precision["low"], precision["high"] = wilson(precision["hits"], precision["entries"])
    lead = _lead_times(per_case, ranks, qs, ks)
    selection = pd.concat(selection_rows, ignore_index=True)
    fair = fairness_table(selection, per_case[(per_case["list"] == "people") & (per_case["method"] == "model")],
                          people, fairness_k)
    notes = [f"{len(qs)} quarter ends from {qs[0].date()} to {qs[-1].date()}",
             f"{int(per_case.drop_duplicates(['case_id', 'person_id', 'party']).shape[0])} outcomes "
             "(suspects and victims of homicides and attempts in the quarter after a quarter end)"]
    return BacktestResult(qs, tuple(ks), recall, precision, lead, per_case, fair, notes)


def _outcome_ranks(outcomes: pd.DataFrame, qs: list[pd.Timestamp], ranks: pd.DataFrame) -> pd.DataFrame:
    """Each outcome (case, person, party) with the quarter end before it and its rank there per list
    and method (NaN: not ranked, i.e. no harm known in the year before)."""
    qarr = np.array(qs, dtype="datetime64[ns]")
    rows = []
    for _, o in outcomes.iterrows():
        i = np.searchsorted(qarr, np.datetime64(o["reported_at"]), side="left") - 1
        if i < 0:
            continue
        q = qs[i]
        if o["reported_at"] > next_quarter_end(q):
            continue
        rows.append({**o.to_dict(), "quarter_end": q})
    base = pd.DataFrame(rows, columns=[*outcomes.columns, "quarter_end"])
    lists = pd.DataFrame([("people", "suspect"), ("dyads", "suspect"), ("dyads", "victim")], columns=["list", "party"])
    combos = lists.merge(pd.DataFrame({"method": METHODS}), how="cross")
    out = base.merge(combos, on="party")
    out = out.merge(ranks, on=["quarter_end", "list", "party", "method", "person_id"], how="left")
    return out.sort_values(["reported_at", "case_id", "list", "party", "method", "person_id"], ignore_index=True)


def _recall(per_case: pd.DataFrame, ks: tuple[int, ...]) -> pd.DataFrame:
    rows = []
    for (lst, party, method), g in per_case.groupby(["list", "party", "method"], sort=False):
        for k in ks:
            hits = int((g["rank"] <= k).sum())
            rows.append({"list": lst, "party": party, "method": method, "k": k, "outcomes": len(g), "found": hits})
    out = pd.DataFrame(rows)
    out["recall"] = out["found"] / out["outcomes"].where(out["outcomes"] > 0)
    out["low"], out["high"] = wilson(out["found"], out["outcomes"])
    return out


def _lead_times(per_case: pd.DataFrame, ranks: pd.DataFrame, qs: list[pd.Timestamp], ks) -> pd.DataFrame:
    index = {q: i for i, q in enumerate(qs)}
    lookup = ranks.set_index(["list", "party", "method", "person_id", "quarter_end"])["rank"]
    lookup = lookup[~lookup.index.duplicated()]
    rows = []
    for k in ks:
        found = per_case[per_case["rank"] <= k]
        for _, o in found.iterrows():
            i = index[o["quarter_end"]]
            first = i
            while first - 1 >= 0:
                r = lookup.get((o["list"], o["party"], o["method"], o["person_id"], qs[first - 1]), np.nan)
                if not (r <= k):
                    break
                first -= 1
            rows.append({"list": o["list"], "party": o["party"], "method": o["method"], "k": k,
                         "case_id": o["case_id"], "person_id": o["person_id"],
                         "lead_days": (o["reported_at"] - qs[first]).total_seconds() / 86400.0,
                         "quarters_on_top": i - first + 1})
    return pd.DataFrame(rows, columns=["list", "party", "method", "k", "case_id", "person_id", "lead_days",
                                       "quarters_on_top"])


def lead_summary(lead: pd.DataFrame) -> pd.DataFrame:
    """Median and quartiles of lead time (days) per list, party, method and k."""
    if lead.empty:
        return pd.DataFrame(columns=["list", "party", "method", "k", "found", "median_days", "q1_days", "q3_days"])
    g = lead.groupby(["list", "party", "method", "k"])["lead_days"]
    return pd.DataFrame({"found": g.size(), "median_days": g.median(), "q1_days": g.quantile(0.25),
                         "q3_days": g.quantile(0.75)}).reset_index()
