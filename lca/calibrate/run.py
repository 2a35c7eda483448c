"""Run a calibration on the engine: draw the priors, solve every block of draws with the
vectorised model (:meth:`lca.engine.CompiledModel.split`), weigh them by the targets, and
summarise prior, posterior, residuals and tension; then the structural alternatives, the
named points and the leave-out groups of ``calibration.toml``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from lca import engine, formulas
from lca.boundary import Period
from lca.calibrate import sampling
from lca.calibrate import targets as tg
from lca.calibrate.result import (
    AlternativeRow,
    CalibrationResult,
    LeaveOutRow,
    ParameterRow,
    PointRow,
    Posterior,
    TargetRow,
    WatchRow,
    format_value,
)
from lca.calibrate.spec import CalibrationSpec, Option, Watch, read_spec
from lca.distributions import parse_distribution
from lca.engine import CompiledModel, PreparedModel
from lca.errors import BadArgument, BadValue, InventoryError, Location, Problem
from lca.schema import INDICATOR_UNITS
from lca.uncertainty.montecarlo import chunk_generator
from lca.units import quantity, registry, split_number_unit

CHUNK = 20_000
PRIOR_KEPT = 100_000  # prior draws kept whole, for the prior-predictive quantiles
QUANTILES = (0.025, 0.5, 0.975)


@dataclass
class Setup:
    """One calibration problem: priors, targets, the fixed parameters and the compiled model."""

    prepared: PreparedModel
    compiled: CompiledModel
    priors: list[sampling.Prior]
    targets: list[tg.Target]
    fixed: dict = field(default_factory=dict)  # name -> quantity (structural settings)
    watch: list[Watch] = field(default_factory=list)
    tokens_scale: float = 1.0

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.priors]

    def overrides(self, values: dict) -> dict:
        ureg = registry()
        out = dict(self.fixed)
        for p in self.priors:
            out[p.name] = ureg.Quantity(np.asarray(values[p.name], dtype=float),
                                        p.d.quantity_unit or "dimensionless")
        return out

    def evaluate(self, values: dict, watch: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(computed targets (n, T), watched quantities (n, W)) for parameter values (arrays);
        ``watch=False`` skips the watched quantities (the sampler's inner loop)."""
        n = len(next(iter(values.values())))
        parts, watched = [], []
        for start in range(0, n, CHUNK):
            block = {k: v[start:start + CHUNK] for k, v in values.items()}
            overrides = self.overrides(block)
            split = self.compiled.split(overrides)
            indicators = self.compiled.static.indicators
            parts.append(tg.computed(self.targets, split, indicators))
            if watch:
                watched.append(self._watched(split, indicators, overrides))
        if not watch:
            return np.concatenate(parts), np.empty((n, 0))
        return np.concatenate(parts), np.concatenate(watched)

    def _watched(self, split, indicators, overrides) -> np.ndarray:
        n = split.stages.shape[0]
        out = np.empty((n, len(self.watch)))
        values = None
        for j, w in enumerate(self.watch):
            if w.formula:
                if values is None:
                    values = self.compiled.values(overrides)
                q = formulas.evaluate(w.formula, values)
                out[:, j] = np.broadcast_to(np.asarray(q.to(w.unit).magnitude, dtype=float), (n,))
                continue
            value = split.scope(w.scope, w.per_unit)[:, indicators.index(w.indicator)]
            factor = self.tokens_scale if w.per_unit else 1.0
            out[:, j] = value * factor * _unit_factor(w)
        return out

    def loglik(self, values: dict) -> np.ndarray:
        computed, _ = self.evaluate(values, watch=False)
        return tg.log_likelihood(self.targets, computed).sum(axis=1)

    def loglik_x(self, x: np.ndarray) -> np.ndarray:
        return self.loglik(sampling.to_values(self.priors, x))


def _unit_factor(w: Watch) -> float:
    if not w.unit:
        return 1.0
    return float(quantity(1.0, INDICATOR_UNITS[w.indicator]).to(w.unit).magnitude)


# ----------------------------------------------------------------------------- setup


def load(model: str | None = None, inventory=None) -> tuple[PreparedModel, CalibrationSpec]:
    prepared = engine.prepare(model, inventory)
    spec = read_spec(prepared.inventory.directory)
    if spec is None:
        raise BadArgument(f"{prepared.inventory.name} has no calibration.toml beside its "
                          f"inventory ({prepared.inventory.directory})")
    return prepared, spec


def spec_location(prepared: PreparedModel, key: str | None = None) -> Location:
    return Location(str(prepared.inventory.directory / "calibration.toml"), None, key)


def period_of(prepared: PreparedModel, spec: CalibrationSpec, months=None) -> Period:
    published = prepared.inventory.published
    default_months = published.months if published is not None and published.months else 12
    tokens = spec.tokens_per_response or (
        published.tokens_per_response if published is not None and
        published.tokens_per_response else 400)
    chosen = months if months is not None else (spec.months or default_months)
    return Period(float(chosen), int(tokens))


def build_setup(prepared: PreparedModel, spec: CalibrationSpec, options: tuple[Option, ...] = (),
                leave_out: tuple[str, ...] = (), targets_override=None) -> Setup:
    """The calibration problem of the primary structure, or of a combination of options."""
    months = next((o.months for o in options if o.months is not None), None)
    period = period_of(prepared, spec, months)
    compiled = prepared.compile(period)
    fixed = _fixed_values(prepared, options)
    priors = _priors(prepared, spec, options, fixed)
    targets = targets_override if targets_override is not None else _targets(prepared, spec,
                                                                              period)
    scopes = {k: v for o in options for k, v in o.scope.items()}
    targets = [t.with_scope(scopes[t.scope]) if t.scope in scopes else t for t in targets
               if t.label not in leave_out]
    published = prepared.inventory.published
    scale = (published.tokens_per_response / period.tokens_per_response
             if published is not None and published.tokens_per_response else 1.0)
    return Setup(prepared, compiled, priors, targets, fixed, list(spec.watch), scale)


def _fixed_values(prepared: PreparedModel, options) -> dict:
    out = {}
    for option in options:
        for name, text in option.set.items():
            _check_literal(prepared, name, f"alternatives option {option.name!r}, set")
            value = quantity(text)
            static = prepared.resolved.parameters[name]
            if value.dimensionless and not static.dimensionless:
                value = value * static.units
            out[name] = value
    return out


def _check_literal(prepared: PreparedModel, name: str, where: str) -> None:
    if name not in prepared.resolved.parameter_set.literals:
        raise InventoryError([Problem(spec_location(prepared), f"{where}: {name!r} is not a "
                                      "parameter with a value in parameters.csv")])


def _priors(prepared: PreparedModel, spec: CalibrationSpec, options, fixed: dict) -> list:
    resolved = prepared.resolved
    distributions = dict(resolved.distributions)
    text = {p.name: p.value for p in prepared.inventory.parameters}
    names = [n for n in spec.free if n not in fixed]
    for option in options:
        for name, written in option.prior.items():
            _check_literal(prepared, name, f"alternatives option {option.name!r}, prior")
            try:
                distributions[name] = parse_distribution(name, written, resolved.parameters[name],
                                                          option.prior_source, text[name])
            except BadValue as exc:
                where = f"option {option.name!r}, prior of {name}"
                raise InventoryError([Problem(spec_location(prepared), f"{where}: {exc}")]) \
                    from None
            if name not in names:
                names.append(name)
    problems = []
    for name in names:
        d = distributions.get(name)
        if d is None or name not in resolved.parameter_set.literals:
            problems.append(Problem(spec_location(prepared, "free"), f"{name!r} is not a "
                                    "parameter with a value in parameters.csv"))
        elif not d.sampled or d.is_default:
            problems.append(Problem(spec_location(prepared, "free"), f"{name}: write its prior "
                                    "from public evidence in the 'uncertainty' column of "
                                    "parameters.csv, with its 'uncertainty_source'"))
    if problems:
        raise InventoryError(problems)
    return [sampling.Prior(distributions[n]) for n in names]


def _targets(prepared: PreparedModel, spec: CalibrationSpec, period: Period) -> list:
    figures = prepared.resolved.published
    published = prepared.inventory.published
    scale = (published.tokens_per_response / period.tokens_per_response
             if published is not None and published.tokens_per_response else 1.0)
    by_label = {tg.target_label(f): f for f in figures}
    if spec.targets == "published":
        chosen = list(figures)
    else:
        unknown = [t for t in spec.targets if t not in by_label]
        if unknown:
            raise InventoryError([Problem(spec_location(prepared, "targets"),
                                          f"unknown target(s) {', '.join(map(repr, unknown))}; "
                                          f"the published figures are: "
                                          f"{', '.join(by_label)}")])
        chosen = [by_label[t] for t in spec.targets]
    if not chosen:
        raise InventoryError([Problem(spec_location(prepared, "targets"),
                                      "no published figure to calibrate on")])
    out = []
    for f in chosen:
        label = tg.target_label(f)
        out.append(tg.from_published(f, spec.discrepancies.get(label, spec.discrepancy), scale))
    return out


# ----------------------------------------------------------------------------- sampling


@dataclass
class Draws:
    """The prior block: draws in unbounded coordinates, their log-likelihood, and what the
    prior predicts for each target."""

    x: np.ndarray
    loglik: np.ndarray
    kept_targets: np.ndarray
    kept_watch: np.ndarray
    cdf: np.ndarray  # (T,) prior-predictive probability below the figure / of meeting a bound
    # (over the first PRIOR_KEPT draws)


def draw_prior(setup: Setup, draws: int, seed: int, progress=None) -> Draws:
    d, t = len(setup.priors), len(setup.targets)
    x = np.empty((draws, d))
    ll = np.empty(draws)
    kept = min(draws, PRIOR_KEPT)
    kept_targets = np.empty((kept, t))
    kept_watch = np.empty((kept, len(setup.watch)))
    cdf_sum = np.zeros(t)
    for index, start in enumerate(range(0, draws, CHUNK)):
        n = min(CHUNK, draws - start)
        rng = chunk_generator(seed, index)
        values = {p.name: p.sample(rng, n) for p in setup.priors}
        computed, watched = setup.evaluate(values, watch=start < kept)
        z = tg.standardised(setup.targets, computed)
        ll[start:start + n] = tg.log_likelihood(setup.targets, computed, z).sum(axis=1)
        for j, p in enumerate(setup.priors):
            x[start:start + n, j] = p.to_x(values[p.name])
        if start < kept:  # the prior-predictive probabilities: exact mixtures, 100,000 suffice
            stop = min(kept, start + n) - start
            cdf_sum += tg.predictive_cdf(setup.targets, computed[:stop], z=z[:stop]) * stop
            kept_targets[start:start + stop] = computed[:stop]
            kept_watch[start:start + stop] = watched[:stop]
        if progress:
            progress(start + n, draws)
    return Draws(x, ll, kept_targets, kept_watch, cdf_sum / kept)


def sample_posterior(setup: Setup, prior: Draws, particles: int, min_ess: int,
                     seed: int) -> Posterior:
    """Importance resampling when the weights are trustworthy, else tempered SMC."""
    started = time.perf_counter()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
    w = sampling.normalised(prior.loglik)
    diagnostics = {
        "prior_draws": int(prior.loglik.size),
        "ess": sampling.ess(w),
        "pareto_k": sampling.pareto_khat(prior.loglik),
        "pareto_k_limit": sampling.khat_threshold(prior.loglik.size),
        "log_evidence_importance": sampling.log_mean_exp(prior.loglik),
    }
    k = diagnostics["pareto_k"]
    trusted = diagnostics["ess"] >= min_ess and (math.isnan(k) or k <= diagnostics[
        "pareto_k_limit"])
    if trusted:
        pick = sampling.systematic_resample(w, particles, rng)
        x, ll = prior.x[pick], prior.loglik[pick]
        log_z = diagnostics["log_evidence_importance"]
        diagnostics.update(method="importance resampling", stages=0, betas=[1.0])
    else:
        pop = sampling.tempered_smc(setup.priors, setup.loglik_x, prior.x, prior.loglik,
                                    particles, rng)
        x, ll, log_z = pop.x, pop.loglik, pop.log_evidence
        diagnostics.update(method="tempered SMC", stages=len(pop.betas), betas=pop.betas,
                           acceptance_last=pop.acceptance[-1] if pop.acceptance else None,
                           evaluations=pop.evaluations)
    mode_x, mode_lp = sampling.posterior_mode(setup.priors, setup.loglik_x, x, ll, rng)
    diagnostics["log_evidence"] = log_z
    diagnostics["particles"] = int(x.shape[0])
    diagnostics["unique_particles"] = int(np.unique(x, axis=0).shape[0])
    values = sampling.to_values(setup.priors, x)
    computed, watched = setup.evaluate(values)
    mode_values = sampling.to_values(setup.priors, mode_x[None, :])
    mode_computed, mode_watched = setup.evaluate(mode_values)
    diagnostics["seconds_posterior"] = time.perf_counter() - started
    return Posterior(x, ll, values, computed, watched, {k: float(v[0]) for k, v in
                                                        mode_values.items()},
                     mode_computed[0], mode_watched[0], float(mode_lp), diagnostics)


# ----------------------------------------------------------------------------- summaries


def parameter_rows(setup: Setup, prior: Draws, post: Posterior, digits: int) -> list:
    rows = []
    for j, p in enumerate(setup.priors):
        pq = p.quantiles(QUANTILES)
        values = post.values[p.name]
        q = np.quantile(values, QUANTILES)
        x_prior, x_post = prior.x[:, j], post.x[:, j]
        sd_prior = float(np.std(x_prior))
        rows.append(ParameterRow(
            name=p.name, unit=p.d.unit, prior=p.d.describe(), prior_source=p.d.source,
            prior_quantiles=tuple(float(v) for v in pq),
            posterior_quantiles=tuple(float(v) for v in q),
            mode=post.mode[p.name],
            shipped=format_value(post.mode[p.name], p.d.unit, digits, p.d.quantity_unit),
            prior_percentile=100.0 * float(p.cdf(q[1])),
            z=float((np.mean(x_post) - np.mean(x_prior)) / sd_prior) if sd_prior else 0.0,
            contraction=float(1 - np.var(x_post) / sd_prior ** 2) if sd_prior else 0.0,
            family=p.d.family,
        ))
    return rows


def target_rows(setup: Setup, prior: Draws, post: Posterior) -> list:
    post_cdf = tg.predictive_cdf(setup.targets, post.computed)
    z_mode = tg.standardised(setup.targets, post.mode_computed[None, :])[0]
    rows = []
    for j, t in enumerate(setup.targets):
        rows.append(TargetRow(
            label=t.label, indicator=t.indicator, unit=t.unit, op=t.op, published=t.value,
            text=t.text, half_width=t.half_width, sigma=t.sigma, source=t.source,
            prior_quantiles=tuple(float(v) for v in np.quantile(prior.kept_targets[:, j],
                                                                  QUANTILES)),
            prior_p=tg.p_value(t, float(prior.cdf[j])),
            posterior_quantiles=tuple(float(v) for v in np.quantile(post.computed[:, j],
                                                                      QUANTILES)),
            posterior_p=tg.p_value(t, float(post_cdf[j])),
            shipped=float(post.mode_computed[j]), z=float(z_mode[j]), per_unit=t.per_unit,
        ))
    return rows


def watch_rows(setup: Setup, prior: Draws, post: Posterior) -> list:
    return [WatchRow(w.label, w.unit or INDICATOR_UNITS[w.indicator],
                     tuple(float(v) for v in np.quantile(prior.kept_watch[:, j], QUANTILES)),
                     tuple(float(v) for v in np.quantile(post.watched[:, j], QUANTILES)),
                     float(post.mode_watched[j]))
            for j, w in enumerate(setup.watch)]


# ----------------------------------------------------------------------------- calibrate


def calibrate(model: str | None = None, inventory=None, *, alternatives: bool = False,
              progress=None, draws: int | None = None, particles: int | None = None,
              seed: int | None = None, prepared: PreparedModel | None = None,
              spec: CalibrationSpec | None = None, targets=None) -> CalibrationResult:
    """Calibrate a model as its calibration.toml says (``draws``, ``particles``, ``seed``
    override the file; ``targets``, a list of :class:`~lca.calibrate.targets.Target`, replaces
    its published figures, as the coverage test does)."""
    if prepared is None:
        prepared, spec = load(model, inventory)
    elif spec is None:
        spec = read_spec(prepared.inventory.directory)
    started = time.perf_counter()
    if spec.method == "formula":
        return formula_result(prepared, spec, time.perf_counter() - started)
    draws = draws or spec.draws
    particles = particles or spec.particles
    seed = spec.seed if seed is None else seed
    setup = build_setup(prepared, spec, targets_override=targets)
    prior = draw_prior(setup, draws, seed, progress)
    post = sample_posterior(setup, prior, particles, spec.min_ess, seed)
    result = CalibrationResult(
        model=prepared.inventory.name, method="bayes", spec=spec,
        months=setup.compiled.period.months,
        tokens_per_response=setup.compiled.period.tokens_per_response,
        seed=seed, draws=draws, particles=particles,
        parameters=parameter_rows(setup, prior, post, spec.digits),
        targets=target_rows(setup, prior, post), watch=watch_rows(setup, prior, post),
        diagnostics=post.diagnostics, seconds=0.0,
    )
    result.points = [judge_point(prepared, setup, point) for point in spec.point]
    if alternatives:
        result.alternatives = run_alternatives(prepared, spec, result, seed)
        result.leave_out = run_leave_out(prepared, spec, seed)
    result.seconds = time.perf_counter() - started
    return result


def _combination_name(options: tuple[Option, ...]) -> str:
    return " | ".join(o.name for o in options) or "primary"


def run_alternatives(prepared, spec: CalibrationSpec, primary: CalibrationResult,
                     seed: int) -> list:
    """Every combination of the structural options, each calibrated on the same targets."""
    rows = []
    for index, options in enumerate(spec.combinations()):
        name = _combination_name(options)
        if index == 0:
            rows.append(AlternativeRow.from_result(name, "primary", primary))
            continue
        setup = build_setup(prepared, spec, options)
        prior = draw_prior(setup, spec.alternatives.draws, seed + index)
        post = sample_posterior(setup, prior, spec.alternatives.particles, spec.min_ess,
                                seed + index)
        part = CalibrationResult(
            model=prepared.inventory.name, method="bayes", spec=spec,
            months=setup.compiled.period.months,
            tokens_per_response=setup.compiled.period.tokens_per_response, seed=seed + index,
            draws=spec.alternatives.draws, particles=spec.alternatives.particles,
            parameters=parameter_rows(setup, prior, post, spec.digits),
            targets=target_rows(setup, prior, post), watch=watch_rows(setup, prior, post),
            diagnostics=post.diagnostics, seconds=0.0)
        description = "; ".join(o.description for o in options if o.description)
        rows.append(AlternativeRow.from_result(name, description, part))
    return rows


def run_leave_out(prepared, spec: CalibrationSpec, seed: int) -> list:
    """Each group of targets left out in turn: what the others need, and how surprising the
    group is then (its predictive p-values: a node split, Presanis et al. 2013)."""
    rows = []
    for index, group in enumerate(spec.leave_out, start=1):
        full = build_setup(prepared, spec)
        unknown = [t for t in group.targets if t not in {x.label for x in full.targets}]
        if unknown:
            raise InventoryError([Problem(spec_location(prepared, "leave_out"),
                                          f"group {group.name!r}: unknown target(s) "
                                          f"{', '.join(map(repr, unknown))}")])
        setup = build_setup(prepared, spec, leave_out=tuple(group.targets))
        prior = draw_prior(setup, spec.alternatives.draws, seed + 1000 + index)
        post = sample_posterior(setup, prior, spec.alternatives.particles, spec.min_ess,
                                seed + 1000 + index)
        left = [t for t in full.targets if t.label in group.targets]
        checker = Setup(prepared, setup.compiled, setup.priors, left, setup.fixed)
        computed, _ = checker.evaluate(post.values)
        cdf = tg.predictive_cdf(left, computed)
        medians = np.median(computed, axis=0)
        rows.append(LeaveOutRow(
            name=group.name, targets=list(group.targets),
            parameters=parameter_rows(setup, prior, post, spec.digits),
            left_out=[(t.label, t.text, float(m), tg.p_value(t, float(c)))
                      for t, m, c in zip(left, medians, cdf, strict=True)],
            log_evidence=post.diagnostics["log_evidence"]))
    return rows


def judge_point(prepared, setup: Setup, point) -> PointRow:
    """Named values (a previous fit) against the targets and the priors."""
    values = {}
    for name, text in point.values.items():
        _check_literal(prepared, name, f"point {point.name!r}")
        q = quantity(text)
        static = prepared.resolved.parameters[name]
        values[name] = q if not (q.dimensionless and not static.dimensionless) else q * \
            static.units
    overrides = {**setup.fixed, **values}
    split = setup.compiled.split(overrides)
    computed = tg.computed(setup.targets, split, setup.compiled.static.indicators)
    z = tg.standardised(setup.targets, computed)[0]
    percentiles = []
    for p in setup.priors:
        if p.name in values:
            v = float(values[p.name].to(p.d.quantity_unit or "dimensionless").magnitude)
            percentiles.append((p.name, v, p.d.unit, 100.0 * float(p.cdf(v)), p.d.family))
    ll = float(tg.log_likelihood(setup.targets, computed).sum())
    return PointRow(point.name, point.description, [(t.label, float(computed[0, j]),
                                                     float(z[j])) for j, t in
                                                    enumerate(setup.targets)], percentiles, ll,
                    [t.op for t in setup.targets])


# ----------------------------------------------------------------------------- formula


def formula_result(prepared, spec: CalibrationSpec, seconds: float) -> CalibrationResult:
    """A closed-form calibration: each parameter is the formula's value (published figures
    in, the parameter out)."""
    rows = []
    for name, fit in spec.formula.items():
        _check_literal(prepared, name, "formula")
        static = prepared.resolved.parameters[name]
        try:
            q = formulas.evaluate(fit.formula, {})
            value = float(q.to(static.units).magnitude)
        except (BadValue, Exception) as exc:  # a dimension mismatch is a pint error
            raise InventoryError([Problem(spec_location(prepared, f"formula.{name}"),
                                          f"cannot compute {fit.formula!r} in "
                                          f"{static.units:~}: {exc}")]) from None
        unit = _written_unit(prepared, name)
        shown = float((q / quantity(f"1 {unit}")).to("dimensionless").magnitude) if unit \
            else value  # in the unit parameters.csv writes ("kWh/(1000*image)")
        rows.append(ParameterRow(
            name=name, unit=unit, prior=f"formula: {fit.formula}", prior_source="",
            prior_quantiles=(shown, shown, shown), posterior_quantiles=(shown, shown, shown),
            mode=shown, shipped=format_value(value, unit, fit.digits, str(static.units)),
            prior_percentile=50.0, z=0.0, contraction=1.0, family="formula"))
    return CalibrationResult(model=prepared.inventory.name, method="formula", spec=spec,
                             months=0.0, tokens_per_response=0, seed=0, draws=0, particles=0,
                             parameters=rows, targets=[], watch=[], diagnostics={},
                             seconds=seconds)


def _written_unit(prepared, name: str) -> str:
    text = next(p.value for p in prepared.inventory.parameters if p.name == name)
    split = split_number_unit(text)
    return split[1] if split else ""
