"""Partner data beside police data: the Cardiff Model.

The Cardiff Model for violence prevention shares anonymised emergency-department data on
assaults (where, when, weapon) with police and community safety partners, because many assaults
treated in hospital are never reported to police (Florence, Shepherd, Brennan and Simon 2011,
"Effectiveness of anonymised information sharing and use in health service, police, and local
government partnership for preventing violence related injury", BMJ 342:d3313; the NHS
Information Sharing to Tackle Violence (ISTV) standard).

:func:`nhs_only_hotspots` finds areas where the NHS sees more assaults than the police record
would predict: each LSOA's expected NHS count is the force's NHS total times the LSOA's share of
police-recorded violence (smoothed by residents, so an area with no police record still has an
expectation), and an LSOA is flagged when its NHS count is improbably high under a Poisson with
that expectation, with Benjamini-Hochberg control across LSOAs. Overdispersion is allowed for as
in :mod:`~threadline.analyse.trends`: the dispersion is estimated robustly (median of the squared
Pearson residuals over its expectation under a Poisson, 0.455) and, when above 1, the tail
probability comes from a negative binomial with variance ``phi * mu``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from threadline.analyse.trends import benjamini_hochberg

FDR = 0.05
#: Weight of residents against police violence in the expected share (smoothing).
RESIDENT_WEIGHT = 0.2
MIN_NHS = 3


def nhs_only_hotspots(areas: pd.DataFrame, fdr: float = FDR) -> pd.DataFrame:
    """Flag LSOAs whose NHS assault count exceeds what police-recorded violence predicts.

    Parameters
    ----------
    areas: one row per LSOA with ``lsoa_code``, ``population``, ``nhs`` (ED attendances plus
        ambulance assault call-outs located there) and ``police`` (police violence records).

    Returns the frame with ``expected_nhs``, ``ratio``, ``p`` and ``nhs_only`` added.
    """
    frame = areas.copy()
    total_nhs = frame["nhs"].sum()
    pol_share = frame["police"] / max(frame["police"].sum(), 1)
    pop_share = frame["population"] / max(frame["population"].sum(), 1)
    share = (1 - RESIDENT_WEIGHT) * pol_share + RESIDENT_WEIGHT * pop_share
    frame["expected_nhs"] = total_nhs * share
    frame["ratio"] = np.where(frame["expected_nhs"] > 0, frame["nhs"] / frame["expected_nhs"], np.nan)
    mu = frame["expected_nhs"].clip(lower=1e-9).to_numpy()
    y = frame["nhs"].to_numpy()
    pearson = (y - mu) ** 2 / mu
    phi = max(1.0, float(np.median(pearson) / 0.455)) if len(frame) else 1.0
    if phi > 1.0:
        size = mu / (phi - 1.0)
        frame["p"] = stats.nbinom.sf(y - 1, size, size / (size + mu))
    else:
        frame["p"] = stats.poisson.sf(y - 1, mu)
    frame.attrs["dispersion"] = phi
    found = benjamini_hochberg(frame["p"].to_numpy(), fdr) if len(frame) else np.zeros(0, bool)
    frame["nhs_only"] = found & (frame["nhs"] >= MIN_NHS) & (frame["ratio"] > 1)
    return frame
