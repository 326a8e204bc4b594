"""Demo: a welcome series on the demo's sign-up form (an email at once, a tag after 3 days, an
invitation after 7 days), with one contact entered (steps planned, nothing sent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext

WELCOME = "Série de bienvenue"


def seed_demo(session: Session, ctx: CampaignContext, settings: Any) -> None:

    from circo.automations.engine import enrol
    from circo.automations.models import TriggerKind
    from circo.automations.schemas import AutomationIn, StepIn
    from circo.automations.service import create_automation, list_automations
    from circo.crm.contacts import visible_contacts
    from circo.crm.models import Contact
    from circo.db import utcnow
    from circo.reach.forms import list_forms

    if list_automations(session, ctx):
        return
    signup = next((form for form in list_forms(session, ctx) if form.kind == "signup"), None)
    if signup is None:
        return
    created = create_automation(
        session,
        ctx,
        settings,
        data=AutomationIn(
            name=WELCOME,
            trigger=TriggerKind.form,
            form_id=signup.id,
            steps=[
                StepIn(
                    action="send_message",
                    delay_days=0,
                    subject="Bienvenue dans la campagne, {{ prenom }}",
                    body="Bonjour {{ prenom }},\n\nMerci de nous avoir rejoints ! Vous recevrez "
                    "nos nouvelles et nos rendez-vous près de chez vous.\n\n{{ campagne }}",
                ),
                StepIn(action="add_tag", delay_days=3, tag="bienvenue"),
                StepIn(
                    action="send_message",
                    delay_days=7,
                    subject="{{ prenom }}, venez nous rencontrer",
                    body="Bonjour {{ prenom }},\n\nNotre prochaine réunion publique vous "
                    "attend : c'est le meilleur moment pour rencontrer l'équipe.\n\n{{ campagne }}",
                ),
            ],
        ),
    )
    first = session.scalar(visible_contacts(session, ctx).order_by(Contact.id).limit(1))
    if first is not None:
        enrol(
            session, ctx, automation=created.automation, contact_id=first.id,
            reason=f"a confirmé le formulaire « {signup.name} » (démo)", now=utcnow(),
        )  # fmt: skip
