"""Evaluating a programme on the register: ``threadline evaluate``.

Reads a participants file (``person_id, start_date`` and optionally ``programme``), builds the
cohort from the register (:func:`evaluation.build_cohort`: participants at their start date,
comparison people at each start month where they were a recent suspect), matches, and estimates the
effect on the outcome in the follow-up window with the statistics of :mod:`evaluation`.

Outcomes: ``serious_violence`` (suspected of a serious violence incident, per :mod:`definitions`)
and ``any_offence`` (suspected of any incident).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from threadline.analyse.violence import definitions as D
from threadline.analyse.violence import evaluation, register
from threadline.errors import InputError
from threadline.workspace import Workspace

OUTCOMES = ("serious_violence", "any_offence")
#: Coarsened exact matching bins (cut points; ``[1, 2]`` gives 0, 1, 2 or more) for the register's
#: covariates: two-year age bands, and recorded history banded as a referral panel would read it
#: ("none, one, several"). Iacus, King and Porro (2012) advise bins a subject expert would call
#: equivalent; the synthetic force's referral rule uses these bands, so its truth is recoverable.
CEM_BINS: dict[str, list | None] = {
    "age": [14, 16, 18, 20, 22, 24],
    "sex": None,
    "prior_sv_12m": [1, 2],
    "prior_any_24m": [2, 3, 4, 5],
    "prior_victim_24m": [1, 2],
}


def read_participants(path: Path | str) -> pd.DataFrame:
    """The participants file, checked row by row: a bad row is an error naming the row and field."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such participants file", file=p)
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; save it as CSV UTF-8", file=p) from None
    if not rows:
        raise InputError("no participants in the file", file=p)
    missing = {"person_id", "start_date"} - set(rows[0])
    if missing:
        raise InputError(f"missing column(s) {', '.join(sorted(missing))}; the header must include "
                         "person_id,start_date", file=p, row=1)
    out, seen = [], set()
    for i, r in enumerate(rows, start=2):
        pid = (r.get("person_id") or "").strip()
        if not pid:
            raise InputError("empty person_id", file=p, row=i, field="person_id")
        if pid in seen:
            raise InputError(f"person {pid} is listed twice; give each participant once, with their first start",
                             file=p, row=i, field="person_id")
        seen.add(pid)
        try:
            start = pd.Timestamp((r.get("start_date") or "").strip())
        except (ValueError, TypeError):
            start = pd.NaT
        if pd.isna(start):
            raise InputError(f"start_date {r.get('start_date')!r} is not a date like 2023-04-01", file=p, row=i,
                             field="start_date")
        out.append({"person_id": pid, "start_date": start.normalize(),
                    "programme": (r.get("programme") or "").strip()})
    return pd.DataFrame(out)


def evaluate_programme(ws: Workspace, participants: Path | str, *, outcome: str = "serious_violence",
                       follow_up: int = 12, method: str = "cem", definitions: str | None = None,
                       seed: int = 0) -> evaluation.EvaluationResult:
    """Evaluate the programme whose participants are listed in ``participants``."""
    if outcome not in OUTCOMES:
        raise InputError(f"--outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if method not in ("cem", "psm"):
        raise InputError(f"--method must be cem or psm, not {method!r}")
    if not 1 <= int(follow_up) <= 60:
        raise InputError(f"--follow-up must be 1 to 60 months, not {follow_up}")
    part = read_participants(participants)
    defs = D.load(definitions)
    events, persons = register.person_events(ws.con, defs)
    if outcome == "any_offence":
        events = events.assign(serious_violence=True)
    unknown = sorted(set(part["person_id"]) - set(persons["person_id"]))
    if unknown:
        raise InputError(f"{len(unknown)} participant(s) are not in the register's persons: "
                         f"{', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}", file=participants)
    cohort = evaluation.build_cohort(events, persons, part[["person_id", "start_date"]],
                                     follow_up_months=int(follow_up))
    if not cohort["treated"].any():
        raise InputError(f"no participant has a full {follow_up}-month follow-up in the register (its last "
                         f"record is {cohort.attrs.get('last_event_date')})", file=participants)
    # The comparison pool is people the programme could have taken: the participants' age range, and
    # not a victim or suspect of a death investigation or near miss (dead, gravely hurt or in custody).
    ages = cohort.loc[cohort["treated"], "age"]
    attrs = dict(cohort.attrs)
    could = cohort["age"].between(ages.min(), ages.max()) & ~cohort["person_id"].isin(register.case_people(ws.con))
    cohort = cohort[cohort["treated"] | could].reset_index(drop=True)
    cohort.attrs.update(attrs)
    result = evaluation.evaluate(cohort, method=method, seed=seed, bins=CEM_BINS if method == "cem" else None)
    result.counts.setdefault("programme", next((p for p in part["programme"] if p), "the programme"))
    return result
