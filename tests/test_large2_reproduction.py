"""Mistral Large 2: the engine against the figures Mistral published (July 2025).

Source of every published figure: Mistral AI, "Our contribution to a global environmental
standard for AI", 22 July 2025, as quoted with its infographic by S. Willison the same day
(see ../shared/reference/mistral-large-2-lca.md, validation targets M1-M5). The figures are
written out here, not read from the inventory, so the test is independent of it.
"""

import pytest

PUBLISHED_TOTAL = {"gwp": 20.4e6, "water": 281_000.0, "adp": 660.0}  # kg CO2e, m3, kg Sb eq
PUBLISHED_MARGINAL_400 = {"gwp": 1.14e-3, "water": 45e-6, "adp": 0.16e-6}  # per response
PUBLISHED_SHARES = {  # percent of the life-cycle total (M4)
    "training+inference": {"gwp": 85.5, "water": 91.0, "adp": 29.0},
    "hardware-manufacturing": {"gwp": 11.0, "water": 5.0, "adp": 61.0},
    "end-user-equipment": {"gwp": 3.0, "water": 2.0, "adp": 7.0},
    "data-center-construction": {"adp": 1.5},
}
BELOW_ONE_PERCENT = {  # published as "<1 %"
    "data-center-construction": ("gwp", "water"),
    "network": ("gwp", "water", "adp"),
    "model-conception": ("gwp", "water", "adp"),
}


@pytest.mark.parametrize("indicator", ["gwp", "water", "adp"])
def test_life_cycle_totals_within_10_percent(large2, indicator):
    """M1-M3: training plus 18 months of use, 20.4 kt CO2e, 281,000 m3, 660 kg Sb eq."""
    assert large2.total[indicator] == pytest.approx(PUBLISHED_TOTAL[indicator], rel=0.10)


@pytest.mark.parametrize("indicator", ["gwp", "water", "adp"])
def test_marginal_400_token_response_within_10_percent(large2, indicator):
    """M5: 1.14 g CO2e, 45 mL, 0.16 mg Sb eq per 400-token Le Chat response."""
    assert large2.tokens_per_response == 400
    computed = large2.per_response.loc["marginal", indicator]
    assert computed == pytest.approx(PUBLISHED_MARGINAL_400[indicator], rel=0.10)


@pytest.mark.parametrize(
    ("stage", "indicator"),
    [(s, i) for s, by in PUBLISHED_SHARES.items() for i in by],
)
def test_stage_shares_within_3_points(large2, stage, indicator):
    """M4: the infographic's stage shares, within 3 percentage points."""
    shares = large2.shares
    if stage == "training+inference":
        computed = shares.loc["training", indicator] + shares.loc["inference", indicator]
    else:
        computed = shares.loc[stage, indicator]
    assert abs(computed - PUBLISHED_SHARES[stage][indicator]) <= 3.0


@pytest.mark.parametrize(
    ("stage", "indicator"),
    [(s, i) for s, inds in BELOW_ONE_PERCENT.items() for i in inds],
)
def test_small_stages_stay_below_one_percent(large2, stage, indicator):
    assert large2.shares.loc[stage, indicator] < 1.0


def test_intensity_ratios_per_response(large2):
    """M6: per response, 39.5 mL of water and 0.14 mg Sb eq per g CO2e (derived from M5)."""
    marginal = large2.per_response.loc["marginal"]
    water_ml_per_g = marginal["water"] * 1e6 / (marginal["gwp"] * 1e3)
    adp_mg_per_g = marginal["adp"] * 1e6 / (marginal["gwp"] * 1e3)
    assert water_ml_per_g == pytest.approx(45 / 1.14, rel=0.10)
    assert adp_mg_per_g == pytest.approx(0.16 / 1.14, rel=0.10)


def test_output_shows_published_next_to_computed(large2):
    table = large2.comparison()
    totals = table[table.figure == "total"].set_index("indicator")
    assert totals.loc["gwp", "published"] == pytest.approx(20.4e6)
    assert totals.loc["adp", "computed"] == pytest.approx(large2.total["adp"])
    assert len(table) == 3 + 3 + 18  # totals, marginal, six stage rows x three indicators
