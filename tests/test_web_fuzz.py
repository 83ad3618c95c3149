"""Fuzz the JSON API with schemathesis: requests generated from the app's own OpenAPI schema, sent
by a signed-in reviewer (session cookie and CSRF header), must never get a 5xx answer.

SQLite only, and a bounded number of examples per operation, so it runs in well under a minute.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from learning_fixtures import FORCE_ORG, PARTNER_ORG, make_people
from test_web_security import sign_in

from threadline.learning import recommendations as recs
from threadline.learning import records
from threadline.learning.audit import Actor
from threadline.web import security
from threadline.web.app import create_app

EXAMPLES = int(os.environ.get("THREADLINE_FUZZ_EXAMPLES", "25"))


# the schema is read when the module is imported, so the app (on a throw-away SQLite file) is too
_FOLDER = tempfile.mkdtemp(prefix="threadline-fuzz-")
APP = create_app(f"sqlite:///{_FOLDER}/learning.sqlite")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def signed_in():
    """Seed users and records, sign in a reviewer; the cookie and CSRF header for every request."""
    with APP.state.factory() as s, s.begin():
        people = make_people(s)
        actor = Actor(people.force_contributor, "127.0.0.1")
        for i in range(3):
            r = records.create_record(s, actor, records.RecordFields(
                kind="homicide_debrief", title=f"Debrief {i}: stabbing near a school",
                record_date=dt.date(2024, 5, i + 1), summary="Knife carried for protection after threats online.",
                themes=["weapons"], restricted=i == 2, organisations=[PARTNER_ORG]))
            recs.add_recommendation(s, actor, r.id, recs.RecommendationFields(
                action="Review knife arch deployment near schools", owner_organisation=FORCE_ORG))
    client = TestClient(APP, base_url="https://testserver")
    assert sign_in(client, "force.reviewer").status_code == 303
    yield {"cookies": {security.COOKIE: client.cookies.get(security.COOKIE)},
           "headers": {"X-CSRF-Token": client.headers["X-CSRF-Token"]}}
    APP.state.factory.kw["bind"].dispose()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case, signed_in):
    auth = signed_in
    response = case.call(headers=dict(auth["headers"]), cookies=dict(auth["cookies"]))
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                        response.status_code, response.text[:500])
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
    assert content_type[0].startswith("application/json")
    assert response.status_code != 401  # the session held for every generated request
