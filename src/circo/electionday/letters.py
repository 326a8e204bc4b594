"""Designation letters to the mairie: one PDF per commune listing, bureau by bureau, the people
the campaign designates (R46: name, first names, birth date and place, address, bureau), to be
received by 18 h on the third day before the vote. HTML from Jinja2 turned into PDF by
WeasyPrint, like the walk list."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.electionday.assessor_rules import NOTIFICATION_DEADLINE
from circo.electionday.assessors import AssessorError, deadline
from circo.electionday.models import AssessorPost
from circo.formatting import format_date, format_datetime
from circo.labels import label

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "electionday" / "templates")),
    autoescape=select_autoescape(["html"]),
)


def letters_data(
    session: Session, ctx: CampaignContext, *, round_number: int
) -> list[dict[str, Any]]:
    """One entry per commune: its bureaux, each with its designated people."""
    from circo.crm.models import Contact
    from circo.elections.repository import commune_names

    posts = session.scalars(
        ctx.scoped(select(AssessorPost), AssessorPost)
        .where(AssessorPost.round == round_number)
        .order_by(AssessorPost.station_key, AssessorPost.role, AssessorPost.slot_start)
    ).all()
    if not posts:
        raise AssessorError(f"aucune désignation pour le tour {round_number}", loc="tour")
    people = {
        contact.id: contact
        for contact in session.scalars(
            ctx.scoped(select(Contact), Contact).where(
                Contact.id.in_(sorted({p.contact_id for p in posts}))
            )
        )
    }
    codes = {p.commune_code for p in posts} | {p.elector_commune for p in posts}
    names = commune_names(session, codes)
    zone = ctx.campaign.timezone
    communes: dict[str, dict[str, Any]] = {}
    for post in posts:
        commune = communes.setdefault(
            post.commune_code,
            {
                "code": post.commune_code,
                "name": names.get(post.commune_code, post.commune_code),
                "vote_day": post.vote_date,
                "vote_date": format_date(post.vote_date, zone, style="full"),
                "deadline": format_datetime(deadline(post.vote_date, zone), zone),
                "bureaux": {},
            },
        )
        person = people.get(post.contact_id)
        address = ", ".join(
            part
            for part in (
                person.address_line if person else None,
                " ".join(x for x in (person.postal_code, person.city) if x) if person else None,
            )
            if part
        )
        commune["bureaux"].setdefault(post.station_key, []).append(
            {
                "role": label(post.role.value, "assessor_role"),
                "last_name": (person.last_name if person else "").upper(),
                "first_name": person.first_name if person else "",
                "birth": (
                    f"{format_date(post.birth_date, zone)} à {post.birth_place}"
                    if post.birth_date
                    else "à compléter"
                ),
                "address": address or "à compléter",
                "elector": names.get(post.elector_commune, post.elector_commune),
                "slot": f"{post.slot_start} – {post.slot_end}",
            }
        )
    return list(communes.values())


def letter_html(
    ctx: CampaignContext, commune: dict[str, Any], *, round_number: int, now: datetime | None
) -> str:
    return _environment.get_template("electionday/assessor_letter.html").render(
        campaign=ctx.campaign,
        commune=commune,
        round_number=round_number,
        article=NOTIFICATION_DEADLINE.article,
        printed_at=format_datetime(now or utcnow(), ctx.campaign.timezone),
    )


def letters_pdf(
    session: Session, ctx: CampaignContext, *, round_number: int, now: datetime | None = None
) -> list[tuple[dict[str, Any], bytes]]:
    """(commune, PDF bytes) for every commune with designations."""
    from weasyprint import HTML

    out = []
    for commune in letters_data(session, ctx, round_number=round_number):
        html = letter_html(ctx, commune, round_number=round_number, now=now)
        out.append((commune, HTML(string=html).write_pdf()))
    audit.record(
        session, actor=ctx.actor, action="electionday.assessor_letters",
        campaign_id=ctx.campaign_id, target_type="round", target_id=round_number,
    )  # fmt: skip
    return out
