"""Reconciling the homicide return with the register: every case reported in the period, by category
and status, in the register and in the return, with the difference explained.

The Homicide Index holds homicides only (murder, manslaughter, infanticide; Home Office Counting Rules
for recorded crime, homicide, classification 1), counted in the period police recorded them (ONS,
*Homicide in England and Wales*, user guide), so every other category of death investigation in the
register is excluded with its reason, and every homicide reported in the period should be in the return.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from threadline.returns.layout import RECONCILIATION_COLUMNS, RETURN_CATEGORIES

#: Why each category of the register is not in the return.
EXCLUDED_BECAUSE: dict[str, str] = {
    "attempted_homicide": "excluded: attempted murder is a separate offence (Counting Rules, classification 2), "
    "not a homicide in the Index",
    "suspicious_death": "excluded: not recorded as a homicide (yet); it enters the return when reclassified",
    "unexplained_death": "excluded: not recorded as a homicide",
    "drug_related_death": "excluded: not recorded as a homicide",
    "suicide": "excluded: not a homicide",
    "fatal_collision": "excluded: road deaths (causing death by driving) are not homicides in the Index",
    "other_death": "excluded: not recorded as a homicide",
}
NOT_RECORDED = "(not recorded)"


def _register_counts(con, start: date, end: date) -> pd.DataFrame:
    return con.execute(
        """SELECT category, coalesce(status, ?) AS status, list(case_id ORDER BY case_id) AS case_ids
           FROM cases WHERE reported_at >= ?::TIMESTAMP AND reported_at < ?::TIMESTAMP
           GROUP BY ALL ORDER BY category, status""",
        [NOT_RECORDED, start, end],
    ).df()


def reconcile(con, start: date, end: date, rows: pd.DataFrame) -> pd.DataFrame:
    """Counts by category and status in the register (cases reported in [start, end)) against the
    return ``rows``, with the difference and its explanation; a last row ``all``/``all`` totals them.

    A homicide in the register that is not in the return (or a return row that is not a homicide of
    the register in the period, e.g. rows built for another period) is named in the explanation.
    """
    con = getattr(con, "con", con)
    register = _register_counts(con, start, end)
    in_return = {str(c) for c in rows["case_id"]} if len(rows) else set()
    seen: set[str] = set()
    out = []
    for r in register.to_dict("records"):
        ids = [str(c) for c in r["case_ids"]]
        n_return = sum(1 for c in ids if c in in_return)
        seen.update(c for c in ids if c in in_return)
        if r["category"] in RETURN_CATEGORIES:
            missing = [c for c in ids if c not in in_return]
            why = (
                "all in the return"
                if not missing
                else (
                    f"{len(missing)} not in the return: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
                )
            )
        else:
            why = EXCLUDED_BECAUSE.get(r["category"], "excluded: not a homicide")
        out.append(
            {
                "category": r["category"],
                "status": r["status"],
                "in_register": len(ids),
                "in_return": n_return,
                "difference": len(ids) - n_return,
                "explanation": why,
            }
        )
    extra = sorted(in_return - seen)
    if extra:
        out.append(
            {
                "category": "(not a register homicide in the period)",
                "status": "",
                "in_register": 0,
                "in_return": len(extra),
                "difference": -len(extra),
                "explanation": f"in the return but not a homicide reported in the period: "
                f"{', '.join(extra[:10])}{' ...' if len(extra) > 10 else ''}",
            }
        )
    total_reg = sum(r["in_register"] for r in out)
    total_ret = sum(r["in_return"] for r in out)
    excluded = sum(r["in_register"] for r in out if r["category"] not in RETURN_CATEGORIES)
    out.append(
        {
            "category": "all",
            "status": "all",
            "in_register": total_reg,
            "in_return": total_ret,
            "difference": total_reg - total_ret,
            "explanation": f"{total_reg - excluded} homicide(s) reported in the period, {total_ret} in the return, "
            f"{excluded} other death investigation(s) excluded as not homicides",
        }
    )
    frame = pd.DataFrame(out, columns=list(RECONCILIATION_COLUMNS))
    for col in ("in_register", "in_return", "difference"):
        frame[col] = frame[col].astype("int64")
    return frame
