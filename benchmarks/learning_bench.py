"""Benchmark: the learning repository with 20,000 records, 60,000 recommendations and 50 users.

1. Builds a fresh database (SQLite, and with ``--postgres`` also PostgreSQL) from the synthetic
   corpus of :mod:`threadline.synth.learning` with :func:`~threadline.synth.learning.load` (bulk
   inserts, full-text index, sentence embeddings) and prints how long each stage took.
2. Serves it with the real web app (uvicorn on loopback, one process per ``--workers``) and drives
   ``--users`` concurrent users with locust (``benchmarks/locustfile_learning.py``): sign in through
   the form, then full-text search, semantic search, record views, the tracking list and status
   updates with a note, each with a think time of 0.5-2.5 s.
3. Prints p50/p95/p99 latency, request count and failures per kind of request, and checks that
   every update the server accepted is in ``recommendation_events`` (nothing lost).

Target (issue 7): p95 under 300 ms for search and pages, no errors, nothing lost.

Run: ``.venv/bin/python benchmarks/learning_bench.py [--records 20000] [--postgres] [--json out.json]``.
Sentence embeddings dominate the load time; ``--vector-cache FILE`` keeps them between runs.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("THREADLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEXT_QUERIES = ("information sharing", "golden hour", "knife", "coercive control", "DASH risk assessment",
                "county lines", "missing episodes", "strangulation", "MARAC", "professional curiosity",
                "school exclusion", "interpreter", "bail conditions", "supervision", "self-neglect")
SEMANTIC_QUERIES = ("teenager drawn into selling drugs for older men", "victim was choked by her partner",
                    "agencies did not pass on what they knew", "no one asked the child how they felt",
                    "officers took hours to arrive", "man with psychosis stopped taking medication")


def app_factory():
    """For uvicorn ``--factory``: the app over ``THREADLINE_DATABASE_URL``, cookies without the
    Secure flag (the benchmark talks plain HTTP on loopback), warmed up as ``threadline serve`` is."""
    from threadline.web.app import create_app

    return create_app(os.environ["THREADLINE_DATABASE_URL"], secure_cookies=False, migrate=False, warm_up=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(url: str, corpus, vector_cache: Path | None, embed: bool = True) -> dict:
    """Migrate and load ``corpus`` into ``url``; returns the stage times and the plan's raw material."""
    from sqlalchemy import select

    from threadline.learning.db import open_database, transaction
    from threadline.learning.models import LearningRecord, Recommendation
    from threadline.synth import learning as L

    if vector_cache and vector_cache.exists():
        L._VECTOR_CACHE.update(pickle.loads(vector_cache.read_bytes()))
    t0 = time.perf_counter()
    factory = open_database(url)
    migrate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction(factory) as s:
        report = L.load(s, corpus, embed=embed, progress=lambda m: print(f"  … {m}", flush=True))
    total = time.perf_counter() - t0
    if vector_cache:
        vector_cache.write_bytes(pickle.dumps(L._VECTOR_CACHE))
    # table statistics, as a server that has run a while has them (PostgreSQL's autovacuum gathers
    # them after a bulk load; the test server here runs with autovacuum off, and SQLite never does)
    from sqlalchemy import create_engine

    stats = create_engine(url, isolation_level="AUTOCOMMIT")
    with stats.connect() as con:
        con.exec_driver_sql("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE")
    stats.dispose()
    with factory() as s:
        open_ids = [i for i, in s.execute(select(LearningRecord.id).where(LearningRecord.restricted.is_(False)))]
        recs = s.execute(select(Recommendation.id, Recommendation.owner_organisation_id, Recommendation.status)).all()
        from threadline.learning.models import User
        users = s.execute(select(User.username, User.organisation_id, User.role)).all()
    factory.kw["bind"].dispose()
    return {"migrate_s": migrate_s, "load_s": total, "report": report, "open_ids": open_ids, "recs": recs,
            "users": users}


def make_plan(corpus, built: dict, n_users: int) -> dict:
    import random

    rng = random.Random(5)
    synthetic = {u["username"] for u in corpus.users}
    staff = [u for u in built["users"] if u.username in synthetic and u.role in ("contributor", "reviewer")]
    rng.shuffle(staff)
    chosen = staff[:n_users]
    by_org: dict[int, list] = {}
    for rid, org, status in built["recs"]:
        if status in ("verified", "not_accepted"):  # a note on these needs a reviewer or a reason
            continue
        by_org.setdefault(org, []).append({"id": rid, "status": status})
    plan_users, taken = [], set()
    for u in chosen:
        pool = [r for r in by_org.get(u.organisation_id, []) if r["id"] not in taken]
        mine = rng.sample(pool, k=min(40, len(pool)))
        taken.update(r["id"] for r in mine)
        plan_users.append({"username": u.username, "recommendations": mine})
    queries = list(SEMANTIC_QUERIES) + [p.query for p in corpus.paraphrase_pairs]
    return {"password": corpus.password, "users": plan_users, "record_ids": rng.sample(
        built["open_ids"], k=min(5000, len(built["open_ids"]))), "text_queries": list(TEXT_QUERIES),
        "semantic_queries": queries}


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, THREADLINE_DATABASE_URL=url, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "learning_bench:app_factory", "--app-dir", str(HERE),
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
         "--log-level", "warning"], env=env, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the web app exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise SystemExit("the web app did not answer /health within 120 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def warm_up(port: int, plan: dict) -> None:
    """Sign in, then search until ten searches in a row answer within half a second: each worker
    loads the sentence model and the embeddings in the background when it starts (as under
    ``threadline serve``), and a new connection may reach either worker, so by then both are
    warm and the model load is not measured."""
    import http.cookiejar
    import re
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": plan["users"][0]["username"], "password": plan["password"],
                                   "csrf_token": token, "next": "/"}).encode()
    opener.open(f"{base}/login", data=data, timeout=60).read()
    fast, deadline = 0, time.time() + 180
    while fast < 10 and time.time() < deadline:
        t0 = time.perf_counter()
        if plan["semantic_queries"]:
            q = urllib.parse.urlencode({"q": plan["semantic_queries"][0], "mode": "semantic"})
            opener.open(f"{base}/records?{q}", timeout=120).read()
        opener.open(f"{base}/records?q=knife", timeout=60).read()
        fast = fast + 1 if time.perf_counter() - t0 < 0.5 else 0


def run_locust(port: int, plan_path: Path, done_path: Path, users: int, rate: int, seconds: int,
               out: Path, steady: bool = False) -> list[dict]:
    env = dict(os.environ, LEARNING_BENCH_PLAN=str(plan_path), LEARNING_BENCH_DONE=str(done_path),
               LEARNING_BENCH_RESET_AFTER=str(users if steady else 0))
    prefix = out / "locust"
    subprocess.run([sys.executable, "-m", "locust", "-f", str(HERE / "locustfile_learning.py"), "--headless",
                    "-u", str(users), "-r", str(rate), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
                    "--csv", str(prefix), "--only-summary",
                    "--loglevel", "WARNING", "--stop-timeout", "10"],
                   env=env, check=False, stdout=subprocess.DEVNULL, stderr=(out / "locust.log").open("w"))
    def number(value: str | None) -> float:
        try:
            return float(value or 0)
        except ValueError:  # "N/A": no request of that kind since the figures were reset
            return 0.0

    rows = []
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if int(row["Request Count"]) == 0:
                continue
            rows.append({"name": row["Name"], "requests": int(row["Request Count"]),
                         "failures": int(row["Failure Count"]), "p50": number(row["50%"]),
                         "p95": number(row["95%"]), "p99": number(row["99%"]), "rps": number(row["Requests/s"])})
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in csv.DictReader(failures.open(encoding="utf-8")):
            print(f"  failure: {row.get('Name')}: {row.get('Error')} x{row.get('Occurrences')}")
    return rows


def check_nothing_lost(url: str, done_path: Path) -> dict:
    from sqlalchemy import select

    from threadline.learning.db import make_engine
    from threadline.learning.models import RecommendationEvent

    sent = set(done_path.read_text(encoding="utf-8").split("\n")) - {""} if done_path.exists() else set()
    engine = make_engine(url)
    with engine.connect() as con:
        stored = set(con.scalars(select(RecommendationEvent.note).where(RecommendationEvent.note.like("bench %"))))
    engine.dispose()
    return {"accepted_updates": len(sent), "in_database": len(sent & stored), "lost": len(sent - stored)}


def bench_backend(name: str, url: str, corpus, args, out: Path) -> dict:
    print(f"== {name}: load {len(corpus.records):,} records, {len(corpus.recommendations):,} recommendations ==",
          flush=True)
    built = build(url, corpus, args.vector_cache, embed=not args.no_embed)
    rep = built["report"]
    print(f"  migrate {built['migrate_s']:.1f} s; load {built['load_s']:.1f} s: {rep.describe()}")
    plan = make_plan(corpus, built, args.users)
    if args.no_embed:
        plan["semantic_queries"] = []
    plan_path, done_path = out / f"{name}-plan.json", out / f"{name}-done.txt"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    port = _free_port()
    proc = serve(url, port, args.workers)
    try:
        warm_up(port, plan)
        print(f"== {name}: {args.users} users for {args.seconds} s on 127.0.0.1:{port} "
              f"({args.workers} worker{'s' if args.workers > 1 else ''}) ==", flush=True)
        rows = run_locust(port, plan_path, done_path, args.users, args.spawn_rate, args.seconds, out,
                          steady=args.steady)
    finally:
        stop(proc)
    print(f"  {'request':28} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}")
    for r in rows:
        print(f"  {r['name']:28} {r['requests']:7d} {r['failures']:5d} {r['p50']:7.0f} {r['p95']:7.0f} "
              f"{r['p99']:7.0f} {r['rps']:6.1f}")
    lost = check_nothing_lost(url, done_path)
    print(f"  updates accepted {lost['accepted_updates']}, found in recommendation_events {lost['in_database']}, "
          f"lost {lost['lost']}")
    return {"backend": name, "load_seconds": built["load_s"], "load_stages": rep.seconds, "requests": rows,
            **lost}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=20_000)
    p.add_argument("--recs-per-record", type=int, default=3)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--spawn-rate", type=int, default=10)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--steady", action="store_true",
                   help="reset the figures once every user has signed in: steady state without the sign-in "
                        "storm; nothing-lost is still checked over the whole run")
    p.add_argument("--postgres", action="store_true", help="also on PostgreSQL (a new database on 127.0.0.1)")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--no-embed", action="store_true",
                   help="skip sentence embeddings (and semantic searches): the SQL load and the other requests only")
    p.add_argument("--vector-cache", type=Path, help="file keeping sentence embeddings between runs")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--keep", type=Path, help="keep the databases and locust output in this folder")
    args = p.parse_args(argv)
    if importlib.util.find_spec("locust") is None:
        raise SystemExit("locust is not installed: install the test extra (pip install -e '.[test]')")
    if importlib.util.find_spec("uvicorn") is None:
        raise SystemExit("uvicorn is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(HERE))

    from threadline.synth import learning as L

    t0 = time.perf_counter()
    corpus = L.generate(args.records, args.seed, args.recs_per_record)
    print(f"generated {len(corpus.records):,} records and {len(corpus.recommendations):,} recommendations "
          f"in {time.perf_counter() - t0:.1f} s (overdue on {corpus.as_of}: {corpus.truth.overdue:,})")
    out = args.keep or Path(tempfile.mkdtemp(prefix="learning-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.no_sqlite:
        results.append(bench_backend("sqlite", f"sqlite:///{out / 'learning.sqlite'}", corpus, args, out))
    if args.postgres or args.no_sqlite:
        from sqlalchemy import create_engine, text

        name = f"tl_bench_{os.getpid()}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as con:
            con.execute(text(f"CREATE DATABASE {name}"))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        try:
            results.append(bench_backend("postgresql", url, corpus, args, out))
        finally:
            if not args.keep:
                with admin.connect() as con:
                    con.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()
    if args.json:
        args.json.write_text(json.dumps({"records": args.records, "users": args.users, "seconds": args.seconds,
                                         "workers": args.workers, "cpus": os.cpu_count(), "results": results},
                                        indent=2), encoding="utf-8")
    if not args.keep:
        import shutil

        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
