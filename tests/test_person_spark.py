"""The Spark engine (Splink's SparkAPI, local[2]) gives the same links as DuckDB with the same settings."""

from __future__ import annotations

import importlib.util
import shutil

import pandas as pd
import pytest

from threadline.link.people import engine as E

pytestmark = pytest.mark.slow

if importlib.util.find_spec("pyspark") is None:
    pytest.skip("pyspark is not installed (pip install -e '.[test]')", allow_module_level=True)
if shutil.which("java") is None:
    pytest.skip("no Java runtime: install openjdk-17-jre-headless (scripts/system-packages.sh)",
                allow_module_level=True)


def test_spark_matches_duckdb():
    from test_person_engine import CASES, background

    cases = [r for a, b, _ in CASES for r in (a, b)]
    frame = pd.concat([background(180, dup=40), pd.DataFrame(cases)], ignore_index=True)
    duck = E.link(frame, mode="dedupe_and_link", em_seed=1)
    spark = E.spark_session()
    try:
        sp = E.link(frame, mode="dedupe_and_link", em_seed=1, engine="spark", spark=spark)
    finally:
        spark.stop()
    assert sp.engine == "spark"
    links_d = set(map(tuple, duck.links[["uid_l", "uid_r"]].to_numpy()))
    links_s = set(map(tuple, sp.links[["uid_l", "uid_r"]].to_numpy()))
    assert links_d == links_s
    assert len(links_d) >= 40
    same = duck.clusters.merge(sp.clusters, on="uid", suffixes=("_d", "_s"))
    assert len(same) == len(frame) and (same["cluster_id_d"] == same["cluster_id_s"]).all()
