"""The Excel workbook: export, read back, compute from it, and what people put in cells.

Hand calculations use the figures of the large-2 inventory's own sources (EcoLogits 0.11.3
grid factors and latency fit, the NVIDIA DGX H100 datasheet, the calibrated parameters).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import LARGE2

import lca
from lca.errors import InventoryError
from lca.inventories import import_workbook, validate
from lca.text_inventory import read_inventory
from lca.workbook import export_workbook
from lca.workbook.canonical import canonical_files, comments_of

# Inference of large-2 by hand: output tokens x GPU time per token (EcoLogits 0.11.3 latency
# fit, divided by the batch and the utilisation) x slot power (DGX H100 maximum / 8 GPUs) x
# power load x PUE x grid factor. Inputs are read from the inventory's parameters.csv (so a
# recalibration does not break the test); the grid factors are EcoLogits 0.11.3 FRA and SWE
# and ADEME's French factor, mixed by the parameter fr_grid_ademe_weight.
FR_GRID, FR_ADEME_GRID, SE_GRID = 0.04144, 0.0813, 0.03526  # kg CO2e/kWh


def parameter(name: str) -> float:
    """The number of a literal parameter of the shipped large-2 text inventory."""
    import csv

    with (LARGE2 / "parameters.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["name"] == name:
                return float(row["value"].split()[0])
    raise AssertionError(name)


def exchange_rows() -> int:
    """Rows of the shipped large-2 exchanges.csv (the workbook's sheet has one more, the
    header; rows appended by a test come after)."""
    with (LARGE2 / "exchanges.csv").open(encoding="utf-8") as fh:
        return sum(1 for _ in fh) - 1


def inference_gwp(pue: float | None = None, grid: float | None = None,
                  months: float = 18) -> float:
    pue = parameter("inference_pue") if pue is None else pue
    if grid is None:  # France, between the two published factors
        weight = parameter("fr_grid_ademe_weight")
        grid = (1 - weight) * FR_GRID + weight * FR_ADEME_GRID
    latency = (parameter("ecologits_latency_per_billion") * parameter("active_parameters_billions")
               + parameter("ecologits_latency_per_batch") * parameter("batch_size")
               + parameter("ecologits_latency_constant"))  # s per output token
    gpu_seconds = (parameter("gpus_per_replica") * latency / parameter("batch_size")
                   / parameter("inference_utilisation"))
    slot_kw = parameter("server_max_power") / parameter("gpus_per_server")
    tokens = parameter("output_tokens_per_month") * months
    kwh = tokens * gpu_seconds / 3600 * slot_kw * parameter("inference_power_load") * pue
    return kwh * grid


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "large-2.xlsx"
    export_workbook(read_inventory(LARGE2), path)
    return path


@pytest.fixture()
def copy(workbook, tmp_path) -> Path:
    target = tmp_path / "edited.xlsx"
    shutil.copy(workbook, target)
    return target


def row_of(ws, first_column_value) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[0].value == first_column_value:
            return row[0].row
    raise AssertionError(first_column_value)


def column_of(ws, name) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def edit(path: Path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def set_parameter(path: Path, name: str, value) -> None:
    def change(wb):
        ws = wb["parameters"]
        ws.cell(row_of(ws, name), column_of(ws, "value")).value = value

    edit(path, change)


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in validate(path).problems]


# ------------------------------------------------------------------------- layout


def test_workbook_has_a_sheet_per_table_readme_and_dropdowns(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:7] == ["README", "model", "published", "parameters", "activities",
                                 "exchanges", "stages"]
    assert wb["lists"].sheet_state == "hidden"
    params = wb["parameters"]
    header = [c.value for c in params[1]]
    # Derived from the schema: every Parameter field, in order (uncertainty columns included).
    from lca.schema import Parameter

    assert header == list(Parameter.model_fields)
    assert params.freeze_panes == "A2" and all(c.font.bold for c in params[1])
    assert params.column_dimensions["D"].width > 20  # the source column is readable
    kinds = [dv for dv in params.data_validations.dataValidation
             if "C2:C1048576" in str(dv.sqref)]
    assert kinds and kinds[0].showErrorMessage
    lists = wb["lists"]
    ref = kinds[0].formula1.split("!")[1].replace("$", "")
    values = [c.value for row in lists[ref] for c in row]
    assert values == ["sourced", "measured", "modeled", "calibrated", "assumed"]
    stages = wb["stages"]
    assert {str(dv.sqref).split(":")[0] for dv in stages.data_validations.dataValidation} >= {
        "A2", "E2", "F2"}  # stage, serves, marginal
    readme = [c.value for row in wb["README"].iter_rows() for c in row if c.value]
    for column in Parameter.model_fields:
        assert any(r == column for r in readme), column
    # Numbers are numbers, values with units are text in text-formatted cells.
    assert params.cell(row_of(params, "training_pue"), 2).value == parameter("training_pue")
    cell = params.cell(row_of(params, "laptop_power"), 2)
    assert cell.value == "75 W" and cell.number_format == "@"


def test_text_to_workbook_to_text_is_identical_for_large2(workbook, tmp_path):
    inventory = read_inventory(LARGE2)
    import_workbook(workbook, tmp_path / "out")
    expected = canonical_files(inventory, comments_of(inventory))
    for name, data in expected.items():
        assert (tmp_path / "out" / name).read_bytes() == data, name
    # The shipped files say the same thing: every value, source and comment.
    back = read_inventory(tmp_path / "out")
    for table in ("parameters", "activities", "exchanges", "stages"):
        assert [r.model_dump() for r in getattr(back, table)] == \
               [r.model_dump() for r in getattr(inventory, table)]
    assert back.card.model_dump() == inventory.card.model_dump()
    assert back.published.model_dump() == inventory.published.model_dump()
    assert comments_of(back) == comments_of(inventory)
    assert "Output tokens served over the assessed period" in comments_of(back)[
        (("served_output_tokens",), 0)]


def test_assess_from_workbook_matches_the_text_inventory(workbook, large2):
    result = lca.assess(None, 18, 400, workbook)
    for stage in result.stages.index:
        for ind in ("gwp", "water", "adp"):
            assert result.stages.loc[stage, ind] == pytest.approx(
                large2.stages.loc[stage, ind], rel=1e-9)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(
        inference_gwp(), rel=1e-6)


# ------------------------------------------------------------------------- edits by hand


def test_changing_inference_pue_moves_inference_gwp_by_the_hand_calculation(copy, large2):
    set_parameter(copy, "inference_pue", 1.5)
    result = lca.assess(None, 18, 400, copy)
    expected = inference_gwp(1.5)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(expected, rel=1e-6)
    delta = result.total["gwp"] - large2.total["gwp"]
    assert delta == pytest.approx(expected - inference_gwp(), rel=1e-5)
    assert result.stages.loc["training", "gwp"] == pytest.approx(
        large2.stages.loc["training", "gwp"], rel=1e-12)


def test_changing_the_inference_grid_moves_inference_gwp_by_the_grid_ratio(copy):
    def to_sweden(wb):
        ws = wb["exchanges"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "large2-inference-token" and row[1].value in (
                    "electricity-fr", "electricity-fr-ademe"):
                row[1].value = "electricity-se"

    edit(copy, to_sweden)
    result = lca.assess(None, 18, 400, copy)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(
        inference_gwp(grid=SE_GRID), rel=1e-6)


def test_usage_months_scale_inference(workbook):
    six = lca.assess(None, 6, 400, workbook).stages.loc["inference", "gwp"]
    assert six == pytest.approx(inference_gwp(months=6), rel=1e-6)


# ------------------------------------------------------------------------- what is in cells


def test_number_stored_as_text_and_trailing_spaces_read_as_numbers(copy):
    set_parameter(copy, "inference_pue", " 1.5  ")  # text, with spaces
    result = lca.assess(None, 18, 400, copy)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(
        inference_gwp(1.5), rel=1e-6)


def test_number_with_its_unit_in_one_cell(copy):
    def change(wb):
        ws = wb["parameters"]
        ws.cell(row_of(ws, "server_max_power"), 2).value = "10200 W/server"
        ex = wb["exchanges"]
        # the amount of the conception laptops' electricity, unit in the cell as well
        ex.append(["large2-conception", "electricity-fr", "120 kWh", "kWh", "test row"])
        ex.append(["large2-conception", "electricity-fr", "5 Wh", "kWh", "test row"])

    edit(copy, change)
    report = validate(copy)
    assert [str(p) for p in report.problems] == [
        f"{copy}, sheet 'exchanges', cell C{exchange_rows() + 3}, column 'amount': the amount "
        "'5 Wh' carries the "
        "unit 'Wh' but column 'unit' says 'kWh'; expected a number in 'amount' and its unit "
        "in 'unit'"]
    assert any("amount '120 kWh' holds its unit" in w for w in report.warnings)


def test_excel_formula_uses_the_cached_value_and_never_a_silent_zero(copy, tmp_path):
    set_parameter(copy, "inference_pue", "=1.2*1.25")
    row = row_of(openpyxl.load_workbook(copy)["parameters"], "inference_pue")
    # openpyxl saves no computed value: a clear error, not 0
    messages = problems_of(copy)
    assert len(messages) == 1 and f"cell B{row}, column 'value'" in messages[0]
    assert "holds the Excel formula =1.2*1.25 but the file keeps no value" in messages[0]
    # The value Excel would have saved with it: used, with a warning.
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(copy) as src, zipfile.ZipFile(cached, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet4.xml":
                data, n = re.subn(rb"<f>1\.2\*1\.25</f><v\s*/>|<f>1\.2\*1\.25</f><v></v>",
                                  b"<f>1.2*1.25</f><v>1.5</v>", data)
                assert n == 1
            dst.writestr(item, data)
    report = validate(cached)
    assert report.problems == []
    assert any("=1.2*1.25; its saved value 1.5 is used" in w for w in report.warnings)
    result = lca.assess(None, 18, 400, cached)
    assert result.stages.loc["inference", "gwp"] == pytest.approx(
        inference_gwp(1.5), rel=1e-6)


def test_excel_error_values_are_reported(copy):
    def change(wb):
        ws = wb["parameters"]
        cell = ws.cell(row_of(ws, "inference_pue"), 2)
        cell.value = "#DIV/0!"
        cell.data_type = "e"

    edit(copy, change)
    assert any("holds the Excel error #DIV/0!" in m for m in problems_of(copy))


def test_blank_rows_and_spaces_change_nothing(copy, tmp_path):
    def change(wb):
        ws = wb["parameters"]
        ws.insert_rows(5, 3)  # three blank rows in the middle
        ws.cell(row_of(ws, "batch_size"), 1).value = "batch_size   "
        ws.cell(1, 2).value = " value "
        ws.append([None] * 4)

    edit(copy, change)
    import_workbook(copy, tmp_path / "out")
    inventory = read_inventory(LARGE2)
    assert (tmp_path / "out" / "parameters.csv").read_bytes() == \
        canonical_files(inventory, comments_of(inventory))["parameters.csv"]


def test_extra_columns_are_kept_and_reported(copy, tmp_path):
    def change(wb):
        ws = wb["parameters"]
        col = ws.max_column + 1
        ws.cell(1, col).value = "reviewer note"
        ws.cell(row_of(ws, "inference_pue"), col).value = "check with the operator"

    edit(copy, change)
    report, _ = import_workbook(copy, tmp_path / "out")
    assert any("column 'reviewer note' is not an inventory column: kept as "
               "'extra:reviewer note'" in w for w in report.warnings)
    text = (tmp_path / "out" / "parameters.csv").read_text()
    assert text.splitlines()[0].endswith(",extra:reviewer note")
    pue_line = next(line for line in text.splitlines() if line.startswith("inference_pue,"))
    assert pue_line.endswith(",check with the operator")
    # The text form with an extra column is read (the column unread), and exported again.
    back = read_inventory(tmp_path / "out")
    pue = next(p for p in back.parameters if p.name == "inference_pue")
    assert pue._extra == {"extra:reviewer note": "check with the operator"}
    again = tmp_path / "again.xlsx"
    export_workbook(back, again)
    import_workbook(again, tmp_path / "again")
    assert (tmp_path / "again" / "parameters.csv").read_text() == text
    # A CSV column that is neither in the schema nor extra:... is still an error.
    (tmp_path / "out" / "stages.csv").write_text(
        (tmp_path / "out" / "stages.csv").read_text().replace("comment\n", "comment,note\n", 1))
    with pytest.raises(InventoryError, match="'note': unknown column"):
        read_inventory(tmp_path / "out")


def test_merged_cells_down_a_column_fill_each_row(copy, tmp_path):
    def change(wb):
        ws = wb["parameters"]
        first = row_of(ws, "laptop_lifetime")
        for r in (first + 1, first + 2):
            ws.cell(r, 4).value = None
        ws.cell(first, 4).value = "BoaviztAPI user_terminal.csv"
        ws.merge_cells(start_row=first, start_column=4, end_row=first + 2, end_column=4)

    edit(copy, change)
    report, _ = import_workbook(copy, tmp_path / "out")
    assert any("are merged: their value is used for each of rows" in w for w in report.warnings)
    back = {p.name: p for p in read_inventory(tmp_path / "out").parameters}
    for name in ("laptop_lifetime", "laptop_use_ratio", "laptop_power"):
        assert back[name].source == "BoaviztAPI user_terminal.csv"


def test_merged_cells_across_columns_are_refused(copy):
    def change(wb):
        ws = wb["parameters"]
        r = row_of(ws, "laptop_power")
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=5)

    edit(copy, change)
    r = row_of(openpyxl.load_workbook(copy)["parameters"], "laptop_power")
    assert any(f"cell D{r}: cells D{r}:E{r} are merged across columns" in m
               for m in problems_of(copy))


def test_missing_sheet_and_missing_column(copy):
    def change(wb):
        del wb["activities"]
        ws = wb["stages"]
        header = [c.value for c in ws[1]]
        ws.delete_cols(header.index("serves") + 1)

    edit(copy, change)
    messages = problems_of(copy)
    assert any("sheet 'activities': sheet is missing" in m for m in messages)
    assert any("sheet 'stages', row 1, column 'serves': required column is missing" in m
               for m in messages)


def test_dates_and_percents_typed_in_excel(copy, tmp_path):
    import datetime

    def change(wb):
        ws = wb["model"]
        ws.cell(row_of(ws, "release"), 2).value = datetime.datetime(2024, 7, 24)
        pub = wb["published_figures"]
        column = column_of(pub, "value")
        row = next(r[0].row for r in pub.iter_rows(min_row=2)
                   if r[0].value == "training+inference" and r[2].value == "gwp")
        cell = pub.cell(row, column)
        cell.value = 0.855
        cell.number_format = "0.0%"

    edit(copy, change)
    import_workbook(copy, tmp_path / "out")
    back = read_inventory(tmp_path / "out")
    assert back.card.release == "2024-07-24"
    figure = next(f for f in back.published_figures
                  if f.scope == "training+inference" and f.indicator == "gwp")
    assert figure.value == "85.5 %"


def test_validate_lists_five_different_mistakes_in_one_pass(copy):
    def change(wb):
        ws = wb["parameters"]
        ws.cell(row_of(ws, "training_pue"), 3).value = "asumed"
        ws.cell(row_of(ws, "inference_wue"), 2).value = "0.09 L/kWhh"
        ws.cell(row_of(ws, "batch_size"), 4).value = None
        ws.cell(row_of(ws, "laptop_power"), 2).value = "=A1*2"
        wb["stages"].cell(3, 1).value = "trainng"

    edit(copy, change)
    report = validate(copy)
    found = [str(p) for p in report.problems]
    assert len(found) == 5, found
    ws = openpyxl.load_workbook(copy)["parameters"]
    expected = sorted([
        (row_of(ws, "training_pue"), "cell C{}, column 'kind'", "found 'asumed'"),
        (row_of(ws, "batch_size"), "cell D{}, column 'source'",
         "empty cell; a value is required"),
        (row_of(ws, "inference_wue"), "cell B{}, column 'value'", "'0.09 L/kWhh'"),
        (row_of(ws, "laptop_power"), "cell B{}, column 'value'", "the Excel formula =A1*2"),
    ])
    expected = [(where.format(r), what) for r, where, what in expected]
    expected.append(("sheet 'stages', cell A3, column 'stage'", "found 'trainng'"))
    for (where, what), message in zip(expected, found, strict=True):
        assert where in message and what in message, message
    assert any("'sourced', 'measured', 'modeled', 'calibrated' or 'assumed'" in m
               for m in found)


# ------------------------------------------------------------------------- the file itself


def test_not_a_workbook(tmp_path):
    fake = tmp_path / "inventory.xlsx"
    fake.write_text("name,value\npue,1.2\n")
    assert problems_of(fake) == [f"{fake}: not an xlsx workbook (it looks like text: CSV files "
                                 "go in an inventory folder)"]
    zipped = tmp_path / "other.xlsx"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "a zip file, not an xlsx workbook" in problems_of(zipped)[0]


def test_password_protected_workbook(workbook, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    locked = tmp_path / "locked.xlsx"
    with open(workbook, "rb") as src, open(locked, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert problems_of(locked) == [f"{locked}: the workbook is password-protected (encrypted); "
                                   "save a copy without a password and read that"]


def test_very_large_files_are_refused(workbook, monkeypatch, tmp_path):
    from lca.workbook import read

    monkeypatch.setattr(read, "MAX_FILE_BYTES", 10_000)
    assert "workbooks above 0 MB are refused" in problems_of(workbook)[0]
    monkeypatch.undo()
    bomb = tmp_path / "zipbomb.xlsx"
    shutil.copy(workbook, bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (450 * 2**20))  # 450 MB of zeros, ~450 kB
    assert bomb.stat().st_size < 2 * 2**20
    assert "unpacks to 450 MB" in problems_of(bomb)[0]


def test_xml_bomb_is_refused_quickly(workbook, tmp_path):
    import time

    laughs = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)]
    doctype = ("<!DOCTYPE sst [" + "".join(laughs) + "]>").encode()
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet4.xml":  # the parameters sheet
                data = data.replace(b"?>", b"?>" + doctype.replace(b"sst", b"worksheet"), 1)
                data = data.replace(b"<t>", b"<t>&lol9;", 1)
                assert b"&lol9;" in data
            dst.writestr(item, data)
    start = time.perf_counter()
    messages = problems_of(bomb)
    assert time.perf_counter() - start < 5
    assert len(messages) == 1 and "refused: the workbook's XML declares entities" in messages[0]


def test_defusedxml_is_required(workbook, monkeypatch):
    import tomllib

    import openpyxl as op

    deps = tomllib.loads((LARGE2.parent.parent / "pyproject.toml").read_text())["project"][
        "dependencies"]
    assert any(d.startswith("defusedxml") for d in deps)
    assert op.DEFUSEDXML is True
    monkeypatch.setattr(op, "DEFUSEDXML", False)
    assert "refusing to read workbooks without defusedxml" in problems_of(workbook)[0]


def test_values_a_workbook_cannot_hold_are_refused_on_export(tmp_path):
    from lca.schema import Parameter

    inventory = read_inventory(LARGE2)
    inventory.parameters[0] = Parameter(name="x", value="1", kind="assumed",
                                        source="bell\x07 here")
    with pytest.raises(InventoryError, match="control character U\\+0007"):
        export_workbook(inventory, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    from lca.schema import Parameter

    inventory = read_inventory(LARGE2)
    inventory.parameters.append(Parameter(name="note_like", value="2", kind="assumed",
                                          source="=SUM(A1:A3) is how the source wrote it"))
    inventory.files = canonical_files(inventory, comments_of(read_inventory(LARGE2)))
    export_workbook(inventory, tmp_path / "x.xlsx")
    import_workbook(tmp_path / "x.xlsx", tmp_path / "out", check=False)
    assert (tmp_path / "out" / "parameters.csv").read_bytes() == inventory.files["parameters.csv"]
