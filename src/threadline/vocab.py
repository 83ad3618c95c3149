"""Controlled vocabularies of the register.

The category, method, circumstance and relationship lists follow the Home Office Homicide Index
as published by the Office for National Statistics in "Homicide in England and Wales" (annual
release, appendix tables 2 to 11: method of killing, apparent circumstances, relationship of
victim to principal suspect, location) and the Home Office Counting Rules for recorded crime.
Each list is the snake_case form an import file carries; ``docs/data-model.md`` gives each
value's meaning and source.

These lists are the one contract that the importers, the synthetic force and the analyses share:
change a value here and every validator, generator and report follows.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "homicide",
    "attempted_homicide",
    "suspicious_death",
    "unexplained_death",
    "drug_related_death",
    "suicide",
    "fatal_collision",
    "other_death",
)

#: Categories where the victim survived (near-miss homicide).
NEAR_MISS_CATEGORIES: tuple[str, ...] = ("attempted_homicide",)

LOCATION_TYPES: tuple[str, ...] = (
    "dwelling_victim",
    "dwelling_other",
    "street",
    "public_open_space",
    "licensed_premises",
    "care_home",
    "hospital",
    "custody_or_prison",
    "vehicle",
    "workplace",
    "other",
    "unknown",
)

METHODS: tuple[str, ...] = (
    "sharp_instrument",
    "blunt_instrument",
    "hitting_kicking",
    "strangulation",
    "shooting",
    "poison_or_drugs",
    "burning",
    "motor_vehicle",
    "drowning",
    "fall",
    "other",
    "unknown",
    "not_applicable",
)

CIRCUMSTANCES: tuple[str, ...] = (
    "quarrel_revenge_temper",
    "domestic_abuse",
    "gang_related",
    "drug_dealing",
    "robbery_financial",
    "sexual",
    "mental_illness",
    "irrational_act",
    "self_defence",
    "other",
    "unknown",
    "not_applicable",
)

SUSPECT_RELATIONSHIPS: tuple[str, ...] = (
    "partner_ex_partner",
    "parent",
    "child",
    "other_family",
    "friend_acquaintance",
    "stranger",
    "other_known",
    "no_suspect",
    "unknown",
    "not_applicable",
)

SEXES: tuple[str, ...] = ("male", "female", "unknown")

#: ONS five ethnic groups (2011 and 2021 Census harmonised standard), plus not stated.
ETHNICITIES: tuple[str, ...] = ("asian", "black", "mixed", "white", "other", "not_stated")

#: Self-defined ethnicity: the Home Office "18+1" codes, i.e. the 18 categories of the 2011 Census
#: ethnic group question for England and Wales plus ``NS`` (not stated), as the Home Office Annual Data
#: Requirement and the Criminal Justice System Exchange Data Standards Catalogue code them. 18+1 added
#: W3 (Gypsy or Irish Traveller) and O2 (Arab) to the 2001 "16+1" list and moved Chinese from O1 to A4,
#: so O1 is not a code. Labels and the five-group mapping: ``reference/ethnicity-18plus1.csv``.
ETHNICITY_SELF_DEFINED: tuple[str, ...] = (
    "W1", "W2", "W3", "W9",
    "M1", "M2", "M3", "M9",
    "A1", "A2", "A3", "A4", "A9",
    "B1", "B2", "B9",
    "O2", "O9",
    "NS",
)

#: Officer-observed ethnicity: the Identity Codes (IC1-IC6, IC9 unknown) of the Police National
#: Computer, which officers use to describe a person they see. ``reference/ethnicity-observed.csv``.
ETHNICITY_OBSERVED: tuple[str, ...] = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6", "IC9")

#: Disability (an Equality Act 2010 protected characteristic), as recorded: yes, no or not stated.
DISABILITY: tuple[str, ...] = ("yes", "no", "not_stated")

#: Religion or belief (Equality Act 2010), in the response options of the ONS 2021 Census religion question.
RELIGIONS: tuple[str, ...] = (
    "no_religion",
    "christian",
    "buddhist",
    "hindu",
    "jewish",
    "muslim",
    "sikh",
    "other",
    "not_stated",
)

#: Sexual orientation (Equality Act 2010), following the ONS 2021 Census question (people aged 16 and
#: over): straight or heterosexual; gay or lesbian; bisexual; other.
SEXUAL_ORIENTATIONS: tuple[str, ...] = ("heterosexual", "gay_lesbian", "bisexual", "other", "not_stated")

#: Gender identity (Equality Act 2010: gender reassignment), following the ONS 2021 Census question
#: "Is the gender you identify with the same as your sex registered at birth?".
GENDER_IDENTITIES: tuple[str, ...] = ("same_as_sex_at_birth", "different", "not_stated")

YES_NO: tuple[str, ...] = ("yes", "no")

FLAGS: tuple[str, ...] = (
    "domestic_abuse",
    "alcohol",
    "drugs",
    "mental_health",
    "knife",
    "firearm",
    "gang",
    "county_lines",
    "vawg",
    "youth",
    "exploitation",
)

STATUSES: tuple[str, ...] = ("open", "charged", "convicted", "no_further_action", "closed_non_crime")

#: Statuses counted as "solved" in the ONS sense (a suspect charged or convicted).
SOLVED_STATUSES: tuple[str, ...] = ("charged", "convicted")

PERSON_ROLES: tuple[str, ...] = (
    "victim",
    "suspect",
    "reporting_person",
    "witness",
    "associate",
    "professional",
)

ENTITY_TYPES: tuple[str, ...] = (
    "vehicle",
    "phone",
    "address",
    "weapon",
    "drug_batch",
    "premises",
    "online_account",
)

#: Police crimes and incidents other than death investigations. The first group is the
#: lower-level offending that can escalate towards homicide (College of Policing, Domestic
#: Abuse APP; Home Office Homicide Prevention Framework); the rest are the data.police.uk
#: street-level crime types, so any force's open download loads without recoding.
INCIDENT_TYPES: tuple[str, ...] = (
    "domestic_abuse",
    "stalking_harassment",
    "threats_to_kill",
    "common_assault",
    "assault_with_injury",
    "wounding_gbh",
    "weapon_possession",
    "sexual_offence",
    "robbery",
    "missing_person",
    "concern_for_welfare",
    # data.police.uk crime types
    "anti_social_behaviour",
    "bicycle_theft",
    "burglary",
    "criminal_damage_and_arson",
    "drugs",
    "other_crime",
    "other_theft",
    "possession_of_weapons",
    "public_order",
    "shoplifting",
    "theft_from_the_person",
    "vehicle_crime",
    "violence_and_sexual_offences",
    "other",
)

INCIDENT_ROLES: tuple[str, ...] = ("suspect", "victim", "witness", "reporting_person", "associate")

AGENCIES: tuple[str, ...] = (
    "nhs_ed",
    "ambulance",
    "la_safeguarding",
    "youth_justice",
    "probation",
    "other",
)

QUARTER_CONVENTIONS: tuple[str, ...] = ("calendar", "financial")
