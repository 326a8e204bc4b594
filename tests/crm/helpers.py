"""Small builders shared by the crm and privacy tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate

CSV_HEADER = (
    "Prénom;Nom;Email;Téléphone;Adresse;Code postal;Commune;Consentement email: oui/non;Tags\n"
)


def ctx_of(campaign: Campaign) -> CampaignContext:
    return system_context(campaign)


def make_contact(session: Session, ctx: CampaignContext, **values: object) -> Contact:
    data = {"first_name": "Marie", "last_name": "Martin", **values}
    return create_contact(session, ctx, data=ContactCreate(**data))  # type: ignore[arg-type]


def write_csv(path: Path, rows: list[str], header: str = CSV_HEADER) -> Path:
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def table_counts(session: Session) -> dict[str, int]:
    """Row count of every table in the database (inspected, not from the models)."""
    bind = session.get_bind()
    names = inspect(bind).get_table_names()
    return {name: session.scalar(text(f'SELECT COUNT(*) FROM "{name}"')) or 0 for name in names}


def contact_count(session: Session, campaign_id: int) -> int:
    return session.scalar(select(func.count()).where(Contact.campaign_id == campaign_id)) or 0
