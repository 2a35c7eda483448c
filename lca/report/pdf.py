"""PDF with ReportLab in invariant mode (fixed dates and ids), so the same report gives the
same bytes; the figures are drawn as vector graphics from the same primitives as the SVG.
Text uses the PDF base fonts, so it can be extracted (pdftotext) and needs no font files.
"""

from __future__ import annotations

import io
import math
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lca.report import charts
from lca.report.outline import Block, build_outline, summary_line

PAGE_MARGIN = 40.0


def _safe(text: str) -> str:
    """Characters the base fonts (WinAnsi) can show; others become '?'."""
    replaced = str(text).replace("\u2212", "-").replace("\u2248", "~").replace("\u2264", "<=")
    return replaced.encode("cp1252", errors="replace").decode("cp1252")


def _para(text: str, style):
    return Paragraph(escape(_safe(text)), style)


def _blend(hex_colour: str):
    """'#rrggbbaa' blended on white (PDF without transparency groups stays simple)."""
    if len(hex_colour) == 9:
        alpha = int(hex_colour[7:], 16) / 255
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return colors.Color(1 - alpha * (1 - r), 1 - alpha * (1 - g), 1 - alpha * (1 - b))
    return colors.HexColor(hex_colour)


def _drawing(fig: charts.Figure, width: float):
    s = width / fig.width
    height = fig.height * s
    d = Drawing(width, height)

    def Y(y):
        return height - y * s

    for item in fig.items:
        if isinstance(item, charts.Rect):
            r = Rect(item.x * s, Y(item.y + item.h), item.w * s, item.h * s,
                     fillColor=_blend(item.fill),
                     strokeColor=_blend(item.stroke) if item.stroke else None,
                     strokeWidth=0.6)
            if item.dashed:
                r.strokeDashArray = [3, 2]
            d.add(r)
        elif isinstance(item, charts.Text):
            d.add(String(item.x * s, Y(item.y), _safe(item.text),
                         fontName="Helvetica-Bold" if item.bold else "Helvetica",
                         fontSize=item.size * s, textAnchor=item.anchor,
                         fillColor=_blend(item.fill)))
        elif isinstance(item, charts.Line):
            x1, y1, x2, y2 = item.x1 * s, Y(item.y1), item.x2 * s, Y(item.y2)
            d.add(Line(x1, y1, x2, y2, strokeColor=_blend(item.stroke),
                       strokeWidth=item.width * s))
            if item.arrow:
                angle = math.atan2(y2 - y1, x2 - x1)
                size = 5 * s
                pts = [x2, y2]
                for turn in (2.7, -2.7):
                    pts += [x2 + size * math.cos(angle + turn), y2 + size * math.sin(angle + turn)]
                d.add(Polygon(pts, fillColor=_blend(item.stroke), strokeColor=None))
    return d


def render_pdf(doc: dict) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=9,
                          leading=11.5)
    cell = ParagraphStyle("cell", parent=body, fontSize=7, leading=8.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    h1 = ParagraphStyle("h1", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=16,
                        leading=20, alignment=0)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontName="Helvetica-Bold",
                        fontSize=12.5, textColor=colors.HexColor("#08519c"))
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=10, bulletIndent=2)
    card_value = ParagraphStyle("cv", parent=body, fontName="Helvetica-Bold", fontSize=13,
                                leading=16, textColor=colors.HexColor("#08519c"))

    buffer = io.BytesIO()
    ident = doc["identification"]
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=PAGE_MARGIN, rightMargin=PAGE_MARGIN,
        topMargin=PAGE_MARGIN, bottomMargin=PAGE_MARGIN, invariant=1,
        title=_safe(doc["title"]), author=_safe(ident["practitioner"]),
        subject=f"{ident['model']} {ident['date']}", creator=f"lca-ai {ident['engine_version']}",
    )
    width = A4[0] - 2 * PAGE_MARGIN
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ])

    def block_flowables(block: Block) -> list:
        if block.kind == "p":
            return [_para(block.text, body)]
        if block.kind == "list":
            return [_para_bullet(item, bullet) for item in block.items]
        if block.kind == "table":
            weights = block.widths or [1.0] * len(block.headers)
            total = sum(weights)
            col_widths = [width * w / total for w in weights]
            data = [[_para(h, head) for h in block.headers]]
            data += [[_para(c, cell) for c in row] for row in block.rows]
            table = Table(data, colWidths=col_widths, repeatRows=1)
            table.setStyle(grid)
            return [table, Spacer(1, 4)]
        if block.kind == "figure":
            return [_drawing(block.figure, width), _para(block.figure.title, cell),
                    Spacer(1, 6)]
        if block.kind == "headline":
            cards = [[_para(c["value"], card_value), _para(c["label"], cell)]
                     for c in block.items]
            table = Table([cards[r * 3:r * 3 + 3] for r in range(len(cards) // 3)],
                          colWidths=[width / 3] * 3)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9ecae1")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f7fbff")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            return [table, Spacer(1, 6)]
        raise ValueError(f"unknown block kind {block.kind}")

    story = [_para(doc["title"], h1), _para(summary_line(doc), body),
             _para(f"Report date {ident['date']}; {ident['engine']} {ident['engine_version']}; "
                   f"critical review: {doc['critical_review']['status']}.", body)]
    for section in build_outline(doc):
        flowables = [_para(section.title, h2)]
        for block in section.blocks:
            flowables += block_flowables(block)
        story.append(KeepTogether(flowables[:2]))
        story += flowables[2:]

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(PAGE_MARGIN, 20, _safe(f"{doc['title']} ({ident['date']})"))
        canvas.drawRightString(A4[0] - PAGE_MARGIN, 20, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _para_bullet(text: str, style):
    return Paragraph(escape(_safe(text)), style, bulletText="-")
