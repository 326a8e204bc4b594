"""Demo content: programme points given to segments in the message matrix."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.messaging import directory, service

POINTS = (
    ("Petite enfance", "Une place en crèche pour chaque enfant du quartier."),
    ("Transports", "Des bus toutes les 10 minutes, le soir aussi."),
    ("Logement", "Encadrer les loyers et rénover les logements anciens."),
)


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    segments = directory.segment_names(session, ctx)
    for index, (title, summary) in enumerate(POINTS):
        point = service.add_point(session, ctx, title=title, summary=summary)
        target = segments[index % len(segments)] if segments else directory.ALL
        service.set_cell(session, ctx, segment=target, point_id=point.id, on=True)
