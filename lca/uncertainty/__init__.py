"""Uncertainty, sensitivity and scenarios over a model's parameters.

One module per concern:

- :mod:`~lca.uncertainty.distributions`: distributions written on parameters, pedigree
  defaults (ecoinvent, Weidema et al. 2013) and the load-time checks ``resolve_model`` runs;
- :mod:`~lca.uncertainty.vectorised`: parameter formulas and exchange amounts evaluated on
  numpy arrays (one value per iteration), with the unit factors Pint found once;
- :mod:`~lca.uncertainty.system`: the Brightway matrices of a built project, sampled and
  solved for all iterations at once;
- :mod:`~lca.uncertainty.montecarlo`: chunked, seeded Monte Carlo and its summary;
- :mod:`~lca.uncertainty.sensitivity`: Sobol indices (Saltelli / Jansen estimators);
- :mod:`~lca.uncertainty.scenarios`: a grid of settings (``lca compare``);
- :mod:`~lca.uncertainty.dask_backend`: the same chunks on dask.distributed;
- :mod:`~lca.uncertainty.brightway_reference`: bw2calc fed our samples or its own
  distributions, the reference the fast path is proved against.

Parameters are sampled, not exchanges: a parameter that feeds several exchanges moves them
together, which is the correlation an exchange-level sampler loses.
"""

from __future__ import annotations

__all__ = ["monte_carlo", "parameter_distributions"]


def monte_carlo(*args, **kwargs):
    """See :func:`lca.uncertainty.montecarlo.monte_carlo`."""
    from lca.uncertainty.montecarlo import monte_carlo as _run

    return _run(*args, **kwargs)


def parameter_distributions(*args, **kwargs):
    """See :func:`lca.uncertainty.distributions.parameter_distributions`."""
    from lca.uncertainty.distributions import parameter_distributions as _get

    return _get(*args, **kwargs)
