"""lca calibrate: the sampler against closed-form posteriors, the diagnostics against their
theory, calibration.toml's errors, the write / check cycle, and the shipped large-2
calibration recomputed from a fresh checkout."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from conftest import LARGE2, cli, set_parameter
from synthetic_inventory import FIGURES, write_synthetic

from lca.distributions import Distribution


def normal_prior(name: str, mean: float = 0.0, sd: float = 1.0):
    from lca.calibrate.sampling import Prior

    return Prior(Distribution(name, "normal", mean, "", {"sd": sd}))


# ---------------------------------------------------------------- the sampler, in closed form


def test_tempered_smc_gives_the_conjugate_normal_posterior_and_evidence():
    """Prior N(0, 1) on each of two parameters, one observation each, y = (4, -3), with
    standard deviation s = 0.2: the posterior is N(y / (1 + s^2), s^2 / (1 + s^2)) and the
    evidence N(y; 0, 1 + s^2). The figures lie 3 to 4 prior standard deviations out, so
    importance sampling from the prior collapses and SMC has to do the work."""
    from lca.calibrate import sampling

    priors = [normal_prior("a"), normal_prior("b")]
    y, s = np.array([4.0, -3.0]), 0.2

    def loglik(x):
        return np.sum(-0.5 * ((x - y) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi),
                      axis=1)

    rng = np.random.default_rng(3)
    start = rng.standard_normal((200_000, 2))
    ll = loglik(start)
    assert sampling.ess(sampling.normalised(ll)) < 50  # importance sampling collapsed
    pop = sampling.tempered_smc(priors, loglik, start, ll, 5_000, rng)
    mean, sd = y / (1 + s * s), math.sqrt(s * s / (1 + s * s))
    np.testing.assert_allclose(pop.x.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(pop.x.std(axis=0), sd, rtol=0.08)
    evidence = np.sum(-0.5 * y ** 2 / (1 + s * s) - 0.5 * np.log(2 * math.pi * (1 + s * s)))
    assert pop.log_evidence == pytest.approx(evidence, abs=0.3)
    # the mode of the posterior is its mean here
    best, _ = sampling.posterior_mode(priors, loglik, pop.x, pop.loglik, rng)
    np.testing.assert_allclose(best, mean, atol=0.02)


@pytest.mark.parametrize("ratio", [1.5, 2.0])
def test_pareto_khat_matches_theory(ratio):
    """Normal proposal, normal target ``ratio`` times wider: the weights' tail has shape
    k = 1 - 1 / ratio^2 (0.56 and 0.75)."""
    from lca.calibrate.sampling import pareto_khat

    x = np.random.default_rng(1).standard_normal(200_000)
    logw = -0.5 * (x / ratio) ** 2 + 0.5 * x ** 2
    assert pareto_khat(logw) == pytest.approx(1 - 1 / ratio ** 2, abs=0.06)


def test_resampling_and_weighted_quantiles():
    from lca.calibrate.sampling import systematic_resample, weighted_quantiles

    w = np.array([0.1, 0.2, 0.3, 0.4])
    picks = systematic_resample(w, 10_000, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(picks, minlength=4) / 10_000, w, atol=1e-4)
    values = np.random.default_rng(2).normal(size=1000)
    counts = np.random.default_rng(3).integers(1, 4, size=1000)
    repeated = np.repeat(values, counts)
    for q in (0.025, 0.5, 0.975):
        assert weighted_quantiles(values, counts / counts.sum(), q) == pytest.approx(
            np.quantile(repeated, q), abs=0.05)


@pytest.mark.parametrize("family, args, value", [
    ("lognormal", {"gsd": 1.6, "median": 2.8}, 3.0),
    ("uniform", {"min": 3.0, "max": 6.0}, 4.0),
    ("triangular", {"min": 0.45, "mode": 0.8, "max": 1.0}, 0.7),
])
def test_prior_density_in_unbounded_coordinates_integrates_to_one(family, args, value):
    """The density the SMC moves in (Jacobian included) is a density, and maps back to the
    prior: the mean of from_x over it equals the prior's mean (scipy)."""
    from lca.calibrate.sampling import Prior
    from lca.uncertainty.sensitivity import scipy_distribution

    d = Distribution("p", family, value, "", dict(args))
    prior = Prior(d)
    x = np.linspace(-30, 30, 600_001)
    density = np.exp(prior.logpdf_x(x))
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=1e-4)
    assert np.trapezoid(density * prior.from_x(x), x) == pytest.approx(
        scipy_distribution(d).mean(), rel=1e-3)


def test_lognormal_prior_with_its_own_median():
    """A calibrated parameter's prior is centred on the evidence, not on its value."""
    from lca.distributions import parse_distribution
    from lca.units import quantity

    d = parse_distribution("t", "lognormal(median=9e12 token, gsd=1.63)", quantity("1.3e13 token"),
                           "evidence", "1.3e13 token")
    draws = d.sample(np.random.default_rng(0), 200_000)
    assert np.median(draws) == pytest.approx(9e12, rel=0.01)
    assert np.percentile(draws, 95) / np.median(draws) == pytest.approx(1.63 ** 1.6449, rel=0.02)
    assert d.describe() == "lognormal(median=9e+12 token, gsd=1.63)"


# ---------------------------------------------------------------- calibration.toml


def test_a_bad_calibration_file_names_the_file_and_the_keys(tmp_path):
    from lca.calibrate import read_spec
    from lca.errors import InventoryError

    (tmp_path / "calibration.toml").write_text('method = "magic"\ndraws = 10\nfree = []\n'
                                               'colour = "red"\n')
    with pytest.raises(InventoryError) as caught:
        read_spec(tmp_path)
    text = str(caught.value)
    assert "calibration.toml, field 'method'" in text and "field 'draws'" in text
    assert "field 'colour'" in text


def test_a_free_parameter_needs_a_written_prior(tmp_path):
    folder = write_synthetic(tmp_path / "inv")
    path = folder / "parameters.csv"
    rows = list(csv.DictReader(path.open()))
    for row in rows:
        if row["name"] == "training_wue":
            row["uncertainty"] = row["uncertainty_source"] = ""
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    done = cli("calibrate", "--inventory", folder)
    assert done.returncode == 2
    assert "calibration.toml, field 'free'" in done.stderr and "training_wue" in done.stderr
    assert "public evidence" in done.stderr


# ---------------------------------------------------------------- write, check, reproduce


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A synthetic inventory whose 15 figures are the engine's results at known values, times
    a known factor per figure (so that the fit has something to do)."""
    from lca import engine
    from lca.calibrate import read_spec
    from lca.calibrate.run import Setup, build_setup

    folder = write_synthetic(tmp_path_factory.mktemp("syn") / "inv", draws=20_000,
                             particles=2_000, free=["training_energy", "tokens_per_month",
                                                    "serving_energy_per_token"])
    prepared = engine.prepare(inventory=folder)
    setup = build_setup(prepared, read_spec(folder))
    truth = {"training_energy": np.array([3e6]), "tokens_per_month": np.array([2e10]),
             "serving_energy_per_token": np.array([4e-4])}
    values, _ = Setup(prepared, setup.compiled, setup.priors, setup.targets).evaluate(
        truth, watch=False)
    factors = np.exp(np.random.default_rng(5).normal(0, 0.05, len(FIGURES)))
    figures = dict(zip([(t.scope, t.per_unit, t.indicator) for t in setup.targets],
                       values[0] * factors, strict=True))
    write_synthetic(folder, figures, draws=20_000, particles=2_000,
                    free=["training_energy", "tokens_per_month", "serving_energy_per_token"])
    return folder, truth


def test_write_then_check_then_a_changed_value_fails(synthetic, tmp_path):
    import shutil

    folder = tmp_path / "inv"
    shutil.copytree(synthetic[0], folder)
    written = cli("calibrate", "--inventory", folder, "--write", "--format", "json")
    assert written.returncode == 0, written.stderr
    data = json.loads(written.stdout)
    shipped = {p["name"]: p["shipped"] for p in data["parameters"]}
    rows = {r["name"]: r for r in csv.DictReader((folder / "parameters.csv").open())}
    for name, text in shipped.items():
        assert rows[name]["value"] == text
        assert rows[name]["kind"] == "calibrated" and "calibration.toml" in rows[name]["source"]
    stored = json.loads((folder / "calibration.json").read_text())
    assert stored["parameters"] == data["parameters"]
    ok = cli("calibrate", "--inventory", folder, "--check")
    assert ok.returncode == 0 and ok.stdout.startswith("ok:"), ok.stderr
    # a person edits a calibrated value by hand: the check names it and fails with exit 1
    set_parameter(folder, "tokens_per_month", "9e10 token/month")
    bad = cli("calibrate", "--inventory", folder, "--check")
    assert bad.returncode == 1
    assert "tokens_per_month: shipped 9e10 token/month, the calibration gives" in bad.stderr
    # and a changed calibration.toml makes the stored result stale
    set_parameter(folder, "tokens_per_month", shipped["tokens_per_month"])
    spec = folder / "calibration.toml"
    spec.write_text(spec.read_text().replace("discrepancy = 0.0", "discrepancy = 0.3"))
    stale = cli("calibrate", "--inventory", folder, "--check")
    assert stale.returncode == 1 and "computed from other inputs" in stale.stderr


def test_same_seed_same_calibration_and_the_truth_is_recovered(synthetic):
    from lca.calibrate import calibrate

    folder, truth = synthetic
    a = calibrate(inventory=folder).to_dict()
    b = calibrate(inventory=folder).to_dict()
    a.pop("seconds"), b.pop("seconds")
    a["diagnostics"].pop("seconds_posterior"), b["diagnostics"].pop("seconds_posterior")
    assert a == b
    for p in a["parameters"]:
        assert p["posterior_p2_5"] <= truth[p["name"]][0] <= p["posterior_p97_5"], p


# ---------------------------------------------------------------- large-2, as shipped


@pytest.fixture(scope="module")
def large2_check():
    return cli("calibrate", "--model", "large-2", "--check", "--format", "json")


def test_large2_calibration_check_passes_from_the_shipped_files(large2_check):
    """`lca calibrate --model large-2 --check`: recomputed from calibration.toml and the
    inventory, the shipped values and calibration.json are what the calibration gives."""
    assert large2_check.returncode == 0, large2_check.stderr
    assert json.loads(large2_check.stdout)["ok"] is True


def test_large2_calibrated_parameters_name_their_calibration_and_carry_evidence_priors():
    spec = (LARGE2 / "calibration.toml").read_text()
    rows = {r["name"]: r for r in csv.DictReader((LARGE2 / "parameters.csv").open())}
    import tomllib

    free = tomllib.loads(spec)["free"]
    assert len(free) == 20
    for name in free:
        row = rows[name]
        assert row["kind"] == "calibrated"
        assert "calibration.toml" in row["source"]
        assert row["uncertainty"] and len(row["uncertainty_source"]) > 40, name
    # every calibrated parameter of large-2 is calibrated by the file, none by hand
    assert {n for n, r in rows.items() if r["kind"] == "calibrated"} == set(free)
