"""Recurring lessons: what keeps being learned and not implemented.

HMICFRS (2023) found forces learning the same lessons from homicide after homicide; the national
analyses of domestic homicide reviews (Home Office 2016, 2024) and safeguarding adult reviews
(LGA/ADASS 2020, 2024) make the same point about information sharing and risk assessment. This
module shows it for the records a user may see, two ways.

**Recurring themes** (:func:`recurring_themes`). For each theme: the records that carry it (on the
record or on one of its recommendations), the distinct calendar years of those records' dates,
first and last seen, and the recommendations under it (own themes, or the record's when a
recommendation has none, as in :mod:`.tracking`) by status. A theme is *recurring and not
implemented* when it was seen in two or more years and still has open or not-accepted
recommendations; its ``score`` is ``years × (open + not accepted)``, so a lesson learned in five
years with four actions still outstanding ranks above one learned twice with one. Rows are sorted
flagged first, then by score, then by records.

**Recurring recommendations** (:func:`similar_recommendations`). Near-duplicate actions made in
different records: each action is turned into a TF-IDF vector (scikit-learn; words and word pairs,
English stop words removed, sub-linear term frequency; Salton and Buckley 1988) and two actions
whose cosine similarity is at least :data:`SIMILARITY_THRESHOLD` (0.5) are linked; groups are the
connected components of those links (single linkage) that span at least two records. 0.5 was set
on hand-made pairs: rewordings of one action ("share school exclusion lists with the neighbourhood
team weekly" / "neighbourhood team to receive the school exclusion list every week") score 0.5 to
0.8, different actions on the same topic under 0.3. So a board sees "the same action recommended
4 times in 3 years".
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import extract, func, select, union
from sqlalchemy.orm import Session, selectinload

from threadline.learning import access
from threadline.learning.models import (
    LearningRecord,
    Recommendation,
    Theme,
    User,
    recommendation_themes,
    record_themes,
)
from threadline.learning.tracking import _flag, theme_pairs
from threadline.learning.vocab import OPEN_STATUSES

SIMILARITY_THRESHOLD = 0.5
#: The most recent recommendations compared by :func:`similar_recommendations` (the comparison is
#: quadratic; a board looks at recent years).
MAX_COMPARED = 5000


@dataclass
class RecurringTheme:
    theme: str
    code: str
    group: str = ""
    records: int = 0
    years: list[int] = field(default_factory=list)
    first_seen: dt.date | None = None
    last_seen: dt.date | None = None
    recommendations: int = 0
    open: int = 0
    overdue: int = 0
    implemented: int = 0  # implemented or verified
    verified: int = 0
    not_accepted: int = 0

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def not_implemented(self) -> int:
        """Open or not accepted: recommended and not (yet) done."""
        return self.open + self.not_accepted

    @property
    def recurring_not_implemented(self) -> bool:
        """Seen in two or more years and still has open or not-accepted recommendations."""
        return self.n_years >= 2 and self.not_implemented > 0

    @property
    def score(self) -> int:
        return self.n_years * self.not_implemented


def _record_pairs():
    """Subquery ``(record_id, theme_id)``: record themes and its recommendations' themes."""
    on_record = select(record_themes.c.record_id.label("record_id"), record_themes.c.theme_id.label("theme_id"))
    on_recs = (select(Recommendation.record_id.label("record_id"), recommendation_themes.c.theme_id.label("theme_id"))
               .join(recommendation_themes, recommendation_themes.c.recommendation_id == Recommendation.id))
    return union(on_record, on_recs).subquery("record_theme")


def _period(stmt, start: dt.date | None, end: dt.date | None):
    if start:
        stmt = stmt.where(LearningRecord.record_date >= start)
    if end:
        stmt = stmt.where(LearningRecord.record_date <= end)
    return stmt


def recurring_themes(session: Session, user: User, start: dt.date | None = None, end: dt.date | None = None,
                     on: dt.date | None = None) -> list[RecurringTheme]:
    """Each theme's records, years and recommendations over the records ``user`` may see dated
    between ``start`` and ``end``; what keeps being learned and not implemented first."""
    on = on or dt.date.today()
    rows: dict[int, RecurringTheme] = {}

    def row(theme_id, code, name, group) -> RecurringTheme:
        return rows.setdefault(theme_id, RecurringTheme(theme=name, code=code, group=group or ""))

    pairs = _record_pairs()
    year = extract("year", LearningRecord.record_date)
    stmt = _period(
        select(Theme.id, Theme.code, Theme.name, Theme.group, year, func.count(LearningRecord.id),
               func.min(LearningRecord.record_date), func.max(LearningRecord.record_date))
        .select_from(LearningRecord)
        .join(pairs, pairs.c.record_id == LearningRecord.id)
        .join(Theme, Theme.id == pairs.c.theme_id)
        .where(access.visible_clause(user)), start, end
    ).group_by(Theme.id, Theme.code, Theme.name, Theme.group, year)
    for theme_id, code, name, group, y, n, first, last in session.execute(stmt):
        r = row(theme_id, code, name, group)
        r.records += n
        r.years.append(int(y))
        r.first_seen = min(first, r.first_seen) if r.first_seen else first
        r.last_seen = max(last, r.last_seen) if r.last_seen else last

    rpairs = theme_pairs()
    flag = _flag(on)
    stmt = _period(
        access.visible_recommendations(user)
        .with_only_columns(Theme.id, Theme.code, Theme.name, Theme.group, Recommendation.status, flag,
                           func.count(Recommendation.id))
        .join(rpairs, rpairs.c.recommendation_id == Recommendation.id)
        .join(Theme, Theme.id == rpairs.c.theme_id), start, end
    ).group_by(Theme.id, Theme.code, Theme.name, Theme.group, Recommendation.status, flag)
    for theme_id, code, name, group, status, is_overdue, n in session.execute(stmt):
        r = row(theme_id, code, name, group)
        r.recommendations += n
        if status in OPEN_STATUSES:
            r.open += n
            r.overdue += n if is_overdue else 0
        elif status in ("implemented", "verified"):
            r.implemented += n
            r.verified += n if status == "verified" else 0
        elif status == "not_accepted":
            r.not_accepted += n
    for r in rows.values():
        r.years.sort()
    return sorted(rows.values(), key=lambda r: (not r.recurring_not_implemented, -r.score, -r.n_years,
                                                 -r.records, r.theme))


# --------------------------------------------------------------------------------------------- chart

_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')


def _style_to_attributes(match: re.Match) -> str:
    parts = []
    for decl in match.group(1).split(";"):
        if ":" in decl:
            name, value = (x.strip() for x in decl.split(":", 1))
            if re.fullmatch(r"[a-z-]+", name) and '"' not in value:
                parts.append(f' {name}="{value}"')
    return "".join(parts)


def inline_safe(svg: str, title: str) -> str:
    """Make matplotlib's SVG safe to inline under a strict Content Security Policy: no XML
    prologue, no ``<style>`` element, every ``style`` attribute turned into SVG presentation
    attributes (``style-src`` without ``'unsafe-inline'`` would block both), no script (matplotlib
    writes none; refused if present), and a ``<title>`` and ``role="img"`` for screen readers."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = _STYLE_ATTR.sub(_style_to_attributes, svg)
    if re.search(r"<script|\son[a-z]+=|javascript:", svg, flags=re.I):
        raise ValueError("the chart SVG contains script")
    from html import escape

    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" stroke-linejoin="round" '
                       f'stroke-linecap="butt" ', 1).replace(">", f"><title>{escape(title)}</title>", 1)


def chart_svg(rows: list[RecurringTheme], top: int = 12,
              title: str = "Recurring themes: recommendations by status") -> str:
    """A horizontal stacked bar chart of the top themes (as sorted by :func:`recurring_themes`):
    implemented or verified, open, and not accepted, each bar labelled with the years seen.
    Text is drawn as paths (no fonts needed) and the SVG is made :func:`inline_safe`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = rows[:top]
    with plt.rc_context({"svg.fonttype": "path", "svg.hashsalt": "threadline-recurring", "font.size": 8}):
        fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 2) + 1.2))
        if not rows:
            ax.text(0.5, 0.5, "No themes in this period", ha="center", va="center")
            ax.set_axis_off()
        else:
            labels = [r.theme if len(r.theme) <= 45 else r.theme[:44] + "…" for r in rows][::-1]
            done = [r.implemented for r in rows][::-1]
            open_ = [r.open for r in rows][::-1]
            refused = [r.not_accepted for r in rows][::-1]
            y = range(len(rows))
            ax.barh(y, done, color="#1e8449", label="Implemented or verified")
            ax.barh(y, open_, left=done, color="#b9770e", label="Open")
            ax.barh(y, refused, left=[a + b for a, b in zip(done, open_, strict=True)], color="#922b21",
                    label="Not accepted")
            for i, r in enumerate(rows[::-1]):
                span = f"{r.years[0]}–{r.years[-1]}" if r.n_years > 1 else (str(r.years[0]) if r.years else "")
                ax.text(r.recommendations + 0.2, i, f" {r.records} records, {r.n_years} yrs ({span})",
                        va="center", fontsize=7, color="#34495e")
            ax.set_yticks(list(y), labels)
            ax.set_xlabel("recommendations")
            ax.set_xlim(0, max(r.recommendations for r in rows) * 1.45 + 1)
            ax.legend(loc="lower right", fontsize=7, frameon=False)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="x", alpha=0.3)
        ax.set_title(title, fontsize=9, loc="left")
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return inline_safe(buf.getvalue(), title)


# --------------------------------------------------------------------------- recurring recommendations

@dataclass
class RecommendationGroup:
    """Near-duplicate recommendations made in different records."""
    action: str  # the earliest wording
    recommendations: list[Recommendation]
    records: int
    years: list[int]
    open: int
    implemented: int
    not_accepted: int

    @property
    def times(self) -> int:
        return len(self.recommendations)

    @property
    def summary(self) -> str:
        span = f"{len(self.years)} year" + ("s" if len(self.years) != 1 else "")
        return f"recommended {self.times} times in {span}"


def similar_recommendations(session: Session, user: User, start: dt.date | None = None, end: dt.date | None = None,
                            threshold: float = SIMILARITY_THRESHOLD, limit: int = 50,
                            max_compared: int = MAX_COMPARED) -> list[RecommendationGroup]:
    """Groups of near-duplicate recommendations across different records ``user`` may see (see
    the module's notes for the method); most repeated and least implemented first."""
    stmt = _period(access.visible_recommendations(user), start, end).options(
        selectinload(Recommendation.record)).order_by(LearningRecord.record_date.desc(), Recommendation.id.desc())
    recs = list(session.scalars(stmt.limit(max_compared)))
    if len(recs) < 2:
        return []
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [r.action or "" for r in recs]
    try:
        x = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True,
                            min_df=1).fit_transform(texts)
    except ValueError:  # only stop words
        return []
    record_of = [r.record_id for r in recs]
    import numpy as np
    from scipy.sparse import coo_matrix

    rows_i, cols_j = [], []
    for lo in range(0, len(recs), 1000):
        sims = (x[lo:lo + 1000] @ x.T).tocoo()
        keep = (sims.data >= threshold) & (sims.row + lo < sims.col)
        for i, j in zip(sims.row[keep] + lo, sims.col[keep], strict=True):
            if record_of[i] != record_of[j]:
                rows_i.append(i)
                cols_j.append(j)
    if not rows_i:
        return []
    graph = coo_matrix((np.ones(len(rows_i)), (rows_i, cols_j)), shape=(len(recs), len(recs)))
    _, labels = connected_components(graph, directed=False)
    members: dict[int, list[Recommendation]] = {}
    for rec, label in zip(recs, labels, strict=True):
        members.setdefault(int(label), []).append(rec)
    groups = []
    for group in members.values():
        if len({r.record_id for r in group}) < 2:
            continue
        group.sort(key=lambda r: (r.record.record_date, r.id))
        groups.append(RecommendationGroup(
            action=group[0].action, recommendations=group, records=len({r.record_id for r in group}),
            years=sorted({r.record.record_date.year for r in group}),
            open=sum(r.status in OPEN_STATUSES for r in group),
            implemented=sum(r.status in ("implemented", "verified") for r in group),
            not_accepted=sum(r.status == "not_accepted" for r in group)))
    groups.sort(key=lambda g: (-(g.open + g.not_accepted) * len(g.years), -g.times, g.action))
    return groups[:limit]
