"""Results-night pages (live aggregation, HQ screen, export, phone entry of a PV) and the JSON
API alongside.

The phone page lives under ``/c/{slug}/night/pv/`` with its script and service worker (scope:
that folder), like the volunteer app of `circo.field`: the page keeps working offline, the PVs
typed meanwhile wait in the phone's storage and are sent when the network is back, each with
its own id so that a retry never enters a PV twice."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from circo.bounds import no_nul
from circo.core.models import Role
from circo.core.spreadsheet import csv_text
from circo.core.tenancy import CampaignContext
from circo.electionday import live, service
from circo.electionday.schemas import (
    AggregateRead,
    PhotoAck,
    ProjectionRead,
    ProxyMatchingRead,
    PvAck,
    PvIn,
)
from circo.errors import CircoError
from circo.web.deps import CampaignDep, FormDep, SessionDep, SettingsDep, require_role
from circo.web.registry import NavItem
from circo.web.templating import add_template_dir, render

add_template_dir(str(resources.files("circo") / "electionday" / "templates"))

STATIC = Path(str(resources.files("circo") / "electionday" / "static"))
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/night", tags=["electionday"])
proxy_api = APIRouter(prefix="/api/campaigns/{slug}/procurations", tags=["electionday"])
router = APIRouter()
StaffDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser, Role.comms))]
ElectionQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=40)]
ReferenceQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=50)]
LevelQuery = Annotated[str, Query(pattern="^(dep|circ|com)$")]

NAV_ITEMS = [
    NavItem("Soirée électorale", "night", roles=(Role.data, Role.organiser, Role.comms),
            order=48, group="Terrain"),
    NavItem("Saisir un procès-verbal", "night/pv/", order=49, group="Terrain"),
    NavItem("Procurations", "procurations", roles=(Role.organiser, Role.data), order=47,
            group="Terrain"),
    NavItem("Procuration : demande ou offre", "procurations/new", order=47, group="Terrain"),
    NavItem("Assesseurs et délégués", "assessors", roles=(Role.organiser, Role.data),
            order=46, group="Terrain"),
    NavItem("Être assesseur ou délégué", "assessors/mine", order=46, group="Terrain"),
]  # fmt: skip


def _night_choice(
    session: Session, ctx: CampaignContext, election: str, round_number: int | None
) -> tuple[str, int] | None:
    if election and round_number:
        return service.election_key(election, round_number), round_number
    known = live.nights(session, ctx)
    return known[0] if known else None


# --- pages ------------------------------------------------------------------------------------


@pages.get("/c/{slug}/night", response_class=HTMLResponse)
def night_page(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery = "",
    round_number: Annotated[int | None, Query(alias="round", ge=1, le=2)] = None,
    reference: ReferenceQuery = "",
    level: LevelQuery = "dep",
    territory: ReferenceQuery = "",
    screen: bool = False,
) -> HTMLResponse:
    """The live aggregation (``screen=1``: the HQ display, large, refreshed every 30 s)."""
    values: dict[str, Any] = {
        "nights": live.nights(session, ctx),
        "reference": reference,
        "level": level,
        "screen": screen,
        "error": "",
        "result": None,
        "projection": None,
        "night_title": live.night_title,
        "territory": territory or ctx.campaign.territory_code or "fr",
        "entries": [],
    }
    try:
        chosen = _night_choice(session, ctx, election, round_number)
        if chosen is not None:
            key, round_value = chosen
            values["election"], values["round"] = key, round_value
            if not reference:
                reference = live.default_reference(session, key, round_value)
                values["reference"] = reference
            if not screen:
                values["entries"] = live.entries(
                    session, ctx, election=key, round_number=round_value
                )
            values["result"] = live.aggregate(
                session, ctx, election=key, round_number=round_value, level=level,
                reference=reference or None,
            )  # fmt: skip
            if reference and values["result"]["areas"]:
                values["projection"] = service.project(
                    session, ctx, election=key, round_number=round_value, reference=reference,
                    territory=values["territory"], n_boot=100,
                )  # fmt: skip
    except CircoError as exc:
        values["error"] = str(exc)
    template = "electionday/screen.html" if screen else "electionday/night.html"
    response = render(request, template, values)
    if screen:
        response.headers["Refresh"] = "30"
    return response


@pages.get("/c/{slug}/night/export.csv")
def night_export(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
) -> Response:
    """The entered PVs as a results file (`circo night enter` and `circo import results` read
    it back). Public figures, no personal data: no audit line."""
    headers, rows = live.export_rows(session, ctx, election=election, round_number=round_number)
    name = f"pv-{service.election_key(election, round_number)}-t{round_number}.csv"
    return Response(
        csv_text(headers, rows, delimiter=","),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.get("/c/{slug}/night/log.csv")
def night_log_export(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
) -> Response:
    """Who entered and confirmed each PV (names of the team's users: an audit line)."""
    from circo.core import audit

    headers, rows = live.log_rows(session, ctx, election=election, round_number=round_number)
    key = service.election_key(election, round_number)
    audit.record(
        session, actor=ctx.actor, action="night.log_export", campaign_id=ctx.campaign_id,
        target_type="night", target_id=f"{key}:{round_number}", details={"rows": len(rows)},
    )  # fmt: skip
    return Response(
        csv_text(headers, rows, delimiter=","),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="saisies-{key}-t{round_number}.csv"'
        },
    )


@pages.get("/c/{slug}/night/photos/{photo_id}")
def night_photo(
    session: SessionDep, settings: SettingsDep, ctx: StaffDep, photo_id: int
) -> Response:
    """A PV's photo, shown next to its entry on the HQ page."""
    from circo.electionday.photos import photo_file

    path, media_type = photo_file(session, ctx, settings.data_dir, photo_id)
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


@pages.get("/c/{slug}/night/pv/", response_class=HTMLResponse)
def pv_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    """The phone page: type a bureau's PV, offline included."""
    chosen = _night_choice(session, ctx, "", None)
    names: list[str] = []
    if chosen is not None:
        names = live.ballot(session, ctx, election=chosen[0], round_number=chosen[1])
    response = render(
        request,
        "electionday/pv.html",
        {
            "slug": ctx.campaign.slug,
            "election": chosen[0] if chosen else "",
            "round": chosen[1] if chosen else 1,
            "names": names,
        },
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


_ASSETS = {"pv.js": "text/javascript; charset=utf-8", "sw.js": "text/javascript; charset=utf-8"}


@pages.get("/c/{slug}/night/pv/{asset}")
def pv_asset(slug: str, asset: str) -> Response:
    """The phone page's script and service worker (no data in them: no login needed)."""
    if asset not in _ASSETS:
        return Response("introuvable", status_code=404)
    return FileResponse(
        STATIC / asset, media_type=_ASSETS[asset], headers={"Cache-Control": "no-cache"}
    )


ProxyDep = Annotated[CampaignContext, Depends(require_role(Role.organiser, Role.data))]


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
         "until": ctx.campaign.election_date},
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


RoundQuery = Annotated[int, Query(alias="round", ge=1, le=2)]


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


# --- API --------------------------------------------------------------------------------------


@api.post("/pv", response_model=PvAck)
def api_enter_pv(session: SessionDep, ctx: CampaignDep, body: PvIn) -> dict[str, Any]:
    """Enter one PV (phone). Idempotent by ``entry_key``; the same figures as an earlier entry
    confirm it; different ones are refused (409) naming both versions; bad arithmetic 422."""
    return live.enter_phone_pv(
        session,
        ctx,
        live.PhonePv(
            client_id=body.entry_key,
            election=body.election,
            round=body.round,
            station=body.station,
            registered=body.registered,
            voters=body.voters,
            blank=body.blank,
            null_votes=body.null_votes,
            valid_votes=body.valid_votes,
            candidates=tuple((c.name, c.votes) for c in body.candidates),
        ),
    )


async def photo_body(request: Request) -> bytes:
    """The photo's bytes, read on the event loop and cut at one byte past the limit (the check
    then refuses it naming the limit, without holding a huge body in memory)."""
    from circo.electionday.photos import MAX_BYTES

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BYTES:
            break
    return b"".join(chunks)[: MAX_BYTES + 1]


PhotoBody = Annotated[bytes, Depends(photo_body)]
KeyQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=64)]


@api.post("/pv/photo", response_model=PhotoAck)
def api_pv_photo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    body: PhotoBody,
    result: Annotated[int, Query(ge=1)],
    photo: KeyQuery,
) -> dict[str, Any]:
    """The photo of an entered PV (the id answered for the PV), the image as the body
    (``Content-Type`` image/jpeg, image/png or image/webp, at most 8 Mo). Idempotent by
    ``photo`` (the phone's id of the photo)."""
    from circo.electionday.photos import store_photo

    return store_photo(
        session, ctx, settings.data_dir, result_id=result, photo_key=photo, data=body,
        declared_type=request.headers.get("content-type", ""),
    )  # fmt: skip


@api.get("/aggregate", response_model=AggregateRead)
def api_aggregate(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
    level: LevelQuery = "dep",
    reference: ReferenceQuery = "",
) -> dict[str, Any]:
    """Counted totals per territory, share of bureaux and registered counted, anomalies."""
    return live.aggregate(
        session, ctx, election=election, round_number=round_number, level=level,
        reference=reference or None,
    )  # fmt: skip


@api.get("/project", response_model=ProjectionRead)
def api_project(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
    reference: ReferenceQuery,
    territory: ReferenceQuery = "fr",
) -> dict[str, Any]:
    """`circo night project --json` (plus the naive total and the assumptions)."""
    return service.project(
        session, ctx, election=election, round_number=round_number, reference=reference,
        territory=territory,
    )  # fmt: skip


@proxy_api.post("/match", response_model=ProxyMatchingRead)
def api_proxy_match(session: SessionDep, ctx: ProxyDep) -> dict[str, Any]:
    """Match the open requests (`circo procurations match --json`)."""
    from circo.electionday import procurations

    return procurations.match(session, ctx)


router.include_router(pages)
router.include_router(proxy_api)
router.include_router(api)
