"""Routes of the OSDI API: ``/api/osdi/v1/…``, HAL+JSON, a node's token in ``OSDI-API-Token``
(or ``Authorization: Bearer osdi_…``). Included by `circo.party.routes`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Select

from circo.core import audit
from circo.core.errors import AuthError
from circo.core.tenancy import CampaignContext
from circo.party.models import ApiScope
from circo.party.osdi import resources as osdi
from circo.party.osdi.schemas import PersonSignup
from circo.party.osdi.signup import person_signup
from circo.party.osdi.tokens import OsdiAccess, access_for
from circo.web.deps import SessionDep
from circo.web.types import IdPath

PREFIX = "/api/osdi/v1"
HAL = "application/hal+json"
HAL_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {HAL: {"schema": {"type": "object"}}}}
}

router = APIRouter(prefix=PREFIX, tags=["osdi"])


class HalResponse(Response):
    media_type = HAL

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode()


def osdi_access(request: Request, session: SessionDep) -> OsdiAccess:
    """The token's access (a plain function: FastAPI runs it in the thread pool)."""
    raw = request.headers.get("osdi-api-token", "").strip()
    authorization = request.headers.get("authorization", "")
    if not raw and authorization.lower().startswith("bearer "):
        raw = authorization[7:].strip()
    if not raw:
        raise AuthError("jeton OSDI requis (en-tête OSDI-API-Token)", loc="OSDI-API-Token")
    access = access_for(session, raw)
    request.state.ctx = access.ctx
    return access


AccessDep = Annotated[OsdiAccess, Depends(osdi_access)]
PageQuery = Annotated[int, Query(ge=1, le=1_000_000)]
PerPageQuery = Annotated[int, Query(ge=1, le=osdi.MAX_PAGE_SIZE)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _reader(access: OsdiAccess) -> CampaignContext:
    access.require(ApiScope.read)
    return access.ctx


def _page(
    request: Request,
    session: SessionDep,
    *,
    path: str,
    rel: str,
    query: Select[Any],
    page: int,
    per_page: int,
    represent: Any,
) -> HalResponse:
    base = _base(request)
    body = osdi.collection(
        session,
        base=base,
        path=path,
        rel=rel,
        query=query,
        paging=osdi.Paging.of(page, per_page),
        represent=lambda rows: represent(base, [row[0] for row in rows]),
    )
    return HalResponse(body)


@router.get("/", responses=HAL_RESPONSE, response_class=HalResponse)
def entry_point(request: Request, access: AccessDep) -> HalResponse:
    ctx = _reader(access)
    base = _base(request)
    names = ("people", "tags", "events", "donations", "forms")
    links: dict[str, Any] = {
        "curies": [
            {
                "name": "osdi",
                "href": "http://opensupporter.github.io/osdi-docs/{rel}",
                "templated": True,
            }
        ],
        "self": {"href": f"{base}/", "title": f"API OSDI de {ctx.campaign.name}"},
    }
    for name in names:
        links[f"osdi:{name}"] = {"href": f"{base}/{name}", "title": name}
    links["osdi:person_signup_helper"] = {
        "href": f"{base}/people/person_signup_helper",
        "title": "person signup helper",
    }
    return HalResponse(
        {
            "motd": f"API OSDI de {ctx.campaign.name}",
            "max_pagesize": osdi.MAX_PAGE_SIZE,
            "vendor_name": "circo",
            "product_name": "circo",
            "osdi_version": "1.1",
            "_links": links,
        }
    )


# --- people ------------------------------------------------------------------------------------


def _people(session: SessionDep, ctx: CampaignContext) -> Any:
    def represent(base: str, contacts: Sequence[Any]) -> list[dict[str, Any]]:
        return osdi.represent_people(session, ctx, base, contacts)

    return represent


@router.get("/people", responses=HAL_RESPONSE, response_class=HalResponse)
def people(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    audit.record(
        session,
        actor=ctx.actor,
        action="osdi.people",
        campaign_id=ctx.campaign_id,
        details={"page": page, "per_page": per_page},
    )
    return _page(
        request,
        session,
        path="people",
        rel="osdi:people",
        query=osdi.people_query(ctx),
        page=page,
        per_page=per_page,
        represent=_people(session, ctx),
    )


@router.post(
    "/people/person_signup_helper",
    responses={200: HAL_RESPONSE[200], 201: HAL_RESPONSE[200]},
    response_class=HalResponse,
)
def signup_helper(
    request: Request, session: SessionDep, access: AccessDep, body: PersonSignup
) -> HalResponse:
    access.require(ApiScope.write)
    signed_up = person_signup(session, access, body)
    base = _base(request)
    representation = osdi.represent_people(session, access.ctx, base, [signed_up.contact])[0]
    return HalResponse(representation, status_code=201 if signed_up.created else 200)


@router.get("/people/{person_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def person(
    request: Request, session: SessionDep, access: AccessDep, person_id: IdPath
) -> HalResponse:
    ctx = _reader(access)
    contact = osdi.get_person(session, ctx, person_id)
    return HalResponse(osdi.represent_people(session, ctx, _base(request), [contact])[0])


@router.get("/people/{person_id}/taggings", responses=HAL_RESPONSE, response_class=HalResponse)
def person_taggings(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    person_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_person(session, ctx, person_id)
    return _page(
        request,
        session,
        path=f"people/{person_id}/taggings",
        rel="osdi:taggings",
        query=osdi.taggings_query(ctx, contact_id=person_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.tagging(base, row) for row in rows],
    )


@router.get("/people/{person_id}/attendances", responses=HAL_RESPONSE, response_class=HalResponse)
def person_attendances(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    person_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_person(session, ctx, person_id)
    return _page(
        request,
        session,
        path=f"people/{person_id}/attendances",
        rel="osdi:attendances",
        query=osdi.attendances_query(ctx, contact_id=person_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.attendance(base, row) for row in rows],
    )


@router.get("/people/{person_id}/donations", responses=HAL_RESPONSE, response_class=HalResponse)
def person_donations(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    person_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_person(session, ctx, person_id)
    return _donations(
        request, session, ctx, f"people/{person_id}/donations", person_id, page, per_page
    )


@router.get("/people/{person_id}/submissions", responses=HAL_RESPONSE, response_class=HalResponse)
def person_submissions(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    person_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_person(session, ctx, person_id)
    return _page(
        request,
        session,
        path=f"people/{person_id}/submissions",
        rel="osdi:submissions",
        query=osdi.submissions_query(ctx, contact_id=person_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.submission(base, row) for row in rows],
    )


# --- tags --------------------------------------------------------------------------------------


@router.get("/tags", responses=HAL_RESPONSE, response_class=HalResponse)
def tags(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    return _page(
        request,
        session,
        path="tags",
        rel="osdi:tags",
        query=osdi.tags_query(ctx),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.tag(base, row) for row in rows],
    )


@router.get("/tags/{tag_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def tag(request: Request, session: SessionDep, access: AccessDep, tag_id: IdPath) -> HalResponse:
    ctx = _reader(access)
    return HalResponse(osdi.tag(_base(request), osdi.get_tag(session, ctx, tag_id)))


@router.get("/tags/{tag_id}/taggings", responses=HAL_RESPONSE, response_class=HalResponse)
def tag_taggings(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    tag_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_tag(session, ctx, tag_id)
    return _page(
        request,
        session,
        path=f"tags/{tag_id}/taggings",
        rel="osdi:taggings",
        query=osdi.taggings_query(ctx, tag_id=tag_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.tagging(base, row) for row in rows],
    )


@router.get(
    "/tags/{tag_id}/taggings/{person_id}", responses=HAL_RESPONSE, response_class=HalResponse
)
def tagging(
    request: Request, session: SessionDep, access: AccessDep, tag_id: IdPath, person_id: IdPath
) -> HalResponse:
    ctx = _reader(access)
    row = session.scalar(osdi.taggings_query(ctx, tag_id=tag_id, contact_id=person_id))
    if row is None:
        raise osdi.NotFound(f"étiquetage {tag_id}-{person_id} introuvable", loc="étiquetage")
    return HalResponse(osdi.tagging(_base(request), row))


# --- events ------------------------------------------------------------------------------------


@router.get("/events", responses=HAL_RESPONSE, response_class=HalResponse)
def events(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    return _page(
        request,
        session,
        path="events",
        rel="osdi:events",
        query=osdi.events_query(ctx),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: osdi.represent_events(session, ctx, base, rows),
    )


@router.get("/events/{event_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def event(
    request: Request, session: SessionDep, access: AccessDep, event_id: IdPath
) -> HalResponse:
    ctx = _reader(access)
    row = osdi.get_event(session, ctx, event_id)
    return HalResponse(osdi.represent_events(session, ctx, _base(request), [row])[0])


@router.get("/events/{event_id}/attendances", responses=HAL_RESPONSE, response_class=HalResponse)
def event_attendances(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    event_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_event(session, ctx, event_id)
    return _page(
        request,
        session,
        path=f"events/{event_id}/attendances",
        rel="osdi:attendances",
        query=osdi.attendances_query(ctx, event_id=event_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.attendance(base, row) for row in rows],
    )


@router.get(
    "/events/{event_id}/attendances/{attendance_id}",
    responses=HAL_RESPONSE,
    response_class=HalResponse,
)
def attendance(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    event_id: IdPath,
    attendance_id: IdPath,
) -> HalResponse:
    ctx = _reader(access)
    row = session.scalar(
        osdi.attendances_query(ctx, event_id=event_id).where(osdi.EventAttendee.id == attendance_id)
    )
    if row is None:
        raise osdi.NotFound(f"participation {attendance_id} introuvable", loc="participation")
    return HalResponse(osdi.attendance(_base(request), row))


# --- donations ---------------------------------------------------------------------------------


def _donations(
    request: Request,
    session: SessionDep,
    ctx: CampaignContext,
    path: str,
    contact_id: int | None,
    page: int,
    per_page: int,
) -> HalResponse:
    audit.record(
        session,
        actor=ctx.actor,
        action="osdi.donations",
        campaign_id=ctx.campaign_id,
        details={"page": page, "per_page": per_page, "contact_id": contact_id},
    )
    return _page(
        request,
        session,
        path=path,
        rel="osdi:donations",
        query=osdi.donations_query(ctx, contact_id=contact_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.donation(base, row, ctx.campaign.name) for row in rows],
    )


@router.get("/donations", responses=HAL_RESPONSE, response_class=HalResponse)
def donations(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    return _donations(request, session, ctx, "donations", None, page, per_page)


@router.get("/donations/{donation_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def donation(
    request: Request, session: SessionDep, access: AccessDep, donation_id: IdPath
) -> HalResponse:
    ctx = _reader(access)
    row = session.scalar(osdi.donations_query(ctx).where(osdi.Donation.id == donation_id))
    if row is None:
        raise osdi.NotFound(f"don {donation_id} introuvable", loc="don")
    return HalResponse(osdi.donation(_base(request), row, ctx.campaign.name))


# --- forms -------------------------------------------------------------------------------------


@router.get("/forms", responses=HAL_RESPONSE, response_class=HalResponse)
def forms(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    return _page(
        request,
        session,
        path="forms",
        rel="osdi:forms",
        query=osdi.forms_query(ctx),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: osdi.represent_forms(session, ctx, base, rows),
    )


@router.get("/forms/{form_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def form(request: Request, session: SessionDep, access: AccessDep, form_id: IdPath) -> HalResponse:
    ctx = _reader(access)
    row = osdi.get_form(session, ctx, form_id)
    return HalResponse(osdi.represent_forms(session, ctx, _base(request), [row])[0])


@router.get("/forms/{form_id}/submissions", responses=HAL_RESPONSE, response_class=HalResponse)
def form_submissions(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    form_id: IdPath,
    page: PageQuery = 1,
    per_page: PerPageQuery = osdi.DEFAULT_PAGE_SIZE,
) -> HalResponse:
    ctx = _reader(access)
    osdi.get_form(session, ctx, form_id)
    return _page(
        request,
        session,
        path=f"forms/{form_id}/submissions",
        rel="osdi:submissions",
        query=osdi.submissions_query(ctx, form_id=form_id),
        page=page,
        per_page=per_page,
        represent=lambda base, rows: [osdi.submission(base, row) for row in rows],
    )


@router.get(
    "/forms/{form_id}/submissions/{submission_id}",
    responses=HAL_RESPONSE,
    response_class=HalResponse,
)
def submission(
    request: Request, session: SessionDep, access: AccessDep, form_id: IdPath, submission_id: IdPath
) -> HalResponse:
    ctx = _reader(access)
    row = session.scalar(
        osdi.submissions_query(ctx, form_id=form_id).where(osdi.FormSubmission.id == submission_id)
    )
    if row is None:
        raise osdi.NotFound(f"réponse {submission_id} introuvable", loc="réponse")
    return HalResponse(osdi.submission(_base(request), row))
