"""Charts as plain SVG files (no plotting library to install) and as terminal bars."""

from __future__ import annotations

from html import escape
from pathlib import Path

BAR = "█"


def text_bars(labels: list[str], values: list[float], width: int = 40) -> list[str]:
    """One line per label: a bar proportional to the value (the largest fills ``width``)."""
    top = max((abs(v) for v in values), default=0.0) or 1.0
    pad = max((len(s) for s in labels), default=0)
    return [f"{label:<{pad}} {BAR * max(0, round(width * abs(v) / top))} {v:.3g}"
            for label, v in zip(labels, values, strict=True)]


def bar_chart_svg(path: Path, title: str, labels: list[str], values: list[float], unit: str,
                  errors: list[tuple[float, float]] | None = None) -> Path:
    """Horizontal bars, one per label; optional (low, high) whiskers."""
    return _write(path, title, unit, [(s, 0.0, v, e) for s, v, e in
                                      zip(labels, values, errors or [None] * len(labels),
                                          strict=True)])


def tornado_svg(path: Path, title: str, labels: list[str], lows: list[float],
                highs: list[float], center: float, unit: str) -> Path:
    """Bars from each parameter's low to high output around the static result."""
    return _write(path, title, unit, [(s, lo, hi, None) for s, lo, hi in
                                      zip(labels, lows, highs, strict=True)], center)


def _write(path, title, unit, rows, center=None) -> Path:
    width, left, right, row_h, top = 900, 280, 40, 26, 50
    height = top + row_h * len(rows) + 40
    points = [x for _, a, b, e in rows for x in (a, b, *(e or ()))] + ([center] if center else [])
    lo, hi = min(points + [0.0]), max(points + [0.0])
    span = (hi - lo) or 1.0

    def x(v):
        return left + (width - left - right) * (v - lo) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="10" y="22" font-size="15">{escape(title)}</text>',
        f'<text x="{left}" y="40" fill="#555">{escape(unit)}</text>',
    ]
    for i, (label, a, b, err) in enumerate(rows):
        y = top + i * row_h
        x0, x1 = sorted((x(a), x(b)))
        parts.append(f'<text x="{left - 6}" y="{y + 16}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.5):.1f}" '
                     f'height="{row_h - 8}" fill="#4a78b5"/>')
        if err:
            parts.append(f'<line x1="{x(err[0]):.1f}" x2="{x(err[1]):.1f}" y1="{y + 13}" '
                         f'y2="{y + 13}" stroke="#222"/>')
        parts.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 16}" fill="#333">'
                     f'{_fmt(b)}</text>')
    if center is not None:
        parts.append(f'<line x1="{x(center):.1f}" x2="{x(center):.1f}" y1="{top}" '
                     f'y2="{height - 30}" stroke="#c33"/>')
    parts.append(f'<text x="{left}" y="{height - 10}" fill="#555">{_fmt(lo)}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 10}" text-anchor="end" fill="#555">'
                 f'{_fmt(hi)}</text>')
    parts.append("</svg>")
    path = Path(path)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _fmt(v: float) -> str:
    return f"{v:.3g}"
