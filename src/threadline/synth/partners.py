"""Partner agencies' records, anonymised and identifiable, with realistic recording errors.

Anonymised records (no names):

- ``nhs_ed``: emergency department assault attendances in the Information Sharing to Tackle
  Violence (ISTV) minimum dataset: time of arrival, where the assault happened as free text,
  weapon, number of assailants, age and sex. Half are victims of police-recorded assaults,
  domestic incidents and attempted homicides (the truth names them); the rest never reached the
  police, which is the point of ISTV (Cardiff Model for Violence Prevention), and happened where
  police-recorded violence happens. About 80% (:data:`ED_GEOCODED_SHARE`) name a street of the
  place and carry the analyst's geocode (``lsoa_code``, ``latitude``, ``longitude``); the rest are
  free text only ("park", "town centre", "at home", a bare pub name). The planted NHS-only hot
  spot (:mod:`threadline.synth.hotspot`) adds attendances in a few neighbouring LSOAs.
- ``ambulance``: call-outs to the deaths and attacks in ``cases`` and to non-fatal overdoses, with
  position, LSOA, age and sex; some overdoses are of people with police drug histories; a burst
  of overdoses accompanies the planted drug batch.

Identifiable records, shared under a data-sharing agreement (given name, family name, date of
birth, sex, postcode and the agency's own person reference):

- ``la_safeguarding`` (adult and children's safeguarding referrals, MARAC), ``youth_justice``
  (youth justice service disposals for people aged 10-17), ``probation`` (orders and licences).

They cover about 30% of the people connected to cases (60% of victims and suspects of homicide,
attempted homicide and suspicious death), prolific offenders, young offenders and domestic-abuse
victims from the incidents; plus records of people who are not in police data at all
(:data:`NON_MATCH_SHARE`). Each identifiable record of a police person is spoiled independently
at the rates in :data:`ERROR_RATES`; ``truth/partner_identity.csv`` names the true person and the
errors applied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threadline.synth import rates as R
from threadline.synth.context import HOUR, MINUTE, Context, iso_date, sample_days, sample_times
from threadline.synth.incidents import HOME_TYPES
from threadline.synth.names import nickname_table, spelling_variants
from threadline.synth.narratives import VENUES
from threadline.synth.people import age_on, date_parts, make_dates

#: Per-record error rates for identifiable records of police persons (ASSUMPTION, in the range
#: reported for administrative data linkage: e.g. ONS, *Data linkage: quality of matching*,
#: typically a few percent of records per error type, with postcode changes the commonest).
ERROR_RATES: dict[str, float] = {
    "typo_given_name": 0.04,  # one-character edit (substitution, deletion, insertion, transposition)
    "typo_family_name": 0.04,
    "nickname": 0.10,  # given name recorded as a nickname from the shipped table, when it has one
    "spelling_variant": 0.15,  # transliteration variant (Mohammed/Muhammad), when the name has one
    "dob_day_month_swapped": 0.04,  # when the day is 12 or less and differs from the month
    "dob_missing": 0.03,
    "postcode_missing": 0.08,
    "sex_missing": 0.02,
    "family_name_changed": 0.06,  # women aged 20+: married or divorced surname
    "postcode_changed": 0.12,  # moved house: a postcode elsewhere
    "duplicate_agency_ref": 0.05,  # the agency registered the person twice (second reference)
}
#: Identifiable records of people absent from police data, as a share of those of police persons.
NON_MATCH_SHARE = 0.35
#: Non-fatal overdoses attended by ambulance a year for the whole force (ASSUMPTION: roughly
#: ten per drug-related death, in line with ambulance service naloxone and overdose call data).
OVERDOSES_PER_YEAR_FULL = 1_500
#: ED assault attendances with no police record, per police-linked attendance: 1.0, so half of
#: attendances are unknown to police (ASSUMPTION, after the Cardiff Model literature: a third to
#: well over half of ED assault attendances are unknown to police, e.g. Sivarajasingam and
#: Shepherd; 59% in South Wales 2014-16, Gray et al. 2017, J Epidemiol Community Health 71:1218).
ED_UNLINKED_PER_LINKED = 1.0
#: Share of ED attendances whose free-text place the partnership analyst can geocode to a street
#: and so to an LSOA (ASSUMPTION); the rest are "park", "town centre", "at home", a bare pub name.
ED_GEOCODED_SHARE = 0.8
#: Chance that the victim of a police-recorded incident of each type attends an emergency
#: department (ASSUMPTION: most woundings, under half of assaults with injury, a few domestic
#: incidents and common assaults).
ED_P_BY_TYPE = {
    "assault_with_injury": 0.45,
    "wounding_gbh": 0.9,
    "robbery": 0.25,
    "sexual_offence": 0.2,
    "domestic_abuse": 0.1,
    "common_assault": 0.05,
}
#: Police-recorded violence (incident types) that ED assault attendances are set beside.
POLICE_VIOLENCE = (
    "common_assault",
    "assault_with_injury",
    "wounding_gbh",
    "robbery",
    "domestic_abuse",
    "threats_to_kill",
)

AGENCY_PREFIX = {
    "nhs_ed": "ED",
    "ambulance": "AMB",
    "la_safeguarding": "LAS",
    "youth_justice": "YJS",
    "probation": "PRB",
    "other": "OTH",
}
RECORD_TYPES = {
    "la_safeguarding_child": ("child_protection_referral", "child_in_need_assessment", "early_help_referral"),
    "la_safeguarding_adult": ("adult_safeguarding_concern", "section_42_enquiry", "care_act_assessment"),
    "la_safeguarding_da": ("marac_referral", "adult_safeguarding_concern"),
    "youth_justice": ("referral_order", "youth_conditional_caution", "youth_rehabilitation_order", "triage"),
    "probation": ("community_order", "suspended_sentence_order", "licence", "pre_sentence_report"),
}
RECORD_TEXT = {
    "child_protection_referral": "Referral from school; concerns about neglect at home",
    "child_in_need_assessment": "Assessment opened after police notification",
    "early_help_referral": "Family support offered after repeated police attendance",
    "adult_safeguarding_concern": "Safeguarding concern raised by housing officer",
    "section_42_enquiry": "Section 42 enquiry opened; risk of self-neglect and exploitation",
    "care_act_assessment": "Care needs assessment following hospital discharge",
    "marac_referral": "MARAC referral after high-risk DASH assessment",
    "referral_order": "Referral order following first court appearance",
    "youth_conditional_caution": "Youth conditional caution; engagement with YJS worker",
    "youth_rehabilitation_order": "YRO with supervision and curfew",
    "triage": "Prevention triage after police referral",
    "community_order": "Community order with unpaid work and rehabilitation activity",
    "suspended_sentence_order": "Suspended sentence order; supervision by probation",
    "licence": "Released on licence; supervision and exclusion zone",
    "pre_sentence_report": "Pre-sentence report requested by magistrates",
}
ED_WEAPONS = {
    "knife": 14,
    "bottle": 6,
    "glass": 5,
    "fists or feet": 55,
    "blunt object": 8,
    "other": 4,
    "none / unknown": 8,
}
ED_TEXT = (
    "Assault - head injury",
    "Facial laceration",
    "Punched; possible fractured cheekbone",
    "Stab wound",
    "Kicked while on the ground; rib pain",
    "Glassed in face",
    "Bite wound to hand",
    "Assaulted; concussion",
    "Cut to forearm",
    "Struck with object; scalp wound",
)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FATAL = (
    "homicide",
    "suspicious_death",
    "unexplained_death",
    "drug_related_death",
    "suicide",
    "fatal_collision",
    "other_death",
)


def istv_place(rng: np.random.Generator, street: str, home: bool, night: bool, located: bool) -> str:
    """The ISTV free-text place of an assault: with a street name when ``located`` (geocodable)."""
    if home:
        if located:
            forms = (f"home address, {street}", f"at a house on {street}", f"partner's house, {street}",
                     f"flat on {street}")
        else:
            forms = ("at home", "partner's house", "home address", "at a friend's house")
        return forms[int(rng.integers(0, len(forms)))]
    if night and rng.random() < 0.55:
        venue = VENUES[int(rng.integers(0, len(VENUES)))]
        if located:
            forms = (f"outside {venue}, {street}", f"in {venue} on {street}", f"{venue}, {street}")
        else:
            forms = (venue, f"near {venue}")
        return forms[int(rng.integers(0, len(forms)))]
    if located:
        forms = (street, f"in the street, {street}", f"bus stop on {street}", f"outside the shops on {street}")
    else:
        forms = ("town centre", "park", "in the park", "not known")
    return forms[int(rng.integers(0, len(forms)))]


def _ed(
    ctx: Context, inc: pd.DataFrame, inc_links: pd.DataFrame, cases: pd.DataFrame, links: pd.DataFrame
) -> pd.DataFrame:
    """ED assault attendances with internal ``place`` (true LSOA), ``home`` and ``night`` columns;
    :func:`locate_ed` then writes the free text and, for most, the geocoded position."""
    rng = ctx.rng("partners.ed")
    geo, people = ctx.geo, ctx.people
    itype = inc["incident_type"].to_numpy()
    p = np.array([ED_P_BY_TYPE.get(t, 0.0) for t in itype])
    sel = np.flatnonzero((inc["victim"].to_numpy() >= 0) & (rng.random(len(inc)) < p))
    occ = inc["occurred_at"].to_numpy()[sel]
    t_all = occ + rng.integers(20, 180, size=len(sel)) * MINUTE
    hours = (occ - occ.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
    flags = inc["flags"].to_numpy(dtype=object)[sel]
    weapons = R.draw(rng, ED_WEAPONS, len(sel))
    counts = R.draw(rng, {1: 70, 2: 18, 3: 7, 4: 5}, len(sel))
    texts = np.array(ED_TEXT, dtype=object)[rng.integers(0, len(ED_TEXT), size=len(sel))]
    keep = t_all <= ctx.period.end_ts
    from_inc = pd.DataFrame(
        {
            "pidx": inc["victim"].to_numpy()[sel],
            "occurred_at": t_all,
            "place": inc["lsoa"].to_numpy()[sel],
            "home": np.isin(itype[sel], HOME_TYPES),
            "night": (hours >= 20) | (hours < 4),
            "weapon": np.where(["knife" in f for f in flags], "knife", weapons).astype(object),
            "assailant_count": counts,
            "narrative": texts,
        }
    )[keep]
    att = cases[(cases["category"] == "attempted_homicide") & (rng.random(len(cases)) < 0.9)]
    weapon_of = {
        "sharp_instrument": "knife",
        "blunt_instrument": "blunt object",
        "hitting_kicking": "fists or feet",
        "shooting": "firearm",
        "strangulation": "none / unknown",
    }
    n_att = len(att)
    t_att = att["reported_at"].to_numpy().astype("datetime64[s]") + rng.integers(15, 90, size=n_att) * MINUTE
    occ_from = att["occurred_from"].to_numpy().astype("datetime64[s]")
    h_att = (occ_from - occ_from.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
    from_att = pd.DataFrame(
        {
            "pidx": att["victim"].to_numpy().astype(int),
            "occurred_at": t_att,
            "place": att["lsoa"].to_numpy().astype(int),
            "home": att["location_type"].isin(("dwelling_victim", "dwelling_other")).to_numpy(),
            "night": (h_att >= 20) | (h_att < 4),
            "weapon": [weapon_of.get(m, "other") for m in att["method"]],
            "assailant_count": R.draw(rng, {1: 75, 2: 15, 3: 10}, n_att),
            "narrative": np.where(rng.random(n_att) < 0.5, "Serious assault; admitted", "Major trauma, resus"),
        }
    )[t_att <= ctx.period.end_ts]
    linked = pd.concat([from_inc, from_att], ignore_index=True)
    linked["age"] = age_on(
        people.column("dob", linked["pidx"].to_numpy()),
        linked["occurred_at"].to_numpy().astype("datetime64[D]"),
    )
    linked["sex"] = people.column("sex", linked["pidx"].to_numpy())

    # Attendances never reported to the police, placed like police-recorded violence: at the
    # place of a police violence record (at home or elsewhere), with as many at home as make the
    # whole ED set's home share that of police violence.
    n_un = int(round(len(linked) * ED_UNLINKED_PER_LINKED))
    pool = inc["incident_type"].isin(POLICE_VIOLENCE).to_numpy()
    pool_home = pool & np.isin(itype, HOME_TYPES)
    pool_out = pool & ~pool_home
    home_share = pool_home.sum() / max(1, pool.sum())
    n_home = int(np.clip(round(home_share * (len(linked) + n_un) - linked["home"].sum()), 0, n_un))
    lsoa_all = inc["lsoa"].to_numpy()
    un_home = (
        rng.choice(lsoa_all[pool_home], size=n_home) if pool_home.any() else geo.pick(rng, "residential", n_home)
    )
    un_out = (
        rng.choice(lsoa_all[pool_out], size=n_un - n_home)
        if pool_out.any()
        else geo.pick(rng, "violence", n_un - n_home)
    )
    days = sample_days(
        rng,
        ctx.period.start_day,
        ctx.period.end_day + np.timedelta64(1, "D"),
        n_un,
        (0.15, 196),
        R.DOW["violence"],
    )
    t = sample_times(rng, days, R.HOURS["violence"]) + rng.integers(20, 120, size=n_un) * MINUTE
    t = np.minimum(t, ctx.period.end_ts)
    hours = (t - t.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
    unl = pd.DataFrame(
        {
            "pidx": -1,
            "occurred_at": t,
            "place": np.concatenate([un_home, un_out]).astype(int),
            "home": np.arange(n_un) < n_home,
            "night": (hours >= 20) | (hours < 4),
            "weapon": R.draw(rng, ED_WEAPONS, n_un),
            "assailant_count": R.draw(rng, {1: 65, 2: 20, 3: 9, 4: 6}, n_un),
            "narrative": np.array(ED_TEXT, dtype=object)[rng.integers(0, len(ED_TEXT), size=n_un)],
            "age": R.draw_ages(
                rng, (((14, 18), 10), ((18, 25), 35), ((25, 35), 28), ((35, 50), 20), ((50, 80), 7)), n_un
            ),
            "sex": np.where(rng.random(n_un) < 0.7, "male", "female"),
        }
    )
    out = pd.concat([linked, unl], ignore_index=True)
    out["agency"] = "nhs_ed"
    out["record_type"] = "assault_attendance"
    out["match_type"] = np.where(out["pidx"] >= 0, "anonymised_linked", "anonymised_unlinked")
    return locate_ed(ctx, ctx.rng("partners.ed.place"), out)


def locate_ed(ctx: Context, rng: np.random.Generator, ed: pd.DataFrame) -> pd.DataFrame:
    """Free-text place for each attendance and, for :data:`ED_GEOCODED_SHARE` of them, the
    partnership analyst's geocode: the LSOA and a point in it (the street named is one of its)."""
    geo = ctx.geo
    ed = ed.reset_index(drop=True)
    place = ed["place"].to_numpy().astype(int)
    located = rng.random(len(ed)) < ED_GEOCODED_SHARE
    streets = geo.street(rng, place)
    ed["location_text"] = [
        istv_place(rng, s, bool(h), bool(nt), bool(lo))
        for s, h, nt, lo in zip(streets, ed["home"], ed["night"], located, strict=True)
    ]
    return set_position(ctx, rng, ed, located)


def set_position(ctx: Context, rng: np.random.Generator, ed: pd.DataFrame, located: np.ndarray) -> pd.DataFrame:
    """``lsoa_code``, ``latitude`` and ``longitude`` of the ``located`` rows (a point 100-300 m from
    the centroid of their ``place``); empty for the others."""
    geo = ctx.geo
    place = ed["place"].to_numpy().astype(int)
    lat, lon = geo.jitter(rng, place)
    ed["located"] = located
    ed["lsoa_code"] = np.where(located, geo.code[place], "")
    ed["latitude"] = np.where(located, lat, np.nan)
    ed["longitude"] = np.where(located, lon, np.nan)
    return ed


def _ambulance(ctx: Context, cases: pd.DataFrame, inc: pd.DataFrame, inc_links: pd.DataFrame) -> pd.DataFrame:
    rng = ctx.rng("partners.ambulance")
    geo, people = ctx.geo, ctx.people
    p = {
        "drug_related_death": 0.85,
        "unexplained_death": 0.5,
        "suicide": 0.6,
        "homicide": 0.9,
        "attempted_homicide": 0.9,
        "fatal_collision": 0.9,
        "suspicious_death": 0.6,
        "other_death": 0.5,
    }
    rtype = {
        "drug_related_death": "overdose",
        "unexplained_death": "cardiac_arrest",
        "suicide": "cardiac_arrest",
        "homicide": "assault",
        "attempted_homicide": "assault",
        "fatal_collision": "road_traffic_collision",
        "suspicious_death": "unconscious_person",
        "other_death": "fall_or_injury",
    }
    c = cases[(cases["facility"] == "") & (rng.random(len(cases)) < cases["category"].map(p).to_numpy())]
    n = len(c)
    violent = c["category"].isin(("homicide", "attempted_homicide", "fatal_collision")).to_numpy()
    t = np.where(
        violent,
        c["occurred_to"].to_numpy() + rng.integers(2, 15, size=n) * MINUTE,
        c["reported_at"].to_numpy() - rng.integers(5, 30, size=n) * MINUTE,
    )
    t = np.minimum(t.astype("datetime64[s]"), ctx.period.end_ts)
    lat, lon = geo.jitter(rng, c["lsoa"].to_numpy(), 100, 250)
    age = c["victim_age"].to_numpy().astype(int)
    approx = rng.random(n) < 0.1
    age[approx] = np.clip(np.round(age[approx] / 5) * 5, 0, 120)
    text = {
        "overdose": "Unresponsive, suspected overdose; ROLE",
        "cardiac_arrest": "Cardiac arrest; ROLE",
        "assault": "Assault with serious injuries; conveyed",
        "road_traffic_collision": "RTC; major trauma",
        "unconscious_person": "Unconscious person; police requested",
        "fall_or_injury": "Injury; ROLE",
    }
    rt = c["category"].map(rtype).to_numpy()
    cases_amb = pd.DataFrame(
        {
            "pidx": c["victim"].to_numpy(),
            "occurred_at": t,
            "latitude": lat,
            "longitude": lon,
            "lsoa_code": geo.code[c["lsoa"].to_numpy()],
            "age": age,
            "sex": c["victim_sex"].to_numpy(),
            "record_type": rt,
            "narrative": [
                text[r].replace("ROLE", "recognition of life extinct" if cat in FATAL else "conveyed")
                for r, cat in zip(rt, c["category"], strict=True)
            ],
            "match_type": "anonymised_linked",
            "series": "",
        }
    )

    # Non-fatal overdoses: some of people with police drug histories.
    n_od = int(round(OVERDOSES_PER_YEAR_FULL * ctx.period.years * ctx.population / R.FULL_POPULATION))
    drug_people = inc_links.merge(inc[["ik", "incident_type"]], on="ik")
    drug_people = np.unique(
        drug_people.loc[
            (drug_people["incident_type"] == "drugs") & (drug_people["role"] == "suspect"), "pidx"
        ].to_numpy()
    )
    days = sample_days(
        rng,
        ctx.period.start_day,
        ctx.period.end_day + np.timedelta64(1, "D"),
        n_od,
        (0.15, 15),
        R.DOW["drugs"],
    )
    t = np.minimum(sample_times(rng, days, R.HOURS["evening"]), ctx.period.end_ts)
    known = (rng.random(n_od) < 0.4) & (len(drug_people) > 0)
    pidx = np.full(n_od, -1)
    if len(drug_people):
        pidx[known] = drug_people[rng.integers(0, len(drug_people), size=int(known.sum()))]
    lsoa = geo.pick(rng, "drugs", n_od)
    lsoa[known] = geo.near(rng, people.column("home", pidx[known]).astype(int), 8)
    age = R.draw_ages(rng, R.AGE_BANDS["drug_related_death"], n_od)
    sex = np.where(rng.random(n_od) < 0.7, "male", "female").astype(object)
    if known.any():
        age[known] = age_on(people.column("dob", pidx[known]), t[known].astype("datetime64[D]"))
        sex[known] = people.column("sex", pidx[known])
    lat, lon = geo.jitter(rng, lsoa)
    od_text = (
        "Suspected opiate overdose; naloxone given; conveyed",
        "Overdose; recovered on scene; refused conveyance",
        "Unconscious, pinpoint pupils; naloxone x1; conveyed",
        "Suspected overdose at friend's address; responded to naloxone",
    )
    ods = pd.DataFrame(
        {
            "pidx": pidx,
            "occurred_at": t,
            "latitude": lat,
            "longitude": lon,
            "lsoa_code": geo.code[lsoa],
            "age": age,
            "sex": sex,
            "record_type": "overdose",
            "narrative": np.array(od_text, dtype=object)[rng.integers(0, len(od_text), size=n_od)],
            "match_type": np.where(pidx >= 0, "anonymised_linked", "anonymised_unlinked"),
            "series": "",
        }
    )

    # The drug batch: a burst of non-fatal overdoses in the same area and days.
    batch = ctx.notes.get("drug_batch")
    frames = [cases_amb, ods]
    if batch:
        k = max(4, int(round(1.5 * batch["n_members"])))
        d = batch["first"] + rng.integers(-2, 12, size=k).astype("timedelta64[D]")
        d = np.clip(d, ctx.period.start_day, ctx.period.end_day)
        t = np.minimum(sample_times(rng, d, R.HOURS["evening"]), ctx.period.end_ts)
        ls = rng.choice(batch["lsoas"], size=k)
        lat, lon = geo.jitter(rng, ls)
        texts = (
            "Overdose; said he had used 'red scorpion' bags; naloxone x3 before response",
            "Rapid collapse after injecting heroin; naloxone x2; conveyed",
            "Suspected opioid overdose, unusually strong batch reported by user; conveyed",
            "Overdose; friend says new heroin 'with a scorpion on it'; recovered after naloxone",
        )
        frames.append(
            pd.DataFrame(
                {
                    "pidx": -1,
                    "occurred_at": t,
                    "latitude": lat,
                    "longitude": lon,
                    "lsoa_code": geo.code[ls],
                    "age": rng.integers(25, 56, size=k),
                    "sex": np.where(rng.random(k) < 0.75, "male", "female"),
                    "record_type": "overdose",
                    "narrative": np.array(texts, dtype=object)[rng.integers(0, len(texts), size=k)],
                    "match_type": "anonymised_unlinked",
                    "series": "drug_batch_1",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["agency"] = "ambulance"
    return out


# -- identifiable -----------------------------------------------------------------------------------


def _candidates(
    ctx: Context, cases: pd.DataFrame, links: pd.DataFrame, inc: pd.DataFrame, inc_links: pd.DataFrame
) -> pd.DataFrame:
    """People who get identifiable records: (pidx, ref_day, suspect_like, da_victim, dies_on)."""
    rng = ctx.rng("partners.candidates")
    people = ctx.people
    lk = links[links["role"] != "professional"].merge(cases[["ck", "category", "reported_at"]], on="ck")
    serious = lk["category"].isin(("homicide", "attempted_homicide", "suspicious_death"))
    core = lk["role"].isin(("victim", "suspect"))
    p = np.where(serious & core, 0.6, 0.3)
    sel = lk[rng.random(len(lk)) < p]
    dies = np.where(
        (sel["role"] == "victim") & sel["category"].isin(FATAL),
        sel["reported_at"].to_numpy().astype("datetime64[D]"),
        np.datetime64("NaT"),
    )
    a = pd.DataFrame(
        {
            "pidx": sel["pidx"].to_numpy(),
            "ref": sel["reported_at"].to_numpy().astype("datetime64[D]"),
            "suspect_like": sel["role"].isin(("suspect", "associate")).to_numpy(),
            "da": False,
            "dies": dies.astype("datetime64[D]"),
        }
    )
    il = inc_links.merge(inc[["ik", "incident_type", "occurred_at", "flags"]], on="ik")
    il = il.sort_values(["pidx", "occurred_at", "ik"], kind="stable")
    first = il.groupby("pidx", sort=True).first()
    n_susp = il[il["role"] == "suspect"].groupby("pidx").size()
    da_v = il[(il["role"] == "victim") & il["flags"].str.contains("domestic_abuse", regex=False)]
    da_set = set(da_v["pidx"].tolist())
    pid = first.index.to_numpy()
    ns = n_susp.reindex(pid).fillna(0).to_numpy()
    ref = first["occurred_at"].to_numpy().astype("datetime64[D]")
    age = age_on(people.column("dob", pid), ref)
    is_da = np.isin(pid, sorted(da_set))
    prob = np.where(ns >= 3, 0.5, np.where(is_da, 0.25, np.where((ns >= 1) & (age < 18), 0.5, 0.03)))
    keep = rng.random(len(pid)) < prob
    b = pd.DataFrame(
        {
            "pidx": pid[keep],
            "ref": ref[keep],
            "suspect_like": ns[keep] >= 1,
            "da": is_da[keep],
            "dies": np.full(int(keep.sum()), np.datetime64("NaT"), dtype="datetime64[D]"),
        }
    )
    out = pd.concat([a, b], ignore_index=True).drop_duplicates("pidx").reset_index(drop=True)
    # Never a record for a planted key person (the series must be found in police data).
    return out


def _agency_for(
    rng: np.random.Generator, age: np.ndarray, suspect_like: np.ndarray, da: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(age)
    u = rng.random(n)
    agency = np.where(
        age < 18,
        np.where(suspect_like, "youth_justice", "la_safeguarding"),
        np.where(
            suspect_like,
            np.where(u < 0.75, "probation", "la_safeguarding"),
            np.where(u < 0.85, "la_safeguarding", "probation"),
        ),
    ).astype(object)
    agency[age >= 70] = "la_safeguarding"
    agency[(age < 10)] = "la_safeguarding"
    kind = np.where(
        agency == "la_safeguarding",
        np.where(
            age < 18, "la_safeguarding_child", np.where(da, "la_safeguarding_da", "la_safeguarding_adult")
        ),
        agency,
    ).astype(object)
    return agency, kind


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s + LETTERS[int(rng.integers(0, 26))]
    i = int(rng.integers(1, len(s) - 1))
    op = int(rng.integers(0, 4))
    c = LETTERS[int(rng.integers(0, 26))]
    if op == 0:  # substitution
        return s[:i] + (c if c != s[i].lower() else LETTERS[(LETTERS.index(c) + 1) % 26]) + s[i + 1 :]
    if op == 1:  # deletion
        return s[:i] + s[i + 1 :]
    if op == 2:  # insertion
        return s[:i] + c + s[i:]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :] if s[i] != s[i - 1] else s[:i] + s[i + 1 :]


def _identifiable(ctx: Context, cases, links, inc, inc_links) -> pd.DataFrame:
    rng = ctx.rng("partners.identifiable")
    geo, people = ctx.geo, ctx.people
    cand = _candidates(ctx, cases, links, inc, inc_links)
    pf = people.frame()
    pid = cand["pidx"].to_numpy()
    age_ref = age_on(pf["dob"].to_numpy()[pid], cand["ref"].to_numpy())
    agency, kind = _agency_for(rng, age_ref, cand["suspect_like"].to_numpy(), cand["da"].to_numpy())
    k = 1 + rng.poisson(0.4, size=len(cand))
    rows = np.repeat(np.arange(len(cand)), k)
    # A record date within 18 months before to 9 months after the person's police contact,
    # inside the period, after birth and (for the dead) before death.
    ref = cand["ref"].to_numpy()[rows].astype("datetime64[D]")  # days: the span below counts days
    born = pf["dob"].to_numpy()[pid[rows]].astype("datetime64[D]")
    lo = np.maximum(
        np.maximum(ref - np.timedelta64(540, "D"), ctx.period.start_day), born + np.timedelta64(14, "D")
    )
    hi = np.minimum(ref + np.timedelta64(270, "D"), ctx.period.end_day)
    dies = cand["dies"].to_numpy()[rows]
    dead = ~np.isnat(dies)
    hi[dead] = np.minimum(hi[dead], dies[dead] - np.timedelta64(7, "D"))
    hi = np.maximum(hi, lo)
    span = (hi - lo).astype(int) + 1
    day = lo + np.floor(rng.random(len(rows)) * span).astype(int).astype("timedelta64[D]")
    day = np.minimum(day, ctx.period.end_day)
    t = (
        day.astype("datetime64[s]")
        + rng.integers(8, 18, size=len(rows)) * HOUR
        + rng.integers(0, 60, len(rows)) * MINUTE
    )
    rec = pd.DataFrame(
        {"pidx": pid[rows], "occurred_at": t, "agency": agency[rows], "kind": kind[rows], "person_row": rows}
    )
    # Agency person references: one per person per agency, sometimes two (duplicate registration).
    refs = {
        a: rng.permutation(900_000)[: len(cand)] + 100_000
        for a in ("la_safeguarding", "youth_justice", "probation")
    }
    rec["source_person_ref"] = [
        f"{AGENCY_PREFIX[a]}P{refs[a][r]}" for a, r in zip(rec["agency"], rec["person_row"], strict=True)
    ]
    rec["record_type"] = [RECORD_TYPES[kd][int(rng.integers(0, len(RECORD_TYPES[kd])))] for kd in rec["kind"]]
    rec["narrative"] = rec["record_type"].map(RECORD_TEXT)
    true = pf.loc[rec["pidx"].to_numpy()]
    rec["given_name"] = true["given"].to_numpy()
    rec["family_name"] = true["family"].to_numpy()
    rec["dob"] = true["dob"].to_numpy()
    rec["sex"] = true["sex"].to_numpy()
    rec["ethnicity"] = np.where(rng.random(len(rec)) < 0.85, true["ethnicity"].to_numpy(), "")
    rec["postcode"] = true["postcode"].to_numpy()
    rec["age"] = age_on(rec["dob"].to_numpy(), rec["occurred_at"].to_numpy().astype("datetime64[D]"))
    rec["errors"] = _spoil(ctx, rng, rec, true)
    rec["match_type"] = "identifiable_match"

    # People not in police data at all.
    n_nm = int(round(NON_MATCH_SHARE * len(rec)))
    home = geo.pick(rng, "residential", n_nm)
    sex = np.where(rng.random(n_nm) < 0.5, "male", "female").astype(object)
    age = R.draw_ages(rng, (((10, 18), 20), ((18, 30), 30), ((30, 50), 30), ((50, 90), 20)), n_nm)
    day = ctx.period.start_day + rng.integers(0, ctx.period.n_days, size=n_nm).astype("timedelta64[D]")
    eth_mix = geo.ethnic_mix[geo.la[home]]
    eth = np.array(["asian", "black", "mixed", "white", "other", "not_stated"], dtype=object)[
        np.minimum((rng.random(n_nm)[:, None] > np.cumsum(eth_mix, axis=1)).sum(axis=1), 5)
    ]
    from threadline.synth.people import birth_dates

    dob = birth_dates(rng, age, day)
    given, family, _ = ctx.names.draw(rng, sex, eth, date_parts(dob)[0])
    ag, kd = _agency_for(rng, age, rng.random(n_nm) < 0.5, rng.random(n_nm) < 0.1)
    nm = pd.DataFrame(
        {
            "pidx": -1,
            "occurred_at": day.astype("datetime64[s]") + rng.integers(8, 18, size=n_nm) * HOUR,
            "agency": ag,
            "kind": kd,
            "given_name": given,
            "family_name": family,
            "dob": dob,
            "sex": sex,
            "ethnicity": np.where(rng.random(n_nm) < 0.85, eth, ""),
            "postcode": geo.postcodes(rng, home),
            "age": age,
            "errors": "",
            "match_type": "non_match",
        }
    )
    nm["source_person_ref"] = [
        f"{AGENCY_PREFIX[a]}P{n}"
        for a, n in zip(ag, rng.integers(1_000_000, 1_999_999, size=n_nm), strict=True)
    ]
    nm["record_type"] = [RECORD_TYPES[x][int(rng.integers(0, len(RECORD_TYPES[x])))] for x in kd]
    nm["narrative"] = nm["record_type"].map(RECORD_TEXT)
    out = pd.concat([rec.drop(columns=["kind", "person_row"]), nm.drop(columns=["kind"])], ignore_index=True)
    out["date_of_birth"] = iso_date(out["dob"].to_numpy().astype("datetime64[D]"))
    return out


def _spoil(ctx: Context, rng: np.random.Generator, rec: pd.DataFrame, true: pd.DataFrame) -> list[str]:
    """Apply recording errors in place; return the ``;``-joined errors of each record."""
    geo = ctx.geo
    nick = nickname_table()
    variants = spelling_variants()
    n = len(rec)
    u = rng.random((n, len(ERROR_RATES)))
    keys = list(ERROR_RATES)
    rate = np.array([ERROR_RATES[k] for k in keys])
    hit = u < rate[None, :]
    given = rec["given_name"].to_numpy().copy()
    family = rec["family_name"].to_numpy().copy()
    dob = rec["dob"].to_numpy().astype("datetime64[D]").copy()
    dob_text = iso_date(dob)
    sex = rec["sex"].to_numpy().copy()
    postcode = rec["postcode"].to_numpy().copy()
    refs = rec["source_person_ref"].to_numpy().copy()
    home = true["home"].to_numpy()
    groups = true["group"].to_numpy()
    y, m, d = date_parts(dob)
    age = rec["age"].to_numpy()
    errors: list[str] = []
    for i in range(n):
        applied = []
        h = hit[i]
        g = str(given[i])
        if h[keys.index("nickname")] and g.lower() in nick:
            opts = nick[g.lower()]
            given[i] = opts[int(rng.integers(0, len(opts)))].title()
            applied.append("nickname")
        elif h[keys.index("spelling_variant")] and g in variants:
            opts = variants[g]
            given[i] = opts[int(rng.integers(0, len(opts)))]
            applied.append("spelling_variant")
        if (
            h[keys.index("spelling_variant")]
            and "spelling_variant" not in applied
            and str(family[i]) in variants
        ):
            opts = variants[str(family[i])]
            family[i] = opts[int(rng.integers(0, len(opts)))]
            applied.append("spelling_variant")
        if h[keys.index("typo_given_name")]:
            given[i] = _typo(rng, str(given[i]))
            applied.append("typo_given_name")
        if h[keys.index("family_name_changed")] and sex[i] == "female" and age[i] >= 20:
            new = ctx.names.family_names(rng, "female", str(groups[i]), 3)
            new = [x for x in new if x != family[i]]
            if new:
                family[i] = new[0]
                applied.append("family_name_changed")
        if h[keys.index("typo_family_name")]:
            family[i] = _typo(rng, str(family[i]))
            applied.append("typo_family_name")
        if h[keys.index("dob_missing")]:
            dob_text[i] = ""
            applied.append("dob_missing")
        elif h[keys.index("dob_day_month_swapped")] and d[i] <= 12 and d[i] != m[i]:
            dob_text[i] = str(make_dates(np.array([y[i]]), np.array([d[i]]), np.array([m[i]]))[0])
            applied.append("dob_day_month_swapped")
        if h[keys.index("sex_missing")]:
            sex[i] = ""
            applied.append("sex_missing")
        if h[keys.index("postcode_missing")]:
            postcode[i] = ""
            applied.append("postcode_missing")
        elif h[keys.index("postcode_changed")]:
            moved = geo.near(rng, np.array([home[i]]), 60)[0]
            if moved == home[i]:
                moved = geo.near(rng, np.array([home[i]]), 60)[0]
            postcode[i] = geo.postcodes(rng, np.array([moved]))[0]
            applied.append("postcode_changed")
        if h[keys.index("duplicate_agency_ref")]:
            refs[i] = f"{refs[i]}D"
            applied.append("duplicate_agency_ref")
        errors.append(";".join(applied))
    rec["given_name"], rec["family_name"], rec["sex"], rec["postcode"] = given, family, sex, postcode
    rec["source_person_ref"] = refs
    rec["dob_text"] = dob_text
    return errors


def generate(ctx: Context, cases, links, inc, inc_links, nhs_hotspot: bool = True) -> pd.DataFrame:
    """All partner records, with ``pidx`` (-1 when none), ``match_type`` and ``errors`` for the truth.

    With ``nhs_hotspot`` the planted NHS-only hot spot's attendances are added; its truth frame
    (empty without it) is left in ``ctx.notes["nhs_hotspot"]``.
    """
    from threadline.synth import hotspot

    ed = _ed(ctx, inc, inc_links, cases, links)
    if nhs_hotspot:
        extra, ctx.notes["nhs_hotspot"] = hotspot.plant(ctx, ed, inc)
        ed = pd.concat([ed, extra], ignore_index=True)
    else:
        ctx.notes["nhs_hotspot"] = hotspot.empty_truth()
    ed = ed.drop(columns=["place", "home", "night", "located"])
    amb = _ambulance(ctx, cases, inc, inc_links)
    ident = _identifiable(ctx, cases, links, inc, inc_links)
    ident["date_of_birth"] = ident["dob_text"].where(ident["dob_text"].notna(), ident["date_of_birth"])
    out = pd.concat([ed, amb, ident], ignore_index=True)
    for col in (
        "series",
        "errors",
        "location_text",
        "weapon",
        "lsoa_code",
        "given_name",
        "family_name",
        "date_of_birth",
        "ethnicity",
        "postcode",
        "source_person_ref",
    ):
        if col not in out:
            out[col] = ""
        out[col] = out[col].fillna("")
    out["occurred_at"] = np.minimum(out["occurred_at"].to_numpy().astype("datetime64[s]"), ctx.period.end_ts)
    order = np.lexsort((np.arange(len(out)), out["occurred_at"].to_numpy(), out["agency"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    seq = out.groupby("agency", sort=False).cumcount() + 1
    out["record_id"] = [f"{AGENCY_PREFIX[a]}-{s:07d}" for a, s in zip(out["agency"], seq, strict=True)]
    return out


__all__ = ["generate", "istv_place", "locate_ed", "set_position", "ERROR_RATES", "NON_MATCH_SHARE"]
