"""Charts of the strategic needs assessment (matplotlib, embedded as PNG data URIs like the
quarterly report's; every chart has a title, units, period, source and alt text)."""

from __future__ import annotations

import numpy as np

from threadline.report.charts import PALETTE, Chart, _render, plt

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SOURCE = "Source: police register and partner data (Threadline)"


def volumes_chart(v: dict, label: str) -> Chart | None:
    if not v["months"]:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = np.arange(len(v["months"]))
    for i, (name, values) in enumerate(v["monthly"].items()):
        if sum(values):
            ax.plot(x, values, label=name, color=PALETTE[i % len(PALETTE)], linewidth=1.4)
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], [m for m in v["months"][::step]], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("Records a month")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    title = f"Serious violence and partner records a month, {label}"
    alt = "Line chart of monthly counts: " + "; ".join(
        f"{k} {sum(vals)} in all" for k, vals in v["monthly"].items())
    return _render(fig, title, alt, SOURCE)


def day_hour_chart(w: dict, label: str) -> Chart | None:
    grid = np.asarray(w["day_hour"], dtype=float)
    if not grid.sum():
        return None
    fig, ax = plt.subplots(figsize=(8, 2.6))
    im = ax.imshow(grid, aspect="auto", cmap="Reds")
    ax.set_yticks(range(7), DAYS, fontsize=7)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=7)
    ax.set_xlabel("Hour of the day")
    fig.colorbar(im, ax=ax, label="Incidents", shrink=0.8)
    peaks = ", ".join(w["peak_times"]) or "none"
    return _render(fig, f"Serious violence by day and hour, {label}",
                   f"Heat map of incidents by day of the week and hour; busiest: {peaks}", SOURCE)


def rri_chart(rows: list[dict], role: str, area: str) -> Chart | None:
    pts = [r for r in rows if r["area"] == area and r["group5"] != "white" and r.get("rri") is not None
           and r.get("rri_low") is not None and np.isfinite(r["rri"])]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * len(pts)))
    y = np.arange(len(pts))
    rri = np.array([p["rri"] for p in pts])
    lo = np.array([p["rri_low"] for p in pts])
    hi = np.array([min(p["rri_high"], 1e3) for p in pts])
    ax.errorbar(rri, y, xerr=[rri - lo, hi - rri], fmt="o", color=PALETTE[0], capsize=3)
    ax.axvline(1, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=()))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.set_ylim(-0.6, len(pts) - 0.4)
    ax.set_yticks(y, [p["group5"].capitalize() for p in pts])
    ax.set_xlabel("Relative rate index against White (log scale; 1 = same rate)")
    ax.spines[["top", "right"]].set_visible(False)
    words = "; ".join(f"{p['group5']} {p['rri']:.1f} ({p['rri_low']:.1f} to {p['rri_high']:.1f})" for p in pts)
    return _render(fig, f"Relative rate of being a {role} of serious youth violence, {pts[0].get('area_name') or area}",
                   f"Dot and interval chart of relative rate indices: {words}", SOURCE)


def outcome22_chart(training: dict) -> Chart | None:
    rows = training.get("monthly") or []
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 3))
    x = np.arange(len(rows))
    share = [r["events"] / r["exposure"] if r["exposure"] else np.nan for r in rows]
    ax.plot(x, np.array(share) * 100, "o", markersize=3, color=PALETTE[0], label="Observed share")
    months = [r["month"] for r in rows]
    cut = next((i for i, m in enumerate(months) if m >= str(training["date"])[:7]), None)
    if cut is not None:
        ax.axvline(cut - 0.5, color=PALETTE[1], linestyle="--", linewidth=1, label="Training")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("% of eligible crimes given outcome 22")
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, "Outcome 22 among eligible crimes, by month",
                   "Monthly share of eligible crimes given outcome 22, with the training date marked. "
                   + training.get("summary", ""), SOURCE)


def completeness_chart(rows: list[dict], label: str) -> Chart | None:
    pts = [r for r in rows if r.get("pct_recorded") is not None]
    if not pts:
        return None
    fields = list(dict.fromkeys(r["field"] for r in pts))
    roles = list(dict.fromkeys(r["role"] for r in pts))
    fig, ax = plt.subplots(figsize=(8, 3))
    width = 0.8 / max(len(roles), 1)
    for i, role in enumerate(roles):
        vals = [next((r["pct_recorded"] for r in pts if r["field"] == f and r["role"] == role), np.nan)
                for f in fields]
        ax.bar(np.arange(len(fields)) + i * width, vals, width, label=role.capitalize() + "s",
               color=PALETTE[i % len(PALETTE)])
    ax.set_xticks(np.arange(len(fields)) + width * (len(roles) - 1) / 2,
                  [f.replace("_", " ") for f in fields], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("% of records with a value")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    words = "; ".join(f"{r['role']} {r['field']} {r['pct_recorded']:.0f}%" for r in pts)
    return _render(fig, f"Protected characteristics recorded, {label}", "Bar chart: " + words, SOURCE)
