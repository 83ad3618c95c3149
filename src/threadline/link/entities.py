"""Normalising what was recorded about things, so the same thing written two ways links.

Officers write the same vehicle as "YK63 XRC", "yk-63", "YK6? ?X?" or "grey Corsa YK6"; a drug
batch as "Stamp: red scorpion" or "red scorpion stamp"; a substance as "GHB", "GHB/GBL" or
"suspected GHB". These functions turn a recorded value into comparable keys. They are pure
(pandas in, pandas out) and vectorised over a column.

Vehicle registrations follow the current GB format (DVLA, *Vehicle registration numbers and number
plates*, INF104): two letters for the area of registration, two digits for the age identifier, then
three random letters ("YK63 XRC"). A witness usually remembers the front of it ("YK6", "YK63"), the
part that says where and when the car was first registered, and the make, model and colour.
"""

from __future__ import annotations

import re

import pandas as pd

#: Words that describe a batch or a vehicle without identifying it.
_BATCH_NOISE = {"stamp", "stamped", "marking", "marked", "batch", "logo", "with", "a", "the", "of", "and", "pills",
                "pill", "bag", "bags", "wrap", "wraps"}
_COLOURS = {"black", "white", "grey", "gray", "silver", "blue", "red", "green", "yellow", "orange", "gold", "brown",
            "purple", "maroon", "dark", "light"}
_VEHICLE_WORDS = {"van", "car", "hatchback", "saloon", "estate", "suv", "pickup", "transit", "corsa", "astra",
                  "fiesta", "focus", "golf", "polo", "clio", "micra", "civic", "bmw", "audi", "ford", "vauxhall",
                  "volkswagen", "vw", "toyota", "nissan", "honda", "mercedes", "kia", "hyundai", "peugeot", "renault",
                  "taxi", "motorbike", "moped", "scooter", "lorry", "bike"}
_WORD = re.compile(r"[a-z0-9?]+")
# the front of a current-format plate: two letters, then one or two digits (or ? for a digit not seen)
_PLATE_FRONT = re.compile(r"\b([A-Z]{2})\s*-?\s*([0-9][0-9?]?)(?![0-9])")
_FULL_PLATE = re.compile(r"\b([A-Z]{2}[0-9]{2})\s*([A-Z]{3})\b")


def words(text: str | None) -> list[str]:
    """Lower-case words of ``text`` (letters, digits and ``?``)."""
    return _WORD.findall(str(text).lower()) if text is not None and text == text else []


def plate_front(value: str | None) -> str | None:
    """The area-and-age front of a registration ("YK63", "YK6"), or None if none can be read.

    A ``?`` for an unseen digit is dropped: "YK6?" and "YK6" both give "YK6".
    """
    if value is None or value != value:
        return None
    text = re.sub(r"[^A-Z0-9? -]", " ", str(value).upper())
    m = _PLATE_FRONT.search(text)
    if not m:
        return None
    return (m.group(1) + m.group(2)).rstrip("?")


def full_plate(value: str | None) -> str | None:
    """A complete current-format registration without spaces ("YK63XRC"), or None."""
    if value is None or value != value:
        return None
    m = _FULL_PLATE.search(str(value).upper())
    return m.group(1) + m.group(2) if m else None


def vehicle_words(value: str | None) -> frozenset[str]:
    """Colour, make, model and body words ("grey", "corsa", "van")."""
    return frozenset(w for w in words(value) if w in _COLOURS or w in _VEHICLE_WORDS)


def batch_key(value: str | None) -> str:
    """The identifying words of a drug-batch marking, sorted: "Stamp: red scorpion" -> "red scorpion"."""
    return " ".join(sorted({w for w in words(value) if w not in _BATCH_NOISE and w != "?"}))


def phone_key(value: str | None) -> str:
    """Digits only, a UK +44 prefix written as 0: "+44 7700 900123" -> "07700900123"."""
    digits = re.sub(r"\D", "", str(value or ""))
    if digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits


def text_key(value: str | None) -> str:
    """Lower case, punctuation as spaces, single spaces: the exact-match key for names and addresses."""
    return " ".join(words(value))


def entity_keys(entity_type: pd.Series, entity_value: pd.Series) -> pd.Series:
    """The exact-match key of each recorded thing (vectorised over a table of case entities)."""
    out = pd.Series([text_key(v) for v in entity_value], index=entity_value.index, dtype=object)
    phones = entity_type == "phone"
    out[phones] = [phone_key(v) for v in entity_value[phones]]
    batches = entity_type == "drug_batch"
    out[batches] = [batch_key(v) for v in entity_value[batches]]
    vehicles = entity_type == "vehicle"
    out[vehicles] = [full_plate(v) or "" for v in entity_value[vehicles]]
    return out


def front_compatible(a: str | None, b: str | None) -> bool:
    """Two plate fronts that could be the same plate: one is a prefix of the other (at least 3 characters)."""
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short)


def vehicle_similarity(a: str | None, b: str | None) -> float:
    """How alike two recorded vehicles are, 0 to 1.

    1.0 for the same full registration; 0.8 for compatible fronts ("YK6?" and "YK63 XRC"), raised
    towards 1 when the colour and model words agree too; 0.3 times the overlap of colour and model
    words alone ("grey Corsa" and "grey Vauxhall Corsa").
    """
    pa, pb = full_plate(a), full_plate(b)
    if pa and pb:
        return 1.0 if pa == pb else 0.0
    wa, wb = vehicle_words(a), vehicle_words(b)
    overlap = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    if front_compatible(plate_front(a), plate_front(b)):
        return 0.8 + 0.2 * overlap
    return 0.3 * overlap


def jaccard(a: str | frozenset | set, b: str | frozenset | set) -> float:
    """Jaccard overlap of two word sets (strings are split into words)."""
    sa = set(a.split()) if isinstance(a, str) else set(a)
    sb = set(b.split()) if isinstance(b, str) else set(b)
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


#: Substance words that carry no identity ("suspected", "awaiting toxicology").
_SUBSTANCE_NOISE = {"suspected", "possible", "probable", "query", "awaiting", "toxicology", "unknown", "and", "with",
                    "mixed", "drug", "drugs", "toxicity", "g", "prescribed", "prescription", "medication", "overdose",
                    "of", "adulterated", "in", "a", "the", "use", "poisoning", "results", "pending", "tox"}
_SUBSTANCE_SYNONYMS = {"gbl": "ghb", "gamma": "ghb", "g": "ghb", "spice": "cannabinoids", "smack": "heroin",
                       "diamorphine": "heroin", "crack": "cocaine", "coke": "cocaine", "ecstasy": "mdma",
                       "fentanil": "fentanyl"}


def substance_key(value: str | None) -> str:
    """The substances named, normalised and sorted: "GHB/GBL" -> "ghb", "heroin (fentanyl-adulterated)" ->
    "fentanyl heroin", "awaiting toxicology" -> ""."""
    out = set()
    for w in words(value):
        w = _SUBSTANCE_SYNONYMS.get(w, w)
        if w not in _SUBSTANCE_NOISE and len(w) > 1:
            out.add(w)
    return " ".join(sorted(out))
