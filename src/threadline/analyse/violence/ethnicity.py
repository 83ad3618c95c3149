"""The two ways police record ethnicity, and one five-group scale to compare them on.

Self-defined ethnicity (``reference/ethnicity-18plus1.csv``) is the "18+1" list: the 18 categories
of the ONS 2011 Census for England and Wales plus ``NS`` (not stated), the codes the Home Office asks
for in the Annual Data Requirement (stop and search) and the Criminal Justice System Exchange Data
Standards Catalogue. It replaced the 2001 "16+1" list by adding ``W3`` (Gypsy or Irish Traveller) and
``O2`` (Arab), and moving Chinese from ``O1`` to ``A4`` in the Asian group; ``O1`` is therefore not an
18+1 code. Black Caribbean is ``B1`` and Black African ``B2``, the order kept from the 2001 list.
Self-definition in policing follows Recommendation 61 of the Stephen Lawrence Inquiry (Macpherson
1999) and the ACPO "Guide to Self-Defined Ethnicity and Descriptive Monitoring" (2002).

Officer-observed ethnicity (``reference/ethnicity-observed.csv``) is the Identity Code (IC) list
officers use to describe a person they see: IC1 White - North European, IC2 White - South European,
IC3 Black, IC4 Asian, IC5 Chinese, Japanese or other South East Asian, IC6 Arab or North African and
IC9 Unknown.

Both map to the five 2011 Census groups (``asian``, ``black``, ``mixed``, ``white``, ``other``) as
the Home Office and the ONS harmonise them: Chinese is Asian and Arab is Other (ONS, "Ethnic group,
national identity and religion: measuring equality", the harmonised standard for the 2011 Census).
Two mappings are approximations and must be read as such: IC5 (Chinese, Japanese or other South
East Asian) goes to Asian, as the 2011 Census puts Chinese there, though the Census Asian group is
mostly South Asian; and IC6 (Arab or North African) goes to Other, where the Census puts Arab.
There is no IC code for Mixed, so a person who defines as Mixed can never agree with an observed
code: the Home Office's "Police powers and procedures" statistics warn that officer-defined and
self-defined ethnicity differ, most of all for people of Mixed ethnicity. ``NS`` and ``IC9`` map to ``not_stated``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pandas as pd

#: The five groups, in the order the Home Office publishes them, and the not-stated level.
GROUP5 = ("asian", "black", "mixed", "white", "other")
NOT_STATED = "not_stated"

_TABLES = {"self_defined": "ethnicity-18plus1.csv", "observed": "ethnicity-observed.csv"}


@cache
def _load(kind: str) -> pd.DataFrame:
    if kind not in _TABLES:
        raise ValueError(f"kind must be 'self_defined' or 'observed', not {kind!r}")
    with (files("threadline") / "reference" / _TABLES[kind]).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def self_defined_codes() -> pd.DataFrame:
    """The 18+1 self-defined ethnicity codes: ``code``, ``label`` (2011 Census wording), ``group5``."""
    return _load("self_defined").copy()


def observed_codes() -> pd.DataFrame:
    """The officer-observed IC codes: ``code``, ``label``, ``group5``."""
    return _load("observed").copy()


def _clean(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return str(value).strip().upper() or None


def to_group5(codes: pd.Series, kind: str = "self_defined") -> pd.Series:
    """Map ethnicity codes to the five 2011 Census groups (or ``not_stated`` for NS and IC9).

    Codes are matched after trimming spaces and upper-casing. Missing values and empty strings give
    a missing group (not recorded, which is different from ``not_stated``). Any other code that is
    not on the list raises :class:`ValueError` naming it: a code this module does not know is a
    mapping to fix, not a row to drop quietly.
    """
    table = _load(kind)
    mapping = dict(zip(table["code"], table["group5"], strict=True))
    s = pd.Series(codes, copy=False)
    cleaned = s.astype("object").map(_clean)
    unknown = sorted({v for v in cleaned if v is not None and v not in mapping})
    if unknown:
        raise ValueError(f"unknown {kind.replace('_', '-')} ethnicity code(s): {', '.join(unknown)}")
    return cleaned.map(lambda v: None if v is None else mapping[v]).astype("object").rename(s.name)
