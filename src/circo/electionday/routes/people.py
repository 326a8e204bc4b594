"""Procurations and assesseurs pages: the staff's lists and matching, the request and offer
forms and the volunteer's own sign-up (every member, the volunteer app), the coverage map, the
letters to the mairies and the day-of checklist."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.electionday.routes.common import (
    ElectionQuery,
    ProxyDep,
    RoundQuery,
)
from circo.electionday.schemas import (
    ProxyMatchingRead,
)
from circo.web.deps import CampaignDep, FormDep, SessionDep, SettingsDep
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)
proxy_api = APIRouter(prefix="/api/campaigns/{slug}/procurations", tags=["electionday"])


@pages.get("/c/{slug}/procurations", response_class=HTMLResponse)
def procurations_page(
    request: Request, session: SessionDep, ctx: ProxyDep, msg: ElectionQuery = ""
) -> HTMLResponse:
    from circo.electionday import procurations
    from circo.electionday.proxy_rules import LIMITS, STEPS

    values = procurations.overview(session, ctx)
    values.update({"limits": LIMITS, "steps": STEPS, "msg": msg})
    return render(request, "electionday/procurations.html", values)


@pages.post("/c/{slug}/procurations/match")
def procurations_match(session: SessionDep, ctx: ProxyDep, form: FormDep) -> Response:
    from circo.electionday import procurations

    result = procurations.match(session, ctx)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/procurations?msg={len(result['unmatched'])}", status_code=303
    )


@pages.post("/c/{slug}/procurations/withdraw")
def procurations_withdraw(session: SessionDep, ctx: ProxyDep, form: FormDep) -> Response:
    from circo.electionday import procurations

    kind, _, number = str(form.get("item", "")).partition(":")
    if not number.isdigit() or kind not in ("request", "offer"):
        raise procurations.ProxyError("élément à retirer non reconnu", loc="retrait")
    procurations.withdraw(
        session, ctx, request_id=int(number) if kind == "request" else None,
        offer_id=int(number) if kind == "offer" else None,
    )  # fmt: skip
    result = procurations.match(session, ctx)  # the other side is matched again at once
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/procurations?msg={len(result['unmatched'])}", status_code=303
    )


def _person(form: Any) -> Any:
    from circo.electionday.proxy_forms import Person

    def text(name: str, size: int = 200) -> str:
        return str(form.get(name, "")).replace("\x00", "")[:size]

    return Person(
        first_name=text("first_name"), last_name=text("last_name"), email=text("email", 320),
        phone=text("phone", 40), address_line=text("address_line", 300),
        postal_code=text("postal_code", 10), city=text("city"),
        consent=tuple(c for c in ("email", "sms") if form.get(f"consent_{c}")),
    )  # fmt: skip


def _form_day(form: Any, name: str) -> Any:
    from datetime import date

    from circo.electionday.procurations import ProxyError

    value = str(form.get(name, "")).strip()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ProxyError(
            f"date du dernier tour « {value} » : attendu AAAA-MM-JJ", loc="dernier tour"
        ) from exc


def last_round_date(ctx: Any) -> Any:
    """The second round's day as far as the campaign knows it: the Sunday after the first
    (L56), two weeks after for a présidentielle; european elections have one round."""
    from datetime import timedelta

    first = ctx.campaign.election_date
    if first is None:
        return None
    kind = ctx.campaign.election_type
    if kind == "europeennes":
        return first
    return first + timedelta(days=14 if kind == "presidentielle" else 7)


@pages.get("/c/{slug}/procurations/new", response_class=HTMLResponse)
def procurations_form(
    request: Request, ctx: CampaignDep, done: Annotated[str, Query(max_length=10)] = ""
) -> HTMLResponse:
    """A mandant's request and a mandataire's offer, typed by the person or by a volunteer
    with them (every member: the volunteer app)."""
    from circo.electionday.proxy_forms import CONSENT_WORDING
    from circo.electionday.proxy_rules import LIMITS, STEPS

    return render(
        request,
        "electionday/proxy_form.html",
        {"done": done, "wording": CONSENT_WORDING, "steps": STEPS, "limits": LIMITS,
         "until": last_round_date(ctx)},
    )  # fmt: skip


@pages.post("/c/{slug}/procurations/request")
def procurations_request(
    session: SessionDep, settings: SettingsDep, ctx: CampaignDep, form: FormDep
) -> Response:
    from circo.electionday.proxy_forms import request_from_form

    request_from_form(
        session, ctx, settings, person=_person(form),
        station=str(form.get("bureau", "")).replace("\x00", "")[:32],
        rounds=str(form.get("rounds", ""))[:10],
        established_abroad=bool(form.get("abroad")), until=_form_day(form, "until"),
    )  # fmt: skip
    return RedirectResponse(f"/c/{ctx.campaign.slug}/procurations/new?done=request", 303)


@pages.post("/c/{slug}/procurations/offer")
def procurations_offer(
    session: SessionDep, settings: SettingsDep, ctx: CampaignDep, form: FormDep
) -> Response:
    from circo.electionday.procurations import ProxyError
    from circo.electionday.proxy_forms import offer_from_form

    text = str(form.get("max_km", "")).strip().replace(",", ".")
    try:
        max_km = float(text)
    except ValueError as exc:
        raise ProxyError(f"distance « {text[:20]} » : attendu un nombre de km", loc="km") from exc
    offer_from_form(
        session, ctx, settings, person=_person(form), rounds=str(form.get("rounds", ""))[:10],
        max_km=max_km, until=_form_day(form, "until"),
    )  # fmt: skip
    return RedirectResponse(f"/c/{ctx.campaign.slug}/procurations/new?done=offer", 303)


@pages.get("/c/{slug}/assessors", response_class=HTMLResponse)
def assessors_page(
    request: Request, session: SessionDep, ctx: ProxyDep, round_number: RoundQuery = 1
) -> HTMLResponse:
    """Coverage of the bureaux (uncovered first, priority first), the designations, the rules,
    the sign-up form and the letters to the mairies."""
    from sqlalchemy import select

    from circo.crm.models import Contact
    from circo.electionday import assessors
    from circo.electionday.assessor_rules import RULES
    from circo.elections.repository import commune_names

    found = assessors.coverage(session, ctx, round_number=round_number)
    ids = sorted({post.contact_id for cover in found["bureaux"] for post in cover.posts})
    names = {
        contact.id: f"{contact.first_name} {contact.last_name}".strip()
        for contact in session.scalars(
            ctx.scoped(select(Contact), Contact).where(Contact.id.in_(ids))
        )
    } if ids else {}  # fmt: skip
    communes = sorted({c.commune_code for c in found["bureaux"] if c.posts})
    dates = sorted({p.vote_date for c in found["bureaux"] for p in c.posts})
    values = {
        **found,
        "names": names,
        "communes": communes,
        "commune_names": commune_names(session, {c.commune_code for c in found["bureaux"]}),
        "rules": RULES,
        "roles": assessors.ROLE_NAMES,
        "deadlines": [assessors.deadline(day, ctx.campaign.timezone) for day in dates],
    }
    return render(request, "electionday/assessors.html", values)


@pages.get("/c/{slug}/assessors/map.svg")
def assessors_map(session: SessionDep, ctx: ProxyDep, round_number: RoundQuery = 1) -> Response:
    """The coverage map (server-side SVG: a colour and a tooltip per bureau)."""
    from circo.electionday import assessors
    from circo.electionday.coverage_map import coverage_svg

    found = assessors.coverage(session, ctx, round_number=round_number)
    svg, _drawn, _without = coverage_svg(session, found)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})


@pages.post("/c/{slug}/assessors/signup")
def assessors_signup(session: SessionDep, ctx: ProxyDep, form: FormDep) -> Response:
    from datetime import date

    from circo.electionday import assessors

    def number(field: str, name: str) -> int:
        text = str(form.get(field, "")).strip()
        if not text.isdigit():
            raise assessors.AssessorError(f"{name} « {text} » : attendu un nombre", loc=name)
        return int(text)

    def day(field: str, name: str) -> date | None:
        text = str(form.get(field, "")).strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise assessors.AssessorError(
                f"{name} « {text} » : attendu AAAA-MM-JJ", loc=name
            ) from exc

    vote_date = day("vote_date", "jour du scrutin")
    if vote_date is None:
        raise assessors.AssessorError("jour du scrutin manquant", loc="jour du scrutin")
    round_number = number("round", "tour")
    assessors.signup(
        session, ctx, contact_id=number("contact", "contact"),
        station=str(form.get("bureau", "")), role=str(form.get("role", "")),
        round_number=round_number, vote_date=vote_date,
        slot=str(form.get("slot", "") or "08:00-20:00"),
        elector_commune=str(form.get("elector_commune", "")),
        birth_date=day("birth_date", "date de naissance"),
        birth_place=str(form.get("birth_place", ""))[:200],
    )  # fmt: skip
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assessors?round={round_number}", status_code=303
    )


@pages.get("/c/{slug}/assessors/mine", response_class=HTMLResponse)
def assessors_mine(
    request: Request, session: SessionDep, ctx: CampaignDep, round_number: RoundQuery = 1
) -> HTMLResponse:
    """The volunteer's phone screen: my designations, the bureaux to cover, sign up."""
    from circo.electionday import self_signup
    from circo.electionday.assessor_rules import RULES
    from circo.electionday.assessors import ROLE_NAMES
    from circo.elections.repository import commune_names

    values = self_signup.overview(session, ctx, round_number=round_number)
    values.update({
        "slots": self_signup.SLOTS, "roles": ROLE_NAMES, "rules": RULES,
        "vote_date": ctx.campaign.election_date if round_number == 1 else None,
        "commune_names": commune_names(
            session, {c.commune_code for c in values["uncovered"]}
            | {p.commune_code for p in values["mine"]}
        ),
    })  # fmt: skip
    return render(request, "electionday/assessors_mine.html", values)


@pages.post("/c/{slug}/assessors/mine")
def assessors_mine_signup(session: SessionDep, ctx: CampaignDep, form: FormDep) -> Response:
    from datetime import date

    from circo.electionday import assessors, self_signup

    text = str(form.get("vote_date", "")).strip()
    try:
        vote_date = date.fromisoformat(text)
    except ValueError as exc:
        raise assessors.AssessorError(
            f"jour du scrutin « {text[:20]} » : attendu AAAA-MM-JJ", loc="jour du scrutin"
        ) from exc
    round_text = str(form.get("round", "1")).strip()
    round_number = int(round_text) if round_text in ("1", "2") else 0
    birth_text = str(form.get("birth_date", "")).strip()
    try:
        birth = date.fromisoformat(birth_text) if birth_text else None
    except ValueError as exc:
        raise assessors.AssessorError(
            f"date de naissance « {birth_text[:20]} » : attendu AAAA-MM-JJ",
            loc="date de naissance",
        ) from exc
    contact_id = self_signup.my_contact_id(session, ctx, create=True)
    assert contact_id is not None
    assessors.signup(
        session, ctx, contact_id=contact_id,
        station=str(form.get("bureau", "")).replace("\x00", "")[:32],
        role=str(form.get("role", ""))[:30], round_number=round_number, vote_date=vote_date,
        slot=str(form.get("slot", "") or "08:00-20:00")[:11],
        elector_commune=str(form.get("elector_commune", ""))[:10],
        birth_date=birth, birth_place=str(form.get("birth_place", "")).replace("\x00", "")[:200],
    )  # fmt: skip
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assessors/mine?round={round_number}", status_code=303
    )


@pages.post("/c/{slug}/assessors/mine/withdraw")
def assessors_mine_withdraw(session: SessionDep, ctx: CampaignDep, form: FormDep) -> Response:
    from circo.electionday import assessors, self_signup

    text = str(form.get("post", ""))
    if not text.isdigit():
        raise assessors.AssessorError("désignation à retirer non reconnue", loc="désignation")
    self_signup.withdraw_mine(session, ctx, int(text))
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assessors/mine", status_code=303)


@pages.post("/c/{slug}/assessors/withdraw")
def assessors_withdraw(session: SessionDep, ctx: ProxyDep, form: FormDep) -> Response:
    from circo.electionday import assessors

    text = str(form.get("post", ""))
    if not text.isdigit():
        raise assessors.AssessorError("désignation à retirer non reconnue", loc="désignation")
    assessors.withdraw_post(session, ctx, int(text))
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assessors", status_code=303)


@pages.get("/c/{slug}/assessors/letters/{commune}.pdf")
def assessors_letter(
    session: SessionDep, ctx: ProxyDep, commune: str, round_number: RoundQuery = 1
) -> Response:
    from circo.electionday import letters

    for found, pdf in letters.letters_pdf(session, ctx, round_number=round_number):
        if found["code"] == commune:
            return Response(
                pdf,
                media_type="application/pdf",
                headers={
                    "Content-Disposition": f'attachment; filename="designations-{commune}'
                    f'-tour{round_number}.pdf"'
                },
            )
    return Response("aucune désignation dans cette commune", status_code=404)


@pages.get("/c/{slug}/assessors/checklist", response_class=HTMLResponse)
def assessors_checklist(request: Request, ctx: CampaignDep) -> HTMLResponse:
    """The day-of checklist: for every member (the volunteers at the bureaux use it)."""
    from circo.electionday.assessor_rules import CHECKLIST

    return render(request, "electionday/assessor_checklist.html", {"steps": CHECKLIST})


@proxy_api.post("/match", response_model=ProxyMatchingRead)
def api_proxy_match(session: SessionDep, ctx: ProxyDep) -> dict[str, Any]:
    """Match the open requests (`circo procurations match --json`)."""
    from circo.electionday import procurations

    return procurations.match(session, ctx)


router = APIRouter()
router.include_router(pages)
router.include_router(proxy_api)
