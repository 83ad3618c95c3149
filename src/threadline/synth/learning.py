"""Synthetic learning records with known ground truth: ``generate``, ``load`` and ``sample``.

The learning repository (``threadline.learning``) holds debriefs, statutory reviews and their
recommendations, which no force can share for testing. This module writes a realistic stand-in: a
force and its partners (councils, NHS trusts, youth justice, probation, the violence reduction
unit), their users by role, and records of every kind in :data:`threadline.learning.vocab.KINDS`
spread over about six years, with titles, summaries and findings composed from sentence banks per
theme of the shipped taxonomy (``learning/taxonomy.yaml``), and recommendations with owners, due
dates, statuses and the history of how they got there.

Ground truth (:class:`Truth`) is what the generator decided, so tests and benchmarks can check the
application against it: how many records of each kind, how many recommendations in each status,
how many are overdue on the corpus date, how often each theme recurs each year (the recurring
themes are drawn at fixed rates, :data:`RECURRING_RATES`, and one emerging theme rises year on year,
:data:`EMERGING`), and which themes' recommendations are least often implemented
(:data:`IMPLEMENTATION_RATES`): "what keeps being learned and not implemented".
``paraphrase_pairs`` are records written in words that a query paraphrases with no content word in
common, for testing semantic search.

Everything is fixed by the seed (:func:`generate` uses its own ``random.Random``); no real person
is named: victims carry the pseudonyms reviews use ("Adult D", "Child K"), staff names come from the
fixed lists below. :func:`load` writes a corpus into a migrated database with bulk inserts (20,000
records and 60,000 recommendations in a few minutes on two cores), filling the full-text index with
the same text :func:`threadline.learning.search.record_text` gives and the sentence embeddings in
batches.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import yaml
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from threadline.learning import audit, search, semantic
from threadline.learning import records as records_mod
from threadline.learning.db import is_sqlite
from threadline.learning.models import (
    AuditEvent,
    LearningRecord,
    Organisation,
    Recommendation,
    RecommendationEvent,
    RecordEmbedding,
    Theme,
    User,
    recommendation_themes,
    record_organisations,
    record_shares,
    record_themes,
)
from threadline.learning.vocab import OPEN_STATUSES

#: The corpus date when none is given: records run up to it, overdue is counted on it.
AS_OF = dt.date(2026, 11, 1)
YEARS = 6
#: The one password of every synthetic user (hashed once by :func:`load`).
PASSWORD = "synthetic learning data only"
AUDIT_DETAIL = "synthetic learning corpus loaded"

#: The force and its partners: (name, kind). A corpus uses the force and the first 6 to 9
#: partners (the seed decides how many).
ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("West Yorkshire Police", "police"),
    ("Leeds City Council", "local_authority"),
    ("Leeds Teaching Hospitals NHS Trust", "nhs"),
    ("Bradford Metropolitan District Council", "local_authority"),
    ("Leeds and York Partnership NHS Foundation Trust", "nhs"),
    ("Leeds Youth Justice Service", "youth_justice"),
    ("Probation Service Yorkshire and the Humber", "probation"),
    ("West Yorkshire Violence Reduction Partnership", "vru"),
    ("Kirklees Council", "local_authority"),
    ("Bradford District Care NHS Foundation Trust", "nhs"),
)
FORCE = ORGANISATIONS[0][0]

GIVEN = ("Amira", "Ben", "Carys", "Dev", "Eleanor", "Farhan", "Grace", "Harvey", "Imogen", "Jamal",
         "Kasia", "Liam", "Maryam", "Nathan", "Olivia", "Priya", "Quentin", "Rosa", "Sanjay", "Tess",
         "Usman", "Vera", "Wesley", "Yasmin", "Zoe", "Aled", "Bronwen", "Callum", "Dorota", "Ewan")
FAMILY = ("Ackroyd", "Bhatti", "Castle", "Dunmore", "Ellison", "Firth", "Garside", "Hussain", "Illingworth",
          "Jowett", "Kowalski", "Lockwood", "Mahmood", "Nuttall", "Oduya", "Pickersgill", "Rashid", "Sutcliffe",
          "Thornton", "Uddin", "Varley", "Whiteley", "Yeadon", "Zielinski", "Armitage", "Brook", "Crowther",
          "Dyson", "Exley", "Haigh")
PLACES = ("Harehills", "Chapeltown", "Seacroft", "Beeston", "Armley", "Holbeck", "Manningham", "Keighley",
          "Bradford city centre", "Dewsbury", "Batley", "Huddersfield", "Halifax", "Wakefield", "Castleford",
          "Pontefract", "Leeds city centre", "Morley", "Shipley", "Todmorden")
JOB_TITLES = ("Head of Safeguarding", "Detective Superintendent, Major Crime",
              "Service Manager, Children's Social Work", "Named Nurse for Safeguarding Adults",
              "Head of Public Protection", "Area Manager",
              "Strategic Lead, Domestic Abuse", "Deputy Director of Nursing", "Head of Service, Youth Justice",
              "Learning and Development Lead")

#: Record kinds, how often (share of records), who owns them, and the lag from incident to record
#: (days, low-high). ASSUMPTION, shaped after what forces reported to HMICFRS (2023): debriefs are
#: the commonest and within days; statutory reviews months to years after the death.
KIND_PLAN: dict[str, tuple[float, tuple[str, ...], tuple[int, int]]] = {
    "homicide_debrief": (0.16, ("police",), (2, 21)),
    "near_miss_debrief": (0.14, ("police",), (2, 21)),
    "serious_violence_debrief": (0.22, ("police", "vru"), (2, 30)),
    "domestic_homicide_review": (0.10, ("local_authority",), (240, 900)),
    "child_safeguarding_review": (0.07, ("local_authority",), (120, 540)),
    "safeguarding_adult_review": (0.07, ("local_authority",), (180, 720)),
    "mental_health_homicide_review": (0.05, ("nhs",), (240, 800)),
    "prevention_of_future_deaths": (0.06, ("police", "nhs", "local_authority"), (180, 700)),
    "organisational_review": (0.08, ("police", "local_authority", "nhs", "probation", "youth_justice"), (30, 365)),
    "other": (0.05, ("vru", "police", "local_authority"), (10, 365)),
}

#: Themes that recur whatever the kind, at these fixed rates (share of records carrying them,
#: the same in every year): the lessons reviews keep finding (Home Office DHR analyses 2016, 2024;
#: national SAR analyses 2020, 2024).
RECURRING_RATES: dict[str, float] = {
    "information-sharing": 0.32,
    "risk-assessment": 0.22,
    "professional-curiosity": 0.18,
    "record-keeping": 0.12,
}
#: An emerging theme: its rate rises linearly from the first to the last year.
EMERGING: tuple[str, float, float] = ("county-lines", 0.02, 0.16)

#: Themes each kind draws its other one to three themes from (equal weights).
KIND_THEMES: dict[str, tuple[str, ...]] = {
    "homicide_debrief": ("weapons", "gangs", "retaliation", "investigation", "family-liaison", "attendance",
                         "call-handling", "substance-misuse", "mental-health"),
    "near_miss_debrief": ("call-handling", "attendance", "risk-escalation", "weapons", "retaliation",
                          "non-fatal-strangulation", "bail-conditions", "marac-mappa"),
    "serious_violence_debrief": ("weapons", "gangs", "retaliation", "ed-presentations", "child-exploitation",
                                 "school-exclusion", "missing-episodes", "attendance"),
    "domestic_homicide_review": ("coercive-control", "stalking", "non-fatal-strangulation", "marac-mappa",
                                 "repeat-victimisation", "voice-of-victim", "financial-abuse", "language-culture",
                                 "housing", "multi-agency-working"),
    "child_safeguarding_review": ("voice-of-victim", "child-exploitation", "school-exclusion", "missing-episodes",
                                  "multi-agency-working", "supervision", "transitions"),
    "safeguarding_adult_review": ("self-neglect", "mental-health", "substance-misuse", "housing", "transitions",
                                  "multi-agency-working", "language-culture"),
    "mental_health_homicide_review": ("mental-health", "risk-escalation", "substance-misuse", "multi-agency-working",
                                      "ed-presentations", "supervision"),
    "prevention_of_future_deaths": ("prevention-of-future-deaths", "call-handling", "mental-health",
                                    "ed-presentations", "training", "attendance"),
    "organisational_review": ("training", "supervision", "call-handling", "disproportionality", "investigation",
                              "multi-agency-working"),
    "other": ("training", "disproportionality", "language-culture", "gangs", "housing", "weapons"),
}

#: Share of a theme's due recommendations that get implemented (the rest stay open, overdue);
#: ASSUMPTION: partnership actions (information sharing, multi-agency working) are the ones that
#: keep recurring unimplemented, as the DHR analyses find; training is done.
IMPLEMENTATION_RATES: dict[str, float] = {
    "information-sharing": 0.55, "multi-agency-working": 0.6, "marac-mappa": 0.65, "transitions": 0.6,
    "housing": 0.65, "supervision": 0.7, "training": 0.95, "call-handling": 0.92, "record-keeping": 0.88,
}
DEFAULT_IMPLEMENTATION = 0.86
NOT_ACCEPTED_SHARE = 0.06

# ---------------------------------------------------------------------------------------------
# Sentence banks. Each theme: (what happened, what the review found, recommended actions).
# Slots: {place} {agency} {partner} {weeks} {n} {subject} {they}.
# ---------------------------------------------------------------------------------------------
BANK: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "information-sharing": (
        ("{partner} held information about previous incidents that was not passed to the police.",
         "Concerns raised by a GP surgery in {place} never reached the safeguarding hub."),
        ("Information was held in separate systems and no agency had the whole picture of {subject}.",
         "Staff were unsure what they could lawfully share without consent and erred on the side of silence.",
         "A referral sent by secure email sat unread in a shared inbox for {weeks} weeks."),
        ("Publish a one-page guide to lawful information sharing for frontline staff in every partner agency.",
         "Agree a single information sharing agreement covering health, police and children's services.",
         "Audit the shared safeguarding inbox monthly and report response times to the partnership board."),
    ),
    "multi-agency-working": (
        ("Several agencies were working with {subject} but no one agency coordinated the response.",
         "A strategy discussion was requested but did not take place for {weeks} weeks."),
        ("Escalation between agencies relied on individual relationships rather than an agreed route.",
         "Disagreements about thresholds were not escalated under the partnership's resolution protocol."),
        ("Relaunch the multi-agency escalation protocol and test awareness of it through a practitioner survey.",
         "Hold a multi-agency case audit of cases where a strategy discussion was delayed.",
         "Name a lead professional whenever three or more agencies are involved with a family."),
    ),
    "marac-mappa": (
        ("The case was heard at MARAC {n} times but actions were not followed up between meetings.",
         "The perpetrator was not referred to MAPPA despite a history of serious violence."),
        ("MARAC actions were recorded as complete when they had only been allocated.",
         "Probation and the police held different views of the risk level and the panel did not reconcile them."),
        ("Review the MARAC action tracker so actions are only closed with evidence of completion.",
         "Brief probation and police supervisors on MAPPA referral criteria for domestic abuse perpetrators."),
    ),
    "risk-assessment": (
        ("A DASH risk assessment was completed at the scene and graded as standard risk.",
         "The risk assessment did not record the victim's own account of escalating threats."),
        ("Risk was assessed incident by incident rather than on the whole history.",
         "Officers scored the questionnaire but did not apply professional judgement to raise the grading.",
         "The stalking screening tool was not used although the behaviour met the pattern."),
        ("Refresh training on structured professional judgement when completing DASH assessments.",
         "Require supervisors to review every standard-risk assessment with three or more previous incidents.",
         "Introduce the stalking screening tool in the initial response to every harassment report."),
    ),
    "risk-escalation": (
        ("In the weeks before the incident the threats became more frequent and specific.",
         "{subject} told a support worker that things had become much worse at home."),
        ("Escalating behaviour was not recognised as a change in risk by any agency.",
         "Each contact was treated on its own and the pattern of escalation was missed."),
        ("Add escalation markers to the case management system so repeated contacts trigger a review.",
         "Develop briefing material on recognising escalating risk using anonymised case studies."),
    ),
    "repeat-victimisation": (
        ("The victim had reported {n} previous incidents involving the same suspect.",
         "Repeat calls from the same address in {place} were not linked."),
        ("Repeat victimisation was not identified because previous reports were recorded under different names.",
         "Call handlers could not easily see the history of previous calls from the address."),
        ("Make repeat victim flags visible to call handlers at the point of the call.",
         "Run a quarterly report of addresses with repeat domestic incidents for neighbourhood teams."),
    ),
    "coercive-control": (
        ("Family members described a relationship in which {subject} was isolated from friends and family.",
         "The partner controlled where {subject} went, whom {they} saw and what {they} wore."),
        ("Professionals focused on physical violence and did not recognise coercive and controlling behaviour.",
         "No agency asked about control or isolation during routine contacts."),
        ("Train frontline staff across the partnership to recognise coercive and controlling behaviour.",
         "Include questions on control and isolation in routine enquiry by health visitors and GPs."),
    ),
    "stalking": (
        ("{subject} reported being followed and receiving hundreds of messages from a former partner.",
         "The suspect repeatedly turned up at the victim's workplace in {place}."),
        ("The behaviour was recorded as separate harassment incidents and not investigated as stalking.",
         "No stalking protection order was considered."),
        ("Appoint stalking champions in each district to advise on investigations and protection orders.",
         "Review harassment crimes monthly to identify behaviour that should be recorded as stalking."),
    ),
    "non-fatal-strangulation": (
        ("The victim disclosed that she had been strangled during an earlier assault.",
         "Marks on the victim's neck were noted by a paramedic but not reported."),
        ("The significance of non-fatal strangulation as a marker of homicide risk was not understood.",
         "The offence of non-fatal strangulation was not considered when charging."),
        ("Brief all response officers and paramedics on non-fatal strangulation as a high-risk indicator.",
         "Ensure medical examination is offered whenever strangulation is disclosed."),
    ),
    "child-exploitation": (
        ("{subject} had been found in the company of older males in {place} on several occasions.",
         "Staff suspected the child was being exploited but no referral was made."),
        ("Signs of criminal exploitation were seen as the child's choices rather than as abuse.",
         "The exploitation screening tool was completed but not shared with the police."),
        ("Strengthen the exploitation pathway so every screening tool reaches the multi-agency panel within a week.",
         "Train staff to use language that treats exploited children as victims."),
    ),
    "county-lines": (
        ("{subject} had been arrested in another force area carrying drugs and a large amount of cash.",
         "A flat in {place} was taken over and used to supply drugs."),
        ("Intelligence from the other force was not linked to the local safeguarding response.",
         "The cuckooing of a vulnerable adult's home was not recognised."),
        ("Agree a cross-border protocol for sharing county lines intelligence within 24 hours.",
         "Add cuckooing indicators to the vulnerable adults referral form."),
    ),
    "school-exclusion": (
        ("{subject} had been permanently excluded from school {n} months before the incident.",
         "Attendance at alternative provision was poor and not followed up."),
        ("Exclusion increased the time the child spent unsupervised and exposed to exploitation.",
         "Schools did not share exclusion decisions with youth justice and early help."),
        ("Notify the youth justice service and early help of every permanent exclusion of a child known to them.",
         "Review attendance at alternative provision weekly with a named lead."),
    ),
    "missing-episodes": (
        ("{subject} was reported missing {n} times in the six months before the incident.",
         "Return home interviews were offered but not completed."),
        ("Missing episodes were treated as routine and the risk of exploitation was not considered.",
         "Information from return home interviews was not analysed for patterns."),
        ("Ensure every return home interview is completed within 72 hours and its findings shared.",
         "Review children with three or more missing episodes at the exploitation panel."),
    ),
    "transitions": (
        ("Support from children's services ended on {subject}'s eighteenth birthday.",
         "The transfer to adult mental health services took {n} months."),
        ("There was no planned transition between children's and adult services.",
         "Adult services were not told of the risks known to children's services."),
        ("Agree a transitions protocol starting planning from the age of sixteen.",
         "Create a transitions panel for young people with complex needs."),
    ),
    "mental-health": (
        ("{subject} had been in contact with community mental health services for several years.",
         "A crisis team assessment took place {weeks} weeks before the incident."),
        ("The risk {subject} posed to others was not assessed alongside the risk to self.",
         "Care coordination lapsed when the care coordinator left and the case was not reallocated."),
        ("Audit risk assessments in community mental health teams for consideration of risk to others.",
         "Ensure cases are reallocated within five working days when a care coordinator leaves."),
    ),
    "substance-misuse": (
        ("{subject} was dependent on alcohol and crack cocaine.",
         "Drug and alcohol services discharged {subject} after {n} missed appointments."),
        ("Discharge for non-attendance left {subject} without support at a time of high risk.",
         "The combined effect of substance misuse and mental ill health was not considered."),
        ("Replace discharge for non-attendance with an assertive outreach approach for high-risk clients.",
         "Develop a dual diagnosis protocol between drug services and mental health services."),
    ),
    "self-neglect": (
        ("{subject} was living in squalid conditions and refusing help.",
         "Neighbours in {place} reported concerns about the condition of the home."),
        ("Professionals accepted refusals of help without assessing mental capacity.",
         "The self-neglect policy was not used."),
        ("Relaunch the self-neglect and hoarding policy with a practitioner briefing.",
         "Provide mental capacity assessment training focused on executive capacity."),
    ),
    "ed-presentations": (
        ("{subject} attended the emergency department {n} times with injuries in the year before.",
         "An assault injury treated at the emergency department was not shared with the violence reduction unit."),
        ("Repeat attendances with injuries were not recognised as a safeguarding concern.",
         "Emergency department data on assault locations was not used to target prevention."),
        ("Add a prompt for safeguarding enquiry after a second attendance with an injury in twelve months.",
         "Share anonymised emergency department assault data monthly under the Cardiff Model."),
    ),
    "weapons": (
        ("The victim suffered a fatal stab wound in {place}.",
         "A knife was recovered near the scene."),
        ("Earlier intelligence that the suspect carried a knife had not been acted on.",
         "Knife crime prevention messages did not reach the young people most at risk."),
        ("Review how intelligence about weapon carrying is graded and actioned.",
         "Fund targeted knife crime education in schools in the areas of highest risk."),
    ),
    "gangs": (
        ("The incident followed a dispute between two groups of young men in {place}.",
         "{subject} was believed to be associated with an organised crime group."),
        ("Group affiliation was known to the police but not to the services working with {subject}.",
         "Tensions between groups were not assessed after earlier incidents."),
        ("Share group violence assessments with youth justice and children's services.",
         "Hold a tension-monitoring meeting within 48 hours of any serious incident involving groups."),
    ),
    "retaliation": (
        ("Social media posts after an earlier stabbing threatened revenge.",
         "There were fears of retaliation in {place} after the incident."),
        ("The risk of retaliation was not assessed after the first incident.",
         "Community tension monitoring did not include social media."),
        ("Introduce a retaliation risk assessment after every serious violent incident.",
         "Include social media monitoring in community tension assessments."),
    ),
    "professional-curiosity": (
        ("Professionals accepted explanations for injuries without question.",
         "{subject} was often seen with the partner present."),
        ("A lack of professional curiosity meant opportunities to ask about abuse were missed.",
         "Staff did not ask to see {subject} alone."),
        ("Promote professional curiosity through reflective practice sessions.",
         "Ensure practitioners see the person alone at least once during every assessment."),
    ),
    "voice-of-victim": (
        ("{subject}'s wishes were not recorded in any agency's records.",
         "The child's lived experience was not captured."),
        ("Agencies spoke to the adults around {subject} rather than to {subject} directly.",
         "What {subject} said about feeling unsafe was not acted on."),
        ("Record the voice of the child or victim in every assessment and review it in supervision.",
         "Hold a practitioner workshop on capturing lived experience."),
    ),
    "record-keeping": (
        ("Records of contacts with {subject} were incomplete.",
         "Key information was held in free text notes that were hard to find."),
        ("Poor record keeping meant that later staff did not know the history.",
         "Chronologies were not maintained."),
        ("Audit case records for a chronology of significant events.",
         "Issue guidance on recording key risk information in structured fields."),
    ),
    "supervision": (
        ("The case was not discussed in supervision for {n} months.",
         "The practitioner was carrying a caseload well above the recommended level."),
        ("Management oversight did not challenge the drift in the case.",
         "Supervision focused on tasks rather than reflection on risk."),
        ("Ensure complex cases are discussed in supervision at least monthly.",
         "Review caseload weighting in the team."),
    ),
    "training": (
        ("Staff involved had not received recent training on domestic abuse.",
         "New staff had not completed the safeguarding induction."),
        ("Training had not kept pace with changes in legislation and guidance.",
         "Learning from earlier reviews had not been included in training."),
        ("Include learning from reviews in the annual safeguarding training programme.",
         "Track completion of mandatory training and report it to the board quarterly."),
    ),
    "call-handling": (
        ("The call was graded as a scheduled response under THRIVE.",
         "The caller said she was frightened but the call was not upgraded."),
        ("Call handlers did not check previous calls from the address.",
         "The THRIVE assessment did not take account of vulnerability."),
        ("Refresh call handler training on THRIVE and the use of call history.",
         "Dip sample domestic abuse calls graded for a scheduled response each month."),
    ),
    "attendance": (
        ("Officers attended {n} hours after the first call.",
         "The first officers at the scene gave first aid until paramedics arrived."),
        ("Delays in attendance were caused by a lack of available resources.",
         "Officers did not search for the suspect in the area."),
        ("Review demand and resourcing at peak times.",
         "Provide trauma first aid kits to all response officers."),
    ),
    "investigation": (
        ("The scene was secured and a major incident room opened within hours.",
         "House-to-house enquiries and CCTV trawls took place in {place}."),
        ("Early golden hour opportunities were missed.",
         "The initial investigation did not link earlier reports."),
        ("Refresh golden hour guidance for first responders.",
         "Create a checklist for linking earlier reports in serious violence investigations."),
    ),
    "bail-conditions": (
        ("The suspect had been released on bail with conditions not to contact the victim.",
         "Breaches of conditions were reported but no action was taken."),
        ("Bail conditions were not explained to the victim.",
         "Breaches were not recorded on the police national computer."),
        ("Ensure victims are told of bail conditions within 24 hours.",
         "Audit the recording of bail breaches."),
    ),
    "family-liaison": (
        ("Family liaison officers were deployed on the day of the death.",
         "The family were not told about the review process."),
        ("The family felt they were not kept informed.",
         "The family's views were not sought at the start of the review."),
        ("Offer every bereaved family specialist advocacy.",
         "Tell families about the review at the first contact."),
    ),
    "disproportionality": (
        ("The review considered whether {subject}'s ethnicity affected the response.",
         "Young black men were over-represented among those stopped in {place}."),
        ("Unconscious bias may have affected how concerns were assessed.",
         "Data on protected characteristics was not collected."),
        ("Collect and analyse data on the protected characteristics of victims and suspects.",
         "Deliver training on adultification bias."),
    ),
    "language-culture": (
        ("{subject} did not speak English as a first language.",
         "Family members were used as interpreters."),
        ("Using family members as interpreters prevented disclosure.",
         "Services were not culturally accessible."),
        ("Use professional interpreters in every safeguarding conversation.",
         "Work with community organisations to improve access to services."),
    ),
    "housing": (
        ("{subject} was living in temporary accommodation in {place}.",
         "{subject} had been evicted {n} months before."),
        ("Housing services were not involved in safeguarding planning.",
         "Homelessness increased the risk to {subject}."),
        ("Include housing services in MARAC and safeguarding meetings.",
         "Provide safe accommodation options for victims of domestic abuse."),
    ),
    "financial-abuse": (
        ("The partner controlled {subject}'s money and bank cards.",
         "Debts were taken out in {subject}'s name."),
        ("Economic abuse was not recognised.",
         "Banks were not involved."),
        ("Include economic abuse in domestic abuse training.",
         "Work with banks on identifying economic abuse."),
    ),
    "prevention-of-future-deaths": (
        ("The coroner issued a report to prevent future deaths after the inquest.",
         "The inquest heard evidence about missed opportunities."),
        ("The coroner was concerned that the risks identified were not being addressed.",
         "The response to the coroner's report was late."),
        ("Respond to the coroner within 56 days with a plan of action.",
         "Report progress on the coroner's concerns to the board."),
    ),
}

KIND_OPENINGS: dict[str, tuple[str, ...]] = {
    "homicide_debrief": ("A rapid debrief was held {days} days after the death of {subject} in {place}.",
                         "Officers and partners met to debrief the homicide of {subject} in {place}."),
    "near_miss_debrief": ("A near-miss debrief followed a life-threatening assault on {subject} in {place}.",
                          "{subject} survived an attempt on {their} life in {place}; partners met to learn from it."),
    "serious_violence_debrief": ("A serious violence debrief was held after an assault on {subject} in {place}.",
                                 "Partners debriefed a serious assault in {place} involving {subject}."),
    "domestic_homicide_review": ("This review examines the death of {subject}, killed by a former partner in {place}.",
                                 "The community safety partnership commissioned this review into the death of "
                                 "{subject} in {place}."),
    "child_safeguarding_review": ("This review concerns {subject}, who was seriously harmed in {place}.",
                                  "The safeguarding partnership reviewed the circumstances of {subject}'s death."),
    "safeguarding_adult_review": ("This review concerns {subject}, an adult with care and support needs in {place}.",
                                  "The safeguarding adults board reviewed the death of {subject} in {place}."),
    "mental_health_homicide_review": ("An independent investigation into the care of {subject} before a homicide "
                                      "in {place}.",),
    "prevention_of_future_deaths": ("Following the inquest into the death of {subject}, the coroner raised concerns.",),
    "organisational_review": ("An internal review of practice following concerns raised in {place}.",
                              "A thematic review across the partnership of {n} cases."),
    "other": ("A learning event drew together lessons from cases in {place}.",
              "Thematic learning from the violence reduction partnership."),
}

TITLES: dict[str, tuple[str, ...]] = {
    "homicide_debrief": ("Rapid debrief: fatal stabbing, {place}", "Rapid debrief: death of {subject}, {place}",
                         "Homicide debrief: {subject}, {place}"),
    "near_miss_debrief": ("Near-miss debrief: attempted murder, {place}", "Near-miss debrief: {subject}, {place}"),
    "serious_violence_debrief": ("Serious violence debrief: knife assault, {place}",
                                 "Serious violence debrief: group disorder, {place}",
                                 "Serious violence debrief: {subject}, {place}"),
    "domestic_homicide_review": ("Domestic homicide review: {subject}", "DHR: the death of {subject}, {place}"),
    "child_safeguarding_review": ("Child safeguarding practice review: {subject}", "CSPR: {subject}, {place}"),
    "safeguarding_adult_review": ("Safeguarding adult review: {subject}", "SAR: {subject}, {place}"),
    "mental_health_homicide_review": ("Mental health homicide review: {subject}",),
    "prevention_of_future_deaths": ("Prevention of future deaths report: {subject}",),
    "organisational_review": ("Organisational review: {theme}", "Review of practice: {theme}, {place}"),
    "other": ("Thematic learning: {theme}", "Learning event: {theme}, {place}"),
}

EVIDENCE = ("Training delivered to {n} staff; attendance records held by the learning and development team.",
            "Revised procedure published on the intranet and briefed at team meetings.",
            "Audit of {n} cases completed; findings reported to the partnership board.",
            "Protocol signed by all partners and in use since the start of the quarter.",
            "System change made and tested; a monthly report now goes to supervisors.")
NOT_ACCEPTED = ("Already covered by the national guidance issued this year.",
                "Not proportionate: the cost would exceed the expected benefit.",
                "The service is being recommissioned and the new contract will address it.",
                "Superseded by a recommendation of a later review.")
NOTES = ("Agreed at the partnership board.", "Lead officer assigned.", "Work started.",
         "Progress reviewed at the learning meeting.", "Awaiting sign-off.")


@dataclass(frozen=True)
class ParaphrasePair:
    """A record written so that ``query`` paraphrases it with no content word in common."""
    record_key: int  # index into ``LearningCorpus.records``
    query: str


#: (query, kind, title, summary, findings, action). No theme, tag or case id, so the record's whole
#: indexed text stays free of the query's words.
PARAPHRASES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("pupil exclusion", "other",
     "Learning note: a teenager adrift after being sent away",
     "The youngster had been kicked out of his academy in the spring and spent his days hanging around "
     "the estate with older lads.",
     "Nobody checked where the boy went during the day once the head teacher refused to have him back.",
     "Agree who follows up every child told to leave an academy permanently."),
    ("rogue trader fraud against pensioner", "organisational_review",
     "Learning note: an elderly man cheated on his doorstep",
     "The elderly gentleman handed over his life savings to men posing as roofers who called at his house "
     "several times.",
     "His bank noticed large cash withdrawals but did not ask him about them.",
     "Agree a route for banks to alert adult social care about suspicious cash withdrawals by older customers."),
    ("interpreter booking for non-native speakers", "other",
     "Learning note: a mother who could not read the letters",
     "The mother struggled with the letters sent to her because English was not her first tongue, and her "
     "teenage son translated at appointments.",
     "Staff relied on relatives to translate and the woman could not talk freely.",
     "Arrange an independent translator whenever a parent asks for one."),
    ("deliberate medication overdose", "other",
     "Learning note: sent home after swallowing a packet of paracetamol",
     "He had swallowed a whole packet of paracetamol tablets the week before, was seen at A&E and was "
     "allowed to go home the same night.",
     "No follow-up appointment was arranged once he left the ward.",
     "Book a follow-up appointment before anyone who has taken too many pills leaves A&E."),
    ("dangerous dog bite injuring a toddler", "other",
     "Learning note: a little girl mauled by the family pet",
     "The little girl was mauled by the family's pet bulldog while her mother was upstairs; the animal had "
     "snapped at neighbours before.",
     "Earlier complaints from neighbours about the animal were logged by the council but never followed up.",
     "Visit every home where neighbours complain about an aggressive animal and young children live there."),
    ("partner withholding money and bank cards", "organisational_review",
     "Learning note: an allowance doled out each week",
     "Her husband kept hold of her purse and gave her a few pounds a week for groceries.",
     "Nobody asked how she paid for food or travel.",
     "Ask about access to cash and savings during every domestic abuse risk conversation."),
)


@dataclass
class LearningCorpus:
    """A generated corpus: plain data, ready for :func:`load`. Ids are positions in the lists."""
    seed: int
    as_of: dt.date
    organisations: list[dict]
    users: list[dict]
    records: list[dict]
    recommendations: list[dict]
    paraphrase_pairs: list[ParaphrasePair]
    truth: Truth
    password: str = PASSWORD


@dataclass
class Truth:
    """What the generator decided, to check the application against."""
    as_of: dt.date
    records_by_kind: dict[str, int]
    recommendations_by_status: dict[str, int]
    overdue: int  # open and due before ``as_of``
    restricted: int
    theme_records_by_year: dict[str, dict[int, int]]  # theme code -> year -> records carrying it
    recurring_rates: dict[str, float] = field(default_factory=lambda: dict(RECURRING_RATES))
    emerging: tuple[str, float, float] = EMERGING
    implementation_rates: dict[str, float] = field(default_factory=lambda: dict(IMPLEMENTATION_RATES))

    @property
    def records(self) -> int:
        return sum(self.records_by_kind.values())

    @property
    def recommendations(self) -> int:
        return sum(self.recommendations_by_status.values())


def overdue_on(corpus: LearningCorpus, on: dt.date) -> int:
    """How many of the corpus's recommendations are open and past due on ``on``."""
    return sum(1 for r in corpus.recommendations
               if r["status"] in OPEN_STATUSES and r["due_date"] is not None and r["due_date"] < on)


def _taxonomy() -> dict[str, str]:
    return {t["code"]: t["name"] for t in yaml.safe_load(records_mod.TAXONOMY.read_text(encoding="utf-8"))["themes"]}


def _fill(template: str, slots: dict) -> str:
    out = template.format_map(slots)
    return out[0].upper() + out[1:]


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:12]


def generate(n_records: int, seed: int = 0, recs_per_record: int = 3, as_of: dt.date | None = None) -> LearningCorpus:
    """A corpus of ``n_records`` records with on average ``recs_per_record`` recommendations each
    (exactly ``n_records * recs_per_record`` in all), dated over the :data:`YEARS` years before
    ``as_of`` (default :data:`AS_OF`). Same arguments, same corpus."""
    if n_records < 1:
        raise ValueError("n_records must be at least 1")
    rng = random.Random(seed)
    as_of = as_of or AS_OF
    theme_names = _taxonomy()
    missing = set(BANK) ^ set(theme_names)
    if missing:  # pragma: no cover - a guard for whoever edits the taxonomy
        raise RuntimeError(f"sentence banks and taxonomy differ: {sorted(missing)}")

    n_partners = rng.randint(6, 9)
    orgs = [{"name": n, "kind": k} for n, k in ORGANISATIONS[: 1 + n_partners]]
    by_kind: dict[str, list[int]] = {}
    for i, o in enumerate(orgs):
        by_kind.setdefault(o["kind"], []).append(i)

    users: list[dict] = []
    seen: set[str] = set()
    for oi, org in enumerate(orgs):
        plan = {"administrator": 1, "reviewer": 2, "contributor": 8, "reader": 6}
        if org["kind"] == "police":
            plan = {"administrator": 2, "reviewer": 6, "contributor": 24, "reader": 16}
        for role, count in plan.items():
            for _ in range(count):
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                base = f"{given}.{family}.{_slug(org['name'])[:6]}".lower()
                name, k = base, 1
                while name in seen:
                    k += 1
                    name = f"{base}{k}"
                seen.add(name)
                users.append({"username": name, "display_name": f"{given} {family}", "organisation": oi,
                              "role": role, "email": f"{name}@example.org"})
    users_of: dict[tuple[int, str], list[int]] = {}
    for ui, u in enumerate(users):
        users_of.setdefault((u["organisation"], u["role"]), []).append(ui)

    kinds = list(KIND_PLAN)
    weights = [KIND_PLAN[k][0] for k in kinds]
    # Every kind at least once (when there is room), then by weight.
    kind_list = kinds[:n_records] + rng.choices(kinds, weights, k=max(0, n_records - len(kinds)))
    rng.shuffle(kind_list)
    paraphrase_at = {}
    if n_records >= 2 * len(PARAPHRASES):
        step = n_records // len(PARAPHRASES)
        paraphrase_at = {i * step + step // 2: p for i, p in enumerate(PARAPHRASES)}

    start = as_of - dt.timedelta(days=365 * YEARS)
    span = (as_of - start).days - 7
    total_recs = n_records * recs_per_record
    records: list[dict] = []
    recommendations: list[dict] = []
    pairs: list[ParaphrasePair] = []
    case_seq: Counter = Counter()
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"

    for ri in range(n_records):
        para = paraphrase_at.get(ri)
        kind = para[1] if para else kind_list[ri]
        _, owner_kinds, (lag_lo, lag_hi) = KIND_PLAN[kind]
        owner_choices = [i for k in owner_kinds for i in by_kind.get(k, [])] or [0]
        owner = 1 if para else rng.choice(owner_choices)  # paraphrases: the council, whose name shares no word
        record_date = start + dt.timedelta(days=rng.randrange(span))
        incident_date = record_date - dt.timedelta(days=rng.randint(lag_lo, lag_hi))
        year_frac = (record_date - start).days / (365 * YEARS)
        # themes
        themes: list[str] = []
        if not para:
            for code, rate in RECURRING_RATES.items():
                if rng.random() < rate:
                    themes.append(code)
            code, lo, hi = EMERGING
            if rng.random() < lo + (hi - lo) * year_frac:
                themes.append(code)
            for code in rng.sample(KIND_THEMES[kind], k=min(len(KIND_THEMES[kind]), rng.randint(1, 3))):
                if code not in themes:
                    themes.append(code)
        child = kind in ("child_safeguarding_review",) or any(
            t in themes for t in ("child-exploitation", "school-exclusion", "missing-episodes"))
        pseudonym = f"{'Child' if child else rng.choice(('Adult', 'Mr', 'Ms'))} {rng.choice(letters)}"
        she = pseudonym.startswith("Ms") or (not pseudonym.startswith("Mr") and rng.random() < 0.5)
        slots = {"place": rng.choice(PLACES), "subject": pseudonym, "they": "she" if she else "he",
                 "their": "her" if she else "his", "n": rng.randint(2, 9), "weeks": rng.randint(2, 12),
                 "days": rng.randint(2, 14), "theme": theme_names[themes[0]].lower() if themes else "practice"}
        involved = [owner] if para else sorted(
            {owner, *rng.sample(range(len(orgs)), k=min(len(orgs), rng.randint(1, 4)))})
        partners = [i for i in involved if i != owner]
        slots["partner"] = orgs[partners[0]]["name"] if partners else "A partner agency"
        slots["agency"] = slots["partner"]
        if para:
            query, _, title, summary, findings, _action = para
        else:
            title = _fill(rng.choice(TITLES[kind]), slots)
            summary_parts = [_fill(rng.choice(KIND_OPENINGS[kind]), slots)]
            finding_parts = []
            for code in themes:
                context, finds, _ = BANK[code]
                summary_parts.append(_fill(rng.choice(context), slots))
                finding_parts += [_fill(s, slots) for s in rng.sample(finds, k=min(len(finds), rng.randint(1, 2)))]
            summary, findings = " ".join(summary_parts), " ".join(finding_parts)
        restrict_p = 0.35 if kind in ("domestic_homicide_review", "child_safeguarding_review") else 0.1
        restricted = bool(not para and partners and rng.random() < restrict_p)
        shared = sorted(rng.sample(partners, k=rng.randint(1, len(partners)))) if restricted else []
        year = record_date.year
        case_ids = []
        if kind.endswith("debrief") or kind == "domestic_homicide_review":
            case_seq[incident_date.year] += 1
            case_ids = [f"DI-{incident_date.year}-{case_seq[incident_date.year]:05d}"]
        age = (as_of - record_date).days
        created = dt.datetime.combine(record_date, dt.time(9)) + dt.timedelta(minutes=rng.randrange(480))
        creators = users_of.get((owner, "contributor"), []) or [u for u in range(len(users))
                                                                if users[u]["organisation"] == owner]
        records.append({
            "kind": kind, "title": title[:300], "record_date": record_date, "incident_date": incident_date,
            "stage": "complete" if age > 90 or rng.random() < 0.5 else "initial", "summary": summary,
            "findings": findings, "confidentiality": "official" if rng.random() < 0.2 else "official_sensitive",
            "restricted": restricted, "owner": owner, "created_by": rng.choice(creators), "created_at": created,
            "review_date": records_mod.add_years(record_date, records_mod.REVIEW_AFTER_YEARS),
            "organisations": involved, "shared_with": shared, "themes": themes,
            "tags": [] if para else sorted({t for t in (rng.choice(("knife", "night-time economy", "cuckooing",
                                                                    "alcohol", "weekend", "school holidays",
                                                                    "social media", "vehicle")),)
                                            if rng.random() < 0.4}),
            "case_ids": case_ids, "year": year,
        })
        if para:
            pairs.append(ParaphrasePair(ri, query))

        # Recommendations: spread so the total is exactly n_records * recs_per_record.
        if ri == n_records - 1:
            k = total_recs - len(recommendations)
        else:
            expected = (ri + 1) * recs_per_record - len(recommendations)
            k = max(0, expected + rng.choice((-1, 0, 0, 1)) if recs_per_record else 0)
            if para:
                k = max(1, k)
        can_own = [owner, *shared] if restricted else involved
        for j in range(k):
            code = rng.choice(themes) if themes else None
            if para and j == 0:
                action = para[5]
            elif code:
                action = _fill(rng.choice(BANK[code][2]), slots)
            else:
                action = "Share the learning from this record at the next partnership learning event."
            rec_org = rng.choice(can_own)
            candidates = users_of.get((rec_org, "contributor"), []) + users_of.get((rec_org, "reviewer"), [])
            owner_user = rng.choice(candidates) if candidates and rng.random() < 0.75 and not para else None
            owner_name = (users[owner_user]["display_name"] if owner_user is not None
                          else "Area Manager" if para else rng.choice(JOB_TITLES))
            due = record_date + dt.timedelta(days=rng.choice((60, 90, 120, 180, 270, 365)))
            recommendations.append(_life(rng, {
                "record": ri, "action": action, "owner_organisation": rec_org, "owner_user": owner_user,
                "owner_name": owner_name, "due_date": due, "themes": [code] if code else [],
                "created_at": created + dt.timedelta(hours=rng.randint(1, 72)),
            }, as_of, users_of, owner, quiet=bool(para)))

    truth = Truth(
        as_of=as_of,
        records_by_kind=dict(Counter(r["kind"] for r in records)),
        recommendations_by_status={s: n for s, n in Counter(r["status"] for r in recommendations).items()},
        overdue=0, restricted=sum(r["restricted"] for r in records),
        theme_records_by_year={},
    )
    by_theme: dict[str, Counter] = {}
    for r in records:
        for code in r["themes"]:
            by_theme.setdefault(code, Counter())[r["year"]] += 1
    truth.theme_records_by_year = {c: dict(sorted(v.items())) for c, v in sorted(by_theme.items())}
    corpus = LearningCorpus(seed, as_of, orgs, users, records, recommendations, pairs, truth)
    truth.overdue = overdue_on(corpus, as_of)
    return corpus


def _life(rng: random.Random, rec: dict, as_of: dt.date, users_of: dict, record_owner: int,
          quiet: bool = False) -> dict:
    """Decide a recommendation's status on ``as_of`` and the history that led there (``quiet``:
    never further than in progress, so no evidence or reason text is added)."""
    org = rec["owner_organisation"]
    actors = (users_of.get((org, "contributor"), []) + users_of.get((org, "reviewer"), [])) or [None]
    reviewers = users_of.get((record_owner, "reviewer"), []) or [None]
    t = rec["created_at"]
    end = dt.datetime.combine(as_of, dt.time(17))
    events = [{"at": t, "user": None, "field": "status", "old": "", "new": "proposed",
               "note": "recommendation made"}]
    rec.update(status="proposed", evidence="", not_accepted_reason="", implemented_at=None, verified_at=None)

    def step(days_lo: int, days_hi: int) -> dt.datetime | None:
        nonlocal t
        nxt = t + dt.timedelta(days=rng.randint(days_lo, days_hi), hours=rng.randint(0, 8))
        if nxt > end:
            return None
        t = nxt
        return t

    def move(new: str, who, note: str = "") -> None:
        events.append({"at": t, "user": who, "field": "status", "old": rec["status"], "new": new, "note": note})
        rec["status"] = new

    if not quiet and rng.random() < NOT_ACCEPTED_SHARE:
        if step(7, 60):
            reason = rng.choice(NOT_ACCEPTED)
            who = rng.choice(actors)
            events.append({"at": t, "user": who, "field": "not_accepted_reason", "old": "", "new": reason, "note": ""})
            rec["not_accepted_reason"] = reason
            move("not_accepted", who)
        rec["events"] = events
        return rec
    code = rec["themes"][0] if rec["themes"] else ""
    implement = not quiet and rng.random() < IMPLEMENTATION_RATES.get(code, DEFAULT_IMPLEMENTATION)
    if step(5, 45):
        move("accepted", rng.choice(actors), rng.choice(NOTES))
        if step(10, 90):
            move("in_progress", rng.choice(actors), rng.choice(NOTES))
            if implement:
                due_days = max(20, (rec["due_date"] - t.date()).days)
                if step(15, int(due_days * 1.3)):
                    who = rng.choice(actors)
                    evidence = _fill(rng.choice(EVIDENCE), {"n": rng.randint(12, 400)})
                    events.append({"at": t, "user": who, "field": "evidence", "old": "", "new": evidence, "note": ""})
                    rec["evidence"] = evidence
                    move("implemented", who, "Evidence attached.")
                    rec["implemented_at"] = t.date()
                    if rng.random() < 0.6 and step(14, 120):
                        move("verified", rng.choice(reviewers), "Checked by the review panel.")
                        rec["verified_at"] = t.date()
            elif not quiet and rng.random() < 0.3 and step(30, 200):
                events.append({"at": t, "user": rng.choice(actors), "field": "note", "old": "", "new": "",
                               "note": "Delayed: awaiting agreement from partners."})
    rec["events"] = events
    return rec


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

@dataclass
class LoadReport:
    organisations: int
    users: int
    records: int
    recommendations: int
    events: int
    embedded: int
    seconds: dict[str, float]
    record_ids: list[int]
    recommendation_ids: list[int]

    def describe(self) -> str:
        times = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return (f"{self.records} records, {self.recommendations} recommendations, {self.events} history lines, "
                f"{self.users} users, {self.embedded} embeddings ({times})")


def _chunks(rows: list, size: int = 5000) -> Iterator[list]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _bulk(session: Session, table, rows: list[dict], size: int = 5000) -> None:
    for chunk in _chunks(rows, size):
        session.execute(insert(table), chunk)


_VECTOR_CACHE: dict[str, bytes] = {}  # text hash -> vector: a second load in a process embeds nothing


def load(session: Session, corpus: LearningCorpus, *, embed: bool = True,
         progress: Callable[[str], None] | None = None) -> LoadReport:
    """Write ``corpus`` into the migrated database of ``session`` with bulk inserts, fill the
    full-text index and (``embed``) the sentence embeddings; the caller commits.

    Organisations and users already there (by name) are reused; the records and recommendations are
    added after any already there. One audit line (action ``collect``) records the load."""
    say = progress or (lambda _msg: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock
        clock = now

    records_mod.ensure_taxonomy(session)
    themes = {t.code: t for t in session.scalars(select(Theme))}
    # organisations
    have = {o.name: o.id for o in session.scalars(select(Organisation))}
    new_orgs = [{"name": o["name"], "kind": o["kind"]} for o in corpus.organisations if o["name"] not in have]
    if new_orgs:
        _bulk(session, Organisation.__table__, new_orgs)
    org_rows = {o.name: o for o in session.scalars(select(Organisation))}
    org_id = [org_rows[o["name"]].id for o in corpus.organisations]
    # users: one argon2 hash for all
    from threadline.learning.users import hash_password

    have_users = set(session.scalars(select(User.username)))
    hashed = hash_password(corpus.password)
    now = dt.datetime.combine(corpus.as_of, dt.time(8))
    new_users = [{"username": u["username"], "display_name": u["display_name"], "email": u["email"],
                  "organisation_id": org_id[u["organisation"]], "role": u["role"], "password_hash": hashed,
                  "active": True, "failed_logins": 0, "created_at": now}
                 for u in corpus.users if u["username"] not in have_users]
    if new_users:
        _bulk(session, User.__table__, new_users)
    user_ids = {name: uid for name, uid in session.execute(select(User.username, User.id))}
    user_id = [user_ids[u["username"]] for u in corpus.users]
    lap("organisations and users")
    say(f"{len(new_orgs)} organisations and {len(new_users)} users added")

    # records
    base = session.scalar(select(func.coalesce(func.max(LearningRecord.id), 0))) or 0
    rec_ids = [base + 1 + i for i in range(len(corpus.records))]
    rows, orgs_rows, share_rows, theme_rows = [], [], [], []
    for rid, r in zip(rec_ids, corpus.records, strict=True):
        rows.append({"id": rid, "kind": r["kind"], "title": r["title"], "record_date": r["record_date"],
                     "incident_date": r["incident_date"], "stage": r["stage"], "summary": r["summary"],
                     "findings": r["findings"], "confidentiality": r["confidentiality"], "restricted": r["restricted"],
                     "owner_organisation_id": org_id[r["owner"]], "created_by_id": user_id[r["created_by"]],
                     "created_at": r["created_at"], "updated_at": r["created_at"], "review_date": r["review_date"],
                     "retain_until": None, "tags": r["tags"], "case_ids": r["case_ids"]})
        orgs_rows += [{"record_id": rid, "organisation_id": org_id[o]} for o in r["organisations"]]
        share_rows += [{"record_id": rid, "organisation_id": org_id[o]} for o in r["shared_with"]]
        theme_rows += [{"record_id": rid, "theme_id": themes[c].id} for c in r["themes"]]
    _bulk(session, LearningRecord.__table__, rows, 2000)
    _bulk(session, record_organisations, orgs_rows)
    _bulk(session, record_shares, share_rows)
    _bulk(session, record_themes, theme_rows)
    lap("records")
    say(f"{len(rows)} records written")

    # recommendations and their histories
    rbase = session.scalar(select(func.coalesce(func.max(Recommendation.id), 0))) or 0
    recommendation_ids = [rbase + 1 + i for i in range(len(corpus.recommendations))]
    rrows, rtheme_rows, event_rows = [], [], []
    for cid, rec in zip(recommendation_ids, corpus.recommendations, strict=True):
        updated = rec["events"][-1]["at"]
        rrows.append({"id": cid, "record_id": rec_ids[rec["record"]], "action": rec["action"],
                      "owner_organisation_id": org_id[rec["owner_organisation"]],
                      "owner_user_id": user_id[rec["owner_user"]] if rec["owner_user"] is not None else None,
                      "owner_name": rec["owner_name"], "due_date": rec["due_date"], "status": rec["status"],
                      "not_accepted_reason": rec["not_accepted_reason"], "evidence": rec["evidence"],
                      "created_at": rec["created_at"], "updated_at": updated,
                      "implemented_at": rec["implemented_at"], "verified_at": rec["verified_at"]})
        rtheme_rows += [{"recommendation_id": cid, "theme_id": themes[c].id} for c in rec["themes"]]
        for e in rec["events"]:
            who = e["user"]
            event_rows.append({"recommendation_id": cid, "at": e["at"],
                               "user_id": user_id[who] if who is not None else None,
                               "username": corpus.users[who]["username"] if who is not None else "",
                               "field": e["field"], "old": e["old"], "new": e["new"], "note": e["note"]})
    _bulk(session, Recommendation.__table__, rrows)
    _bulk(session, recommendation_themes, rtheme_rows)
    _bulk(session, RecommendationEvent.__table__, event_rows, 10000)
    if not is_sqlite(session):
        for table in ("learning_records", "recommendations"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    lap("recommendations")
    say(f"{len(rrows)} recommendations and {len(event_rows)} history lines written")

    # full-text index, with exactly what search.record_text gives for the saved record
    org_ns = {i: SimpleNamespace(id=org_id[i], name=o["name"], kind=o["kind"])
              for i, o in enumerate(corpus.organisations)}
    theme_ns = sorted(themes.values(), key=lambda t: t.id)
    theme_order = {t.code: n for n, t in enumerate(theme_ns)}
    recs_of: dict[int, list[SimpleNamespace]] = {}
    for cid, rec in zip(recommendation_ids, corpus.recommendations, strict=True):
        recs_of.setdefault(rec["record"], []).append(SimpleNamespace(
            id=cid, action=rec["action"], owner_name=rec["owner_name"], evidence=rec["evidence"],
            not_accepted_reason=rec["not_accepted_reason"], status=rec["status"], due_date=rec["due_date"],
            attachments=[], themes=[themes[c] for c in rec["themes"]]))
    fts_rows, namespaces = [], []
    for ri, (rid, r) in enumerate(zip(rec_ids, corpus.records, strict=True)):
        ns = SimpleNamespace(
            id=rid, kind=r["kind"], title=r["title"], summary=r["summary"], findings=r["findings"],
            tags=r["tags"], case_ids=r["case_ids"], owner_organisation=org_ns[r["owner"]],
            organisations=sorted((org_ns[o] for o in r["organisations"]), key=lambda o: o.id),
            shared_with=[org_ns[o] for o in r["shared_with"]],
            themes=sorted((themes[c] for c in r["themes"]), key=lambda t: theme_order[t.code]),
            recommendations=recs_of.get(ri, []), attachments=[], documents=[], record_date=r["record_date"],
            incident_date=r["incident_date"], restricted=r["restricted"], confidentiality=r["confidentiality"],
            stage=r["stage"])
        title, body = search.record_text(ns)
        fts_rows.append({"id": rid, "t": title, "b": body})
        namespaces.append(ns)
    sql = ("INSERT INTO record_search (rowid, title, body) VALUES (:id, :t, :b)" if is_sqlite(session)
           else "INSERT INTO record_search (record_id, title, body) VALUES (:id, :t, :b)")
    for chunk in _chunks(fts_rows, 2000):
        session.execute(text(sql), chunk)
    lap("full-text index")
    say(f"{len(fts_rows)} records indexed for full-text search")

    embedded = 0
    if embed:
        texts = [semantic.embedding_text(ns) for ns in namespaces]
        hashes = [semantic._hash(t) for t in texts]  # the same hash a save compares, so it skips them
        todo = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in _VECTOR_CACHE}.items())
        for n, chunk in enumerate(_chunks(todo, 512)):
            vectors = semantic.embed([t for _, t in chunk])
            for (h, _), v in zip(chunk, vectors, strict=True):
                _VECTOR_CACHE[h] = np.asarray(v, dtype=np.float32).tobytes()
            say(f"embedded {min((n + 1) * 512, len(todo))}/{len(todo)} records")
        emb_rows = [{"record_id": rid, "model": semantic.MODEL_NAME, "text_hash": h, "vector": _VECTOR_CACHE[h],
                     "updated_at": now} for rid, h in zip(rec_ids, hashes, strict=True)]
        _bulk(session, RecordEmbedding.__table__, emb_rows, 2000)
        embedded = len(emb_rows)
        lap("embeddings")

    audit.log(session, None, "collect", "learning_record", "",
              detail=f"{AUDIT_DETAIL}: {len(rows)} records, {len(rrows)} recommendations, "
              f"{len(new_users)} users (seed {corpus.seed})", username="synth")
    session.flush()
    lap("audit")
    return LoadReport(len(new_orgs), len(new_users), len(rows), len(rrows), len(event_rows), embedded, seconds,
                      rec_ids, recommendation_ids)


def sample(session: Session, *, embed: bool = True, n_records: int = 40, seed: int = 7) -> LoadReport | None:
    """Load the demo's sample: ``n_records`` records (about three recommendations each) dated up to
    today, with the partners and users (password :data:`PASSWORD`). Does nothing, returning None,
    when a sample was loaded before (the audit log says so)."""
    done = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "collect", AuditEvent.detail.like(f"{AUDIT_DETAIL}%")))
    if done:
        return None
    return load(session, generate(n_records, seed, as_of=dt.date.today()), embed=embed)


__all__ = ["AS_OF", "PASSWORD", "LearningCorpus", "LoadReport", "ParaphrasePair", "Truth", "generate", "load",
           "overdue_on", "sample"]
