"""Census population denominators: residents by local authority, sex, age band and ethnic group.

A rate per 1,000 residents, and the relative rate index that compares two groups' rates, need the
number of residents of each group. Threadline ships ONS 2011 Census table DC2101EW (ethnic group by
sex by age, every local authority of England and Wales, downloaded from nomis) as
``threadline/reference/census-2011-DC2101EW.csv.gz``; a workspace may hold its own table instead
(``threadline population import FILE``), e.g. a 2021 Census download. See docs/serious-violence.md.

The tidy frame every function here returns or takes has one row per authority, sex, age band and
detailed ethnic group: ``la_code``, ``la_name``, ``sex`` (``male``, ``female``, or ``all`` when the
source has no sex split), ``age_min``, ``age_max`` (the census band, inclusive; the open top band
ends at 120), ``ethnic_group`` (the census label, e.g. "Black/African/Caribbean/Black British:
African"), ``group5`` (``asian``, ``black``, ``mixed``, ``white``, ``other``) and ``count``.

Two layouts are read:

- **nomis wide** (table DC2101EW as nomis exports it): columns ``date, geography, geography code``
  then one column per cell, ``Sex: Males; Age: Age 16 to 17; Ethnic Group: White: Irish; measures:
  Value``. Only leaf ethnic groups are kept (not ``...: Total`` nor ``All categories: Ethnic
  group``), only the male and female columns when the file has them (else ``All persons`` as
  ``all``), and no ``All categories: Age`` column. Where the file has the all-persons, all-ages,
  all-groups column, each authority's kept cells must add up to it.
- **ONS custom download, long** (2021 Census "create a custom dataset"): one row per cell, with
  columns ``<geography> Code``, ``<geography>``, ``Age (N categories)``, ``Ethnic group (N
  categories)``, ``Sex (2 categories)`` and ``Observation``. ``Does not apply`` rows are dropped.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from threadline.analyse.violence.ethnicity import GROUP5
from threadline.errors import InputError

log = logging.getLogger(__name__)

#: The columns of the tidy population frame.
COLUMNS = ("la_code", "la_name", "sex", "age_min", "age_max", "ethnic_group", "group5", "count")
#: The top of the open age band ("Age 85 and over" is 85-120).
AGE_TOP = 120
SHIPPED_NAME = "census-2011-DC2101EW.csv.gz"
SHIPPED_SOURCE = "ONS 2011 Census DC2101EW (shipped)"

_WIDE = re.compile(r"^Sex: (?P<sex>.+?); Age: (?P<age>.+?); Ethnic Group: (?P<eth>.+?); measures: Value$")
_SEXES = {"males": "male", "male": "male", "females": "female", "female": "female",
          "all persons": "all", "all": "all", "persons": "all"}


def group5_of(label: str) -> str | None:
    """The five-group heading of a census ethnic group label, or None when it has none.

    2011: "White", "Mixed/multiple ethnic group", "Asian/Asian British", "Black/African/Caribbean/Black
    British", "Other ethnic group"; 2021: "Mixed or Multiple ethnic groups", "Asian, Asian British or
    Asian Welsh", "Black, Black British, Black Welsh, Caribbean or African".
    """
    heading = label.split(":", 1)[0].strip().lower()
    for prefix, group in (("white", "white"), ("mixed", "mixed"), ("asian", "asian"), ("black", "black"),
                          ("other ethnic", "other")):
        if heading.startswith(prefix):
            return group
    return None


def parse_age_band(label: str) -> tuple[int, int] | None:
    """``Age 0 to 4`` -> (0, 4); ``Age 15`` -> (15, 15); ``Age 85 and over`` -> (85, 120).

    The 2021 wording is read too (``Aged 4 years and under``, ``Aged 5 to 9 years``, ``Aged under 1
    year``, ``Aged 90 years and over``). None for anything else (including the all-ages total).
    """
    text = label.strip().lower().removeprefix("age:").strip()
    text = re.sub(r"\byears?\b", "", text)
    text = re.sub(r"^aged?\s*", "", text).strip()
    text = re.sub(r"\s+", " ", text)
    if m := re.fullmatch(r"(\d+) to (\d+)", text):
        lo, hi = int(m[1]), int(m[2])
        return (lo, hi) if lo <= hi else None
    if m := re.fullmatch(r"(\d+)", text):
        return int(m[1]), int(m[1])
    if m := re.fullmatch(r"(\d+) and over", text):
        return int(m[1]), AGE_TOP
    if m := re.fullmatch(r"(\d+) and under", text):
        return 0, int(m[1])
    if m := re.fullmatch(r"under (\d+)", text):
        return (0, int(m[1]) - 1) if int(m[1]) > 0 else None
    return None


def _is_total(label: str) -> bool:
    text = label.strip().lower()
    return text.startswith("all ") or text.startswith("total") or text.endswith(": total")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError("no such file", file=path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"not a readable gzip file ({exc})", file=path) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("neither UTF-8 nor Windows-1252 text", file=path)  # pragma: no cover (cp1252 rarely fails)


def _counts(frame: pd.DataFrame, columns: list[str], path: Path, row_offset: int = 2) -> pd.DataFrame:
    """The named text columns as whole non-negative numbers; InputError at the first bad cell."""
    out = {}
    for col in columns:
        raw = frame[col].astype(str).str.strip().str.replace(",", "", regex=False)
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() | (num < 0) | (num != num.round())
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            value = frame[col].iloc[i]
            raise InputError(f"not a count: {value!r} (a whole number of people, 0 or more)", file=path,
                             row=i + row_offset, field=col)
        out[col] = num.astype("int64")
    return pd.DataFrame(out, index=frame.index)


def _frame(text: str, path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InputError(f"not a readable CSV ({str(exc).splitlines()[0] if str(exc) else 'empty'})",
                         file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise InputError("the file has a header but no data rows", file=path)
    return frame


def read_nomis(path: Path | str, *, check_totals: bool = True) -> pd.DataFrame:
    """Read a census population table into the tidy frame (see the module docstring).

    Raises :class:`InputError` naming the file, row and column for a layout it does not know, a
    missing column, a cell that is not a count, or (``check_totals``) an authority whose cells do
    not add up to its all-persons total.
    """
    path = Path(path)
    return _parse(_read_text(path), path, check_totals)


def _parse(text: str, path: Path, check_totals: bool = True) -> pd.DataFrame:
    frame = _frame(text, path)
    if any(_WIDE.match(c) for c in frame.columns):
        return _read_wide(frame, path, check_totals)
    if "Observation" in frame.columns:
        return _read_long(frame, path)
    raise InputError(
        "not a census population table this version reads: expected the nomis layout (columns 'geography "
        "code' and 'Sex: ...; Age: ...; Ethnic Group: ...; measures: Value') or an ONS custom download "
        f"(columns '... Code', 'Age (...)', 'Ethnic group (...)', 'Sex (...)', 'Observation'); the file has "
        f"{', '.join(frame.columns[:6])}{' ...' if len(frame.columns) > 6 else ''}",
        file=path, row=1)


def _read_wide(frame: pd.DataFrame, path: Path, check_totals: bool) -> pd.DataFrame:
    if "geography code" not in frame.columns:
        raise InputError("missing column 'geography code' (the local authority code)", file=path, row=1,
                         field="geography code")
    cells = []
    total_col = None
    for col in frame.columns:
        m = _WIDE.match(col)
        if not m:
            continue
        sex = _SEXES.get(m["sex"].strip().lower())
        if sex is None:
            raise InputError(f"unknown sex {m['sex']!r} (expected Males, Females or All persons)", file=path,
                             row=1, field=col)
        age_label, eth = m["age"].strip(), m["eth"].strip()
        if sex == "all" and age_label.lower().startswith("all ") and eth.lower().startswith("all "):
            total_col = col
        if _is_total(age_label) or _is_total(eth):
            continue
        band = parse_age_band(age_label)
        if band is None:
            raise InputError(f"unknown age band {age_label!r}", file=path, row=1, field=col)
        group = group5_of(eth)
        if group is None:
            raise InputError(f"ethnic group {eth!r} is under none of the five census headings", file=path,
                             row=1, field=col)
        cells.append((col, sex, band[0], band[1], eth, group))
    if not cells:
        raise InputError("no cells of one sex, age band and ethnic group found", file=path, row=1)
    if any(c[1] != "all" for c in cells):
        cells = [c for c in cells if c[1] != "all"]
    meta = pd.DataFrame(cells, columns=["column", "sex", "age_min", "age_max", "ethnic_group", "group5"])
    codes = frame["geography code"].astype(str).str.strip()
    if (codes == "").any():
        i = int((codes == "").to_numpy().nonzero()[0][0])
        raise InputError("missing local authority code", file=path, row=i + 2, field="geography code")
    dup = codes.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(f"local authority {codes.iloc[i]} appears twice", file=path, row=i + 2,
                         field="geography code")
    values = _counts(frame, list(meta["column"]), path)
    if check_totals and total_col is not None:
        totals = _counts(frame, [total_col], path)[total_col]
        sums = values.sum(axis=1)
        off = sums != totals
        if off.any():
            i = int(off.to_numpy().nonzero()[0][0])
            raise InputError(f"the cells of {codes.iloc[i]} add up to {int(sums.iloc[i]):,}, not its total "
                             f"{int(totals.iloc[i]):,}", file=path, row=i + 2, field=total_col)
    values.columns = range(len(meta))
    values.insert(0, "la_code", codes.to_numpy())
    names = frame["geography"].astype(str).str.strip() if "geography" in frame.columns else codes
    values.insert(1, "la_name", names.to_numpy())
    long = values.melt(id_vars=["la_code", "la_name"], var_name="_cell", value_name="count")
    long = long.join(meta.drop(columns="column"), on="_cell").drop(columns="_cell")
    return _tidy(long)


def _pick(frame: pd.DataFrame, prefix: str, path: Path, what: str) -> str:
    for col in frame.columns:
        if col.lower().startswith(prefix) and not col.lower().endswith(" code"):
            return col
    raise InputError(f"missing column '{prefix.capitalize()}...' ({what})", file=path, row=1,
                     field=prefix.capitalize())


def _read_long(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    age_col = _pick(frame, "age (", path, "the age bands")
    eth_col = _pick(frame, "ethnic group (", path, "the ethnic groups")
    code_cols = [c for c in frame.columns if c.endswith(" Code") and not c.lower().startswith(("age", "ethnic", "sex"))]
    if not code_cols:
        raise InputError("missing the geography code column (e.g. 'Lower tier local authorities Code')",
                         file=path, row=1)
    code_col = code_cols[0]
    name_col = code_col.removesuffix(" Code")
    sex_col = next((c for c in frame.columns if c.lower().startswith("sex (") and not c.endswith(" Code")), None)
    counts = _counts(frame, ["Observation"], path)["Observation"]
    rows = []
    for i, (code, age, eth) in enumerate(zip(frame[code_col], frame[age_col], frame[eth_col], strict=True)):
        eth = str(eth).strip()
        if eth.lower() == "does not apply" or _is_total(eth) or _is_total(str(age)):
            continue
        band = parse_age_band(str(age))
        if band is None:
            raise InputError(f"unknown age band {age!r}", file=path, row=i + 2, field=age_col)
        group = group5_of(eth)
        if group is None:
            raise InputError(f"ethnic group {eth!r} is under none of the five census headings", file=path,
                             row=i + 2, field=eth_col)
        sex = "all"
        if sex_col is not None:
            label = str(frame[sex_col].iloc[i]).strip().lower()
            sex = _SEXES.get(label)
            if sex is None:
                raise InputError(f"unknown sex {frame[sex_col].iloc[i]!r}", file=path, row=i + 2, field=sex_col)
        code = str(code).strip()
        if not code:
            raise InputError("missing local authority code", file=path, row=i + 2, field=code_col)
        name = str(frame[name_col].iloc[i]).strip() if name_col in frame.columns else code
        rows.append((code, name, sex, band[0], band[1], eth, group, int(counts.iloc[i])))
    long = pd.DataFrame(rows, columns=list(COLUMNS))
    if long.empty:
        raise InputError("no rows of one sex, age band and ethnic group found", file=path)
    if (long["sex"] != "all").any():
        long = long[long["sex"] != "all"]
    key = ["la_code", "sex", "age_min", "age_max", "ethnic_group"]
    dup = long.duplicated(key)
    if dup.any():
        r = long[dup].iloc[0]
        raise InputError(f"{r['la_code']}, {r['sex']}, ages {r['age_min']}-{r['age_max']}, {r['ethnic_group']} "
                         "appears twice", file=path)
    return _tidy(long)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[list(COLUMNS)].copy()
    out["age_min"] = out["age_min"].astype("int64")
    out["age_max"] = out["age_max"].astype("int64")
    out["count"] = out["count"].astype("int64")
    return out.sort_values(["la_code", "sex", "age_min", "ethnic_group"], kind="stable").reset_index(drop=True)


@cache
def _shipped() -> pd.DataFrame:
    data = (files("threadline") / "reference" / SHIPPED_NAME).read_bytes()
    return _parse(gzip.decompress(data).decode("utf-8-sig"), Path(SHIPPED_NAME))


def shipped_2011() -> pd.DataFrame:
    """The shipped ONS 2011 Census DC2101EW table, tidy: 348 local authorities of England and Wales,
    males and females, 21 age bands, 18 ethnic groups (56,075,912 residents)."""
    frame = _shipped().copy()
    frame.attrs["source"] = SHIPPED_SOURCE
    return frame


def _sex_filter(pop: pd.DataFrame, sex: str | None) -> pd.DataFrame:
    have = set(pop["sex"].unique())
    if sex is None or sex == "all":
        return pop[pop["sex"] != "all"] if have - {"all"} else pop
    if sex not in ("male", "female"):
        raise InputError(f"sex must be male, female or all, not {sex!r}")
    if sex not in have:
        raise InputError(f"the population table has no {sex} figures (only {', '.join(sorted(have))})")
    return pop[pop["sex"] == sex]


def population_for(pop: pd.DataFrame, min_age: int, max_age: int, la_codes=None, sex: str | None = None
                   ) -> pd.DataFrame:
    """Residents aged ``min_age`` to ``max_age`` (inclusive) by authority and five-group ethnicity.

    Sums the census bands wholly inside the range. A band that straddles either end (e.g.
    ``max_age`` 16 against the band 16-17) raises :class:`InputError` naming the band and the ages
    that would align, since splitting a band would invent figures. ``la_codes`` keeps those
    authorities (each must be in the table); ``sex`` is ``male``, ``female`` or ``all`` (default:
    both sexes). Returns ``la_code``, ``la_name``, ``group5``, ``population``: every authority has
    all five groups, zeros included.
    """
    lo, hi = int(min_age), int(max_age)
    if not 0 <= lo <= hi:
        raise InputError(f"ages must satisfy 0 <= min <= max, not {lo}-{hi}")
    frame = _sex_filter(pop, sex)
    if la_codes is not None:
        codes = [la_codes] if isinstance(la_codes, str) else list(la_codes)
        missing = sorted(set(codes) - set(frame["la_code"]))
        if missing:
            raise InputError(f"no population figures for local authority {', '.join(missing)}")
        frame = frame[frame["la_code"].isin(codes)]
    bands = sorted(set(zip(frame["age_min"], frame["age_max"], strict=True)))
    for a, b in bands:
        if a < lo <= b:
            raise InputError(f"the youngest age {lo} falls inside the census age band {a}-{b}; "
                             f"use {a} or {b + 1} as the youngest age")
        if a <= hi < b:
            options = f"{a - 1} or {b}" if a > lo else f"{b}"
            raise InputError(f"the oldest age {hi} falls inside the census age band {a}-{b}; "
                             f"use {options} as the oldest age")
    inside = frame[(frame["age_min"] >= lo) & (frame["age_max"] <= hi)]
    names = frame.drop_duplicates("la_code").set_index("la_code")["la_name"]
    grid = pd.MultiIndex.from_product([sorted(names.index), list(GROUP5)], names=["la_code", "group5"])
    sums = inside.groupby(["la_code", "group5"])["count"].sum().reindex(grid, fill_value=0)
    out = sums.rename("population").reset_index()
    out.insert(1, "la_name", out["la_code"].map(names))
    out["population"] = out["population"].astype("int64")
    out.attrs = dict(pop.attrs)
    return out


def force_total(pop_frame: pd.DataFrame) -> pd.DataFrame:
    """The sum over authorities of a :func:`population_for` result: ``group5``, ``population``."""
    sums = pop_frame.groupby("group5")["population"].sum().reindex(list(GROUP5), fill_value=0)
    out = sums.astype("int64").rename("population").reset_index()
    out.attrs = dict(pop_frame.attrs)
    return out


def _con(ws_or_con):
    return getattr(ws_or_con, "con", ws_or_con)


def import_population(ws_or_con, path: Path | str, source: str | None = None) -> int:
    """Load a census population table (:func:`read_nomis`) into the workspace's ``population`` table.

    An import for an authority replaces every row that authority had, whatever their source, so
    the table holds one set of figures per authority (mixing two censuses for one place would count
    its people twice). All in one transaction. Returns the number of rows stored.
    """
    from threadline.ingest.readers import sha256_of
    from threadline.workspace.transaction import atomic

    path = Path(path)
    frame = read_nomis(path)
    con = _con(ws_or_con)
    frame = frame.assign(source_name=source or path.name, source_sha256=sha256_of(path))
    con.register("_population_in", frame)
    try:
        with atomic(con):
            con.execute("DELETE FROM population WHERE la_code IN (SELECT DISTINCT la_code FROM _population_in)")
            con.execute(
                f"INSERT INTO population ({', '.join(COLUMNS)}, source_name, source_sha256, imported_at) "
                f"SELECT {', '.join(COLUMNS)}, source_name, source_sha256, now()::TIMESTAMP FROM _population_in"
            )
    finally:
        con.unregister("_population_in")
    return len(frame)


def workspace_population(ws_or_con) -> pd.DataFrame:
    """The workspace's population table, tidy, with ``source_name``; the shipped 2011 table when empty.

    ``frame.attrs["source"]`` names where the figures came from and ``frame.attrs["fallback"]`` is
    True when they are the shipped 2011 Census figures (also logged).
    """
    con = _con(ws_or_con)
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'population'"
    ).fetchone()[0]
    if has_table:
        frame = con.execute(
            f"SELECT {', '.join(COLUMNS)}, source_name FROM population ORDER BY la_code, sex, age_min, ethnic_group"
        ).df()
        if not frame.empty:
            for col in ("age_min", "age_max", "count"):
                frame[col] = frame[col].astype("int64")
            frame.attrs["source"] = "; ".join(sorted(frame["source_name"].unique()))
            frame.attrs["fallback"] = False
            return frame
    log.info("the workspace has no population table of its own; using the shipped %s", SHIPPED_SOURCE)
    frame = shipped_2011()
    frame["source_name"] = SHIPPED_SOURCE
    frame.attrs["fallback"] = True
    return frame


__all__ = ["COLUMNS", "force_total", "group5_of", "import_population", "parse_age_band", "population_for",
           "read_nomis", "shipped_2011", "workspace_population"]
