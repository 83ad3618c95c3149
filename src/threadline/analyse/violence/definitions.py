"""What counts as serious violence, as youth, and as a case eligible for outcome 22.

The definitions ship as ``threadline/reference/serious-violence.yaml``, whose header cites the
sources (Home Office Serious Violence Strategy 2018; Serious Violence Duty statutory guidance 2022;
Home Office Counting Rules; Youth Justice Board age range). A partnership that defines serious
violence differently passes its own copy (``--definitions FILE``); :func:`load` checks it.

Everything here is a pure function of columns the register holds, so the synthetic force
(:mod:`threadline.synth.violence`) plants its truth with the same rules the analyses count with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from threadline import vocab
from threadline.errors import InputError

#: The Home Office outcome types that reach each justice stage by default.
STAGES = ("suspect", "arrested", "charged", "out_of_court", "outcome_22")


@dataclass(frozen=True)
class Category:
    """One kind of serious violence, selected by offence code, register type or marker."""

    name: str
    label: str
    ho_offence_codes: frozenset[str] = frozenset()
    incident_types: frozenset[str] = frozenset()
    case_categories: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    flagged_incident_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Definitions:
    """The loaded definitions; see ``serious-violence.yaml`` for the meaning of each part."""

    categories: tuple[Category, ...]
    youth_min_age: int = 10
    youth_max_age: int = 24
    bands: dict[str, tuple[int, int]] = field(default_factory=dict)
    o22_max_age: int = 17
    o22_max_severity: float = 200.0
    o22_prior_outcomes: frozenset[int] = frozenset({1, 2, 3, 6, 7, 8, 22})
    stage_outcomes: dict[str, frozenset[int]] = field(default_factory=dict)
    source: str = "serious-violence.yaml"

    def with_youth(self, min_age: int | None = None, max_age: int | None = None) -> Definitions:
        """The same definitions with another youth age range (e.g. 10-17 for the YJB's children)."""
        lo = self.youth_min_age if min_age is None else int(min_age)
        hi = self.youth_max_age if max_age is None else int(max_age)
        if not 0 <= lo <= hi <= 120:
            raise InputError(f"youth ages must satisfy 0 <= min <= max <= 120, not {lo}-{hi}")
        return Definitions(**{**self.__dict__, "youth_min_age": lo, "youth_max_age": hi})

    @property
    def youth_label(self) -> str:
        return f"aged {self.youth_min_age}-{self.youth_max_age}"


def _as_set(value, name: str, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise InputError(f"{where}: {name} must be a list")
    return frozenset(str(v) for v in value)


def load(path: Path | str | None = None) -> Definitions:
    """Read the definitions (the shipped file when ``path`` is None), checking every value."""
    if path is None:
        text = (files("threadline") / "reference" / "serious-violence.yaml").read_text("utf-8")
        where = "serious-violence.yaml (shipped)"
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: no such definitions file")
        text, where = p.read_text(encoding="utf-8"), str(p)
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not valid YAML ({exc})") from None
    cats = []
    for name, spec in (doc.get("categories") or {}).items():
        spec = spec or {}
        itypes = _as_set(spec.get("incident_types"), "incident_types", where)
        flagged = _as_set(spec.get("flagged_incident_types"), "flagged_incident_types", where)
        unknown = (itypes | flagged) - set(vocab.INCIDENT_TYPES)
        if unknown:
            raise InputError(f"{where}: category {name}: unknown incident type(s) {', '.join(sorted(unknown))}")
        ccats = _as_set(spec.get("case_categories"), "case_categories", where)
        if ccats - set(vocab.CATEGORIES):
            bad = sorted(ccats - set(vocab.CATEGORIES))
            raise InputError(f"{where}: category {name}: unknown case categories {bad}")
        flags = _as_set(spec.get("flags"), "flags", where)
        if flags - set(vocab.FLAGS):
            raise InputError(f"{where}: category {name}: unknown flags {sorted(flags - set(vocab.FLAGS))}")
        cats.append(Category(name=str(name), label=str(spec.get("label", name)),
                             ho_offence_codes=_as_set(spec.get("ho_offence_codes"), "ho_offence_codes", where),
                             incident_types=itypes, case_categories=ccats, flags=flags,
                             flagged_incident_types=flagged))
    if not cats:
        raise InputError(f"{where}: no categories of serious violence defined")
    known = offence_codes()
    for cat in cats:
        unknown_codes = sorted(c for c in cat.ho_offence_codes if c.upper() not in known)
        if unknown_codes:
            raise InputError(f"{where}: category {cat.name}: {', '.join(unknown_codes)} not in the Home Office "
                             "offence code list (reference/ho-offence-codes.csv)")
    youth = doc.get("youth") or {}
    bands = {str(k): (int(v[0]), int(v[1])) for k, v in (youth.get("bands") or {}).items()}
    o22 = doc.get("outcome22") or {}
    stages = {str(k): frozenset(int(c) for c in v) for k, v in (doc.get("justice_stages") or {}).items()}
    try:
        d = Definitions(
            categories=tuple(cats), bands=bands,
            youth_min_age=int(youth.get("min_age", 10)), youth_max_age=int(youth.get("max_age", 24)),
            o22_max_age=int(o22.get("max_age", 17)), o22_max_severity=float(o22.get("max_severity", 200)),
            o22_prior_outcomes=frozenset(int(c) for c in o22.get("prior_outcomes", [1, 2, 3, 6, 7, 8, 22])),
            stage_outcomes=stages, source=where)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}") from None
    return d.with_youth()


def offence_codes() -> frozenset[str]:
    """The Home Office offence codes (upper case) of the shipped code list, and the single codes of its
    combined rows (the homicide row is ``1-4.1-4.10-4.2``)."""
    import csv

    with (files("threadline") / "reference" / "ho-offence-codes.csv").open("r", encoding="utf-8") as fh:
        codes = {r["offence_code"].upper() for r in csv.DictReader(fh) if r["is_leaf"] == "True"}
    return frozenset(codes | {part for c in codes if "-" in c and c[0].isdigit() for part in c.split("-")})


def incident_categories(incidents: pd.DataFrame, defs: Definitions) -> pd.Series:
    """The serious violence category of each incident ('' when it is not serious violence).

    ``incidents`` needs ``incident_type``; ``ho_offence_code`` and ``flags`` (``;``-separated) are
    used when present. The first category (in the file's order) that matches wins, so a knife
    robbery counts once, as robbery.
    """
    n = len(incidents)
    itype = incidents["incident_type"].fillna("").astype(str).to_numpy()
    code = (incidents["ho_offence_code"] if "ho_offence_code" in incidents else pd.Series([""] * n))
    code = code.fillna("").astype(str).str.strip().str.upper().to_numpy()
    flags = (incidents["flags"] if "flags" in incidents else pd.Series([""] * n)).fillna("").astype(str)
    flag_sets = [set(f.split(";")) if f else set() for f in flags]
    out = np.full(n, "", dtype=object)
    for cat in defs.categories:
        codes = {c.upper() for c in cat.ho_offence_codes}
        hit = np.isin(itype, list(cat.incident_types)) | np.isin(code, list(codes))
        if cat.flags:
            flagged = np.array([bool(s & cat.flags) for s in flag_sets], dtype=bool)
            hit |= flagged & np.isin(itype, list(cat.flagged_incident_types))
        out[(out == "") & hit] = cat.name
    return pd.Series(out, index=incidents.index, name="sv_category")


def case_categories(cases: pd.DataFrame, defs: Definitions) -> pd.Series:
    """The serious violence category of each death investigation ('' when none applies)."""
    cat_col = cases["category"].fillna("").astype(str).to_numpy()
    out = np.full(len(cases), "", dtype=object)
    for cat in defs.categories:
        if cat.case_categories:
            out[(out == "") & np.isin(cat_col, list(cat.case_categories))] = cat.name
    return pd.Series(out, index=cases.index, name="sv_category")


def age_at(dob: pd.Series, at: pd.Series, recorded: pd.Series | None = None) -> pd.Series:
    """Whole years between date of birth and ``at``; the recorded age where the birth date is missing."""
    d = pd.to_datetime(dob, errors="coerce")
    t = pd.to_datetime(at, errors="coerce")
    years = t.dt.year - d.dt.year - ((t.dt.month < d.dt.month) | ((t.dt.month == d.dt.month) & (t.dt.day < d.dt.day)))
    if recorded is not None:
        years = years.where(d.notna(), pd.to_numeric(recorded, errors="coerce"))
    return years.astype("Float64")


def is_youth(age: pd.Series, defs: Definitions) -> pd.Series:
    """True where the age lies in the youth range (missing ages are not youth)."""
    a = pd.to_numeric(age, errors="coerce")
    return ((a >= defs.youth_min_age) & (a <= defs.youth_max_age)).fillna(False).astype(bool)


def outcome22_eligible(rows: pd.DataFrame, defs: Definitions) -> pd.Series:
    """Which suspect-incident rows look eligible for outcome 22.

    ``rows``: one row per suspect on an incident, with ``person_id``, ``occurred_at``, ``age``,
    ``severity`` (Crime Severity Score weight) and ``outcome_code``. Eligible: aged at most
    ``o22_max_age``, severity at most ``o22_max_severity`` (a missing severity is not eligible), and
    no earlier incident of the same person (strictly earlier ``occurred_at``) with an outcome in
    ``o22_prior_outcomes``. Returns a boolean Series aligned with ``rows``.
    """
    if rows.empty:
        return pd.Series([], dtype=bool, index=rows.index)
    t = pd.to_datetime(rows["occurred_at"])
    age = pd.to_numeric(rows["age"], errors="coerce")
    sev = pd.to_numeric(rows["severity"], errors="coerce")
    code = pd.to_numeric(rows["outcome_code"], errors="coerce")
    formal = code.isin(list(defs.o22_prior_outcomes))
    # First time each person had a formal outcome; an incident is "prior-free" if it happened no
    # later than that (the incident that itself got the outcome is still eligible).
    first_formal = t.where(formal).groupby(rows["person_id"]).transform("min")
    prior_free = first_formal.isna() | (t <= first_formal)
    ok = (age <= defs.o22_max_age) & (sev <= defs.o22_max_severity) & prior_free
    return ok.fillna(False).astype(bool)
