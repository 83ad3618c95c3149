"""A real browser (Playwright driving Debian's chromium) through the learning repository's daily
work: sign in, record a debrief, task out a recommendation to a named partner officer, who marks it
implemented with evidence; find the debrief by its words and by a paraphrase; and a partner who
cannot see a restricted review by search, by its address or by export.

Screenshots go to ``$THREADLINE_SCREENSHOTS`` (default: the test's tmp folder). The browser is
never downloaded (no ``playwright install``): the test skips when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from learning_fixtures import OTHER_ORG, PARTNER_ORG, PASSWORD, make_people

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(scripts/system-packages.sh installs it); browser tests need /usr/bin/chromium")

SUMMARY = ("A 17-year-old boy was fatally stabbed outside a takeaway on Briggate after a dispute that began "
           "on social media. Officers attended within six minutes.")
PARAPHRASE = "teenager killed with a blade following an argument online"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """The app under uvicorn on 127.0.0.1 and a free port, over a fresh SQLite database."""
    import uvicorn
    from sqlalchemy.orm import sessionmaker

    from threadline.learning import records
    from threadline.learning.db import make_engine
    from threadline.web.app import create_app

    url = f"sqlite:///{tmp_path / 'learning.sqlite'}"
    app = create_app(url)
    engine = make_engine(url)
    with sessionmaker(engine)() as s, s.begin():
        people = make_people(s)
        for title, kind, day, summary in [
            ("Domestic homicide review: coercive control over years", "domestic_homicide_review", dt.date(2024, 11, 5),
             "Controlling behaviour and financial abuse were known to the GP and housing but never put together."),
            ("Near miss: missing child found in a county lines trap house", "near_miss_debrief", dt.date(2024, 11, 5),
             "A 14-year-old reported missing five times was found by a drugs warrant in another force area."),
            ("Organisational review: call handling of repeat domestic abuse calls", "organisational_review",
             dt.date(2015, 6, 1), "Repeat callers were graded as routine; the review is due under MoPI."),
        ]:
            records.create_record(s, people.actor("force_contributor"), records.RecordFields(
                kind=kind, title=title, record_date=day, summary=summary))
    engine.dispose()
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started:
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("THREADLINE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def sign_in(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base, locale="en-GB",
                                  timezone_id="Europe/London")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.console_errors = errors
    return page


def test_debrief_to_implemented_and_restricted_review(server, browser, shots):
    from playwright.sync_api import expect

    # --- a detective inspector records a rapid debrief: the short form, then the detail
    di = sign_in(browser, server, "force.contributor")
    di.screenshot(path=str(shots / "01-dashboard.png"), full_page=True)
    di.get_by_role("link", name="Record a debrief or review").first.click()
    di.get_by_label("Kind").select_option("homicide_debrief")
    di.get_by_label("Title").fill("Homicide rapid debrief: fatal stabbing, Briggate")
    di.get_by_label("Date of the debrief or review").fill("2025-03-04")
    di.get_by_label("Summary").fill(SUMMARY)
    di.screenshot(path=str(shots / "02-short-form.png"), full_page=True)
    di.get_by_role("button", name="Save and add detail now").click()
    expect(di.get_by_role("heading", name="Edit record")).to_be_visible()
    di.get_by_label("Findings").fill("The victim had been excluded from school; the exclusion was not shared.")
    di.get_by_label("Themes").select_option(["school-exclusion", "information-sharing"])
    di.get_by_label("Case ids").fill("WY-2025-0314")
    di.get_by_role("checkbox", name=PARTNER_ORG).first.check()
    di.get_by_role("button", name="Save changes").click()
    expect(di.get_by_text("Your changes were saved.")).to_be_visible()
    record_url = di.url.split("?")[0]

    # --- tasks out a recommendation, assigned to a named officer of the council
    di.get_by_label("Action").fill("Share school exclusion lists with the neighbourhood policing team every week")
    di.get_by_label("Owner", exact=True).select_option("user:partner.contributor")
    di.get_by_label("Due").fill("2025-09-30")
    di.get_by_role("button", name="Add recommendation").click()
    expect(di.get_by_text("The recommendation was added.")).to_be_visible()
    expect(di.locator("article.rec")).to_contain_text("Leeds City Council — Partner Contributor")
    di.screenshot(path=str(shots / "03-record-with-recommendation.png"), full_page=True)

    # --- and records a restricted domestic homicide review, shared with the NHS trust only
    di.goto("/records/new")
    di.get_by_label("Kind").select_option("domestic_homicide_review")
    di.get_by_label("Title").fill("DHR: strangulation disclosed twice before the death")
    di.get_by_label("Summary").fill("Non-fatal strangulation was disclosed twice to health services.")
    di.get_by_role("checkbox", name=re.compile("Restricted")).check()
    di.get_by_role("checkbox", name=OTHER_ORG).check()
    di.get_by_role("button", name="Save", exact=True).click()
    expect(di.get_by_text("Restricted", exact=True)).to_be_visible()
    secret_url = di.url.split("?")[0]

    # --- the council officer finds it assigned to them and marks it implemented with evidence
    council = sign_in(browser, server, "partner.contributor")
    council.get_by_role("link", name="Recommendations", exact=True).click()
    council.get_by_label("Assigned to me").check()
    council.get_by_role("button", name="Show").click()
    council.get_by_role("link", name=re.compile("Share school exclusion lists")).click()
    council.get_by_label("Status").select_option("accepted")
    council.get_by_label("Note").fill("Agreed at the education safeguarding group")
    council.get_by_role("button", name="Update").click()
    expect(council.get_by_text("The recommendation was updated.")).to_be_visible()
    evidence = shots / "exclusion-sharing-protocol.txt"
    evidence.write_text("Protocol signed 1 May 2025: exclusions shared every Monday.", encoding="utf-8")
    council.get_by_label("Attach evidence").set_input_files(str(evidence))
    council.get_by_role("button", name="Upload", exact=True).click()
    expect(council.get_by_text("The evidence was attached.")).to_be_visible()
    council.get_by_label("Status").select_option("implemented")
    council.get_by_label("Evidence of implementation").fill("Weekly exclusion list sent to the NPT since 5 May 2025")
    council.get_by_role("button", name="Update").click()
    expect(council.get_by_text("The recommendation was updated.")).to_be_visible()
    expect(council.locator(".facts .status-implemented")).to_be_visible()
    council.screenshot(path=str(shots / "04-recommendation-implemented.png"), full_page=True)

    # --- the debrief is found by its words and by a paraphrase sharing none of them
    di.goto("/records")
    di.get_by_label("Search debriefs").fill("takeaway Briggate")
    di.get_by_role("button", name="Search", exact=True).click()
    expect(di.locator("ol.results")).to_contain_text("fatal stabbing, Briggate")
    expect(di.locator("ol.results mark").first).to_be_visible()
    di.screenshot(path=str(shots / "05-search-full-text.png"), full_page=True)
    di.get_by_label("Search debriefs").fill(PARAPHRASE)
    di.get_by_label("Meaning (semantic)").check()
    di.get_by_role("button", name="Search", exact=True).click()
    expect(di.locator("ol.results li").first).to_contain_text("fatal stabbing, Briggate")
    di.screenshot(path=str(shots / "06-search-semantic.png"), full_page=True)

    # --- a council reader cannot see the restricted review: not by search, address or export
    reader = sign_in(browser, server, "partner.reader")
    reader.goto("/records?q=strangulation")
    expect(reader.locator("ol.results")).to_contain_text("No records found")
    reader.goto("/records")
    expect(reader.locator("ol.results")).not_to_contain_text("DHR: strangulation")
    response = reader.goto(secret_url)
    assert response.status == 404
    expect(reader.get_by_role("heading", name="Not found")).to_be_visible()
    reader.screenshot(path=str(shots / "07-partner-restricted-404.png"), full_page=True)
    export = reader.request.get("/export/records.csv")
    assert export.ok and "strangulation" not in export.text().lower()
    assert "fatal stabbing" in export.text().lower()
    # the NHS trust it was shared with can
    nhs = sign_in(browser, server, "other.reader")
    assert nhs.goto(secret_url).status == 200

    # --- the rest of the daily pages, for the look of them
    di.goto("/")
    di.screenshot(path=str(shots / "08-dashboard-after.png"), full_page=True)
    di.goto(record_url)
    di.screenshot(path=str(shots / "09-record.png"), full_page=True)
    for name, url in [("10-recommendations", "/recommendations"), ("11-lessons", "/lessons"),
                      ("12-governance", "/governance?start=2024-01-01")]:
        assert di.goto(url).status == 200
        di.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    reviewer = sign_in(browser, server, "force.reviewer")
    assert reviewer.goto("/review").status == 200
    expect(reviewer.locator("ol.results")).to_contain_text("call handling of repeat domestic abuse calls")
    reviewer.screenshot(path=str(shots / "13-review-queue.png"), full_page=True)
    for page in (di, council, reader, nhs, reviewer):  # no CSP violation or script error on any page
        assert not [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e], \
            page.console_errors
