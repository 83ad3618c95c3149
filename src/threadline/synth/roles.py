"""People connected to cases: victims, suspects, reporting persons, witnesses, associates and
professionals.

Every case has a victim (a person row). Suspects follow the recorded relationship: a partner is
usually of the other sex and a similar age, a parent a generation older; strangers and
acquaintances are drawn from the offender age profile, mostly men (ONS Homicide: about nine in ten
principal suspects are male). Reporting persons, witnesses and associates are new people living
near the case. Professionals come from fixed pools, so the same paramedic, GP or nurse appears on
many cases, as in real records:

- paramedics, assigned to a local authority, attend community deaths and attacks there;
- community GPs certify some sudden deaths at home;
- each care home and hospital has day-shift and night-shift staff (nurses, senior carers); the
  member of staff on shift at the time of death is recorded as present;
- care-home GPs each cover about three homes and attend most deaths at them in the daytime: the
  legitimate high-volume professionals an analysis must not mistake for a planted one.

The ``auto_roles`` column of a case says which roles this module may add (``all``, or a
``;``-separated subset of ``suspect``, ``reporting``, ``witness``, ``associate``, ``pool``): planted
series set their own people and limit what is added around them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline.synth import rates as R
from threadline.synth.context import Context
from threadline.synth.people import People

ROLE_TOKENS = ("suspect", "reporting", "witness", "associate", "pool")
FAMILY = ("partner_ex_partner", "parent", "child", "other_family")


def _allows(auto: pd.Series, token: str) -> np.ndarray:
    a = auto.fillna("").astype(str)
    return ((a == "all") | a.str.split(";").map(lambda parts: token in parts)).to_numpy()


def attach_victims(ctx: Context, cases: pd.DataFrame) -> pd.DataFrame:
    """Create a person for every case whose ``victim`` is -1; fill ``victim_ethnicity``."""
    people: People = ctx.people
    todo = np.flatnonzero(cases["victim"].to_numpy() < 0)
    if len(todo):
        sub = cases.iloc[todo]
        idx = people.add(
            sex=sub["victim_sex"].to_numpy(),
            age=sub["victim_age"].to_numpy(),
            at=sub["reported_at"].to_numpy().astype("datetime64[D]"),
            home=sub["home"].to_numpy(),
            ethnicity=sub["victim_ethnicity"].fillna("").to_numpy(),
            source="case_victim",
        )
        cases.loc[cases.index[todo], "victim"] = idx
    cases["victim_ethnicity"] = people.column("ethnicity", cases["victim"].to_numpy())
    return cases


# -- professionals --------------------------------------------------------------------------------


def build_professionals(ctx: Context) -> pd.DataFrame:
    """Create the pools of professionals; return one row per professional.

    Columns: ``pidx, role_description, setting, facility, la, shift``.
    """
    geo, people = ctx.geo, ctx.people
    rng = ctx.rng("professionals")
    rows: list[pd.DataFrame] = []
    la_pop = np.array([geo.population[geo.la == i].sum() for i in range(len(geo.la_codes))])
    share = la_pop / la_pop.sum()

    def pool(n_total: int, role: str, setting: str, minimum: int) -> None:
        counts = np.maximum(minimum, np.round(share * n_total).astype(int))
        la = np.repeat(np.arange(len(counts)), counts)
        home = np.array([geo.pick(rng, "population", 1, la=int(i))[0] for i in la], dtype=int)
        n = len(la)
        idx = people.add(
            sex=np.where(rng.random(n) < 0.5, "male", "female"),
            age=rng.integers(25, 60, size=n),
            at=ctx.period.start_day,
            home=home,
            source="professional",
        )
        rows.append(
            pd.DataFrame(
                {
                    "pidx": idx,
                    "role_description": role,
                    "setting": setting,
                    "facility": "",
                    "la": la,
                    "shift": "any",
                }
            )
        )

    pool(max(10, round(220 * ctx.scale)), "paramedic", "community", 2)
    pool(max(5, round(60 * ctx.scale)), "general practitioner", "community", 1)

    homes = [f for f in ctx.facilities if f.kind == "care_home"]
    homes_sorted = sorted(homes, key=lambda f: (geo.la[f.lsoa], geo.lat[f.lsoa], f.name))
    n_gps = max(1, len(homes_sorted) // 3)
    gp_home = np.array(
        [
            geo.near(rng, np.array([homes_sorted[min(k * 3, len(homes_sorted) - 1)].lsoa]), 5)[0]
            for k in range(n_gps)
        ],
        dtype=int,
    )
    gp_idx = people.add(
        sex=np.where(rng.random(n_gps) < 0.5, "male", "female"),
        age=rng.integers(32, 62, size=n_gps),
        at=ctx.period.start_day,
        home=gp_home,
        source="professional",
    )
    for k, f in enumerate(homes_sorted):
        g = min(k // 3, n_gps - 1)
        rows.append(
            pd.DataFrame(
                {
                    "pidx": [gp_idx[g]],
                    "role_description": "care home GP",
                    "setting": "care_home",
                    "facility": f.name,
                    "la": geo.la[f.lsoa],
                    "shift": "day",
                }
            )
        )

    staffing = {
        "care_home": (
            ("senior carer", 2, "day"),
            ("staff nurse", 2, "day"),
            ("senior carer", 1, "night"),
            ("staff nurse", 2, "night"),
        ),
        "hospital": (("ward nurse", 6, "day"), ("ward nurse", 5, "night")),
        "custody_or_prison": (("healthcare officer", 3, "day"), ("healthcare officer", 2, "night")),
    }
    for f in ctx.facilities:
        for role, count, shift in staffing[f.kind]:
            home = geo.near(rng, np.full(count, f.lsoa), 20)
            idx = people.add(
                sex=np.where(rng.random(count) < 0.75, "female", "male"),
                age=rng.integers(22, 62, size=count),
                at=ctx.period.start_day,
                home=home,
                source="professional",
            )
            rows.append(
                pd.DataFrame(
                    {
                        "pidx": idx,
                        "role_description": role,
                        "setting": f.kind,
                        "facility": f.name,
                        "la": geo.la[f.lsoa],
                        "shift": shift,
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    # A care home GP covers several homes: one row per (GP, home) above; keep that, it is what
    # "expected" is computed over.
    return out


def _shift_of(reported: np.ndarray) -> np.ndarray:
    hour = (
        (np.asarray(reported, dtype="datetime64[s]") - np.asarray(reported, dtype="datetime64[D]"))
        .astype("timedelta64[h]")
        .astype(int)
    )
    return np.where((hour >= 7) & (hour < 19), "day", "night").astype(object)


def assign_professionals(ctx: Context, cases: pd.DataFrame, prof: pd.DataFrame) -> pd.DataFrame:
    """Professional (case, person) pairs for every case that admits them."""
    geo = ctx.geo
    rng = ctx.rng("roles.professionals")
    allow = _allows(cases["auto_roles"], "pool")
    out = []
    reported = cases["reported_at"].to_numpy()
    shift = _shift_of(reported)
    hour = (reported - reported.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
    ck = cases["ck"].to_numpy()
    facility = cases["facility"].to_numpy()
    forced = cases["prof_forced"].to_numpy()

    # Facility staff on shift.
    staff = prof[
        prof["setting"].isin(("care_home", "hospital", "custody_or_prison"))
        & (prof["role_description"] != "care home GP")
    ]
    groups = {k: g["pidx"].to_numpy() for k, g in staff.groupby(["facility", "shift"], sort=True)}
    fac_rows = np.flatnonzero((facility != "") & allow)
    for i in fac_rows:
        if forced[i] >= 0:
            out.append((ck[i], forced[i]))
            continue
        members = groups.get((facility[i], shift[i]))
        if members is not None and len(members):
            out.append((ck[i], members[rng.integers(0, len(members))]))
    # Care home GPs, daytime.
    gps = prof[prof["role_description"] == "care home GP"].set_index("facility")["pidx"]
    care = np.flatnonzero((cases["location_type"].to_numpy() == "care_home") & (facility != "") & allow)
    u = rng.random(len(care))
    for j, i in enumerate(care):
        if 8 <= hour[i] < 18 and u[j] < 0.8 and facility[i] in gps.index:
            out.append((ck[i], gps[facility[i]]))

    # Paramedics and community GPs.
    la = geo.la[cases["lsoa"].to_numpy()]
    cat = cases["category"].to_numpy()
    p_par = np.array([R.ROLE_RATES[c]["paramedic"] for c in cat])
    community = allow & (facility == "")
    need_par = community & (rng.random(len(cases)) < p_par)
    need_gp = (
        community
        & (cat == "unexplained_death")
        & (cases["location_type"].to_numpy() == "dwelling_victim")
        & (rng.random(len(cases)) < 0.15)
    )
    for role, need in (("paramedic", need_par), ("general practitioner", need_gp)):
        pool = prof[prof["role_description"] == role]
        by_la = {int(k): g["pidx"].to_numpy() for k, g in pool.groupby("la", sort=True)}
        rows = np.flatnonzero(need)
        u = rng.random(len(rows))
        for j, i in enumerate(rows):
            members = by_la.get(int(la[i]))
            if members is None:
                continue
            out.append((ck[i], members[int(u[j] * len(members))]))
    frame = pd.DataFrame(out, columns=["ck", "pidx"])
    frame["role"] = "professional"
    return frame


# -- suspects and others --------------------------------------------------------------------------


def add_case_persons(
    ctx: Context, cases: pd.DataFrame, preset: pd.DataFrame, prof: pd.DataFrame
) -> pd.DataFrame:
    """All case-person links: victims, preset (planted) links, and the automatic roles."""
    geo, people = ctx.geo, ctx.people
    rng = ctx.rng("roles")
    n = len(cases)
    ck = cases["ck"].to_numpy()
    cat = cases["category"].to_numpy()
    rel = cases["suspect_relationship"].to_numpy()
    vage = cases["victim_age"].to_numpy().astype(int)
    vsex = cases["victim_sex"].to_numpy()
    veth = cases["victim_ethnicity"].to_numpy()
    lsoa = cases["lsoa"].to_numpy()
    home = cases["home"].to_numpy()
    day = cases["reported_at"].to_numpy().astype("datetime64[D]")
    links = [pd.DataFrame({"ck": ck, "pidx": cases["victim"].to_numpy(), "role": "victim"}), preset]

    # Suspects.
    u = rng.random(n)
    n_s = np.zeros(n, dtype=int)
    violent = np.isin(cat, ("homicide", "attempted_homicide"))
    has = violent & ~np.isin(rel, ("no_suspect", "unknown"))
    n_s[has] = 1 + (u[has] > 0.78) + (u[has] > 0.93)
    p_s = np.array([R.ROLE_RATES[c]["suspect"] for c in cat])
    other = ~violent & (rng.random(n) < p_s)
    n_s[other] = 1
    n_s[~_allows(cases["auto_roles"], "suspect")] = 0
    rows = np.repeat(np.arange(n), n_s)
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.array([], dtype=bool)
    m = len(rows)
    r_rel = np.where(first, rel[rows], "friend_acquaintance")
    s_sex = np.where(rng.random(m) < 0.92, "male", "female").astype(object)
    s_age = R.draw_ages(rng, R.OFFENDER_AGE_BANDS, m)
    coll = cat[rows] == "fatal_collision"
    s_age[coll] = rng.integers(17, 80, size=int(coll.sum()))
    s_sex[coll] = np.where(rng.random(int(coll.sum())) < 0.8, "male", "female")
    part = r_rel == "partner_ex_partner"
    s_sex[part] = np.where(
        rng.random(int(part.sum())) < 0.95,
        np.where(vsex[rows[part]] == "male", "female", "male"),
        vsex[rows[part]],
    )
    s_age[part] = np.maximum(16, vage[rows[part]] + np.round(rng.normal(2, 5, int(part.sum()))).astype(int))
    par = r_rel == "parent"
    s_age[par] = vage[rows[par]] + rng.integers(18, 41, size=int(par.sum()))
    s_sex[par] = np.where(rng.random(int(par.sum())) < 0.4, "female", "male")
    chi = r_rel == "child"
    s_age[chi] = np.maximum(14, vage[rows[chi]] - rng.integers(18, 41, size=int(chi.sum())))
    s_sex[chi] = np.where(rng.random(int(chi.sum())) < 0.8, "male", "female")
    fam = r_rel == "other_family"
    s_age[fam] = rng.integers(16, 71, size=int(fam.sum()))
    s_sex[fam] = np.where(rng.random(int(fam.sum())) < 0.8, "male", "female")
    stranger_f = (r_rel == "stranger") & (vsex[rows] == "female")
    s_sex[stranger_f] = np.where(rng.random(int(stranger_f.sum())) < 0.98, "male", "female")
    dom = np.isin(r_rel, FAMILY)
    s_home = np.where(dom & (rng.random(m) < 0.8), home[rows], geo.near(rng, lsoa[rows], 20))
    s_eth = np.where(rng.random(m) < 0.7, veth[rows], "").astype(object)
    s_idx = people.add(
        sex=s_sex, age=s_age, at=day[rows], home=s_home, ethnicity=s_eth, source="case_suspect"
    )
    links.append(pd.DataFrame({"ck": ck[rows], "pidx": s_idx, "role": "suspect"}))
    # Some suspects are known by another name.
    alias_pick = rng.random(m) < 0.05
    if alias_pick.any():
        given = people.column("given", s_idx[alias_pick])
        fams = people.column("family", s_idx[alias_pick])
        nick = np.array([_street_name(rng, g) for g in given], dtype=object)
        people.set_aliases(s_idx[alias_pick], np.array([f"{a} {f}" for a, f in zip(nick, fams, strict=True)]))

    # Reporting persons.
    p_rep = np.array([R.ROLE_RATES[c]["reporting"] for c in cat])
    rep = np.flatnonzero(_allows(cases["auto_roles"], "reporting") & (rng.random(n) < p_rep))
    k = len(rep)
    r_age = np.where(vage[rep] >= 65, rng.integers(35, 71, size=k), rng.integers(18, 76, size=k))
    r_sex = np.where(rng.random(k) < 0.55, "female", "male").astype(object)
    r_idx = people.add(
        sex=r_sex,
        age=r_age,
        at=day[rep],
        home=geo.near(rng, lsoa[rep], 10),
        ethnicity=np.where(rng.random(k) < 0.6, veth[rep], "").astype(object),
        source="case_other",
    )
    links.append(pd.DataFrame({"ck": ck[rep], "pidx": r_idx, "role": "reporting_person"}))

    # Witnesses.
    mean_w = np.array([R.ROLE_RATES[c]["witnesses"] for c in cat])
    n_w = np.minimum(rng.poisson(mean_w), 4) * _allows(cases["auto_roles"], "witness")
    wrows = np.repeat(np.arange(n), n_w)
    k = len(wrows)
    w_idx = people.add(
        sex=np.where(rng.random(k) < 0.5, "female", "male"),
        age=rng.integers(16, 76, size=k),
        at=day[wrows],
        home=geo.near(rng, lsoa[wrows], 25),
        source="case_other",
    )
    links.append(pd.DataFrame({"ck": ck[wrows], "pidx": w_idx, "role": "witness"}))

    # Associates (friends, co-users, family).
    p_as = np.array([R.ROLE_RATES[c]["associate"] for c in cat])
    asc = np.flatnonzero(_allows(cases["auto_roles"], "associate") & (rng.random(n) < p_as))
    k = len(asc)
    a_age = np.maximum(14, vage[asc] + rng.integers(-8, 9, size=k))
    a_idx = people.add(
        sex=np.where(rng.random(k) < 0.65, "male", "female"),
        age=a_age,
        at=day[asc],
        home=geo.near(rng, home[asc], 10),
        ethnicity=np.where(rng.random(k) < 0.7, veth[asc], "").astype(object),
        source="case_other",
    )
    links.append(pd.DataFrame({"ck": ck[asc], "pidx": a_idx, "role": "associate"}))

    links.append(assign_professionals(ctx, cases, prof))
    out = pd.concat(links, ignore_index=True)
    out["pidx"] = out["pidx"].astype(int)
    return out.drop_duplicates(["ck", "pidx", "role"]).reset_index(drop=True)


STREET_NAMES = (
    "Shorty",
    "Tank",
    "Smiler",
    "Ginge",
    "Spider",
    "Bonez",
    "Dizzy",
    "Scouse",
    "Rocky",
    "Taz",
    "Chopper",
    "Skinny",
    "Lanky",
    "Jonno",
    "Mo",
    "Nacho",
    "Blade",
    "Ghost",
    "Buzz",
    "Flash",
)


def _street_name(rng: np.random.Generator, given: str) -> str:
    """A street name or a shortened given name, as an alias."""
    from threadline.synth.names import nickname_table

    nicks = nickname_table().get(str(given).lower())
    if nicks and rng.random() < 0.6:
        return nicks[int(rng.integers(0, len(nicks)))].title()
    return STREET_NAMES[int(rng.integers(0, len(STREET_NAMES)))]
