"""Fixed vocabularies of the learning repository: record kinds, roles, statuses, markings."""

from __future__ import annotations

#: Kinds of learning record, as forces and partners name them (HMICFRS 2023 responses; Home
#: Office statutory guidance on domestic homicide reviews, 2016, renamed domestic abuse related
#: death reviews in 2024; Working Together to Safeguard Children 2023 for child safeguarding
#: practice reviews; Care Act 2014 s.44 for safeguarding adult reviews; NHS England serious
#: incident framework for mental health homicide reviews; Coroners and Justice Act 2009 sch.5
#: para.7 for prevention of future deaths reports).
KINDS: dict[str, str] = {
    "homicide_debrief": "Homicide rapid debrief",
    "near_miss_debrief": "Near-miss debrief",
    "serious_violence_debrief": "Serious violence debrief",
    "domestic_homicide_review": "Domestic homicide review (domestic abuse related death review)",
    "child_safeguarding_review": "Child safeguarding practice review",
    "safeguarding_adult_review": "Safeguarding adult review",
    "mental_health_homicide_review": "Mental health homicide review",
    "prevention_of_future_deaths": "Coroner's prevention of future deaths report",
    "organisational_review": "Organisational review",
    "other": "Other",
}

#: Roles, weakest first. What each may do is in :mod:`threadline.learning.access`.
ROLES: tuple[str, ...] = ("reader", "contributor", "reviewer", "administrator")

#: Recommendation statuses, in the order a recommendation moves through them.
STATUSES: dict[str, str] = {
    "proposed": "Proposed",
    "accepted": "Accepted",
    "in_progress": "In progress",
    "implemented": "Implemented",
    "verified": "Verified",
    "not_accepted": "Not accepted",
}
OPEN_STATUSES = ("proposed", "accepted", "in_progress")
DONE_STATUSES = ("implemented", "verified")

#: Government Security Classifications (Cabinet Office, 2023): the marking shown on every page,
#: export and pack. Access to a record is set by which organisations it is shared with.
CONFIDENTIALITY: dict[str, str] = {
    "official": "OFFICIAL",
    "official_sensitive": "OFFICIAL-SENSITIVE",
}

#: Organisation types of a force and its partners under the Serious Violence Duty.
ORGANISATION_KINDS: dict[str, str] = {
    "police": "Police force",
    "nhs": "NHS body",
    "local_authority": "Local authority",
    "youth_justice": "Youth justice service",
    "probation": "Probation service",
    "vru": "Violence reduction unit",
    "fire": "Fire and rescue service",
    "education": "Education",
    "other": "Other",
}

#: Audit actions, after the processing operations the Data Protection Act 2018 s.62 requires
#: logs of: collection, alteration, consultation, disclosure, combination and erasure, and the
#: security events (log in, lock out) a system holding personal data must keep.
AUDIT_ACTIONS: tuple[str, ...] = (
    "collect", "alter", "consult", "disclose", "erase", "login", "login_failed", "logout", "lockout",
)

#: Record stage: a rapid debrief is first recorded in short form, its detail added later.
STAGES: dict[str, str] = {"initial": "Initial (short form)", "complete": "Complete"}
