"""Charts for the report, drawn with matplotlib (Agg) and embedded as PNG data URIs, so the HTML
opens offline and WeasyPrint puts the same pictures in the PDF. Every chart has a title, units,
period, source and alt text (for screen readers and the tagged PDF)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from threadline.report.commentary import LABELS  # noqa: E402

PALETTE = ["#1f4e79", "#c0392b", "#7d3c98", "#1e8449", "#b9770e", "#566573", "#2e86c1", "#a04000"]
SOURCE = "Source: force register (Threadline)"


@dataclass
class Chart:
    title: str
    alt: str
    source: str
    data_uri: str


def _render(fig, title: str, alt: str, source: str = SOURCE) -> Chart:
    fig.text(0.01, 0.01, source, fontsize=7, color="#555555")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return Chart(title, alt, source, uri)


def quarterly_chart(f: dict) -> Chart:
    q = f["quarterly"]
    quarters, counts = q["quarters"], q["counts"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    small = [c for c in ("homicide", "attempted_homicide", "suspicious_death") if c in counts]
    large = [c for c in counts if c not in small]
    for ax, cats, title in ((axes[0], small, "Homicide, near-miss and suspicious"), (axes[1], large, "Other deaths")):
        for i, c in enumerate(cats):
            ax.plot(quarters, counts[c], marker="o", ms=3, label=LABELS[c], color=PALETTE[i % len(PALETTE)])
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("cases per quarter", fontsize=8)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(bottom=0)
        if cats:
            ax.legend(fontsize=6, frameon=False)
        ax.grid(alpha=0.3)
    title = f"Cases per quarter by category, {quarters[0]} to {quarters[-1]}"
    parts = "; ".join(f"{LABELS[c]} {counts[c][-1]}" for c in counts)
    return _render(fig, title, f"Line charts of cases per quarter. Latest quarter: {parts}.")


def breakdown_chart(rows: list[dict], title: str) -> Chart | None:
    rows = [r for r in rows if r["count"]]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(4.4, 0.28 * len(rows) + 0.8))
    labels = [r["value"].replace("_", " ") for r in rows][::-1]
    ax.barh(labels, [r["count"] for r in rows][::-1], color=PALETTE[0])
    ax.set_xlabel("cases", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    alt = f"{title}: " + "; ".join(f"{r['value'].replace('_', ' ')} {r['count']}" for r in rows)
    return _render(fig, title, alt)


def _force_map(f: dict):
    """A figure of the force area: the LSOA positions in grey (no tiles). Returns ``(fig, ax)``."""
    fig, ax = plt.subplots(figsize=(7.5, 6))
    areas = f["hotspots"]["areas"]
    ax.scatter([a["longitude"] for a in areas], [a["latitude"] for a in areas], s=3, color="#d5d8dc",
               label="LSOA (approximate centre)")
    return fig, ax


def _finish_map(ax, f: dict, label_alpha: float) -> None:
    """Local authority names, aspect for these latitudes, small axes and the legend."""
    for name, (lat, lon) in f["hotspots"].get("la_positions", {}).items():
        ax.text(lon, lat, name, fontsize=8, ha="center", color="#34495e", alpha=label_alpha)
    ax.set_aspect(1 / 0.6)
    ax.set_xlabel("longitude", fontsize=7)
    ax.set_ylabel("latitude", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=6, loc="lower left", frameon=True)


def map_chart(f: dict) -> Chart:
    """Cases, hot spot LSOAs and NHS-only hot spots over the force's LSOA positions (no tiles)."""
    fig, ax = _force_map(f)
    hot = f["hotspots"]["hot"]
    if hot:
        ax.scatter([h["longitude"] for h in hot], [h["latitude"] for h in hot], s=90, color="#f5b7b1",
                   edgecolor="#c0392b", label="Gi* hot spot LSOA")
    for i, cat in enumerate(("homicide", "attempted_homicide", "suspicious_death", "drug_related_death")):
        pts = [c for c in f["cases_map"] if c["category"] == cat]
        if pts:
            ax.scatter([p["longitude"] for p in pts], [p["latitude"] for p in pts], s=14, marker="o",
                       color=PALETTE[i], label=f"{LABELS[cat]} ({len(pts)})", zorder=3)
    nhs = [h for h in f.get("partner", {}).get("nhs_only_hotspots", []) if h.get("latitude")]
    if nhs:
        ax.scatter([h["longitude"] for h in nhs], [h["latitude"] for h in nhs], s=70, marker="D",
                   facecolor="none", edgecolor="#1e8449", linewidth=1.5, label="NHS-only hot spot", zorder=4)
    _finish_map(ax, f, label_alpha=0.8)
    title = f"Where: cases in {f['period']['label']} and hot spots over {f['hotspots']['window']}"
    alt = (f"Map of the force area. {len(f['cases_map'])} located cases in the period; {len(hot)} hot spot LSOAs; "
           f"{len(nhs)} NHS-only hot spots.")
    return _render(fig, title, alt, SOURCE + "; LSOA positions estimated from located records; no base map")


def series_chart(f: dict, top: int = 8) -> Chart:
    """Where the top candidate series' cases are, one colour and label per series, over the LSOA positions."""
    fig, ax = _force_map(f)
    shown = 0
    for i, s in enumerate(f["series"]["items"][:top]):
        pts = [m for m in s["members"] if m.get("latitude") is not None and m["latitude"] == m["latitude"]]
        if not pts:
            continue
        colour = PALETTE[i % len(PALETTE)]
        label = f"{s['series_id']} {s['kind'].replace('_', ' ')} ({len(pts)})"
        ax.scatter([p["longitude"] for p in pts], [p["latitude"] for p in pts], s=22, color=colour, zorder=3,
                   edgecolor="white", linewidth=0.4, label=label)
        ax.annotate(s["series_id"], (float(np.mean([p["longitude"] for p in pts])),
                                     float(np.mean([p["latitude"] for p in pts]))),
                    fontsize=7, color=colour, xytext=(4, 4), textcoords="offset points", zorder=4)
        shown += 1
    _finish_map(ax, f, label_alpha=0.6)
    title = f"Candidate linked series: where the cases of the top {shown} are"
    alt = f"Map of the force area with the located cases of the top {shown} candidate series, one colour each."
    return _render(fig, title, alt, SOURCE + f"; series detection run {f['series']['run_id']}; no base map")


def context_chart(f: dict) -> Chart:
    ctx = f["context"]
    rows = sorted(ctx["forces_2017_18"], key=lambda r: r["rate"])
    fig, ax = plt.subplots(figsize=(7.5, 7))
    colours = ["#c0392b" if r["ours"] else "#aab7b8" for r in rows]
    ax.barh([r["force"] for r in rows], [r["rate"] for r in rows], color=colours)
    ax.axvline(ctx["national_rate_2017_18"], color="#1f4e79", ls="--", lw=1, label="England and Wales 2017/18")
    if ctx.get("force_rate_rolling_year") is not None:
        ax.axvline(ctx["force_rate_rolling_year"], color="#c0392b", lw=1.5, label="this force, last year")
    ax.set_xlabel("homicides per 100,000 residents a year", fontsize=8)
    ax.tick_params(labelsize=6)
    ax.legend(fontsize=7, frameon=False)
    title = "Context: homicide rate by police force area, 2017/18"
    alt = (f"Bar chart of homicide rates of {len(rows)} forces in 2017/18; England and Wales "
           f"{ctx['national_rate_2017_18']:.2f} per 100,000.")
    return _render(fig, title, alt, "Source: Home Office police recorded crime 2017/18; ONS 2011 Census")


def trend_chart(e: dict) -> Chart:
    fig, ax = plt.subplots(figsize=(3.6, 1.8))
    hist = e["history"]
    ax.bar(range(len(hist)), hist, color=["#aab7b8"] * (len(hist) - 1) + ["#c0392b"])
    ax.axhline(e["expected"], color="#1f4e79", ls="--", lw=1)
    ax.axhline(e["threshold"], color="#c0392b", ls=":", lw=1)
    ax.set_xticks([])
    ax.tick_params(labelsize=6)
    ax.set_ylabel("cases", fontsize=7)
    title = e["description"].split(":")[0]
    alt = (f"Last {len(hist)} quarters: {', '.join(map(str, hist))}; expected {e['expected']}, "
           f"threshold {e['threshold']}.")
    return _render(fig, title, alt)
