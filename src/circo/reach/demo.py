"""Demo: a sign-up form, one call list over every contact (a script and a question), and a
texting campaign with one reply waiting in the shared inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext


def seed_demo(session: Session, ctx: CampaignContext, settings: Any) -> None:
    from circo.reach.calls import create_call_list, list_call_lists
    from circo.reach.forms import create_form

    if list_call_lists(session, ctx):
        return
    create_form(session, ctx, kind="signup", name="Rejoindre la campagne")
    _phone_consents(session, ctx)
    create_call_list(
        session,
        ctx,
        segment="all",
        name="Rappel des sympathisants",
        script=(
            "Bonjour, je suis bénévole de la campagne. Avez-vous un instant ? "
            "Nous organisons une réunion publique la semaine prochaine."
        ),
        questions=["Viendra à la réunion"],
    )
    seed_texts(session, ctx)
    from circo.reach.demo_drops import seed_drops

    seed_drops(session, ctx)


def _phone_consents(session: Session, ctx: CampaignContext) -> None:
    """The demo's contacts who gave a number agreed to be called back (a permanence's sheet),
    so the demo call list has people to call."""
    from sqlalchemy import select

    from circo.core.tenancy import campaign_filter
    from circo.crm.models import Contact
    from circo.privacy.consent import record_consent

    with_phone = session.scalars(
        select(Contact.id).where(
            campaign_filter(Contact, ctx), Contact.phone.is_not(None), Contact.phone != ""
        )
    ).all()
    for contact_id in with_phone:
        record_consent(
            session,
            ctx,
            contact_id=contact_id,
            channel="phone",
            status="granted",
            source="démonstration : fiche de permanence",
            proof={"wording": "J'accepte d'être rappelé(e) par l'équipe de campagne."},
        )


def seed_texts(session: Session, ctx: CampaignContext) -> None:
    """A texting campaign over every contact who accepted SMS, and one reply (not sent: the
    demo sends nothing)."""
    from sqlalchemy import select

    from circo.core.tenancy import campaign_filter
    from circo.crm.models import Contact
    from circo.privacy.consent import record_consent
    from circo.reach.models import TextDirection, TextEntry, TextMessage
    from circo.reach.texting import create_text_campaign

    with_phone = session.scalars(
        ctx.scoped(select(Contact.id), Contact)
        .where(Contact.phone.is_not(None))
        .order_by(Contact.id)
        .limit(3)
    ).all()
    for contact_id in with_phone:
        record_consent(
            session,
            ctx,
            contact_id=contact_id,
            channel="sms",
            status="granted",
            source="démo : case cochée sur le formulaire papier",
        )
    built = create_text_campaign(
        session,
        ctx,
        segment="all",
        name="Invitation à la réunion publique",
        template="Bonjour {{ prenom }}, réunion publique jeudi à 19 h à la salle des fêtes. "
        "Vous venez ?",
    )
    first = session.execute(
        select(TextEntry.contact_id, Contact.phone)
        .join(Contact, Contact.id == TextEntry.contact_id)
        .where(
            campaign_filter(TextEntry, ctx), TextEntry.text_campaign_id == built.text_campaign.id
        )
        .order_by(TextEntry.id)
        .limit(1)
    ).first()
    if first is not None and first.phone:
        session.add(
            TextMessage(
                campaign_id=ctx.campaign_id,
                direction=TextDirection.inbound.value,
                phone=first.phone,
                contact_id=first.contact_id,
                text_campaign_id=built.text_campaign.id,
                text="Bonjour, que proposez-vous pour les transports ?",
            )
        )
        session.flush()
