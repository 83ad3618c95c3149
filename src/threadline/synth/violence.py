"""Planted truth for the serious youth violence analyses (issue 8), and what crime records say of people.

One stage, :func:`plant`, run after the incidents are made and before the partner records copy
people's names (so every record agrees with the final state). Its parts, in this order, each seeing
the final state of the one before (see docs/synth.md, "Serious youth violence"):

1. **intervention**: a violence reduction unit programme (``participants.csv``) chosen on recorded
   history only, with a planted effect on later serious violence as suspect;
2. **outcome 22**: outcome 22 given to eligible crimes at one rate before a training date and a
   higher one after;
3. **disproportionality**: young people involved in serious violence get an ethnic group drawn from
   the census population of the place and age band of their first involvement, weighted by planted
   relative rates;
4. **arrests**: ``arrested`` on every suspect link, more often for some groups in serious violence;
5. **recording**: the protected characteristics recorded on victim and suspect rows, the recording
   system and district of every incident, and a planted fall in self-defined ethnicity recording.

Every rule the truth is computed with is the rule the analyses count with
(:mod:`threadline.analyse.violence.definitions`, :mod:`threadline.analyse.violence.register`), and the
truth's expected counts come from the exact probabilities drawn with, not from the draws. The census
table written as ``population.csv`` (DC2101EW, scaled) is the denominator both use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

from threadline.analyse.violence import definitions as D
from threadline.synth.context import Context
from threadline.synth.incidents import NON_CRIME, OUTCOME_LABELS
from threadline.synth.people import age_on, date_parts

GROUP5 = ("asian", "black", "mixed", "white", "other")
PROGRAMME = "Synthetic VRU mentoring"
#: Intervention: months of follow-up, the share of would-be serious violence prevented, target size.
FOLLOW_UP_MONTHS = 12
HISTORY_MONTHS = 24
LOOKBACK_MONTHS = 12
EFFECT_Q = 0.4
PARTICIPANTS_FULL = 320
PARTICIPANTS_MIN = 40
#: Selection (logit) coefficients; the intercept is solved so the expected number is the target.
#: The programme's referral rule: a logistic in banded history (a referral panel looks at "several
#: incidents", not at the exact count): the two-year age band from 12, sex, and serious violence in the
#: last 12 months, any incident in the last 24 and victimisation in the last 24, each capped at
#: SELECTION_CAPS. Selection depends on nothing else, so matching exactly on these bands (the default
#: coarsened exact matching of ``threadline evaluate``) removes the selection bias.
SELECTION = {"age_band": -0.3, "sex_male": 0.3, "prior_sv_12m": 0.9, "prior_any_24m": 0.35, "prior_victim_24m": 0.2}
SELECTION_CAPS = {"prior_sv_12m": 2, "prior_any_24m": 5, "prior_victim_24m": 2}
SELECTION_AGE_FROM = 12
PARTICIPANT_AGES = (12, 24)
#: Outcome 22: probability an eligible crime gets it before and from the training date.
O22_BEFORE, O22_AFTER = 0.08, 0.20
O22_REPLACEMENT = 21
TRAINING_AT = 0.6
#: Planted relative rates by group (white = 1): suspects, and people who are only victims.
RR_SUSPECT = {"asian": 1.3, "black": 3.0, "mixed": 2.0, "white": 1.0, "other": 1.5}
RR_VICTIM = {"asian": 1.1, "black": 2.2, "mixed": 1.7, "white": 1.0, "other": 1.4}
#: Arrests: serious violence 0.45 x AR by group; other crimes 0.35.
ARREST_SV = 0.45
ARREST_RR = {"asian": 1.05, "black": 1.3, "mixed": 1.15, "white": 1.0, "other": 1.1}
ARREST_OTHER = 0.35
#: Census age bands of DC2101EW inside the youth range 10-24.
BANDS = ((10, 14), (15, 15), (16, 17), (18, 19), (20, 24))
BAND_LABELS = ("Age 10 to 14", "Age 15", "Age 16 to 17", "Age 18 to 19", "Age 20 to 24")
MEASURES = ("victims", "suspects", "arrested", "charged", "out_of_court", "outcome_22")

#: Recording: the share of victim and suspect rows on which each characteristic is recorded.
RECORDED = {
    "age": 0.97,
    "sex": 0.99,
    "ethnicity_self_defined": 0.80,
    "ethnicity_observed": 0.90,
    "disability": 0.45,
    "religion": 0.35,
    "sexual_orientation": 0.30,
    "gender_identity": 0.20,
}
#: Of recorded values, the share "not stated" (the person declined): NS for self-defined ethnicity.
DECLINED = {"ethnicity_self_defined": 0.08, "disability": 0.10, "religion": 0.10, "sexual_orientation": 0.12,
            "gender_identity": 0.08}
FALL_FIELD, FALL_RATE, FALL_MONTHS = "ethnicity_self_defined", 0.40, 4
#: Officer-observed identity code given each (final) group: ~90% agree for white, black and asian;
#: Mixed has no IC code and is seen as IC1 or IC3 (or IC4) as often as not; IC9 when unsure.
OBSERVED = {
    "white": {"IC1": 0.87, "IC2": 0.04, "IC3": 0.01, "IC4": 0.02, "IC6": 0.02, "IC9": 0.04},
    "black": {"IC3": 0.90, "IC1": 0.02, "IC6": 0.03, "IC9": 0.05},
    "asian": {"IC4": 0.86, "IC5": 0.03, "IC6": 0.03, "IC1": 0.03, "IC9": 0.05},
    "other": {"IC6": 0.55, "IC4": 0.15, "IC1": 0.10, "IC3": 0.05, "IC9": 0.15},
    "mixed": {"IC1": 0.35, "IC3": 0.40, "IC4": 0.10, "IC9": 0.15},
    "not_stated": {"IC1": 0.70, "IC4": 0.15, "IC3": 0.05, "IC9": 0.10},
}
#: A person's religion given their group (ASSUMPTION, shaped after the 2011 Census for West Yorkshire).
RELIGION = {
    "white": {"no_religion": 0.44, "christian": 0.50, "jewish": 0.01, "buddhist": 0.01, "other": 0.04},
    "asian": {"muslim": 0.80, "sikh": 0.07, "hindu": 0.07, "christian": 0.02, "no_religion": 0.03, "buddhist": 0.01},
    "black": {"christian": 0.62, "muslim": 0.20, "no_religion": 0.15, "other": 0.03},
    "mixed": {"no_religion": 0.48, "christian": 0.33, "muslim": 0.15, "other": 0.04},
    "other": {"muslim": 0.55, "christian": 0.20, "no_religion": 0.15, "buddhist": 0.05, "other": 0.05},
    "not_stated": {"no_religion": 0.45, "christian": 0.40, "muslim": 0.12, "other": 0.03},
}
DISABILITY = {"yes": 0.14, "no": 0.86}
ORIENTATION = {"heterosexual": 0.93, "gay_lesbian": 0.03, "bisexual": 0.03, "other": 0.01}
GENDER_IDENTITY = {"same_as_sex_at_birth": 0.994, "different": 0.006}
#: Census 2011 detailed groups -> the 18+1 self-defined codes.
CENSUS_CODES = {
    "White: English/Welsh/Scottish/Northern Irish/British": "W1",
    "White: Irish": "W2",
    "White: Gypsy or Irish Traveller": "W3",
    "White: Other White": "W9",
    "Mixed/multiple ethnic group: White and Black Caribbean": "M1",
    "Mixed/multiple ethnic group: White and Black African": "M2",
    "Mixed/multiple ethnic group: White and Asian": "M3",
    "Mixed/multiple ethnic group: Other Mixed": "M9",
    "Asian/Asian British: Indian": "A1",
    "Asian/Asian British: Pakistani": "A2",
    "Asian/Asian British: Bangladeshi": "A3",
    "Asian/Asian British: Chinese": "A4",
    "Asian/Asian British: Other Asian": "A9",
    "Black/African/Caribbean/Black British: African": "B2",
    "Black/African/Caribbean/Black British: Caribbean": "B1",
    "Black/African/Caribbean/Black British: Other Black": "B9",
    "Other ethnic group: Arab": "O2",
    "Other ethnic group: Any other ethnic group": "O9",
}
CRIME_SYSTEM, NON_CRIME_SYSTEM = "Niche RMS", "STORM"

INTERVENTION_COLUMNS = [
    "programme", "n_participants", "first_start", "last_start", "follow_up_months", "planted_relative_risk",
    "q", "y0_risk", "expected_att_risk_difference", "realised_att_risk_difference", "population_att_risk_difference",
    "n_removed",
    "n_incidents_changed", "covariates", "selection_logit",
]
OUTCOME22_COLUMNS = [
    "training_date", "p_before", "p_after", "rate_ratio", "n_eligible_before", "n_eligible_after",
    "n_o22_before", "n_o22_after", "n_o22_not_eligible", "n_replaced_by_21", "n_multi_suspect_skipped",
]
DISPROPORTIONALITY_COLUMNS = [
    "measure", "area", "area_name", "group5", "expected_count", "sd", "youth_population",
    "expected_rate_per_1000", "rri", "of_suspects", "of_suspects_rri",
]
RECORDING_COLUMNS = ["recording_unit", "la_code", "field", "from_month", "baseline_rate", "planted_rate"]
PARTICIPANT_COLUMNS = ["person_id", "start_date", "programme"]
#: Columns the stage adds to every incident-person link (empty where not recorded or not a suspect).
LINK_COLUMNS = (*RECORDED, "arrested")


@dataclass
class ViolenceResult:
    """What the stage made: participants (internal person index), truth frames, population table."""

    participants: pd.DataFrame
    truth: dict[str, pd.DataFrame]
    population: pd.DataFrame
    params: list[tuple[str, object]] = field(default_factory=list)


# -- the census population ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _census() -> pd.DataFrame:
    path = files("threadline").joinpath("reference", "census-2011-DC2101EW.csv.gz")
    with path.open("rb") as f:
        return pd.read_csv(f, compression="gzip", dtype=str, keep_default_na=False)


def _parse_column(name: str) -> tuple[str, str, str]:
    parts = [p.split(": ", 1)[1] for p in name.split("; ")[:3]]
    return parts[0], parts[1], parts[2]


def _group_of(label: str) -> str | None:
    head = label.split(":", 1)[0]
    for prefix, g in (("White", "white"), ("Mixed", "mixed"), ("Asian", "asian"), ("Black", "black"),
                      ("Other", "other")):
        if head.startswith(prefix):
            return g
    return None


@dataclass
class Population:
    """The scaled census of the force's authorities: wide text table and leaf counts."""

    wide: pd.DataFrame
    la_codes: tuple[str, ...]
    #: Youth population by authority, band and group: shape (n_la, len(BANDS), 5), GROUP5 order.
    youth: np.ndarray
    #: Within-group shares of the 18+1 codes among residents aged 10-24 (force): group -> (codes, p).
    codes: dict[str, tuple[np.ndarray, np.ndarray]]


def population(la_codes: tuple[str, ...], scale: float) -> Population:
    """DC2101EW for ``la_codes``, every leaf cell times ``scale`` rounded, totals recomputed."""
    raw = _census()
    cols = list(raw.columns)
    cells = [_parse_column(c) for c in cols[3:]]
    sexes = ["Males", "Females"]
    ages = [a for a in dict.fromkeys(a for _, a, _ in cells) if a != "All categories: Age"]
    eths = [e for e in dict.fromkeys(e for _, _, e in cells) if e != "All categories: Ethnic group"
            and not e.endswith(": Total")]
    pos = {c: i for i, c in enumerate(cells)}
    rows = raw.set_index("geography code").loc[list(la_codes)]
    values = rows[cols[3:]].to_numpy(dtype=float)
    leaf_idx = np.array([[[pos[(s, a, e)] for e in eths] for a in ages] for s in sexes])
    leaves = np.floor(values[:, leaf_idx] * float(scale) + 0.5)  # (la, sex, age, eth)
    sex_of = {"All persons": [0, 1], "Males": [0], "Females": [1]}
    grp = [_group_of(e) for e in eths]
    out = np.zeros((len(la_codes), len(cells)))
    for j, (s, a, e) in enumerate(cells):
        ai = list(range(len(ages))) if a == "All categories: Age" else [ages.index(a)]
        if e == "All categories: Ethnic group":
            ei = list(range(len(eths)))
        elif e.endswith(": Total"):
            ei = [k for k, g in enumerate(grp) if g == _group_of(e)]
        else:
            ei = [eths.index(e)]
        out[:, j] = leaves[:, sex_of[s]][:, :, ai][:, :, :, ei].sum(axis=(1, 2, 3))
    wide = pd.DataFrame({"date": rows["date"].to_numpy(), "geography": rows["geography"].to_numpy(),
                         "geography code": list(la_codes)})
    wide = pd.concat([wide, pd.DataFrame(out.astype(np.int64), columns=cols[3:])], axis=1)
    youth = np.zeros((len(la_codes), len(BANDS), len(GROUP5)))
    gi = np.array([GROUP5.index(g) for g in grp])
    for b, label in enumerate(BAND_LABELS):
        per = leaves[:, :, ages.index(label), :].sum(axis=1)  # (la, eth)
        for k in range(len(GROUP5)):
            youth[:, b, k] = per[:, gi == k].sum(axis=1)
    # Detailed-code shares from the unscaled youth counts of the whole force.
    real = values[:, leaf_idx][:, :, [ages.index(label) for label in BAND_LABELS], :].sum(axis=(0, 1, 2))
    codes = {}
    for g in GROUP5:
        ks = [k for k in range(len(eths)) if grp[k] == g]
        w = real[ks] + 0.5
        codes[g] = (np.array([CENSUS_CODES[eths[k]] for k in ks], dtype=object), w / w.sum())
    return Population(wide=wide, la_codes=tuple(la_codes), youth=youth, codes=codes)


# -- helpers -----------------------------------------------------------------------------------------


def _months(day: np.datetime64, n: int) -> np.datetime64:
    """The first of the month ``n`` months after the month of ``day`` (``day`` a first of month)."""
    return (np.datetime64(day, "M") + n).astype("datetime64[D]")


def _draw(rng: np.random.Generator, table: dict[str, float], size: int) -> np.ndarray:
    keys = np.array(list(table), dtype=object)
    p = np.array(list(table.values()), dtype=float)
    cum = np.cumsum(p / p.sum())
    return keys[np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(keys) - 1)]


def _draw_by(rng: np.random.Generator, key: np.ndarray, tables: dict[str, dict[str, float]]) -> np.ndarray:
    out = np.empty(len(key), dtype=object)
    u = rng.random(len(key))
    for k in sorted(tables):
        m = key == k
        if m.any():
            t = tables[k]
            keys = np.array(list(t), dtype=object)
            cum = np.cumsum(np.array(list(t.values()), dtype=float))
            cum = cum / cum[-1]
            out[m] = keys[np.minimum(np.searchsorted(cum, u[m], side="right"), len(keys) - 1)]
    return out


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class _State:
    """Working arrays shared by the parts."""

    inc: pd.DataFrame
    links: pd.DataFrame
    pos: np.ndarray  # row of inc for each link
    sv: np.ndarray  # per incident: serious violence
    day: np.ndarray  # per incident: datetime64[D]


def _link_positions(inc: pd.DataFrame, links: pd.DataFrame) -> np.ndarray:
    ik = inc["ik"].to_numpy().astype(int)
    where = np.full(int(ik.max()) + 1 if len(ik) else 1, -1)
    where[ik] = np.arange(len(ik))
    return where[links["ik"].to_numpy().astype(int)]


# -- 1. intervention ---------------------------------------------------------------------------------


def start_months(ctx: Context) -> np.ndarray:
    """First days of the months participants may start in.

    From 24 months after the first whole month of the period to the month whose 12-month follow-up
    ends at least a month before the end. In runs too short for six such months the window opens
    earlier (never before 12 months after the start); in runs shorter than about two years it is empty.
    """
    start, end = ctx.period.start_day, ctx.period.end_day
    s_m = np.datetime64(start, "M") + (0 if date_parts(np.array([start]))[2][0] == 1 else 1)
    e_m = np.datetime64(end + np.timedelta64(1, "D"), "M")
    lo, hi = s_m + HISTORY_MONTHS, e_m - (FOLLOW_UP_MONTHS + 1)
    if (hi - lo).astype(int) + 1 < 6:
        lo = max(s_m + 12, hi - 5)
    if lo > hi:
        return np.array([], dtype="datetime64[D]")
    return np.arange(lo, hi + 1).astype("datetime64[D]")


def _intervention(ctx: Context, st: _State, excluded: np.ndarray, enabled: bool):
    rng = ctx.rng("violence.intervention")
    people = ctx.people
    links, inc = st.links, st.inc
    months = start_months(ctx)
    empty = pd.DataFrame({"pidx": np.array([], dtype=int), "start_date": np.array([], dtype="datetime64[D]")})
    if not enabled or not len(months):
        return empty, None
    role = links["role"].to_numpy()
    pidx = links["pidx"].to_numpy().astype(int)
    ldays = st.day[st.pos]
    lsv = st.sv[st.pos]
    is_s = role == "suspect"
    pool = np.unique(pidx[is_s])
    pool = pool[~np.isin(pool, excluded)]
    t_k = rng.integers(0, len(months), size=len(pool))
    n = people.n
    t = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    t[pool] = months[t_k]
    t_m = t.astype("datetime64[M]")
    h24 = (t_m - HISTORY_MONTHS).astype("datetime64[D]")
    h12 = (t_m - LOOKBACK_MONTHS).astype("datetime64[D]")
    f12 = (t_m + FOLLOW_UP_MONTHS).astype("datetime64[D]")
    lt, lh24, lh12, lf12 = t[pidx], h24[pidx], h12[pidx], f12[pidx]
    has = ~np.isnat(lt)
    hist = has & (ldays >= lh24) & (ldays < lt)
    look = has & (ldays >= lh12) & (ldays < lt)
    follow = has & (ldays > lt) & (ldays <= lf12)
    prior_any = np.bincount(pidx[is_s & hist], minlength=n)[pool]
    prior_sv = np.bincount(pidx[is_s & lsv & look], minlength=n)[pool]
    prior_victim = np.bincount(pidx[(role == "victim") & hist], minlength=n)[pool]
    age = age_on(people.column("dob", pool), t[pool])
    male = (people.column("sex", pool) == "male").astype(int)
    cand = (age >= PARTICIPANT_AGES[0]) & (age <= PARTICIPANT_AGES[1]) & (prior_any >= 1)
    cap = SELECTION_CAPS
    x = (SELECTION["age_band"] * ((age - SELECTION_AGE_FROM) // 2) + SELECTION["sex_male"] * male
         + SELECTION["prior_sv_12m"] * np.minimum(prior_sv, cap["prior_sv_12m"])
         + SELECTION["prior_any_24m"] * np.minimum(prior_any, cap["prior_any_24m"])
         + SELECTION["prior_victim_24m"] * np.minimum(prior_victim, cap["prior_victim_24m"]))
    target = min(max(PARTICIPANTS_MIN, round(PARTICIPANTS_FULL * ctx.scale)), int(0.5 * cand.sum()))
    lo, hi = -30.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if _expit(mid + x[cand]).sum() > target:
            hi = mid
        else:
            lo = mid
    b0 = (lo + hi) / 2
    p = np.where(cand, _expit(b0 + x), 0.0)
    chosen = rng.random(len(pool)) < p
    part = pool[chosen]
    if not len(part):
        return empty, None
    y0_all = np.bincount(pidx[is_s & lsv & follow], minlength=n) > 0
    y0 = y0_all[part]
    # The programme can take away only general incidents; a participant whose follow-up serious
    # violence includes a planted chain, dyad or history incident keeps it (and the truth says so).
    general = (st.inc["origin"].to_numpy() == "general")[st.pos]
    fixed_all = np.bincount(pidx[is_s & lsv & follow & ~general], minlength=n) > 0
    fixed = fixed_all[part]
    removable = y0 & ~fixed
    # The population ATT: the effect expected over the random selection itself, every candidate
    # weighted by its chance of being chosen. An interval for the ATT (what an evaluation prints)
    # is calibrated against this; the sample quantity above also moves with who was chosen.
    rem_pool = (y0_all & ~fixed_all)[pool]
    population_rd = -EFFECT_Q * float((p * rem_pool).sum() / p.sum())
    removed = removable & (rng.random(len(part)) < EFFECT_Q)
    gone = np.zeros(n, dtype=bool)
    gone[part[removed]] = True
    drop = is_s & lsv & follow & gone[pidx]
    changed_pos = np.unique(st.pos[drop])
    keep = ~drop
    st.links = links[keep].reset_index(drop=True)
    st.pos = st.pos[keep]
    left = np.bincount(st.pos[st.links["role"].to_numpy() == "suspect"], minlength=len(inc))
    no_suspect = changed_pos[left[changed_pos] == 0]
    code = inc["outcome_code"].to_numpy().copy()
    label = inc["outcome"].to_numpy(dtype=object).copy()
    code[no_suspect] = 18
    label[no_suspect] = OUTCOME_LABELS[18]
    sus = inc["suspect"].to_numpy().copy()
    sus[changed_pos] = np.where(gone[np.maximum(sus[changed_pos], 0)] & (sus[changed_pos] >= 0), -1,
                                sus[changed_pos])
    inc["outcome_code"], inc["outcome"], inc["suspect"] = code, label, sus
    n_part = len(part)
    y0_risk = float(y0.mean())
    logit = f"{b0:.4f} " + " ".join(
        f"{'+' if v >= 0 else '-'} {abs(v)}*"
        f"{f'min({k},{SELECTION_CAPS[k]})' if k in SELECTION_CAPS else k if k != 'age_band' else '((age-12)//2)'}"
        for k, v in SELECTION.items())
    truth = {
        "programme": PROGRAMME,
        "n_participants": n_part,
        "first_start": str(months[0]),
        "last_start": str(months[-1]),
        "follow_up_months": FOLLOW_UP_MONTHS,
        "planted_relative_risk": round(1 - EFFECT_Q, 4),
        "q": EFFECT_Q,
        "y0_risk": round(y0_risk, 6),
        "expected_att_risk_difference": round(-EFFECT_Q * float(removable.mean()), 6),
        "realised_att_risk_difference": round(-int(removed.sum()) / n_part, 6),
        "population_att_risk_difference": round(population_rd, 6),
        "n_removed": int(removed.sum()),
        "n_incidents_changed": len(changed_pos),
        "covariates": "age;sex;prior_sv_12m;prior_any_24m;prior_victim_24m",
        "selection_logit": logit,
    }
    return pd.DataFrame({"pidx": part, "start_date": t[part]}), truth


# -- 2. outcome 22 -----------------------------------------------------------------------------------


def training_date(ctx: Context) -> np.datetime64:
    """The first of the month nearest 60% of the way through the period."""
    x = ctx.period.start_day + np.timedelta64(int(round(TRAINING_AT * ctx.period.n_days)), "D")
    a = np.datetime64(x, "M").astype("datetime64[D]")
    b = (np.datetime64(x, "M") + 1).astype("datetime64[D]")
    return a if (x - a) <= (b - x) else b


def _outcome22(ctx: Context, st: _State, defs: D.Definitions, enabled: bool):
    training = training_date(ctx)
    if not enabled:
        return None, training
    rng = ctx.rng("violence.outcome22")
    inc, links, people = st.inc, st.links, ctx.people
    s = links["role"].to_numpy() == "suspect"
    pos = st.pos[s]
    pidx = links["pidx"].to_numpy().astype(int)[s]
    t = inc["occurred_at"].to_numpy().astype("datetime64[s]")[pos]
    n_sus = np.bincount(pos, minlength=len(inc))[pos]
    age = age_on(people.column("dob", pidx), t.astype("datetime64[D]"))
    sev = np.round(inc["severity"].to_numpy(dtype=float)[pos], 2)
    base = (age <= defs.o22_max_age) & (sev <= defs.o22_max_severity)
    order = np.lexsort((pos, t, pidx))
    u = rng.random(len(order))
    code = inc["outcome_code"].to_numpy().copy()
    formal = set(defs.o22_prior_outcomes)
    persons_with = np.zeros(people.n, dtype=bool)
    persons_with[pidx[base]] = True
    todo = order[persons_with[pidx[order]]]
    t_int = t.astype(np.int64)
    cut = np.datetime64(training, "s").astype(np.int64)
    sampled = np.zeros(len(pos), dtype=bool)
    replaced = skipped = 0
    cur, first_formal = -1, None
    for r, ur in zip(todo.tolist(), u[: len(todo)].tolist(), strict=True):
        who = int(pidx[r])
        if who != cur:
            cur, first_formal = who, None
        tr = int(t_int[r])
        row = int(pos[r])
        c = int(code[row])
        if base[r] and (first_formal is None or tr <= first_formal):
            if n_sus[r] == 1:
                sampled[r] = True
                if ur < (O22_AFTER if tr >= cut else O22_BEFORE):
                    c = 22
                elif c == 22:
                    c = O22_REPLACEMENT
                    replaced += 1
                code[row] = c
            else:
                skipped += 1
        if first_formal is None and c in formal:
            first_formal = tr
    inc["outcome_code"] = code
    inc["outcome"] = [OUTCOME_LABELS.get(int(c), "") if c >= 0 else "Non-crime incident, closed" for c in code]
    # Check: the analyses' own rule on the final rows gives exactly the sampled set.
    check = D.outcome22_eligible(pd.DataFrame({"person_id": pidx, "occurred_at": t, "age": age, "severity": sev,
                                               "outcome_code": code[pos]}), defs).to_numpy()
    if not np.array_equal(check & (n_sus == 1), sampled):
        raise RuntimeError("outcome 22 plant: eligibility does not match the analysis rule")
    after = t_int >= cut
    is22 = code[pos] == 22
    truth = {
        "training_date": str(training),
        "p_before": O22_BEFORE,
        "p_after": O22_AFTER,
        "rate_ratio": round(O22_AFTER / O22_BEFORE, 4),
        "n_eligible_before": int((sampled & ~after).sum()),
        "n_eligible_after": int((sampled & after).sum()),
        "n_o22_before": int((sampled & ~after & is22).sum()),
        "n_o22_after": int((sampled & after & is22).sum()),
        "n_o22_not_eligible": int((~check & is22).sum()),
        "n_replaced_by_21": replaced,
        "n_multi_suspect_skipped": skipped,
    }
    return truth, training


# -- 3. disproportionality ---------------------------------------------------------------------------


def _involvements(ctx: Context, st: _State, cases: pd.DataFrame, case_links: pd.DataFrame,
                  defs: D.Definitions) -> pd.DataFrame:
    """Youth (by date of birth) victim and suspect involvements in serious violence, as the register counts."""
    geo, people = ctx.geo, ctx.people
    inc, links = st.inc, st.links
    role = links["role"].to_numpy()
    m = np.isin(role, ("victim", "suspect")) & st.sv[st.pos]
    pos = st.pos[m]
    a = pd.DataFrame({
        "pidx": links["pidx"].to_numpy().astype(int)[m],
        "role": role[m],
        "day": st.day[pos],
        "la": geo.la[inc["lsoa"].to_numpy().astype(int)[pos]],
        "pos": pos,
        "order": np.arange(int(m.sum())),
    })
    c_sv = D.case_categories(cases, defs).to_numpy() != ""
    occ = cases["occurred_from"].to_numpy().astype("datetime64[D]")
    rep = cases["reported_at"].to_numpy().astype("datetime64[D]")
    cday = np.where(np.isnat(occ), rep, occ)
    cla = geo.la[cases["lsoa"].to_numpy().astype(int)]
    ck_row = pd.Series(np.arange(len(cases)), index=cases["ck"].to_numpy())
    cv = pd.DataFrame({"pidx": cases["victim"].to_numpy().astype(int)[c_sv], "role": "victim",
                       "day": cday[c_sv], "la": cla[c_sv], "pos": -1})
    cs_l = case_links[case_links["role"] == "suspect"]
    rows = ck_row.reindex(cs_l["ck"].to_numpy()).to_numpy()
    ok = ~np.isnan(rows)
    rows = rows[ok].astype(int)
    keep = c_sv[rows]
    cs = pd.DataFrame({"pidx": cs_l["pidx"].to_numpy().astype(int)[ok][keep], "role": "suspect",
                       "day": cday[rows[keep]], "la": cla[rows[keep]], "pos": -1})
    c = pd.concat([cv, cs], ignore_index=True)
    c["order"] = len(a) + np.arange(len(c))
    out = pd.concat([a, c], ignore_index=True)
    out["age"] = age_on(people.column("dob", out["pidx"].to_numpy()), out["day"].to_numpy())
    out = out[(out["age"] >= defs.youth_min_age) & (out["age"] <= defs.youth_max_age)]
    return out.reset_index(drop=True)


def _band(age: np.ndarray) -> np.ndarray:
    out = np.full(len(age), -1)
    for b, (lo, hi) in enumerate(BANDS):
        out[(age >= lo) & (age <= hi)] = b
    return out


def _reassign(ctx: Context, inv: pd.DataFrame, pop: Population, cases: pd.DataFrame):
    """Draw each involved person's group; redraw names where it changed. Returns (pidx, p, suspect)."""
    rng = ctx.rng("violence.disproportionality")
    people = ctx.people
    first = inv.sort_values(["pidx", "day", "order"], kind="stable").drop_duplicates("pidx")
    pidx = first["pidx"].to_numpy()
    band = _band(first["age"].to_numpy())
    la = first["la"].to_numpy()
    is_sus = np.isin(pidx, inv.loc[inv["role"] == "suspect", "pidx"].to_numpy())
    rr = np.where(is_sus[:, None], np.array([RR_SUSPECT[g] for g in GROUP5]),
                  np.array([RR_VICTIM[g] for g in GROUP5]))
    w = pop.youth[la, band, :] * rr
    tot = w.sum(axis=1, keepdims=True)
    w = np.where(tot > 0, w, rr)
    p = w / w.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)
    k = np.minimum((rng.random(len(pidx))[:, None] > cum).sum(axis=1), len(GROUP5) - 1)
    new = np.array(GROUP5, dtype=object)[k]
    old = people.column("ethnicity", pidx)
    changed = new != old
    ch = pidx[changed]
    people.assign(pidx, "ethnicity", new)
    if len(ch):
        old_family = people.column("family", ch)
        birth_year = date_parts(people.column("dob", ch))[0]
        given, family, group = ctx.names.draw(rng, people.column("sex", ch), new[changed], birth_year)
        people.assign(ch, "given", given)
        people.assign(ch, "family", family)
        people.assign(ch, "group", group)
        with_alias = [(int(i), people.alias(i), f_old, f_new)
                      for i, f_old, f_new in zip(ch, old_family, family, strict=True) if people.alias(i)]
        if with_alias:
            people.set_aliases(np.array([a[0] for a in with_alias]),
                               np.array([a[1].replace(a[2], a[3]) for a in with_alias], dtype=object))
    cases["victim_ethnicity"] = people.column("ethnicity", cases["victim"].to_numpy().astype(int))
    return pidx, p, is_sus


def _disproportionality_truth(ctx: Context, st: _State, inv: pd.DataFrame, pop: Population, pidx, p,
                              defs: D.Definitions, alpha: np.ndarray) -> pd.DataFrame:
    """Expected counts by measure, area and group from the exact probabilities."""
    geo = ctx.geo
    row_of = pd.Series(np.arange(len(pidx)), index=pidx)
    inv = inv.assign(i=row_of.reindex(inv["pidx"].to_numpy()).to_numpy().astype(int))
    code = st.inc["outcome_code"].to_numpy()
    inc_rows = inv[(inv["role"] == "suspect") & (inv["pos"] >= 0)]
    ic = code[inc_rows["pos"].to_numpy()]
    stages = {s: np.isin(ic, list(defs.stage_outcomes.get(s, ()))) for s in ("charged", "out_of_court", "outcome_22")}
    n_la = len(geo.la_codes)
    areas = [*range(n_la), -1]
    out = []
    pop_la = pop.youth.sum(axis=1)  # (la, g)
    pop_force = pop_la.sum(axis=0)
    for area in areas:
        sel = inv if area < 0 else inv[inv["la"] == area]
        isel = inc_rows if area < 0 else inc_rows[inc_rows["la"] == area]
        ppop = pop_force if area < 0 else pop_la[area]
        exp, var = {}, {}
        for measure in ("victims", "suspects"):
            who = np.unique(sel.loc[sel["role"] == measure[:-1], "i"].to_numpy())
            pp = p[who]
            exp[measure], var[measure] = pp.sum(axis=0), (pp * (1 - pp)).sum(axis=0)
        i_rows = isel["i"].to_numpy()
        k = np.bincount(i_rows, minlength=len(pidx))
        who = np.flatnonzero(k)
        reach = 1 - (1 - alpha[None, :]) ** k[who][:, None]
        pp = p[who] * reach
        exp["arrested"], var["arrested"] = pp.sum(axis=0), (pp * (1 - pp)).sum(axis=0)
        mask = (inc_rows["la"] == area).to_numpy() if area >= 0 else np.ones(len(inc_rows), dtype=bool)
        for s, hit in stages.items():
            who = np.unique(inc_rows["i"].to_numpy()[mask & hit])
            pp = p[who]
            exp[s], var[s] = pp.sum(axis=0), (pp * (1 - pp)).sum(axis=0)
        w = GROUP5.index("white")
        for measure in MEASURES:
            e = exp[measure]
            rate = np.where(ppop > 0, e / np.maximum(ppop, 1) * 1000, np.nan)
            rri = rate / rate[w] if rate[w] > 0 else np.full(len(GROUP5), np.nan)
            if measure in ("victims", "suspects"):
                ofs = ofs_rri = np.full(len(GROUP5), np.nan)
            else:
                es = exp["suspects"]
                ofs = np.where(es > 0, e / np.maximum(es, 1e-300), np.nan)
                ofs_rri = ofs / ofs[w] if ofs[w] > 0 else np.full(len(GROUP5), np.nan)
            for g in range(len(GROUP5)):
                out.append({
                    "measure": measure,
                    "area": "force" if area < 0 else geo.la_codes[area],
                    "area_name": "Force" if area < 0 else geo.la_names[area],
                    "group5": GROUP5[g],
                    "expected_count": round(float(e[g]), 4),
                    "sd": round(float(np.sqrt(var[measure][g])), 4),
                    "youth_population": int(ppop[g]),
                    "expected_rate_per_1000": round(float(rate[g]), 6),
                    "rri": round(float(rri[g]), 6),
                    "of_suspects": round(float(ofs[g]), 6),
                    "of_suspects_rri": round(float(ofs_rri[g]), 6),
                })
    return pd.DataFrame(out, columns=DISPROPORTIONALITY_COLUMNS)


# -- 4. arrests --------------------------------------------------------------------------------------


def _arrests(ctx: Context, st: _State, enabled: bool) -> np.ndarray:
    rng = ctx.rng("violence.arrests")
    links = st.links
    s = links["role"].to_numpy() == "suspect"
    g = ctx.people.column("ethnicity", links["pidx"].to_numpy().astype(int))
    ar = np.array([ARREST_RR.get(x, 1.0) if enabled else 1.0 for x in g])
    a = np.where(st.sv[st.pos], ARREST_SV * ar, ARREST_OTHER)
    u = rng.random(len(links))
    return np.where(s, np.where(u < a, "yes", "no"), "").astype(object)


# -- 5. recording ------------------------------------------------------------------------------------


def _recording(ctx: Context, st: _State, pop: Population, enabled: bool):
    rng = ctx.rng("violence.recording")
    geo, people = ctx.geo, ctx.people
    inc, links = st.inc, st.links
    n_p = people.n
    eth = people.array("ethnicity")
    # Per person: a self-defined code within their group, and their disability, religion, orientation.
    sd_code = np.full(n_p, "NS", dtype=object)
    u = rng.random(n_p)
    for g in GROUP5:
        m = eth == g
        if m.any():
            codes, p = pop.codes[g]
            sd_code[m] = codes[np.minimum(np.searchsorted(np.cumsum(p), u[m], side="right"), len(codes) - 1)]
    key = np.where(np.isin(eth, GROUP5), eth, "not_stated").astype(object)
    religion = _draw_by(rng, key, RELIGION)
    disability = _draw(rng, DISABILITY, n_p)
    orientation = _draw(rng, ORIENTATION, n_p)
    gender = _draw(rng, GENDER_IDENTITY, n_p)

    la = geo.la[inc["lsoa"].to_numpy().astype(int)]
    inc["recording_unit"] = np.array([f"{name} District" for name in geo.la_names], dtype=object)[la]
    inc["source_system"] = np.where(np.isin(inc["incident_type"].to_numpy(), NON_CRIME), NON_CRIME_SYSTEM,
                                    CRIME_SYSTEM).astype(object)
    role = links["role"].to_numpy()
    vs = np.isin(role, ("victim", "suspect"))
    pidx = links["pidx"].to_numpy().astype(int)
    n = len(links)
    when = inc["occurred_at"].to_numpy().astype("datetime64[s]")[st.pos]
    e_m = np.datetime64(ctx.period.end_day + np.timedelta64(1, "D"), "M")
    fall_from = (e_m - FALL_MONTHS).astype("datetime64[D]")
    fall_la = int(rng.integers(0, len(geo.la_codes)))
    rate = np.full(n, RECORDED[FALL_FIELD])
    if enabled:
        in_fall = (la[st.pos] == fall_la) & (when >= fall_from.astype("datetime64[s]"))
        rate[in_fall] = FALL_RATE
    rec = {f: vs & (rng.random(n) < (rate if f == FALL_FIELD else RECORDED[f])) for f in RECORDED}
    declined = {f: rng.random(n) < DECLINED.get(f, 0.0) for f in RECORDED}
    cols: dict[str, np.ndarray] = {}
    age = age_on(people.column("dob", pidx), when.astype("datetime64[D]"))
    cols["age"] = np.where(rec["age"], age.astype(str), "").astype(object)
    cols["sex"] = np.where(rec["sex"], people.column("sex", pidx), "").astype(object)
    cols["ethnicity_self_defined"] = np.where(
        rec["ethnicity_self_defined"], np.where(declined["ethnicity_self_defined"], "NS", sd_code[pidx]), "")
    observed = _draw_by(rng, key[pidx], OBSERVED)
    cols["ethnicity_observed"] = np.where(rec["ethnicity_observed"], observed, "")
    for f, values in (("disability", disability), ("religion", religion), ("sexual_orientation", orientation),
                      ("gender_identity", gender)):
        cols[f] = np.where(rec[f], np.where(declined[f], "not_stated", values[pidx]), "")
    for f, v in cols.items():
        links[f] = np.asarray(v, dtype=object)
    truth = pd.DataFrame(
        [{"recording_unit": f"{geo.la_names[fall_la]} District", "la_code": geo.la_codes[fall_la],
          "field": FALL_FIELD, "from_month": str(fall_from)[:7], "baseline_rate": RECORDED[FALL_FIELD],
          "planted_rate": FALL_RATE}] if enabled else [],
        columns=RECORDING_COLUMNS)
    return truth


# -- the stage ---------------------------------------------------------------------------------------


def plant(ctx: Context, cases: pd.DataFrame, case_links: pd.DataFrame, inc: pd.DataFrame,
          inc_links: pd.DataFrame, enabled: bool = True):
    """Run the five parts; return the changed incidents and links, and a :class:`ViolenceResult`.

    ``cases`` is changed in place (``victim_ethnicity``); people's ethnicity and names change in
    ``ctx.people``. Victims and suspects of cases are excluded from the programme (see the comment in the body).
    """
    defs = D.load()
    inc = inc.copy()
    links = inc_links.reset_index(drop=True).copy()
    st = _State(inc=inc, links=links, pos=_link_positions(inc, links),
                sv=D.incident_categories(inc[["incident_type", "ho_offence_code", "flags"]], defs).to_numpy() != "",
                day=inc["occurred_at"].to_numpy().astype("datetime64[D]"))
    pop = population(ctx.geo.la_codes, ctx.scale)
    # People a programme could not take: victims of a death investigation or near miss (dead or gravely
    # hurt) and its suspects (usually in custody). The analysis leaves them out of the comparison pool by
    # the same rule (threadline.analyse.violence.programme). Domestic-abuse chain and dyad people may be
    # chosen; only their general (non-chain, non-dyad) incidents can be changed by the programme.
    case_suspects = case_links.loc[case_links["role"] == "suspect", "pidx"].to_numpy().astype(int)
    excluded = np.unique(np.concatenate([case_suspects, cases["victim"].to_numpy().astype(int)]))

    part, int_truth = _intervention(ctx, st, excluded, enabled)
    o22_truth, training = _outcome22(ctx, st, defs, enabled)
    alpha = np.array([ARREST_SV * ARREST_RR[g] for g in GROUP5])
    disp = pd.DataFrame(columns=DISPROPORTIONALITY_COLUMNS)
    if enabled:
        inv = _involvements(ctx, st, cases, case_links, defs)
        if len(inv):
            pidx, p, _ = _reassign(ctx, inv, pop, cases)
            disp = _disproportionality_truth(ctx, st, inv, pop, pidx, p, defs, alpha)
    st.links["arrested"] = _arrests(ctx, st, enabled)
    rec_truth = _recording(ctx, st, pop, enabled)

    part = part.sort_values(["start_date", "pidx"], kind="stable").reset_index(drop=True)
    part["programme"] = PROGRAMME
    truth = {
        "intervention": pd.DataFrame([int_truth] if int_truth else [], columns=INTERVENTION_COLUMNS),
        "outcome22": pd.DataFrame([o22_truth] if o22_truth else [], columns=OUTCOME22_COLUMNS),
        "disproportionality": disp,
        "recording": rec_truth,
    }
    params = [
        ("plant_violence", "yes" if enabled else "no"),
        ("violence_training_date", str(training) if enabled else ""),
        ("violence_participants", len(part)),
        ("violence_rr_suspects", ";".join(f"{g}:{RR_SUSPECT[g]}" for g in GROUP5) if enabled else ""),
        ("violence_rr_victims", ";".join(f"{g}:{RR_VICTIM[g]}" for g in GROUP5) if enabled else ""),
        ("violence_arrest_sv", ";".join(f"{g}:{a:g}" for g, a in zip(GROUP5, alpha, strict=True))
         if enabled else f"all:{ARREST_SV}"),
        ("violence_arrest_other", ARREST_OTHER),
        ("recording_fall_unit", rec_truth["recording_unit"].iloc[0] if len(rec_truth) else ""),
    ]
    return st.inc, st.links, ViolenceResult(participants=part, truth=truth, population=pop.wide, params=params)


__all__ = ["plant", "population", "training_date", "start_months", "ViolenceResult", "PROGRAMME",
           "PARTICIPANT_COLUMNS", "LINK_COLUMNS", "GROUP5"]
