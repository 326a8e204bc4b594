"""Demo: a sign-up form and one call list over every contact, with a script and a question."""

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
