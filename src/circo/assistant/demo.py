"""Demo knowledge base for the Paris législatives campaign (our own French text, in demo_data/)."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from sqlalchemy.orm import Session

from circo.assistant.segment import TextBuilder
from circo.assistant.service import DocumentMeta, add_bytes, add_place, add_text
from circo.config import Settings
from circo.core.tenancy import CampaignContext

DEMO_FILES = (
    ("programme.md", "programme", "2027-01-15", None),
    ("etude-emploi.md", "study", "2024-11-30", None),
    ("etude-logement.md", "study", "2024-10-15", None),
    ("etude-sante.md", "study", "2025-01-20", None),
    ("ripostes.md", "rebuttal", "2027-02-01", None),
    ("sondage-priorites.csv", "poll", "2027-02-10", "Sondage Ifop : les priorités des habitants"),
)
ARRONDISSEMENTS = ["1er"] + [f"{number}e" for number in range(2, 21)]


def seed_places(session: Session, ctx: CampaignContext) -> None:
    add_place(session, ctx, code="75056", name="Paris")
    for index, label in enumerate(ARRONDISSEMENTS, start=1):
        add_place(
            session,
            ctx,
            code=f"751{index:02d}",
            name=f"Paris {label}",
            aliases=[f"{label} arrondissement"],
        )


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    folder = resources.files("circo") / "assistant" / "demo_data"
    seed_places(session, ctx)
    territory = [ctx.campaign.territory_code or "75056"]
    for name, kind, day, title in DEMO_FILES:
        add_bytes(
            session,
            ctx,
            data=(folder / name).read_bytes(),
            name=name,
            source=f"demo/{name}",
            meta=DocumentMeta(
                title=title,
                doc_type=kind,
                territory_codes=territory,
                published_on=date.fromisoformat(day),
            ),
        )
    for index, item in enumerate(json.loads((folder / "news.json").read_text("utf-8")), start=1):
        builder = TextBuilder()
        builder.add(item["title"], kind="heading", level=1)
        builder.add(item["text"])
        add_text(
            session,
            ctx,
            extracted=builder.build(title=item["title"]),
            source=f"demo/actualites/{index:02d}",
            meta=DocumentMeta(
                title=item["title"],
                doc_type="news",
                territory_codes=["75056", *item["territories"]],
                published_on=date.fromisoformat(item["date"]),
            ),
        )
    seed_ripostes(session, ctx, settings)


def seed_ripostes(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    """One riposte already approved (shown to the volunteers; the demo mails no one) and one
    draft waiting for the comms team."""
    from circo.assistant.models import RiposteStatus
    from circo.assistant.ripostes import create_riposte
    from circo.db import utcnow

    approved = create_riposte(
        session, ctx, claim="Le chômage explose à Paris", settings=settings, offline=True
    )
    approved.status = RiposteStatus.approved
    approved.approved_at = utcnow()
    create_riposte(
        session,
        ctx,
        claim="Claire Martin veut supprimer la police municipale",
        settings=settings,
        offline=True,
    )
    session.flush()
