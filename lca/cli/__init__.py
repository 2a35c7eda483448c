"""The ``lca`` command: a thin Typer layer over the Python API in :mod:`lca`.

Only the result goes to stdout; errors go to stderr with exit code 2 (bad input) or 3 (an
internal error), never a traceback unless ``--debug`` is given. Commands reach the library
through the lazy façade ``lca`` (PEP 562), so ``lca --help`` imports neither pandas, Pint nor
Brightway.
"""
