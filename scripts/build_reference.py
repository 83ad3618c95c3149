"""Build the national reference tables shipped in src/threadline/reference/ (run once, offline).

- ``lsoa-2011.csv.gz``: every 2011 LSOA in England and Wales with its local authority (the
  Community Safety Partnership area), police force area and 2011 Census usual residents. English
  LSOAs take their force from the ONS LSOA-to-police-force lookup; Welsh LSOAs (not in that
  lookup) and 53 English districts it leaves blank take it from their local authority, by the
  force areas' statutory make-up (listed below).
- ``force-homicide-2017-18.csv``: police recorded homicides (HO codes 1/4.1/4.10/4.2) and attempted
  murders (HO code 2) per force in 2017/18, with 2011 residents and rates per 100,000, plus an
  England and Wales row.

Sources (Open Government Licence v3.0): ONS 2011 Census (KS101EW by LSOA); ONS LSOA to police
force area lookup; Home Office police recorded crime by police force area, 2017/18. Run from the
project root: ``python scripts/build_reference.py`` (reads ../shared/data/reference).
"""

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "reference"
OUT = ROOT / "src" / "threadline" / "reference"

#: Local authorities whose LSOAs the lookup leaves without a force, by force (statutory areas).
ENGLAND_GAPS = {
    "Northumbria": ["Northumberland UA", "Gateshead"],
    "North Yorkshire": ["Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough", "Selby"],
    "Northamptonshire": ["Daventry", "South Northamptonshire"],
    "Nottinghamshire": ["Broxtowe", "Gedling", "Rushcliffe"],
    "Warwickshire": ["Stratford-on-Avon", "Warwick"],
    "West Mercia": ["Bromsgrove", "Malvern Hills", "Redditch", "Worcester", "Wychavon", "Wyre Forest"],
    "Hertfordshire": ["East Hertfordshire", "St Albans", "Stevenage", "Welwyn Hatfield"],
    "Suffolk": ["Babergh", "Forest Heath", "Mid Suffolk", "St Edmundsbury"],
    "Hampshire": ["Basingstoke and Deane", "Hart", "Rushmoor"],
    "Kent": ["Dartford", "Gravesham"],
    "Devon and Cornwall": ["East Devon", "Mid Devon", "North Devon", "South Hams", "Teignbridge", "Torridge",
                           "West Devon"],
    "Dorset": ["Christchurch", "East Dorset", "North Dorset", "Purbeck", "West Dorset", "Weymouth and Portland"],
    "Avon and Somerset": ["Mendip", "Sedgemoor", "South Somerset", "Taunton Deane", "West Somerset"],
}

WALES = {
    "Dyfed-Powys": ["Carmarthenshire", "Ceredigion", "Pembrokeshire", "Powys"],
    "Gwent": ["Blaenau Gwent", "Caerphilly", "Monmouthshire", "Newport", "Torfaen"],
    "North Wales": ["Isle of Anglesey", "Conwy", "Denbighshire", "Flintshire", "Gwynedd", "Wrexham"],
    "South Wales": ["Bridgend", "Cardiff", "Merthyr Tydfil", "Neath Port Talbot", "Rhondda Cynon Taf",
                    "Swansea", "Vale of Glamorgan", "The Vale of Glamorgan"],
}


def main() -> None:
    pop = pd.read_csv(SHARED / "census-2011-lsoa-population.csv", thousands=",")
    pop = pop.rename(columns={"LSOA Code": "lsoa_code", "LSOA Name": "lsoa_name", "Local authority code": "la_code",
                              "Local authority name": "la_name", "Persons": "population", "Hectares": "hectares"})
    pop = pop[["lsoa_code", "lsoa_name", "la_code", "la_name", "population", "hectares"]]
    lookup = pd.read_csv(SHARED / "lsoa-to-police-force.csv")[["LSOA Code", "Police_force"]]
    lookup.columns = ["lsoa_code", "police_force"]
    table = pop.merge(lookup, on="lsoa_code", how="left")
    welsh = {la: force for force, las in {**WALES, **ENGLAND_GAPS}.items() for la in las}
    table["la_name"] = table["la_name"].str.strip()
    fill = table["police_force"].isna()
    table.loc[fill, "police_force"] = table.loc[fill, "la_name"].map(welsh)
    missing = table["police_force"].isna()
    if missing.any():
        raise SystemExit(f"no force for: {sorted(table.loc[missing, 'la_name'].unique())}")
    table = table.sort_values("lsoa_code")
    table.to_csv(OUT / "lsoa-2011.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})

    crime = pd.read_csv(SHARED / "police-recorded-crime-by-force-2017-18.csv", dtype={"Offence_Code": str})
    wanted = {"1/4.1/4.10/4.2": "homicides", "2": "attempted_murders"}
    crime = crime[crime["Offence_Code"].isin(wanted)]
    crime["Force_Name"] = crime["Force_Name"].replace({"London, City of": "City of London"})
    counts = crime.pivot_table(index="Force_Name", columns="Offence_Code", values="Number_of_Offences",
                               aggfunc="sum", fill_value=0).rename(columns=wanted)
    residents = table.groupby("police_force")["population"].sum()
    counts = counts[counts.index.isin(residents.index)]
    counts["population_2011"] = residents.reindex(counts.index)
    total = counts.sum().rename("England and Wales")
    counts = pd.concat([counts, total.to_frame().T])
    counts["homicide_rate_per_100k"] = (counts["homicides"] / counts["population_2011"] * 1e5).round(2)
    counts.index.name = "force"
    counts.reset_index()[["force", "homicides", "attempted_murders", "population_2011",
                          "homicide_rate_per_100k"]].to_csv(OUT / "force-homicide-2017-18.csv", index=False)
    print(f"{len(table):,} LSOAs; {len(counts) - 1} forces")


if __name__ == "__main__":
    main()
