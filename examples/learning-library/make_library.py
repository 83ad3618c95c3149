"""Write the example library of debrief documents (fictional) and its metadata CSVs.

    .venv/bin/python examples/learning-library/make_library.py

Eight short documents (text, Word and PDF) about invented incidents in West Yorkshire, for trying
``threadline learning import-library`` and for the bulk import tests. Every person, place detail
and case number is made up. The PDF writer is a few lines of hand-written PDF 1.4 (one page,
Helvetica), so nothing but python-docx is needed.
"""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import docx

HERE = Path(__file__).parent
DOCS = HERE / "documents"
POLICE, COUNCIL, NHS = "West Yorkshire Police", "Leeds City Council", "Leeds Teaching Hospitals NHS Trust"

LIBRARY = [
    dict(file="2023-014-takeaway-stabbing.txt", kind="homicide_debrief",
         title="Rapid debrief: fatal stabbing outside a takeaway, Harehills", record_date="2023-05-12",
         incident_date="2023-05-02", themes="weapons;retaliation;information-sharing", tags="rapid debrief;knife",
         organisations=f"{COUNCIL}", case_ids="WYP-23-0114", restricted="no", shared_with="",
         confidentiality="OFFICIAL-SENSITIVE",
         summary="A 17-year-old died after being stabbed outside a takeaway following a dispute that "
                 "began on social media.",
         findings="The school had recorded threats between the two groups a week earlier; the information "
                  "did not reach the neighbourhood policing team.",
         body="Rapid debrief held on 9 May 2023, seven days after the incident.\n"
              "What happened: two groups of young people had exchanged threats on a messaging app for several "
              "days. The victim was approached outside a takeaway on Roundhay Road and stabbed once.\n"
              "What went well: first officers arrived within six minutes; first aid was given before the "
              "ambulance arrived; the scene was preserved.\n"
              "Learning: school staff had logged the threats but had no route to share them with the police "
              "outside a formal referral.",
         recs=[("Agree a same-day route for schools to pass threats of violence to neighbourhood teams",
                COUNCIL, "2023-09-30", "information-sharing")]),
    dict(file="2022-dhr-adult-a.docx", kind="domestic_homicide_review",
         title="Domestic homicide review: Adult A", record_date="2022-11-30", incident_date="2021-08-14",
         themes="non-fatal-strangulation;coercive-control;marac-mappa", tags="DHR", organisations=f"{NHS};{COUNCIL}",
         case_ids="WYP-21-3310", restricted="yes", shared_with=f"{NHS}", confidentiality="OFFICIAL-SENSITIVE",
         summary="Adult A was killed by her partner; she had twice told her GP he had strangled her.",
         findings="Disclosures of strangulation were not recognised as a high-risk indicator and no DASH "
                  "risk assessment or MARAC referral followed.",
         body="Adult A, 34, was killed at home by her partner in August 2021.\n"
              "She attended her GP practice twice in the preceding year and described being strangled.\n"
              "Neither disclosure led to a DASH risk assessment or a referral to MARAC.\n"
              "The review panel found that coercive control was visible in the records of three agencies "
              "but no agency held the whole picture.",
         recs=[("Train GP practice staff to treat any disclosure of strangulation as high risk and refer to MARAC",
                NHS, "2023-06-30", "non-fatal-strangulation;training")]),
    dict(file="2024-near-miss-arson.pdf", kind="near_miss_debrief",
         title="Near-miss debrief: arson at a victim's home after bail breaches", record_date="2024-02-20",
         incident_date="2024-02-03", themes="bail-conditions;risk-escalation;repeat-victimisation",
         tags="near miss;arson", organisations="", case_ids="WYP-24-0420", restricted="no", shared_with="",
         confidentiality="OFFICIAL", summary="",
         findings="Each breach of bail conditions was recorded as a separate low-risk incident.",
         body="Near-miss debrief. A former partner set fire to the victim's front door at night.\n"
              "The victim and her two children escaped unhurt.\n"
              "He had breached his bail conditions five times in three weeks.\n"
              "Each breach was graded as a separate low-risk call and no officer saw the pattern.\n"
              "Learning: repeated breaches of bail are escalating risk and must be reviewed together.",
         recs=[("Flag a third breach of bail conditions in 30 days for review by a supervisor", POLICE,
                "2024-06-30", "bail-conditions")]),
    dict(file="2023-cspr-child-c.docx", kind="child_safeguarding_review",
         title="Child safeguarding practice review: Child C", record_date="2023-09-08", incident_date="2022-12-01",
         themes="voice-of-victim;professional-curiosity;record-keeping", tags="CSPR",
         organisations=f"{COUNCIL};{NHS}", case_ids="", restricted="no", shared_with="", confidentiality="",
         summary="An infant suffered serious injuries; health visitors had not been able to see the child at home "
                 "on four occasions.",
         findings="Missed home visits were recorded but not escalated; the child's voice was absent from "
                  "every assessment.",
         body="Child C was nine months old when admitted to hospital with serious injuries.\n"
              "The health visiting service had tried four times to see the baby at home without success.\n"
              "Each missed visit was recorded; none was escalated to the safeguarding lead.\n"
              "Practitioners accepted the parents' explanations without professional curiosity.",
         recs=[("Escalate a second missed health visit for a child under one to the safeguarding lead", NHS,
                "2024-01-31", "record-keeping")]),
    dict(file="2023-mh-homicide-mr-d.txt", kind="mental_health_homicide_review",
         title="Mental health homicide review: Mr D", record_date="2023-03-15", incident_date="2022-06-20",
         themes="mental-health;transitions;substance-misuse", tags="", organisations=f"{NHS}",
         case_ids="WYP-22-1877", restricted="yes", shared_with="", confidentiality="official_sensitive",
         summary="A man discharged from a psychiatric ward stopped taking his medication and killed his father.",
         findings="After discharge nobody checked that he attended his follow-up appointment.",
         body="Mr D was discharged from an acute psychiatric ward in May 2022.\n"
              "A follow-up appointment within seven days was booked but not attended.\n"
              "His father phoned the crisis line twice saying his son had stopped his medication.\n"
              "Care coordinator caseloads were too high for the non-attendance to be followed up.",
         recs=[]),
    dict(file="2024-sar-mrs-e.pdf", kind="safeguarding_adult_review",
         title="Safeguarding adult review: Mrs E", record_date="2024-06-01", incident_date="2023-12-10",
         themes="self-neglect;housing;multi-agency-working", tags="SAR", organisations=f"{COUNCIL}",
         case_ids="", restricted="no", shared_with="", confidentiality="OFFICIAL",
         summary="An elderly woman living alone died of self-neglect; her hoarding was known to housing officers.",
         findings="No agency took the lead and the case was closed three times.",
         body="Mrs E, 81, lived alone in a council flat.\n"
              "Housing officers had reported hoarding and a fire risk on three visits.\n"
              "Each referral was closed because Mrs E declined help.\n"
              "No multi-agency meeting was held and no one agency took the lead.",
         recs=[("Hold a multi-agency self-neglect meeting when a referral is closed twice in a year", COUNCIL,
                "2024-12-31", "self-neglect;multi-agency-working")]),
    dict(file="2024-call-handling-review.txt", kind="organisational_review",
         title="Organisational review: 999 call graded as a scheduled appointment", record_date="2024-04-18",
         incident_date="", themes="call-handling;attendance", tags="THRIVE", organisations="",
         case_ids="WYP-24-0655", restricted="no", shared_with="", confidentiality="official",
         summary="A 999 call graded for a scheduled appointment was a life-threatening assault in progress.",
         findings="The call handler did not see two earlier calls from the same address that evening.",
         body="A caller reported shouting from the flat next door.\n"
              "The call was graded for a scheduled appointment the next day.\n"
              "Two earlier calls from the same address that evening were not linked.\n"
              "Learning: THRIVE grading must take account of previous calls to the address.",
         recs=[("Show calls from the same address in the last 24 hours on the call handler's screen", POLICE,
                "2024-09-30", "call-handling")]),
    dict(file="2023-pfd-county-lines.docx", kind="prevention_of_future_deaths",
         title="Prevention of future deaths report: boy exploited in county lines", record_date="2023-07-21",
         incident_date="2022-10-05", themes="county-lines;child-exploitation;missing-episodes",
         tags="coroner;reg 28", organisations=f"{COUNCIL}", case_ids="", restricted="no", shared_with="",
         confidentiality="OFFICIAL",
         summary="The coroner found that a 15-year-old reported missing eleven times had been exploited by a "
                 "drug-dealing network.",
         findings="Return home interviews were not done after most missing episodes.",
         body="Regulation 28 report to prevent future deaths.\n"
              "The boy was reported missing eleven times in six months and found in other towns.\n"
              "Return home interviews were completed after only two of the episodes.\n"
              "The coroner is concerned that exploitation was not recognised.",
         recs=[("Complete a return home interview within 72 hours of every missing episode", COUNCIL,
                "2023-12-31", "missing-episodes")]),
]

METADATA_COLUMNS = ["file", "kind", "title", "record_date", "incident_date", "summary", "findings", "themes",
                    "tags", "organisations", "case_ids", "restricted", "shared_with", "confidentiality"]


def write_txt(path: Path, title: str, body: str) -> None:
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def write_docx(path: Path, title: str, body: str) -> None:
    d = docx.Document()
    d.add_heading(title, level=1)
    for para in body.split("\n"):
        d.add_paragraph(para)
    d.core_properties.author = "Threadline example library"
    d.save(path)


def _pdf_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, title: str, body: str) -> None:
    """A one-page PDF 1.4 with the text in Helvetica, written by hand (extractable by pypdf)."""
    lines = [title, ""] + [w for para in body.split("\n") for w in textwrap.wrap(para, 85) + [""]]
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 790 Td"]
    ops += [f"({_pdf_escape(line)}) Tj T*" for line in lines]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for item in LIBRARY:
        path = DOCS / item["file"]
        {".txt": write_txt, ".docx": write_docx, ".pdf": write_pdf}[path.suffix](path, item["title"], item["body"])
    with (HERE / "metadata.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(METADATA_COLUMNS)
        for item in LIBRARY:
            w.writerow([item[c] for c in METADATA_COLUMNS])
    with (HERE / "recommendations.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "action", "owner_organisation", "owner_username", "owner_name", "due_date", "themes"])
        for item in LIBRARY:
            for action, org, due, themes in item["recs"]:
                w.writerow([item["file"], action, org, "", "", due, themes])


if __name__ == "__main__":
    main()
