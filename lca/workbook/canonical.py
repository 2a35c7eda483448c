"""The canonical text form of an inventory, written by the engine, and the card's comments.

Identity in "text -> workbook -> text" means byte identity of this form:

- ``<table>.csv``: UTF-8, ``\\n`` line ends, Python's ``csv`` minimal quoting; the schema's
  columns in schema order (a column is left out only when it is optional, is not ``comment``
  and is empty in every row), then the ``extra:<name>`` columns in the order they were met.
  Booleans are ``yes``/``no``.
- ``model.toml``: the card's fields in schema order, then its tables, then ``[published]``,
  as tomlkit writes them; a field equal to its default and without a comment is left out;
  strings are TOML basic strings; a blank line stands before each table header; a list goes
  on one line if it fits in 100 characters and has no comment on an item after the first,
  else one item a line, indented by two spaces, each with a trailing comma; full-line
  comments (``# ...``) stand above the key or list item they belong to (a table without keys
  holds its comment under its header), and the first key's comment (the file's header) is
  followed by a blank line.

A hand-written model.toml may have comments elsewhere (after a value, above a table header,
inside a list, at the end); :func:`toml_comments` attaches each to the nearest key, so no
comment is lost, only moved to its canonical place.
"""

from __future__ import annotations

import tomlkit
from pydantic import BaseModel
from tomlkit.container import Container
from tomlkit.items import AoT, Array, Comment, Item, Null, Table, Trivia, Whitespace

from lca.files import csv_text
from lca.schema import OPTIONAL_TABLES, TABLE_MODELS, ModelCard, PublishedFigures
from lca.text_inventory import Inventory
from lca.workbook.layout import number_text, shape

CommentKey = tuple[tuple[str, ...], int]  # (key path in model.toml, list item index)
ARRAY_WIDTH = 100


# ------------------------------------------------------------------------- CSV


def cell_text_of(value) -> str:
    """A field's value as the text form writes it (booleans yes/no, numbers exact)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def csv_columns(rows: list[BaseModel], model: type[BaseModel]) -> list[str]:
    columns = []
    for name, info in model.model_fields.items():
        if (info.is_required() or name == "comment"
                or any(cell_text_of(getattr(r, name, None)) for r in rows)):
            columns.append(name)
    for r in rows:
        for name in getattr(r, "_extra", {}) or {}:
            if name not in columns:
                columns.append(name)
    return columns


def write_csv(rows: list[BaseModel], model: type[BaseModel]) -> str:
    columns = csv_columns(rows, model)

    def cells(r):
        extra = getattr(r, "_extra", {}) or {}
        return [extra.get(c, "") if c.startswith("extra:") else cell_text_of(getattr(r, c))
                for c in columns]

    return csv_text(columns, (cells(r) for r in rows))


# ------------------------------------------------------------------------- model.toml


def _comment_lines(text: str, trail: str = "\n") -> list[Comment]:
    return [Comment(Trivia(comment=f"# {line}" if line else "#", trail=trail))
            for line in text.split("\n")] if text else []


def _item(value) -> Item:
    if isinstance(value, bool):
        return tomlkit.item(value)
    if isinstance(value, int | float):
        return tomlkit.value(number_text(value))  # the engine's number text, kept as written
    return tomlkit.string(str(value))


class _TomlWriter:
    def __init__(self, comments: dict[CommentKey, str]):
        self.comments = comments
        self.doc = tomlkit.document()

    def note(self, path, index=0) -> str:
        return self.comments.get((tuple(path), index), "")

    def key(self, container, path, value):
        first = container is self.doc and not self.doc.body
        for line in _comment_lines(self.note(path)):
            container.add(line)
        if first and self.note(path):
            container.add(tomlkit.nl())  # the file's header comment stands apart
        container.add(path[-1], self.array(path, value) if isinstance(value, list)
                      else _item(value))

    def array(self, path, values: list) -> Array:
        items = [_item(v) for v in values]
        line = tomlkit.array()
        line.extend(items)
        width = len(tomlkit.dumps({path[-1]: line}).rstrip("\n"))
        if width <= ARRAY_WIDTH and not any(self.note(path, i) for i in range(1, len(items))):
            return line
        parts: list[Item] = []
        for i, item in enumerate(items):
            for comment in _comment_lines(self.note(path, i) if i else "", trail=""):
                parts += [Whitespace("\n  "), comment]
            parts += [Whitespace("\n  "), item, Whitespace(",")]
        return Array([*parts, Whitespace("\n")], Trivia())

    def record(self, container, prefix: tuple[str, ...], record: BaseModel,
               model: type[BaseModel]):
        tables = []
        for name, info in model.model_fields.items():
            value = getattr(record, name)
            path = (*prefix, name)
            if self._omitted(info, value, path):
                continue
            if shape(info.annotation).kind == "dict":
                tables.append((path, self.table(path, value, shape(info.annotation).depth)))
            elif value is not None:
                self.key(container, path, value)
        for path, table in tables:
            container.add(path[-1], table)

    def table(self, path, value: dict, depth: int) -> Table:
        table = tomlkit.table()
        for line in _comment_lines(self.note(path) if not value else ""):
            table.add(line)  # a table without keys holds its own comment
        for k, v in value.items():
            if depth == 1:
                self.key(table, (*path, str(k)), v)
            else:
                table.add(str(k), self.table((*path, str(k)), v, depth - 1))
        return table

    def _omitted(self, info, value, path) -> bool:
        if info.is_required():
            return False
        if value != info.get_default(call_default_factory=True):
            return False
        return not any(key[0][: len(path)] == path for key in self.comments)


def write_model_toml(card: ModelCard, published: PublishedFigures | None,
                     comments: dict[CommentKey, str]) -> str:
    writer = _TomlWriter(comments)
    writer.record(writer.doc, (), card, ModelCard)
    if published is not None:
        table = tomlkit.table()
        writer.record(table, ("published",), published, PublishedFigures)
        writer.doc.add("published", table)
    return tomlkit.dumps(writer.doc)


# ------------------------------------------------------------------------- comments


def _comment_text(comment: str) -> str:
    text = comment[1:] if comment.startswith("#") else comment
    return (text[1:] if text.startswith(" ") else text).rstrip()


def _inline(item: Item) -> list[str]:
    return [_comment_text(item.trivia.comment)] if item.trivia.comment else []


def _walk(container: Container, prefix: tuple[str, ...]):
    """("comment" | "header" | "key", path, item) of a parsed TOML, in the order of the text."""
    for key, item in container.body:
        if isinstance(item, Comment):
            yield "comment", prefix, item
        if key is None:
            continue
        path = (*prefix, *(k.key for k in key))
        if isinstance(item, AoT):
            for table in item.body:
                yield "header", path, table
                yield from _walk(table.value, path)
        elif isinstance(item, Table):
            if not item.is_super_table():  # a super table has no header ([a.b] or a.b = 1)
                yield "header", path, item
            yield from _walk(item.value, path)
        else:
            yield "key", path, item


def toml_comments(source: str | bytes) -> dict[CommentKey, str]:
    """Every comment of a model.toml, attached to the key (or list item) it belongs to.

    A comment belongs to the key below it (comments above a table header go to the table's
    first key, one after a value to that value's key); a table without keys keeps the
    comments up to the next header; comments after the last key go to it."""
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    out: dict[CommentKey, list[str]] = {}
    pending: list[str] = []
    table: tuple[str, ...] = ()
    header: list[str] | None = None  # the comments of a table that has no key yet
    last: CommentKey | None = None

    def attach(key: CommentKey, lines: list[str]):
        if lines:
            out.setdefault(key, []).extend(lines)

    for kind, path, item in _walk(tomlkit.parse(source), ()):
        if kind == "comment":
            pending.append(_comment_text(item.trivia.comment))
        elif kind == "header":
            if header is not None:
                attach((table, 0), header + pending)
                pending = []
            table, header, pending = path, pending + _inline(item), []
        else:
            attach((path, 0), (header or []) + pending)
            header, pending, last = None, [], (path, 0)
            if isinstance(item, Array):
                last = _array_comments(item, path, attach)
            attach(last, _inline(item))
    if header is not None:
        attach((table, 0), header + pending)
    elif last is not None:
        attach(last, pending)
    return {key: "\n".join(lines).strip("\n") for key, lines in out.items()
            if "\n".join(lines).strip("\n")}


def _array_comments(array: Array, path, attach) -> CommentKey:
    """Attach the comments inside a list: to the item on their line, else the next item
    (the last one for comments before ``]``). Returns the key of the last item."""
    index, pending = -1, []
    for group in array._value:  # tomlkit keeps an array's items with their comments
        if group.value is not None and not isinstance(group.value, Null):
            index += 1
            attach((path, index), pending)
            pending = []
            if group.comment is not None:
                attach((path, index), [_comment_text(group.comment.trivia.comment)])
        elif group.comment is not None:
            pending.append(_comment_text(group.comment.trivia.comment))
    attach((path, max(index, 0)), pending)
    return path, max(index, 0)


# ------------------------------------------------------------------------- whole inventory


def canonical_files(inventory: Inventory, comments: dict[CommentKey, str]) -> dict[str, bytes]:
    """The text form of ``inventory``: file name -> bytes."""
    files = {"model.toml": write_model_toml(inventory.card, inventory.published,
                                            comments).encode("utf-8")}
    for table, model in TABLE_MODELS.items():
        rows = getattr(inventory, table)
        if rows or table not in OPTIONAL_TABLES:
            files[f"{table}.csv"] = write_csv(rows, model).encode("utf-8")
    return files


def comments_of(inventory: Inventory) -> dict[CommentKey, str]:
    """The comments of an inventory's model.toml (as read, or as written from a workbook)."""
    return toml_comments(inventory.files.get("model.toml", b""))
