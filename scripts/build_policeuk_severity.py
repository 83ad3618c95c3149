"""Recompute the police.uk category severities in src/threadline/ingest/mappings/police-uk.yaml.

Each category's weight is the mean ONS Crime Severity Score weight of its Home Office offences,
weighted by their national recorded volume in 2017/18. Run from the project root:
``python scripts/build_policeuk_severity.py`` (reads ../shared/data/reference).
"""

from pathlib import Path

import pandas as pd

REF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference"

weights = pd.read_csv(REF / "crime-severity-score-weights.csv", dtype={"ho_offence_code": str})
counts = pd.read_csv(REF / "police-recorded-crime-by-force-2017-18.csv", dtype={"Offence_Code": str})
volume = counts.groupby("Offence_Code")["Number_of_Offences"].sum().rename("n")
merged = weights.merge(volume, left_on="ho_offence_code", right_index=True, how="left").fillna({"n": 0})
merged["wn"] = merged["css_weight"] * merged["n"]
sums = merged.groupby("policeuk_category")[["wn", "n"]].sum()
for category, row in sums.iterrows():
    print(f'    {category[0] + category[1:].lower()}: "{row.wn / row.n:.1f}"')
