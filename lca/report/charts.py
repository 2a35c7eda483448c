"""The report's two figures (system boundary, impacts by stage) as a few drawing primitives,
so that the same figure is drawn as inline SVG (HTML, Markdown) and as vector graphics in the
PDF. Coordinates are in points, origin top left, y downwards (as in SVG).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.pdfbase.pdfmetrics import stringWidth

from lca.display import fmt_percent
from lca.schema import INDICATOR_NAMES, INDICATORS, STAGES

STAGE_COLOURS = {
    "model-conception": "#8c6bb1",
    "data-center-construction": "#969696",
    "hardware-manufacturing": "#e6550d",
    "training": "#3182bd",
    "inference": "#31a354",
    "network": "#fdae6b",
    "end-user-equipment": "#d6616b",
}
INK = "#222222"
MUTED = "#666666"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = 10
    anchor: str = "start"  # start | middle | end
    bold: bool = False
    fill: str = INK


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = MUTED
    width: float = 1.2
    arrow: bool = False


@dataclass
class Figure:
    width: float
    height: float
    title: str
    items: list = field(default_factory=list)


def _box(fig: Figure, x, y, w, h, lines: list[str], fill: str, dashed=False, ink=INK) -> None:
    fig.items.append(Rect(x, y, w, h, fill, stroke=MUTED, dashed=dashed))
    top = y + h / 2 - (len(lines) - 1) * 6 + 3.5
    for k, line in enumerate(lines):
        fig.items.append(Text(x + w / 2, top + 12 * k, line, 9.5, "middle", False, ink))


BOUNDARY_LINES = {
    "model-conception": ["Model", "conception"],
    "hardware-manufacturing": ["Hardware", "manufacturing"],
    "data-center-construction": ["Data-center", "construction"],
    "training": ["Training"],
    "inference": ["Inference"],
    "network": ["Network"],
    "end-user-equipment": ["End-user", "equipment"],
}


def boundary_diagram(scope: dict) -> Figure:
    """Stages in life-cycle order inside the boundary; exclusions outside, dashed."""
    included = {s["stage"]: s["included"] for s in scope["stages"]}
    fig = Figure(720, 250, "System boundary: stages included and excluded")
    fig.items.append(Rect(10, 10, 700, 150, "#f4f8fb", stroke="#3182bd"))
    fig.items.append(Text(20, 28, "System boundary (cradle to use)", 10, "start", True))
    # Upstream (manufacturing and construction) feed training and inference; use goes on to
    # the network and user devices.
    positions = {
        "model-conception": (25, 45), "hardware-manufacturing": (25, 100),
        "data-center-construction": (145, 100), "training": (285, 45),
        "inference": (405, 72), "network": (525, 45), "end-user-equipment": (525, 100),
    }
    w, h = 100, 40
    for stage in STAGES:
        x, y = positions[stage]
        if included.get(stage):
            _box(fig, x, y, w, h, BOUNDARY_LINES[stage], STAGE_COLOURS[stage] + "33")
        else:
            _box(fig, x, y, w, h, BOUNDARY_LINES[stage] + ["(excluded)"], "#ffffff", True, MUTED)
    arrows = [
        ((125, 65), (285, 65)), ((125, 120), (145, 120)), ((245, 120), (285, 80)),
        ((245, 115), (405, 95)), ((385, 65), (405, 85)), ((505, 85), (525, 65)),
        ((505, 98), (525, 118)),
    ]
    for (x1, y1), (x2, y2) in arrows:
        fig.items.append(Line(x1, y1, x2, y2, arrow=True))
    fig.items.append(Text(668, 100, "to the", 9, "middle"))
    fig.items.append(Text(668, 112, "user", 9, "middle", True))
    fig.items.append(Line(628, 120, 700, 120, arrow=True))
    outside = [e for e in scope["excluded"]]
    fig.items.append(Text(20, 185, "Outside the boundary", 10, "start", True, MUTED))
    x = 20
    for e in outside[:4]:
        _box(fig, x, 195, 160, 40, [e["item"].replace("-", " ").capitalize(), "(excluded)"],
             "#ffffff", True, MUTED)
        x += 175
    if not outside:
        fig.items.append(Text(20, 215, "nothing declared", 9, "start", False, MUTED))
    return fig


def stacked_shares_chart(impact: dict) -> Figure:
    """One bar per indicator, split by stage (percent of the life-cycle total)."""
    shares = impact["shares_percent"]
    fig = Figure(720, 250 + 48 * (len(INDICATORS) - 3),
                 "Impacts by life-cycle stage, percent of each indicator's total")
    left, width, bar_h, gap, top = 200, 500, 30, 18, 20
    for k, ind in enumerate(INDICATORS):
        y = top + k * (bar_h + gap)
        fig.items.append(Text(left - 8, y + bar_h / 2 + 3.5, INDICATOR_NAMES[ind], 9.5, "end"))
        fig.items.append(Text(left - 8, y + bar_h / 2 + 15, f"({impact['units'][ind]})", 8.5,
                              "end", False, MUTED))
        x = left
        for stage in STAGES:
            share = max(0.0, float(shares[stage][ind]))
            seg = width * share / 100.0
            if seg <= 0:
                continue
            fig.items.append(Rect(x, y, seg, bar_h, STAGE_COLOURS[stage]))
            if share >= 7:
                fig.items.append(Text(x + seg / 2, y + bar_h / 2 + 3.5, f"{share:.0f} %", 9,
                                      "middle", True, "#ffffff"))
            x += seg
    axis_y = top + len(INDICATORS) * (bar_h + gap) - gap + 6
    fig.items.append(Line(left, axis_y, left + width, axis_y, MUTED, 0.8))
    for pct in (0, 25, 50, 75, 100):
        x = left + width * pct / 100
        fig.items.append(Line(x, axis_y, x, axis_y + 4, MUTED, 0.8))
        fig.items.append(Text(x, axis_y + 14, f"{pct} %", 8.5, "middle", False, MUTED))
    legend_y = axis_y + 32
    x = 20
    for k, stage in enumerate(STAGES):
        if k == 4:
            x, legend_y = 20, legend_y + 18
        fig.items.append(Rect(x, legend_y - 9, 10, 10, STAGE_COLOURS[stage]))
        fig.items.append(Text(x + 14, legend_y, stage, 9))
        x += 14 + 6.0 * len(stage) + 26
    return fig


# ------------------------------------------------------------------------- charts of results


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` in Helvetica (the font the figures name), from the font's
    own metrics: layouts leave room for every label, so nothing is clipped."""
    return stringWidth(text, "Helvetica-Bold" if bold else "Helvetica", size)


def _short(value: float) -> str:
    return f"{value:.3g}"


def bar_chart(title: str, labels: list[str], values: list[float], unit: str) -> Figure:
    """Horizontal bars from 0, one per label, each with its value at its end."""
    size, row, plot = 10.0, 24.0, 420.0
    texts = [f"{_short(v)} {unit}" for v in values]
    left = 12 + max((text_width(s, size) for s in labels), default=0) + 10
    right = 10 + max((text_width(t, size) for t in texts), default=0) + 12
    width = max(left + plot + right, text_width(title, 12, True) + 24)
    height = 40 + row * len(labels) + 16
    fig = Figure(width, height, title)
    fig.items.append(Text(12, 20, title, 12, "start", True))
    top = max((abs(v) for v in values), default=0.0) or 1.0
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = 36 + i * row
        w = plot * abs(value) / top
        fig.items.append(Text(left - 10, y + 14, label, size, "end"))
        fig.items.append(Rect(left, y + 4, max(w, 0.5), row - 8, "#4a78b5"))
        fig.items.append(Text(left + w + 6, y + 14, text, size, "start", False, MUTED))
    return fig


def tornado_chart(title: str, labels: list[str], lows: list[float], highs: list[float],
                  static: float, unit: str) -> Figure:
    """One bar per parameter from the output at its 2.5 percentile to the output at its 97.5
    percentile, on an axis centred on the static result; each end is labelled with its own
    value and percentile (a bar that goes left at 97.5 % says so)."""
    size, row, plot = 9.5, 26.0, 400.0
    ends = [(f"2.5 %: {_short(lo)}", f"97.5 %: {_short(hi)}") for lo, hi in zip(lows, highs,
                                                                                 strict=True)]
    widest = max((text_width(t, size) for pair in ends for t in pair), default=0.0)
    label_w = max((text_width(s, size) for s in labels), default=0.0)
    left = 12 + label_w + 12 + widest + 6
    width = max(left + plot + widest + 18, text_width(title, 12, True) + 24)
    height = 56 + row * len(labels) + 30
    span = max([abs(v - static) for v in (*lows, *highs)] + [abs(static) * 1e-9, 1e-300])

    def x(v: float) -> float:
        return left + plot / 2 + (plot / 2) * (v - static) / span

    fig = Figure(width, height, title)
    fig.items.append(Text(12, 20, title, 12, "start", True))
    fig.items.append(Text(12, 38, f"{unit}; centre line: static result {_short(static)}", size,
                          "start", False, MUTED))
    for i, (label, lo, hi, (lo_text, hi_text)) in enumerate(zip(labels, lows, highs, ends,
                                                                strict=True)):
        y = 50 + i * row
        fig.items.append(Text(12 + label_w, y + 16, label, size, "end"))
        x0, x1 = sorted((x(lo), x(hi)))
        fig.items.append(Rect(x0, y + 5, max(x1 - x0, 0.5), row - 10, "#4a78b5"))
        left_text, right_text = (lo_text, hi_text) if lo <= hi else (hi_text, lo_text)
        fig.items.append(Text(x0 - 4, y + 16, left_text, size, "end", False, MUTED))
        fig.items.append(Text(x1 + 4, y + 16, right_text, size, "start", False, MUTED))
    centre = x(static)
    fig.items.append(Line(centre, 46, centre, height - 24, "#c33333", 1.0))
    axis = height - 20
    fig.items.append(Text(left, axis + 12, _short(static - span), 8.5, "start", False, MUTED))
    fig.items.append(Text(left + plot, axis + 12, _short(static + span), 8.5, "end", False,
                          MUTED))
    return fig


# ------------------------------------------------------------------------- contribution analysis

# Processes and flows take these colours in order of size; "other" is grey.
PALETTE = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#fd8d3c", "#6baed6",
           "#74c476", "#9e9ac8", "#bdbdbd")
OTHER_COLOUR = "#d9d9d9"


def contribution_chart(indicator: str, unit: str, shares: dict, processes: list[dict],
                       flows: list[dict]) -> Figure:
    """The life-cycle total of one indicator split three ways, one stacked bar each: by
    stage, by process and by elementary flow (stage -> process -> flow), each with its
    legend (label and percent) under it. ``shares``: stage -> percent; ``processes`` and
    ``flows``: items with ``label`` and ``share_percent`` (the largest, then "other")."""
    size, bar_h, plot = 9.0, 22.0, 520.0
    rows = [("by stage", [(s, STAGE_COLOURS[s], float(v)) for s, v in shares.items()
                          if v is not None and float(v) > 0]),
            ("by process", _coloured(processes)),
            ("by elementary flow", _coloured(flows))]
    # Browsers without Helvetica draw text up to a fifth wider than its metrics: leave room.
    left = 12 + 1.2 * max(text_width(label, size, True) for label, _ in rows) + 10
    width = left + plot + 12
    title = f"{INDICATOR_NAMES[indicator]} ({unit}): life cycle by stage, process and flow"
    width = max(width, text_width(title, 12, True) + 24)
    fig = Figure(width, 0, title)
    fig.items.append(Text(12, 20, title, 12, "start", True))
    y = 34.0
    for label, segments in rows:
        fig.items.append(Text(12, y + bar_h / 2 + 3.5, label, size, "start", True))
        x = left
        for _name, colour, share in segments:
            seg = plot * max(share, 0.0) / 100.0
            fig.items.append(Rect(x, y, max(seg, 0.0), bar_h, colour))
            text = f"{share:.0f} %"
            if seg > text_width(text, 8.5, True) + 6:
                fig.items.append(Text(x + seg / 2, y + bar_h / 2 + 3, text, 8.5, "middle",
                                      True, "#ffffff"))
            x += seg
        y = _legend(fig, left, y + bar_h + 14, plot, segments) + 10
    fig.height = y
    return fig


def _coloured(items: list[dict]) -> list[tuple[str, str, float]]:
    out = []
    for k, item in enumerate(items):
        share = item.get("share_percent")
        if share is None:
            continue
        other = item.get("code") == "other"
        colour = OTHER_COLOUR if other else PALETTE[k % len(PALETTE)]
        out.append((item["label"], colour, float(share)))
    return out


def _legend(fig: Figure, left: float, y: float, width: float, segments) -> float:
    """Colour keys with 'label  12.3 %', wrapped to ``width``; returns the last baseline."""
    x = left
    for name, colour, share in segments:
        text = f"{name}  {fmt_percent(share)}"
        w = 14 + 1.2 * text_width(text, 8.5) + 12
        if x > left and x + w > left + width:
            x, y = left, y + 14
        fig.items.append(Rect(x, y - 8, 9, 9, colour))
        fig.items.append(Text(x + 13, y, text, 8.5))
        x += w
    return y
