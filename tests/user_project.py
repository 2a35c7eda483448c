"""A small Brightway 2.5 project of the tests' own, named as ecoinvent names things (a few
activities, elementary flows and methods; illustrative numbers, no licensed data), and the
hand calculations of its life cycle inventories."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

PROJECT = "ecoinvent-3.10"
ECOINVENT = "ecoinvent-3.10-cutoff"
BIOSPHERE = "biosphere3"
COMPANY = "company-hardware"
GWP = ("EF v3.1", "climate change", "global warming potential (GWP100)")
WATER = ("ReCiPe 2016 v1.03, midpoint (H)", "water use", "water consumption potential (WCP)")
ADP = ("EF v3.1", "material resources: metals/minerals",
       "abiotic depletion potential (ADP): elements (ultimate reserves)")
AWARE = ("EF v3.1", "water use", "user deprivation potential (deprivation-weighted water "
         "consumption)")

# Elementary flows: code -> (name, categories, unit, type)
FLOWS = {
    "co2": ("Carbon dioxide, fossil", ("air", "non-urban air or from high stacks"), "kilogram",
            "emission"),
    "ch4": ("Methane, fossil", ("air",), "kilogram", "emission"),
    "water-in": ("Water, river", ("natural resource", "in water"), "cubic meter",
                 "natural resource"),
    "water-out": ("Water", ("water", "surface water"), "cubic meter", "emission"),
    "copper": ("Copper", ("natural resource", "in ground"), "kilogram", "natural resource"),
    "antimony": ("Antimony", ("natural resource", "in ground"), "kilogram", "natural resource"),
}
# Characterisation factors (illustrative; CH4 fossil GWP100 as in IPCC AR6 / EF 3.1)
CF = {
    GWP: {"co2": 1.0, "ch4": 29.8},
    WATER: {"water-in": 1.0, "water-out": -1.0},
    ADP: {"copper": 1.37e-3, "antimony": 1.0},
    AWARE: {"water-in": 42.0},
}
UNITS = {GWP: "kg CO2-Eq", WATER: "m3", ADP: "kg Sb-Eq", AWARE: "m3 world eq. deprived"}

# Technosphere: the US market for electricity (medium voltage) takes 0.8 kWh of gas and
# 0.25 kWh of coal per kWh (5 % losses); each plant emits and uses per kWh:
NUCLEAR_SHARE, COAL_SHARE = 0.8, 0.25
GAS = {"co2": 0.40, "ch4": 0.002, "water-in": 0.0012, "water-out": 0.0009, "copper": 2e-6}
COAL = {"co2": 1.05, "ch4": 0.004, "water-in": 0.0030, "water-out": 0.0010,
        "antimony": 1e-9}
# A GPU from a company database (per unit): its own emissions, plus 1,000 kWh of the market.
GPU = {"co2": 120.0, "copper": 0.5, "antimony": 2e-3, "water-in": 1.5}
GPU_KWH = 1000.0


def electricity_lci() -> dict:
    """Life cycle inventory of 1 kWh of the market, by hand."""
    return {f: NUCLEAR_SHARE * GAS.get(f, 0.0) + COAL_SHARE * COAL.get(f, 0.0) for f in FLOWS}


def gpu_lci() -> dict:
    kwh = electricity_lci()
    return {f: GPU.get(f, 0.0) + GPU_KWH * kwh[f] for f in FLOWS}


def score(lci: dict, method) -> float:
    return sum(CF[method].get(f, 0.0) * amount for f, amount in lci.items())


def write_project(directory: Path) -> Path:
    """Write the project into ``directory`` (a BRIGHTWAY2_DIR of its own) with bw2data."""
    from lca.engine.build import quiet_import_bw2data

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "logs").mkdir(exist_ok=True)
    bd = quiet_import_bw2data(directory)
    with contextlib.redirect_stdout(None):
        bd.projects.change_base_directories(directory, base_logs_dir=directory / "logs",
                                            project_name=PROJECT, update=False)
        bd.Database(BIOSPHERE).write({
            (BIOSPHERE, code): {"name": n, "categories": c, "unit": u, "type": t}
            for code, (n, c, u, t) in FLOWS.items()})

        def process(db, code, name, location, unit, inputs, emissions):
            exchanges = [{"input": (db, code), "amount": 1.0, "type": "production"}]
            exchanges += [{"input": key, "amount": a, "type": "technosphere"}
                          for key, a in inputs]
            exchanges += [{"input": (BIOSPHERE, f), "amount": a, "type": "biosphere"}
                          for f, a in emissions.items()]
            return (db, code), {"name": name, "location": location, "unit": unit,
                                "reference product": name.split(",")[0], "type": "process",
                                "exchanges": exchanges}

        bd.Database(ECOINVENT).write(dict([
            process(ECOINVENT, "gas-us", "electricity production, natural gas, combined cycle "
                    "power plant", "US", "kilowatt hour", [], GAS),
            process(ECOINVENT, "coal-us", "electricity production, hard coal", "US",
                    "kilowatt hour", [], COAL),
            process(ECOINVENT, "market-us", "market for electricity, medium voltage", "US",
                    "kilowatt hour", [((ECOINVENT, "gas-us"), NUCLEAR_SHARE),
                                      ((ECOINVENT, "coal-us"), COAL_SHARE)], {}),
            # same name elsewhere: a name-only match is ambiguous
            process(ECOINVENT, "market-fr", "market for electricity, medium voltage", "FR",
                    "kilowatt hour", [((ECOINVENT, "gas-us"), 1.0)], {}),
        ]))
        bd.Database(COMPANY).write(dict([
            process(COMPANY, "h100", "GPU, H100 SXM 80GB, production", "TW", "unit",
                    [((ECOINVENT, "market-us"), GPU_KWH)], GPU),
        ]))
        for method, factors in CF.items():
            m = bd.Method(method)
            m.register(unit=UNITS[method])
            m.write([((BIOSPHERE, f), cf) for f, cf in factors.items()])
    return directory


LINK_FILE = f'''# Our background codes -> activities of the project {PROJECT}
database = "{ECOINVENT}"

[methods]
gwp = {list(GWP)!r}
water = {list(WATER)!r}
adp = {list(ADP)!r}

[[link]]
code = "electricity-us"
name = "market for electricity, medium voltage"
location = "US"
unit = "kilowatt hour"

[[link]]
code = "gpu-h100-manufacturing"
database = "{COMPANY}"
activity = "h100"
'''.replace("'", '"')


def snapshot(directory: Path) -> dict:
    """Every file of a folder: size, modification time and SHA-256 (to prove it unchanged)."""
    out = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            info = path.stat()
            out[str(path.relative_to(directory))] = (info.st_size, info.st_mtime_ns,
                                                     hashlib.sha256(path.read_bytes()).hexdigest())
    return out
