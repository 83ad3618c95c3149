"""Build a report: findings (JSON), HTML (self-contained) and PDF (WeasyPrint, tagged).

The HTML embeds its CSS and every chart as a data URI, so it opens offline from one file; the
PDF is rendered from the same HTML with WeasyPrint (``pdf_tags=True`` gives a tagged PDF whose
headings and figure alt texts a screen reader can use).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from threadline.report import charts
from threadline.report.commentary import FIELD_WORDS, LABELS
from threadline.report.findings import build_findings
from threadline.report.period import Period
from threadline.workspace import Workspace

AGENCIES = {"nhs_ed": "emergency departments (ISTV)", "ambulance": "ambulance assault call-outs"}


@dataclass
class ReportFiles:
    out_dir: Path
    html: Path
    pdf: Path | None
    findings: Path
    data: dict


def _figure(chart: charts.Chart | None) -> Markup:
    if chart is None:
        return Markup("")
    return Markup(
        f'<figure><img src="{chart.data_uri}" alt="{escape(chart.alt)}">'
        f"<figcaption>{escape(chart.title)}. {escape(chart.source)}.</figcaption></figure>"
    )


def _breakdown_tables(bd: dict, only: list[str] | None = None) -> Markup:
    if not bd:
        return Markup('<p class="none">No cases in this period.</p>')
    parts = ['<div class="pair">']
    for field, table in bd.items():
        if only and field not in only:
            continue
        rows = "".join(
            f"<tr><td>{escape(r['value'].replace('_', ' '))}</td><td>{r['count']}</td>"
            f"<td>{_share(r['share'])}</td></tr>" for r in table["rows"])
        head = '<thead><tr><th scope="col">Value</th><th scope="col">Cases</th><th scope="col">Share</th></tr></thead>'
        parts.append(f'<div><table><caption>{escape(table["title"])}</caption>{head}<tbody>{rows}</tbody></table></div>')
    parts.append("</div>")
    return Markup("".join(parts))


def _share(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.0f}%"


def _section_summary(sec: dict) -> Markup:
    ch = sec["change"]
    words = ("unchanged" if ch["direction"] == "level" else
             f"{'up' if ch['direction'] == 'up' else 'down'} from {ch['base']}, "
             f"{'more than chance' if ch['significant'] else 'within chance variation'} (p = {ch['p_value']:.2f})")
    areas = ", ".join(f"{k} {v}" for k, v in list(sec["by_area"].items())[:5])
    cats = ", ".join(LABELS[c] for c in sec["categories"])
    return Markup(f"<p>{sec['current']} {escape(cats)} this period, {escape(words)} on the previous period."
                  f"{' By local authority: ' + escape(areas) + '.' if areas else ''}</p>")


def _top_categories(counts: dict) -> str:
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{LABELS.get(k, k)} {v}" for k, v in top)


def format_p(p: float | None) -> str:
    """A p-value as a reader expects it: three decimals, and "< 0.001" rather than a misleading 0.000."""
    if p is None or p != p:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def render_html(f: dict, title: str) -> str:
    env = Environment(autoescape=select_autoescape(["html", "j2"]))
    env.filters["pvalue"] = format_p
    template = env.from_string((files("threadline.report") / "templates" / "report.html.j2").read_text("utf-8"))
    css = (files("threadline.report") / "templates" / "report.css").read_text("utf-8")
    made = {
        "quarterly": charts.quarterly_chart(f),
        "map": charts.map_chart(f),
        "context": charts.context_chart(f),
        "trends": [charts.trend_chart(e) for e in f["emerging"][:6]],
        "series": charts.series_chart(f) if f["series"]["linkage_run"] and f["series"]["items"] else None,
    }
    groups: dict[str, list] = {}
    for c in f["commentary"]:
        groups.setdefault(c["group"], []).append(c)
    quality: dict[str, list] = {}
    for r in f["data_quality"]["by_source"]:
        quality.setdefault(r["source"], []).append(r)
    return template.render(
        f=f, title=title, css=Markup(css), charts=made, labels=LABELS, fields=FIELD_WORDS, agencies=AGENCIES,
        commentary_groups=list(groups.items()), quality_rows=list(quality.items()), figure=_figure,
        breakdown_tables=_breakdown_tables, section_summary=_section_summary, top_categories=_top_categories,
    )


def write_pdf(html: str, target: Path) -> Path:
    from weasyprint import HTML

    HTML(string=html).write_pdf(target, pdf_tags=True)
    return target


def build_report(ws: Workspace, period: Period, out_dir: Path | str, *, forces: list[str] | None = None,
                 categories: list[str] | None = None, pdf: bool = True,
                 progress: Callable[[str], None] | None = None) -> ReportFiles:
    """Compute findings for ``period`` and write ``report.html``, ``report.pdf``, ``findings.json``."""
    step = progress or (lambda _s: None)
    out = output_folder(out_dir)
    f = build_findings(ws, period, forces=forces, categories=categories, progress=step)
    kind = "Quarterly analytical report" if period.kind == "quarter" else "Problem profile"
    title = f"{kind} on death investigations: {period.label}"
    html_path, pdf_path = write_outputs(out, "report", json.dumps(f, indent=1), lambda: render_html(f, title),
                                        pdf, step)
    return ReportFiles(out, html_path, pdf_path, out / "findings.json", f)


def output_folder(out_dir: Path | str) -> Path:
    """The report's folder, made if missing; a file of that name is an error."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        from threadline.errors import InputError

        raise InputError("the report's output must be a folder, and this is a file", file=out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_outputs(out: Path, stem: str, findings_json: str, render: Callable[[], str], pdf: bool,
                  step: Callable[[str], None]) -> tuple[Path, Path | None]:
    """Write ``findings.json``, ``<stem>.html`` and (if ``pdf``) ``<stem>.pdf`` in ``out``."""
    (out / "findings.json").write_text(findings_json, encoding="utf-8")
    step("charts and HTML")
    html = render()
    (out / f"{stem}.html").write_text(html, encoding="utf-8")
    pdf_path = None
    if pdf:
        step("PDF")
        pdf_path = write_pdf(html, out / f"{stem}.pdf")
    return out / f"{stem}.html", pdf_path
