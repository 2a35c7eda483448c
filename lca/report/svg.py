"""Figures as inline SVG text: no script, no external reference, stable output."""

from __future__ import annotations

from html import escape
from pathlib import Path

from lca.files import write_atomic
from lca.report.charts import Figure, Line, Rect, Text


def _n(value: float) -> str:
    """Coordinates with at most two decimals, written the same way on every machine."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _colour(value: str) -> tuple[str, str]:
    """'#rrggbbaa' -> ('#rrggbb', opacity); SVG 1.1 viewers read 6-digit colours best."""
    if len(value) == 9:
        return value[:7], _n(int(value[7:], 16) / 255)
    return value, "1"


def render_svg(fig: Figure, element_id: str | None = None) -> str:
    ident = f' id="{escape(element_id)}"' if element_id else ""
    marker_id = f"{element_id or 'figure'}-arrow"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg"{ident} viewBox="0 0 {_n(fig.width)} '
        f'{_n(fig.height)}" width="{_n(fig.width)}" height="{_n(fig.height)}" role="img" '
        f'aria-label="{escape(fig.title)}" font-family="Helvetica, Arial, sans-serif">',
        f"<title>{escape(fig.title)}</title>",
        f'<defs><marker id="{marker_id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#666666"/></marker></defs>',
    ]
    for item in fig.items:
        if isinstance(item, Rect):
            fill, opacity = _colour(item.fill)
            stroke = f' stroke="{item.stroke}"' if item.stroke else ""
            dash = ' stroke-dasharray="4 3"' if item.dashed else ""
            alpha = f' fill-opacity="{opacity}"' if opacity != "1" else ""
            out.append(f'<rect x="{_n(item.x)}" y="{_n(item.y)}" width="{_n(item.w)}" '
                       f'height="{_n(item.h)}" fill="{fill}"{alpha}{stroke}{dash}/>')
        elif isinstance(item, Text):
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(f'<text x="{_n(item.x)}" y="{_n(item.y)}" font-size="{_n(item.size)}" '
                       f'text-anchor="{item.anchor}" fill="{item.fill}"{weight}>'
                       f"{escape(item.text)}</text>")
        elif isinstance(item, Line):
            marker = f' marker-end="url(#{marker_id})"' if item.arrow else ""
            out.append(f'<line x1="{_n(item.x1)}" y1="{_n(item.y1)}" x2="{_n(item.x2)}" '
                       f'y2="{_n(item.y2)}" stroke="{item.stroke}" '
                       f'stroke-width="{_n(item.width)}"{marker}/>')
    out.append("</svg>")
    return "\n".join(out)


def write_svg(path, fig: Figure) -> Path:
    """Write a figure as an SVG file (atomically); returns the path."""
    return write_atomic(Path(path), render_svg(fig) + "\n")
