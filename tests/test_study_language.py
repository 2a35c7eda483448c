"""What published studies need from the inventory language beyond part 1: distributions as
studies give them (5th/95th percentiles, exponential lengths), statistics of a distribution
as published figures, and the token assumptions of each model made visible."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import cli

import lca
from lca.distributions import parse_distribution
from lca.errors import BadValue
from lca.resolve import read_statistic
from lca.units import quantity

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ distributions


def test_lognormal_from_its_5th_and_95th_percentiles():
    d = parse_distribution("pu", "lognormal(p5=0.4, p95=0.9)", quantity(0.6))
    draws = d.sample(np.random.default_rng(7), 400_000)
    assert np.percentile(draws, [5, 50, 95]) == pytest.approx([0.4, 0.6, 0.9], rel=0.01)
    assert d.args["gsd"] == pytest.approx(math.exp(math.log(0.9 / 0.4) / (2 * 1.6448536)))
    assert d.describe() == "lognormal(p5=0.4, p95=0.9)"


def test_lognormal_percentiles_need_their_median_as_the_value():
    with pytest.raises(BadValue, match=r"sqrt\(p5 x p95\) = 0.6; write that as the value"):
        parse_distribution("pu", "lognormal(p5=0.4, p95=0.9)", quantity(0.5))
    with pytest.raises(BadValue, match="not both forms"):
        parse_distribution("pu", "lognormal(gsd=1.2, p5=0.4, p95=0.9)", quantity(0.6))
    with pytest.raises(BadValue, match="gsd=..., or p5=... and p95"):
        parse_distribution("pu", "lognormal", quantity(0.6))


def test_exponential_has_the_value_as_its_median():
    d = parse_distribution("out", "exponential", quantity("300 token"), value_text="300 token")
    draws = d.sample(np.random.default_rng(7), 400_000)
    assert np.median(draws) == pytest.approx(300, rel=0.01)
    assert np.mean(draws) == pytest.approx(300 / math.log(2), rel=0.01)
    with pytest.raises(BadValue, match="above 0"):
        parse_distribution("out", "exponential", quantity("0 token"), value_text="0 token")


# ------------------------------------------------------------------ statistics


@pytest.mark.parametrize("text, read", [("", ""), ("P50", "p50"), ("p2.5", "p2.5"),
                                        ("mean", "mean")])
def test_statistic_names(text, read):
    assert read_statistic(text) == read


@pytest.mark.parametrize("text", ["median", "p101", "q50", "p"])
def test_a_bad_statistic_is_refused(text):
    with pytest.raises(BadValue, match="cannot read statistic"):
        read_statistic(text)


def test_a_statistic_row_is_located_and_left_to_the_monte_carlo(tmp_path):
    """`lca assess` does not compare a percentile with a single value (null, not a ratio);
    a statistic it cannot read is an error naming file, row and field."""
    study = tmp_path / "oviedo"
    shutil.copytree(REPO / "validation" / "microsoft-oviedo-2025", study)
    done = cli("assess", "--inventory", str(study), "--months", "0", "--format", "json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)["published"]["figures"]
    assert figures and all(f["computed"] is None and f["ratio"] is None for f in figures)
    table = cli("assess", "--inventory", str(study), "--months", "0", columns=160).stdout
    assert "0.310 Wh" in table and "by Monte Carlo: lca validation" in table
    path = study / "published_figures.csv"
    path.write_text(path.read_text().replace(",p25,", ",quartile,", 1))
    done = cli("assess", "--inventory", str(study), "--months", "0")
    assert done.returncode == 2
    assert "published_figures.csv, row 3, field 'statistic'" in done.stderr


# ------------------------------------------------------------------ token assumptions


def test_models_show_what_they_count_besides_output_tokens():
    """The parametric inventories' spec: 3e10 input and 1e10 output tokens a month (assumed),
    an input token weighing 0.35 of an output token (sourced): 1 + 3 x 0.35 = 2.05 output-token
    equivalents per output token, twice EcoLogits' output-only figure."""
    entries = lca.list_models()
    tokens = lca.tokens.token_assumptions(entries)
    ministral = tokens["ministral-8b"]
    (kind, per, origin, weight, weight_kind), = ministral.kinds
    assert (kind, origin, weight_kind) == ("input", "assumed", "sourced")
    assert per == pytest.approx(3e10 / 1e10) and weight == pytest.approx(0.35)
    assert ministral.equivalents == pytest.approx(1 + 3 * 0.35)
    assert tokens["large-2"].describe() == "output only"
    assert tokens["sdxl-base-1.0"] is None  # per image: no tokens
    done = cli("models", columns=250)
    assert done.returncode == 0
    assert "2.05" in done.stdout and "0.35 (sourced)" in done.stdout
    assert "Validation studies" in done.stdout and "meta-llama-3.1" in done.stdout
