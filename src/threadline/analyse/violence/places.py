"""Matching emergency-department place descriptions to places: the Cardiff Model's geocoding step.

The Cardiff Model for violence prevention (Florence, Shepherd, Brennan and Simon 2011, "Effectiveness
of anonymised information sharing and use in health service, police, and local government
partnership for preventing violence related injury", BMJ 342:d3313) shares, from each emergency
department (ED), the time, weapon and *location of the assault* of every assault attendance. The
NHS Information Standard ISB 1594, *Information Sharing to Tackle Violence* (ISTV), fixes that
minimum dataset; the location is free text typed by a receptionist: "outside the shops on Low Moor
Side", "in The New Inn on Gilbert Mount", "Levens Garth", "town centre", "home address, Newsam Green
Road", "park". Before the ED picture can be set beside police data each description has to be put
on the map. This module does it the way a community safety analyst does, against a gazetteer built
from the partnership's own located records:

1. :func:`build_gazetteer` collects place names (street names, named premises such as "The New Inn")
   from records that carry both a location text and an LSOA: police incidents, whose location text
   is in the data.police.uk style "On or near Coldcotes Drive", and partner records that are already
   located. A name met in several LSOAs keeps its distribution (``Gazetteer.distribution``) and its
   commonest LSOA with that LSOA's share (``Gazetteer.names``).
2. :func:`match_places` pulls candidate names out of each description (:func:`candidate_names`:
   "on X", "in X on Y" gives the street Y and the premises X, "outside X", "near X", the parts of
   "X, Y", and the whole text), normalises them (:func:`normalise_name`) and looks them up exactly;
   failing that it compares them with the Jaro-Winkler string comparator (Jaro 1989, "Advances in
   record-linkage methodology as applied to matching the 1985 census of Tampa, Florida", JASA
   84:414-420; Winkler 1990, "String comparator metrics and enhanced decision rules in the
   Fellegi-Sunter model of record linkage", Proceedings of the Section on Survey Research Methods,
   American Statistical Association, 354-359; computed by :mod:`jellyfish`) and accepts the best
   gazetteer name at or above ``min_score``. Descriptions with no place name in them ("park", "town
   centre", "home address", "not known") are left unmatched with the reason.
3. :func:`match_rate_summary` counts exact, fuzzy and failed matches and the reasons, for the
   needs assessment's data-quality note (the share of ED assaults that could be located is itself
   a finding the Serious Violence Duty guidance asks partnerships to report on).

Speed. Descriptions and candidate names are deduplicated before any comparison (ED texts repeat a
great deal), and fuzzy comparison is *blocked*: a candidate is compared only with gazetteer names
that begin with the same character (a heuristic: misspellings rarely touch the first letter, Pollock
and Zamora 1984, CACM 27:358-368; a first-letter error is therefore missed) and are within
:data:`MAX_LENGTH_DIFFERENCE` characters of its length (lossless, see :func:`fuzzy_score`). Within
a block, candidates of one length are screened together by a vectorised upper bound on the
Jaro-Winkler score (lossless: the matching characters can be no more than the characters the two
strings share as multisets), so the comparator itself runs on a handful of names. 20,000 texts
against a 26,000-name gazetteer take about 3 seconds on one core.

Limitations. Junctions ("corner of X and Y") give both streets as candidates but not their
intersection; a house number, postcode or town after a comma is ignored rather than used; no
postcode lookup or address base is used, only names the partnership has already located.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import jellyfish
import numpy as np
import pandas as pd

MIN_SCORE = 0.9
#: Winkler's prefix scale and the longest prefix it rewards (jellyfish uses the same).
PREFIX_SCALE = 0.1
PREFIX_MAX = 4
#: Fuzzy matches must differ in length by no more than this and score at least this word by word
#: (see :func:`fuzzy_score`).
MAX_LENGTH_DIFFERENCE = 2
MIN_WORD_SCORE = 0.8
#: Candidates shorter than this are looked up exactly but never compared fuzzily.
MIN_FUZZY_LENGTH = 4

#: Abbreviations expanded in every position of a name ("Church St" -> "church street", "Mt
#: Pleasant" -> "mount pleasant"), except that a leading "st" before another word is "saint" ("St
#: Mary's Road" -> "saint marys road"). Both spellings normalise to the long form.
ABBREVIATIONS: dict[str, str] = {
    "st": "street", "str": "street",
    "rd": "road",
    "ave": "avenue", "av": "avenue", "avn": "avenue",
    "ln": "lane",
    "dr": "drive", "drv": "drive",
    "cres": "crescent", "cresc": "crescent", "cr": "crescent",
    "cl": "close",
    "ct": "court", "crt": "court",
    "gdns": "gardens", "gdn": "garden", "gds": "gardens",
    "gr": "grove", "gro": "grove",
    "pl": "place",
    "sq": "square",
    "ter": "terrace", "terr": "terrace", "tce": "terrace",
    "pde": "parade",
    "hts": "heights",
    "mt": "mount",
    "pk": "park",
    "wy": "way",
    "wk": "walk",
    "app": "approach", "appr": "approach",
    "bldgs": "buildings",
    "ctr": "centre", "cntr": "centre", "center": "centre",
    "est": "estate",
    "yd": "yard",
    "hl": "hill",
    "grn": "green",
}
#: Street-type words: a candidate ending in one of these is taken as the street (tried first).
STREET_TYPES = frozenset({
    "street", "road", "avenue", "lane", "drive", "crescent", "close", "court", "gardens", "garden", "grove",
    "place", "square", "terrace", "parade", "heights", "mount", "way", "walk", "approach", "row", "hill", "green",
    "garth", "fold", "croft", "rise", "view", "vale", "gate", "bank", "side", "yard", "mews", "grange", "wynd",
    "chase", "park", "mead", "dene", "nook", "lea", "end", "brow", "top", "bottom", "fields", "field", "oval",
    "estate", "circus", "boulevard", "broadway", "crest", "cross", "dale", "glen", "lawn", "lawns", "link", "links",
    "meadow", "meadows", "orchard", "paddock", "pastures", "path", "quay", "ridge", "spur", "steps", "villas",
    "wharf", "wood", "woods", "buildings", "cottages", "circle", "common", "corner", "embankment", "esplanade",
    "parkway", "promenade", "ring", "bridge", "ginnel", "holme", "ings", "leys", "royd", "shaw", "carr", "moor",
    "precinct", "arcade", "centre", "market", "hall", "house", "ridings", "vue",
})
#: Descriptions (after normalisation and dropping leading "in", "at", "the", ...) that name no place:
#: left unmatched as "vague: no place name". The data.police.uk anonymisation categories ("On or
#: near Supermarket", "Parking Area", "Petrol Station", ...) are here too, so they never enter a
#: gazetteer: they are kinds of place, not places.
VAGUE: frozenset[str] = frozenset({
    # no place / not recorded
    "", "not known", "unknown", "nk", "n k", "unk", "not stated", "not given", "not recorded", "refused",
    "declined", "none", "na", "n a", "other", "various", "unsure", "dont know", "cannot remember",
    "no fixed abode", "nfa",
    # home and other dwellings
    "home", "at home", "own home", "home address", "address", "house", "a house", "houses", "flat", "a flat",
    "flats", "partners house", "partners home", "partners flat", "partners address", "friends house",
    "a friends house", "friends flat", "friends home", "his house", "her house", "their house", "my house",
    "parents house", "family home", "relatives house", "ex partners house", "neighbours house", "residence",
    "private address", "private house", "hostel", "bedsit", "garden", "back garden", "front garden",
    # areas, directions and kinds of place
    "north", "south", "east", "west", "upper", "lower", "top", "bottom", "back", "front", "rear", "side",
    "park", "the park", "a park", "town", "in town", "town centre", "city centre", "centre", "city", "street",
    "the street", "road", "the road", "in the street", "on the street", "pavement", "alley", "alleyway",
    "shop", "shops", "a shop", "the shops", "local shop", "corner shop", "takeaway", "a takeaway", "pub", "a pub",
    "bar", "a bar", "club", "nightclub", "a nightclub", "night club", "bus", "bus stop", "bus station",
    "taxi", "taxi rank", "taxi queue", "train", "train station", "railway station", "station", "school",
    "college", "university", "work", "at work", "workplace", "prison", "police station", "police custody",
    "custody", "hospital", "car park", "a car park", "field", "fields", "woods", "canal", "canal towpath",
    "estate", "the estate", "party", "a party", "festival", "football", "football ground", "gym", "outside",
    "inside", "nearby", "locally", "local", "the area", "area", "car", "in a car", "vehicle", "park bench",
    "playground", "play area", "underpass", "subway", "bridge", "cemetery", "church", "market", "supermarket",
    # data.police.uk anonymisation categories (normalised)
    "parking area", "petrol station", "shopping area", "sports recreation area", "park open space",
    "pedestrian subway", "further higher educational building", "bus coach station", "conference exhibition centre",
    "theatre concert hall", "airport airfield",
})
#: Words that split a description into segments ("in X on Y", "outside X", "taxi queue near X").
_SPLIT = re.compile(r"\b(?:on or near|on|near|nr|outside of|outside|inside|in|at|off|opposite|opp|by|behind|"
                    r"along|top of|end of|bottom of|junction of|corner of|junction with|jct)\b", re.IGNORECASE)
#: Separators between parts ("The Globe, Second Avenue"; "Call Lane (outside Wetherspoons)").
_PARTS = re.compile(r"\s*(?:[,;()\[\]]|\s-\s)\s*")
_AND = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:a|an|his|her|my|their|our|own|of|outside|inside|near|nr|in|at|on|by|"
                      r"flat|house|number)\s+|\d+[a-z]?\s+)+", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^(?:\d+[a-z]?\s+)+", re.IGNORECASE)
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE)
_ON_OR_NEAR = re.compile(r"^\s*on or near\s+", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "
_CHAR_INDEX = {c: i for i, c in enumerate(_ALPHABET)}

NAME_COLUMNS = ["name", "display", "lsoa_code", "count", "share", "n_lsoas"]
RESULT_COLUMNS = ["text", "candidate", "matched_name", "display", "lsoa_code", "lsoa_share", "n_lsoas", "score",
                  "method", "reason"]
EMPTY = "empty"
VAGUE_REASON = "vague: no place name"
NO_MATCH = "no match in gazetteer"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalise_name(text: object) -> str:
    """A place name reduced to its matching key.

    Lower case; accents folded; apostrophes dropped ("St George'S" -> "st georges"); "&" read as
    "and"; any other punctuation a space; a leading data.police.uk "On or near" and a leading "the"
    removed ("The New Inn" -> "new inn"); abbreviations expanded per :data:`ABBREVIATIONS` ("rd" ->
    "road", "ave" -> "avenue", "ln" -> "lane", "dr" -> "drive", "st" -> "street", but "saint" when
    it begins a longer name). Missing values give "".
    """
    return _normalise(text) if isinstance(text, str) else ""


@lru_cache(maxsize=200_000)
def _normalise(text: str) -> str:
    s = _ascii(text).lower().replace("'", "").replace("\u2019", "").replace("&", " and ")
    s = _NON_ALNUM.sub(" ", s).strip()
    if s.startswith("on or near "):
        s = s[len("on or near "):]
    words = s.split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    out = []
    for i, w in enumerate(words):
        if w == "st" and i == 0 and len(words) > 1:
            out.append("saint")
        else:
            out.append(ABBREVIATIONS.get(w, w))
    return " ".join(out)


def is_vague(name: str) -> bool:
    """Whether a normalised candidate names no place (see :data:`VAGUE`)."""
    if name in VAGUE or len(name) < 2:
        return True
    words = [w for w in name.split() if not any(ch.isdigit() for ch in w)]
    return not words or " ".join(words) in VAGUE


@dataclass(frozen=True)
class Candidate:
    """A place name pulled out of a description: normalised ``name``, ``display`` as typed,
    ``street`` when it ends in a street-type word, ``composite`` when it is a whole part that also
    splits into segments ("in The Globe on Evens Terrace"): looked up exactly, never fuzzily."""

    name: str
    display: str
    street: bool
    composite: bool


def _strip_leading(segment: str) -> str:
    previous = None
    s = segment.strip()
    while previous != s:
        previous = s
        s = _LEADING.sub("", s).strip()
    return s


def candidate_names(text: object) -> list[Candidate]:
    """The place names a free-text location may contain, best first.

    The text is cut into parts at commas, semicolons, brackets and " - ", and each part into
    segments at "on", "near", "outside", "in", "at", "off", "opposite", "by", "behind" ... ("in The
    New Inn on Gilbert Mount" gives "Gilbert Mount" and "The New Inn"). Leading articles, house
    numbers and words such as "flat" are dropped from a segment; UK postcodes are removed. Every
    part is also kept whole (so a street called "Near Bank" still matches exactly). Vague segments
    ("the shops", "a house", "town centre", "flat 3") are dropped. Candidates marked ``composite``
    (a part that was trimmed or split, "in The Globe on Evens Terrace", "Call Lane and Kirkgate")
    are only looked up exactly. Order: names ending in a street-type word
    (:data:`STREET_TYPES`) before others; within each, whole parts before segments and later text
    before earlier (the street usually follows the premises).
    """
    if not isinstance(text, str) or not text.strip():
        return []
    raw = _POSTCODE.sub(" ", _ascii(text))
    raw = _ON_OR_NEAR.sub("", raw)
    found: list[tuple[int, Candidate]] = []
    seen: set[str] = set()
    order = 0

    def add(display: str, composite: bool) -> None:
        nonlocal order
        display = display.strip(" .,:;'\"-")
        name = normalise_name(display)
        if name in seen or is_vague(name):
            return
        seen.add(name)
        words = name.split()
        found.append((order, Candidate(name, display, len(words) > 1 and words[-1] in STREET_TYPES, composite)))
        order += 1

    parts = [p for p in _PARTS.split(raw) if p and p.strip()]
    for part in reversed(parts):
        part = _HOUSE_NUMBER.sub("", part.strip())
        segments = [s for s in (_strip_leading(x) for x in _SPLIT.split(part)) if s]
        # "corner of Call Lane and Kirkgate" splits in two (not "The Fox and Hounds")
        sides = [[_strip_leading(x) for x in _AND.split(seg)] for seg in segments]
        split = [len(x) > 1 and any(normalise_name(y).split()[-1:] in ([t] for t in STREET_TYPES) for y in x)
                 for x in sides]
        add(part, len(segments) > 1 or any(split)
            or (len(segments) == 1 and normalise_name(segments[0]) != normalise_name(part)))
        for seg, seg_sides, seg_split in zip(reversed(segments), reversed(sides), reversed(split), strict=True):
            add(seg, seg_split)
            if seg_split:
                for side in reversed(seg_sides):
                    add(side, False)
    if all(c.composite for _, c in found):  # "in the park": every segment vague
        return []
    found.sort(key=lambda oc: (not oc[1].street, oc[0]))
    return [c for _, c in found]


def _gazetteer_names(text: object) -> list[tuple[str, str]]:
    """(name, display) pairs a located record contributes to a gazetteer."""
    if not isinstance(text, str):
        return []
    if _ON_OR_NEAR.match(text):  # data.police.uk: the rest is one name (it may itself begin "Near")
        display = _ON_OR_NEAR.sub("", text).strip()
        name = normalise_name(display)
        return [] if is_vague(name) else [(name, display)]
    cands = [c for c in candidate_names(text) if not c.composite]
    return [(c.name, c.display) for c in cands]


@dataclass
class Gazetteer:
    """Place names with the LSOAs they were found in.

    ``names``: one row per normalised ``name`` with ``display`` (the commonest spelling as
    recorded), ``lsoa_code`` (the commonest LSOA; ties to the lower code), ``count`` (records naming
    it), ``share`` (the commonest LSOA's share of them) and ``n_lsoas``. ``distribution``: ``name``,
    ``lsoa_code``, ``count`` for every LSOA a name was found in.
    """

    names: pd.DataFrame
    distribution: pd.DataFrame
    _position: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.names = self.names.reset_index(drop=True)
        self._position = {n: i for i, n in enumerate(self.names["name"])}

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._position

    def lsoas(self, name: str) -> pd.DataFrame:
        """The LSOAs a normalised name was found in, commonest first."""
        d = self.distribution[self.distribution["name"] == name]
        return d.sort_values(["count", "lsoa_code"], ascending=[False, True]).reset_index(drop=True)

    @cached_property
    def _counts_by_name(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for n, code, c in self.distribution[["name", "lsoa_code", "count"]].itertuples(index=False):
            out.setdefault(n, {})[code] = int(c)
        return out

    @cached_property
    def _blocks(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per first character: gazetteer rows sorted by length, their lengths, character-count
        matrix (over :data:`_ALPHABET`) and first :data:`PREFIX_MAX` characters as codes."""
        names = self.names["name"].tolist()
        blocks: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        first = pd.Series([n[0] for n in names])
        for ch, rows in first.groupby(first).groups.items():
            rows = np.asarray(rows)
            lengths = np.array([len(names[r]) for r in rows])
            order = np.argsort(lengths, kind="stable")
            rows, lengths = rows[order], lengths[order]
            blocks[ch] = (rows, lengths, _char_counts([names[r] for r in rows]),
                          _prefix_codes([names[r] for r in rows]))
        return blocks

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.names["name"].to_numpy(dtype=object), self.names["count"].to_numpy()

    def best_fuzzy(self, name: str, min_score: float = MIN_SCORE) -> tuple[int, float]:
        """The gazetteer row most like ``name`` (:func:`fuzzy_score`) and its score, or (-1, 0.0)
        when none reaches ``min_score``; see :meth:`best_fuzzy_many`."""
        return self.best_fuzzy_many([name], min_score)[name]

    def best_fuzzy_many(self, queries: list[str], min_score: float = MIN_SCORE) -> dict[str, tuple[int, float]]:
        """For each normalised query, the gazetteer row most like it by :func:`fuzzy_score` and the
        score; (-1, 0.0) when none reaches ``min_score``. Ties go to the name found in more records,
        then the alphabetically first.

        Blocking: a query is compared only with names beginning with the same character (the one
        heuristic restriction) and no more than :data:`MAX_LENGTH_DIFFERENCE` characters longer or
        shorter (lossless: :func:`fuzzy_score` is 0 beyond it). Within a block, queries of one
        length are screened together by an upper bound on the Jaro-Winkler score (lossless): with
        ``m`` no larger than the characters the two share as multisets, Jaro is at most
        ``(m/|a| + m/|b| + 1) / 3`` and Winkler's bonus at most ``l * 0.1 * (1 - Jaro)`` for the
        common prefix ``l`` (up to 4). Only names passing the bound are scored.
        """
        out: dict[str, tuple[int, float]] = {}
        todo = sorted({q for q in queries if q})
        for q in queries:
            out[q] = (-1, 0.0)
        if not todo or not len(self):
            return out
        names, freq = self._arrays
        groups: dict[tuple[str, int], list[str]] = {}
        for q in todo:
            groups.setdefault((q[0], len(q)), []).append(q)
        for (ch, lq), qs in groups.items():
            block = self._blocks.get(ch)
            if block is None:
                continue
            rows, lengths, counts, prefixes = block
            lo = np.searchsorted(lengths, lq - MAX_LENGTH_DIFFERENCE, side="left")
            hi = np.searchsorted(lengths, lq + MAX_LENGTH_DIFFERENCE, side="right")
            if hi <= lo:
                continue
            rows, lengths, counts, prefixes = rows[lo:hi], lengths[lo:hi], counts[lo:hi], prefixes[lo:hi]
            qc, qp = _char_counts(qs), _prefix_codes(qs)
            step = max(1, 2_000_000 // max(1, len(rows) * counts.shape[1]))
            for a in range(0, len(qs), step):
                m = np.minimum(qc[a:a + step, None, :], counts[None, :, :]).sum(axis=2)
                jaro_up = np.where(m > 0, (m / lq + m / lengths[None, :] + 1) / 3, 0.0)
                pref = np.cumprod(qp[a:a + step, None, :] == prefixes[None, :, :], axis=2).sum(axis=2)
                bound = jaro_up + pref * PREFIX_SCALE * (1 - jaro_up)
                qi, ni = np.nonzero(bound >= min_score - 1e-12)
                best: dict[int, tuple[float, int]] = {}
                for i, j in zip(qi.tolist(), ni.tolist(), strict=True):
                    r = int(rows[j])
                    score = fuzzy_score(qs[a + i], names[r])
                    if score < min_score - 1e-12:
                        continue
                    old = best.get(i)
                    if old is None or score > old[0] + 1e-12 or (abs(score - old[0]) <= 1e-12 and (
                            freq[r] > freq[old[1]] or (freq[r] == freq[old[1]] and names[r] < names[old[1]]))):
                        best[i] = (score, r)
                for i, (score, r) in best.items():
                    out[qs[a + i]] = (r, score)
        return out


def _split_type(name: str) -> tuple[str, str]:
    words = name.split()
    if len(words) > 1 and words[-1] in STREET_TYPES:
        return " ".join(words[:-1]), words[-1]
    return name, ""


def fuzzy_score(a: str, b: str) -> float:
    """Jaro-Winkler similarity of two normalised names, compared part by part as addresses are.

    Address matching compares the parsed parts of an address rather than the whole string (as in
    Winkler's own census work), because a long shared part carries unrelated names over any
    threshold. So, returning 0 (no match) when:

    - both end in street-type words (:data:`STREET_TYPES`) and these differ: Lingwell Green and
      Lingwell Grove are two streets;
    - they have different numbers of words, unless they differ only in spaces (Hill Top Close and
      Hilltop Close are compared): The Commercial is not Commercial Road, nor The White Swan
      Whiteways;
    - the compared strings differ in length by more than :data:`MAX_LENGTH_DIFFERENCE` characters
      (a misspelling adds or drops a letter or two; Fern and Fernbank, Nether and Netherfield,
      Park and Parkside are different names, though Winkler's prefix bonus scores them above 0.9);
    - any pair of corresponding words scores below :data:`MIN_WORD_SCORE` (Queens Arms is not
      Queens Square).

    Names with the same street type are scored on the rest (Ingleton Drive against Ingleby Drive
    as Ingleton against Ingleby, 0.88 rather than 0.93); otherwise the whole names, so a misspelt
    type still matches (Levens Garh, levens garth: 0.98).
    """
    if a == b:
        return 1.0
    (stem_a, type_a), (stem_b, type_b) = _split_type(a), _split_type(b)
    if type_a and type_b and type_a != type_b:
        return 0.0
    if type_a and type_a == type_b:
        a, b = stem_a, stem_b
    if abs(len(a) - len(b)) > MAX_LENGTH_DIFFERENCE:
        return 0.0
    words_a, words_b = a.split(), b.split()
    if len(words_a) != len(words_b):
        if a.replace(" ", "") != b.replace(" ", ""):
            return 0.0
    elif len(words_a) > 1 and any(jellyfish.jaro_winkler_similarity(x, y) < MIN_WORD_SCORE
                                  for x, y in zip(words_a, words_b, strict=True)):
        return 0.0
    return jellyfish.jaro_winkler_similarity(a, b)


_LUT = np.full(256, len(_ALPHABET), dtype=np.int64)
_LUT[[ord(c) for c in _ALPHABET]] = np.arange(len(_ALPHABET))


def _char_codes(names: list[str], width: int | None = None) -> np.ndarray:
    """Names as a matrix of alphabet indices, padded with ``len(_ALPHABET)``."""
    width = max((len(n) for n in names), default=0) if width is None else width
    raw = np.array([n.encode("ascii", "replace")[:width] for n in names], dtype=f"S{max(width, 1)}")
    codes = raw.view(np.uint8).reshape(len(names), max(width, 1))
    return _LUT[codes]


def _char_counts(names: list[str]) -> np.ndarray:
    """How often each character of :data:`_ALPHABET` occurs in each name (one row a name)."""
    k = len(_ALPHABET) + 1
    codes = _char_codes(names)
    flat = (np.arange(len(names))[:, None] * k + codes).ravel()
    return np.bincount(flat, minlength=len(names) * k).reshape(len(names), k)[:, :-1].astype(np.int16)


def _prefix_codes(names: list[str]) -> np.ndarray:
    out = np.full((len(names), PREFIX_MAX), -1, dtype=np.int16)
    for i, n in enumerate(names):
        for j, ch in enumerate(n[:PREFIX_MAX]):
            out[i, j] = ord(ch)
    return out


def build_gazetteer(records: pd.DataFrame, text_column: str = "location_text",
                    lsoa_column: str = "lsoa_code") -> Gazetteer:
    """A gazetteer of the place names in located records.

    ``records``: any rows with a location text and an LSOA, e.g. police incidents (data.police.uk
    style "On or near Coldcotes Drive": the rest of the text is one name) concatenated with partner
    records that are already located (free text such as "in The Globe on Evens Terrace": the street
    and the premises each become a name, per :func:`candidate_names`). Rows lacking either are
    ignored. Vague descriptions and the data.police.uk anonymisation categories (:data:`VAGUE`)
    are not names.
    """
    missing = {text_column, lsoa_column} - set(records.columns)
    if missing:
        raise ValueError(f"records lack column(s) {sorted(missing)}")
    r = records[[text_column, lsoa_column]].rename(columns={text_column: "text", lsoa_column: "lsoa_code"})
    r = r[r["text"].notna() & r["lsoa_code"].notna()]
    r = r[(r["text"].astype(str).str.strip() != "") & (r["lsoa_code"].astype(str).str.strip() != "")]
    pairs = r.groupby(["text", "lsoa_code"], sort=False).size().rename("count").reset_index()
    names = {t: _gazetteer_names(t) for t in pairs["text"].unique()}
    rows = [(n, d, code, c) for t, code, c in pairs.itertuples(index=False) for n, d in names[t]]
    found = pd.DataFrame(rows, columns=["name", "display", "lsoa_code", "count"])
    if found.empty:
        return Gazetteer(pd.DataFrame(columns=NAME_COLUMNS), pd.DataFrame(columns=["name", "lsoa_code", "count"]))
    dist = found.groupby(["name", "lsoa_code"], as_index=False)["count"].sum()
    display = (found.groupby(["name", "display"], as_index=False)["count"].sum()
               .sort_values(["name", "count", "display"], ascending=[True, False, True])
               .drop_duplicates("name").set_index("name")["display"])
    top = dist.sort_values(["name", "count", "lsoa_code"], ascending=[True, False, True]).drop_duplicates("name")
    totals = dist.groupby("name")["count"].agg(["sum", "size"])
    table = top.set_index("name").join(totals).join(display)
    table = pd.DataFrame({
        "name": table.index,
        "display": table["display"].to_numpy(),
        "lsoa_code": table["lsoa_code"].to_numpy(),
        "count": table["sum"].to_numpy(dtype=int),
        "share": table["count"].to_numpy() / table["sum"].to_numpy(),
        "n_lsoas": table["size"].to_numpy(dtype=int),
    }).sort_values("name").reset_index(drop=True)
    return Gazetteer(table, dist.sort_values(["name", "count"], ascending=[True, False]).reset_index(drop=True))


def _exact(cands: list[Candidate], gaz: Gazetteer) -> dict | None:
    hits = [c for c in cands if c.name in gaz]
    if not hits:
        return None
    primary = hits[0]
    dist = gaz._counts_by_name
    own = dist[primary.name]
    # Other names in the text ("The Globe" beside "Larkhill Way") vote for the LSOAs they share.
    votes = {code: sum(code in dist[h.name] for h in hits) for code in own}
    code = min(own, key=lambda k: (-votes[k], -own[k], k))
    total = sum(own.values())
    return {"candidate": primary.display, "row": gaz._position[primary.name], "lsoa_code": code,
            "lsoa_share": own[code] / total, "score": 1.0, "method": "exact"}


def match_places(texts: pd.Series, gazetteer: Gazetteer, min_score: float = MIN_SCORE) -> pd.DataFrame:
    """Match free-text assault locations (ISTV, ISB 1594) to gazetteer places and so to LSOAs.

    One row per input, index kept: ``text``; ``candidate`` (the part of the text that matched);
    ``matched_name`` (normalised gazetteer name) and its ``display`` spelling; ``lsoa_code`` (the
    name's commonest LSOA, unless another name in the same text picks out one of its other LSOAs);
    ``lsoa_share`` (that LSOA's share of the name's records: below 1 the street name is found in
    more than one LSOA); ``n_lsoas``; ``score`` (1 exact, the Jaro-Winkler similarity when fuzzy);
    ``method`` ("exact", "fuzzy" or "none"); ``reason`` when none ("empty", "vague: no place name",
    "no match in gazetteer").

    Every candidate (:func:`candidate_names`) is first looked up exactly; only if none is found is
    each compared fuzzily (Jaro 1989; Winkler 1990), and the best score at or above ``min_score``
    wins, ties going to the name found in more records.
    """
    texts = pd.Series(texts)
    uniq = pd.unique(texts.dropna().astype(str))
    has_gaz = len(gazetteer) > 0
    by_text: dict[str, dict] = {}
    pending: dict[str, list[Candidate]] = {}
    for t in uniq:
        if not t.strip():
            by_text[t] = {"reason": EMPTY}
            continue
        cands = candidate_names(t)
        if not cands:
            by_text[t] = {"reason": VAGUE_REASON}
            continue
        hit = _exact(cands, gazetteer) if has_gaz else None
        if hit is None:
            pending[t] = [c for c in cands if len(c.name) >= MIN_FUZZY_LENGTH and not c.composite]
            by_text[t] = {"reason": NO_MATCH}
        else:
            by_text[t] = hit
    if pending and has_gaz:
        queries = sorted({c.name for cs in pending.values() for c in cs})
        fuzzy = gazetteer.best_fuzzy_many(queries, min_score)
        _, freq = gazetteer._arrays
        share = gazetteer.names["share"].to_numpy()
        codes = gazetteer.names["lsoa_code"].to_numpy(dtype=object)
        for t, cands in pending.items():
            best = None
            for rank, c in enumerate(cands):
                row, score = fuzzy[c.name]
                if row < 0:
                    continue
                key = (-score, -freq[row], rank)
                if best is None or key < best[0]:
                    best = (key, c, row, score)
            if best is not None:
                _, c, row, score = best
                by_text[t] = {"candidate": c.display, "row": row, "lsoa_code": codes[row], "lsoa_share": share[row],
                              "score": score, "method": "fuzzy"}
    g_name = gazetteer.names["name"].to_numpy(dtype=object)
    g_display = gazetteer.names["display"].to_numpy(dtype=object)
    g_n = gazetteer.names["n_lsoas"].to_numpy()
    records = []
    for t in texts:
        info = by_text.get(str(t)) if isinstance(t, str) or not pd.isna(t) else None
        if info is None:
            info = {"reason": EMPTY}
        if "row" in info:
            r = info["row"]
            records.append((t, info["candidate"], g_name[r], g_display[r], info["lsoa_code"], info["lsoa_share"],
                            int(g_n[r]), info["score"], info["method"], None))
        else:
            records.append((t, None, None, None, None, np.nan, 0, np.nan, "none", info["reason"]))
    out = pd.DataFrame(records if records else None, columns=RESULT_COLUMNS)
    out.index = texts.index
    out["n_lsoas"] = out["n_lsoas"].astype(int)
    return out


def match_rate_summary(result: pd.DataFrame) -> dict:
    """Counts of a :func:`match_places` result: ``n``, ``exact``, ``fuzzy``, ``none``, the shares
    ``matched_share``, ``exact_share``, ``fuzzy_share``, ``ambiguous`` (matched to a name found in
    more than one LSOA) and ``reasons`` (unmatched rows by reason, commonest first)."""
    n = len(result)
    method = result["method"]
    exact, fuzzy = int((method == "exact").sum()), int((method == "fuzzy").sum())
    none = int((method == "none").sum())
    reasons = result.loc[method == "none", "reason"].value_counts()
    return {
        "n": n,
        "exact": exact,
        "fuzzy": fuzzy,
        "none": none,
        "matched_share": (exact + fuzzy) / n if n else float("nan"),
        "exact_share": exact / n if n else float("nan"),
        "fuzzy_share": fuzzy / n if n else float("nan"),
        "ambiguous": int(((method != "none") & (result["n_lsoas"] > 1)).sum()),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
    }
