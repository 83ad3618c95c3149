"""The gravity of an incident: ONS Crime Severity Score weights.

The Crime Severity Score (Office for National Statistics, "Research outputs: developing a Crime
Severity Score for England and Wales using data on crimes recorded by the police", 2016) weights
each offence by the average number of days in custody its sentences carry, counting non-custodial
sentences by equivalent days: homicide 7,973, wounding with intent 2,035, threats to kill 275,
assault with injury 189, stalking 56, assault without injury 13.5. It is the gravity (G) of the
RFGV score used by multi-agency tasking and coordination (MATAC) of domestic abuse perpetrators,
where a published severity scale replaces a local points table.

An incident's gravity is, in order:

1. the weight recorded with it (``incidents.severity``, e.g. a force's own CSS lookup);
2. the weight of its Home Office offence code (``ho_offence_code``) in the shipped table
   ``reference/crime-severity-score-weights.csv`` (134 offences);
3. the weight of the offence its register incident type maps to,
   ``reference/incident-type-severity.csv``, which gives the basis of each mapping;
4. none (0): anti-social behaviour, missing person, concern for welfare are not notifiable crimes.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

CSS_FILE = "crime-severity-score-weights.csv"
TYPE_FILE = "incident-type-severity.csv"

#: The Home Office offence groups (``prc_offence_group``) counted as violence for the people list:
#: violence against the person (which holds stalking, harassment and threats to kill), sexual
#: offences, robbery and possession of weapons, the groups the issue's precursors (threats,
#: stalking, weapon possession, domestic abuse) fall in. Theft, burglary, drugs, criminal damage
#: and public order are not, unless flagged domestic.
VIOLENCE_GROUPS = ("violence against the person", "sexual offences", "robbery", "possession of weapons offences")

#: How an incident got its gravity (the ``gravity_basis`` column).
BASES = ("recorded", "offence_code", "incident_type", "none")


@lru_cache(maxsize=1)
def _css_table() -> pd.DataFrame:
    """The shipped CSS table, read once, indexed by Home Office offence code."""
    with (files("threadline") / "reference" / CSS_FILE).open("rb") as fh:
        table = pd.read_csv(fh, dtype={"ho_offence_code": str, "prc_offence_group": str})
    return table.set_index(table["ho_offence_code"].str.strip())


def css_weights() -> pd.Series:
    """Crime Severity Score weight by Home Office offence code (134 offences), as floats."""
    return _css_table()["css_weight"].astype(float).rename("css_weight")


@lru_cache(maxsize=1)
def type_table() -> pd.DataFrame:
    """Register incident type -> Home Office offence code, weight and the basis of the mapping."""
    with (files("threadline") / "reference" / TYPE_FILE).open("rb") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    weights = css_weights()
    table["css_weight"] = [float(weights.get(c, np.nan)) if c else 0.0 for c in table["ho_offence_code"]]
    return table.set_index("incident_type")


def offence_groups() -> pd.Series:
    """Home Office offence group by offence code (the CSS table's ``prc_offence_group``)."""
    return _css_table()["prc_offence_group"].str.strip()


def violent(incidents: pd.DataFrame) -> pd.Series:
    """Whether each incident is violence (:data:`VIOLENCE_GROUPS`): by its Home Office offence code
    when it has one in the table, else by the code its incident type maps to, or when it is marked
    domestic (a ``domestic`` column, if given)."""
    code = incidents.get("ho_offence_code", pd.Series(None, index=incidents.index, dtype=object))
    code = code.astype("string").str.strip()
    by_type = incidents["incident_type"].map(type_table()["ho_offence_code"])
    code = code.where(code.isin(offence_groups().index), by_type)
    out = code.map(offence_groups()).isin(VIOLENCE_GROUPS)
    if "domestic" in incidents:
        out = out | incidents["domestic"].fillna(False).astype(bool)
    return out.astype(bool)


def gravity(incidents: pd.DataFrame) -> pd.DataFrame:
    """Gravity of each incident and where it came from.

    ``incidents`` has ``incident_type`` and optionally ``severity`` and ``ho_offence_code``.
    Returns a frame aligned with it: ``gravity`` (float, 0 when none) and ``gravity_basis`` (one of
    :data:`BASES`).
    """
    n = len(incidents)
    recorded = pd.to_numeric(incidents.get("severity", pd.Series(np.nan, index=incidents.index)), errors="coerce")
    code = incidents.get("ho_offence_code", pd.Series(None, index=incidents.index, dtype=object))
    by_code = code.astype("string").str.strip().map(css_weights()).astype(float)
    by_type = incidents["incident_type"].map(type_table()["css_weight"]).astype(float)
    out = pd.DataFrame({"gravity": np.zeros(n), "gravity_basis": np.full(n, "none", dtype=object)},
                       index=incidents.index)
    for basis, values in (("incident_type", by_type), ("offence_code", by_code), ("recorded", recorded)):
        use = values.notna() & (values > 0)
        out.loc[use, "gravity"] = values[use]
        out.loc[use, "gravity_basis"] = basis
    return out
