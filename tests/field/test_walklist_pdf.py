"""The printed walk list fits A4 portrait: every page is 210 × 297 mm and no text (answer
columns included) runs past the page's printable area."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.elections.geography import import_reu
from circo.field.walklist import walk_list_html, walk_list_pdf
from circo.maps.approx import approximate_bureaux
from tests.field.conftest import FieldWorld

A4 = (595.28, 841.89)  # points
MARGIN = 12 / 25.4 * 72  # the 12 mm side margin of the template, in points


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_walk_list_pdf_fits_a4_portrait(session: Session, field_world: FieldWorld) -> None:
    ctx = system_context(field_world.campaigns.a)
    pdf = walk_list_pdf(session, ctx, turf_id=field_world.assigned.id)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pages
    fragments: list[tuple[float, str]] = []  # start x (points), text
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - A4[0]) < 1
        assert abs(float(box.height) - A4[1]) < 1

        def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                fragments.append((x, text.strip()))

        page.extract_text(visitor_text=visit)
    assert fragments
    text = " ".join(fragment for _, fragment in fragments)
    # The answer columns are printed: outcomes and the questionnaire's choices.
    for expected in ("Absent", "Échange", "Refus", "Soutien", "Indécis"):
        assert expected in text
    # No text starts outside the printable area (an overflowing table starts past the margin).
    start, first = min(fragments)
    assert start >= MARGIN - 1, f"« {first} » commence à x = {start:.0f} pt"
    start, last = max(fragments)
    assert start < A4[0] - MARGIN, f"« {last} » commence à x = {start:.0f} pt, hors de la page"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_walk_list_layout_keeps_every_line_inside_the_margins(
    session: Session, field_world: FieldWorld
) -> None:
    """Where each laid-out line ends (WeasyPrint's boxes of the same HTML), exactly."""
    from weasyprint import HTML
    from weasyprint.formatting_structure.boxes import LineBox

    ctx = system_context(field_world.campaigns.a)
    document = HTML(string=walk_list_html(session, ctx, turf_id=field_world.assigned.id)).render()
    lines = 0
    for page in document.pages:
        page_box = page._page_box
        right = page_box.margin_width() - page_box.margin_right  # CSS px
        for box in page_box.descendants():
            if isinstance(box, LineBox) and box.children:
                lines += 1
                end = max(child.position_x + child.margin_width() for child in box.children)
                assert end <= right + 0.5, f"une ligne finit à {end:.0f} px, marge à {right:.0f} px"
    assert lines > 20


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_walk_list_says_when_the_bureau_contour_is_approximate(
    session: Session, field_world: FieldWorld, shared_data: Path
) -> None:
    ctx = system_context(field_world.campaigns.a)
    turf_id = field_world.assigned.id
    assert "contour approximatif" not in walk_list_html(session, ctx, turf_id=turf_id)
    reu = shared_data / "fr-reu-adresses-sample-29"
    import_reu(session, path=reu / "addresses_sample.csv")
    approximate_bureaux(
        session, communes=["29039"], contours_file=reu / "contours_com_sample_wgs84.geojson"
    )
    html = walk_list_html(session, ctx, turf_id=turf_id)
    assert "Bureau 29039_6 : contour approximatif" in html
