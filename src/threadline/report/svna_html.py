"""Render the strategic needs assessment (:mod:`threadline.report.svna`) to HTML and PDF.

Same approach as the quarterly report (:mod:`threadline.report.build`): one self-contained HTML file
(CSS and charts embedded) and a tagged PDF from it with WeasyPrint. ``findings.json`` holds the same
published figures (suppressed cells are null), never person identifiers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from threadline.analyse.violence.disclosure import render
from threadline.report import svna_charts
from threadline.report.build import _figure, format_p, output_folder, write_outputs
from threadline.report.svna import Scope, build_svna
from threadline.workspace import Workspace


@dataclass
class SvnaFiles:
    out_dir: Path
    html: Path
    pdf: Path | None
    findings: Path
    data: dict


def _num(v) -> str:
    return "–" if v is None else f"{int(v):,}"


def _cnum(v) -> str:
    """A count as published: [c] where suppressed."""
    return render(v)


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.0f}%"


def _rate(rate, low, high) -> Markup:
    if rate is None:
        return Markup("[c]")
    return Markup(f'{rate:.2f} <span class="ci">({low:.2f}–{high:.2f})</span>')


def _rri(r: dict, prefix: str = "") -> Markup:
    v, lo, hi = r.get(prefix + "rri"), r.get(prefix + "rri_low"), r.get(prefix + "rri_high")
    if r.get("group5") == "white":
        return Markup("1 <span class=\"ci\">(reference)</span>") if v is not None else Markup("–")
    if v is None or v != v:
        return Markup("–")
    hi_s = "∞" if hi is None or hi == float("inf") else f"{hi:.2f}"
    lo_s = "–" if lo is None else f"{lo:.2f}"
    return Markup(f'{v:.2f} <span class="ci">({lo_s}–{hi_s})</span>')


def _change_words(c: dict) -> str:
    if c.get("direction") is None:
        return "fewer than 24 months of data"
    if c["direction"] == "level":
        return "unchanged"
    pct = f" {abs(c['percent']):.0f}%" if c.get("percent") is not None else ""
    chance = "more than chance" if c["significant"] else "within chance variation"
    return f"{c['direction']}{pct}, {chance} (p = {format_p(c['p_value'])})"


def key_findings(f: dict) -> list[str]:
    """The summary lines, in words, from the published (suppressed) figures only."""
    lines = []
    v = f["volumes"]
    police = next((c for c in v["changes"] if c["source"].startswith("Police: serious")), None)
    if police:
        lines.append(f"Police recorded {police['last_12_months']:,} serious violence incidents in the last twelve "
                     f"months: {_change_words(police)}.")
    ed = next((c for c in v["changes"] if c["source"].startswith("Emergency")), None)
    if ed and ed["last_12_months"]:
        lost = ed.get("not_located", 0)
        more = ("" if v.get("not_located_counted", True) or lost == 0
                else f" (and {_cnum(lost)} more that could not be placed in any area)")
        lines.append(f"Emergency departments recorded {ed['last_12_months']:,} assault attendances{more}: "
                     f"{_change_words(ed)}.")
    w = f["where_when"]
    if w["hotspots"]:
        top = w["hotspots"][0]
        lines.append(f"{len(w['hotspots'])} neighbourhoods are hot spots beyond chance; the strongest is "
                     f"{top['lsoa_name']} ({top['la_name']}).")
    if w["peak_times"]:
        lines.append(f"The busiest hours are {w['peak_times'][0]}.")
    p = f["partners"]
    if p.get("available") and p.get("nhs_only_areas"):
        n = len(p["nhs_only_areas"])
        lines.append(f"{n} neighbourhood{'s see' if n > 1 else ' sees'} more assaults at the emergency department "
                     "than in police records: violence the police do not hear about.")
    d = f["disproportionality"]
    for role, rows in d["roles"].items():
        best = [r for r in rows if r["area"] == d["areas"][0] and r["group5"] != "white" and r.get("rri") is not None
                and r.get("rri_low") is not None and r["rri_low"] > 1]
        if best:
            b = max(best, key=lambda r: r["rri"])
            lines.append(f"{b['group5'].capitalize()} young people are {b['rri']:.1f} times as likely as White young "
                         f"people to be recorded as {role}s of serious violence (95% interval "
                         f"{b['rri_low']:.1f} to {b['rri_high']:.1f}).")
    rc = f["recording"]
    if rc.get("alerts"):
        lines.append(rc["alerts"][0]["message"] + ".")
    o = f["outcome22"]
    if o.get("training") and o["training"].get("summary"):
        lines.append(o["training"]["summary"].split(". ")[0] + ".")
    return lines


def render_html(f: dict, title: str) -> str:
    env = Environment(autoescape=select_autoescape(["html", "j2"]))
    env.filters["pvalue"] = format_p
    template = env.from_string((files("threadline.report") / "templates" / "svna.html.j2").read_text("utf-8"))
    css = (files("threadline.report") / "templates" / "report.css").read_text("utf-8")
    label = f["period"]["label"]
    d = f["disproportionality"]
    made = {
        "volumes": svna_charts.volumes_chart(f["volumes"], label),
        "day_hour": svna_charts.day_hour_chart(f["where_when"], label),
        "rri": [c for c in (svna_charts.rri_chart(rows, role, d["areas"][0]) for role, rows in d["roles"].items())
                if c is not None],
        "completeness": svna_charts.completeness_chart(f["recording"].get("completeness", []), label)
        if f["recording"].get("available") else None,
        "outcome22": (svna_charts.outcome22_chart(f["outcome22"]["training"]) if f["outcome22"].get("training")
                      else None),
    }
    return template.render(f=f, title=title, css=Markup(css), charts=made, summary=key_findings(f), figure=_figure,
                           num=_num, cnum=_cnum, pct=_pct, rate=_rate, rri=_rri, change_words=_change_words)


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def build_svna_report(ws: Workspace, scope: Scope, out_dir: Path | str, *, pdf: bool = True,
                      progress: Callable[[str], None] | None = None) -> SvnaFiles:
    """Compute the assessment and write ``svna.html``, ``svna.pdf`` and ``findings.json`` to ``out_dir``."""
    step = progress or (lambda _s: None)
    out = output_folder(out_dir)
    f = build_svna(ws, scope, progress=step)
    title = f"Serious violence strategic needs assessment: {scope.la_name}"
    html_path, pdf_path = write_outputs(out, "svna", json.dumps(_finite(f), indent=1, default=_json_default),
                                        lambda: render_html(f, title), pdf, step)
    return SvnaFiles(out, html_path, pdf_path, out / "findings.json", f)


def _finite(value):
    """JSON has no NaN or infinity: both become null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value
