"""Markdown (GitHub flavour): the report text with pipe tables; the two figures are written as
SVG files next to it and linked, since Markdown has no inline vector graphics."""

from __future__ import annotations

from lca.report.outline import Block, build_outline, summary_line
from lca.report.svg import render_svg


def _escape(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _block(block: Block, stem: str, files: dict) -> str:
    if block.kind == "p":
        return block.text
    if block.kind == "list":
        return "\n".join(f"- {item}" for item in block.items)
    if block.kind == "table":
        lines = ["| " + " | ".join(_escape(h) for h in block.headers) + " |",
                 "|" + "|".join("---" for _ in block.headers) + "|"]
        lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in block.rows]
        return "\n".join(lines)
    if block.kind == "figure":
        name = f"{stem}-{block.ident}.svg"
        files[name] = (render_svg(block.figure, block.ident) + "\n").encode("utf-8")
        return f"![{block.figure.title}]({name})"
    if block.kind == "headline":
        return "\n".join(f"- **{c['value']}**: {c['label']}" for c in block.items)
    raise ValueError(f"unknown block kind {block.kind}")


def render_markdown(doc: dict, stem: str = "report") -> dict[str, bytes]:
    """``{stem}.md`` and its figures, as file name -> bytes."""
    files: dict[str, bytes] = {}
    ident = doc["identification"]
    parts = [f"# {doc['title']}", summary_line(doc),
             f"Report date {ident['date']}; {ident['engine']} {ident['engine_version']}; "
             f"inventory `{ident['inventory_hash'][:16]}`; critical review: "
             f"{doc['critical_review']['status']}."]
    for section in build_outline(doc):
        parts.append(f"## {section.title}")
        parts += [_block(b, stem, files) for b in section.blocks]
    text = "\n\n".join(parts) + "\n"
    return {f"{stem}.md": text.encode("utf-8"), **files}
