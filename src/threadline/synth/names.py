"""Names for synthetic people, and the nickname and spelling-variant tables used to spoil them.

``data/names.csv`` holds about 190 given names for each sex and 170 family names, written for
this project (no source data), grouped by naming tradition: ``white_british`` (English, Scottish,
Irish and typical Yorkshire surnames), ``eastern_european`` (Polish, Romanian, Lithuanian; family
names in their masculine or feminine form), ``south_asian`` (Pakistani, Indian, Bangladeshi;
``Begum``, ``Bibi`` and ``Kaur`` for women, ``Singh`` for men), ``east_asian``, ``black`` (African
and Caribbean) and ``other`` (Arab, Kurdish, Iranian, Eritrean). Given names also carry a birth
cohort (``old`` born before 1955, ``mid`` 1955-1984, ``young`` 1985 on, or ``any``) so that an
85-year-old is more likely a Dorothy than a Chloe. Within a group, names are listed commonest
first and drawn with Zipf-like weights (rank ** -0.7 for given names within each cohort block,
rank ** -0.45 for family names), so common names collide as they do in real records.

A person's naming tradition follows their ethnic group (ONS five groups): white people are 93%
``white_british`` and 7% ``eastern_european`` (West Yorkshire had about 2% "Other White" in the
2011 Census, more since); mixed-ethnicity people draw given and family names independently.

The nickname table is the shipped ``reference/given-name-nicknames.csv`` (carltonnorthern/
nicknames, Apache-2.0; see ``reference/NICKNAMES-LICENCE.md``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

#: Naming-tradition mix by ethnic group (for given names; family names follow the given name's
#: group except for ``mixed``). ASSUMPTION, shaped after the 2011 Census detailed groups for
#: West Yorkshire (Asian: mostly Pakistani and Indian; Black: African and Caribbean).
GIVEN_GROUPS: dict[str, dict[str, float]] = {
    "white": {"white_british": 0.93, "eastern_european": 0.07},
    "asian": {"south_asian": 0.95, "east_asian": 0.05},
    "black": {"black": 1.0},
    "mixed": {"white_british": 0.6, "black": 0.3, "south_asian": 0.1},
    "other": {"other": 0.8, "south_asian": 0.1, "east_asian": 0.1},
    "not_stated": {"white_british": 0.75, "south_asian": 0.17, "black": 0.04, "eastern_european": 0.04},
}
MIXED_FAMILY: dict[str, float] = {"white_british": 0.6, "black": 0.25, "south_asian": 0.15}

#: Transliteration and spelling variants (a person recorded as Mohammed by one agency is often
#: Muhammad or Mohammad in another). Each set lists interchangeable spellings.
SPELLING_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohammad", "Mohamed"),
    ("Ahmed", "Ahmad"),
    ("Hussain", "Hussein", "Husain"),
    ("Yusuf", "Yousuf", "Yousef"),
    ("Mahmood", "Mahmud"),
    ("Rehman", "Rahman"),
    ("Iqbal", "Iqbaal"),
    ("Ayesha", "Aisha", "Aysha"),
    ("Fatima", "Fatimah"),
    ("Maryam", "Mariam"),
    ("Zainab", "Zaynab"),
    ("Khadija", "Khadijah"),
    ("Abdul", "Abdool"),
    ("Shahid", "Shahed"),
    ("Tariq", "Tarik"),
    ("Faisal", "Faysal"),
    ("Leila", "Layla", "Laila"),
    ("Amina", "Aminah"),
    ("Hamza", "Hamzah"),
    ("Omar", "Umar"),
    ("Mohamud", "Mohamoud"),
    ("Abdi", "Abdy"),
    ("Pawel", "Paweł"),
    ("Lukasz", "Łukasz"),
    ("Michal", "Michał"),
    ("Wojcik", "Wójcik"),
    ("Wisniewski", "Wiśniewski"),
    ("Wisniewska", "Wiśniewska"),
    ("Jon", "John"),
    ("Stephen", "Steven"),
    ("Philip", "Phillip"),
    ("Geoffrey", "Jeffrey"),
    ("Catherine", "Katherine", "Kathryn"),
    ("Claire", "Clare"),
    ("Rebecca", "Rebekah"),
    ("Sarah", "Sara"),
    ("Leanne", "Lianne"),
    ("Tracey", "Tracy"),
    ("Jacqueline", "Jaqueline"),
    ("Natalie", "Nathalie"),
    ("Clarke", "Clark"),
    ("Thompson", "Thomson"),
    ("Davies", "Davis"),
    ("Phillips", "Philips"),
    ("O'Brien", "OBrien", "O Brien"),
    ("Ackroyd", "Akroyd"),
    ("Sykes", "Sikes"),
)


def _data(name: str):
    return files("threadline.synth").joinpath("data", name)


@lru_cache(maxsize=1)
def _names_table() -> pd.DataFrame:
    with _data("names.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f, keep_default_na=False)


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Lower-case given name -> its nicknames, in the table's order."""
    path = files("threadline").joinpath("reference", "given-name-nicknames.csv")
    with path.open("r", encoding="utf-8") as f:
        t = pd.read_csv(f, keep_default_na=False)
    t = t[t["relationship"] == "has_nickname"]
    out: dict[str, list[str]] = {}
    for a, b in zip(t["name1"], t["name2"], strict=True):
        out.setdefault(str(a).lower(), []).append(str(b).lower())
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def spelling_variants() -> dict[str, tuple[str, ...]]:
    """Name -> other spellings of it."""
    out: dict[str, list[str]] = {}
    for group in SPELLING_VARIANTS:
        uniq = list(dict.fromkeys(group))
        for name in uniq:
            out.setdefault(name, []).extend(x for x in uniq if x != name)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def cohort_of(birth_year: np.ndarray) -> np.ndarray:
    y = np.asarray(birth_year)
    return np.where(y < 1955, "old", np.where(y < 1985, "mid", "young")).astype(object)


class NameBank:
    """Draws given and family names by sex, ethnic group and birth cohort."""

    COHORT_MISMATCH = 0.12
    #: Zipf exponents: flatter than real name frequencies, because a short list stands for all
    #: names (the commonest given name ends up near 4% of its sex and group, Smith near 5%).
    GIVEN_EXPONENT = 0.7
    FAMILY_EXPONENT = 0.45

    def __init__(self) -> None:
        t = _names_table()
        self._given: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._family: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for kind, sex in (("given_male", "male"), ("given_female", "female")):
            sub = t[t["kind"] == kind]
            for group in sorted(sub["group"].unique()):
                g = sub[sub["group"] == group].reset_index(drop=True)
                # Rank inside each cohort block (the "any" block and each cohort's block both
                # start at rank 1), so a cohort's own favourites are as common as the timeless ones.
                rank = g.groupby("cohort", sort=False).cumcount().to_numpy() + 1.0
                base = rank**-self.GIVEN_EXPONENT
                for cohort in ("old", "mid", "young"):
                    w = base * np.where(
                        (g["cohort"] == cohort) | (g["cohort"] == "any"), 1.0, self.COHORT_MISMATCH
                    )
                    self._given[(sex, group, cohort)] = (g["name"].to_numpy(dtype=object), w / w.sum())
        fam = t[t["kind"] == "family"]
        for group in sorted(fam["group"].unique()):
            g = fam[fam["group"] == group].reset_index(drop=True)
            base = (np.arange(len(g)) + 1.0) ** -self.FAMILY_EXPONENT
            for sex in ("male", "female"):
                w = base * ((g["sex"] == "") | (g["sex"] == sex)).to_numpy()
                self._family[(sex, group)] = (g["name"].to_numpy(dtype=object), w / w.sum())
        self.groups = tuple(sorted(t["group"].unique()))

    @staticmethod
    def _pick_groups(
        rng: np.random.Generator, keys: np.ndarray, table: dict[str, dict[str, float]]
    ) -> np.ndarray:
        out = np.empty(len(keys), dtype=object)
        u = rng.random(len(keys))
        for key in sorted(table):
            m = keys == key
            if not m.any():
                continue
            names = list(table[key])
            cum = np.cumsum([table[key][n] for n in names])
            cum = cum / cum[-1]
            out[m] = np.array(names, dtype=object)[
                np.minimum(np.searchsorted(cum, u[m], side="right"), len(names) - 1)
            ]
        return out

    def draw(
        self, rng: np.random.Generator, sex: np.ndarray, ethnicity: np.ndarray, birth_year: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Given names, family names and the naming group, one per person."""
        n = len(sex)
        sex = np.where(np.asarray(sex, dtype=object) == "female", "female", "male").astype(object)
        eth = np.asarray(ethnicity, dtype=object)
        eth = np.where(np.isin(eth, list(GIVEN_GROUPS)), eth, "not_stated").astype(object)
        g_group = self._pick_groups(rng, eth, GIVEN_GROUPS)
        f_group = g_group.copy()
        mixed = eth == "mixed"
        if mixed.any():
            f_group[mixed] = self._pick_groups(
                rng, np.full(int(mixed.sum()), "mixed", dtype=object), {"mixed": MIXED_FAMILY}
            )
        cohort = cohort_of(birth_year)
        given = np.empty(n, dtype=object)
        family = np.empty(n, dtype=object)
        for key in sorted(self._given):
            s, g, c = key
            m = (sex == s) & (g_group == g) & (cohort == c)
            k = int(m.sum())
            if k:
                names, p = self._given[key]
                given[m] = names[rng.choice(len(names), size=k, p=p)]
        for key in sorted(self._family):
            s, g = key
            m = (sex == s) & (f_group == g)
            k = int(m.sum())
            if k:
                names, p = self._family[key]
                family[m] = names[rng.choice(len(names), size=k, p=p)]
        return given, family, g_group

    def family_names(self, rng: np.random.Generator, sex: str, group: str, size: int) -> np.ndarray:
        names, p = self._family[(sex if sex in ("male", "female") else "male", group)]
        return names[rng.choice(len(names), size=size, p=p)]
