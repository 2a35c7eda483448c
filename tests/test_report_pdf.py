"""The PDF report as a reader gets it: poppler's pdftoppm turns its pages into images and
pdftotext extracts its text, where the headline figures must be found."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from lca.display import fmt_percent, fmt_response, fmt_total


@pytest.fixture(scope="module")
def pdf(tmp_path_factory, large2_report_doc):
    from lca.report.pdf import render_pdf

    doc = large2_report_doc
    folder = tmp_path_factory.mktemp("pdf-report")
    path = folder / "report.pdf"
    path.write_bytes(render_pdf(doc))
    return path


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: .ci/run installs Debian's poppler-utils"
    return found


def test_pdf_pages_render_as_images(pdf):
    subprocess.run([tool("pdftoppm"), "-r", "50", "-png", str(pdf), str(pdf.parent / "page")],
                   check=True, timeout=120)
    pages = sorted(pdf.parent.glob("page-*.png"))
    assert len(pages) >= 4
    for page in pages:
        data = page.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_pdf_text_holds_the_headline_figures(pdf, large2):
    text = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "Environmental footprint of Mistral Large 2" in flat
    for ind in ("gwp", "water", "adp"):
        assert fmt_response(ind, large2.per_response.loc["marginal", ind]) in flat
        assert fmt_total(ind, large2.by_service.loc["training", ind]) in flat
        share = 100 * large2.by_service.loc["inference", ind] / large2.total[ind]
        assert fmt_percent(share) in flat
    # The marginal climate figure is a fit residual of Mistral's 1.14 g: within two standard
    # deviations of the calibration's 10 % model discrepancy.
    grams = float(re.search(r"\(marginal\): ([0-9.]+) g CO2e", flat).group(1))
    assert grams == pytest.approx(1.14, rel=0.21)
    for title in ("Standards checklist", "Critical review", "not reviewed",
                  "Communication rules (AFNOR Spec 2314)", "orders of magnitude",
                  "Calibration and fit residuals", "What the results imply"):
        assert title in flat
