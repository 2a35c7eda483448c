"""Every failure the engine reports to a user, as one tree (after bw2calc's ``errors.py``).

The CLI turns any :class:`LCAError` into a message on stderr and exit code 2, never a
traceback. Input problems are collected in one pass (after pandera's lazy validation) so a
user fixes every mistake in a file at once instead of one per run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a value was read: file, optional sheet, row as a spreadsheet numbers it, field."""

    file: str
    row: int | None = None
    field: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class LCAError(Exception):
    """Base class: anything the engine refuses to read or cannot compute."""


class BadValue(ValueError):
    """A value that cannot be used. Raised where the location is not known; the reader that
    knows the file, row and field catches it and records a :class:`Problem`."""


class InventoryError(LCAError):
    """One or more problems in inventory or method files, all found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class UnknownModel(LCAError):
    """The model name (or alias) matches no inventory."""


class BadArgument(LCAError):
    """An option given to ``assess`` (months, tokens, path) is out of range."""


class CalculationError(LCAError):
    """Brightway ran but the result cannot be trusted."""


class SingularSystem(CalculationError):
    """The technosphere matrix is singular (for example an activity that consumes all of its
    own output), so the graph has no unique solution."""


class NonFiniteResult(CalculationError):
    """A score came out NaN or infinite."""


class StoreError(LCAError):
    """The project store under ``LCA_HOME`` cannot be created or read."""


class OutputExists(LCAError):
    """An output already exists and overwriting was not asked for (``--force``)."""


class Problems:
    """Collects problems while reading, then raises them all together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._cells: set[Location] = set()

    def add(self, location: Location, message: str) -> None:
        """Record a problem; a later one in a cell that already has one is a consequence of
        the first (a row kept for further checks despite a bad cell) and is not repeated."""
        if location.row is not None and location.field and location in self._cells:
            return
        self._cells.add(location)
        self.items.append(Problem(location, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InventoryError(self.items)
