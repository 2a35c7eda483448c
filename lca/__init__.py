"""Life-cycle assessment of AI models on a Brightway graph.

    >>> import lca
    >>> result = lca.assess("large-2", months=18)
    >>> result.stages          # DataFrame: stages x (gwp, water, adp)
    >>> result.per_response    # DataFrame: marginal / allocated, per 400-token response

Heavy libraries (pandas, Pint, Brightway) load on first use, so ``import lca`` stays cheap.
"""

__version__ = "0.1.0"

__all__ = ["assess", "list_models", "load_inventory", "__version__"]


def assess(model="large-2", months=18, tokens_per_response=400, inventory=None):
    """Impacts of ``model`` over ``months`` of use: see :func:`lca.assessment.assess`."""
    from lca.assessment import assess as _assess

    return _assess(model, months, tokens_per_response, inventory)


def load_inventory(model=None, inventory=None):
    from lca.assessment import load_inventory as _load

    return _load(model, inventory)


def list_models():
    """The models shipped under inventories/ (name, aliases, description)."""
    from lca.catalog import model_entries

    return model_entries()
