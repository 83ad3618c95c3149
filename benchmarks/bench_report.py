"""Benchmark: the quarterly report on a full-size force.

Synthesises five years of a West Yorkshire-sized force (about 2.2 million residents; death
investigations, the people connected to them, ~25,000 incidents a year, partner records), imports
it, adds 1,000,000 police incidents in real West Yorkshire LSOAs (placed near each LSOA's centre,
more where more crime is recorded), then builds the latest quarter's report (findings, charts,
HTML and PDF) and prints how long each stage of the report took. Target: the report in under a
minute.

Run: ``make bench`` or ``python benchmarks/bench_report.py [--years 5] [--scale 1.0]
[--incidents 1000000] [--no-pdf]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from importlib.resources import files
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from bench_import import make_incidents_csv  # noqa: E402

from threadline import import_file, init_workspace, open_workspace  # noqa: E402
from threadline.ingest.folder import import_folder  # noqa: E402
from threadline.quarters import quarter_label  # noqa: E402
from threadline.report import build_report, quarter_period  # noqa: E402
from threadline.report.areas import lsoa_table  # noqa: E402

FORCE = "West Yorkshire"
END = date(2024, 12, 31)
TARGET_S = 60.0


def force_places(force: str = FORCE) -> pd.DataFrame:
    """The force's LSOAs (from the shipped ONS lookup) with a centre to place incidents near and a
    weight (police.uk crimes recorded there, plus one) so incidents follow recorded crime."""
    table = lsoa_table()
    codes = table.loc[table["police_force"] == force, ["lsoa_code"]]
    with (files("threadline.synth") / "data" / "west-yorkshire-lsoa.csv").open("rb") as fh:
        centres = pd.read_csv(fh, usecols=["lsoa_code", "latitude", "longitude", "crimes_all"])
    places = codes.merge(centres, on="lsoa_code", how="inner")
    places["weight"] = places["crimes_all"].fillna(0) + 1.0
    return places.drop(columns="crimes_all").reset_index(drop=True)


class StageTimer:
    """A ``progress`` callback that times each named stage until the next one (or :meth:`stop`)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        self.clock = clock
        self.stages: list[tuple[str, float]] = []
        self._name: str | None = None
        self._t0 = 0.0

    def __call__(self, name: str) -> None:
        now = self.clock()
        if self._name is not None:
            self.stages.append((self._name, now - self._t0))
        self._name, self._t0 = name, now

    def stop(self) -> None:
        self("")
        self._name = None

    @property
    def total(self) -> float:
        return sum(s for _, s in self.stages)

    def table(self, title: str = "report stage") -> str:
        width = max([len(title), *(len(n) for n, _ in self.stages)]) + 2
        lines = [f"{title:<{width}}{'seconds':>10}{'share':>8}"]
        total = self.total or 1.0
        for name, secs in self.stages:
            lines.append(f"{name:<{width}}{secs:>10.2f}{secs / total:>8.0%}")
        lines.append(f"{'total':<{width}}{self.total:>10.2f}{1:>8.0%}")
        return "\n".join(lines)


def build_force(root: Path, *, years: int, scale: float, incidents: int, seed: int = 1) -> dict[str, float]:
    """Synthesise and import the force into ``root/ws``, then import ``incidents`` extra incidents."""
    from threadline.synth import synthesise

    timings: dict[str, float] = {}
    t = time.perf_counter()
    summary = synthesise(root / "synth", years=years, seed=seed, end=END, population_scale=scale)
    timings["synthesise"] = time.perf_counter() - t
    timings["synth_rows"] = summary.total_rows
    ws = init_workspace(root / "ws", forces=[FORCE])
    try:
        t = time.perf_counter()
        import_folder(ws, root / "synth")
        timings["import synthetic force"] = time.perf_counter() - t
        if incidents:
            csv = root / "extra-incidents.csv"
            t = time.perf_counter()
            n_bad = make_incidents_csv(csv, incidents, places=force_places())
            timings["generate incidents csv"] = time.perf_counter() - t
            t = time.perf_counter()
            result = import_file(ws, "incidents", csv)
            timings["import extra incidents"] = time.perf_counter() - t
            assert result.imported == incidents - n_bad and result.quarantined == n_bad, result
        timings["incidents"] = ws.con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        timings["cases"] = ws.con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        ws.close()
    return timings


def time_report(ws_path: Path, out: Path, *, pdf: bool = True) -> StageTimer:
    """Build the latest quarter's report of the workspace at ``ws_path``, timing each stage."""
    timer = StageTimer()
    with open_workspace(ws_path, read_only=True) as ws:
        latest = ws.con.execute("SELECT max(reported_at) FROM cases").fetchone()[0]
        period = quarter_period(quarter_label(latest, ws.config.quarter), ws.config.quarter)
        timer("open and scope")
        files_ = build_report(ws, period, out, pdf=pdf, progress=timer)
        timer.stop()
    assert files_.html.exists() and (files_.pdf is not None) == pdf
    timer.period = period.label  # type: ignore[attr-defined]
    timer.findings = files_.data  # type: ignore[attr-defined]
    return timer


def run(*, years: int = 5, scale: float = 1.0, incidents: int = 1_000_000, pdf: bool = True,
        quiet: bool = False) -> dict[str, object]:
    say = (lambda *_a, **_k: None) if quiet else print
    tmp = Path(tempfile.mkdtemp(prefix="threadline-bench-report-"))
    try:
        setup = build_force(tmp, years=years, scale=scale, incidents=incidents)
        say(f"force: {years} years at population scale {scale:g}; {setup['cases']:,} cases, "
            f"{setup['incidents']:,} incidents ({incidents:,} added)")
        for label in ("synthesise", "import synthetic force", "generate incidents csv", "import extra incidents"):
            if label in setup:
                say(f"  {label:<28}{setup[label]:>8.1f} s")
        timer = time_report(tmp / "ws", tmp / "report", pdf=pdf)
        f = timer.findings  # type: ignore[attr-defined]
        say(f"\nquarterly report {timer.period}: {f['total_cases']:,} cases in the quarter, "  # type: ignore[attr-defined]
            f"{f['emerging_method']['series_tested']} series tested, {f['hotspots']['lsoas_assessed']:,} LSOAs "
            f"assessed for hot spots, {f['partner'].get('police_violence', 0):,} police violence records")
        say(timer.table())
        verdict = "within" if timer.total < TARGET_S else "OVER"
        say(f"report built in {timer.total:.1f} s: {verdict} the {TARGET_S:.0f} s target")
        return {"setup": setup, "stages": dict(timer.stages), "report_s": timer.total}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--no-pdf", dest="pdf", action="store_false")
    args = parser.parse_args()
    run(years=args.years, scale=args.scale, incidents=args.incidents, pdf=args.pdf)


if __name__ == "__main__":
    main()
