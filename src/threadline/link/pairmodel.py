"""The pair model: the probability that two cases belong to one series, from their pair features.

Crime linkage scores a *pair* of cases by how alike they are (distance apart, time apart, matching
modus operandi, shared people or things) and learns from pairs known to be linked (two crimes of one
solved series) or unlinked how much each kind of similarity says. Threadline offers the two models
of that literature:

- ``kind="logistic"``: logistic regression on the pair features (Bennell & Canter 2002; Woodhams &
  Toye 2007; Tonkin et al. 2011). Each numeric feature enters as a restricted cubic spline with
  knots at fixed quantiles (Harrell 2015; linear beyond the outer knots) so that "2 km apart" can
  matter more than "20 km rather than 18 km"; 0/1 features enter linearly; design columns are
  standardised and the L2 penalty is chosen by 5-fold cross-validation within the training pairs
  (log loss), never on held-out pairs.
- ``kind="naive_bayes"``: Porter's naive Bayes (Porter 2016; ``naiveBayes`` in Porter & Reich's R
  package crimelinkage): each feature is binned at quantiles (0/1 features keep their values), and
  each bin's weight of evidence is the log of the ratio of its share of linked to its share of
  unlinked pairs, smoothed with pseudo-counts chosen to give ``df`` effective degrees of freedom
  as in crimelinkage (at least ``alpha`` per bin). The evidence of the features is added. Because
  the features are not independent (matching MO fields go together) the sum is over-confident, so
  by default a slope and intercept are fitted on cross-fitted scores (Platt scaling) to make it a
  calibrated probability; that rescales every feature's evidence by one factor and leaves the
  ranking (and so the AUC) unchanged.

Missing values (NaN) mean "unknown". In the logistic model a feature with missing values in the
training pairs gets a missing-indicator column (its coefficient is what "unknown" says) and is
imputed at its observed mean; a feature never missing in training contributes 0 (the training
average) when unknown. In naive Bayes "missing" is a bin of its own if training had missing values;
otherwise unknown contributes 0 (no evidence).

**Contributions.** :meth:`PairModel.contributions` gives, per pair and per original feature, the
log-odds it adds; ``intercept + contributions.sum(axis=1)`` is the logit of :meth:`predict_proba`.
For the logistic model a feature's contribution is the sum over its design columns of coefficient
times standardised value, i.e. relative to a pair at the training average (for a model linear in
the logit these are exactly the interventional SHAP values, Lundberg & Lee 2017); for naive Bayes
it is the (calibrated) log Bayes factor of the feature, relative to no evidence.

**Base rate.** Training pairs are a sample (all linked pairs, some unlinked pairs), so the share of
linked pairs in training is not the share among the candidate pairs a force will score. The
intercept is moved to another base rate by :meth:`PairModel.with_prior`, King & Zeng's (2001) prior
correction: ``b0' = b0 + logit(tau) - logit(ybar)``, where ``ybar`` is the rate the intercept was
fitted at and ``tau`` the new rate; the other coefficients are unchanged (under sampling on the
outcome logistic regression still estimates the slopes consistently and only the intercept shifts,
Prentice & Pyke 1979; for naive Bayes the correction holds by construction).

**Files.** A model is plain JSON (:meth:`PairModel.to_dict`, :meth:`save`, :meth:`load`): knots,
standardisation, coefficients, bin edges, weights of evidence. Nothing is pickled, so a model can be
read, diffed, reviewed and shipped inside a package.

References:
    Bennell, C. and Canter, D. V. (2002). Linking commercial burglaries by modus operandi: tests
    using regression and ROC analysis. *Science & Justice*, 42(3), 153-164.
    Woodhams, J. and Toye, K. (2007). An empirical test of the assumptions of case linkage and
    offender profiling with serial commercial robberies. *Psychology, Public Policy, and Law*,
    13(1), 59-85.
    Tonkin, M., Woodhams, J., Bull, R., Bond, J. W. and Palmer, E. J. (2011). Linking different
    types of crime using geographical and temporal proximity. *Criminal Justice and Behavior*,
    38(11), 1069-1088.
    Porter, M. D. (2016). A statistical approach to crime linkage. *The American Statistician*,
    70(2), 152-165.
    Porter, M. D. and Reich, B. J. crimelinkage: Statistical Methods for Crime Series Linkage.
    R package, CRAN (version 0.0.4, 2015).
    King, G. and Zeng, L. (2001). Logistic regression in rare events data. *Political Analysis*,
    9(2), 137-163.
    Harrell, F. E. (2015). *Regression Modeling Strategies*, 2nd ed., section 2.4.5 (restricted
    cubic splines, default knot quantiles). Springer.
    Prentice, R. L. and Pyke, R. (1979). Logistic disease incidence models and case-control
    studies. *Biometrika*, 66(3), 403-411.
    Lundberg, S. M. and Lee, S.-I. (2017). A unified approach to interpreting model predictions.
    *Advances in Neural Information Processing Systems* 30.
    Platt, J. (1999). Probabilistic outputs for support vector machines and comparisons to
    regularized likelihood methods. In *Advances in Large Margin Classifiers*, MIT Press.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

FORMAT = "threadline.pairmodel"
VERSION = 1

#: Harrell's default knot quantiles for restricted cubic splines (Regression Modeling Strategies, table 2.3).
_KNOT_QUANTILES = {
    3: [0.10, 0.50, 0.90],
    4: [0.05, 0.35, 0.65, 0.95],
    5: [0.05, 0.275, 0.50, 0.725, 0.95],
    6: [0.05, 0.23, 0.41, 0.59, 0.77, 0.95],
    7: [0.025, 0.1833, 0.3417, 0.50, 0.6583, 0.8167, 0.975],
}
_C_GRID = [float(c) for c in np.logspace(-3, 3, 13)]


def _logit(p: float) -> float:
    if not 0.0 < p < 1.0:
        raise ValueError(f"a base rate must be strictly between 0 and 1, not {p}")
    return math.log(p / (1.0 - p))


def _as_matrix(X: pd.DataFrame, features: list[str]) -> np.ndarray:
    missing = [f for f in features if f not in X.columns]
    if missing:
        raise KeyError(f"pair features missing from the frame: {missing}")
    return X[features].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _as_labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == bool:
        return y.astype(float)
    y = y.astype(float)
    if not np.isin(y, [0.0, 1.0]).all():
        raise ValueError("y must be 0/1 (or boolean): 1 = linked pair")
    return y


# ---------------------------------------------------------------------------------------------
# logistic regression design: restricted cubic splines, missing indicators
# ---------------------------------------------------------------------------------------------


def _rcs_basis(x: np.ndarray, knots: list[float]) -> np.ndarray:
    """Restricted (natural) cubic spline basis without the linear term: len(knots) - 2 columns."""
    t = np.asarray(knots, dtype=float)
    k = len(t)
    norm = (t[-1] - t[0]) ** 2
    cols = []
    for j in range(k - 2):
        col = (np.maximum(x - t[j], 0) ** 3
               - np.maximum(x - t[-2], 0) ** 3 * (t[-1] - t[j]) / (t[-1] - t[-2])
               + np.maximum(x - t[-1], 0) ** 3 * (t[-2] - t[j]) / (t[-1] - t[-2]))
        cols.append(col / norm)
    return np.column_stack(cols) if cols else np.empty((len(x), 0))


def _raw_design(x: np.ndarray, term: dict) -> np.ndarray:
    """Design columns of one feature before standardisation (missing rows filled at ``fill``)."""
    miss = np.isnan(x)
    filled = np.where(miss, 0.0, x)
    cols = [filled[:, None]]
    if term["knots"]:
        cols.append(_rcs_basis(filled, term["knots"]))
    design = np.hstack(cols)
    if miss.any():
        design[miss] = np.asarray(term["fill"], dtype=float)
    if term["missing_indicator"]:
        design = np.hstack([design, miss[:, None].astype(float)])
    return design


def _logistic_terms(values: np.ndarray, knots: int) -> dict:
    observed = values[~np.isnan(values)]
    n_unique = len(np.unique(observed))
    term_knots: list[float] = []
    if knots >= 3 and n_unique > knots + 1:
        qs = _KNOT_QUANTILES.get(knots) or list(np.linspace(0.05, 0.95, knots))
        kn = np.unique(np.quantile(observed, qs))
        if len(kn) >= 3:
            term_knots = [float(v) for v in kn]
    term = {"knots": term_knots, "fill": [], "missing_indicator": bool(np.isnan(values).any())}
    obs_design = _raw_design(observed, {"knots": term_knots, "fill": [], "missing_indicator": False})
    term["fill"] = [float(v) for v in (obs_design.mean(axis=0) if len(observed) else np.zeros(obs_design.shape[1]))]
    return term


def _n_folds(y: np.ndarray, opts: dict) -> int:
    """Cross-validation folds: as asked (default 5), but no more than the rarer label has pairs."""
    return int(min(int(opts.get("cv", 5)), y.sum(), len(y) - y.sum()))


def _fit_logistic(M: np.ndarray, y: np.ndarray, w: np.ndarray | None, features: list[str], opts: dict):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    knots = int(opts.get("knots", 4))
    terms = {f: _logistic_terms(M[:, i], knots) for i, f in enumerate(features)}
    blocks = [_raw_design(M[:, i], terms[f]) for i, f in enumerate(features)]
    design = np.hstack(blocks)
    weights = np.ones(len(y)) if w is None else w
    mean = np.average(design, axis=0, weights=weights)
    sd = np.sqrt(np.average((design - mean) ** 2, axis=0, weights=weights))
    sd = np.where(sd > 1e-12, sd, 1.0)
    Z = (design - mean) / sd
    max_iter = int(opts.get("max_iter", 2000))

    C = opts.get("C")
    cv_loss = None
    n_folds = _n_folds(y, opts)
    if C is None and n_folds < 2:  # too few pairs of one kind to cross-validate: a moderate fixed penalty
        C = 1.0
    if C is None:  # choose the penalty by cross-validation within the training pairs
        folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=int(opts.get("seed", 0)))
        losses = np.zeros(len(_C_GRID))
        for train, test in folds.split(Z, y):
            for k, c in enumerate(_C_GRID):
                model = LogisticRegression(C=c, max_iter=max_iter, solver="newton-cholesky", tol=1e-8)
                model.fit(Z[train], y[train], sample_weight=weights[train])
                p = np.clip(model.predict_proba(Z[test])[:, 1], 1e-12, 1 - 1e-12)
                ll = -(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p))
                losses[k] += np.sum(weights[test] * ll)
        best = int(np.argmin(losses))
        C = _C_GRID[best]
        cv_loss = float(losses[best] / weights.sum())
    model = LogisticRegression(C=float(C), max_iter=max_iter, solver="newton-cholesky", tol=1e-10)
    model.fit(Z, y, sample_weight=weights)
    coef = model.coef_.ravel()
    start = 0
    for block, f in zip(blocks, features, strict=True):
        width = block.shape[1]
        sl = slice(start, start + width)
        terms[f].update(mean=[float(v) for v in mean[sl]], sd=[float(v) for v in sd[sl]],
                        coef=[float(v) for v in coef[sl]])
        start += width
    info = {"C": float(C), "knots": knots, "cv_log_loss": cv_loss}
    return float(model.intercept_[0]), terms, info


# ---------------------------------------------------------------------------------------------
# naive Bayes: quantile bins, smoothed weights of evidence
# ---------------------------------------------------------------------------------------------


def _nb_bin_index(x: np.ndarray, term: dict) -> np.ndarray:
    """Bin of each value: 0..k-1, k = missing bin (or -1 if no missing bin), -2 = unseen level."""
    out = np.full(len(x), -1, dtype=np.int64)
    miss = np.isnan(x)
    if term["levels"] is not None and not term["levels"]:  # never observed in training: only "missing"
        out[~miss] = -2
        nbins = 0
    elif term["levels"] is not None:
        levels = np.asarray(term["levels"], dtype=float)
        pos = np.searchsorted(levels, x)
        pos_c = np.clip(pos, 0, len(levels) - 1)
        hit = (~miss) & (levels[pos_c] == x)
        out[~miss] = -2
        out[hit] = pos_c[hit]
        nbins = len(levels)
    else:
        edges = np.asarray(term["edges"], dtype=float)  # interior edges; bins (a, b], outer bins open
        out[~miss] = np.searchsorted(edges, x[~miss], side="left")
        nbins = len(edges) + 1
    out[miss] = nbins if term["missing_bin"] else -1
    return out


def _nb_term(x: np.ndarray, y: np.ndarray, w: np.ndarray, nbins: int, df: float, alpha: float, max_levels: int) -> dict:
    observed = x[~np.isnan(x)]
    uniq = np.unique(observed)
    if len(uniq) <= max_levels:
        term = {"levels": [float(v) for v in uniq], "edges": None}
        k = len(uniq)
    else:
        qs = np.quantile(observed, np.linspace(0, 1, nbins + 1))
        edges = np.unique(qs)[1:-1]
        term = {"levels": None, "edges": [float(v) for v in edges]}
        k = len(edges) + 1
    term["missing_bin"] = bool(np.isnan(x).any())
    n_bins = k + int(term["missing_bin"])
    idx = _nb_bin_index(x, term)
    linked = y == 1
    n_linked = np.bincount(idx[linked], weights=w[linked], minlength=n_bins)[:n_bins]
    n_unlinked = np.bincount(idx[~linked], weights=w[~linked], minlength=n_bins)[:n_bins]

    def pseudo(total: float) -> float:  # crimelinkage's df2a: pseudo-count giving df effective degrees of freedom
        d = min(df, n_bins - 1e-8)
        a = (total / n_bins) * ((n_bins - d) / (d - 1)) if d > 1 else alpha
        return max(a, alpha)

    a_l, a_u = pseudo(n_linked.sum()), pseudo(n_unlinked.sum())
    p_l = (n_linked + a_l) / (n_linked + a_l).sum()
    p_u = (n_unlinked + a_u) / (n_unlinked + a_u).sum()
    term.update(n_linked=[float(v) for v in n_linked], n_unlinked=[float(v) for v in n_unlinked],
                woe=[float(v) for v in np.log(p_l / p_u)], pseudo_counts=[float(a_l), float(a_u)])
    return term


def _nb_evidence(x: np.ndarray, term: dict) -> np.ndarray:
    idx = _nb_bin_index(x, term)
    woe = np.asarray(term["woe"], dtype=float)
    out = np.zeros(len(x))
    ok = idx >= 0
    out[ok] = woe[idx[ok]]
    return out


def _fit_nb_terms(M, y, w, features, opts) -> dict:
    nbins = int(opts.get("nbins", 15))
    df = float(opts.get("df", 10))
    alpha = float(opts.get("alpha", 0.5))
    max_levels = int(opts.get("max_levels", 10))
    return {f: _nb_term(M[:, i], y, w, nbins, df, alpha, max_levels) for i, f in enumerate(features)}


def _fit_naive_bayes(M: np.ndarray, y: np.ndarray, w: np.ndarray | None, features: list[str], opts: dict):
    weights = np.ones(len(y)) if w is None else w
    terms = _fit_nb_terms(M, y, weights, features, opts)
    rate = float(np.sum(weights * y) / np.sum(weights))
    info = {"nbins": int(opts.get("nbins", 15)), "df": float(opts.get("df", 10)),
            "alpha": float(opts.get("alpha", 0.5)), "calibrated": bool(opts.get("calibrate", True))}
    n_folds = _n_folds(y, opts)
    if not info["calibrated"] or n_folds < 2:
        return _logit(rate), terms, 1.0, {**info, "calibrated": False}
    # Platt scaling on cross-fitted scores: each training pair scored by a model that did not see it
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=int(opts.get("seed", 0)))
    score = np.zeros(len(y))
    for train, test in folds.split(M, y):
        fold_terms = _fit_nb_terms(M[train], y[train], weights[train], features, opts)
        score[test] = sum(_nb_evidence(M[test, i], fold_terms[f]) for i, f in enumerate(features))
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(score[:, None], y, sample_weight=weights)
    slope = float(platt.coef_[0, 0])
    if slope <= 0:  # no usable ranking in the cross-fitted scores: keep Porter's plain sum
        return _logit(rate), terms, 1.0, {**info, "calibrated": False}
    return float(platt.intercept_[0]), terms, slope, info


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------


@dataclass
class PairModel:
    """A fitted pair model: P(two cases are linked | their pair features). See the module docstring.

    Attributes:
        kind: ``"logistic"`` or ``"naive_bayes"``.
        features: the pair feature columns the model reads (numeric; NaN = unknown).
        intercept: log-odds of a pair whose contributions are all 0, at base rate ``prior``.
        terms: per feature, everything needed to compute its contribution (JSON-serialisable):
            logistic: spline ``knots``, imputation ``fill``, ``missing_indicator``, design column
            ``mean``/``sd`` and ``coef``; naive Bayes: ``levels`` or interior bin ``edges``,
            ``missing_bin``, weighted class counts and the log Bayes factor ``woe`` of each bin.
        prior: the base rate of linked pairs the intercept corresponds to.
        train_rate: the (weighted) share of linked pairs in the training pairs.
        scale: naive Bayes calibration slope applied to every log Bayes factor (1 for logistic).
        info: fitting details (penalty chosen, numbers of pairs, options).
    """

    kind: str
    features: list[str]
    intercept: float = 0.0
    terms: dict[str, dict] = field(default_factory=dict)
    prior: float = 0.5
    train_rate: float = 0.5
    scale: float = 1.0
    info: dict = field(default_factory=dict)

    # -- fitting ---------------------------------------------------------------------------

    @classmethod
    def fit(cls, X: pd.DataFrame, y, *, kind: str = "logistic", features: list[str] | None = None,
            prior: float | None = None, **opts) -> PairModel:
        """Fit on training pairs ``X`` (one row per pair) with labels ``y`` (1 linked, 0 unlinked).

        ``features`` defaults to every numeric column of ``X``. ``prior``, if given, is the base
        rate of linked pairs among the pairs the model will score; the intercept is corrected to it
        (:meth:`with_prior`), otherwise it stays at the training rate. Options: ``sample_weight``
        (e.g. crimelinkage's 1/N per series), ``seed`` and ``cv`` (folds, default 5) for the
        internal cross-validation; logistic: ``knots`` (spline knots per numeric feature, 3-7,
        default 4; fewer than 3 = linear), ``C`` (fix the inverse L2 penalty instead of choosing it
        by cross-validation), ``max_iter``; naive Bayes: ``nbins`` (quantile bins, default 15),
        ``df`` (effective degrees of freedom, default 10, as Porter's vignette), ``alpha`` (least
        pseudo-count per bin, default 0.5), ``max_levels`` (a feature with at most this many
        distinct values keeps them as levels, default 10), ``calibrate`` (Platt scaling on
        cross-fitted scores, default True).
        """
        if kind not in ("logistic", "naive_bayes"):
            raise ValueError(f"kind must be 'logistic' or 'naive_bayes', not {kind!r}")
        if features is None:
            features = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
        features = list(features)
        if not features:
            raise ValueError("no pair features to fit on")
        M = _as_matrix(X, features)
        y = _as_labels(y)
        if len(y) != len(M):
            raise ValueError("X and y have different lengths")
        if y.min() == y.max():
            raise ValueError("training pairs must include both linked and unlinked pairs")
        w = opts.pop("sample_weight", None)
        if w is not None:
            w = np.asarray(w, dtype=float)
            if len(w) != len(y) or (w < 0).any():
                raise ValueError("sample_weight must be non-negative, one per pair")
        rate = float(np.average(y, weights=w))
        from threadpoolctl import threadpool_limits

        # small dense problems: one BLAS thread is fastest, and many threads on a busy machine are
        # orders of magnitude slower (they spin waiting for each other)
        with threadpool_limits(limits=1, user_api="blas"):
            if kind == "logistic":
                intercept, terms, info = _fit_logistic(M, y, w, features, opts)
                scale = 1.0
            else:
                intercept, terms, scale, info = _fit_naive_bayes(M, y, w, features, opts)
        info.update(n_pairs=int(len(y)), n_linked=int(y.sum()), weighted=w is not None)
        model = cls(kind=kind, features=features, intercept=intercept, terms=terms, prior=rate, train_rate=rate,
                    scale=scale, info=info)
        return model.with_prior(prior) if prior is not None else model

    # -- scoring ---------------------------------------------------------------------------

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Log-odds each feature adds, per pair (columns = ``features``, index = ``X.index``).

        ``intercept + contributions(X).sum(axis=1)`` is the logit of :meth:`predict_proba`.
        """
        M = _as_matrix(X, self.features)
        out = np.zeros_like(M)
        for i, f in enumerate(self.features):
            term = self.terms[f]
            if self.kind == "logistic":
                design = _raw_design(M[:, i], term)
                z = (design - np.asarray(term["mean"])) / np.asarray(term["sd"])
                out[:, i] = z @ np.asarray(term["coef"])
            else:
                out[:, i] = self.scale * _nb_evidence(M[:, i], term)
        return pd.DataFrame(out, columns=self.features, index=X.index)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The logit (log-odds of a link) of each pair."""
        return self.intercept + self.contributions(X).to_numpy().sum(axis=1)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(linked) for each pair, shape (n,), at base rate :attr:`prior`."""
        return expit(self.decision_function(X))

    # -- base rate ---------------------------------------------------------------------------

    def with_prior(self, prior: float) -> PairModel:
        """The same model with its intercept moved to base rate ``prior`` (King & Zeng 2001).

        ``intercept' = intercept + logit(prior) - logit(self.prior)``; the odds of every pair are
        multiplied by the same factor, the contributions and the ranking are unchanged.
        """
        new = copy.deepcopy(self)
        new.intercept = self.intercept + _logit(float(prior)) - _logit(self.prior)
        new.prior = float(prior)
        return new

    # -- files -------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Everything needed to score, as plain JSON types."""
        return {"format": FORMAT, "version": VERSION, "kind": self.kind, "features": list(self.features),
                "intercept": float(self.intercept), "prior": float(self.prior), "train_rate": float(self.train_rate),
                "scale": float(self.scale), "terms": copy.deepcopy(self.terms), "info": copy.deepcopy(self.info)}

    @classmethod
    def from_dict(cls, d: dict) -> PairModel:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a Threadline pair model (format {d.get('format')!r})")
        if int(d.get("version", 0)) > VERSION:
            raise ValueError(f"pair model version {d.get('version')} is newer than this Threadline reads ({VERSION})")
        missing = [f for f in d["features"] if f not in d["terms"]]
        if missing:
            raise ValueError(f"pair model has no terms for {missing}")
        return cls(kind=d["kind"], features=list(d["features"]), intercept=float(d["intercept"]),
                   terms=copy.deepcopy(d["terms"]), prior=float(d["prior"]), train_rate=float(d["train_rate"]),
                   scale=float(d.get("scale", 1.0)), info=copy.deepcopy(d.get("info", {})))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> PairModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def evaluate(y_true, scores, sample_weight=None) -> dict:
    """ROC AUC and average precision of ``scores`` (any monotone score: probability or logit)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = _as_labels(y_true)
    s = np.asarray(scores, dtype=float)
    return {"auc": float(roc_auc_score(y, s, sample_weight=sample_weight)),
            "average_precision": float(average_precision_score(y, s, sample_weight=sample_weight)),
            "pairs": int(len(y)), "linked": int(y.sum())}
