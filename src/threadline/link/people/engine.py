"""Probabilistic person linkage with Splink (Fellegi-Sunter; parameters by EM).

A pure API over pandas frames: :func:`standardise` the records, :func:`settings` for the Splink
model, :func:`link` to train it (u by random sampling, m by expectation maximisation on blocking
rules, term-frequency adjustment on names), score the blocked pairs and cluster them at a
threshold. The same settings run on DuckDB (one machine) or Spark (``engine="spark"``; local[2]
here, a cluster for regional or national volumes).

Names and dates of birth never leave this module in a log line or a message: Splink's logging is
set to warnings only, errors name columns, never values, and :meth:`LinkResult.explain` returns
levels and weights, not the compared values.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from threadline.errors import InputError

#: The input frame's columns. ``uid`` is a unique string; ``source`` names the dataset a record
#: comes from (``persons``, ``partner_records``); ``date_of_birth`` is an ISO date string or None.
COLUMNS = ["uid", "source", "given_name", "family_name", "date_of_birth", "sex", "postcode"]
#: Optional input columns: a free-text address (house number and street) and a locality (suburb, town).
#: When a frame carries them they are compared too; the register itself has only postcodes.
OPTIONAL = ["address", "locality"]
MODES = ("dedupe_and_link", "dedupe_only", "link_only")
ENGINES = ("duckdb", "spark")
#: Links are accepted at or above this match probability (match weight ~ +3.2: the evidence makes a
#: match about 9 times likelier than not). On the synthetic partner data of development seeds 11-12
#: F1 is flat from 0.8 to 0.95 (0.994 / 0.993 at 0.9, precision >= 0.997); FEBRL's heavier corruption
#: would favour 0.5 (F1 0.988 vs 0.981 on FEBRL 4). 0.9 is the high-precision end: a false link merges
#: two people's histories, worse for an analyst than a missed link a reviewer can still find in the
#: review band below the threshold. See docs/person-linkage.md.
DEFAULT_THRESHOLD = 0.9
#: Every scored pair at or above this probability is returned (the review band lives above it).
PAIR_FLOOR = 0.01
#: Pairs sampled to estimate u (the chance each level is seen among non-matches).
DEFAULT_MAX_PAIRS_U = 2e6

_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


# --------------------------------------------------------------------------------------------
# standardisation
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def nickname_forms() -> dict[str, tuple[str, ...]]:
    """Lower-case given name -> the names it is a nickname of or has as nicknames (both directions)."""
    path = files("threadline").joinpath("reference", "given-name-nicknames.csv")
    with path.open("r", encoding="utf-8") as f:
        t = pd.read_csv(f, keep_default_na=False, dtype=str)
    t = t[t["relationship"] == "has_nickname"]
    out: dict[str, set[str]] = {}
    for a, b in zip(t["name1"].str.lower().str.strip(), t["name2"].str.lower().str.strip(), strict=True):
        if a and b and a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return {k: tuple(sorted(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def canonical_given_names() -> dict[str, str]:
    """Given name -> its canonical form: the longest name among it and its nickname relations.

    Ties go to the alphabetically first, so bob, bobby and robert -> robert; mike -> michael;
    liz -> elizabeth; jim -> james. The table is a relation, not a tree, so a few names land on
    different canonical forms (sam -> samantha, samuel -> samuel); the comparison's nickname level
    therefore also accepts any direct nickname relation, not only equal canonical forms.
    """
    forms = nickname_forms()
    out = {}
    for name, rel in forms.items():
        cands = sorted({name, *rel}, key=lambda s: (-len(s), s))
        out[name] = cands[0]
    return out


def _clean_name(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.lower().str.normalize("NFKD")
    s = s.str.replace(r"[^a-z' -]", "", regex=True).str.replace(r"['\-]", " ", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    return s.where(s.str.len() > 0)


def _outward(postcode: pd.Series) -> pd.Series:
    def one(p):
        if p is None or p is pd.NA:
            return None
        m = _UK_POSTCODE.match(p.upper())
        return m.group(1).lower() if m else None

    return pd.Series([one(p) for p in postcode.astype(object).where(postcode.notna(), None)],
                     index=postcode.index, dtype=object)


def check_frame(frame: pd.DataFrame) -> None:
    """Raise :class:`InputError` (one line) if the frame lacks a column or has bad uids."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"person linkage needs a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"person records lack column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    if frame["uid"].isna().any():
        raise InputError("person records have an empty uid", field="uid")
    if frame["uid"].astype(str).duplicated().any():
        raise InputError("person record uids are not unique", field="uid")


def standardise(frame: pd.DataFrame) -> pd.DataFrame:
    """The records in the model's columns: cleaned names, canonical given name, dob parts, outward code.

    Output columns: uid, source, given_name, family_name, given_canon, given_forms (the names in a
    nickname relation with the given name, a list), date_of_birth (ISO or None), dob_year,
    dob_month, dob_day, sex (male/female or None), postcode (upper case, one space), postcode_outward.
    """
    check_frame(frame)
    out = pd.DataFrame(index=frame.index)
    out["uid"] = frame["uid"].astype(str)
    out["source"] = frame["source"].astype("string").fillna("records").astype(object)
    given = _clean_name(frame["given_name"])
    family = _clean_name(frame["family_name"])
    out["given_name"] = given.astype(object).where(given.notna(), None)
    out["family_name"] = family.astype(object).where(family.notna(), None)
    canon = canonical_given_names()
    forms = nickname_forms()
    # the first word of the given name carries the nickname relation ("mary jane" -> "mary")
    first = given.str.split(" ").str[0]
    out["given_canon"] = [canon.get(g, g) if isinstance(g, str) else None for g in first.astype(object)]
    out["given_forms"] = [list(forms.get(g, ())) if isinstance(g, str) else [] for g in first.astype(object)]
    # a date of birth with a typo that makes it impossible (month 97) is still evidence: keep its text
    raw = frame["date_of_birth"].astype("string").str.strip().str[:10]
    parts = raw.str.extract(r"^(\d{4})-(\d{2})-(\d{2})$")
    ok = parts.notna().all(axis=1)
    out["date_of_birth"] = raw.astype(object).where(ok, None)
    for i, part in enumerate(("year", "month", "day")):
        out[f"dob_{part}"] = pd.to_numeric(parts[i].where(ok), errors="coerce").astype("Int64")
    sex = frame["sex"].astype("string").str.strip().str.lower().str[:1]
    out["sex"] = sex.map({"m": "male", "f": "female"}).astype(object)
    out["sex"] = out["sex"].where(out["sex"].notna(), None)
    pc = frame["postcode"].astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    pc = pc.where(pc.str.len() > 0)
    uk = pc.str.len().between(5, 7) & pc.str.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
    pc = pc.where(~uk.fillna(False), pc.str[:-3] + " " + pc.str[-3:])
    out["postcode"] = pc.astype(object).where(pc.notna(), None)
    out["postcode_outward"] = _outward(pc)
    for col in OPTIONAL:
        if col in frame.columns:
            text = frame[col].astype("string").str.lower().str.replace(r"[^a-z0-9 ]", " ", regex=True)
            text = text.str.replace(r"\s+", " ", regex=True).str.strip()
            text = text.where(text.str.len() > 0)
            out[col] = text.astype(object).where(text.notna(), None)
        else:
            out[col] = None
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# model settings
# --------------------------------------------------------------------------------------------


def _settings_creator(mode: str, with_address: bool = False):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if mode not in MODES:
        raise InputError(f"the linkage mode is one of {', '.join(MODES)}, not {mode!r}")

    def name_levels(col: str, nickname: bool) -> list:
        levels = [cll.NullLevel(col), cll.ExactMatchLevel(col, term_frequency_adjustments=True)]
        other = "family_name" if col == "given_name" else "given_name"
        levels.append(cll.CustomLevel(f"{col}_l = {other}_r", label_for_charts="Given and family names swapped"))
        if nickname:
            levels.append(cll.CustomLevel(
                "(given_canon_l = given_canon_r OR array_contains(given_forms_l, given_name_r))",
                label_for_charts="Nickname or canonical given name match"))
        levels += [cll.JaroWinklerLevel(col, 0.92), cll.JaroWinklerLevel(col, 0.88),
                   cll.JaroWinklerLevel(col, 0.70), cll.ElseLevel()]
        return levels

    given = cl.CustomComparison(comparison_levels=name_levels("given_name", True), output_column_name="given_name",
                                comparison_description="Given name")
    family = cl.CustomComparison(comparison_levels=name_levels("family_name", False), output_column_name="family_name",
                                 comparison_description="Family name")
    dob = cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel("dob_year_l = dob_year_r AND dob_day_l = dob_month_r AND dob_month_l = dob_day_r",
                            label_for_charts="Day and month swapped"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1).configure(label_for_charts="One character different"),
            cll.CustomLevel("dob_year_l = dob_year_r AND dob_month_l = dob_month_r",
                            label_for_charts="Same year and month"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 1", label_for_charts="Within a year"),
            cll.ElseLevel(),
        ],
    )
    postcode = cl.CustomComparison(
        output_column_name="postcode",
        comparison_description="Postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode"),
            cll.DamerauLevenshteinLevel("postcode", 1).configure(label_for_charts="One character different"),
            cll.ExactMatchLevel("postcode_outward").configure(label_for_charts="Same outward code"),
            cll.ElseLevel(),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex", comparison_description="Sex",
        comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()])
    comparisons = [given, family, dob, postcode, sex]
    extra_blocking = []
    if with_address:
        comparisons += [
            cl.CustomComparison(
                output_column_name="address", comparison_description="Address",
                comparison_levels=[cll.NullLevel("address"), cll.ExactMatchLevel("address"),
                                   cll.JaroWinklerLevel("address", 0.90), cll.JaroWinklerLevel("address", 0.75),
                                   cll.ElseLevel()]),
            cl.CustomComparison(
                output_column_name="locality", comparison_description="Locality",
                comparison_levels=[cll.NullLevel("locality"),
                                   cll.ExactMatchLevel("locality", term_frequency_adjustments=True),
                                   cll.JaroWinklerLevel("locality", 0.90), cll.ElseLevel()]),
        ]
        extra_blocking = [block_on("address"), block_on("locality", "dob_year"), block_on("given_canon", "locality")]
    link_type = {"dedupe_and_link": "link_and_dedupe", "dedupe_only": "dedupe_only", "link_only": "link_only"}[mode]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        source_dataset_column_name="source",
        probability_two_random_records_match=1e-4,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("given_canon", "family_name"),
            block_on("family_name", "postcode"),
            block_on("given_canon", "postcode"),
            block_on("given_canon", "dob_year", "dob_month"),
            block_on("given_canon", "dob_month", "dob_day"),
            block_on("family_name", "dob_year", "dob_day"),
            block_on("postcode", "dob_year"),
            "l.given_name = r.family_name AND l.family_name = r.given_name",
            *extra_blocking,
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
        em_convergence=0.001,
        max_iterations=25,
    )


#: EM is run once per rule; each rule leaves the comparisons it does not use to be estimated.
EM_BLOCKING = (("date_of_birth",), ("given_canon", "family_name"))
#: EM trains on at most about this many blocked pairs (Splink samples records by a hash: deterministic).
EM_MAX_PAIRS = 5e6


def settings(mode: str = "dedupe_and_link", dialect: str = "duckdb", with_address: bool = False) -> dict:
    """The Splink settings (a plain dict in ``dialect``'s SQL: ``duckdb`` or ``spark``).

    Comparisons: given name (exact with TF adjustment / nickname or canonical / Jaro-Winkler 0.92,
    0.88, 0.70 / else), family name (exact with TF / Jaro-Winkler 0.92, 0.88, 0.70 / else), date of
    birth (exact / day-month swapped / one character / year and month / within a year / else),
    postcode (full / one character / outward code / else), sex (exact / else); null levels for
    missing values, which then neither add nor subtract weight.
    """
    return _settings_creator(mode, with_address).create_settings_dict(dialect)


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    """Scored pairs, clusters at the threshold, and the trained model (for :meth:`explain`)."""

    pairs: pd.DataFrame  # uid_l, uid_r (uid_l < uid_r), match_probability, match_weight
    clusters: pd.DataFrame  # uid, cluster_id (the smallest uid in the cluster)
    threshold: float
    engine: str
    seconds: dict[str, float]
    settings: dict | None = None  # the trained model (Splink settings with m and u), no record values
    _linker: Any = field(default=None, repr=False)
    _records: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def links(self) -> pd.DataFrame:
        """The pairs at or above the threshold."""
        return self.pairs[self.pairs["match_probability"] >= self.threshold]

    def explain(self, uid_a: str, uid_b: str) -> dict:
        """Why two records score as they do: each comparison's level and match weight.

        Returns ``{"uid_a", "uid_b", "prior_weight", "comparisons": [{"comparison", "level",
        "match_weight", "bayes_factor", "tf_adjustment_weight", "m_probability", "u_probability"}],
        "match_weight", "match_probability"}``. ``match_weight`` is log2 of the Bayes factor;
        the prior weight plus every comparison's weight (TF adjustment included) is the total,
        and ``match_probability = 2**w / (1 + 2**w)``. Values compared are not returned.
        """
        if self._linker is None or self._records is None:
            raise InputError("this result has no trained model to explain pairs with")
        recs = self._records.set_index("uid", drop=False)
        for u in (uid_a, uid_b):
            if str(u) not in recs.index:
                raise InputError(f"no record with uid {u!r} in this linkage run")
        from splink.internals.waterfall_chart import records_to_waterfall_data

        linker = self._linker
        sobj = linker._settings_obj
        keep = sobj._retain_intermediate_calculation_columns
        sobj._retain_intermediate_calculation_columns = True
        try:
            left = _record_dict(recs.loc[str(uid_a)])
            right = _record_dict(recs.loc[str(uid_b)])
            with _quiet():
                scored = linker.inference.score_pair(left, right).as_record_list()
        finally:
            sobj._retain_intermediate_calculation_columns = keep
        rows = records_to_waterfall_data(scored, sobj, hide_details=True)
        prior = None
        comps: dict[str, dict] = {}
        order: list[str] = []
        for r in rows:
            name = r["column_name"]
            if name == "Prior":
                prior = float(r["log2_bayes_factor"])
            elif name == "Final score":
                continue
            elif r["term_frequency_adjustment"]:
                comps[name[3:]]["tf_adjustment_weight"] = float(r["log2_bayes_factor"])
            else:
                order.append(name)
                comps[name] = {
                    "comparison": name,
                    "level": r["label_for_charts"],
                    "gamma": int(r["comparison_vector_value"]),
                    "level_weight": float(r["log2_bayes_factor"]),
                    "m_probability": r["m_probability"],
                    "u_probability": r["u_probability"],
                    "tf_adjustment_weight": 0.0,
                }
        out = []
        for name in order:
            c = comps[name]
            c["match_weight"] = c["level_weight"] + c["tf_adjustment_weight"]
            c["bayes_factor"] = 2.0 ** c["match_weight"]
            out.append(c)
        total = float(scored[0]["match_weight"])
        return {
            "uid_a": str(uid_a),
            "uid_b": str(uid_b),
            "prior_weight": prior,
            "comparisons": out,
            "match_weight": total,
            "match_probability": float(scored[0]["match_probability"]),
        }


def _record_dict(row: pd.Series) -> dict:
    d = {}
    for k, v in row.items():
        if isinstance(v, list | np.ndarray):
            d[k] = [str(x) for x in v]
        elif v is None or (not isinstance(v, str) and pd.isna(v)):
            d[k] = None
        elif isinstance(v, np.integer):
            d[k] = int(v)
        else:
            d[k] = v
    return d


class _quiet:
    """Splink logs at INFO (and some warnings name nothing useful): keep it to errors."""

    def __enter__(self):
        self.saved = {}
        for name in ("splink", "py4j", "pyspark"):
            lg = logging.getLogger(name)
            self.saved[name] = lg.level
            lg.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        for name, lvl in self.saved.items():
            logging.getLogger(name).setLevel(lvl)
        return False


# --------------------------------------------------------------------------------------------
# engines
# --------------------------------------------------------------------------------------------


def spark_session(app: str = "threadline-person-linkage", master: str = "local[2]", memory: str = "1g"):
    """A Spark session for Splink: ``local[2]`` by default, Splink's similarity UDF jar loaded."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise InputError("the spark engine needs pyspark: pip install pyspark") from err
    from splink.backends.spark import similarity_jar_location

    spark = (SparkSession.builder.appName(app).master(master)
             .config("spark.driver.memory", memory)
             .config("spark.jars", similarity_jar_location())
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.default.parallelism", "8")
             .config("spark.ui.enabled", "false")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.ansi.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _db_api(engine: str, spark):
    if engine == "duckdb":
        from splink import DuckDBAPI

        api = DuckDBAPI()
        api.duckdb_con.execute("SET enable_progress_bar = false")
        return api, None
    if engine == "spark":
        from splink import SparkAPI

        if spark is None:
            spark = spark_session()
        import tempfile

        ckpt = tempfile.mkdtemp(prefix="threadline-spark-ckpt-")
        spark.sparkContext.setCheckpointDir(ckpt)
        return SparkAPI(spark_session=spark, num_partitions_on_repartition=8), spark
    raise InputError(f"the engine is one of {', '.join(ENGINES)}, not {engine!r}")


def _register(db_api, engine: str, spark, frame: pd.DataFrame, name: str):
    if engine == "spark":
        from pyspark.sql import types as T

        schema = T.StructType([
            T.StructField("uid", T.StringType()), T.StructField("source", T.StringType()),
            T.StructField("given_name", T.StringType()), T.StructField("family_name", T.StringType()),
            T.StructField("given_canon", T.StringType()),
            T.StructField("given_forms", T.ArrayType(T.StringType())),
            T.StructField("date_of_birth", T.StringType()), T.StructField("dob_year", T.LongType()),
            T.StructField("dob_month", T.LongType()), T.StructField("dob_day", T.LongType()),
            T.StructField("sex", T.StringType()), T.StructField("postcode", T.StringType()),
            T.StructField("postcode_outward", T.StringType()),
        ])
        rows = [tuple(_record_dict(r).values()) for _, r in frame[[f.name for f in schema.fields]].iterrows()]
        sdf = spark.createDataFrame(rows, schema=schema)
        return db_api.register(sdf, table_name=name)
    f = frame.copy()
    for part in ("dob_year", "dob_month", "dob_day"):
        f[part] = f[part].astype("float64").astype("Int64")
    return db_api.register(f, table_name=name)


def _effective(recs: pd.DataFrame, mode: str) -> tuple[pd.DataFrame, str]:
    """The records and the mode Splink runs: ``dedupe_and_link`` with one source is ``dedupe_only``, whose
    records all carry the source ``records``."""
    sources = recs["source"].unique()
    if mode == "link_only" and len(sources) < 2:
        raise InputError("link_only needs records from at least two sources (the 'source' column)")
    if mode == "dedupe_only" or (mode == "dedupe_and_link" and len(sources) < 2):
        return recs.assign(source="records"), "dedupe_only"
    return recs, mode


def _linker(recs: pd.DataFrame, sdict: dict, engine: str, spark):
    """A Splink linker over ``recs`` (one input table per source) with the settings or trained model ``sdict``."""
    from splink import Linker

    db_api, spark = _db_api(engine, spark)
    tables = [_register(db_api, engine, spark, recs[recs["source"] == s], f"tl_people_{i}")
              for i, s in enumerate(sorted(recs["source"].unique()))]
    return Linker(tables if len(tables) > 1 else tables[0], sdict, log_level=None)


def trained(frame: pd.DataFrame, model: dict, *, mode: str = "dedupe_and_link",
            threshold: float = DEFAULT_THRESHOLD) -> LinkResult:
    """A :class:`LinkResult` that can :meth:`~LinkResult.explain` pairs of ``frame`` with a model a
    run trained earlier (``LinkResult.settings``), without training or predicting again (DuckDB).
    The term frequencies are those of ``frame``."""
    recs, _ = _effective(standardise(frame), mode)
    with _quiet():
        linker = _linker(recs, model, "duckdb", None)
    return LinkResult(pairs=pd.DataFrame(), clusters=pd.DataFrame(), threshold=float(threshold), engine="duckdb",
                      seconds={}, settings=model, _linker=linker, _records=recs)


def link(
    frame: pd.DataFrame,
    *,
    mode: str = "dedupe_and_link",
    threshold: float = DEFAULT_THRESHOLD,
    engine: str = "duckdb",
    spark=None,
    em_seed: int = 1,
    max_pairs_u: float = DEFAULT_MAX_PAIRS_U,
    progress: Callable[[str], None] | None = None,
) -> LinkResult:
    """Train a Fellegi-Sunter model on ``frame`` with Splink, score the blocked pairs, cluster them.

    ``mode``: ``dedupe_and_link`` (links within and across sources), ``dedupe_only`` (ignores
    ``source``), ``link_only`` (across sources only; needs two or more). ``em_seed`` seeds the
    random sample that estimates u, so a run is reproducible. ``progress`` is told each step's
    name (never a record).
    """
    from splink import block_on

    step = progress or (lambda _s: None)
    if mode not in MODES:
        raise InputError(f"the linkage mode is one of {', '.join(MODES)}, not {mode!r}")
    if engine not in ENGINES:
        raise InputError(f"the engine is one of {', '.join(ENGINES)}, not {engine!r}")
    if not 0 < float(threshold) < 1:
        raise InputError(f"the threshold is a probability between 0 and 1, not {threshold}")
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    step("standardise")
    recs = standardise(frame)
    if len(recs) < 2:
        raise InputError("person linkage needs at least two records")
    recs, eff_mode = _effective(recs, mode)
    seconds["standardise"] = time.perf_counter() - t0

    with _quiet():
        t = time.perf_counter()
        with_address = engine == "duckdb" and any(recs[c].notna().any() for c in OPTIONAL)
        sdict = settings(eff_mode, "spark" if engine == "spark" else "duckdb", with_address=with_address)
        linker = _linker(recs, sdict, engine, spark)
        seconds["register"] = time.perf_counter() - t

        step("estimate prior")
        t = time.perf_counter()
        det = [block_on("given_name", "family_name", "date_of_birth"),
               block_on("given_canon", "family_name", "postcode")]
        with contextlib.suppress(Exception):  # no exact pair at all: keep the settings' prior
            linker.training.estimate_probability_two_random_records_match(det, recall=0.7)
        step("estimate u")
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs_u, seed=int(em_seed))
        step("estimate m (EM)")
        for rule in EM_BLOCKING:
            with contextlib.suppress(Exception):  # too few pairs on this rule: the others still train
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*rule), estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS)
        seconds["train"] = time.perf_counter() - t

        step("predict")
        t = time.perf_counter()
        pred = linker.inference.predict(threshold_match_probability=PAIR_FLOOR)
        pairs = linker.misc.query_sql(
            f"SELECT uid_l, uid_r, match_probability, match_weight FROM {pred.physical_name}",
            output_type="pandas")
        seconds["predict"] = time.perf_counter() - t

    step("cluster")
    t = time.perf_counter()
    pairs = _canonical_pairs(pairs)
    clusters = cluster(recs["uid"], pairs, threshold)
    seconds["cluster"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    model = _model_dict(linker)
    return LinkResult(pairs=pairs, clusters=clusters, threshold=float(threshold), engine=engine, seconds=seconds,
                      settings=model, _linker=linker, _records=recs)


def _model_dict(linker) -> dict | None:
    try:
        return linker._settings_obj.as_dict()
    except Exception:  # noqa: BLE001 - the model is a convenience for storage, never essential
        return None


def _canonical_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    p = pairs.copy()
    p["uid_l"] = p["uid_l"].astype(str)
    p["uid_r"] = p["uid_r"].astype(str)
    swap = p["uid_l"] > p["uid_r"]
    p.loc[swap, ["uid_l", "uid_r"]] = p.loc[swap, ["uid_r", "uid_l"]].to_numpy()
    p["match_probability"] = p["match_probability"].astype(float)
    p["match_weight"] = p["match_weight"].astype(float)
    p = p.sort_values(["match_probability", "uid_l", "uid_r"], ascending=[False, True, True], kind="mergesort")
    p = p.drop_duplicates(["uid_l", "uid_r"]).reset_index(drop=True)
    return p[["uid_l", "uid_r", "match_probability", "match_weight"]]


def cluster(uids: pd.Series, pairs: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Connected components of the pairs at or above ``threshold``; cluster_id = smallest uid in it."""
    u = pd.Index(pd.Series(uids, dtype=str).unique())
    links = pairs[pairs["match_probability"] >= threshold]
    a = u.get_indexer(links["uid_l"].astype(str))
    b = u.get_indexer(links["uid_r"].astype(str))
    ok = (a >= 0) & (b >= 0)
    n = len(u)
    g = coo_matrix((np.ones(int(ok.sum())), (a[ok], b[ok])), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    df = pd.DataFrame({"uid": u.astype(object), "label": lab})
    first = df.groupby("label")["uid"].transform("min")
    return pd.DataFrame({"uid": df["uid"], "cluster_id": first}).sort_values("uid", kind="mergesort").reset_index(
        drop=True)


def match_weight_to_probability(w: float) -> float:
    """Probability from a match weight (log2 Bayes factor, prior included)."""
    return 1.0 / (1.0 + 2.0 ** (-w)) if w > -1000 else 0.0


def probability_to_match_weight(p: float) -> float:
    return math.log2(p / (1 - p))
