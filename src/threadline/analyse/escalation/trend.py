"""The escalation measure: a penalised Poisson regression of incidents per quarter, for many people at once.

For one person (or dyad), with ``y_t`` incidents in quarters ``t = 0..T-1`` (oldest first) and
``x_t`` the quarter centred on the middle of the window, fit ``log E[y_t] = a + b x_t``. ``exp(b)``
is the factor by which the rate of incidents grows from one quarter to the next: above 1 the
person is escalating. ``exp(a + b x_T)`` projects the rate one quarter on.

- Four quarters of one person are few, and a person with a single incident has a slope that plain
  maximum likelihood would send to infinity. The slope therefore has a normal penalty (a ridge,
  equivalently a weakly informative normal prior: le Cessie and van Houwelingen, "Ridge estimators
  in logistic regression", Applied Statistics 1992; Gelman et al., "A weakly informative default
  prior distribution for logistic and other regression models", Annals of Applied Statistics
  2008) with standard deviation :data:`PRIOR_SD` on the log scale: one lone incident in the last
  quarter reads as "rising" but with an interval reaching below 1, where a run of incidents is
  surely rising and projects more.
- Overdispersion (people whose incidents come in bursts) is allowed for as in quasi-likelihood
  (Wedderburn, "Quasi-likelihood functions, generalized linear models, and the Gauss-Newton
  method", Biometrika 1974; McCullagh and Nelder, *Generalized Linear Models*, 2nd ed. 1989,
  ch. 9): one dispersion for the whole force, the Pearson chi-square over its degrees of freedom
  (at least 1), scales the standard errors and the penalty. The same fit takes non-integer
  responses (harm per quarter) unchanged.

The fit is Newton-Raphson on all people together (NumPy arrays, one row a person), so a force's
tens of thousands of people take milliseconds; the SE is from the penalised information matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Standard deviation of the normal penalty on the slope (log harm ratio per quarter).
PRIOR_SD = 1.0


@dataclass(frozen=True)
class Trend:
    """Per-row fit: intercept ``a``, slope ``b`` (log ratio per period), its standard error ``se``
    (dispersion-scaled), the fitted harm of the last period and the projection one period on."""

    a: np.ndarray
    b: np.ndarray
    se: np.ndarray
    fitted_last: np.ndarray
    projected: np.ndarray
    dispersion: float

    def ratio(self) -> np.ndarray:
        """Harm growth per period, ``exp(b)``."""
        return np.exp(self.b)

    def interval(self, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
        """Wald interval of the growth per period (95% by default)."""
        return np.exp(self.b - z * self.se), np.exp(self.b + z * self.se)


def fit(y: np.ndarray, prior_sd: float = PRIOR_SD, iterations: int = 50) -> Trend:
    """Fit ``log E[y] = a + b x`` to each row of ``y`` (people x periods, oldest first, non-negative,
    each row with a positive total). Returns a :class:`Trend`.

    Penalised quasi-likelihood in two passes: the first (dispersion 1) gives the Pearson dispersion
    of the force; the second maximises ``loglik / dispersion - b**2 / (2 prior_sd**2)``, so a harm
    scale with a large spread (one wounding weighs 150 assaults without injury) does not drown the
    penalty.
    """
    first = _fit(y, prior_sd, 1.0, iterations)
    return _fit(y, prior_sd, first.dispersion, iterations)


def _fit(y: np.ndarray, prior_sd: float, dispersion: float, iterations: int) -> Trend:
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError("y must be people x periods, with at least two periods")
    if (y < 0).any() or (y.sum(axis=1) <= 0).any():
        raise ValueError("each row of y must be non-negative with a positive total")
    n, t = y.shape
    x = np.arange(t) - (t - 1) / 2.0
    penalty = dispersion / prior_sd**2  # the penalty on the quasi-likelihood scale
    a = np.log(y.mean(axis=1))
    b = np.zeros(n)
    for _ in range(iterations):
        mu = np.exp(a[:, None] + b[:, None] * x[None, :])
        r = y - mu
        ga, gb = r.sum(axis=1), (r * x).sum(axis=1) - penalty * b
        haa, hab, hbb = mu.sum(axis=1), (mu * x).sum(axis=1), (mu * x * x).sum(axis=1) + penalty
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = np.maximum(1.0, np.maximum(np.abs(da), np.abs(db)) / 2.0)  # damp big steps
        a, b = a + da / step, b + db / step
        if max(np.abs(da).max(initial=0), np.abs(db).max(initial=0)) < 1e-9:
            break
    mu = np.exp(a[:, None] + b[:, None] * x[None, :])
    haa, hab, hbb = mu.sum(axis=1), (mu * x).sum(axis=1), (mu * x * x).sum(axis=1) + penalty
    pearson = float(((y - mu) ** 2 / mu).sum())
    dof = max(1, n * t - 2 * n)
    estimated = max(1.0, pearson / dof)
    se = np.sqrt(dispersion * haa / (haa * hbb - hab * hab))
    return Trend(a=a, b=b, se=se, fitted_last=mu[:, -1], projected=np.exp(a + b * (x[-1] + 1.0)),
                 dispersion=estimated)
