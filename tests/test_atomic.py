"""An import is one transaction: ``kill -9`` at any moment leaves the workspace as before, or whole.

A child process imports a large incidents file into a workspace that already holds rows; the test
kills it with SIGKILL (no handler, no cleanup, no chance to roll back) and reopens the workspace.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ALL_TABLES, FORCE, load_all, register_snapshot

import threadline as tl

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

BIG_ROWS = 200_000
BAD_ROWS = {1_000: "category", 150_000: "severity"}  # a few bad rows, so quarantine is written too

CHILD = """
import sys, time
from pathlib import Path
import threadline as tl
ws = tl.open_workspace(sys.argv[1])
Path(sys.argv[3]).write_text(str(time.monotonic()))
started = time.monotonic()
stages = {}
def step(stage):
    stages.setdefault(stage, time.monotonic() - started)
result = tl.import_file(ws, "incidents", sys.argv[2], progress=step)
ws.close()
print(result.imported, result.quarantined, time.monotonic() - started, stages["loading"], stages["writing rejects"])
"""


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """200,000 incidents (two of them bad), written once for the module."""
    path = tmp_path_factory.mktemp("big") / "incidents.csv"
    rng = random.Random(7)
    types = ("domestic_abuse", "common_assault", "robbery", "burglary", "anti_social_behaviour")
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["incident_id", "incident_type", "occurred_at", "latitude", "longitude", "severity", "narrative"]
        )
        for i in range(BIG_ROWS):
            row = [
                f"big-{i}",
                types[i % 5],
                f"2020-{i % 12 + 1:02d}-{i % 28 + 1:02d}T{i % 24:02d}:00",
                f"{53.5 + rng.random() * 0.5:.5f}",
                f"{-1.9 + rng.random() * 0.6:.5f}",
                f"{rng.random() * 100:.1f}",
                "narrative text",
            ]
            if BAD_ROWS.get(i) == "category":
                row[1] = "not_a_type"
            elif BAD_ROWS.get(i) == "severity":
                row[5] = "lots"
            writer.writerow(row)
    return path


@pytest.fixture(scope="module")
def base_workspace(tmp_path_factory) -> Path:
    """A closed workspace already holding rows of every kind (and one earlier import with a bad row)."""
    root = tmp_path_factory.mktemp("atomic-base")
    data = root / "data"
    data.mkdir()
    with tl.init_workspace(root / "ws", forces=[FORCE]) as ws:
        load_all(ws, data)
        bad = data / "bad-persons.csv"
        bad.write_text("person_id,sex\npz,martian\n", encoding="utf-8")
        tl.import_file(ws, "persons", bad)
    return root / "ws"


def _copy(base: Path, target: Path) -> Path:
    shutil.copytree(base, target)
    return target


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADLINE_")}
    env.update(extra)
    return env


def _start(ws: Path, big: Path, ready: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ws), str(big), str(ready)],
        env=_child_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"child ended (code {proc.returncode}) before {path.name}: {out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"child never wrote {path.name}")
        time.sleep(0.01)


def _kill(proc: subprocess.Popen) -> int:
    with contextlib.suppress(ProcessLookupError):  # it may have finished already
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return proc.returncode


VOLATILE = {"imported_at", "quarantined_at", "started_at", "finished_at", "superseded_at"}


def digest(ws_path: Path) -> dict[str, tuple[int, int]]:
    """Per table: row count and an order-independent hash of every row (timestamps of when left out)."""
    out = {}
    with tl.open_workspace(ws_path) as ws:
        for table in ALL_TABLES:
            cols = [r[0] for r in ws.con.execute(f"DESCRIBE {table}").fetchall() if r[0] not in VOLATILE]
            row = ws.con.execute(
                f"SELECT count(*), coalesce(sum(hash({', '.join(cols)})::HUGEINT), 0) FROM {table}"
            ).fetchone()
            out[table] = (int(row[0]), int(row[1]))
    return out


@pytest.fixture(scope="module")
def complete(base_workspace, big_csv, tmp_path_factory) -> tuple[dict, float, tuple[float, float]]:
    """The workspace after the import ran to the end undisturbed, how long the import took, and when
    its loading stage (the one transaction, ending in COMMIT) started and ended."""
    ws = _copy(base_workspace, tmp_path_factory.mktemp("complete") / "ws")
    ready = ws.parent / "ready"
    proc = _start(ws, big_csv, ready)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    imported, quarantined, seconds, loading, loaded = out.split()
    assert (int(imported), int(quarantined)) == (BIG_ROWS - len(BAD_ROWS), len(BAD_ROWS))
    return digest(ws), float(seconds), (float(loading), float(loaded))


def test_kill_inside_the_open_transaction_leaves_the_workspace_as_before(base_workspace, big_csv, tmp_path):
    ws = _copy(base_workspace, tmp_path / "ws")
    with tl.open_workspace(ws) as opened:
        before = register_snapshot(opened.con)
    marker = tmp_path / "paused"
    proc = _start(ws, big_csv, tmp_path / "ready", THREADLINE_TEST_PAUSE_BEFORE_COMMIT=str(marker))
    _wait_for(marker, proc, timeout=180)
    # The child has inserted every row, quarantined the bad ones and logged the import, uncommitted.
    assert _kill(proc) == -signal.SIGKILL
    with tl.open_workspace(ws) as opened:
        assert register_snapshot(opened.con) == before  # every table, the import log included
        # and the workspace works: the same import now runs to the end
        result = tl.import_file(opened, "incidents", big_csv)
        assert (result.imported, result.quarantined) == (BIG_ROWS - len(BAD_ROWS), len(BAD_ROWS))
        assert opened.con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 4 + BIG_ROWS - len(
            BAD_ROWS
        )


def test_kill_at_random_moments_leaves_before_or_whole_never_partial(
    base_workspace, big_csv, complete, tmp_path
):
    after, seconds, (loading, loaded) = complete
    before = digest(_copy(base_workspace, tmp_path / "before"))
    assert before != after
    rng = random.Random()  # a new draw every run: each CI run tries other moments
    # moments spread over the import (from just after the workspace opened to just past its end), and as
    # many again inside the loading stage, whose COMMIT is where a torn write could do harm (docs/importing.md)
    moments = [
        rng.uniform(lo, hi) * seconds for lo, hi in ((0.0, 0.15), (0.2, 0.45), (0.5, 0.75), (0.8, 1.1))
    ] + [rng.uniform(loading, loaded + 0.1 * (loaded - loading)) for _ in range(4)]
    outcomes = []
    for i, delay in enumerate(moments):
        ws = _copy(base_workspace, tmp_path / f"ws{i}")
        ready = tmp_path / f"ready{i}"
        proc = _start(ws, big_csv, ready)
        _wait_for(ready, proc)
        time.sleep(delay)
        code = _kill(proc)
        state = digest(ws)  # reopening works after every kill
        differs = {t: (state[t], before[t], after[t]) for t in state if state[t] not in (before[t], after[t])}
        mixed = [t for t in state if state[t] != before[t]] if state not in (before, after) else []
        assert state in (before, after), (
            f"kill {i} at {delay:.2f}s (exit {code}) left a partial import: tables matching neither {differs}; "
            f"tables changed from before {mixed}")
        outcomes.append("before" if state == before else "whole")
        if code == 0:
            assert state == after
    assert "before" in outcomes, f"no kill landed inside the import: {outcomes} (import takes {seconds:.1f}s)"
