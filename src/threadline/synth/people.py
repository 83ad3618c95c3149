"""The register of synthetic people: one row per person, created in vectorised batches.

Each person has a sex, a date of birth consistent with the age they had when first recorded, an
ethnic group (drawn from their home local authority's 2011 Census mix unless given), a name drawn
for that group, sex and birth cohort, a home LSOA and a postcode in it. People are numbered
internally in creation order; the public ``person_id`` is assigned at the end from a random
permutation, so an id says nothing about why the person exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline import vocab
from threadline.synth.geography import Geography
from threadline.synth.names import NameBank

ETHNICITIES = np.array(vocab.ETHNICITIES, dtype=object)


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype="datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(int) + 1970
    month = months.astype(int) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(int) + 1
    return year, month, day


def make_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    months = ((np.asarray(year) - 1970) * 12 + np.asarray(month) - 1).astype("datetime64[M]")
    return months.astype("datetime64[D]") + (np.asarray(day) - 1).astype("timedelta64[D]")


def birth_dates(rng: np.random.Generator, age: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Dates of birth such that each person is exactly ``age`` on the day ``at``."""
    y, m, d = date_parts(at)
    d = np.where((m == 2) & (d == 29), 28, d)
    anchor = make_dates(y - np.asarray(age, dtype=int), m, d)
    return anchor - rng.integers(0, 365, size=len(anchor)).astype("timedelta64[D]")


def age_on(dob: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whole years between ``dob`` and ``at``."""
    y1, m1, d1 = date_parts(dob)
    y2, m2, d2 = date_parts(at)
    return y2 - y1 - ((m2 < m1) | ((m2 == m1) & (d2 < d1))).astype(int)


class People:
    """Collects persons in batches; :meth:`frame` gives the table."""

    COLUMNS = ("sex", "dob", "ethnicity", "home", "given", "family", "group", "postcode", "source")

    def __init__(self, geo: Geography, names: NameBank, rng: np.random.Generator):
        self.geo = geo
        self.names = names
        self.rng = rng
        self._chunks: list[dict[str, np.ndarray]] = []
        self._aliases: dict[int, str] = {}
        self._overrides: dict[tuple[int, str], object] = {}
        self._frame: pd.DataFrame | None = None
        self._arrays: dict[str, tuple] = {}
        self.n = 0

    def add(self, *, sex, age, at, home, source: str, ethnicity=None) -> np.ndarray:
        """Create ``len(sex)`` people; return their internal indices.

        ``ethnicity`` may be omitted or hold ``""`` for people whose group is drawn from their
        home local authority's 2011 Census mix.
        """
        sex = np.asarray(sex, dtype=object)
        n = len(sex)
        if n == 0:
            return np.array([], dtype=int)
        age = np.clip(np.asarray(age, dtype=int), 0, 105)
        at = np.broadcast_to(np.asarray(at, dtype="datetime64[D]"), (n,))
        home = np.broadcast_to(np.asarray(home, dtype=int), (n,)).copy()
        if ethnicity is None:
            ethnicity = np.full(n, "", dtype=object)
        ethnicity = np.broadcast_to(np.asarray(ethnicity, dtype=object), (n,)).copy()
        todo = (ethnicity == "") | pd.isna(ethnicity)
        if todo.any():
            mix = self.geo.ethnic_mix[self.geo.la[home[todo]]]
            cum = np.cumsum(mix, axis=1)
            u = self.rng.random(int(todo.sum()))[:, None]
            ethnicity[todo] = ETHNICITIES[np.minimum((u > cum).sum(axis=1), len(ETHNICITIES) - 1)]
        dob = birth_dates(self.rng, age, at)
        given, family, group = self.names.draw(self.rng, sex, ethnicity, date_parts(dob)[0])
        chunk = {
            "sex": sex,
            "dob": dob,
            "ethnicity": np.asarray(ethnicity, dtype=object),
            "home": home,
            "given": given,
            "family": family,
            "group": group,
            "postcode": self.geo.postcodes(self.rng, home),
            "source": np.full(n, source, dtype=object),
        }
        self._chunks.append(chunk)
        idx = np.arange(self.n, self.n + n)
        self.n += n
        self._frame = None
        return idx

    def set_aliases(self, idx: np.ndarray, aliases: np.ndarray) -> None:
        for i, a in zip(np.asarray(idx, dtype=int), aliases, strict=True):
            self._aliases[int(i)] = str(a)
        self._frame = None
        self._arrays.pop("aliases", None)

    def override(self, idx: int, column: str, value) -> None:
        """Fix one attribute of one person (planted people)."""
        self._overrides[(int(idx), column)] = value
        self._frame = None

    def assign(self, idx: np.ndarray, column: str, values) -> None:
        """Replace one attribute of many people at once (planted reassignments, vectorised)."""
        idx = np.asarray(idx, dtype=int)
        if not len(idx):
            return
        values = np.broadcast_to(np.asarray(values, dtype=object), idx.shape)
        start = 0
        for ch in self._chunks:
            stop = start + len(ch[column])
            m = (idx >= start) & (idx < stop)
            if m.any():
                arr = ch[column].copy()
                arr[idx[m] - start] = values[m]
                ch[column] = arr
            start = stop
        self._frame = None
        self._arrays.pop(column, None)

    def alias(self, idx: int) -> str:
        return self._aliases.get(int(idx), "")

    def frame(self) -> pd.DataFrame:
        """All people so far: index = internal person index."""
        if self._frame is None:
            cols = {
                c: np.concatenate([ch[c] for ch in self._chunks]) if self._chunks else np.array([])
                for c in self.COLUMNS
            }
            f = pd.DataFrame(
                {
                    c: pd.array(v.astype(object), dtype=object) if v.dtype.kind in "OU" else v
                    for c, v in cols.items()
                }
            )
            f["aliases"] = pd.array(np.full(len(f), "", dtype=object), dtype=object)
            if self._aliases:
                keys = np.array(sorted(self._aliases))
                f.loc[keys, "aliases"] = [self._aliases[int(k)] for k in keys]
            for (i, col), value in sorted(self._overrides.items(), key=lambda kv: kv[0]):
                f.at[i, col] = value
            self._frame = f
        return self._frame

    def array(self, name: str) -> np.ndarray:
        """One column for all people so far, as a numpy array (cached until the next change)."""
        key = (name, self.n, len(self._aliases), len(self._overrides))
        if self._arrays.get(name, (None,))[0] != key:
            if name in self.COLUMNS and not any(c == name for _, c in self._overrides):
                arr = np.concatenate([ch[name] for ch in self._chunks])
            else:
                arr = self.frame()[name].to_numpy(dtype=object if name != "dob" else None)
            self._arrays[name] = (key, arr)
        return self._arrays[name][1]

    def column(self, name: str, idx: np.ndarray) -> np.ndarray:
        return self.array(name)[np.asarray(idx, dtype=int)]
