"""Printed sheets speak French on the campaign's clock: the walk list (HTML and PDF) gives the
turf's days and the time it was printed in the campaign's zone, distances with a decimal comma;
the leaflet gives its sources' dates and its version in French, in the campaign's zone."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from circo.assistant.leaflet import render_html
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.field import service
from circo.field.walklist import walk_list_html, walk_list_pdf
from tests.field.conftest import FieldWorld

# 02:30 UTC on 4 December is still 3 December, 22:30, in Guadeloupe (UTC−4).
PRINTED = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_walk_list_dates_are_french_in_the_campaign_zone(
    session: Session, field_world: FieldWorld
) -> None:
    campaign = session.get(Campaign, field_world.campaigns.a.id)
    assert campaign is not None
    campaign.timezone = "America/Guadeloupe"
    ctx = system_context(campaign)
    turf = field_world.unassigned
    service.assign(
        session,
        ctx,
        day=date(2026, 12, 5),
        turf_id=turf.id,
        user_id=field_world.campaigns.volunteer_a.id,
    )
    session.flush()

    html = _flat(walk_list_html(session, ctx, turf_id=turf.id, now=PRINTED))
    assert "Tournée : samedi 5 décembre 2026" in html
    assert "imprimé le 3 décembre 2026 à 22 h 30" in html
    assert f"{turf.walk_m / 1000:.1f}".replace(".", ",") + " km à pied" in html

    pdf = walk_list_pdf(session, ctx, turf_id=turf.id, now=PRINTED)
    text = _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert "imprimé le 3 décembre 2026 à 22 h 30" in text
    assert "samedi 5 décembre 2026" in text
    session.rollback()


def test_leaflet_dates_are_french_in_the_campaign_zone() -> None:
    content = {
        "title": "Transports",
        "campaign": "Démo",
        "territory_name": "Paris",
        "sections": [],
        "sources": [{"ref": 1, "document": "Bilan", "source": "Mairie", "date": "2026-03-29"}],
    }
    html = _flat(
        render_html(
            content, timezone="Asia/Tokyo", updated_at=datetime(2026, 3, 29, 16, 5, tzinfo=UTC)
        )
    )
    assert "(29 mars 2026)" in html
    assert "Version du 30 mars 2026 à 1 h 05" in html
    assert "2026-03-29" not in html
