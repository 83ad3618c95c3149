"""Locust users of the learning repository, for ``benchmarks/learning_bench.py``.

Each simulated user signs in through the real form (CSRF token from the sign-in page and cookie),
then mixes full-text search, semantic search, record views, the tracking list and status updates
with a note, each request carrying the session's CSRF token as a browser would. The plan (users,
passwords, record ids they may see, recommendations they may update, queries) comes from the JSON
file named by ``LEARNING_BENCH_PLAN``; every update the server accepted is appended to the file
named by ``LEARNING_BENCH_DONE`` so the benchmark can check afterwards that none was lost.

Run by the benchmark, or by hand::

    LEARNING_BENCH_PLAN=plan.json LEARNING_BENCH_DONE=done.txt \\
        locust -f benchmarks/locustfile_learning.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["LEARNING_BENCH_PLAN"]).read_text(encoding="utf-8"))
DONE = open(  # noqa: SIM115 (open for the whole run, one line per accepted update)
    os.environ.get("LEARNING_BENCH_DONE", os.devnull), "a", encoding="utf-8", buffering=1)
_next_user = itertools.count()
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_lo, _hi = (float(x) for x in os.environ.get("LEARNING_BENCH_WAIT", "0.5,2.5").split(","))
#: With ``LEARNING_BENCH_RESET_AFTER=N`` the figures are reset once N users have signed in: steady
#: state without the sign-in storm (50 Argon2id hashes at once queue for the CPU for seconds).
_reset_after = int(os.environ.get("LEARNING_BENCH_RESET_AFTER", "0") or 0)
_signed_in = itertools.count(1)


class LearningUser(HttpUser):
    wait_time = between(_lo, _hi)

    def on_start(self) -> None:
        me = PLAN["users"][next(_next_user) % len(PLAN["users"])]
        self.me = me
        self.rng = random.Random(me["username"])
        self.csrf = ""
        page = self.client.get("/login", name="login page")
        token = _CSRF.search(page.text)
        with self.client.post("/login", name="login", allow_redirects=False, catch_response=True, data={
                "username": me["username"], "password": PLAN["password"],
                "csrf_token": token.group(1) if token else "", "next": "/"}) as r:
            if r.status_code != 303:
                r.failure(f"sign-in refused ({r.status_code})")
                return
        if _reset_after and next(_signed_in) == _reset_after:
            self.environment.stats.reset_all()
        self.view_record()

    def _keep_csrf(self, body: str) -> None:
        found = _CSRF.search(body)
        if found:
            self.csrf = found.group(1)

    @task(4)
    def search_text(self) -> None:
        self.client.get("/records", params={"q": self.rng.choice(PLAN["text_queries"])}, name="search (full text)")

    @task(2)
    def search_semantic(self) -> None:
        if not PLAN["semantic_queries"]:  # a run without embeddings
            return
        self.client.get("/records", params={"q": self.rng.choice(PLAN["semantic_queries"]), "mode": "semantic"},
                        name="search (semantic)")

    @task(4)
    def view_record(self) -> None:
        r = self.client.get(f"/records/{self.rng.choice(PLAN['record_ids'])}", name="record view")
        if r.status_code == 200:
            self._keep_csrf(r.text)

    @task(1)
    def tracking(self) -> None:
        params = self.rng.choice(({}, {"status": "in_progress"}, {"overdue": "1"}))
        self.client.get("/recommendations", params=params, name="tracking list")

    @task(2)
    def update(self) -> None:
        mine = self.me["recommendations"]
        if not mine or not self.csrf:
            return
        rec = self.rng.choice(mine)
        note = f"bench {self.me['username']} {uuid.uuid4().hex[:16]}"
        with self.client.post(f"/recommendations/{rec['id']}/status", name="update (status + note)",
                              allow_redirects=False, catch_response=True,
                              data={"status": rec["status"], "note": note, "csrf_token": self.csrf}) as r:
            if r.status_code == 303:
                DONE.write(note + "\n")
            else:
                r.failure(f"update refused ({r.status_code})")
