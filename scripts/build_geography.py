"""Build the synthetic force's reference data from real open data (run once, not at run time).

Writes three small files into ``src/threadline/synth/data/``:

``west-yorkshire-lsoa.csv``
    One row per 2011 LSOA in the West Yorkshire police force area (1,388): names and codes,
    2011 Census usual residents, households and area, an approximate centroid, the commonest
    street names and crime counts seen there in data.police.uk.

``west-yorkshire-la-ethnicity.csv``
    Each local authority's 2011 Census ethnic mix (ONS five groups), from table DC2101EW.

``incident-severity.csv``
    For each incident type the synthetic force generates, the Home Office offence code it is
    recorded under and that offence's ONS Crime Severity Score weight.

Centroids are approximate: the mean longitude and latitude of the data.police.uk crime and
anti-social behaviour points recorded in the LSOA in July 2016, 2017 and 2018. Those points are
snapped to anonymised map points, so the mean lies inside the built-up part of the LSOA rather
than at its geometric centroid. An LSOA with no points takes its MSOA's mean (and an MSOA with
none its local authority's). Run from the project root::

    .venv/bin/python scripts/build_geography.py

Sources (Open Government Licence v3.0): ONS 2011 Census (usual residents, households, hectares
by LSOA; DC2101EW ethnic group by local authority), ONS LSOA to police force area lookup,
data.police.uk street-level crime for West Yorkshire Police, ONS Crime Severity Score weights.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "data" / "reference"
POLICE_UK = ROOT.parent / "shared" / "data" / "police-uk"
OUT = ROOT / "src" / "threadline" / "synth" / "data"
FORCE = "West Yorkshire"

#: data.police.uk "On or near ..." names that are map-point types, not streets.
GENERIC_PLACES = {
    "Supermarket",
    "Parking Area",
    "Shopping Area",
    "Petrol Station",
    "Pedestrian Subway",
    "Nightclub",
    "Hospital",
    "Prison",
    "Police Station",
    "Motorway Service Area",
    "No Location",
}
ROAD_NUMBER = re.compile(r"^[AMB]\d+[A-Z]?$")

#: Incident type -> Home Office offence code it is usually recorded under (Home Office Counting
#: Rules). Types that are not notifiable crimes (missing person, concern for welfare, ASB) have
#: no offence code and no severity weight.
INCIDENT_OFFENCES = {
    "domestic_abuse": "105A",  # domestic incidents recorded as crime are most often common assault
    "stalking_harassment": "8Q",
    "threats_to_kill": "3B",
    "common_assault": "105A",
    "assault_with_injury": "8N",
    "wounding_gbh": "5D",
    "weapon_possession": "10D",
    "possession_of_weapons": "10C",
    "sexual_offence": "20A",
    "robbery": "34B",
    "burglary": "28E",
    "bicycle_theft": "44",
    "criminal_damage_and_arson": "58A",
    "drugs": "92E",
    "other_crime": "99",
    "other_theft": "49",
    "public_order": "9A",
    "shoplifting": "46",
    "theft_from_the_person": "39",
    "vehicle_crime": "45",
    "violence_and_sexual_offences": "8N",
}
NON_CRIME_TYPES = ("missing_person", "concern_for_welfare", "anti_social_behaviour", "other")

LA_ETHNIC_COLUMNS = {
    "white": "White: Total",
    "mixed": "Mixed/multiple ethnic group: Total",
    "asian": "Asian/Asian British: Total",
    "black": "Black/African/Caribbean/Black British: Total",
    "other": "Other ethnic group: Total",
}


def _int(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(str).str.replace(",", "", regex=False), errors="coerce")


def build_lsoas() -> tuple[pd.DataFrame, dict[str, int]]:
    lookup = pd.read_csv(REF / "lsoa-to-police-force.csv", dtype=str)
    lookup = lookup[lookup["Police_force"] == FORCE]
    census = pd.read_csv(REF / "census-2011-lsoa-population.csv", dtype=str)
    # The header carries two blank columns and "Persons" three times (all usual residents, in
    # households, in communal establishments): pandas names them Persons, Persons.1, Persons.2.
    census = census.rename(
        columns={"Persons": "population", "Households": "households", "Hectares": "hectares"}
    )
    census = census[["LSOA Code", "population", "households", "hectares"]]
    geo = lookup.merge(census, on="LSOA Code", how="left")
    for col in ("population", "households"):
        geo[col] = _int(geo[col]).astype("Int64")
    geo["hectares"] = pd.to_numeric(geo["hectares"].str.replace(",", "", regex=False), errors="coerce")

    frames = []
    for path in sorted(POLICE_UK.glob("*-west-yorkshire-street.csv")):
        frames.append(
            pd.read_csv(path, usecols=["Longitude", "Latitude", "LSOA code", "Location", "Crime type"])
        )
    points = pd.concat(frames, ignore_index=True)
    points = points[points["LSOA code"].isin(geo["LSOA Code"])].dropna(subset=["Longitude", "Latitude"])

    means = points.groupby("LSOA code")[["Latitude", "Longitude"]].mean()
    geo = geo.merge(means, left_on="LSOA Code", right_index=True, how="left")
    geo["centroid_source"] = "police_uk_mean"
    counts = {"police_uk_mean": int(geo["Latitude"].notna().sum())}
    for level, col in (("msoa_mean", "MSOA Code"), ("la_mean", "Local authority code")):
        missing = geo["Latitude"].isna()
        if not missing.any():
            counts[level] = 0
            continue
        pts = points.merge(geo[["LSOA Code", col]], left_on="LSOA code", right_on="LSOA Code")
        area_means = pts.groupby(col)[["Latitude", "Longitude"]].mean()
        fill = (
            geo.loc[missing, col].map(area_means["Latitude"]),
            geo.loc[missing, col].map(area_means["Longitude"]),
        )
        geo.loc[missing, "Latitude"], geo.loc[missing, "Longitude"] = fill
        geo.loc[missing & geo["Latitude"].notna(), "centroid_source"] = level
        counts[level] = int((missing & geo["Latitude"].notna()).sum())

    crime = points.assign(n=1).pivot_table(
        index="LSOA code", columns="Crime type", values="n", aggfunc="sum", fill_value=0
    )

    def get(name: str):
        return crime[name] if name in crime.columns else 0

    tallies = pd.DataFrame(
        {
            "crimes_all": crime.sum(axis=1),
            "crimes_violence": get("Violence and sexual offences")
            + get("Robbery")
            + get("Possession of weapons"),
            "crimes_asb": get("Anti-social behaviour"),
            "crimes_drugs": get("Drugs"),
        }
    )
    geo = geo.merge(tallies, left_on="LSOA Code", right_index=True, how="left")
    for col in tallies.columns:
        geo[col] = geo[col].fillna(0).astype(int)

    points["street"] = points["Location"].astype(str).str.replace("On or near ", "", regex=False).str.strip()
    usable = ~points["street"].isin(GENERIC_PLACES) & ~points["street"].str.contains("/", regex=False)
    usable &= ~points["street"].str.match(ROAD_NUMBER) & (points["street"] != "")
    streets = (
        points[usable]
        .groupby(["LSOA code", "street"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["LSOA code", "n", "street"], ascending=[True, False, True])
    )
    top = streets.groupby("LSOA code").head(4).groupby("LSOA code")["street"].agg(";".join)
    geo["streets"] = geo["LSOA Code"].map(top).fillna("")

    out = (
        pd.DataFrame(
            {
                "lsoa_code": geo["LSOA Code"],
                "lsoa_name": geo["LSOA Name"],
                "msoa_code": geo["MSOA Code"],
                "la_code": geo["Local authority code"],
                "la_name": geo["Local authority name"],
                "population": geo["population"],
                "households": geo["households"],
                "hectares": geo["hectares"],
                "latitude": geo["Latitude"].round(6),
                "longitude": geo["Longitude"].round(6),
                "centroid_source": geo["centroid_source"],
                "crimes_all": geo["crimes_all"],
                "crimes_violence": geo["crimes_violence"],
                "crimes_asb": geo["crimes_asb"],
                "crimes_drugs": geo["crimes_drugs"],
                "streets": geo["streets"],
            }
        )
        .sort_values("lsoa_code")
        .reset_index(drop=True)
    )
    if out[["population", "latitude"]].isna().any().any():
        raise SystemExit("some LSOAs lack a population or a centroid")
    return out, counts


def build_ethnicity(la_codes: list[str]) -> pd.DataFrame:
    table = pd.read_csv(REF / "census-2011-DC2101EW-ethnicity-sex-age-by-la.csv")
    table = table[table["geography code"].isin(la_codes)]
    prefix = "Sex: All persons; Age: All categories: Age; Ethnic Group: "
    total = table[f"{prefix}All categories: Ethnic group; measures: Value"]
    out = pd.DataFrame(
        {"la_code": table["geography code"], "la_name": table["geography"], "population": total}
    )
    for group, label in LA_ETHNIC_COLUMNS.items():
        out[group] = (table[f"{prefix}{label}; measures: Value"] / total).round(5)
    return out.sort_values("la_code").reset_index(drop=True)


def build_severity() -> pd.DataFrame:
    weights = pd.read_csv(REF / "crime-severity-score-weights.csv", dtype={"ho_offence_code": str})
    weights = weights.drop_duplicates("ho_offence_code").set_index("ho_offence_code")
    rows = []
    for itype, code in INCIDENT_OFFENCES.items():
        w = weights.loc[code]
        rows.append(
            {
                "incident_type": itype,
                "ho_offence_code": code,
                "css_offence": w["css_offence"],
                "css_weight": round(float(w["css_weight"]), 2),
            }
        )
    for itype in NON_CRIME_TYPES:
        rows.append(
            {
                "incident_type": itype,
                "ho_offence_code": "",
                "css_offence": "not a notifiable crime",
                "css_weight": "",
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    lsoas, counts = build_lsoas()
    lsoas.to_csv(OUT / "west-yorkshire-lsoa.csv", index=False, lineterminator="\n")
    eth = build_ethnicity(sorted(lsoas["la_code"].unique()))
    eth.to_csv(OUT / "west-yorkshire-la-ethnicity.csv", index=False, lineterminator="\n")
    sev = build_severity()
    sev.to_csv(OUT / "incident-severity.csv", index=False, lineterminator="\n")
    print(
        f"{len(lsoas)} LSOAs, population {int(lsoas['population'].sum()):,}; centroids: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(eth.to_string(index=False))
    print(sev.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
