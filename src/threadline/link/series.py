"""From scored pairs to candidate series, each with a score, its members and a reason per link.

Pairs whose probability of belonging to one series is at least ``link_at`` are edges of a graph;
each connected component is a candidate series (single-linkage clustering of the pair graph, as
in Porter 2016, *The American Statistician* 70(2), section 5, "crime series clustering"). A
component larger than ``max_size`` is split by raising the threshold inside it until its parts fit,
so that a chain of weak links cannot glue a city's deaths into one "series".

Each series is scored by how confidently its members are linked: a member's strength is its
strongest link inside the series; the series ``score`` is the mean strength (0-1) and its
``evidence`` is the sum of strengths minus one, about the number of confident links beyond the
first case. Candidates are ranked by evidence, so four cases each linked at 0.9 (evidence 2.6)
rank above a pair at 0.99 (evidence 0.98).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: How a feature reads in a reason, given its value (None: leave it out of reasons).
_LOW_IS_STRONG = {"dist_km", "days_apart", "hour_diff", "age_diff"}


def describe_pair(row: pd.Series, contributions: pd.Series | None = None, limit: int = 5) -> str:
    """One line saying why two records were linked, strongest evidence first.

    ``row``: a pair's features (see :data:`threadline.link.features.FEATURES`) and ``shared_labels`` /
    ``shared_things``; ``contributions``: the pair model's log-odds contribution of each feature.
    """
    parts: list[tuple[float, str]] = []

    def add(feature: str, text: str) -> None:
        weight = float(contributions.get(feature, 0.0)) if contributions is not None else 1.0
        if contributions is None or weight > 0.05:
            parts.append((weight, text))

    labels = row.get("shared_labels")
    if isinstance(labels, str) and labels:
        shared = "; ".join(dict.fromkeys(labels.split("; ")))
        weight = max((float(contributions.get(f, 0.0)) for f in
                      ("shared_person", "shared_professional", "shared_identifier", "shared_premises"))
                     if contributions is not None else [1.0])
        parts.append((max(weight, 0.06), f"same {shared}"))
    things = row.get("shared_things")
    if isinstance(things, str) and things:
        weight = max(float(contributions.get(f, 0.0)) for f in ("vehicle_sim", "batch_sim")) \
            if contributions is not None else 1.0
        parts.append((max(weight, 0.06), things))
    if _known(row, "dist_km"):
        d = row["dist_km"]
        add("dist_km", f"{d * 1000:.0f} m apart" if d < 1 else f"{d:.1f} km apart")
    if _known(row, "days_apart"):
        days = row["days_apart"]
        add("days_apart", "same day" if days < 1 else f"{days:.0f} days apart")
    if _known(row, "hour_diff") and row["hour_diff"] <= 2:
        add("hour_diff", "same time of day" if row["hour_diff"] < 1 else f"{row['hour_diff']:.0f} h apart in the day")
    for feature, word in (("same_method", "method"), ("same_circumstance", "circumstance"),
                          ("same_location_type", "kind of place"), ("same_relationship", "relationship")):
        if _known(row, feature) and row[feature] == 1:
            value = row.get(feature.replace("same_", "") + "_a")
            add(feature, f"both {value}" if isinstance(value, str) else f"same {word}")
    if _known(row, "substance_sim") and row["substance_sim"] > 0:
        sub = row.get("substance_a")
        add("substance_sim", f"both {sub}" if isinstance(sub, str) and row["substance_sim"] == 1 else
            f"substances {row['substance_sim']:.0%} alike")
    if _known(row, "age_diff") and row["age_diff"] <= 5:
        add("age_diff", f"victims' ages {row['age_diff']:.0f} years apart")
    if _known(row, "narrative_sim") and row["narrative_sim"] >= 0.15:
        add("narrative_sim", f"narratives {row['narrative_sim']:.2f} similar")
    if _known(row, "flags_sim") and row["flags_sim"] > 0:
        add("flags_sim", "flags in common")
    parts.sort(key=lambda p: -p[0])
    return "; ".join(text for _, text in parts[:limit])


def _known(row: pd.Series, key: str) -> bool:
    value = row.get(key)
    return value is not None and value == value


def group(pairs: pd.DataFrame, *, link_at: float = 0.5, max_size: int = 40, step: float = 0.05) -> pd.DataFrame:
    """Candidate series from scored pairs (columns ``a``, ``b``, ``score``).

    Returns one row per (series, member): ``series_no`` (0, 1, ... in rank order), ``case_id``,
    ``strength`` (its strongest link inside the series), ``partner`` (the case of that link) and the
    series' ``score``, ``evidence`` and ``n_members``.
    """
    strong = pairs[pairs["score"] >= link_at]
    if strong.empty:
        return pd.DataFrame(columns=["series_no", "case_id", "strength", "partner", "score", "evidence", "n_members"])
    components = [(members, edges) for members, edges in _components(strong, link_at, max_size, step)
                  if len(members) >= 2]
    out = []
    for series_no, (members, edges) in enumerate(components):
        both = pd.concat([edges.rename(columns={"a": "case_id", "b": "partner"}),
                          edges.rename(columns={"b": "case_id", "a": "partner"})], ignore_index=True)
        best = both.sort_values("score", ascending=False).drop_duplicates("case_id")
        best = best[best["case_id"].isin(members)]
        strength = best["score"].to_numpy()
        out.extend((series_no, case, s, partner, float(strength.mean()), float(strength.sum() - 1), len(best))
                   for case, partner, s in zip(best["case_id"], best["partner"], strength, strict=True))
    frame = pd.DataFrame(out, columns=["series_no", "case_id", "strength", "partner", "score", "evidence",
                                       "n_members"])
    order = frame.drop_duplicates("series_no").sort_values(["evidence", "score"], ascending=False)["series_no"]
    renumber = {old: new for new, old in enumerate(order)}
    frame["series_no"] = frame["series_no"].map(renumber)
    return frame.sort_values(["series_no", "strength"], ascending=[True, False]).reset_index(drop=True)


def _components(edges: pd.DataFrame, threshold: float, max_size: int, step: float):
    """Connected components of the graph of ``edges``; too-large ones split at a higher threshold."""
    ids = pd.Index(pd.unique(np.concatenate([edges["a"].to_numpy(), edges["b"].to_numpy()])))
    i, j = ids.get_indexer(edges["a"]), ids.get_indexer(edges["b"])
    graph = coo_matrix((np.ones(len(edges)), (i, j)), shape=(len(ids), len(ids)))
    n, labels = connected_components(graph, directed=False)
    for label in range(n):
        members = set(ids[labels == label])
        inner = edges[edges["a"].isin(members) & edges["b"].isin(members)]
        if len(members) > max_size and threshold + step < 1.0:
            yield from _components(inner[inner["score"] >= threshold + step], threshold + step, max_size, step)
        else:
            yield members, inner
