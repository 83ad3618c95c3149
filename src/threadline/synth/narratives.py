"""Short free-text narratives for cases, as an officer's first account would read.

Templates are per category with several interchangeable phrasings for each slot (who, where,
how, what was found, who found them, what happened next), so that two cases of the same kind
rarely read the same and text similarity means something. Planted series write their own
narratives (:mod:`threadline.synth.series`), which share distinctive phrases within a series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline.synth.context import Context

VENUES = (
    "The Black Bull",
    "The Red Lion",
    "The Royal Oak",
    "The White Swan",
    "The New Inn",
    "The Fleece",
    "The Queens Arms",
    "The Junction",
    "The Cross Keys",
    "The Station",
    "Wetherspoons",
    "The Globe",
    "The Fox and Hounds",
    "The Commercial",
    "The Crown",
    "The Malt Shovel",
    "The Packhorse",
    "The Vine",
    "Revolution",
    "Pryzm",
    "O'Neill's",
    "The Brewery Tap",
    "Spoons",
    "the kebab shop",
    "the taxi rank",
)

PLACES: dict[str, tuple[str, ...]] = {
    "dwelling_victim": (
        "at home address",
        "at {pos} home",
        "in the bedroom at home address",
        "in the living room of {pos} flat",
        "at {pos} flat",
        "in the kitchen at home",
        "at {pos} house on {street}",
    ),
    "dwelling_other": (
        "at a friend's address",
        "at an address on {street}",
        "at a relative's house",
        "in a flat on {street}",
        "at an acquaintance's flat",
        "at a house party on {street}",
    ),
    "street": (
        "on {street}",
        "in the street outside an address on {street}",
        "on the footpath on {street}",
        "near the junction with {street}",
        "in an alleyway off {street}",
    ),
    "public_open_space": (
        "in the park off {street}",
        "on waste ground off {street}",
        "on the canal towpath",
        "in woodland near {street}",
        "on playing fields off {street}",
        "by the river",
    ),
    "licensed_premises": (
        "inside {venue}",
        "outside {venue}",
        "in the smoking area of {venue}",
        "in the toilets of {venue}",
    ),
    "care_home": ("at {facility}", "in {pos} room at {facility}"),
    "hospital": ("on a ward at {facility}", "at {facility}"),
    "custody_or_prison": ("in a cell at {facility}", "at {facility}"),
    "vehicle": ("in a parked car on {street}", "in a vehicle on {street}", "in a van parked on {street}"),
    "workplace": (
        "at {pos} place of work",
        "at a warehouse on {street}",
        "at an industrial unit off {street}",
        "on a building site on {street}",
    ),
    "other": (
        "at a location on {street}",
        "at a hostel on {street}",
        "in a stairwell of flats on {street}",
        "at premises on {street}",
    ),
    "unknown": ("at a location on {street}", "location not yet established"),
}
METHOD_PAST: dict[str, tuple[str, ...]] = {
    "sharp_instrument": (
        "was stabbed",
        "sustained multiple stab wounds",
        "suffered a single stab wound to the chest",
        "was slashed with a blade",
        "was knifed in the abdomen",
    ),
    "hitting_kicking": (
        "was punched and kicked",
        "was assaulted and suffered head injuries",
        "was beaten",
        "was punched once and struck {pos} head on the ground",
        "was stamped on",
    ),
    "blunt_instrument": (
        "was struck with a hammer",
        "suffered head injuries from a blunt weapon",
        "was hit with a baseball bat",
        "was struck with a brick",
    ),
    "strangulation": ("was strangled", "showed signs of compression to the neck", "was choked"),
    "shooting": ("was shot", "sustained a gunshot wound", "was hit by a shotgun discharge"),
    "motor_vehicle": (
        "was deliberately driven at",
        "was run down by a car",
        "was struck by a car driven at {obj}",
    ),
    "burning": ("was caught in a deliberately set fire", "was doused in accelerant and set alight"),
    "poison_or_drugs": ("was poisoned", "was given a substance"),
    "drowning": ("was held under water",),
    "fall": ("was pushed down the stairs", "was pushed from a height"),
    "other": ("was fatally injured", "was seriously injured"),
    "unknown": ("was found with serious injuries", "was found injured, cause unclear"),
    "not_applicable": ("was injured",),
}
CIRC_PHRASE: dict[str, tuple[str, ...]] = {
    "domestic_abuse": (
        " during an argument with {pos} partner",
        " following a history of domestic abuse",
        " after a domestic dispute",
        " by a family member at the address",
    ),
    "quarrel_revenge_temper": (
        " following an argument",
        " after a dispute over money",
        " after a row outside",
        " following a long-running feud",
        " after an altercation",
    ),
    "gang_related": (
        " in an incident linked to rivalry between local groups",
        " in a targeted attack",
        " in a suspected gang-related attack",
    ),
    "drug_dealing": (" over a drug debt", " in a dispute linked to drug supply", " during a drug deal"),
    "robbery_financial": (
        " during a robbery",
        " while being robbed of phone and cash",
        " in a robbery at the door",
    ),
    "sexual": (" in a sexually motivated attack",),
    "mental_illness": (" by a person in mental health crisis", " by a relative experiencing psychosis"),
    "irrational_act": (" in an apparently unprovoked attack", " in a random attack"),
    "self_defence": (" in a fight in which both were armed",),
    "other": ("",),
    "unknown": ("", " in circumstances not yet known"),
    "not_applicable": ("",),
}
SUSPECT_PHRASE: dict[str, tuple[str, ...]] = {
    "partner_ex_partner": (
        "partner arrested at scene",
        "ex-partner arrested nearby",
        "partner detained at the address",
    ),
    "parent": ("parent arrested", "{pos} father arrested", "{pos} mother arrested"),
    "child": ("{pos} son arrested at the address", "adult daughter arrested"),
    "other_family": ("family member arrested", "{pos} brother arrested", "{pos} nephew arrested"),
    "friend_acquaintance": ("known associate arrested", "acquaintance arrested", "friend handed himself in"),
    "stranger": (
        "suspect unknown to victim",
        "offender made off on foot",
        "male suspect seen running from scene",
    ),
    "other_known": ("suspect known to victim arrested", "neighbour arrested"),
    "no_suspect": ("no suspect identified", "enquiries ongoing, no arrests", "CCTV trawl under way"),
    "unknown": ("suspect not yet identified",),
}
FINDERS = (
    "a family member",
    "a neighbour",
    "the landlord",
    "{pos} partner",
    "a friend",
    "police attending a concern for welfare call",
    "a flatmate",
    "a work colleague",
)
FINDERS_OLD = (
    "a family member",
    "{pos} daughter",
    "{pos} son",
    "a neighbour",
    "a carer",
    "the warden",
    "{pos} wife or husband",
    "police attending a concern for welfare call",
    "a friend",
)
FINDERS_YOUNG = (
    "{pos} mother",
    "{pos} father",
    "a flatmate",
    "a friend",
    "{pos} partner",
    "a neighbour",
    "police attending a concern for welfare call",
)
UNEXPLAINED_HISTORY = (
    "history of heart disease",
    "history of COPD",
    "diabetic",
    "history of epilepsy",
    "alcohol dependent",
    "no known medical history",
    "recently discharged from hospital",
    "had not been seen for several days",
    "lived alone",
    "under the care of GP for hypertension",
)
UNEXPLAINED_END = (
    "no suspicious circumstances",
    "GP unable to certify, referred to coroner",
    "no third-party involvement",
    "sudden death file submitted",
    "awaiting post-mortem",
)
DRD_SIGNS = (
    "paraphernalia present",
    "foil and spoons located",
    "needle found nearby",
    "blister packs and empty bottles found",
    "white powder on the table",
    "naloxone administered by paramedics without effect",
    "known heroin user",
    "recently released from prison",
    "in treatment with drug services",
    "tourniquet and syringe next to body",
)
SUICIDE_MEANS: dict[str, tuple[str, ...]] = {
    "strangulation": ("ligature", "hanging"),
    "poison_or_drugs": ("overdose of {substance}", "empty packets of {substance} nearby"),
    "fall": ("fall from height", "fell from a multi-storey car park"),
    "drowning": ("recovered from the river", "recovered from the canal"),
    "sharp_instrument": ("self-inflicted wounds",),
    "motor_vehicle": ("struck by a train", "died on the railway line"),
    "other": ("means established at scene",),
}
SUICIDE_NOTES = (
    "note left",
    "no note found",
    "known to mental health services",
    "recent relationship breakdown",
    "financial worries",
    "previous attempts",
    "recently bereaved",
)
COLLISION_USER = ("Pedestrian", "Cyclist", "Motorcyclist", "Driver", "Passenger")
COLLISION_EVENT = (
    "struck by a car",
    "in collision with a van",
    "lost control and left the carriageway",
    "involved in a head-on collision",
    "struck by a bus",
    "hit by a HGV turning left",
)
COLLISION_AFTER = (
    "driver stopped at scene",
    "driver failed to stop",
    "driver arrested for causing death by dangerous driving",
    "no other vehicle involved",
    "driver breath tested negative",
    "collision investigation unit attended",
)
OTHER_DEATH: dict[str, tuple[str, ...]] = {
    "fall": ("fell down the stairs", "fell from a ladder", "fell from scaffolding"),
    "drowning": (
        "drowned in a reservoir",
        "recovered from the River Aire",
        "drowned while swimming in a quarry",
    ),
    "burning": ("died in a house fire", "died in a fire started by a cigarette"),
    "other": (
        "crushed by machinery",
        "electrocuted",
        "died after an accident at work",
        "hypothermia",
        "choked on food",
    ),
    "unknown": ("cause of death unclear",),
}
CARE_ROUND = ("night checks", "the morning round", "a routine check")
CARE_STAFF = ("the staff nurse", "a night carer", "a senior carer", "staff")
CARE_HISTORY = (
    "history of dementia",
    "frail, end-of-life care",
    "recent chest infection",
    "history of falls",
)
HOSPITAL_DETAIL = (
    "admitted three days earlier",
    "found unresponsive by nursing staff",
    "cardiac arrest called",
    "family raised concerns about care",
)
SUSPICIOUS_INJURY = (
    "a head injury",
    "unexplained bruising",
    "facial injuries",
    "no obvious cause of death",
    "blood at the scene",
)
SUSPICIOUS_DETAIL = (
    "door insecure",
    "signs of disturbance",
    "partner gave an inconsistent account",
    "had recently argued with a neighbour",
    "last seen two days earlier",
    "property missing",
)
SUSPICIOUS_END = (
    "Home Office post-mortem requested",
    "PM awaited",
    "forensic PM found natural causes",
    "toxicology awaited",
    "scene preserved",
)


def _who(sex: str, age: int, u: float) -> str:
    if age < 1:
        return "Infant"
    if age < 16:
        word = "Boy" if sex == "male" else "Girl"
    elif age >= 75 and u < 0.5:
        word = "Elderly man" if sex == "male" else "Elderly woman"
    else:
        word = ("Male", "Man", "Male")[int(u * 3)] if sex == "male" else ("Female", "Woman")[int(u * 2)]
    form = int(u * 97) % 3
    return (f"{word} aged {age}", f"{word}, {age},", f"{word} ({age})")[form]


def fill_case_narratives(ctx: Context, cases: pd.DataFrame) -> pd.DataFrame:
    """Write a narrative for every case that has none."""
    rng = ctx.rng("narratives")
    todo = np.flatnonzero(cases["narrative"].fillna("").to_numpy() == "")
    streets = ctx.geo.street(rng, cases["lsoa"].to_numpy()[todo])
    u = rng.random((len(todo), 10))
    texts = []
    cols = {
        c: cases[c].to_numpy()[todo]
        for c in (
            "category",
            "victim_sex",
            "victim_age",
            "location_type",
            "method",
            "circumstance",
            "suspect_relationship",
            "status",
            "substance",
            "facility",
        )
    }

    def pick(options, x):
        return options[int(x * len(options)) % len(options)]

    for j in range(len(todo)):
        cat, sex, age = cols["category"][j], cols["victim_sex"][j], int(cols["victim_age"][j])
        pos, obj = ("his", "him") if sex == "male" else ("her", "her")
        fmt = {
            "pos": pos,
            "obj": obj,
            "street": streets[j],
            "venue": pick(VENUES, u[j, 9]),
            "facility": cols["facility"][j] or "the premises",
            "substance": cols["substance"][j] or "medication",
        }
        finders = FINDERS_OLD if age >= 65 else FINDERS_YOUNG if age < 35 else FINDERS
        loc = cols["location_type"][j]
        place = pick(PLACES.get(loc, PLACES["other"]), u[j, 1]).format(**fmt)
        who = _who(sex, age, u[j, 0])
        method = cols["method"][j]
        if cat in ("homicide", "attempted_homicide"):
            how = pick(METHOD_PAST.get(method, METHOD_PAST["other"]), u[j, 2]).format(**fmt)
            circ = pick(CIRC_PHRASE.get(cols["circumstance"][j], ("",)), u[j, 3]).format(**fmt)
            sus = pick(SUSPECT_PHRASE.get(cols["suspect_relationship"][j], ("",)), u[j, 4]).format(**fmt)
            end = (
                ("died at the scene", "pronounced dead in hospital", "died later in hospital")[
                    int(u[j, 5] * 3)
                ]
                if cat == "homicide"
                else (
                    "taken to hospital with serious injuries",
                    "in a critical but stable condition",
                    "required surgery; expected to survive",
                )[int(u[j, 5] * 3)]
            )
            status = cols["status"][j]
            tail = {"charged": "; suspect charged", "convicted": "; offender convicted"}.get(status, "")
            text = f"{who} {how} {place}{circ}; {end}; {sus}{tail}"
        elif cat == "suspicious_death":
            text = (
                f"{who} found deceased {place} with {pick(SUSPICIOUS_INJURY, u[j, 2])}; "
                f"{pick(SUSPICIOUS_DETAIL, u[j, 3])}; {pick(SUSPICIOUS_END, u[j, 4])}"
            )
        elif cat == "unexplained_death":
            if age < 1:
                text = (
                    "Infant found unresponsive in cot by parent; SUDI protocol followed; joint agency review"
                )
            elif loc == "care_home":
                text = (
                    f"Resident aged {age} found unresponsive during {pick(CARE_ROUND, u[j, 2])} {place} by "
                    f"{pick(CARE_STAFF, u[j, 3])}; {pick(CARE_HISTORY, u[j, 4])}; "
                    f"{pick(UNEXPLAINED_END, u[j, 5])}"
                )
            elif loc == "hospital":
                detail = pick(HOSPITAL_DETAIL, u[j, 2])
                text = f"Patient aged {age} died unexpectedly {place}; {detail}; referred to coroner"
            else:
                state = pick(("deceased", "unresponsive", "collapsed", "dead in bed"), u[j, 2])
                text = (
                    f"{who} found {state} {place} by {pick(finders, u[j, 3]).format(**fmt)}; "
                    f"{pick(UNEXPLAINED_HISTORY, u[j, 4])}; {pick(UNEXPLAINED_END, u[j, 5])}"
                )
        elif cat == "drug_related_death":
            state = pick(("deceased", "unresponsive", "collapsed", "not breathing"), u[j, 2])
            sub = cols["substance"][j] or "drugs"
            text = (
                f"{who} found {state} {place} by {pick(finders, u[j, 3]).format(**fmt)}; "
                f"{pick(DRD_SIGNS, u[j, 4])}; suspected {sub}"
            )
        elif cat == "suicide":
            means = pick(SUICIDE_MEANS.get(method, SUICIDE_MEANS["other"]), u[j, 2]).format(**fmt)
            text = (
                f"{who} found deceased {place} by {pick(finders, u[j, 3]).format(**fmt)}; {means}; "
                f"{pick(SUICIDE_NOTES, u[j, 4])}"
            )
        elif cat == "fatal_collision":
            user, event = pick(COLLISION_USER, u[j, 2]), pick(COLLISION_EVENT, u[j, 3])
            text = f"{user} aged {age} {event} on {streets[j]}; {pick(COLLISION_AFTER, u[j, 4])}"
        else:
            what = pick(OTHER_DEATH.get(method, OTHER_DEATH["other"]), u[j, 2])
            text = f"{who} {what} {place}; {pick(UNEXPLAINED_END, u[j, 5])}"
        texts.append(text[0].upper() + text[1:] + ".")
    cases.loc[cases.index[todo], "narrative"] = texts
    return cases
