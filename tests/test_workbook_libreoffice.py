"""A real spreadsheet program's save reads back: LibreOffice Calc (headless) opens the exported
workbook and saves it as xlsx; importing that gives the same text, to the byte.

.ci/run installs LibreOffice (Debian's libreoffice-calc-nogui) when soffice is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import LARGE2
from test_workbook import inference_gwp

import lca
from lca.inventories import import_workbook, validate
from lca.text_inventory import read_inventory
from lca.workbook import export_workbook
from lca.workbook.canonical import canonical_files, comments_of


def save_in_calc(source: Path, folder: Path) -> Path:
    """Open ``source`` in LibreOffice Calc and save it as xlsx in ``folder``."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: .ci/run installs it (need soffice ...)"
    folder.mkdir(parents=True, exist_ok=True)
    profile = (folder / "profile").as_uri()
    run = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--calc",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(folder), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    saved = folder / source.name
    assert run.returncode == 0 and saved.is_file(), run.stdout + run.stderr
    return saved


def test_a_libreoffice_save_imports_with_no_loss(tmp_path):
    inventory = read_inventory(LARGE2)
    book = tmp_path / "large-2.xlsx"
    export_workbook(inventory, book)
    saved = save_in_calc(book, tmp_path / "calc")
    assert saved.read_bytes() != book.read_bytes()  # really rewritten by Calc
    report = validate(saved)
    assert report.problems == [] and report.warnings == []
    import_workbook(saved, tmp_path / "out")
    for name, data in canonical_files(inventory, comments_of(inventory)).items():
        assert (tmp_path / "out" / name).read_bytes() == data, name
    # The drop-down lists survive Calc's save.
    wb = openpyxl.load_workbook(saved)
    assert wb["parameters"].data_validations.dataValidation


def test_a_formula_without_saved_value_is_computed_by_calc(tmp_path):
    """The error message's advice works: open and save in Calc, and the value is there."""
    book = tmp_path / "large-2.xlsx"
    export_workbook(read_inventory(LARGE2), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["parameters"]
    row = next(r[0].row for r in ws.iter_rows(min_row=2) if r[0].value == "inference_pue")
    ws.cell(row, 2).value = "=1.2*1.25"
    wb.save(book)
    assert len(validate(book).problems) == 1
    saved = save_in_calc(book, tmp_path / "calc")
    report = validate(saved)
    assert report.problems == []
    assert any("=1.2*1.25; its saved value 1.5 is used" in w for w in report.warnings)
    result = lca.assess(None, 18, 400, saved)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(inference_gwp(1.5), rel=1e-6)
