"""Bad input: every problem found in one pass, each located by file, row and field; the CLI
exits with code 2 and a message, never a traceback."""

import csv
from pathlib import Path

import pytest
from conftest import cli

import lca
from lca.errors import InventoryError, SingularSystem, UnknownModel

REPO = Path(__file__).resolve().parent.parent


def edit_rows(path: Path, where: dict, changes: dict) -> int:
    """Change the cells of the rows matching ``where``; returns the spreadsheet row number."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    number = None
    for i, row in enumerate(rows):
        if all(row[k] == v for k, v in where.items()):
            row.update(changes)
            number = i + 2
    assert number, f"no row {where} in {path}"
    write(path, rows)
    return number


def append_row(path: Path, row: dict) -> int:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows.append({k: row.get(k, "") for k in rows[0]})
    write(path, rows)
    return len(rows) + 1


def write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def run_cli(*args):
    return cli(*args, cwd=REPO)


@pytest.fixture()
def broken(large2_copy):
    """Four different mistakes in one inventory, with the rows they sit on."""
    ex = large2_copy / "exchanges.csv"
    rows = {
        "unknown_flow": edit_rows(
            ex,
            {"activity": "large2-inference-token", "input": "electricity-fr"},
            {"input": "electricity-fx"},
        ),
        "wrong_unit": edit_rows(
            ex, {"activity": "large2-training-run", "input": "water-consumed"}, {"unit": "kg"}
        ),
        "negative": edit_rows(
            ex,
            {"activity": "large2-network-token", "input": "electricity-fr"},
            {"amount": "-1 * bytes_per_output_token * network_intensity"},
        ),
        "missing_source": edit_rows(
            large2_copy / "parameters.csv", {"name": "laptop_power"}, {"source": ""}
        ),
    }
    return large2_copy, rows


def test_every_problem_is_reported_in_one_pass(broken):
    path, rows = broken
    with pytest.raises(InventoryError) as info:
        lca.assess(inventory=path, months=18)
    problems = {
        (Path(p.location.file).name, p.location.row, p.location.field): p.message
        for p in info.value.problems
    }
    assert len(info.value.problems) == 4
    assert (
        "unknown input 'electricity-fx'"
        in problems[("exchanges.csv", rows["unknown_flow"], "input")]
    )
    wrong = problems[("exchanges.csv", rows["wrong_unit"], "unit")]
    assert "unit 'kg' does not fit" in wrong and "in m3" in wrong
    assert "negative amount" in problems[("exchanges.csv", rows["negative"], "amount")]
    assert "at least 1 character" in problems[("parameters.csv", rows["missing_source"], "source")]


def test_cli_exits_2_with_located_messages_and_no_traceback(broken):
    path, rows = broken
    done = run_cli("assess", "--inventory", str(path), "--months", "18")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "error: 4 problems in the input" in done.stderr
    assert f"exchanges.csv, row {rows['unknown_flow']}, field 'input'" in done.stderr


def test_parameter_with_wrong_dimension_names_both_dimensions(large2_copy):
    # A power written as an energy: the exchanges that use it get the wrong dimension.
    edit_rows(
        large2_copy / "parameters.csv", {"name": "server_max_power"}, {"value": "10.2 kWh/server"}
    )
    with pytest.raises(InventoryError) as info:
        lca.assess(inventory=large2_copy)
    first = info.value.problems[0]
    assert first.location.field == "amount"
    assert "expected kWh" in first.message
    assert "[time] ** 2" in first.message and "[time] ** 1" not in first.message


def test_missing_column_and_missing_file(large2_copy):
    path = large2_copy / "stages.csv"
    text = path.read_text().replace("serves,", "", 1)
    path.write_text(text)
    (large2_copy / "activities.csv").unlink()
    with pytest.raises(InventoryError) as info:
        lca.assess(inventory=large2_copy)
    messages = [str(p) for p in info.value.problems]
    assert any(
        "stages.csv, row 1, field 'serves': required column is missing" in m for m in messages
    )
    assert any("activities.csv: file is missing" in m for m in messages)


def test_formulas_cannot_run_code_and_cycles_are_named(large2_copy):
    params = large2_copy / "parameters.csv"
    injected = edit_rows(params, {"name": "laptop_share"}, {"value": "__import__('os').getcwd()"})
    edit_rows(params, {"name": "batch_size"}, {"value": "ideal_latency_per_output_token * 2"})
    with pytest.raises(InventoryError) as info:
        lca.assess(inventory=large2_copy)
    text = str(info.value)
    assert f"parameters.csv, row {injected}, field 'value'" in text
    assert "cycle" in text and "batch_size" in text


def test_singular_graph_is_an_error(large2_copy):
    # The network activity consuming one token of its own output per token it makes.
    append_row(
        large2_copy / "exchanges.csv",
        {
            "activity": "large2-network-token",
            "input": "large2-network-token",
            "amount": "1",
            "unit": "token",
            "source": "deliberate loop for the test",
        },
    )
    with pytest.raises(SingularSystem):
        lca.assess(inventory=large2_copy)
    done = run_cli("assess", "--inventory", str(large2_copy))
    assert done.returncode == 2 and "singular" in done.stderr and "Traceback" not in done.stderr


def test_unknown_model_and_bad_options():
    with pytest.raises(UnknownModel, match="did you mean 'large-2'"):
        lca.assess("large-7")
    with pytest.raises(UnknownModel, match="did you mean 'large-2'"):
        lca.assess("mistral-large-2047")  # a typo of an alias
    with pytest.raises(UnknownModel, match="known models: .*large-2"):
        lca.assess("gpt-4o")
    for args in (["--model", "large-7"], ["--months", "-3"], ["--tokens", "0"]):
        done = run_cli("assess", *args)
        assert done.returncode == 2, args
        assert "error:" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("assess", "--months", "many")  # Typer's own usage error
    assert done.returncode == 2 and "Traceback" not in done.stderr
