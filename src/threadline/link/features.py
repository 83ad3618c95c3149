"""Pair features: how alike two records are, one number per kind of evidence.

The crime-linkage literature compares pairs of offences on the distance between them, the time
apart, the time of day and the behaviour shown (Bennell & Canter 2002, *Science & Justice* 42(3);
Woodhams & Toye 2007, *Criminal Justice and Behavior* 34(1); Tonkin et al. 2011, *Psychology,
Crime & Law* 17(7); Porter 2016, *The American Statistician* 70(2)). Death investigations add the
people and things two deaths share (the same associate, the same batch stamp, the same partial
registration) and the victim profile. Every feature is computed for all candidate pairs at once
in DuckDB SQL (vectorised, no loop per pair); fuzzy comparisons of the few recorded things and the
narrative similarity are vectorised in pandas/SciPy.

A missing value (NaN) means "not known for one of the two", which the pair model treats
separately from "different".
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from threadline.link import entities as E
from threadline.link.text import narrative_similarity

#: Every feature, in the order the models use, with what it measures.
FEATURES: dict[str, str] = {
    "dist_km": "distance apart, km",
    "days_apart": "time apart, days",
    "hour_diff": "difference in time of day, hours (0-12, circular)",
    "same_dow": "same day of the week (1/0)",
    "same_category": "same category of death or incident (1/0)",
    "same_method": "same method (1/0; unknown if either is not recorded)",
    "same_circumstance": "same circumstance (1/0; unknown if either is not recorded)",
    "same_location_type": "same kind of location (1/0; unknown if either is not recorded)",
    "same_relationship": "same victim-suspect relationship (1/0; unknown if either is not recorded)",
    "substance_sim": "overlap of the substances named (0-1; unknown if either names none)",
    "age_diff": "difference in victims' ages, years",
    "same_sex": "victims of the same sex (1/0)",
    "flags_sim": "overlap of flags (0-1; unknown if neither has any)",
    "shared_person": "a person in common, other than two victims, weighted by how rare (0-1)",
    "shared_professional": "a professional in common, weighted by how rare (0-1)",
    "shared_identifier": "a phone, account, address or full registration in common, weighted by rarity (0-1)",
    "shared_premises": "named premises in common, weighted by how rare (0-1)",
    "batch_sim": "overlap of drug-batch markings (0-1)",
    "vehicle_sim": "similarity of recorded vehicles, partial registrations included (0-1)",
    "narrative_sim": "similarity of the narratives (TF-IDF cosine, 0-1)",
    "substance_near": "same substances, close in time and place: substance_sim x exp(-days/14) x exp(-km/3) (0-1)",
    "method_near": "same method, close in place: same_method x exp(-km/2) (0-1)",
}

_PAIR_SQL = """
SELECT p.a, p.b, p.via,
  CASE WHEN ra.x IS NULL OR rb.x IS NULL THEN NULL
       ELSE sqrt((ra.x - rb.x) ** 2 + (ra.y - rb.y) ** 2) / 1000.0 END AS dist_km,
  abs(ra.t - rb.t) AS days_apart,
  least(abs(ra.hour - rb.hour), 24 - abs(ra.hour - rb.hour)) AS hour_diff,
  (ra.dow = rb.dow)::DOUBLE AS same_dow,
  (ra.category = rb.category)::DOUBLE AS same_category,
  (ra.method = rb.method)::DOUBLE AS same_method,
  (ra.circumstance = rb.circumstance)::DOUBLE AS same_circumstance,
  (ra.location_type = rb.location_type)::DOUBLE AS same_location_type,
  (ra.relationship = rb.relationship)::DOUBLE AS same_relationship,
  CASE WHEN ra.substance_key IS NULL OR rb.substance_key IS NULL THEN NULL
       ELSE len(list_intersect(string_split(ra.substance_key, ' '), string_split(rb.substance_key, ' ')))::DOUBLE
            / len(list_distinct(list_concat(string_split(ra.substance_key, ' '), string_split(rb.substance_key, ' '))))
  END AS substance_sim,
  abs(ra.victim_age - rb.victim_age)::DOUBLE AS age_diff,
  (ra.victim_sex = rb.victim_sex)::DOUBLE AS same_sex,
  CASE WHEN ra.flags = '' AND rb.flags = '' THEN NULL
       WHEN ra.flags = '' OR rb.flags = '' THEN 0.0
       ELSE len(list_intersect(string_split(ra.flags, ';'), string_split(rb.flags, ';')))::DOUBLE
            / len(list_distinct(list_concat(string_split(ra.flags, ';'), string_split(rb.flags, ';'))))
  END AS flags_sim,
  coalesce(k.shared_person, 0.0) AS shared_person,
  coalesce(k.shared_professional, 0.0) AS shared_professional,
  coalesce(k.shared_identifier, 0.0) AS shared_identifier,
  coalesce(k.shared_premises, 0.0) AS shared_premises,
  k.shared_labels
FROM _lk_pairs p
JOIN _lk_rec ra ON ra.rid = p.a
JOIN _lk_rec rb ON rb.rid = p.b
LEFT JOIN (
  SELECT ka.rid AS a, kb.rid AS b,
    max(ka.weight) FILTER (ka.kind = 'person') AS shared_person,
    max(ka.weight) FILTER (ka.kind = 'professional') AS shared_professional,
    max(ka.weight) FILTER (ka.kind = 'identifier') AS shared_identifier,
    max(ka.weight) FILTER (ka.kind = 'premises') AS shared_premises,
    string_agg(DISTINCT CASE WHEN ka.kind IN ('person', 'professional')
                             THEN ka.kind || ' ' || ka.label || ' (' || ka.role || '/' || kb.role || ')'
                             WHEN ka.kind IN ('identifier', 'premises', 'batch')
                             THEN ka.role || ' ' || ka.label END, '; ') AS shared_labels
  FROM _lk_keys ka JOIN _lk_keys kb ON ka.kind = kb.kind AND ka.key = kb.key
  WHERE ka.kind IN ('person', 'professional', 'identifier', 'premises', 'batch')
    AND NOT (ka.role = 'victim' AND kb.role = 'victim')
    AND ka.rid IN (SELECT a FROM _lk_pairs) AND kb.rid IN (SELECT b FROM _lk_pairs)
  GROUP BY ka.rid, kb.rid
) k ON k.a = p.a AND k.b = p.b
"""


def pair_features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every feature of :data:`FEATURES` for every pair in ``_lk_pairs``, plus ``a``, ``b``, ``via``,
    ``shared_labels`` (what the two records share, for the reasons) and the two records' things."""
    frame = con.execute(_PAIR_SQL).df()
    frame = _fuzzy_things(con, frame)
    frame["narrative_sim"] = narrative_similarity(con, frame["a"], frame["b"])
    frame = conjunctions(frame)
    for name in FEATURES:
        frame[name] = frame[name].astype(float)
    return frame


def conjunctions(frame: pd.DataFrame) -> pd.DataFrame:
    """Features for evidence that counts only together: the same substance within days and a few km
    (a bad batch), the same method within a couple of km (one offender's patch).

    Linkage studies find that it is the conjunction of proximity and behaviour that separates linked
    from unlinked pairs (Tonkin et al. 2011; Bennell & Canter 2002); an additive model cannot express
    "both close and alike" from the separate features, so these products give it that term.
    Unknown parts count as no evidence (0).
    """
    km = frame["dist_km"].astype(float).fillna(np.inf)
    days = frame["days_apart"].astype(float).fillna(np.inf)
    frame["substance_near"] = (frame["substance_sim"].astype(float).fillna(0.0) * np.exp(-days / 14.0)
                               * np.exp(-km / 3.0))
    frame["method_near"] = frame["same_method"].astype(float).fillna(0.0) * np.exp(-km / 2.0)
    return frame


def _fuzzy_things(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    """Vehicle and batch similarity for the pairs where both records hold one (a few hundred at most)."""
    things = con.execute(
        "SELECT rid, role AS entity_type, label AS entity_value FROM _lk_keys WHERE kind IN ('batch', 'identifier', "
        "'vehicle_area') AND role IN ('vehicle', 'drug_batch')"
    ).df().drop_duplicates()
    frame["vehicle_sim"] = 0.0
    frame["batch_sim"] = 0.0
    frame["shared_things"] = ""
    if things.empty or frame.empty:
        return frame
    index = pd.DataFrame({"a": frame["a"], "b": frame["b"], "row": np.arange(len(frame))})
    left = index.merge(things, left_on="a", right_on="rid").drop(columns="rid")
    both = left.merge(things, left_on=["b", "entity_type"], right_on=["rid", "entity_type"], suffixes=("_a", "_b"))
    if both.empty:
        return frame
    vehicles = both["entity_type"] == "vehicle"
    sim = np.zeros(len(both))
    sim[vehicles.to_numpy()] = [E.vehicle_similarity(x, y) for x, y in
                                zip(both.loc[vehicles, "entity_value_a"], both.loc[vehicles, "entity_value_b"],
                                    strict=True)]
    sim[~vehicles.to_numpy()] = [E.jaccard(E.batch_key(x), E.batch_key(y)) for x, y in
                                 zip(both.loc[~vehicles, "entity_value_a"], both.loc[~vehicles, "entity_value_b"],
                                     strict=True)]
    both["sim"] = sim
    best = both.sort_values("sim", ascending=False).drop_duplicates(["row", "entity_type"])
    for kind, column in (("vehicle", "vehicle_sim"), ("drug_batch", "batch_sim")):
        rows = best[(best["entity_type"] == kind) & (best["sim"] > 0)]
        frame.loc[rows["row"].to_numpy(), column] = rows["sim"].to_numpy()
    described = best[best["sim"] > 0]
    text = (described["entity_type"].str.replace("_", " ") + " '" + described["entity_value_a"] + "' ~ '"
            + described["entity_value_b"] + "'")
    joined = text.groupby(described["row"]).agg("; ".join)
    frame.loc[joined.index.to_numpy(), "shared_things"] = joined.to_numpy()
    return frame
