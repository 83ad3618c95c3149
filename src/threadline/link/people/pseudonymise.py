"""Privacy-preserving person linkage: keyed HMAC tokens and keyed Bloom-filter encodings (CLKs).

A partner who may not send names runs :func:`pseudonymise_file` (``threadline pseudonymise``) on
its own machine with a secret key shared with the police data controller, who encodes the police
person register with the same key. Linkage then runs on the encodings only:

- **HMAC tokens** (:func:`hmac_tokens`): keyed HMAC-SHA256 (truncated to 96 bits) of normalised
  identifiers and of derived values chosen so that the common recording errors survive as token
  equality: the canonical given names a nickname stands for, the one-deletion neighbourhood of
  each name (two names within one edit, including a swap of adjacent letters, share a token),
  Soundex codes, the date of birth with day and month swapped, year and month, postcode sector
  and outward code. :func:`link_fellegi_sunter` links them with a Fellegi-Sunter model whose
  m-probabilities are estimated by EM and u-probabilities from random pairs, exactly as it links
  clear text (where names are compared by Jaro-Winkler instead).
- **CLKs** (:func:`clk_encode`): a 1024-bit record-level Bloom filter (Schnell, Bachteler and
  Reiher 2009) of name bigrams and date-of-birth, sex and postcode features, each hashed into
  ``k`` positions by keyed double hashing (HMAC-SHA256 with two derived keys). :func:`link_clk`
  scores blocked candidate pairs by the Dice coefficient (NumPy popcount on packed ``uint64``)
  and keeps, for each partner record, the best person above a threshold (greedy, as anonlink).

:func:`compare_clear_vs_pseudonymised` measures what this costs against clear text on the same
synthetic partner data. No function here logs or prints a name, a date of birth or a postcode.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from threadline.errors import InputError

# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

KEY_BYTES = 32
TOKEN_BYTES = 12  # 96-bit tokens: collisions are negligible at any realistic register size
CLK_BITS = 1024


def new_key_file(path: str | Path) -> Path:
    """Write a new random 256-bit key (64 hex characters) to ``path``; refuse to overwrite."""
    path = Path(path)
    if path.exists():
        raise InputError("the key file already exists; refusing to overwrite it", file=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_bytes(KEY_BYTES).hex() + "\n", encoding="ascii")
    with contextlib.suppress(OSError):  # e.g. some network drives
        path.chmod(0o600)
    return path


def read_key_file(path: str | Path) -> bytes:
    """The key in ``path``: 64 hex characters (as :func:`new_key_file` writes) or 32+ raw bytes."""
    path = Path(path)
    if not path.is_file():
        raise InputError("key file not found (create one with: threadline pseudonymise --new-key KEYFILE)",
                         file=path)
    raw = path.read_bytes()
    text = raw.strip()
    key = bytes.fromhex(text.decode("ascii")) if re.fullmatch(rb"[0-9a-fA-F]{64,}", text) else raw
    if len(key) < KEY_BYTES:
        raise InputError(f"the key is too short ({len(key)} bytes; need at least {KEY_BYTES})", file=path)
    return key


def _subkey(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, b"threadline-pseudonymise-v1|" + purpose.encode(), hashlib.sha256).digest()


# --------------------------------------------------------------------------------------------
# Normalisation (pure functions)
# --------------------------------------------------------------------------------------------


def norm_name(value: object) -> str:
    """Lower-case ASCII letters only: accents stripped, spaces, hyphens and apostrophes removed."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = unicodedata.normalize("NFKD", str(value))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z]", "", s)


@lru_cache(maxsize=1)
def _nickname_parents() -> dict[str, tuple[str, ...]]:
    """Nickname -> the formal given names it stands for (from the shipped nickname table)."""
    shipped = files("threadline").joinpath("reference", "given-name-nicknames.csv")
    shared = Path("/work/shared/data/reference/given-name-nicknames.csv")
    path = shipped if shipped.is_file() else shared
    out: dict[str, set[str]] = {}
    with path.open("r", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("relationship") != "has_nickname":
                continue
            formal, nick = norm_name(row["name1"]), norm_name(row["name2"])
            if formal and nick:
                out.setdefault(nick, set()).add(formal)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def given_name_equivalents(given: object) -> tuple[str, ...]:
    """The name and every formal name it is a nickname of: two records agree on a nickname when
    these sets intersect (Bob and Robert share ``robert``; Bob and Rob share it too)."""
    g = norm_name(given)
    if not g:
        return ()
    return tuple(sorted({g, *_nickname_parents().get(g, ())}))


def deletion_neighbourhood(name: str) -> tuple[str, ...]:
    """The name and each string with one letter deleted. Two names within one edit (substitution,
    insertion, deletion or swap of adjacent letters) share at least one element."""
    if not name:
        return ()
    return tuple(sorted({name, *(name[:i] + name[i + 1 :] for i in range(len(name)))}))


_SOUNDEX = {c: d for d, letters in
            {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items() for c in letters}


def soundex(name: str) -> str:
    """American Soundex of a normalised name (``robert`` -> ``r163``); empty for an empty name."""
    if not name:
        return ""
    out, last = [name[0]], _SOUNDEX.get(name[0], "")
    for c in name[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != last:
            out.append(code)
        if c not in "hw":
            last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


_DOB = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def norm_dob(value: object) -> tuple[str, str, str] | None:
    """(year, month, day) of an ISO date ``YYYY-MM-DD``; None when missing or not such a date."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    m = _DOB.match(str(value).strip()[:10])
    if not m:
        return None
    y, mo, d = m.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
        return None
    return y, mo, d


def norm_postcode(value: object) -> tuple[str, str, str] | None:
    """(full, sector, outward) of a UK postcode, upper-case without spaces; None when unusable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = re.sub(r"[^A-Z0-9]", "", str(value).upper())
    if len(s) < 5 or len(s) > 7:
        return None
    outward, inward = s[:-3], s[-3:]
    return outward + inward, outward + inward[0], outward


def norm_sex(value: object) -> str:
    s = str(value or "").strip().lower()
    return {"m": "male", "f": "female"}.get(s, s) if s in {"m", "f", "male", "female"} else ""


def age_band(value: object) -> str:
    """Five-year age band ``25-29`` (``90+``); empty when missing."""
    try:
        a = int(float(str(value)))
    except (TypeError, ValueError):
        return ""
    if a < 0:
        return ""
    if a >= 90:
        return "90+"
    lo = a - a % 5
    return f"{lo}-{lo + 4}"


@dataclass(frozen=True)
class Identifiers:
    """The normalised identifiers of one record: the linkage fields, in clear (never written)."""

    given: str = ""
    family: str = ""
    dob: tuple[str, str, str] | None = None
    sex: str = ""
    postcode: tuple[str, str, str] | None = None


def identifiers(given: object, family: object, dob: object, sex: object, postcode: object) -> Identifiers:
    return Identifiers(norm_name(given), norm_name(family), norm_dob(dob), norm_sex(sex), norm_postcode(postcode))


def features(ids: Identifiers) -> dict[str, list[str]]:
    """The comparison features of a record in clear: single values and sets, by field.

    The same features, keyed, are the HMAC tokens; :func:`link_fellegi_sunter` uses them either way.
    """
    f: dict[str, list[str]] = {}
    g, fam = ids.given, ids.family
    f["gn"] = [g] if g else []
    f["gn_eq"] = list(given_name_equivalents(g))
    f["gn_del"] = list(deletion_neighbourhood(g))
    f["gn_sdx"] = [soundex(g)] if g else []
    f["fn"] = [fam] if fam else []
    f["fn_del"] = list(deletion_neighbourhood(fam))
    f["fn_sdx"] = [soundex(fam)] if fam else []
    if ids.dob:
        y, m, d = ids.dob
        f["dob"] = [f"{y}-{m}-{d}"]
        f["dob_sw"] = sorted({f"{y}-{m}-{d}", f"{y}-{d}-{m}"})
        f["dob_ym"] = [f"{y}-{m}"]
        f["dob_y"] = [y]
    else:
        f["dob"] = f["dob_sw"] = f["dob_ym"] = f["dob_y"] = []
    f["sex"] = [ids.sex] if ids.sex else []
    if ids.postcode:
        f["pc"], f["pc_sector"], f["pc_out"] = ([x] for x in ids.postcode)
    else:
        f["pc"] = f["pc_sector"] = f["pc_out"] = []
    return f


FEATURES: tuple[str, ...] = ("gn", "gn_eq", "gn_del", "gn_sdx", "fn", "fn_del", "fn_sdx", "dob", "dob_sw",
                             "dob_ym", "dob_y", "sex", "pc", "pc_sector", "pc_out")
SET_FEATURES = frozenset({"gn_eq", "gn_del", "dob_sw", "fn_del"})

# --------------------------------------------------------------------------------------------
# HMAC tokens
# --------------------------------------------------------------------------------------------


class HmacTokeniser:
    """Keyed HMAC-SHA256 of ``field|value``, truncated to 96 bits and base64url-encoded.

    The field name is part of the message, so equal values in different fields give different
    tokens (a surname token says nothing about a given-name token).
    """

    def __init__(self, key: bytes):
        self._key = _subkey(key, "hmac")
        self._cache: dict[tuple[str, str], str] = {}

    def token(self, field: str, value: str) -> str:
        k = (field, value)
        t = self._cache.get(k)
        if t is None:
            digest = hmac.new(self._key, f"{field}|{value}".encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
            t = base64.urlsafe_b64encode(digest).decode("ascii")
            self._cache[k] = t
        return t


def hmac_tokens(ids: Identifiers, tokeniser: HmacTokeniser) -> dict[str, list[str]]:
    """The keyed tokens of a record's features (each field a list; sets sorted by token)."""
    # ``dob_sw`` must agree between a date and its swap, so both sides token the same pair of values.
    return {name: sorted({tokeniser.token(name, v) for v in vals}) for name, vals in features(ids).items()}


# --------------------------------------------------------------------------------------------
# CLKs (keyed Bloom filters)
# --------------------------------------------------------------------------------------------

#: Hash functions per feature, by field (names carry most of the evidence; ASSUMPTION, tuned on
#: development seeds 11-12 only).
CLK_K: dict[str, int] = {"g": 12, "f": 12, "y": 12, "md": 12, "dm": 6, "s": 3, "po": 6, "pf": 6}


def _bigrams(name: str) -> list[str]:
    s = f"_{name}_"
    return [s[i : i + 2] for i in range(len(s) - 1)]


def clk_features(ids: Identifiers) -> list[tuple[str, int]]:
    """(feature, number of hash functions) inserted into a record's CLK."""
    out: list[tuple[str, int]] = []
    if ids.given:
        out += [(f"g:{b}", CLK_K["g"]) for b in _bigrams(ids.given)]
    if ids.family:
        out += [(f"f:{b}", CLK_K["f"]) for b in _bigrams(ids.family)]
    if ids.dob:
        y, m, d = ids.dob
        out.append((f"y:{y}", CLK_K["y"]))
        out.append((f"md:{m}-{d}", CLK_K["md"]))
        out.append((f"dm:{min(m, d)}-{max(m, d)}", CLK_K["dm"]))  # survives a day/month swap
    if ids.sex:
        out.append((f"s:{ids.sex}", CLK_K["s"]))
    if ids.postcode:
        out.append((f"po:{ids.postcode[2]}", CLK_K["po"]))
        out.append((f"pf:{ids.postcode[0]}", CLK_K["pf"]))
    return out


class ClkEncoder:
    """Keyed double hashing (Kirsch and Mitzenmacher): position_i = (h1 + i * h2) mod bits, with
    h1 and h2 two HMAC-SHA256 digests under different derived keys."""

    def __init__(self, key: bytes, bits: int = CLK_BITS):
        if bits % 64:
            raise ValueError("bits must be a multiple of 64")
        self.bits = bits
        self._k1, self._k2 = _subkey(key, "clk-1"), _subkey(key, "clk-2")
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def positions(self, feature: str, k: int) -> np.ndarray:
        key = (feature, k)
        p = self._cache.get(key)
        if p is None:
            msg = feature.encode()
            h1 = int.from_bytes(hmac.new(self._k1, msg, hashlib.sha256).digest()[:8], "big")
            h2 = int.from_bytes(hmac.new(self._k2, msg, hashlib.sha256).digest()[:8], "big") | 1
            p = np.array([(h1 + i * h2) % self.bits for i in range(k)], dtype=np.int64)
            self._cache[key] = p
        return p

    def encode(self, ids: Identifiers) -> np.ndarray:
        """The CLK as ``bits // 8`` bytes (uint8)."""
        bits = np.zeros(self.bits, dtype=bool)
        for feat, k in clk_features(ids):
            bits[self.positions(feat, k)] = True
        return np.packbits(bits)


def clk_encode(ids: Identifiers, encoder: ClkEncoder) -> str:
    """The CLK of a record, base64-encoded."""
    return base64.b64encode(encoder.encode(ids).tobytes()).decode("ascii")


def clk_decode(values: Iterable[str], bits: int = CLK_BITS) -> np.ndarray:
    """Base64 CLKs -> an ``(n, bits // 64)`` uint64 array (an empty string gives all zeros)."""
    n_bytes = bits // 8
    vals = list(values)
    out = np.zeros((len(vals), n_bytes), dtype=np.uint8)
    for i, v in enumerate(vals):
        if v:
            b = base64.b64decode(v)
            if len(b) != n_bytes:
                raise InputError(f"a CLK has {len(b) * 8} bits, expected {bits}")
            out[i] = np.frombuffer(b, dtype=np.uint8)
    return out.view(np.uint64)


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Dice coefficient 2|a&b| / (|a|+|b|) of packed uint64 bit arrays of equal shape."""
    inter = np.bitwise_count(a & b).sum(axis=1, dtype=np.int64)
    tot = np.bitwise_count(a).sum(axis=1, dtype=np.int64) + np.bitwise_count(b).sum(axis=1, dtype=np.int64)
    return np.where(tot > 0, 2.0 * inter / np.maximum(tot, 1), 0.0)


# --------------------------------------------------------------------------------------------
# Encoding files
# --------------------------------------------------------------------------------------------

#: Input columns that identify a person: never written to an encoded file.
IDENTIFYING = ("given_name", "family_name", "date_of_birth", "postcode", "aliases")
#: Free text can hold names and addresses: dropped from encoded files.
FREE_TEXT = ("narrative", "location_text")
#: Columns copied as they are (the rest of the partner-records and persons import formats).
KEEP = ("record_id", "person_id", "agency", "record_type", "occurred_at", "latitude", "longitude", "easting",
        "northing", "lsoa_code", "sex", "ethnicity", "weapon", "assailant_count")
TOKEN_PREFIX = "tok_"
METHODS = ("hmac", "clk", "both")


def encode_frame(df: pd.DataFrame, key: bytes, method: str = "both", *, source: str | None = None) -> pd.DataFrame:
    """Encode a partner-records or persons frame (strings, empty for missing).

    Keeps the non-identifying columns, replaces ``age`` by ``age_band``, ``source_person_ref`` by its
    token, drops names, date of birth, postcode, aliases and free text, and adds ``tok_<feature>``
    columns (``;``-separated tokens) and/or a ``clk`` column (base64).
    """
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    id_col = "record_id" if "record_id" in df.columns else "person_id" if "person_id" in df.columns else None
    if id_col is None:
        raise InputError("no record_id (partner records) or person_id (persons) column", file=source)
    if not ({"given_name", "family_name", "date_of_birth"} & set(df.columns)):
        raise InputError("no given_name, family_name or date_of_birth column: nothing to pseudonymise",
                         file=source)
    df = df.fillna("").astype(str)
    for i, v in enumerate(df[id_col].tolist()):
        if not v.strip():
            raise InputError(f"{id_col} is empty", file=source, row=i + 2, field=id_col)
    if "date_of_birth" in df.columns:
        for i, v in enumerate(df["date_of_birth"].tolist()):
            if v.strip() and norm_dob(v) is None:
                raise InputError("not a date like 1990-04-25", file=source, row=i + 2, field="date_of_birth")
    out = pd.DataFrame({c: df[c] for c in KEEP if c in df.columns})
    if "age" in df.columns:
        out["age_band"] = df["age"].map(age_band)
    col = df.get
    empty = pd.Series([""] * len(df), index=df.index)
    ids = [identifiers(g, f, d, s, p) for g, f, d, s, p in zip(
        col("given_name", empty), col("family_name", empty), col("date_of_birth", empty), col("sex", empty),
        col("postcode", empty), strict=True)]
    if method in ("hmac", "both"):
        tk = HmacTokeniser(key)
        toks = [hmac_tokens(x, tk) for x in ids]
        for name in FEATURES:
            out[TOKEN_PREFIX + name] = [";".join(t[name]) for t in toks]
        if "source_person_ref" in df.columns:
            out["source_person_ref_token"] = [tk.token("source_person_ref", v) if v else ""
                                             for v in df["source_person_ref"]]
    if method in ("clk", "both"):
        enc = ClkEncoder(key)
        out["clk"] = [clk_encode(x, enc) if (x.given or x.family or x.dob) else "" for x in ids]
        if method == "clk":  # blocking keys for CLK matching: only coarse tokens
            tk = HmacTokeniser(key)
            for name in ("dob_y", "gn_sdx", "fn_sdx"):
                out[TOKEN_PREFIX + name] = [";".join(hmac_tokens(x, tk)[name]) for x in ids]
    return out


def read_extract(path: str | Path) -> pd.DataFrame:
    """Read a partner extract or persons CSV as strings; one-line errors for unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (save it as CSV UTF-8)", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV ({str(exc).splitlines()[0] if str(exc) else 'empty'})",
                         file=path) from None
    return df


def pseudonymise_file(path: str | Path, key_file: str | Path, out: str | Path, method: str = "both") -> int:
    """Encode a CSV extract to ``out``; return the number of records written."""
    key = read_key_file(key_file)
    df = read_extract(path)
    enc = encode_frame(df, key, method, source=path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    enc.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(out)
    return len(enc)


def _token_lists(enc: pd.DataFrame) -> dict[str, list[list[str]]]:
    return {name: [v.split(";") if v else [] for v in enc[TOKEN_PREFIX + name].fillna("")]
            for name in FEATURES if TOKEN_PREFIX + name in enc.columns}


# --------------------------------------------------------------------------------------------
# Fellegi-Sunter linkage (clear text or tokens)
# --------------------------------------------------------------------------------------------

#: Blocking rules: a pair is a candidate when it agrees on every feature of any one rule.
BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("dob_sw",), ("fn_sdx", "dob_y"), ("gn_sdx", "fn_sdx"), ("pc", "gn_sdx"), ("gn_eq", "dob_ym"),
)


def _long(feats: dict[str, list[list[str]]], name: str) -> pd.DataFrame:
    vals = feats[name]
    lens = np.fromiter((len(v) for v in vals), dtype=np.int64, count=len(vals))
    return pd.DataFrame({"i": np.repeat(np.arange(len(vals)), lens),
                         "v": [x for v in vals for x in v]})


def candidate_pairs(left: dict[str, list[list[str]]], right: dict[str, list[list[str]]],
                    rules: tuple[tuple[str, ...], ...] = BLOCKING_RULES) -> pd.DataFrame:
    """(l, r) row pairs agreeing on every feature of at least one rule (exact value or token)."""
    parts = []
    for rule in rules:
        pairs = None
        for name in rule:
            m = _long(left, name).merge(_long(right, name), on="v", suffixes=("_l", "_r"))[["i_l", "i_r"]]
            m = m.drop_duplicates()
            pairs = m if pairs is None else pairs.merge(m, on=["i_l", "i_r"])
        parts.append(pairs)
    out = pd.concat(parts, ignore_index=True).drop_duplicates()
    return out.rename(columns={"i_l": "l", "i_r": "r"}).reset_index(drop=True)


def _agree(left: list[list[str]], right: list[list[str]], li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Per pair: 1 if the two value sets intersect, 0 if not, -1 if either is empty."""
    out = np.empty(len(li), dtype=np.int8)
    for n, (a, b) in enumerate(zip(li.tolist(), ri.tolist(), strict=True)):
        x, y = left[a], right[b]
        if not x or not y:
            out[n] = -1
        elif len(x) == 1 and len(y) == 1:
            out[n] = x[0] == y[0]
        else:
            out[n] = not set(x).isdisjoint(y)
    return out


def _jaro_winkler(a: list[str], b: list[str]) -> np.ndarray:
    import duckdb

    con = duckdb.connect()
    con.register("p", pd.DataFrame({"a": a, "b": b}))
    return con.execute("select jaro_winkler_similarity(a, b) from p").fetchnumpy()[
        "jaro_winkler_similarity(a, b)"].astype(float)


def comparison_levels(left: dict[str, list[list[str]]], right: dict[str, list[list[str]]], pairs: pd.DataFrame,
                      mode: str) -> np.ndarray:
    """The comparison vector of each pair: one level per field (-1 = missing, 0 = disagree, higher =
    closer). ``mode`` ``"clear"`` compares names by Jaro-Winkler (>= 0.92, >= 0.80); ``"tokens"`` by
    the one-deletion neighbourhood and Soundex, the only fuzziness keyed tokens allow. Both share
    exact and nickname levels and every date, sex and postcode level.
    """
    li, ri = pairs["l"].to_numpy(), pairs["r"].to_numpy()
    cols = []
    for pre in ("gn", "fn"):
        exact = _agree(left[pre], right[pre], li, ri)
        lev = np.where(exact == 1, 4, 0).astype(np.int8)
        if pre == "gn":
            nick = _agree(left["gn_eq"], right["gn_eq"], li, ri)
            lev = np.where((lev == 0) & (nick == 1), 3, lev)
        if mode == "clear":
            a = [left[pre][i][0] if left[pre][i] else "" for i in li]
            b = [right[pre][i][0] if right[pre][i] else "" for i in ri]
            jw = _jaro_winkler(a, b)
            lev = np.where((lev == 0) & (jw >= 0.92), 2, lev)
            lev = np.where((lev == 0) & (jw >= 0.80), 1, lev)
        elif mode == "tokens":
            d1 = _agree(left[f"{pre}_del"], right[f"{pre}_del"], li, ri)
            sdx = _agree(left[f"{pre}_sdx"], right[f"{pre}_sdx"], li, ri)
            lev = np.where((lev == 0) & (d1 == 1), 2, lev)
            lev = np.where((lev == 0) & (sdx == 1), 1, lev)
        else:
            raise ValueError(mode)
        cols.append(np.where(exact == -1, -1, lev))
    dob = _agree(left["dob"], right["dob"], li, ri)
    sw = _agree(left["dob_sw"], right["dob_sw"], li, ri)
    ym = _agree(left["dob_ym"], right["dob_ym"], li, ri)
    y = _agree(left["dob_y"], right["dob_y"], li, ri)
    lev = np.select([dob == -1, dob == 1, sw == 1, ym == 1, y == 1], [-1, 4, 3, 2, 1], 0)
    cols.append(lev)
    cols.append(_agree(left["sex"], right["sex"], li, ri))
    pc = _agree(left["pc"], right["pc"], li, ri)
    sec = _agree(left["pc_sector"], right["pc_sector"], li, ri)
    out = _agree(left["pc_out"], right["pc_out"], li, ri)
    cols.append(np.select([pc == -1, pc == 1, sec == 1, out == 1], [-1, 3, 2, 1], 0))
    return np.stack(cols, axis=1).astype(np.int8)


FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "postcode")


@dataclass
class FellegiSunterModel:
    """m and u per field and level (index = level), and the prior match probability of a pair."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float

    def weights(self, gamma: np.ndarray) -> np.ndarray:
        """log2 Bayes factor of each pair (missing levels contribute nothing)."""
        w = np.zeros(len(gamma))
        for j in range(gamma.shape[1]):
            g = gamma[:, j]
            lw = np.log2(np.maximum(self.m[j], 1e-9) / np.maximum(self.u[j], 1e-9))
            w += np.where(g >= 0, lw[np.maximum(g, 0)], 0.0)
        return w

    def probability(self, gamma: np.ndarray) -> np.ndarray:
        lo = self.weights(gamma) + np.log2(self.prior / (1 - self.prior))
        return 1.0 / (1.0 + np.exp2(-lo))


def _level_freqs(g: np.ndarray, n_levels: int, w: np.ndarray | None = None) -> np.ndarray:
    ok = g >= 0
    wts = np.ones(len(g)) if w is None else w
    f = np.bincount(g[ok], weights=wts[ok], minlength=n_levels)[:n_levels] + 0.5  # light smoothing
    return f / f.sum()


def estimate_model(gamma: np.ndarray, gamma_random: np.ndarray, n_levels: list[int], *, iterations: int = 50,
                   prior: float = 0.1, min_pairs: int = 30) -> FellegiSunterModel:
    """Estimate a Fellegi-Sunter model without labels, as Splink does in three steps.

    - **u** per field from random pairs (almost all non-matches);
    - **m** per field by "blocking on the other fields": among candidate pairs that agree exactly on
      every *other* identifying field (given name, family name, date of birth, postcode), which are
      nearly all true matches, the share of each level of this field (the pairs' own recording
      errors being independent across fields). A field with fewer than ``min_pairs`` such pairs
      keeps an uninformative "closer is likelier" m;
    - the **prior** (share of matches among candidates) by EM with m and u held fixed.
    Plain two-class EM on all three was tried first and converged to a class defined by postcode
    agreement (missing every record of someone who had moved), hence this.
    """
    k = gamma.shape[1]
    u = [_level_freqs(gamma_random[:, j], n_levels[j]) for j in range(k)]
    top = np.stack([gamma[:, j] == n_levels[j] - 1 for j in range(k)], axis=1)
    identifying = [j for j in range(k) if n_levels[j] > 2]  # sex is too weak to vouch for a pair
    m = []
    for j in range(k):
        others = [i for i in identifying if i != j]
        sure = top[:, others].all(axis=1) & (gamma[:, j] >= 0)
        if sure.sum() >= min_pairs:
            m.append(_level_freqs(gamma[sure, j], n_levels[j]))
        else:
            x = np.linspace(0.1, 1.0, n_levels[j]) ** 3
            m.append(x / x.sum())
    model = FellegiSunterModel(m, u, prior)
    for _ in range(iterations):
        model.prior = float(np.clip(model.probability(gamma).mean(), 1e-6, 1 - 1e-6))
    return model


LEVELS = [5, 5, 5, 2, 4]  # given, family, dob, sex, postcode


def link_fellegi_sunter(left: dict[str, list[list[str]]], right: dict[str, list[list[str]]], mode: str, *,
                        threshold: float = 0.5, random_pairs: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """Link each left record (partner) to its most probable right record (person), if any.

    Returns one row per linked left record: ``l``, ``r``, ``probability``. Left records may share a
    right record (repeat contacts of one person); each left record takes at most one.
    """
    pairs = candidate_pairs(left, right)
    gamma = comparison_levels(left, right, pairs, mode)
    rng = np.random.default_rng(seed)
    n_l, n_r = len(next(iter(left.values()))), len(next(iter(right.values())))
    rnd = pd.DataFrame({"l": rng.integers(0, n_l, random_pairs), "r": rng.integers(0, n_r, random_pairs)})
    gamma_r = comparison_levels(left, right, rnd, mode)
    model = estimate_model(gamma, gamma_r, LEVELS)
    pairs = pairs.assign(probability=model.probability(gamma))
    best = pairs.sort_values(["l", "probability"], ascending=[True, False]).drop_duplicates("l")
    return best[best["probability"] >= threshold].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# CLK linkage
# --------------------------------------------------------------------------------------------

CLK_BLOCKING: tuple[tuple[str, ...], ...] = (("dob_y",), ("gn_sdx", "fn_sdx"))
CLK_THRESHOLD = 0.89  # best F1 on development seeds 11-12 (0.931, 0.930); not tuned on others


def link_clk(left_clk: np.ndarray, right_clk: np.ndarray, left_blocks: dict[str, list[list[str]]],
             right_blocks: dict[str, list[list[str]]], *, threshold: float = CLK_THRESHOLD) -> pd.DataFrame:
    """Dice-score blocked pairs of packed CLKs; each left record takes its best right record at or
    above ``threshold`` (greedy by score). Returns ``l``, ``r``, ``dice``."""
    pairs = candidate_pairs(left_blocks, right_blocks, CLK_BLOCKING)
    li, ri = pairs["l"].to_numpy(), pairs["r"].to_numpy()
    score = np.empty(len(li))
    step = 500_000
    for s in range(0, len(li), step):
        score[s : s + step] = dice(left_clk[li[s : s + step]], right_clk[ri[s : s + step]])
    pairs = pairs.assign(dice=score)
    best = pairs.sort_values(["l", "dice"], ascending=[True, False]).drop_duplicates("l")
    return best[best["dice"] >= threshold].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Evaluation: clear text against pseudonymised, on the same synthetic partner data
# --------------------------------------------------------------------------------------------


def _clear_features(df: pd.DataFrame) -> dict[str, list[list[str]]]:
    fs = [features(identifiers(g, f, d, s, p)) for g, f, d, s, p in zip(
        df["given_name"], df["family_name"], df["date_of_birth"], df["sex"], df["postcode"], strict=True)]
    return {name: [x[name] for x in fs] for name in FEATURES}


def score_links(pred: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Precision, recall and F1 of predicted person ids (empty = not linked) against the truth."""
    pred, truth = pred.fillna("").astype(str), truth.fillna("").astype(str)
    linked = pred != ""
    tp = int(((pred == truth) & linked).sum())
    fp = int((linked & (pred != truth)).sum())
    pos = int((truth != "").sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / pos if pos else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "positives": pos}


def compare_clear_vs_pseudonymised(seed: int, workdir: str | Path, *, years: int = 1, population_scale: float = 1.0,
                                   key: bytes | None = None, verbose: bool = True) -> dict:
    """Link the identifiable synthetic partner records to the person register three ways (clear
    text, HMAC tokens, CLKs) and score each against the truth.

    Returns ``{"seed", "n_records", "n_persons", "clear": {...}, "hmac": {...}, "clk": {...},
    "loss_hmac", "loss_clk"}`` where each method's dict has precision, recall, f1, tp, fp,
    positives and seconds, and a loss is clear F1 minus that method's F1.
    """
    import datetime
    import time

    from threadline.synth import synthesise

    workdir = Path(workdir)
    out_dir = workdir / f"synth-{seed}"
    if not (out_dir / "partner-records.csv").is_file():
        synthesise(out_dir, years=years, seed=seed, end=datetime.date(2024, 12, 31),
                   population_scale=population_scale)
    persons = read_extract(out_dir / "persons.csv")
    partners = read_extract(out_dir / "partner-records.csv")
    truth = read_extract(out_dir / "truth" / "partner_identity.csv")
    ident = truth[truth["match_type"].isin(["identifiable_match", "non_match"])]
    partners = partners.merge(ident[["record_id", "agency", "person_id"]], on=["record_id", "agency"])
    partners = partners.reset_index(drop=True)
    truth_pid = partners.pop("person_id")

    key = key or secrets.token_bytes(KEY_BYTES)
    results: dict = {"seed": seed, "n_records": len(partners), "n_persons": len(persons)}
    person_ids = persons["person_id"].to_numpy()

    def _score(links: pd.DataFrame) -> dict:
        pred = pd.Series([""] * len(partners))
        pred.iloc[links["l"].to_numpy()] = person_ids[links["r"].to_numpy()]
        return score_links(pred, truth_pid)

    t = time.perf_counter()
    clear = link_fellegi_sunter(_clear_features(partners), _clear_features(persons), "clear", seed=seed)
    results["clear"] = {**_score(clear), "seconds": time.perf_counter() - t}

    t = time.perf_counter()
    enc_p = encode_frame(partners, key, "both")
    enc_r = encode_frame(persons, key, "both")
    encode_s = time.perf_counter() - t
    t = time.perf_counter()
    hm = link_fellegi_sunter(_token_lists(enc_p), _token_lists(enc_r), "tokens", seed=seed)
    results["hmac"] = {**_score(hm), "seconds": time.perf_counter() - t}
    t = time.perf_counter()
    ck = link_clk(clk_decode(enc_p["clk"]), clk_decode(enc_r["clk"]), _token_lists(enc_p), _token_lists(enc_r))
    results["clk"] = {**_score(ck), "seconds": time.perf_counter() - t}
    results["encode_seconds"] = encode_s
    results["loss_hmac"] = results["clear"]["f1"] - results["hmac"]["f1"]
    results["loss_clk"] = results["clear"]["f1"] - results["clk"]["f1"]
    if verbose:
        print(f"seed {seed}: {len(partners)} identifiable partner records, {len(persons)} persons")
        for name in ("clear", "hmac", "clk"):
            r = results[name]
            loss = "" if name == "clear" else f"  F1 loss vs clear {results['loss_' + name]:+.4f}"
            print(f"  {name:<5} precision {r['precision']:.4f} recall {r['recall']:.4f} F1 {r['f1']:.4f}"
                  f" ({r['seconds']:.1f} s){loss}")
    return results


# --------------------------------------------------------------------------------------------
# Linking two pseudonymised files (the force's people and a partner's records, same key)
# --------------------------------------------------------------------------------------------


def _id_column(enc: pd.DataFrame, path: Path) -> pd.Series:
    if "record_id" in enc.columns:
        ids = enc["record_id"].astype(str)
        return (enc["agency"].astype(str) + ":" + ids) if "agency" in enc.columns else ids
    if "person_id" in enc.columns:
        return enc["person_id"].astype(str)
    raise InputError("not a pseudonymised file: it has no record_id or person_id column", file=path, row=1)


def link_pseudonymised_files(partner: str | Path, persons: str | Path, out: str | Path, *, method: str = "hmac",
                             threshold: float = 0.5) -> int:
    """Link a partner's pseudonymised records to the force's pseudonymised people (both made by
    :func:`pseudonymise_file` with the same key) and write ``record, person_id, probability``.

    ``method``: ``hmac`` (Fellegi-Sunter on the keyed tokens, the recommended method) or ``clk``
    (Dice on the Bloom filters). Nothing identifying is read or written: only tokens, filters and ids.
    Returns the number of links written.
    """
    if method not in ("hmac", "clk"):
        raise InputError(f"--method is hmac or clk, not {method!r}")
    frames = {}
    for name, path in (("partner", Path(partner)), ("persons", Path(persons))):
        if not path.exists():
            raise InputError("no such file", file=path)
        enc = read_extract(path)
        needed = "clk" if method == "clk" else TOKEN_PREFIX + FEATURES[0]
        if needed not in enc.columns:
            raise InputError(f"no {needed} column: pseudonymise it with --method {method} or both", file=path, row=1)
        frames[name] = (enc, _id_column(enc, path))
    (enc_p, ids_p), (enc_r, ids_r) = frames["partner"], frames["persons"]
    if method == "hmac":
        links = link_fellegi_sunter(_token_lists(enc_p), _token_lists(enc_r), "tokens", threshold=threshold)
        score = links["probability"]
    else:
        links = link_clk(clk_decode(enc_p["clk"]), clk_decode(enc_r["clk"]), _token_lists(enc_p), _token_lists(enc_r))
        score = links["dice"]
    result = pd.DataFrame({"record": ids_p.to_numpy()[links["l"].to_numpy()],
                           "person_id": ids_r.to_numpy()[links["r"].to_numpy()],
                           "probability" if method == "hmac" else "dice": score.round(6).to_numpy()})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False, lineterminator="\n")
    return len(result)
