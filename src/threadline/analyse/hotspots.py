"""Hot spots: Getis-Ord Gi* on area rates.

For each area (LSOA), Gi* compares the rate in the area and its ``k`` nearest neighbours with the
rate across all areas (Getis and Ord 1992, "The analysis of spatial association by use of
distance statistics", Geographical Analysis 24(3); Ord and Getis 1995, Geographical Analysis
27(4)), computed by PySAL's :class:`esda.getisord.G_Local` with ``star=True`` and a conditional
permutation pseudo p-value. Neighbours are the ``k`` nearest area centroids (libpysal ``KNN``),
which suits LSOAs: they are drawn to hold similar populations, so their density follows people.

Inference is exact for counts: the Gi* neighbourhood's count is compared with a Poisson of mean
the force rate times the neighbourhood's residents (a fixed-window local cluster test in the
manner of Besag and Newell 1991, JRSS A 154(1)), because the normal approximation and esda's
folded permutation p-values both fail on sparse maps where most areas have no case.
Many areas are tested, so an area is called a hot spot only when that p-value passes
Benjamini-Hochberg at :data:`FDR` across all areas (a correction recommended for local statistics
by Caldas de Castro and Singer 2006, Geographical Analysis 38(2)), its Gi* z-score is at least
:data:`Z_MIN` (1.96), and its own count is at least 1. The permutation pseudo p-value is kept
(``p_sim``) for reference.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse import identity as sparse_identity

from threadline.analyse.trends import benjamini_hochberg

FDR = 0.05
Z_MIN = 1.96
K_NEIGHBOURS = 8
PERMUTATIONS = 99


@dataclass
class HotspotResult:
    """Per-area Gi* results: a frame with ``area, count, population, rate, z, p, hot, cold``."""

    table: pd.DataFrame
    k: int
    permutations: int
    fdr: float

    @property
    def hot(self) -> pd.DataFrame:
        return self.table[self.table["hot"]].sort_values("z", ascending=False)


def getis_ord_hotspots(areas: pd.DataFrame, *, k: int = K_NEIGHBOURS, permutations: int = PERMUTATIONS,
                       seed: int = 12345, fdr: float = FDR) -> HotspotResult:
    """Gi* hot spots of ``count / population`` over ``areas``.

    Parameters
    ----------
    areas: one row per area with columns ``area``, ``latitude``, ``longitude``, ``count``,
        ``population`` (areas with no events must be included, with count 0).
    """
    from esda.getisord import G_Local
    from libpysal.weights import KNN

    frame = areas.reset_index(drop=True).copy()
    frame = frame[frame["population"] > 0].reset_index(drop=True)
    frame["rate"] = frame["count"] / frame["population"] * 100_000
    n = len(frame)
    if n <= k or frame["count"].sum() == 0:
        frame["z"], frame["p"], frame["hot"], frame["cold"] = 0.0, 1.0, False, False
        return HotspotResult(frame, k, permutations, fdr)
    # Project to a local flat plane (km) so that "nearest" is by distance on the ground.
    lat0 = np.deg2rad(frame["latitude"].mean())
    xy = np.column_stack([frame["longitude"] * 111.32 * np.cos(lat0), frame["latitude"] * 110.57])
    with warnings.catch_warnings():
        # Forces far apart (a collaboration report) give a k-nearest-neighbour graph in several pieces.
        # That is expected and harmless here: each area's neighbourhood is its own k nearest areas,
        # whatever piece it is in, so libpysal's "not fully connected" warning is not for the reader.
        warnings.filterwarnings("ignore", message=".*not fully connected.*")
        w = KNN.from_array(xy, k=k)
        w.transform = "B"
        # Binary weights, as Getis and Ord define Gi*: G_Local row-standardises unless told otherwise.
        g = G_Local(frame["rate"].to_numpy(dtype=float), w, transform="B", star=True, permutations=permutations,
                    seed=seed)
    frame["z"] = np.asarray(g.Zs, dtype=float)
    # Inference for counts: Gi* is the neighbourhood's share of the total, so under no clustering
    # the neighbourhood's count (the area and its k neighbours) is Poisson with mean the force's
    # rate times the neighbourhood's residents. Its exact tail is the p-value. Neither the normal
    # approximation (a single case among empty neighbours gets a huge z on a sparse map) nor
    # esda's folded permutation p_sim (which ties at its minimum for empty areas) is valid for
    # sparse counts.
    hood = w.sparse + sparse_identity(n)
    observed = hood @ frame["count"].to_numpy(dtype=float)
    expected = hood @ frame["population"].to_numpy(dtype=float) * frame["count"].sum() / frame["population"].sum()
    frame["hood_count"], frame["hood_expected"] = observed, expected
    frame["p"] = stats.poisson.sf(observed - 1, expected)
    frame["p_cold"] = stats.poisson.cdf(observed, expected)
    frame["p_sim"] = np.asarray(g.p_sim, dtype=float) if permutations else np.nan
    hot = benjamini_hochberg(frame["p"].to_numpy(), fdr)
    cold = benjamini_hochberg(frame["p_cold"].to_numpy(), fdr)
    frame["hot"] = hot & (frame["z"] >= Z_MIN) & (frame["count"] > 0)
    frame["cold"] = cold & (frame["z"] <= -Z_MIN)
    return HotspotResult(frame, k, permutations, fdr)
