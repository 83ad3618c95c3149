"""Analytical commentary: sentences written from the findings by rules, no language model.

Each sentence carries ``refs``: the paths in ``findings.json`` it was written from, so a reader
(or a test) can check every claim against a number. Sentences are grouped as the HMICFRS
recommendation asks a death-investigation report to say: what changed and whether it is more
than chance, what is emerging, where, among whom, and what to look at next.
"""

from __future__ import annotations

LABELS = {
    "homicide": "homicides", "attempted_homicide": "near-miss homicides (attempted)",
    "suspicious_death": "suspicious deaths", "unexplained_death": "unexplained deaths",
    "drug_related_death": "drug-related deaths", "suicide": "suicides", "fatal_collision": "fatal collisions",
    "other_death": "other deaths", "all": "death investigations and near-miss homicides",
}
FIELD_WORDS = {
    "latitude": "location coordinates", "lsoa_code": "LSOA", "location_type": "location type",
    "method": "method", "circumstance": "circumstance", "victim_age": "victim age", "victim_sex": "victim sex",
    "victim_ethnicity": "victim ethnicity", "suspect_relationship": "victim-suspect relationship",
    "status": "investigation status",
}


def _s(text: str, *refs: str, group: str) -> dict:
    return {"group": group, "text": text, "refs": list(refs)}


def commentary(f: dict) -> list[dict]:
    """Sentences for the summary, in reading order."""
    out: list[dict] = []
    period = f["period"]["label"]
    vols = f["volumes"]
    kind = f["period"]["kind"]
    base = "vs_year_ago" if kind == "quarter" else "vs_previous"
    base_words = "the same quarter last year" if kind == "quarter" else "the previous period of the same length"
    allv = vols["all"]
    out.append(_s(f"In {period} the register holds {allv['current']} {LABELS['all']}: "
                  f"{_change(allv[base])} against {base_words}.", f"volumes.all.{base}", group="what changed"))
    for cat, v in vols.items():
        if cat == "all":
            continue
        change = v[base]
        if change["significant"] or cat == "homicide":
            rate = f" The rate over the last year is {v['rate']:.2f} per 100,000 residents." if v["rate"] else ""
            out.append(_s(f"{LABELS[cat].capitalize()}: {v['current']}, {_change(change)}.{rate}",
                          f"volumes.{cat}.{base}", f"volumes.{cat}.rate", group="what changed"))
    ctx = f.get("context", {})
    if ctx.get("force_rate_rolling_year") is not None:
        out.append(_s(f"The homicide rate over the last year, {ctx['force_rate_rolling_year']:.2f} per 100,000, "
                      "compares "
                      f"with {ctx['national_rate_2017_18']:.2f} for England and Wales in 2017/18 (the latest "
                      "national figure shipped).", "context.force_rate_rolling_year", "context.national_rate_2017_18",
                      group="what changed"))
    emerging = f["emerging"]
    method = f["emerging_method"]
    if emerging:
        for e in emerging[:5]:
            out.append(_s(f"Emerging: {e['description']}.", f"emerging[{emerging.index(e)}]", group="what is emerging"))
    else:
        out.append(_s(f"Nothing is emerging: no category, local authority or flag rose beyond its seasonal "
                      f"expectation in {method['quarter']} ({method['series_tested']} series tested, false "
                      f"discovery rate {method['false_discovery_rate']:.0%}).", "emerging_method",
                      group="what is emerging"))
    areas = [a for a in f["areas"] if a["la_code"]]
    if areas:
        top = max(areas, key=lambda a: a["cases"])
        out.append(_s(f"{top['la_name']} had the most cases ({top['cases']}); its rate over the last year was "
                      f"{top['rate']:.0f} per 100,000 residents.", "areas", group="where"))
    hot = f["hotspots"]["hot"]
    if hot:
        names = ", ".join(sorted({h["la_name"] for h in hot}))
        out.append(_s(f"{len(hot)} LSOA{'s' if len(hot) > 1 else ''} form{'' if len(hot) > 1 else 's'} statistically "
                      f"significant hot spots of homicide, near-miss, suspicious and drug-related cases over "
                      f"{f['hotspots']['window']} (in {names}).", "hotspots.hot", group="where"))
    else:
        out.append(_s(f"No LSOA is a statistically significant hot spot of homicide, near-miss, suspicious and "
                      f"drug-related cases over {f['hotspots']['window']}.", "hotspots", group="where"))
    partner = f.get("partner", {})
    if partner.get("available") and partner["nhs_only_hotspots"]:
        first = partner["nhs_only_hotspots"][0]
        out.append(_s(f"NHS data shows {len(partner['nhs_only_hotspots'])} area(s) with more assault attendances than "
                      f"police records predict; the strongest is {first['lsoa_name']} ({first['la_name']}): "
                      f"{first['nhs']} NHS records against {first['expected_nhs']:.0f} expected, with "
                      f"{first['police']} police violence records.", "partner.nhs_only_hotspots", group="where"))
    hom = f["sections"]["homicide"]["breakdowns"]
    victims = f["sections"]["homicide"]["current"] + f["sections"]["near_miss"]["current"]
    if hom and victims:
        sex = {r["value"]: r["count"] for r in hom["victim_sex"]["rows"]}
        age = max((r for r in hom["age_band"]["rows"] if r["value"] != "not recorded"),
                  key=lambda r: r["count"], default=None)
        if age:
            out.append(_s(f"Of {f['sections']['homicide']['current']} homicide victims, {sex.get('male', 0)} were "
                          f"male and {sex.get('female', 0)} female; the commonest age band was {age['value']}.",
                          "sections.homicide.breakdowns", group="among whom"))
    dq = f["data_quality"]["current"]
    known = {k: v for k, v in dq.items() if v is not None}
    if known:
        worst = min(known, key=known.get)
        prev = f["data_quality"]["previous"].get(worst)
        points = None if prev is None else round((known[worst] - prev) * 100)
        since = "" if points is None else (" (as in the previous period)" if points == 0
                                           else f" ({points:+d} points on the previous period)")
        out.append(_s(f"Least complete field: {FIELD_WORDS.get(worst, worst)}, recorded for {known[worst]:.0%} of "
                      f"cases{since}.", f"data_quality.current.{worst}", group="data quality"))
    out += next_steps(f)
    return out


def next_steps(f: dict) -> list[dict]:
    """What to look at next, one sentence per reason."""
    out = []
    for i, e in enumerate(f["emerging"][:3]):
        where = "across the force" if e["area"] == "force" else f"in {e['area']}"
        what = ", ".join(e["flags"]) + "-flagged cases" if e["flags"] else LABELS.get(e["category"], e["category"])
        out.append(_s(f"Review the {e['observed']} {what} {where} in {e['quarter']} together: is there a common "
                      "cause, place or person?", f"emerging[{i}]", group="what to look at next"))
    partner = f.get("partner", {})
    if partner.get("available") and partner["nhs_only_hotspots"]:
        out.append(_s("Share the NHS-only hot spots with the community safety partnership: violence there is "
                      "reaching hospitals but not police.", "partner.nhs_only_hotspots", group="what to look at next"))
    if not f["series"]["linkage_run"]:
        out.append(_s("Run series linkage: this report has not yet looked for linked series of deaths.",
                      "series.linkage_run", group="what to look at next"))
    else:
        for i, s in enumerate(f["series"]["items"][:3]):
            kind = s["kind"].replace("_", " ")
            out.append(_s(f"Review candidate series {s['series_id']} ({kind}): {s['description']}.",
                          f"series.items[{i}]", group="what to look at next"))
    return out


def _change(change: dict) -> str:
    """Words for a change dict from :class:`threadline.analyse.rates.Change`."""
    if change["direction"] == "level":
        return "unchanged"
    word = "up" if change["direction"] == "up" else "down"
    size = f"{change['percent']:+.0f}%" if change["percent"] is not None else f"{change['difference']:+d}"
    verdict = ("more than chance" if change["significant"] else "within chance variation")
    return f"{word} from {change['base']} ({size}), {verdict} (p = {change['p_value']:.2f})"
