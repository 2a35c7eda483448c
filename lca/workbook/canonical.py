"""The canonical text form of an inventory, written by the engine, and the card's comments.

Identity in "text -> workbook -> text" means byte identity of this form:

- ``<table>.csv``: UTF-8, ``\\n`` line ends, Python's ``csv`` minimal quoting; the schema's
  columns in schema order (a column is left out only when it is optional, is not ``comment``
  and is empty in every row), then the ``extra:<name>`` columns in the order they were met.
  Booleans are ``yes``/``no``.
- ``model.toml``: the card's fields in schema order, then its tables, then ``[published]``;
  a field equal to its default and without a comment is left out; strings are TOML basic
  strings; a list goes on one line if it fits in 100 characters and has no comment on an
  item after the first; full-line comments (``# ...``) stand above the key or list item they
  belong to, and the first key's comment (the file's header) is followed by a blank line.

A hand-written model.toml may have comments elsewhere (after a value, above a table header,
at the end); :func:`toml_comments` attaches each to the nearest key, so no comment is lost,
only moved to its canonical place.
"""

from __future__ import annotations

import re
import tomllib

from pydantic import BaseModel

from lca.files import csv_text
from lca.schema import TABLE_MODELS, ModelCard, PublishedFigures
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


def _basic_string(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else _basic_string(part)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    return _basic_string(str(value))


class _TomlWriter:
    def __init__(self, comments: dict[CommentKey, str]):
        self.comments = comments
        self.lines: list[str] = []

    def comment(self, path, index=0, indent=""):
        text = self.comments.get((tuple(path), index), "")
        if not text:
            return
        first = not self.lines
        for line in text.split("\n"):
            self.lines.append(f"{indent}# {line}" if line else f"{indent}#")
        if first:
            self.lines.append("")  # the file's header comment stands apart

    def key(self, path, value):
        self.comment(path)
        name = _key(path[-1])
        if isinstance(value, list):
            items = [_value(v) for v in value]
            single = f"{name} = [{', '.join(items)}]"
            item_comments = any(self.comments.get((tuple(path), i)) for i in range(1, len(items)))
            if not item_comments and len(single) <= ARRAY_WIDTH:
                self.lines.append(single)
                return
            self.lines.append(f"{name} = [")
            for i, item in enumerate(items):
                if i:
                    self.comment(path, i, "  ")
                self.lines.append(f"  {item},")
            self.lines.append("]")
        else:
            self.lines.append(f"{name} = {_value(value)}")

    def header(self, path, comment_here=False):
        if comment_here:
            if self.lines:
                self.lines.append("")
            self.comment(path)
            self.lines.append("[" + ".".join(_key(p) for p in path) + "]")
            return
        if self.lines:
            self.lines.append("")
        self.lines.append("[" + ".".join(_key(p) for p in path) + "]")

    def table(self, prefix: tuple[str, ...], record: BaseModel, model: type[BaseModel]):
        if prefix:
            self.header(prefix)
        dicts = []
        for name, info in model.model_fields.items():
            value = getattr(record, name)
            path = (*prefix, name)
            if self._omitted(info, value, path):
                continue
            if shape(info.annotation).kind == "dict":
                dicts.append((path, value, shape(info.annotation).depth))
            elif value is not None:
                self.key(path, value)
        for path, value, depth in dicts:
            self.dict(path, value, depth)

    def dict(self, path, value: dict, depth: int):
        if not value:
            self.header(path, comment_here=True)
            return
        if depth == 1:
            self.header(path)
            for k, v in value.items():
                self.key((*path, str(k)), v)
            return
        for k, v in value.items():
            self.dict((*path, str(k)), v, depth - 1)

    def _omitted(self, info, value, path) -> bool:
        if info.is_required():
            return False
        if value != info.get_default(call_default_factory=True):
            return False
        return not any(key[0][: len(path)] == path for key in self.comments)


def write_model_toml(card: ModelCard, published: PublishedFigures | None,
                     comments: dict[CommentKey, str]) -> str:
    writer = _TomlWriter(comments)
    writer.table((), card, ModelCard)
    if published is not None:
        writer.table(("published",), published, PublishedFigures)
    return "\n".join(writer.lines) + "\n"


# ------------------------------------------------------------------------- comments


def _comment_text(raw: str) -> str:
    text = raw[1:] if raw.startswith("#") else raw
    return (text[1:] if text.startswith(" ") else text).rstrip()


def _path_of(key_text: str) -> tuple[str, ...]:
    """The parts of a dotted TOML key ('a."b.c".d' -> ('a', 'b.c', 'd'))."""
    data = tomllib.loads(f"{key_text.strip()} = 0")
    parts = []
    while isinstance(data, dict):
        (k, data), = data.items()
        parts.append(k)
    return tuple(parts)


def _skip_string(src: str, i: int) -> int:
    """Index just after the string starting at ``src[i]``."""
    for quote in ('"""', "'''"):
        if src.startswith(quote, i):
            j = i + 3
            while True:
                j = src.find(quote, j)
                if j < 0:
                    return len(src)
                if quote == '"""' and _escaped(src, j):
                    j += 1
                    continue
                j += 3
                while j < len(src) and src[j] == quote[0]:
                    j += 1
                return j
    quote = src[i]
    j = i + 1
    while j < len(src) and src[j] != "\n":
        if quote == '"' and src[j] == "\\":
            j += 2
            continue
        if src[j] == quote:
            return j + 1
        j += 1
    return j


def _escaped(src: str, j: int) -> bool:
    backslashes = 0
    while j - 1 - backslashes >= 0 and src[j - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def toml_comments(source: str | bytes) -> dict[CommentKey, str]:
    """Every comment of a model.toml, attached to the key (or list item) it belongs to."""
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    src = source.replace("\r\n", "\n")
    out: dict[CommentKey, list[str]] = {}
    pending: list[str] = []
    table: tuple[str, ...] = ()
    header_pending: list[str] | None = None
    last: CommentKey | None = None

    def attach(key: CommentKey, lines: list[str]):
        if lines:
            out.setdefault(key, []).extend(lines)

    i, n = 0, len(src)
    while i < n:
        end = src.find("\n", i)
        end = n if end < 0 else end
        stripped = src[i:end].strip()
        if not stripped:
            i = end + 1
            continue
        if stripped.startswith("#"):
            pending.append(_comment_text(stripped))
            i = end + 1
            continue
        start = i + (len(src[i:end]) - len(src[i:end].lstrip()))
        if stripped.startswith("["):
            j = start
            while j < end and src[j] != "]":
                j = _skip_string(src, j) if src[j] in "\"'" else j + 1
            inner = src[start:j].lstrip("[").strip()
            if header_pending:
                attach((table, 0), header_pending)
            table = _path_of(inner)
            rest = src[j:end]
            header_pending = pending
            pending = []
            if "#" in rest:
                header_pending.append(_comment_text(rest[rest.index("#"):]))
            i = end + 1
            continue
        j = start
        while j < end and src[j] != "=":
            j = _skip_string(src, j) if src[j] in "\"'" else j + 1
        path = (*table, *_path_of(src[start:j]))
        attach((path, 0), (header_pending or []) + pending)
        header_pending, pending = None, []
        last = (path, 0)
        i, last = _scan_value(src, j + 1, path, out, last)
    if header_pending:
        attach((table, 0), header_pending)
    if pending and last is not None:
        attach(last, pending)
    return {key: "\n".join(lines).strip("\n") for key, lines in out.items()
            if "\n".join(lines).strip("\n")}


def _scan_value(src: str, i: int, path, out, last):
    """Walk one value (arrays may span lines); attach comments inside and after it."""
    depth = braces = 0
    item = -1
    expecting = False
    item_pending: list[str] = []
    n = len(src)
    while i < n:
        ch = src[i]
        if depth == 1 and braces == 0 and expecting and ch not in " \t\r\n,#]":
            item += 1
            expecting = False
            last = (path, item)
            if item_pending:
                out.setdefault((path, item), []).extend(item_pending)
                item_pending = []
        if ch in "\"'":
            i = _skip_string(src, i)
            continue
        if ch == "#":
            end = src.find("\n", i)
            end = n if end < 0 else end
            text = _comment_text(src[i:end])
            if depth >= 1:
                if expecting or item < 0:
                    item_pending.append(text)
                else:
                    out.setdefault((path, item), []).append(text)
            else:
                out.setdefault(last, []).append(text)
            i = end
            continue
        if ch == "[":
            depth += 1
            if depth == 1:
                expecting = True
        elif ch == "]":
            depth -= 1
            if depth == 0 and item_pending:
                out.setdefault((path, max(item, 0)), []).extend(item_pending)
                item_pending = []
        elif ch == "{":
            braces += 1
        elif ch == "}":
            braces -= 1
        elif ch == "," and depth == 1 and braces == 0:
            expecting = True
        elif ch == "\n" and depth == 0:
            return i + 1, last
        i += 1
    return n, last


# ------------------------------------------------------------------------- whole inventory


def canonical_files(inventory: Inventory, comments: dict[CommentKey, str]) -> dict[str, bytes]:
    """The text form of ``inventory``: file name -> bytes."""
    files = {"model.toml": write_model_toml(inventory.card, inventory.published,
                                            comments).encode("utf-8")}
    for table, model in TABLE_MODELS.items():
        files[f"{table}.csv"] = write_csv(getattr(inventory, table), model).encode("utf-8")
    return files


def comments_of(inventory: Inventory) -> dict[CommentKey, str]:
    """The comments of an inventory's model.toml (as read, or as written from a workbook)."""
    return toml_comments(inventory.files.get("model.toml", b""))
