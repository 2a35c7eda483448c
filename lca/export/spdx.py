"""``lca export --format spdx``: the model as an SPDX 3.0.1 AI package (JSON-LD) whose
``energyConsumption`` comes from the assessment's ``energy`` indicator (electricity at the
meter, facility overhead included, in kWh):

- ``trainingEnergyConsumption``: the training stage (the runs, development runs included
  when the inventory counts them there);
- ``inferenceEnergyConsumption``: the inference stage over the period assessed (the
  package's comment says the period, the responses served and the energy per response);
- ``finetuningEnergyConsumption``: left out, since no inventory assesses fine-tuning apart.

A stage the inventory does not assess for energy (n.a.) is left out, never written as 0.
The document is written with spdx-python-model, the SPDX project's bindings generated from
the 3.0.1 model (SHACL), which check every type and cardinality when the document is
encoded and when it is read back.
"""

from __future__ import annotations

import io
import math
import uuid
from datetime import UTC, date, datetime

from spdx_python_model import v3_0_1 as spdx

from lca import __version__
from lca.display import fmt_response, fmt_total

NAMESPACE = uuid.UUID("0f4d6a61-3b9c-4e0e-9a8f-6d2c1b7e5a43")
SPEC_VERSION = "3.0.1"


def energy_consumption(result) -> dict[str, float]:
    """{"training" | "inference": kWh} of the stages assessed for energy."""
    out = {}
    for stage in ("training", "inference"):
        value = float(result.stages.loc[stage, "energy"])
        if not math.isnan(value):
            out[stage] = value
    return out


def _iri(result, what: str) -> str:
    key = f"{result.model}/{result.provenance.get('inventory_hash', '')}/{result.months}/{what}"
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


def _time(text: str | None, default: datetime) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(str(text)), datetime.min.time(), UTC)
    except (TypeError, ValueError):
        return default


def spdx_document(result, created: datetime | None = None) -> bytes:
    """The SPDX 3.0.1 JSON-LD document of an assessment result."""
    created = created or datetime.now(UTC).replace(microsecond=0)
    card = result.prepared.inventory.card
    agent = spdx.SoftwareAgent(_id=_iri(result, "agent"), name=f"lca-ai {__version__}")
    info = spdx.CreationInfo(specVersion=SPEC_VERSION, created=created, createdBy=[agent],
                             comment="Energy from a life-cycle assessment by lca-ai")
    agent.creationInfo = info
    supplier = spdx.Organization(_id=_iri(result, "supplier"), name=card.developer,
                                 creationInfo=info)
    energy = energy_consumption(result)

    def described(kwh: float):
        return [spdx.ai_EnergyConsumptionDescription(
            ai_energyQuantity=kwh, ai_energyUnit=spdx.ai_EnergyUnitType.kilowattHour)]

    consumption = spdx.ai_EnergyConsumption()
    if "training" in energy:
        consumption.ai_trainingEnergyConsumption = described(energy["training"])
    if "inference" in energy:
        consumption.ai_inferenceEnergyConsumption = described(energy["inference"])
    package = spdx.ai_AIPackage(
        _id=_iri(result, "package"), name=result.display_name, creationInfo=info,
        suppliedBy=supplier, releaseTime=_time(card.release, created),
        software_primaryPurpose=spdx.software_SoftwarePurpose.model,
        description=card.description, ai_energyConsumption=consumption,
        comment=_comment(result, energy))
    document = spdx.SpdxDocument(_id=_iri(result, "document"),
                                 name=f"{result.display_name}: energy consumption",
                                 creationInfo=info, rootElement=[package],
                                 element=[package, supplier, agent])
    objects = spdx.SHACLObjectSet()
    for element in (document, package, supplier, agent):
        objects.add(element)
    buffer = io.BytesIO()
    spdx.JSONLDSerializer().write(objects, buffer, indent=2)
    return buffer.getvalue() + b"\n"


def _comment(result, energy: dict) -> str:
    unit = (f"{result.tokens_per_response}-token response" if result.functional_unit ==
            "response" else result.functional_unit)
    parts = [f"Electricity at the meter (facility overhead such as PUE included), from the "
             f"lca-ai assessment of {result.model} over training and {result.months:g} months "
             f"of use ({result.responses:,.0f} {unit}s served)."]
    if "training" in energy:
        parts.append(f"Training: {fmt_total('energy', energy['training'])}, counted once.")
    if "inference" in energy:
        per_unit = result.per_response.loc["marginal", "energy"]
        parts.append(f"Inference: {fmt_total('energy', energy['inference'])} over the "
                     f"{result.months:g} months, {fmt_response('energy', per_unit)} per {unit} "
                     "(marginal, with the hardware and data-center share of serving).")
    parts.append("Fine-tuning: not assessed apart. Inventory SHA-256 "
                 f"{result.provenance.get('inventory_hash', '')}.")
    return " ".join(parts)


def read_back(data: bytes) -> list:
    """Every object of a document, decoded (and so checked) by the SPDX 3.0.1 bindings."""
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(data), objects)
    return list(objects.foreach())
