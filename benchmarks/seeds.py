"""The command line of the benchmarks that run over synthetic seeds (violence, escalation)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def main_over_seeds(run: Callable, description: str, seeds: int, first_seed: int, argv: list[str] | None = None):
    """Parse ``--seeds --first-seed --years --scale`` and call ``run(seeds, first, years, scale)``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seeds", type=int, default=seeds)
    ap.add_argument("--first-seed", type=int, default=first_seed)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args(argv)
    return run(a.seeds, a.first_seed, a.years, a.scale)
