"""Fixed vocabularies of the PDP list: statuses and their moves, the criteria, proposal states."""

from __future__ import annotations

#: Where an entry is. A nomination is put on the list, or rejected, by a reviewer; an entry on the
#: list is reviewed by its review date and removed (with a reason) when the risk has gone.
STATUSES: dict[str, str] = {
    "nominated": "Nominated",
    "under_review": "Under review",
    "on_list": "On the list",
    "removed": "Removed",
    "rejected": "Rejected",
}
ACTIVE_STATUSES = ("nominated", "under_review", "on_list")

#: The decisions a reviewer may record, from each status, and the status each leads to.
DECISIONS: dict[str, tuple[str, ...]] = {
    "nominated": ("start_review", "accept", "reject"),
    "under_review": ("accept", "reject"),
    "on_list": ("review", "remove"),
    "removed": (),
    "rejected": (),
}
DECISION_TARGET: dict[str, str] = {
    "start_review": "under_review",
    "accept": "on_list",
    "reject": "rejected",
    "review": "on_list",
    "remove": "removed",
}
DECISION_LABELS: dict[str, str] = {
    "start_review": "Start the review",
    "accept": "Accept onto the list",
    "reject": "Reject the nomination",
    "review": "Record a review (stays on the list)",
    "remove": "Remove from the list",
}

#: How long an entry stays on the list before it must be reviewed, unless the reviewer sets a date.
REVIEW_MONTHS = 3

#: The parts of the APP definition (College of Policing, Managing sexual offenders and violent
#: offenders: potentially dangerous persons; ACPO 2010), all three needed for an entry to go on the
#: list; "present likelihood" and "serious harm" as the APP explains them (serious harm after the
#: Home Office OASys manual, 2002).
CORE_CRITERIA: dict[str, str] = {
    "not_mappa": "Not currently managed under one of the three MAPPA categories.",
    "present_likelihood": "Their behaviour gives reasonable grounds for believing that there is a present likelihood "
    "(imminent, and more likely than not) of them committing an offence or offences.",
    "serious_harm": "The offence or offences will cause serious harm: a risk which is life-threatening and/or "
    "traumatic, and from which recovery, whether physical or psychological, can be expected to "
    "be difficult or impossible.",
}

#: The kinds of case the APP gives as examples of PDPs, and the escalation the ranking looks for;
#: any that apply are recorded beside the three parts of the definition.
SUPPORTING_CRITERIA: dict[str, str] = {
    "repeat_domestic_abuse": "Charged with domestic abuse offences on a number of occasions against different "
    "partners, never convicted of offences that would make them MAPPA-eligible.",
    "child_sexual_abuse": "Repeatedly investigated for child sexual abuse, never charged nor made subject to a civil "
    "order, but agencies still believe they pose a serious risk of sexual harm to children.",
    "terrorism": "Suspected, but not convicted, of a terrorist offence.",
    "mental_health_disclosure": "A health professional shares that a patient has disclosed fantasies of serious "
    "violence, is not cooperating with treatment, and serious violence is believed "
    "imminent.",
    "offences_abroad": "Committed offences abroad that, had they been committed here, would result in management "
    "under MAPPA.",
    "escalating_violence": "An escalating pattern of violence or threats: more frequent or more serious incidents, "
    "threats to kill, more victims.",
}
CRITERIA: dict[str, str] = CORE_CRITERIA | SUPPORTING_CRITERIA

#: Short names of the criteria, for lists and exports.
CRITERIA_NAMES: dict[str, str] = {
    "not_mappa": "Not managed under MAPPA",
    "present_likelihood": "Present likelihood of offending",
    "serious_harm": "Serious harm",
    "repeat_domestic_abuse": "Repeat domestic abuse, different partners",
    "child_sexual_abuse": "Child sexual abuse concerns, never charged",
    "terrorism": "Suspected terrorist offence",
    "mental_health_disclosure": "Disclosed fantasies of serious violence",
    "offences_abroad": "Offences abroad",
    "escalating_violence": "Escalating violence or threats",
}

#: A proposal from the ranking is open until a person nominates the person or dismisses it.
PROPOSAL_STATUSES: dict[str, str] = {"open": "Open", "nominated": "Nominated", "dismissed": "Dismissed"}

ACTION_STATUSES: dict[str, str] = {"open": "Open", "done": "Done"}
