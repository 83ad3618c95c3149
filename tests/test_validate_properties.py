"""Properties of row validation (``validate_frame``) over generated case rows."""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import datetime

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadline import vocab
from threadline.ingest.validate import UK_BOUNDS, validate_frame
from threadline.workspace.schema import migrate

# Each example runs a DuckDB query (~50 ms), so the example counts are modest to keep the suite fast.
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEAVY = settings(SETTINGS, max_examples=40)

ENUMS = {
    "category": vocab.CATEGORIES,
    "location_type": vocab.LOCATION_TYPES,
    "method": vocab.METHODS,
    "circumstance": vocab.CIRCUMSTANCES,
    "victim_sex": vocab.SEXES,
    "victim_ethnicity": vocab.ETHNICITIES,
    "suspect_relationship": vocab.SUSPECT_RELATIONSHIPS,
    "status": vocab.STATUSES,
}
#: What DuckDB's trim() removes: the Unicode space separators (not tabs or newlines).
SPACES = "".join(chr(c) for c in range(0x3001) if unicodedata.category(chr(c)) == "Zs")
TIMESTAMP_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def con():
    """One migrated in-memory register for every example (validate_frame is then ~50 ms a call)."""
    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


# --------------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------------


@st.composite
def spelled(draw, value: str) -> str:
    """``value`` (snake_case) in any mix of case, with each '_' as a run of spaces and hyphens."""
    words = value.split("_")
    seps = draw(st.lists(SEPARATOR, min_size=len(words) - 1, max_size=len(words) - 1))
    text = words[0] + "".join(sep + w for sep, w in zip(seps, words[1:], strict=True))
    mask = draw(st.integers(0, 2 ** len(text) - 1))
    text = "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(text))
    return draw(PAD) + text + draw(PAD)


SEPARATOR = st.text(alphabet=" -", min_size=1, max_size=3)
PAD = st.sampled_from(["", " ", "  "])


def enum_value(values: tuple[str, ...]):
    return st.sampled_from(values).flatmap(lambda v: spelled(v).map(lambda text: (text, v)))


def maybe(strategy):
    """A value, or a missing one (empty or blank text)."""
    return st.one_of(strategy, st.sampled_from([("", None), ("  ", None)]))


ENUM_VALUES = {name: enum_value(values) for name, values in ENUMS.items()}
MAYBE_ENUM_VALUES = {name: maybe(strategy) for name, strategy in ENUM_VALUES.items()}


@st.composite
def stamp(draw, low: datetime, high: datetime) -> tuple[str, datetime]:
    """An ISO timestamp text and the naive datetime it means."""
    when = draw(st.datetimes(min_value=low, max_value=high))
    fmt = draw(st.sampled_from(TIMESTAMP_FORMATS))
    text = when.strftime(fmt)
    return text, datetime.strptime(text, fmt)


@st.composite
def flags(draw) -> tuple[str, str | None]:
    chosen = draw(st.lists(st.sampled_from(vocab.FLAGS), max_size=6))
    items = [draw(spelled(f)) for f in chosen]
    items += [""] * draw(st.integers(0, 2))  # empty items between separators are ignored
    items = draw(st.permutations(items))
    text = ""
    for i, item in enumerate(items):
        text += (draw(st.sampled_from([";", ",", "|", " ; "])) if i else "") + item
    return text, (";".join(sorted(set(chosen))) or None)


EARLIEST, LATEST = datetime(1950, 1, 1), datetime(2024, 12, 31, 23, 59)
ID_CHARS = string.ascii_letters + string.digits + "/-_. "


@st.composite
def valid_case(draw, index: int) -> tuple[dict[str, str], dict[str, object]]:
    """A valid case row (text, as a file carries it) and the values validation should give."""
    raw, want = {}, {}
    case_id = draw(st.text(alphabet=ID_CHARS, max_size=20)).strip(" ") + f"#{index}"
    raw["case_id"] = draw(st.sampled_from(["", " "])) + case_id
    want["case_id"] = case_id
    force = draw(
        st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=20).filter(lambda s: s.strip())
    )
    raw["force"], want["force"] = force, force.strip(" ")
    # occurred_from <= occurred_to <= reported_at, each optional
    reported_text, reported = draw(stamp(EARLIEST, LATEST))
    raw["reported_at"], want["reported_at"] = reported_text, reported
    to_text, to = draw(maybe(stamp(EARLIEST, reported)))
    raw["occurred_to"], want["occurred_to"] = to_text, to
    from_text, from_ = draw(maybe(stamp(EARLIEST, to or reported)))
    raw["occurred_from"], want["occurred_from"] = from_text, from_
    for name in ENUMS:
        raw[name], want[name] = draw(ENUM_VALUES[name] if name == "category" else MAYBE_ENUM_VALUES[name])
    if draw(st.booleans()):
        lat = draw(st.floats(UK_BOUNDS["lat_min"], UK_BOUNDS["lat_max"]))
        lon = draw(st.floats(UK_BOUNDS["lon_min"], UK_BOUNDS["lon_max"]))
        raw["latitude"], raw["longitude"], want["latitude"], want["longitude"] = (
            repr(lat),
            repr(lon),
            lat,
            lon,
        )
    else:
        raw["latitude"] = raw["longitude"] = ""
        want["latitude"] = want["longitude"] = None
    lsoa = draw(st.sampled_from("EW")) + "01" + draw(st.text(alphabet=string.digits, min_size=6, max_size=6))
    raw["lsoa_code"], want["lsoa_code"] = draw(
        maybe(st.sampled_from([lsoa, lsoa.lower()]).map(lambda s: (s, s.upper())))
    )
    age_format = draw(st.sampled_from(["{}", " {} ", "{}.0"]))
    raw["victim_age"], want["victim_age"] = draw(
        maybe(st.integers(0, 120).map(lambda n: (age_format.format(n), n)))
    )
    raw["flags"], want["flags"] = draw(flags())
    narrative = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40))
    raw["narrative"], want["narrative"] = narrative, (narrative.strip(SPACES) or None)
    return raw, want


@st.composite
def valid_cases(draw, min_size: int = 1, max_size: int = 4):
    n = draw(st.integers(min_size, max_size))
    return [draw(valid_case(i)) for i in range(n)]


def frame_of(raws: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(raws, dtype=object)


def _same(got, want) -> bool:
    if want is None:
        return got is None or pd.isna(got)
    if isinstance(want, datetime):
        return pd.Timestamp(got).to_pydatetime() == want
    return got == want


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------


@HEAVY
@given(rows=valid_cases())
def test_valid_rows_are_always_accepted_with_normalised_values(con, rows):
    accepted, rejected = validate_frame("cases", frame_of([raw for raw, _ in rows]), con)
    assert rejected.empty, rejected.to_dict("records")
    assert len(accepted) == len(rows)
    assert list(accepted["_row"]) == list(range(2, len(rows) + 2))
    for (_raw, want), (_, got) in zip(rows, accepted.iterrows(), strict=True):
        for name, value in want.items():
            assert _same(got[name], value), (name, got[name], value)


@SETTINGS
@given(data=st.data())
def test_any_spelling_of_an_allowed_value_normalises(con, data):
    fields = data.draw(st.lists(st.sampled_from(sorted(ENUMS)), min_size=1, max_size=4, unique=True))
    raw = {"case_id": "c1", "force": "Kent", "category": "homicide", "reported_at": "2020-01-01"}
    want = {}
    for name in fields:
        raw[name], want[name] = data.draw(ENUM_VALUES[name])
    accepted, rejected = validate_frame("cases", frame_of([raw]), con)
    assert rejected.empty, rejected.to_dict("records")
    for name, value in want.items():
        assert accepted.loc[0, name] == value


def _normalised(text: str) -> str:
    """What validation makes of a categorical value (``validate.norm_token``, in Python)."""
    return re.sub(r"[\s\-/]+", "_", text.strip(" ").lower())


def _not_spellings(values):
    return st.text(alphabet=string.ascii_letters + " -_", min_size=1, max_size=12).filter(
        lambda s: s.strip(" ") and _normalised(s) not in values
    )


#: field -> strategy of a bad text for it
CORRUPTIONS = {
    "case_id": st.sampled_from(["", "   ", "bad\x01id", "x" * 201]),
    "force": st.sampled_from(["", "  "]),
    "category": _not_spellings(vocab.CATEGORIES),
    "method": _not_spellings(vocab.METHODS),
    "status": _not_spellings(vocab.STATUSES),
    "reported_at": st.sampled_from(
        ["", "yesterday", "2021-02-30", "2021-13-01", "31/12/2021", "2999-01-01", "1899-12-31"]
    ),
    "occurred_from": st.sampled_from(["soon", "2021-00-10", "1800-01-01"]),
    "victim_age": st.one_of(
        st.integers(121, 10_000).map(str),
        st.integers(-500, -1).map(str),
        st.sampled_from(["thirty", "30.5", "1e", "NaN"]),
    ),
    "latitude": st.one_of(
        st.floats(-90, 49.7).map(repr), st.floats(61, 90).map(repr), st.sampled_from(["north", "inf"])
    ),
    "longitude": st.one_of(
        st.floats(-180, -8.8).map(repr), st.floats(1.9, 180).map(repr), st.sampled_from(["west", "-inf"])
    ),
    "lsoa_code": st.sampled_from(["E0101234", "S01006506", "E02000001", "E01-000001", "lsoa"]),
    "flags": _not_spellings(vocab.FLAGS).map(lambda bad: f"knife;{bad}"),
}


@st.composite
def located_case(draw, index: int):
    """A valid case that has coordinates and an earliest time (so corrupting them is a change)."""
    raw, _want = draw(valid_case(index))
    raw["latitude"], raw["longitude"] = "53.8", "-1.55"
    raw["occurred_from"], raw["occurred_to"] = "", ""
    return raw


@HEAVY
@given(data=st.data())
def test_corrupting_one_field_rejects_exactly_that_row_naming_that_field(con, data):
    n = data.draw(st.integers(1, 4))
    raws = [data.draw(located_case(i)) for i in range(n)]
    victim = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(sorted(CORRUPTIONS)))
    raws[victim][field] = data.draw(CORRUPTIONS[field])
    accepted, rejected = validate_frame("cases", frame_of(raws), con)
    assert set(rejected["row"]) == {victim + 2}, rejected.to_dict("records")
    assert set(rejected["field"]) == {field}, rejected.to_dict("records")
    assert len(accepted) == n - 1
    assert victim + 2 not in set(accepted["_row"])


@SETTINGS
@given(
    pairs=st.lists(
        st.tuples(
            st.datetimes(EARLIEST, LATEST),
            st.datetimes(EARLIEST, LATEST),
            st.sampled_from(TIMESTAMP_FORMATS[1:]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_occurred_from_after_occurred_to_is_always_rejected(con, pairs):
    raws, expect_bad = [], set()
    for i, (a, b, fmt) in enumerate(pairs):
        a_text, b_text = a.strftime(fmt), b.strftime(fmt)
        raws.append(
            {
                "case_id": f"c{i}",
                "force": "Kent",
                "category": "homicide",
                "reported_at": "2025-01-01",
                "occurred_from": a_text,
                "occurred_to": b_text,
            }
        )
        if datetime.strptime(a_text, fmt) > datetime.strptime(b_text, fmt):
            expect_bad.add(i + 2)
    accepted, rejected = validate_frame("cases", frame_of(raws), con)
    assert set(rejected["row"]) == expect_bad
    assert set(rejected["field"]) <= {"occurred_to"}
    assert all(reason.startswith("before occurred_from (") for reason in rejected["reason"])
    assert set(accepted["_row"]) == {i + 2 for i in range(len(pairs))} - expect_bad


@SETTINGS
@given(cases=st.lists(flags(), min_size=1, max_size=8))
def test_flags_come_out_sorted_and_deduplicated(con, cases):
    raws = [
        {
            "case_id": f"c{i}",
            "force": "Kent",
            "category": "homicide",
            "reported_at": "2021-01-01",
            "flags": text,
        }
        for i, (text, _want) in enumerate(cases)
    ]
    accepted, rejected = validate_frame("cases", frame_of(raws), con)
    assert rejected.empty, rejected.to_dict("records")
    for (_text, want), got in zip(cases, accepted["flags"], strict=True):
        assert _same(got, want), (got, want)
        if want:
            items = got.split(";")
            assert items == sorted(set(items))


def test_validate_frame_without_a_connection_treats_every_reference_as_unknown():
    frame = pd.DataFrame(
        [
            {
                "case_id": "c1",
                "force": "Kent",
                "category": "homicide",
                "reported_at": "2021-01-01",
                "victim_person_id": "p1",
            },
            {"case_id": "c2", "force": "Kent", "category": "homicide", "reported_at": "2021-01-01"},
        ]
    )
    accepted, rejected = validate_frame("cases", frame)
    assert list(accepted["case_id"]) == ["c2"]
    assert rejected[["row", "field"]].values.tolist() == [[2, "victim_person_id"]]


def test_validate_frame_converts_grid_references():
    frame = pd.DataFrame(
        [
            {
                "case_id": "c1",
                "force": "Kent",
                "category": "homicide",
                "reported_at": "2021-01-01",
                "easting": "429835",
                "northing": "433561",
            }
        ]
    )
    accepted, rejected = validate_frame("cases", frame)
    assert rejected.empty
    assert round(accepted.loc[0, "latitude"], 2) == 53.80 and round(accepted.loc[0, "longitude"], 2) == -1.55
