"""Round trip without loss: text -> workbook -> text is byte-identical, for generated
inventories (units, formulas, sources, comments, TOML comments and extra columns included).

The strategies are derived from the pydantic models of lca.schema, so a column added there
(uncertainty, say) is generated and round-tripped without a change here.
"""

from __future__ import annotations

import re
import string
import typing
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lca.inventories import import_workbook
from lca.schema import TABLE_MODELS, ModelCard, PublishedFigures
from lca.text_inventory import Inventory, read_inventory
from lca.workbook import export_workbook
from lca.workbook.canonical import canonical_files, comments_of, toml_comments, write_model_toml
from lca.workbook.layout import _unwrap, shape
from lca.workbook.read import _NUMBER_WITH_UNIT

# Text a person writes in an inventory: any printable character, newlines and tabs inside,
# formula-looking and number-looking text; no control character (a workbook cannot hold one,
# and the export refuses it with a located error, tested in test_workbook.py).
_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"),
                       blacklist_characters="\ufffe\uffff\u2028\u2029\x85")
_FREE = st.one_of(
    st.text(_CHARS | st.sampled_from("\n\t"), max_size=40),
    st.sampled_from(["700 W", "3.15e7 GPU*h", "0.9", "1.0", "64", "=SUM(A1:A3)", "1e-05",
                     "a * b / (c + 1)", "85.5 %", "TRUE", "2024-07-24", "0.1", "-0", "007",
                     "1234567890123456789", "0.30000000000000004", " 'quoted' ", '"q"',
                     "a,b", "x\ny"]),
).map(str.strip).filter(lambda t: not re.search(r"_x[0-9A-Fa-f]{4}_|x005F_", t))


def _metadata(info):
    out = {}
    for m in getattr(info, "metadata", []):
        for attr in ("pattern", "min_length", "max_length"):
            if getattr(m, attr, None) is not None:
                out[attr] = getattr(m, attr)
    return out


def _for_leaf(annotation, meta) -> st.SearchStrategy:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        merged = dict(meta)
        for m in extra:
            merged.update(_metadata(m))
        return _for_leaf(inner, merged)
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(min_value=-(10**18), max_value=10**18)
    if annotation is float:
        return st.floats(allow_nan=False, allow_infinity=False, width=64)
    if annotation is str:
        if "pattern" in meta:
            strategy = st.from_regex(meta["pattern"], fullmatch=True).filter(
                lambda t: "\n" not in t)
        else:
            strategy = _FREE
        if meta.get("min_length"):
            strategy = strategy.filter(lambda t: len(t) >= meta["min_length"])
        if meta.get("max_length"):
            strategy = strategy.filter(lambda t: len(t) <= meta["max_length"])
        return strategy
    raise AssertionError(f"no strategy for {annotation!r}: extend this test")


def _for_field(info) -> st.SearchStrategy:
    meta = _metadata(info)
    kind = shape(info.annotation)
    annotation = _unwrap(info.annotation)
    if kind.kind == "list":
        item = _for_leaf(typing.get_args(annotation)[0], {}).filter(bool)
        return st.lists(item, max_size=3)
    if kind.kind == "dict":
        key, value = typing.get_args(annotation)
        keys = _for_leaf(key, {}) if typing.get_origin(_unwrap(key)) is typing.Literal else \
            st.text(string.ascii_lowercase + "+-_ ", min_size=1, max_size=12).map(str.strip).filter(
                lambda k: bool(k) and "." not in k)
        if shape(value).kind == "dict":
            inner = st.dictionaries(_for_leaf(typing.get_args(_unwrap(value))[0], {}),
                                    _for_leaf(typing.get_args(_unwrap(value))[1], {}),
                                    max_size=3)
            return st.dictionaries(keys, inner, max_size=3)
        return st.dictionaries(keys, _for_leaf(value, {}), max_size=3)
    strategy = _for_leaf(info.annotation, meta)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if isinstance(default, str) and default:
        strategy = strategy.filter(bool)  # an empty cell means the default ("GLO")
    if not info.is_required():
        strategy = st.one_of(st.just(info.get_default(call_default_factory=True)), strategy)
    return strategy


def record(model) -> st.SearchStrategy:
    fields = {n: _for_field(i) for n, i in model.model_fields.items()}
    if "amount" in fields:
        # "700 kWh" in an amount cell is read on purpose as 700 in the unit column (tested in
        # test_workbook.py); the text form holds a number or a formula there.
        fields["amount"] = fields["amount"].filter(lambda t: not _NUMBER_WITH_UNIT.match(t))
    return st.fixed_dictionaries(fields).map(lambda data: model(**data))


def with_extras(model, names):
    def build(data):
        row, values = data
        row._extra = dict(zip(names, values, strict=True))
        return row

    return st.tuples(record(model), st.lists(_FREE, min_size=len(names),
                                             max_size=len(names))).map(build)


@st.composite
def inventories(draw):
    tables = {}
    for table, model in TABLE_MODELS.items():
        extras = draw(st.lists(st.sampled_from(["extra:note", "extra:checked by", "extra:x"]),
                               unique=True, max_size=2))
        tables[table] = draw(st.lists(with_extras(model, extras), max_size=4))
    card = draw(record(ModelCard))
    published = draw(st.none() | record(PublishedFigures))
    inventory = Inventory(directory=Path("generated"), card=card, published=published,
                          **tables)
    # Comments on any field of model.toml (a draft of the canonical text gives the keys).
    draft = toml_comments(write_model_toml(card, published, {}))
    keys = sorted({k for k in draft} | _comment_keys(card, published))
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=4)) if keys else []
    comments = {k: draw(st.text(_CHARS, min_size=1, max_size=30).map(str.strip).filter(bool)
                        | st.just("two lines\n\nwith a gap")) for k in chosen}
    inventory.files = canonical_files(inventory, comments)
    return inventory


def _comment_keys(card, published):
    keys = set()
    for prefix, rec in (((), card), (("published",), published)):
        if rec is None:
            continue
        for name, info in type(rec).model_fields.items():
            value = getattr(rec, name)
            kind = shape(info.annotation)
            if kind.kind == "list":
                keys |= {((*prefix, name), i) for i in range(max(1, len(value)))}
            elif kind.kind == "dict" and value and kind.depth == 1:
                keys |= {((*prefix, name, str(k)), 0) for k in value}
            elif kind.kind != "dict" or not value:
                keys.add(((*prefix, name), 0))
    return keys


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(inventory=inventories())
def test_text_to_workbook_to_text_is_identical(inventory, tmp_path_factory):
    folder = tmp_path_factory.mktemp("rt")
    text = folder / "text"
    text.mkdir()
    for name, data in inventory.files.items():
        (text / name).write_bytes(data)
    # The canonical text reads back as written (the text form is stable on its own).
    read = read_inventory(text)
    assert canonical_files(read, comments_of(read)) == inventory.files
    # text -> workbook -> text: the same bytes.
    export_workbook(read, folder / "inventory.xlsx")
    import_workbook(folder / "inventory.xlsx", folder / "back", check=False)
    for name, data in inventory.files.items():
        assert (folder / "back" / name).read_bytes() == data, name


HAND_WRITTEN = '''# Header line one
#
# Header line three

name = "hand"   # the code
display_name = "Hand"
aliases = [ # names people type
  "h1", # first alias
  # about the second
  "h2",
  # trailing in the list
] # after the list
developer = "D"
release = "2024"
architecture = "A"
parameter_count = "1"
active_parameter_count = "1"
description = """multi
# not a comment
line"""
sources = ['lit # not a comment', "b \\" # nor this"]
# nobody yet
reviewers = []

# above excluded
[excluded] # on the header
downstream = "d"

# above published
[published]
source = "s"
months = 18.0
tokens_per_response = 400
[published.total]
gwp = "1"
[published.per_response_marginal]
gwp = "2" # inline
[published.stage_shares.a]
# stage a is empty
[published.stage_shares."b c"]
gwp = "3"
# the end
'''


def test_hand_written_model_toml_keeps_every_comment(tmp_path):
    import shutil
    import tomllib

    from conftest import LARGE2

    for name in TABLE_MODELS:
        if (LARGE2 / f"{name}.csv").exists():
            shutil.copy(LARGE2 / f"{name}.csv", tmp_path / f"{name}.csv")
    (tmp_path / "model.toml").write_text(HAND_WRITTEN, encoding="utf-8")
    inventory = read_inventory(tmp_path)
    comments = comments_of(inventory)
    assert comments[(("name",), 0)] == "Header line one\n\nHeader line three\nthe code"
    assert comments[(("aliases",), 0)] == "names people type\nfirst alias"
    assert comments[(("aliases",), 1)] == "about the second\ntrailing in the list\nafter the list"
    assert comments[(("excluded", "downstream"), 0)] == "above excluded\non the header"
    assert comments[(("published", "stage_shares", "a"), 0)] == "stage a is empty"
    assert comments[(("published", "stage_shares", "b c", "gwp"), 0)] == "the end"
    text = canonical_files(inventory, comments)["model.toml"].decode()
    assert tomllib.loads(text) == tomllib.loads(HAND_WRITTEN)
    lines = [line.strip() for line in text.splitlines()]
    for line in HAND_WRITTEN.splitlines():  # every comment, on a line of its own
        if "#" in line and "not a comment" not in line and "nor this" not in line:
            assert line[line.index("#"):].strip() in lines, line
    assert text.startswith("# Header line one\n#\n# Header line three\n# the code\n\nname = ")
    assert 'aliases = [\n  "h1",\n  # about the second\n' in text
    assert "\n[published.stage_shares.a]\n# stage a is empty\n\n" in text
    # The canonical text is a fixed point.
    assert toml_comments(text) == comments
    assert write_model_toml(inventory.card, inventory.published, comments) == text
