"""The Bayesian machinery of a calibration, independent of the engine: priors in unbounded
coordinates, sampling-importance-resampling (SIR) with its diagnostics, adaptive tempered
sequential Monte Carlo (SMC) when importance sampling collapses, and the posterior mode.

Everything works on blocks of points at once: ``loglik(values) -> (n,)`` is called with a
dict of arrays (name -> n values), so the engine solves each block in one vectorised pass.

Methods, as implemented here:

- SIR (Rubin 1988): prior draws weighted by the likelihood; the effective sample size
  ESS = 1 / sum(w^2) and the Pareto k-hat of the largest weights (Vehtari, Simpson, Gelman,
  Yao, Gabry 2024, "Pareto smoothed importance sampling", JMLR 25(72); generalised Pareto fit
  of Zhang and Stephens 2009, Technometrics 51(3)) say whether the weights can be trusted:
  k-hat above min(1 - 1/log10(S), 0.7) or a small ESS means they cannot.
- Tempered SMC (Del Moral, Doucet, Jasra 2006, JRSS-B 68(3); adaptive schedule as in
  Del Moral, Doucet, Jasra 2012, Statistics and Computing 22): the likelihood is raised to
  powers 0 < b1 < ... < 1, each step chosen so that the ESS of the incremental weights is half
  the population; after each reweighting the particles are resampled (systematic) and moved
  by random-walk Metropolis steps whose Gaussian proposal has the particles' covariance,
  scaled 2.38 / sqrt(d) and adapted to the acceptance rate (Roberts, Gelman, Gilks 1997).
  The first power is chosen on the whole block of prior draws, so the population starts from
  the best of them. log Z is the sum of the log mean incremental weights.
- Posterior mode: the best particle, refined by shrinking Gaussian searches around it (in the
  unbounded coordinates: log for a lognormal, logit for a bounded prior).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from lca.distributions import Distribution
from lca.uncertainty.sensitivity import scipy_distribution

LOG_2PI = math.log(2 * math.pi)


# ----------------------------------------------------------------------------- priors


class Prior:
    """One free parameter's prior (a :class:`~lca.distributions.Distribution`) and the
    unbounded coordinate ``x`` the SMC moves in."""

    def __init__(self, distribution: Distribution):
        if not distribution.sampled:
            raise ValueError(f"{distribution.name}: a fixed parameter cannot be calibrated")
        self.d = distribution
        self.name = distribution.name
        self.frozen = scipy_distribution(distribution)
        a = distribution.args
        self.low, self.high = a.get("min"), a.get("max")

    @property
    def bounded(self) -> bool:
        return self.d.family in ("uniform", "triangular")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.d.sample(rng, n)

    def quantiles(self, q) -> np.ndarray:
        return self.frozen.ppf(np.asarray(q, dtype=float))

    def cdf(self, v):
        return self.frozen.cdf(v)

    def to_x(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        if self.d.family == "lognormal":
            return np.log(v)
        if self.bounded:
            u = np.clip((v - self.low) / (self.high - self.low), 1e-12, 1 - 1e-12)
            return np.log(u) - np.log1p(-u)
        return v

    def from_x(self, x: np.ndarray) -> np.ndarray:
        if self.d.family == "lognormal":
            return np.exp(x)
        if self.bounded:
            return self.low + (self.high - self.low) * special.expit(x)
        return x

    def logpdf_x(self, x: np.ndarray) -> np.ndarray:
        """Log prior density of the unbounded coordinate (the Jacobian included), in closed
        form (scipy's generic logpdf costs more than the model in the sampler's loop)."""
        a = self.d.args
        if self.d.family in ("lognormal", "normal"):
            mu, sd = ((math.log(self.d.centre), math.log(a["gsd"]))
                      if self.d.family == "lognormal" else (self.d.value, a["sd"]))
            return -0.5 * ((x - mu) / sd) ** 2 - math.log(sd) - 0.5 * LOG_2PI
        u = special.expit(x)
        log_jacobian = np.log(u) + np.log1p(-u)  # d u / d x; the width cancels below
        if self.d.family == "uniform":
            return log_jacobian
        lo, mode, hi = self.low, a["mode"], self.high
        v = lo + (hi - lo) * u
        with np.errstate(divide="ignore", invalid="ignore"):
            rising = np.log(2 * (v - lo) / ((hi - lo) * (mode - lo))) if mode > lo else -np.inf
            falling = np.log(2 * (hi - v) / ((hi - lo) * (hi - mode))) if hi > mode else -np.inf
        density = np.where(v < mode, rising, falling)
        return density + math.log(hi - lo) + log_jacobian


def log_prior_x(priors: list[Prior], x: np.ndarray) -> np.ndarray:
    """(n,) summed log prior density of points ``x`` (n, d) in unbounded coordinates."""
    return np.sum([p.logpdf_x(x[:, j]) for j, p in enumerate(priors)], axis=0)


def to_values(priors: list[Prior], x: np.ndarray) -> dict:
    return {p.name: p.from_x(x[:, j]) for j, p in enumerate(priors)}


# ----------------------------------------------------------------------------- weights


def normalised(logw: np.ndarray) -> np.ndarray:
    logw = np.where(np.isfinite(logw), logw, -np.inf)
    top = np.max(logw)
    if not np.isfinite(top):
        return np.full(logw.shape, 1.0 / logw.size)
    w = np.exp(logw - top)
    return w / w.sum()


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights."""
    return float(1.0 / np.sum(w * w))


def log_mean_exp(logw: np.ndarray) -> float:
    finite = np.where(np.isfinite(logw), logw, -np.inf)
    return float(special.logsumexp(finite) - math.log(logw.size))


def pareto_khat(logw: np.ndarray) -> float:
    """Pareto k-hat of the largest importance weights (PSIS diagnostic): a generalised Pareto
    fitted by the Zhang-Stephens estimator, with Vehtari et al.'s weak prior on k."""
    n = logw.size
    m = int(min(0.2 * n, 3 * math.sqrt(n)))
    if m < 5:
        return float("nan")
    finite = np.sort(np.where(np.isfinite(logw), logw, -np.inf))
    top = finite[-(m + 1):]
    if not np.isfinite(top[0]):
        return float("inf")
    shift = top[-1]
    exceed = np.exp(top[1:] - shift) - np.exp(top[0] - shift)
    exceed = exceed[exceed > 0]
    if exceed.size < 5:
        return float("nan")
    return _gpd_k(np.sort(exceed))


def _gpd_k(x: np.ndarray) -> float:
    """Shape k of a generalised Pareto fitted to sorted exceedances ``x`` (Zhang and Stephens
    2009: a grid of candidate b = -k / sigma weighted by their profile likelihood)."""
    n = x.size
    grid = 30 + int(math.sqrt(n))
    quartile = x[max(int(n / 4 + 0.5) - 1, 0)]
    b = 1 - np.sqrt(grid / (np.arange(1, grid + 1) - 0.5))
    b = b / (3 * quartile) + 1 / x[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.mean(np.log1p(-b[:, None] * x[None, :]), axis=1)
        profile = n * (np.log(-b / k) - k - 1)
    ok = np.isfinite(profile)
    b, profile = b[ok], profile[ok]
    with np.errstate(over="ignore"):
        weights = 1 / np.sum(np.exp(profile[None, :] - profile[:, None]), axis=1)
    b_post = float(np.sum(b * weights) / np.sum(weights))
    # With b = -k / sigma, the mean of log(1 - b x) estimates the shape k itself; Vehtari et
    # al. (2024, appendix) shrink it towards 0.5 with a prior worth 10 observations.
    k_post = float(np.mean(np.log1p(-b_post * x)))
    return float((n * k_post + 10 * 0.5) / (n + 10))


def khat_threshold(sample_size: int) -> float:
    """The sample-size-dependent limit on k-hat (Vehtari et al. 2024)."""
    return float(min(1 - 1 / math.log10(max(sample_size, 11)), 0.7))


def systematic_resample(w: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` draws resampled in proportion to ``w`` (systematic: one uniform)."""
    positions = (rng.random() + np.arange(n)) / n
    cumulative = np.cumsum(w)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, positions, side="left")


def weighted_quantiles(values: np.ndarray, w: np.ndarray | None, q) -> np.ndarray:
    """Quantiles ``q`` (0-1) of ``values`` with weights ``w`` (None: equal weights)."""
    q = np.asarray(q, dtype=float)
    if w is None:
        return np.quantile(values, q)
    order = np.argsort(values)
    v, cw = values[order], np.cumsum(w[order])
    cw = (cw - 0.5 * w[order]) / cw[-1]
    return np.interp(q, cw, v)


# ----------------------------------------------------------------------------- SMC


@dataclass
class Population:
    """Equally weighted particles after SMC (or resampled after SIR)."""

    x: np.ndarray  # (n, d) unbounded coordinates
    loglik: np.ndarray  # (n,)
    log_evidence: float
    betas: list[float] = field(default_factory=list)
    acceptance: list[float] = field(default_factory=list)
    evaluations: int = 0


def first_power(loglik: np.ndarray, target_ess: float) -> float:
    """The largest power b <= 1 of the likelihood whose weights keep ``target_ess``."""
    if ess(normalised(loglik)) >= target_ess:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ess(normalised(mid * loglik)) >= target_ess:
            lo = mid
        else:
            hi = mid
    return lo


def tempered_smc(priors: list[Prior], loglik, start_x: np.ndarray, start_loglik: np.ndarray,
                 particles: int, rng: np.random.Generator, moves: int = 5,
                 final_moves: int = 10, max_stages: int = 200) -> Population:
    """Adaptive tempered SMC from a block of prior draws (``start_x``, their log-likelihood).

    ``loglik(x) -> (n,)`` takes points in unbounded coordinates."""
    beta = first_power(start_loglik, particles)
    log_z = log_mean_exp(beta * start_loglik)
    w = normalised(beta * start_loglik)
    pick = systematic_resample(w, particles, rng)
    x, ll = start_x[pick].copy(), start_loglik[pick].copy()
    pop = Population(x, ll, log_z, [beta])
    scale = 2.38 / math.sqrt(x.shape[1])
    for _ in range(max_stages):
        steps = final_moves if beta >= 1.0 else moves
        scale = _move(pop, priors, loglik, beta, scale, steps, rng)
        if beta >= 1.0:
            break
        beta_next = _next_power(pop.loglik, beta, particles / 2)
        increment = (beta_next - beta) * pop.loglik
        pop.log_evidence += log_mean_exp(increment)
        pick = systematic_resample(normalised(increment), particles, rng)
        pop.x, pop.loglik = pop.x[pick], pop.loglik[pick]
        beta = beta_next
        pop.betas.append(beta)
    return pop


def _next_power(loglik: np.ndarray, beta: float, target_ess: float) -> float:
    if ess(normalised((1.0 - beta) * loglik)) >= target_ess:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ess(normalised((mid - beta) * loglik)) >= target_ess:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-9)


def _move(pop: Population, priors: list[Prior], loglik, beta: float, scale: float, steps: int,
          rng: np.random.Generator) -> float:
    """Random-walk Metropolis steps on every particle at power ``beta``; returns the adapted
    proposal scale."""
    n, d = pop.x.shape
    cov = np.cov(pop.x, rowvar=False).reshape(d, d) + 1e-12 * np.eye(d)
    chol = np.linalg.cholesky(cov)
    prior_now = log_prior_x(priors, pop.x)
    for _ in range(steps):
        proposal = pop.x + scale * rng.standard_normal((n, d)) @ chol.T
        prior_new = log_prior_x(priors, proposal)
        ll_new = np.full(n, -np.inf)
        ok = np.isfinite(prior_new)
        if ok.any():
            ll_new[ok] = loglik(proposal[ok])
            pop.evaluations += int(ok.sum())
        log_ratio = beta * (ll_new - pop.loglik) + prior_new - prior_now
        accept = np.log(rng.random(n)) < np.where(np.isfinite(log_ratio), log_ratio, -np.inf)
        pop.x[accept] = proposal[accept]
        pop.loglik[accept] = ll_new[accept]
        prior_now[accept] = prior_new[accept]
        rate = float(accept.mean())
        pop.acceptance.append(rate)
        scale *= math.exp(rate - 0.234)  # towards the optimal acceptance of random walks
    return scale


# ----------------------------------------------------------------------------- mode


def posterior_mode(priors: list[Prior], loglik, x: np.ndarray, ll: np.ndarray,
                   rng: np.random.Generator, rounds: int = 12, batch: int = 4000) -> tuple:
    """The posterior mode in unbounded coordinates: the best of the particles, refined by
    Gaussian searches (the particles' covariance, shrinking by half each round)."""
    logpost = ll + log_prior_x(priors, x)
    best = int(np.argmax(np.where(np.isfinite(logpost), logpost, -np.inf)))
    best_x, best_lp = x[best].copy(), float(logpost[best])
    d = x.shape[1]
    cov = np.cov(x, rowvar=False).reshape(d, d) + 1e-12 * np.eye(d)
    chol = np.linalg.cholesky(cov)
    for r in range(rounds):
        scale = 0.5 ** r
        trial = best_x + scale * rng.standard_normal((batch, d)) @ chol.T
        lp = loglik(trial) + log_prior_x(priors, trial)
        top = int(np.argmax(np.where(np.isfinite(lp), lp, -np.inf)))
        if lp[top] > best_lp:
            best_x, best_lp = trial[top].copy(), float(lp[top])
    return best_x, best_lp
