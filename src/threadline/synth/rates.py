"""Rates, timing profiles and attribute mixes of the synthetic force, each with its source.

Volumes are yearly rates per 100,000 residents, applied to the population of West Yorkshire's
LSOAs (2011 Census usual residents, 2,226,058) times ``population_scale``. Yearly counts are
Poisson-distributed around the rate. Where a mix is an assumption rather than a published figure
the comment says so.

Sources
-------
- ONS, *Homicide in England and Wales: year ending March 2023* (Homicide Index): 602 homicides,
  about 1.0 per 100,000; appendix tables on method, apparent circumstance, relationship of victim
  to principal suspect, sex and age of victims.
- Home Office, *Police recorded crime and outcomes open data tables* (attempted murder, offence
  code 2): about 900 offences a year in England and Wales.
- ONS, *Deaths related to drug poisoning in England and Wales: 2022 registrations*: 4,907 deaths.
- ONS, *Suicides in England and Wales: 2022 registrations*: 5,642 deaths, three quarters male.
- DfT, *Reported road casualties Great Britain, annual report: 2022*: 1,711 killed.
- Ministry of Justice, *Coroners statistics 2022*: 195,200 deaths reported to coroners (about 325
  per 100,000).
"""

from __future__ import annotations

import numpy as np

#: Yearly rate per 100,000 residents, by category.
RATE_PER_100K: dict[str, float] = {
    # ONS Homicide in England and Wales, year ending March 2023: 602 homicides in a population of
    # about 60 million, 1.0 per 100,000.
    "homicide": 1.0,
    # Home Office police recorded crime, attempted murder (HO code 2): about 900 a year, 1.5 per
    # 100,000.
    "attempted_homicide": 1.5,
    # ASSUMPTION: deaths treated as suspicious at first and later found not to be homicide; no
    # national statistic exists. Set at 4 per 100,000 (about four times the homicide rate).
    "suspicious_death": 4.0,
    # Ministry of Justice Coroners statistics 2022: 195,200 deaths reported to coroners, about 325
    # per 100,000. ASSUMPTION: police attend and record about one in five as an unexplained
    # (sudden) death investigation: about 60 per 100,000.
    "unexplained_death": 60.0,
    # ONS Deaths related to drug poisoning in England and Wales, 2022 registrations: 4,907 deaths,
    # about 8 per 100,000 (the North East and Yorkshire run higher; 8 is kept as the national rate).
    "drug_related_death": 8.0,
    # ONS Suicides in England and Wales, 2022 registrations: 5,642 deaths, 10.7 per 100,000.
    "suicide": 10.7,
    # DfT Reported road casualties Great Britain 2022: 1,711 killed, about 2.7 per 100,000.
    "fatal_collision": 2.7,
    # ASSUMPTION: other deaths a force investigates (falls, drownings, fires, industrial
    # accidents): 5 per 100,000.
    "other_death": 5.0,
}

#: Police incidents (other crimes and incidents, see :mod:`threadline.synth.incidents`) for the
#: whole force a year. ASSUMPTION: a sample of the roughly 300,000 crimes and incidents West
#: Yorkshire Police records a year, weighted towards the person-centred types that matter for
#: escalation and linkage; scales with ``population_scale``.
INCIDENTS_PER_YEAR_FULL = 25_000

#: The full force's population the incident volume refers to (2011 Census, West Yorkshire LSOAs).
FULL_POPULATION = 2_226_058

#: Share of incidents by type (percent, ASSUMPTION; shaped after the mix of West Yorkshire's
#: data.police.uk street-level crime and ASB, with domestic incidents from ONS Domestic abuse in
#: England and Wales, year ending March 2023, where about one in six police-recorded crimes is
#: domestic-abuse related).
INCIDENT_MIX: dict[str, float] = {
    "anti_social_behaviour": 15.0,
    "domestic_abuse": 13.0,
    "common_assault": 9.0,
    "assault_with_injury": 8.0,
    "criminal_damage_and_arson": 7.0,
    "public_order": 6.0,
    "shoplifting": 6.0,
    "other_theft": 5.0,
    "stalking_harassment": 5.0,
    "burglary": 4.0,
    "vehicle_crime": 4.0,
    "concern_for_welfare": 4.0,
    "missing_person": 3.0,
    "drugs": 3.0,
    "sexual_offence": 1.5,
    "weapon_possession": 1.4,
    "threats_to_kill": 1.2,
    "robbery": 1.0,
    "theft_from_the_person": 1.0,
    "other_crime": 1.0,
    "bicycle_theft": 0.8,
    "wounding_gbh": 0.7,
    "possession_of_weapons": 0.3,
}

# --- timing ---------------------------------------------------------------------------------

#: Seasonality: (relative amplitude, day of year of the peak). Violence peaks in summer (ONS
#: Crime in England and Wales, seasonal pattern of violence with injury); drug poisoning and
#: sudden deaths in winter (ONS Excess winter mortality; drug deaths by month of occurrence);
#: road deaths in late autumn (DfT RAS table by month). Amplitudes are modest (about +/-15%).
SEASON: dict[str, tuple[float, int]] = {
    "homicide": (0.15, 196),
    "attempted_homicide": (0.15, 196),
    "suspicious_death": (0.08, 196),
    "unexplained_death": (0.15, 15),
    "drug_related_death": (0.15, 15),
    "suicide": (0.08, 120),
    "fatal_collision": (0.10, 320),
    "other_death": (0.05, 196),
}

#: Day-of-week factors, Monday first. Violence is weekend-heavy (ONS, night-time economy
#: violence); the others are nearly flat.
DOW: dict[str, tuple[float, ...]] = {
    "violence": (0.85, 0.80, 0.85, 0.90, 1.10, 1.30, 1.25),
    "flat": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "drugs": (0.95, 0.95, 0.95, 0.95, 1.0, 1.10, 1.10),
    "roads": (0.95, 0.95, 0.95, 1.0, 1.15, 1.0, 0.95),
}

#: Hour-of-day weights, 00 to 23 (ASSUMPTION, shaped after the published patterns: violence in
#: the evening and night; sudden deaths found in the morning; road deaths at commuting peaks).
HOURS: dict[str, tuple[float, ...]] = {
    "violence": (6, 5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3.5, 3.5, 4, 4.5, 5, 5.5, 6, 7, 7.5, 8, 8, 7.5),
    "found": (1, 1, 1, 1, 1, 1.5, 3, 6, 8, 8, 7, 6, 5, 4.5, 4, 4, 4, 4, 3.5, 3, 2.5, 2, 1.5, 1),
    "institution": (5, 5, 5.5, 5.5, 5, 4.5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4.5, 5),
    "roads": (
        1,
        0.8,
        0.6,
        0.5,
        0.5,
        1,
        2.5,
        4.5,
        5,
        3.5,
        3,
        3,
        3.2,
        3.3,
        3.8,
        5,
        5.5,
        5.5,
        4.5,
        3.5,
        3,
        2.5,
        2,
        1.5,
    ),
    "daytime": (1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 6, 5, 4, 3, 2.5, 2, 1.5, 1, 1),
    "evening": (3, 2, 1.5, 1, 0.8, 0.8, 1, 2, 3, 3.5, 4, 4.5, 5, 5, 5, 5.5, 6, 6.5, 7, 7, 6.5, 6, 5, 4),
}

CATEGORY_TIMING: dict[str, tuple[str, str]] = {  # (day-of-week profile, hour profile)
    "homicide": ("violence", "violence"),
    "attempted_homicide": ("violence", "violence"),
    "suspicious_death": ("flat", "found"),
    "unexplained_death": ("flat", "found"),
    "drug_related_death": ("drugs", "found"),
    "suicide": ("flat", "found"),
    "fatal_collision": ("roads", "roads"),
    "other_death": ("flat", "daytime"),
}

# --- victims ----------------------------------------------------------------------------------

#: Share of victims who are male. Homicide ~70% (ONS Homicide, YE March 2023: 71%); attempted
#: murder victims of knife crime mostly male (ONS, ASSUMPTION 78%); drug poisoning 70% (ONS 2022:
#: about 70%); suicide 75% (ONS 2022: three quarters); road deaths 75% (DfT 2022: 76%); the rest
#: ASSUMPTION.
MALE_SHARE: dict[str, float] = {
    "homicide": 0.70,
    "attempted_homicide": 0.78,
    "suspicious_death": 0.62,
    "unexplained_death": 0.56,
    "drug_related_death": 0.70,
    "suicide": 0.75,
    "fatal_collision": 0.75,
    "other_death": 0.62,
}

#: Victim age bands ((low, high), weight): ages are uniform inside a band. Homicide peaks at 20-40
#: (ONS age of victims); drug poisoning at 30-50 (ONS 2022: highest rates at 40-49); suicide at
#: 45-54 (ONS 2022); unexplained deaths are older (coroners' referrals are mostly of people over
#: 65); the exact weights are ASSUMPTIONS.
AGE_BANDS: dict[str, tuple[tuple[tuple[int, int], float], ...]] = {
    "homicide": (
        ((0, 1), 2),
        ((1, 16), 4),
        ((16, 25), 18),
        ((25, 35), 22),
        ((35, 45), 18),
        ((45, 55), 14),
        ((55, 65), 9),
        ((65, 75), 6),
        ((75, 95), 7),
    ),
    "attempted_homicide": (
        ((14, 18), 6),
        ((18, 25), 24),
        ((25, 35), 26),
        ((35, 45), 18),
        ((45, 55), 13),
        ((55, 70), 9),
        ((70, 90), 4),
    ),
    "suspicious_death": (
        ((0, 1), 3),
        ((16, 30), 15),
        ((30, 45), 22),
        ((45, 60), 25),
        ((60, 75), 20),
        ((75, 95), 15),
    ),
    "unexplained_death": (
        ((0, 1), 2),
        ((1, 18), 1),
        ((18, 40), 8),
        ((40, 60), 22),
        ((60, 75), 27),
        ((75, 100), 40),
    ),
    "drug_related_death": (
        ((16, 25), 6),
        ((25, 30), 8),
        ((30, 40), 30),
        ((40, 50), 32),
        ((50, 60), 18),
        ((60, 75), 6),
    ),
    "suicide": (
        ((12, 18), 3),
        ((18, 25), 9),
        ((25, 35), 15),
        ((35, 45), 18),
        ((45, 55), 22),
        ((55, 65), 15),
        ((65, 90), 18),
    ),
    "fatal_collision": (
        ((5, 17), 5),
        ((17, 25), 22),
        ((25, 40), 22),
        ((40, 60), 24),
        ((60, 75), 14),
        ((75, 95), 13),
    ),
    "other_death": (((0, 5), 3), ((5, 18), 4), ((18, 40), 20), ((40, 65), 35), ((65, 95), 38)),
}

#: Age bands of suspects who are not family (ONS Homicide: principal suspects are mostly men
#: aged 16 to 35). ASSUMPTION for the weights.
OFFENDER_AGE_BANDS: tuple[tuple[tuple[int, int], float], ...] = (
    ((14, 18), 10),
    ((18, 25), 30),
    ((25, 35), 28),
    ((35, 45), 17),
    ((45, 60), 12),
    ((60, 80), 3),
)

# --- relationship, circumstance, location, method -------------------------------------------

#: Relationship of victim to principal suspect, by victim sex (ONS Homicide YE March 2023: women
#: were most often killed by a partner or ex-partner, about 4 in 10, men most often by a friend
#: or acquaintance or a stranger; about 1 in 6 homicides had no suspect charged).
RELATIONSHIP: dict[str, dict[str, dict[str, float]]] = {
    "homicide": {
        "male": {
            "friend_acquaintance": 33,
            "stranger": 25,
            "no_suspect": 17,
            "other_family": 6,
            "child": 3,
            "parent": 3,
            "partner_ex_partner": 5,
            "other_known": 6,
            "unknown": 2,
        },
        "female": {
            "partner_ex_partner": 44,
            "other_family": 10,
            "child": 10,
            "parent": 6,
            "friend_acquaintance": 10,
            "stranger": 8,
            "no_suspect": 8,
            "other_known": 3,
            "unknown": 1,
        },
    },
    "attempted_homicide": {
        "male": {
            "friend_acquaintance": 30,
            "stranger": 35,
            "no_suspect": 18,
            "other_family": 4,
            "child": 1,
            "parent": 1,
            "partner_ex_partner": 5,
            "other_known": 5,
            "unknown": 1,
        },
        "female": {
            "partner_ex_partner": 50,
            "other_family": 8,
            "child": 4,
            "parent": 3,
            "friend_acquaintance": 12,
            "stranger": 12,
            "no_suspect": 8,
            "other_known": 3,
        },
    },
    "suspicious_death": {
        "male": {"unknown": 55, "no_suspect": 20, "not_applicable": 20, "friend_acquaintance": 5},
        "female": {"unknown": 55, "no_suspect": 20, "not_applicable": 20, "partner_ex_partner": 5},
    },
}

#: Apparent circumstance given the relationship (ONS Homicide: quarrel, revenge or loss of temper
#: is the commonest circumstance; domestic homicides are those by a partner or family member).
#: ASSUMPTION for the weights.
CIRCUMSTANCE_BY_RELATIONSHIP: dict[str, dict[str, float]] = {
    "partner_ex_partner": {"domestic_abuse": 85, "quarrel_revenge_temper": 10, "mental_illness": 5},
    "parent": {
        "domestic_abuse": 45,
        "mental_illness": 25,
        "quarrel_revenge_temper": 15,
        "irrational_act": 15,
    },
    "child": {"domestic_abuse": 40, "mental_illness": 30, "quarrel_revenge_temper": 20, "irrational_act": 10},
    "other_family": {
        "domestic_abuse": 40,
        "quarrel_revenge_temper": 35,
        "mental_illness": 15,
        "robbery_financial": 10,
    },
    "friend_acquaintance": {
        "quarrel_revenge_temper": 55,
        "drug_dealing": 12,
        "gang_related": 8,
        "robbery_financial": 5,
        "sexual": 2,
        "self_defence": 2,
        "other": 6,
        "unknown": 10,
    },
    "stranger": {
        "quarrel_revenge_temper": 40,
        "robbery_financial": 18,
        "gang_related": 12,
        "irrational_act": 10,
        "sexual": 4,
        "other": 6,
        "unknown": 10,
    },
    "other_known": {"quarrel_revenge_temper": 50, "drug_dealing": 15, "other": 15, "unknown": 20},
    "no_suspect": {
        "unknown": 50,
        "gang_related": 15,
        "drug_dealing": 15,
        "robbery_financial": 10,
        "quarrel_revenge_temper": 10,
    },
    "unknown": {"unknown": 100},
}

#: Relationships that make a case domestic (family or partner).
DOMESTIC_RELATIONSHIPS = ("partner_ex_partner", "parent", "child", "other_family")

#: Location type. Violence: ONS Homicide (about half in a house or dwelling, a quarter in a
#: street); the rest ASSUMPTIONS shaped after coroners' and ONS drug-death commentary (most drug
#: deaths and sudden deaths are at home).
LOCATION: dict[str, dict[str, float]] = {
    "homicide_domestic": {
        "dwelling_victim": 80,
        "dwelling_other": 12,
        "street": 3,
        "public_open_space": 2,
        "vehicle": 1,
        "other": 2,
    },
    "homicide": {
        "street": 38,
        "dwelling_other": 16,
        "dwelling_victim": 14,
        "public_open_space": 12,
        "licensed_premises": 8,
        "vehicle": 3,
        "workplace": 2,
        "other": 5,
        "unknown": 2,
    },
    "attempted_homicide_domestic": {
        "dwelling_victim": 78,
        "dwelling_other": 10,
        "street": 7,
        "public_open_space": 2,
        "vehicle": 1,
        "other": 2,
    },
    "attempted_homicide": {
        "street": 45,
        "public_open_space": 12,
        "licensed_premises": 12,
        "dwelling_other": 12,
        "dwelling_victim": 10,
        "vehicle": 3,
        "workplace": 2,
        "other": 4,
    },
    "suspicious_death": {
        "dwelling_victim": 55,
        "dwelling_other": 10,
        "public_open_space": 12,
        "street": 8,
        "other": 8,
        "hospital": 3,
        "unknown": 4,
    },
    "unexplained_death": {
        "dwelling_victim": 70,
        "care_home": 10,
        "hospital": 6,
        "dwelling_other": 4,
        "public_open_space": 3,
        "street": 2,
        "workplace": 1,
        "custody_or_prison": 0.4,
        "other": 3,
        "unknown": 0.6,
    },
    "drug_related_death": {
        "dwelling_victim": 64,
        "dwelling_other": 15,
        "public_open_space": 7,
        "street": 4,
        "hospital": 3,
        "custody_or_prison": 1,
        "licensed_premises": 1,
        "other": 5,
    },
    "suicide": {
        "dwelling_victim": 64,
        "public_open_space": 15,
        "other": 7,
        "workplace": 2,
        "vehicle": 3,
        "hospital": 2,
        "custody_or_prison": 1,
        "street": 3,
        "dwelling_other": 3,
    },
    "fatal_collision": {"street": 96, "other": 4},
    "other_death": {
        "dwelling_victim": 38,
        "workplace": 15,
        "public_open_space": 16,
        "other": 15,
        "street": 5,
        "hospital": 5,
        "care_home": 6,
    },
}

#: Method. Homicide: ONS YE March 2023 (sharp instrument about 40%, hitting or kicking about 20%;
#: women more often strangled). Suicide: ONS 2022 (hanging, strangulation and suffocation about 60%,
#: poisoning about 20%). The rest ASSUMPTIONS.
METHOD: dict[str, dict[str, float]] = {
    "homicide_male": {
        "sharp_instrument": 42,
        "hitting_kicking": 23,
        "blunt_instrument": 8,
        "shooting": 4,
        "strangulation": 3,
        "motor_vehicle": 4,
        "poison_or_drugs": 2,
        "burning": 2,
        "other": 5,
        "unknown": 7,
    },
    "homicide_female": {
        "sharp_instrument": 38,
        "strangulation": 22,
        "hitting_kicking": 14,
        "blunt_instrument": 10,
        "poison_or_drugs": 3,
        "burning": 3,
        "shooting": 1,
        "other": 4,
        "unknown": 5,
    },
    "attempted_homicide_male": {
        "sharp_instrument": 56,
        "hitting_kicking": 14,
        "blunt_instrument": 12,
        "shooting": 5,
        "motor_vehicle": 5,
        "strangulation": 2,
        "burning": 2,
        "other": 4,
    },
    "attempted_homicide_female": {
        "sharp_instrument": 45,
        "strangulation": 25,
        "hitting_kicking": 12,
        "blunt_instrument": 8,
        "burning": 3,
        "motor_vehicle": 2,
        "other": 5,
    },
    "suspicious_death": {
        "unknown": 40,
        "fall": 15,
        "blunt_instrument": 10,
        "hitting_kicking": 8,
        "poison_or_drugs": 8,
        "drowning": 7,
        "burning": 3,
        "other": 9,
    },
    "unexplained_death": {"unknown": 55, "not_applicable": 30, "fall": 10, "other": 5},
    "drug_related_death": {"poison_or_drugs": 100},
    "suicide": {
        "strangulation": 58,
        "poison_or_drugs": 20,
        "fall": 5,
        "drowning": 4,
        "sharp_instrument": 3,
        "motor_vehicle": 3,
        "other": 7,
    },
    "fatal_collision": {"motor_vehicle": 100},
    "other_death": {"fall": 28, "drowning": 15, "burning": 10, "other": 32, "unknown": 15},
}

#: Substances recorded for drug-related deaths (free text, as an officer would write it). Shares
#: follow ONS 2022: opiates in about half of drug poisonings, cocaine rising, benzodiazepines
#: and gabapentinoids common; the wording varies on purpose.
DRD_SUBSTANCES: dict[str, float] = {
    "heroin": 18,
    "Heroin": 6,
    "suspected heroin": 6,
    "heroin and cocaine": 6,
    "methadone": 8,
    "Methadone (prescribed)": 3,
    "cocaine": 8,
    "crack cocaine": 5,
    "Cocaine": 3,
    "diazepam and heroin": 3,
    "street benzodiazepines (etizolam)": 3,
    "pregabalin and methadone": 3,
    "tramadol": 2,
    "MDMA": 2,
    "ketamine": 1.5,
    "synthetic cannabinoids (spice)": 3,
    "GHB": 1.2,
    "amphetamine": 2,
    "alcohol and diazepam": 3,
    "oxycodone": 1,
    "unknown - awaiting toxicology": 5,
    "mixed drug toxicity": 4,
}

SUICIDE_POISONS: dict[str, float] = {
    "paracetamol": 30,
    "prescription medication": 25,
    "amitriptyline": 15,
    "insulin": 5,
    "sertraline": 10,
    "co-codamol": 15,
}

# --- statuses ---------------------------------------------------------------------------------

#: Status mixes (open, charged, convicted, no_further_action, closed_non_crime) for a case just
#: reported and for a mature case; a case ``d`` days old takes ``m = 1 - exp(-d / 240)`` of the
#: mature mix. ASSUMPTION, anchored on ONS Homicide (about three quarters of homicides with a
#: suspect end in a charge) and on coroners' findings (most sudden deaths are non-crime).
STATUS_MIX: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "homicide": ((0.45, 0.55, 0, 0, 0), (0.04, 0.06, 0.78, 0.12, 0)),
    "homicide_no_suspect": ((1, 0, 0, 0, 0), (0.7, 0.05, 0.05, 0.2, 0)),
    "attempted_homicide": ((0.55, 0.45, 0, 0, 0), (0.08, 0.07, 0.6, 0.25, 0)),
    "attempted_homicide_no_suspect": ((1, 0, 0, 0, 0), (0.45, 0.02, 0.03, 0.5, 0)),
    "suspicious_death": ((0.7, 0.05, 0, 0.05, 0.2), (0.05, 0.03, 0.07, 0.2, 0.65)),
    "unexplained_death": ((0.6, 0, 0, 0.05, 0.35), (0.01, 0, 0, 0.14, 0.85)),
    "drug_related_death": ((0.6, 0.01, 0, 0.09, 0.3), (0.02, 0.02, 0.03, 0.28, 0.65)),
    "suicide": ((0.5, 0, 0, 0.05, 0.45), (0.01, 0, 0, 0.09, 0.9)),
    "fatal_collision": ((0.7, 0.2, 0, 0.05, 0.05), (0.05, 0.08, 0.37, 0.3, 0.2)),
    "other_death": ((0.5, 0, 0, 0.1, 0.4), (0.01, 0, 0.01, 0.13, 0.85)),
}
STATUS_MATURITY_DAYS = 240.0

# --- people connected to cases ----------------------------------------------------------------

#: Per category: probability of a reporting person; mean number of witnesses; probability of an
#: associate; probability a paramedic is recorded as present; probability of a suspect where the
#: relationship does not already imply one. ASSUMPTIONS.
ROLE_RATES: dict[str, dict[str, float]] = {
    "homicide": {"reporting": 0.35, "witnesses": 1.2, "associate": 0.3, "paramedic": 0.5, "suspect": 0.0},
    "attempted_homicide": {
        "reporting": 0.3,
        "witnesses": 1.0,
        "associate": 0.25,
        "paramedic": 0.45,
        "suspect": 0.0,
    },
    "suspicious_death": {
        "reporting": 0.6,
        "witnesses": 0.2,
        "associate": 0.2,
        "paramedic": 0.4,
        "suspect": 0.1,
    },
    "unexplained_death": {
        "reporting": 0.85,
        "witnesses": 0.05,
        "associate": 0.05,
        "paramedic": 0.35,
        "suspect": 0.0,
    },
    "drug_related_death": {
        "reporting": 0.7,
        "witnesses": 0.1,
        "associate": 0.4,
        "paramedic": 0.6,
        "suspect": 0.03,
    },
    "suicide": {"reporting": 0.75, "witnesses": 0.1, "associate": 0.05, "paramedic": 0.35, "suspect": 0.0},
    "fatal_collision": {
        "reporting": 0.35,
        "witnesses": 0.9,
        "associate": 0.0,
        "paramedic": 0.6,
        "suspect": 0.4,
    },
    "other_death": {"reporting": 0.6, "witnesses": 0.2, "associate": 0.05, "paramedic": 0.4, "suspect": 0.0},
}


def yearly_expected(category: str, population: float) -> float:
    """Expected cases a year for ``category`` in a population of ``population`` residents."""
    return RATE_PER_100K[category] * population / 100_000.0


def normalised(weights: dict[str, float] | tuple[float, ...]) -> tuple[list, np.ndarray]:
    """Keys (in the dict's written order) and probabilities summing to one."""
    if isinstance(weights, dict):
        keys = list(weights)
        w = np.array([weights[k] for k in keys], dtype=float)
    else:
        keys = list(range(len(weights)))
        w = np.array(weights, dtype=float)
    return keys, w / w.sum()


def draw(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    """``size`` values drawn from a weighted dict, as an object array of its keys."""
    keys, p = normalised(weights)
    out = np.empty(size, dtype=object)
    if size:
        out[:] = np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=p)]
    return out


def draw_ages(rng: np.random.Generator, bands, size: int) -> np.ndarray:
    """Integer ages drawn from ``((low, high), weight)`` bands, uniform inside a band."""
    lows = np.array([b[0][0] for b in bands], dtype=float)
    highs = np.array([b[0][1] for b in bands], dtype=float)
    w = np.array([b[1] for b in bands], dtype=float)
    pick = rng.choice(len(bands), size=size, p=w / w.sum())
    return np.floor(lows[pick] + rng.random(size) * (highs[pick] - lows[pick])).astype(int)
