"""Fairness of the ranking: who it selects and whom it finds, by ethnic group, sex and age band.

Printed with every backtest. For each group, over the backtest's quarter ends:

- **selection rate**: person-quarters in the top ``k`` / person-quarters ranked (people with harm
  known in the year before), with a Wilson interval;
- **recall**: next-quarter homicide and near-miss suspects of the group found in the top ``k`` /
  those suspects, with a Wilson interval (equal opportunity, Hardt, Price and Srebro, "Equality of
  opportunity in supervised learning", NeurIPS 2016);
- **beyond incidents**: whether the group is selected more (or less) than people with the same
  recorded incidents. The Mantel-Haenszel odds ratio of selection, the group against everyone
  else, within strata of the number of incidents in the year and the gravest incident's weight
  (Mantel and Haenszel, JNCI 1959; statsmodels ``StratifiedTable``), with its 95% interval. An
  interval wholly above 1 is reported as "selected more than its incidents explain". The ranking
  never sees ethnicity, sex or age; a difference can still come from how incidents are recorded,
  which the table cannot see.

Ethnicity and sex are the register's (``persons``); age is whole years at the quarter end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import proportion_confint

AGE_BANDS = ((10, 17), (18, 24), (25, 34), (35, 49), (50, 120))
INCIDENT_BANDS = (1, 2, 3, 5, 8)
GRAVITY_BANDS = (0, 50, 250, 1000)
#: Fewer selected person-quarters than this in a group: too few to tell.
MIN_SELECTED = 5


def age_band(age: pd.Series) -> pd.Series:
    out = pd.Series("unknown", index=age.index, dtype=object)
    for lo, hi in AGE_BANDS:
        out[(age >= lo) & (age <= hi)] = f"{lo}-{hi}" if hi < 120 else f"{lo}+"
    out[age < AGE_BANDS[0][0]] = f"under {AGE_BANDS[0][0]}"
    return out


def _attributes(frame: pd.DataFrame, people: pd.DataFrame, when: str) -> pd.DataFrame:
    f = frame.merge(people, on="person_id", how="left")
    age = np.floor((f[when] - f["date_of_birth"]).dt.days / 365.25)
    return f.assign(ethnicity=f["ethnicity"].fillna("not_stated").replace("", "not_stated"),
                    sex=f["sex"].fillna("unknown").replace("", "unknown"), age_band=age_band(age))


def _wilson(hits: pd.Series, n: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    low, high = proportion_confint(hits.to_numpy(), np.maximum(n.to_numpy(), 1), alpha=0.05, method="wilson")
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _beyond(sel: pd.DataFrame, attribute: str, group: str) -> tuple[float, float, float]:
    tables = []
    for _, s in sel.groupby("stratum"):
        in_g = s[attribute] == group
        a, b = int((in_g & s["selected"]).sum()), int((in_g & ~s["selected"]).sum())
        c, d = int((~in_g & s["selected"]).sum()), int((~in_g & ~s["selected"]).sum())
        if (a + c) and (b + d) and (a + b) and (c + d):
            tables.append(np.array([[a, b], [c, d]], dtype=float))
    if not tables:
        return np.nan, np.nan, np.nan
    st = StratifiedTable([t + 0.5 if (t == 0).any() else t for t in tables])
    low, high = st.oddsratio_pooled_confint()
    return float(st.oddsratio_pooled), float(low), float(high)


def fairness_table(selection: pd.DataFrame, found: pd.DataFrame, people: pd.DataFrame, k: int) -> pd.DataFrame:
    """The fairness table.

    ``selection``: every ranked person-quarter (``person_id, quarter_end, rank, incidents,
    gravity_max``); ``found``: next-quarter suspects with their ``rank`` (NaN: not ranked) and
    ``quarter_end``; ``people``: :func:`register.people`. Returns one row per attribute and group.
    """
    sel = _attributes(selection, people, "quarter_end")
    sel["selected"] = sel["rank"] <= k
    inc_band = np.searchsorted(np.array(INCIDENT_BANDS), sel["incidents"].to_numpy(), side="right")
    grav_band = np.searchsorted(np.array(GRAVITY_BANDS), sel["gravity_max"].to_numpy(), side="right")
    sel["stratum"] = inc_band * 10 + grav_band
    out = _attributes(found, people, "quarter_end")
    out["found"] = out["rank"] <= k
    rows = []
    for attribute in ("ethnicity", "sex", "age_band"):
        groups = sorted(set(sel[attribute]) | set(out[attribute]))
        for group in groups:
            s, o = sel[sel[attribute] == group], out[out[attribute] == group]
            odds, low, high = _beyond(sel, attribute, group)
            n_sel = int(s["selected"].sum())
            if n_sel < MIN_SELECTED:
                verdict = "too few to tell"
            elif low > 1:
                verdict = "selected more than its incidents explain"
            elif high < 1:
                verdict = "selected less than its incidents explain"
            else:
                verdict = "in line with its incidents"
            rows.append({"attribute": attribute, "group": group, "ranked": len(s), "selected": n_sel,
                         "suspects_next_quarter": len(o), "found": int(o["found"].sum()),
                         "odds_ratio_given_incidents": odds, "or_low": low, "or_high": high, "verdict": verdict})
    table = pd.DataFrame(rows)
    table["selection_rate"] = table["selected"] / table["ranked"].where(table["ranked"] > 0)
    table["sel_low"], table["sel_high"] = _wilson(table["selected"], table["ranked"])
    table["recall"] = table["found"] / table["suspects_next_quarter"].where(table["suspects_next_quarter"] > 0)
    table["recall_low"], table["recall_high"] = _wilson(table["found"], table["suspects_next_quarter"])
    return table[["attribute", "group", "ranked", "selected", "selection_rate", "sel_low", "sel_high",
                  "suspects_next_quarter", "found", "recall", "recall_low", "recall_high",
                  "odds_ratio_given_incidents", "or_low", "or_high", "verdict"]]
