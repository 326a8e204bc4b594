"""Choropleths (SVG validity, legend, tooltips, PNG) and the territory sheet (HTML + PDF)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.elections.geography import import_geo
from circo.elections.importing import import_results
from circo.maps.choropleth import to_png, to_svg
from circo.maps.classify import breaks_for, class_of
from circo.maps.service import MapRequest, draw_map
from circo.maps.sheet import build_sheet, render_html, render_pdf
from tests.data_files import demo_file
from tests.elections.sample_files import national_paris

SVG = "{http://www.w3.org/2000/svg}"


def test_quantile_and_fixed_classes() -> None:
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    breaks = breaks_for(values, method="quantile", classes=5)
    assert len(breaks) == 5
    assert breaks[-1] == 1.0
    assert class_of(0.1, breaks) == 0
    assert class_of(1.0, breaks) == 4
    assert class_of(None, breaks) is None
    assert breaks_for(values, method="fixed", fixed=[0.5]) == [0.5, 1.0]


def test_paris_map_and_sheet(session: Session, tmp_path: Path, cli_env: dict[str, str]) -> None:
    import_results(
        session,
        path=national_paris(round_number=1),
        key="pres-2017",
        round_number=1,
    )
    import_geo(
        session,
        path=demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"),
        kind="bureaux",
    )
    session.commit()

    drawing = draw_map(session, MapRequest("com:75056", "pres-2017", 1, indicator="share:MACRON"))
    svg = to_svg(drawing)
    root = ET.fromstring(svg)
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == 886
    tooltips = [p.find(f"{SVG}title") for p in paths]
    assert all(t is not None and "Bureau 75056_" in (t.text or "") for t in tooltips)
    assert any("%" in (t.text or "") for t in tooltips if t is not None)
    legend = [t.text for t in root.findall(f"{SVG}text")]
    assert "MACRON (% des exprimés), par bureau de vote" in legend
    assert "sans donnée" in legend
    assert len({p.get("fill") for p in paths}) == 5
    png = to_png(drawing, scale=1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")

    html = render_html(build_sheet(session, territory="com:75056"))
    assert "Paris" in html
    # Outside a campaign the domains' sections say what would fill them, each once.
    assert html.count("Bureaux prioritaires") == 1
    assert html.count("Actualités locales") == 1
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2

    session.rollback()  # release SQLite's write lock before the CLI opens its own connection
    out = tmp_path / "fiche.pdf"
    result = CliRunner().invoke(app, ["sheet", "bv:75056_0101", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    svg_out = tmp_path / "carte.svg"
    result = CliRunner().invoke(
        app,
        ["map", "com:75056", "--election", "pres-2017", "--round", "1", "--out", str(svg_out),
         "--level", "com"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ET.fromstring(svg_out.read_text()).tag == f"{SVG}svg"


def test_a_circonscription_map_draws_the_bureaux_without_result(
    session: Session, tmp_path: Path
) -> None:
    """Bureaux the circonscription holds (by another import) but the drawn round lacks are
    drawn "sans donnée", at circonscription and national level as at commune level."""
    import gzip

    import_results(session, path=national_paris(round_number=1), key="pres-2017", round_number=1)
    with gzip.open(national_paris(round_number=1), "rt", encoding="utf-8") as source:
        header, *rows = [line for line in source if line.strip()]
    first_circ = [row for row in rows if row.split(",")[3] == "1"]
    cut = tmp_path / "partiel.csv"
    cut.write_text(header + "".join(first_circ[: len(first_circ) // 2]), encoding="utf-8")
    # A partial file standing for another round (forced: it has the first round's candidates).
    import_results(session, path=cut, key="pres-2017", round_number=2, force=True)
    import_geo(
        session, path=demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"), kind="bureaux"
    )
    session.commit()

    for territory in ("circ:75-01", "fr"):
        drawing = draw_map(session, MapRequest(territory, "pres-2017", 2, indicator="turnout"))
        root = ET.fromstring(to_svg(drawing))
        titles = [p.findtext(f"{SVG}title") or "" for p in root.findall(f".//{SVG}path")]
        without = [t for t in titles if "sans donnée" in t]
        assert len(titles) - len(without) == len(first_circ) // 2, territory
        assert without, territory
        if territory == "circ:75-01":
            assert len(titles) == len(first_circ)
