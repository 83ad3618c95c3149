"""West Yorkshire's real LSOAs, with approximate centroids, populations and crime weights.

The table ``data/west-yorkshire-lsoa.csv`` is built once by ``scripts/build_geography.py`` from
open data (Open Government Licence v3.0, see ``data/LICENCE.md``): the 1,388 2011 LSOAs of the
West Yorkshire police force area (ONS lookup), their 2011 Census usual residents, households and
hectares, an approximate centroid (the mean of the data.police.uk crime points recorded in the
LSOA in July 2016, 2017 and 2018), their commonest street names, and counts of those crimes.

Places are drawn by weights:

- ``population``: usual residents (sudden deaths, suicides, most incidents' people);
- ``residential``: residents times the square root of the LSOA's violence per resident relative
  to the median (a deprivation proxy: violence, drug deaths and domestic abuse concentrate in
  deprived neighbourhoods);
- ``violence``, ``asb``, ``drugs``, ``crime``: the LSOA's data.police.uk counts of violence
  (violence and sexual offences, robbery, weapons), anti-social behaviour, drug offences and all
  crime, each plus a small floor (street and night-time violence concentrates in the Leeds and
  Bradford centres, which these counts capture);
- ``roads``: the geometric mean of residents and area (road deaths are spread wider than people).

Postcodes are synthetic but well-formed: each LSOA gets a real West Yorkshire postcode district
(LS, BD, HX, HD, WF) by its distance from its district's centre, a sector digit, and persons get
random unit letters, so people in one LSOA share a postcode sector.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

LSOA_FILE = "west-yorkshire-lsoa.csv"
ETHNICITY_FILE = "west-yorkshire-la-ethnicity.csv"
SEVERITY_FILE = "incident-severity.csv"
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQ = 111.32

#: The force area's bounding box (WGS84), with a margin, for checks.
BOUNDS = {"lat_min": 53.50, "lat_max": 54.00, "lon_min": -2.20, "lon_max": -1.18}

#: Postcode districts by local authority, with the district centre towns. Kirklees' north
#: (Dewsbury, Batley) is in the WF post town; the rest of Kirklees is HD.
POSTCODE_AREAS: dict[str, list[tuple[str, range]]] = {
    "E08000035": [("LS", range(1, 30))],
    "E08000032": [("BD", range(1, 23))],
    "E08000033": [("HX", range(1, 8))],
    "E08000034": [("HD", range(1, 10)), ("WF", range(12, 18))],
    "E08000036": [("WF", range(1, 12))],
}
UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))

#: Real hospitals and prisons (approximate positions) where deaths in ``hospital`` and
#: ``custody_or_prison`` happen: (name, kind, latitude, longitude, relative size).
INSTITUTIONS: tuple[tuple[str, str, float, float, float], ...] = (
    ("Leeds General Infirmary", "hospital", 53.8017, -1.5521, 3.0),
    ("St James's University Hospital", "hospital", 53.8070, -1.5206, 3.0),
    ("Bradford Royal Infirmary", "hospital", 53.8056, -1.7960, 2.5),
    ("Airedale General Hospital", "hospital", 53.8976, -1.9620, 1.2),
    ("Calderdale Royal Hospital", "hospital", 53.7045, -1.8833, 1.5),
    ("Huddersfield Royal Infirmary", "hospital", 53.6535, -1.8100, 1.5),
    ("Pinderfields Hospital", "hospital", 53.6940, -1.4919, 2.0),
    ("Dewsbury and District Hospital", "hospital", 53.6965, -1.6546, 1.0),
    ("Pontefract Hospital", "hospital", 53.6882, -1.3193, 0.8),
    ("HMP Leeds", "custody_or_prison", 53.7967, -1.5895, 2.0),
    ("HMP Wakefield", "custody_or_prison", 53.6830, -1.5051, 1.5),
    ("HMP New Hall", "custody_or_prison", 53.6280, -1.5990, 0.8),
    ("HMP Wealstun", "custody_or_prison", 53.9119, -1.3547, 1.0),
    ("Elland Road custody suite", "custody_or_prison", 53.7785, -1.5714, 0.6),
    ("Bradford custody suite", "custody_or_prison", 53.7928, -1.7535, 0.6),
)

CARE_HOME_FIRST = (
    "Oakwood",
    "Beechfield",
    "Moorview",
    "Ashgrove",
    "Elmhurst",
    "Highfield",
    "Rosedale",
    "Willow",
    "Heathcote",
    "Fernbank",
    "Hollybank",
    "Laurel",
    "Meadowside",
    "Parkside",
    "Springfield",
    "Thornhill",
    "Westfield",
    "Brookside",
    "Cedar",
    "Hawthorn",
    "Kirkstall",
    "Airedale",
    "Calder",
    "Holme Valley",
    "Pennine",
    "Castle",
    "Abbey",
    "Manor Park",
    "Roundhay",
    "Woodlands",
)
CARE_HOME_SECOND = ("House", "Lodge", "Court", "Grange", "Manor", "Hall", "View", "Gardens")


@dataclass
class Facility:
    name: str
    kind: str  # care_home, hospital, custody_or_prison
    lsoa: int
    size: float


class Geography:
    """The LSOA table as arrays, the place weights, postcodes and facilities."""

    def __init__(self, table: pd.DataFrame, ethnicity: pd.DataFrame):
        self.table = table.reset_index(drop=True)
        t = self.table
        self.n = len(t)
        self.code = t["lsoa_code"].to_numpy(dtype=object)
        self.name = t["lsoa_name"].to_numpy(dtype=object)
        self.lat = t["latitude"].to_numpy(dtype=float)
        self.lon = t["longitude"].to_numpy(dtype=float)
        self.population = t["population"].to_numpy(dtype=float)
        self.la_codes = tuple(sorted(t["la_code"].unique()))
        names = t.drop_duplicates("la_code").set_index("la_code")["la_name"]
        self.la_names = tuple(str(names[c]) for c in self.la_codes)
        self.la = np.searchsorted(np.array(self.la_codes), t["la_code"].to_numpy())
        hectares = t["hectares"].to_numpy(dtype=float)
        #: Radius (m) of a circle of the LSOA's area: bounds the jitter around the centroid.
        self.radius_m = np.sqrt(np.maximum(hectares, 1.0) * 10_000.0 / np.pi)
        self.streets = [tuple(s.split(";")) if isinstance(s, str) and s else () for s in t["streets"]]
        self._street_flat, self._street_off, self._street_n = self._flatten_streets()
        self.weights = self._weights(t, hectares)
        self.sector = self._postcode_sectors()
        eth = ethnicity.set_index("la_code").loc[list(self.la_codes)]
        # Columns in vocab.ETHNICITIES order: asian, black, mixed, white, other, not_stated.
        mix = eth[["asian", "black", "mixed", "white", "other"]].to_numpy(dtype=float)
        mix = mix / mix.sum(axis=1, keepdims=True) * 0.98
        self.ethnic_mix = np.hstack([mix, np.full((len(mix), 1), 0.02)])
        self._dist: np.ndarray | None = None
        self._neighbours: np.ndarray | None = None

    # -- weights and places -------------------------------------------------------------------
    def _weights(self, t: pd.DataFrame, hectares: np.ndarray) -> dict[str, np.ndarray]:
        pop = self.population
        violence = t["crimes_violence"].to_numpy(dtype=float)
        per_head = (violence + 0.5) / np.maximum(pop, 1.0)
        dep = np.clip(per_head / np.median(per_head), 0.3, 6.0)
        w = {
            "population": pop,
            "residential": pop * np.sqrt(dep),
            "violence": violence + 0.5,
            "asb": t["crimes_asb"].to_numpy(dtype=float) + 0.5,
            "drugs": t["crimes_drugs"].to_numpy(dtype=float) + 0.3 + pop / 2000.0,
            "crime": t["crimes_all"].to_numpy(dtype=float) + 1.0,
            "roads": np.sqrt(pop * np.maximum(hectares, 1.0)),
        }
        return {k: v / v.sum() for k, v in w.items()}

    def pick(self, rng: np.random.Generator, weight: str, size: int, la: int | None = None) -> np.ndarray:
        """``size`` LSOA indices drawn by the named weight (optionally inside one local authority)."""
        w = self.weights[weight]
        if la is not None:
            w = np.where(self.la == la, w, 0.0)
        return rng.choice(self.n, size=size, p=w / w.sum())

    def jitter(
        self, rng: np.random.Generator, idx: np.ndarray, low: float = 100.0, high: float = 300.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points 100-300 m from each LSOA's centroid (less in small LSOAs, so they stay inside)."""
        idx = np.asarray(idx, dtype=int)
        n = len(idx)
        r_cap = np.clip(0.6 * self.radius_m[idx], 60.0, high)
        r = np.minimum(low + rng.random(n) * (high - low), r_cap)
        theta = rng.random(n) * 2 * np.pi
        lat0 = self.lat[idx]
        dlat = r * np.cos(theta) / 1000.0 / KM_PER_DEG_LAT
        dlon = r * np.sin(theta) / 1000.0 / (KM_PER_DEG_LON_EQ * np.cos(np.radians(lat0)))
        return np.round(lat0 + dlat, 6), np.round(self.lon[idx] + dlon, 6)

    def km_from(self, lat0: float, lon0: float) -> np.ndarray:
        """Distance (km) from a point to every LSOA centroid."""
        return km_between(self.lat, self.lon, lat0, lon0)

    @property
    def distances(self) -> np.ndarray:
        if self._dist is None:
            dy = (self.lat[:, None] - self.lat[None, :]) * KM_PER_DEG_LAT
            dx = (self.lon[:, None] - self.lon[None, :]) * KM_PER_DEG_LON_EQ * np.cos(np.radians(53.75))
            self._dist = np.sqrt(dx * dx + dy * dy)
        return self._dist

    def neighbours(self, k: int = 15) -> np.ndarray:
        """For each LSOA, its ``k`` nearest LSOAs (itself first)."""
        if self._neighbours is None:
            self._neighbours = np.argsort(self.distances, axis=1, kind="stable")[:, :100]
        return self._neighbours[:, :k]

    def near(self, rng: np.random.Generator, idx: np.ndarray, k: int = 15) -> np.ndarray:
        """An LSOA among the ``k`` nearest to each of ``idx`` (uniformly)."""
        nb = self.neighbours(k)
        idx = np.asarray(idx, dtype=int)
        return nb[idx, rng.integers(0, k, size=len(idx))]

    def within(self, idx: int, km: float) -> np.ndarray:
        """LSOAs whose centroid is within ``km`` of LSOA ``idx``'s centroid."""
        return np.flatnonzero(self.distances[idx] <= km)

    # -- streets and postcodes ----------------------------------------------------------------
    def _flatten_streets(self):
        flat, off, cnt = [], [], []
        for i, s in enumerate(self.streets):
            off.append(len(flat))
            names = s or (str(self.name[i]),)
            flat.extend(names)
            cnt.append(len(names))
        return np.array(flat, dtype=object), np.array(off), np.array(cnt)

    def street(self, rng: np.random.Generator, idx: np.ndarray) -> np.ndarray:
        """A street name in each LSOA (from the commonest data.police.uk locations there)."""
        idx = np.asarray(idx, dtype=int)
        k = np.floor(rng.random(len(idx)) * self._street_n[idx]).astype(int)
        return self._street_flat[self._street_off[idx] + k]

    def _postcode_sectors(self) -> np.ndarray:
        t = self.table
        sector = np.empty(self.n, dtype=object)
        msoa = t["msoa_code"].to_numpy()
        for la_i, la_code in enumerate(self.la_codes):
            in_la = np.flatnonzero(self.la == la_i)
            areas = POSTCODE_AREAS.get(la_code, [("LS", range(1, 30))])
            if len(areas) == 2:  # Kirklees: north of 53.66 is the WF post town
                north = self.lat[in_la] > 53.665
                groups = [(areas[0], in_la[~north]), (areas[1], in_la[north])]
            else:
                groups = [(areas[0], in_la)]
            for (prefix, numbers), members in groups:
                if len(members) == 0:
                    continue
                weights = self.weights["crime"][members]
                c_lat = np.average(self.lat[members], weights=weights)
                c_lon = np.average(self.lon[members], weights=weights)
                ms = sorted(set(msoa[members]))
                ms_d = {
                    m: float(
                        np.mean(
                            km_between(
                                self.lat[members][msoa[members] == m],
                                self.lon[members][msoa[members] == m],
                                c_lat,
                                c_lon,
                            )
                        )
                    )
                    for m in ms
                }
                order = sorted(ms, key=lambda m: (ms_d[m], m))
                nums = list(numbers)
                district = {
                    m: f"{prefix}{nums[min(len(nums) - 1, r * len(nums) // len(order))]}"
                    for r, m in enumerate(order)
                }
                for j, i in enumerate(sorted(members, key=lambda i: self.code[i])):
                    sector[i] = f"{district[msoa[i]]} {(j % 9) + 1}"
        return sector

    def postcodes(self, rng: np.random.Generator, idx: np.ndarray) -> np.ndarray:
        """A synthetic, well-formed postcode in each LSOA's sector (e.g. ``LS6 2AB``)."""
        idx = np.asarray(idx, dtype=int)
        a = UNIT_LETTERS[rng.integers(0, len(UNIT_LETTERS), size=len(idx))]
        b = UNIT_LETTERS[rng.integers(0, len(UNIT_LETTERS), size=len(idx))]
        return self.sector[idx].astype(str) + a.astype(object) + b.astype(object)

    # -- facilities ---------------------------------------------------------------------------
    def facilities(self, rng: np.random.Generator, n_care_homes: int = 60) -> list[Facility]:
        """Hospitals and prisons (real names, nearest LSOA) and ``n_care_homes`` named care homes."""
        out = []
        for name, kind, lat, lon, size in INSTITUTIONS:
            out.append(Facility(name, kind, int(np.argmin(self.km_from(lat, lon))), size))
        names = [f"{a} {b}" for a in CARE_HOME_FIRST for b in CARE_HOME_SECOND]
        chosen = rng.choice(len(names), size=n_care_homes, replace=False)
        homes = self.pick(rng, "population", n_care_homes)
        sizes = rng.integers(20, 90, size=n_care_homes)
        for k in range(n_care_homes):
            out.append(Facility(f"{names[chosen[k]]} Care Home", "care_home", int(homes[k]), float(sizes[k])))
        return out


def km_between(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Equirectangular distance in km (accurate to well under 1% across one county)."""
    lat1, lon1, lat2, lon2 = (np.asarray(x, dtype=float) for x in (lat1, lon1, lat2, lon2))
    mean_lat = np.radians((lat1 + lat2) / 2)
    dy = (lat1 - lat2) * KM_PER_DEG_LAT
    dx = (lon1 - lon2) * KM_PER_DEG_LON_EQ * np.cos(mean_lat)
    return np.sqrt(dx * dx + dy * dy)


def _data(name: str):
    return files("threadline.synth").joinpath("data", name)


@lru_cache(maxsize=1)
def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    with _data(LSOA_FILE).open("r", encoding="utf-8") as f:
        lsoas = pd.read_csv(f, dtype={"lsoa_code": str, "streets": str}, keep_default_na=False)
    with _data(ETHNICITY_FILE).open("r", encoding="utf-8") as f:
        eth = pd.read_csv(f)
    return lsoas, eth


def load_geography() -> Geography:
    """The West Yorkshire geography shipped with the package."""
    lsoas, eth = _tables()
    return Geography(lsoas.copy(), eth.copy())


@lru_cache(maxsize=1)
def incident_severity() -> pd.DataFrame:
    """incident_type -> ho_offence_code, css_offence, css_weight (ONS Crime Severity Score)."""
    with _data(SEVERITY_FILE).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"ho_offence_code": str}, keep_default_na=False)
