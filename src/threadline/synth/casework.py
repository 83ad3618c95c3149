"""Case flags and the things recorded against cases (addresses, phones, vehicles, weapons ...).

Flags follow the fields they summarise (``knife`` with most sharp-instrument cases, ``firearm``
with shootings, ``youth`` when the victim is under 25, ``domestic_abuse`` with a domestic
circumstance, ``vawg`` for domestic or sexual violence against women, ``drugs`` for every
drug-related death) plus occasional context flags (alcohol, mental health, gang, county lines,
exploitation) at assumed rates.

Entities: addresses for some deaths at a dwelling, phones for some violence and drug deaths (a
few dealer lines recur across drug deaths in one area, as they do in real data), vehicle
registrations for road deaths and some violence, weapons, batch stamps for a few drug deaths,
premises for care homes, hospitals, prisons and pubs, and a few online accounts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline.synth.context import Context
from threadline.synth.incidents import join_flags
from threadline.synth.narratives import VENUES

LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUVWXY"))
AREA_CODES = (
    "YA",
    "YB",
    "YC",
    "YD",
    "YE",
    "YF",
    "YG",
    "YH",
    "YJ",
    "YK",
    "YL",
    "YM",
    "YN",
    "YP",
    "YR",
    "YS",
    "YT",
    "YX",
    "YY",
    "MA",
    "MF",
    "SN",
    "KX",
    "BD",
    "LS",
    "NA",
    "VO",
    "WU",
)
AGE_IDS = (
    "62",
    "12",
    "63",
    "13",
    "64",
    "14",
    "65",
    "15",
    "66",
    "16",
    "67",
    "17",
    "68",
    "18",
    "69",
    "19",
    "70",
    "20",
    "71",
    "21",
    "72",
    "22",
    "73",
    "23",
)
WEAPONS = {
    "sharp_instrument": (
        "kitchen knife",
        "lock knife",
        "machete",
        "zombie knife",
        "screwdriver",
        "broken bottle",
    ),
    "blunt_instrument": ("hammer", "baseball bat", "brick", "metal bar", "wooden table leg"),
    "shooting": ("sawn-off shotgun", "handgun", "air rifle"),
    "strangulation": ("ligature (cord)",),
    "burning": ("petrol can",),
}
STAMPS = (
    "Stamp: blue dolphin",
    "Stamp: crown",
    "Tesla pills (red)",
    "Stamp: gold bar",
    "Stamp: skull",
    "Stamp: Louis V",
    "Stamp: green star",
)
APPS = ("Snapchat", "Instagram", "WhatsApp", "Facebook", "TikTok")


def case_flags(ctx: Context, cases: pd.DataFrame) -> np.ndarray:
    rng = ctx.rng("casework.flags")
    n = len(cases)
    cat = cases["category"].to_numpy()
    method = cases["method"].to_numpy()
    circ = cases["circumstance"].to_numpy()
    loc = cases["location_type"].to_numpy()
    sex = cases["victim_sex"].to_numpy()
    age = cases["victim_age"].to_numpy().astype(int)
    extra = cases["flags_extra"].fillna("").to_numpy()
    u = rng.random((n, 8))
    violent = np.isin(cat, ("homicide", "attempted_homicide", "suspicious_death"))
    flags = {
        "domestic_abuse": circ == "domestic_abuse",
        "alcohol": (loc == "licensed_premises") & (u[:, 0] < 0.8)
        | violent & (u[:, 0] < 0.25)
        | (cat == "suicide") & (u[:, 0] < 0.2)
        | (cat == "fatal_collision") & (u[:, 0] < 0.12),
        "drugs": (cat == "drug_related_death") | (circ == "drug_dealing") | violent & (u[:, 1] < 0.15),
        "mental_health": (circ == "mental_illness")
        | (cat == "suicide") & (u[:, 2] < 0.5)
        | (cat == "unexplained_death") & (u[:, 2] < 0.05),
        "knife": (method == "sharp_instrument") & (u[:, 3] < 0.85) & (cat != "suicide"),
        "firearm": method == "shooting",
        "gang": circ == "gang_related",
        "county_lines": (circ == "drug_dealing") & (u[:, 4] < 0.4)
        | (cat == "drug_related_death") & (u[:, 4] < 0.03),
        "vawg": (sex == "female")
        & (
            (circ == "domestic_abuse")
            | (circ == "sexual")
            | np.isin(cases["suspect_relationship"].to_numpy(), ("partner_ex_partner",))
        ),
        "youth": age < 25,
    }
    flags["exploitation"] = flags["county_lines"] & (u[:, 5] < 0.5)
    for name in flags:
        flags[name] = flags[name] | np.array([name in e.split(";") for e in extra])
    return join_flags(flags, n)


def registration(rng: np.random.Generator, n: int) -> np.ndarray:
    """UK-format registrations, mostly with Yorkshire (Y) memory tags."""
    area = np.array(AREA_CODES, dtype=object)[rng.integers(0, len(AREA_CODES), size=n)]
    age = np.array(AGE_IDS, dtype=object)[rng.integers(0, len(AGE_IDS), size=n)]
    tail = ["".join(x) for x in LETTERS[rng.integers(0, len(LETTERS), size=(n, 3))]]
    return area + age + " " + np.array(tail, dtype=object)


def phone(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array([f"07{x:09d}" for x in rng.integers(100_000_000, 999_999_999, size=n)], dtype=object)


def background_entities(ctx: Context, cases: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Entities for cases not planted (planted series add their own), and premises for every case at
    a care home, hospital or prison."""
    rng = ctx.rng("casework.entities")
    geo, people = ctx.geo, ctx.people
    out: list[tuple[int, str, str]] = []
    bg = cases[~cases["origin"].str.startswith("series:")]
    ck = bg["ck"].to_numpy()
    cat = bg["category"].to_numpy()
    loc = bg["location_type"].to_numpy()
    method = bg["method"].to_numpy()
    n = len(bg)
    u = rng.random((n, 8))
    violent = np.isin(cat, ("homicide", "attempted_homicide"))

    dwelling = np.isin(loc, ("dwelling_victim", "dwelling_other")) & (u[:, 0] < 0.4)
    idx = np.flatnonzero(dwelling)
    streets = geo.street(rng, bg["lsoa"].to_numpy()[idx])
    victim_pc = people.column("postcode", bg["victim"].to_numpy()[idx])
    other_pc = geo.postcodes(rng, bg["lsoa"].to_numpy()[idx])
    numbers = rng.integers(1, 180, size=len(idx))
    for j, i in enumerate(idx):
        pc = victim_pc[j] if loc[i] == "dwelling_victim" else other_pc[j]
        flat = f"Flat {int(numbers[j] % 12) + 1}, " if numbers[j] % 5 == 0 else ""
        out.append((int(ck[i]), "address", f"{flat}{int(numbers[j])} {streets[j]}, {pc}"))

    # Phones: victims' and suspects' phones, and a few dealer lines shared across drug deaths.
    ph = np.flatnonzero(violent & (u[:, 1] < 0.3) | (cat == "suspicious_death") & (u[:, 1] < 0.15))
    for i, num in zip(ph, phone(rng, len(ph)), strict=True):
        out.append((int(ck[i]), "phone", str(num)))
    dealer_lines = {la: phone(rng, 6) for la in range(len(geo.la_codes))}
    drd = np.flatnonzero((cat == "drug_related_death") & (u[:, 2] < 0.12))
    bg_lsoa = bg["lsoa"].to_numpy()
    for i in drd:
        la = int(geo.la[bg_lsoa[i]])
        out.append((int(ck[i]), "phone", str(dealer_lines[la][int(rng.integers(0, 6))])))

    veh = np.flatnonzero((cat == "fatal_collision") & (u[:, 3] < 0.9) | violent & (u[:, 3] < 0.1))
    regs = registration(rng, 2 * len(veh))
    for j, i in enumerate(veh):
        out.append((int(ck[i]), "vehicle", str(regs[2 * j])))
        if cat[i] == "fatal_collision" and u[i, 4] < 0.35:
            out.append((int(ck[i]), "vehicle", str(regs[2 * j + 1])))

    wp = np.flatnonzero(violent & np.isin(method, list(WEAPONS)) & (u[:, 5] < 0.55))
    for i in wp:
        opts = WEAPONS[method[i]]
        out.append((int(ck[i]), "weapon", opts[int(rng.integers(0, len(opts)))]))

    st = np.flatnonzero((cat == "drug_related_death") & (u[:, 6] < 0.03))
    for i in st:
        out.append((int(ck[i]), "drug_batch", STAMPS[int(rng.integers(0, len(STAMPS)))]))

    all_fac = cases["facility"].to_numpy()
    all_ck = cases["ck"].to_numpy()
    for i in np.flatnonzero(all_fac != ""):
        out.append((int(all_ck[i]), "premises", str(all_fac[i])))
    for i in np.flatnonzero(loc == "licensed_premises"):
        out.append((int(ck[i]), "premises", VENUES[int(rng.integers(0, 21))]))

    oa = np.flatnonzero(violent & (u[:, 7] < 0.06))
    for i in oa:
        app = APPS[int(rng.integers(0, len(APPS)))]
        handle = "".join(LETTERS[rng.integers(0, len(LETTERS), size=6)]).lower() + str(
            int(rng.integers(1, 99))
        )
        out.append((int(ck[i]), "online_account", f"{app}: {handle}"))
    return out
