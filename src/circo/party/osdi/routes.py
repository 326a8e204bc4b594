"""Routes of the OSDI API: ``/api/osdi/v1/…``, HAL+JSON, a node's token in ``OSDI-API-Token``
(or ``Authorization: Bearer osdi_…``). Included by `circo.party.routes`.

The reads are declared, not written out: a `Collection` (a paginated list, optionally under a
parent that must exist) and an `Item` per resource, turned into routes by `_collection_route`
and `_item_route` (the path's ``{…_id}`` segments become validated path parameters). Writes
(scope ``write``) are the few routes at the end, each calling a service of
`circo.party.osdi.writes` / `signup`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.errors import AuthError
from circo.core.tenancy import CampaignContext
from circo.party.models import ApiScope
from circo.party.osdi import resources as osdi
from circo.party.osdi import writes
from circo.party.osdi.schemas import (
    AttendanceIn,
    AttendanceUpdate,
    PersonIn,
    PersonPost,
    PersonSignup,
    SubmissionIn,
    TaggingIn,
    TagIn,
)
from circo.party.osdi.signup import person_signup, update_person, upsert_person
from circo.party.osdi.tokens import OsdiAccess, access_for
from circo.web.deps import SessionDep
from circo.web.types import IdPath

PREFIX = "/api/osdi/v1"
HAL = "application/hal+json"
HAL_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {HAL: {"schema": {"type": "object"}}}}
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: HAL_RESPONSE[200],
    201: HAL_RESPONSE[200],
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

Ids = dict[str, int]
Represent = Callable[[Session, CampaignContext, str, Sequence[Any]], list[dict[str, Any]]]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _reader(access: OsdiAccess) -> CampaignContext:
    access.require(ApiScope.read)
    return access.ctx


def _writer(access: OsdiAccess) -> CampaignContext:
    access.require(ApiScope.write)
    return access.ctx


# --- the route factory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """A paginated list: ``query`` of the context and the path's ids, each page's rows turned
    into OSDI documents by ``represent``; ``parent`` (when set) must exist (404 otherwise);
    ``audit`` names the audit-log action of a read of personal data."""

    path: str
    rel: str
    query: Callable[[CampaignContext, Ids], Select[Any]]
    represent: Represent
    parent: Callable[[Session, CampaignContext, Ids], Any] | None = None
    audit: str | None = None


@dataclass(frozen=True)
class Item:
    """One document: ``find`` raises NotFound for an id outside the token's campaign."""

    path: str
    find: Callable[[Session, CampaignContext, Ids], Any]
    represent: Represent


def _id_names(path: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", path)


def _endpoint(
    name: str, path: str, handler: Callable[..., HalResponse], extra: list[inspect.Parameter]
) -> Callable[..., HalResponse]:
    """A function FastAPI reads like a hand-written one: request, session, token access, the
    path's ids (``IdPath``), then ``extra`` (page, body…); it calls ``handler`` with the ids
    as one dict."""
    names = _id_names(path)
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("request", keyword, annotation=Request),
        inspect.Parameter("session", keyword, annotation=SessionDep),
        inspect.Parameter("access", keyword, annotation=AccessDep),
        *[inspect.Parameter(id_name, keyword, annotation=IdPath) for id_name in names],
        *extra,
    ]

    def endpoint(**kwargs: Any) -> HalResponse:
        ids = {id_name: int(kwargs.pop(id_name)) for id_name in names}
        return handler(ids=ids, **kwargs)

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = name
    return endpoint


PAGING = [
    inspect.Parameter("page", inspect.Parameter.KEYWORD_ONLY, annotation=PageQuery, default=1),
    inspect.Parameter(
        "per_page",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=PerPageQuery,
        default=osdi.DEFAULT_PAGE_SIZE,
    ),
]


def _collection_route(spec: Collection) -> None:
    def handler(
        *,
        ids: Ids,
        request: Request,
        session: Session,
        access: OsdiAccess,
        page: int,
        per_page: int,
    ) -> HalResponse:
        ctx = _reader(access)
        if spec.parent is not None:
            spec.parent(session, ctx, ids)
        if spec.audit is not None:
            audit.record(
                session,
                actor=ctx.actor,
                action=spec.audit,
                campaign_id=ctx.campaign_id,
                details={"page": page, "per_page": per_page, **ids},
            )
        base = _base(request)
        path = spec.path.format(**ids)
        body = osdi.collection(
            session,
            base=base,
            path=path,
            rel=spec.rel,
            query=spec.query(ctx, ids),
            paging=osdi.Paging.of(page, per_page),
            represent=lambda rows: spec.represent(session, ctx, base, [row[0] for row in rows]),
        )
        return HalResponse(body)

    name = "osdi_" + re.sub(r"\W+", "_", spec.path).strip("_")
    router.add_api_route(
        "/" + spec.path,
        _endpoint(name, spec.path, handler, PAGING),
        methods=["GET"],
        responses=HAL_RESPONSE,
        response_class=HalResponse,
        name=name,
    )


def _item_route(spec: Item) -> None:
    def handler(*, ids: Ids, request: Request, session: Session, access: OsdiAccess) -> HalResponse:
        ctx = _reader(access)
        row = spec.find(session, ctx, ids)
        return HalResponse(spec.represent(session, ctx, _base(request), [row])[0])

    name = "osdi_" + re.sub(r"\W+", "_", spec.path).strip("_")
    router.add_api_route(
        "/" + spec.path,
        _endpoint(name, spec.path, handler, []),
        methods=["GET"],
        responses=HAL_RESPONSE,
        response_class=HalResponse,
        name=name,
    )


def _each(render: Callable[[str, Any], dict[str, Any]]) -> Represent:
    return lambda _session, _ctx, base, rows: [render(base, row) for row in rows]


def _one_of(
    query: Callable[[CampaignContext, Ids], Select[Any]], what: str, loc: str, key: str
) -> Any:
    """``find`` for a row reached by a query; 404 "<what> <id> introuvable" otherwise."""

    def find(session: Session, ctx: CampaignContext, ids: Ids) -> Any:
        row = session.scalar(query(ctx, ids))
        if row is None:
            raise osdi.NotFound(f"{what} {key.format(**ids)} introuvable", loc=loc)
        return row

    return find


def _person(session: Session, ctx: CampaignContext, ids: Ids) -> Any:
    return osdi.get_person(session, ctx, ids["person_id"])


def _donation(base: str, row: Any, ctx: CampaignContext) -> dict[str, Any]:
    return osdi.donation(base, row, ctx.campaign.name)


def _donations(_session: Session, ctx: CampaignContext, base: str, rows: Sequence[Any]) -> Any:
    return [_donation(base, row, ctx) for row in rows]


# --- the entry point -----------------------------------------------------------------------------


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


# --- writes (declared before the reads: /people/person_signup_helper is not /people/{id}) -----


@router.post("/people/person_signup_helper", responses=WRITE_RESPONSES, response_class=HalResponse)
def signup_helper(
    request: Request, session: SessionDep, access: AccessDep, body: PersonSignup
) -> HalResponse:
    ctx = _writer(access)
    signed_up = person_signup(session, access, body)
    representation = osdi.represent_people(session, ctx, _base(request), [signed_up.contact])[0]
    return HalResponse(representation, status_code=201 if signed_up.created else 200)


@router.post("/people", responses=WRITE_RESPONSES, response_class=HalResponse)
def post_person(
    request: Request, session: SessionDep, access: AccessDep, body: PersonPost
) -> HalResponse:
    """Create a person, or match one by email then phone (the signup helper's rules)."""
    ctx = _writer(access)
    person = PersonIn(
        given_name=body.given_name or "",
        family_name=body.family_name or "",
        email_addresses=body.email_addresses,
        phone_numbers=body.phone_numbers,
        postal_addresses=body.postal_addresses,
    )
    signed_up = upsert_person(session, access, person, add=body.add_tags)
    representation = osdi.represent_people(session, ctx, _base(request), [signed_up.contact])[0]
    return HalResponse(representation, status_code=201 if signed_up.created else 200)


@router.put("/people/{person_id}", responses=HAL_RESPONSE, response_class=HalResponse)
def put_person(
    request: Request, session: SessionDep, access: AccessDep, person_id: IdPath, body: PersonPost
) -> HalResponse:
    ctx = _writer(access)
    contact = update_person(session, access, osdi.get_person(session, ctx, person_id), body)
    return HalResponse(osdi.represent_people(session, ctx, _base(request), [contact])[0])


@router.post("/tags", responses=WRITE_RESPONSES, response_class=HalResponse)
def post_tag(request: Request, session: SessionDep, access: AccessDep, body: TagIn) -> HalResponse:
    _writer(access)
    written = writes.create_tag(session, access, body.name)
    return HalResponse(
        osdi.tag(_base(request), written.row), status_code=201 if written.created else 200
    )


@router.post("/tags/{tag_id}/taggings", responses=WRITE_RESPONSES, response_class=HalResponse)
def post_tagging(
    request: Request, session: SessionDep, access: AccessDep, tag_id: IdPath, body: TaggingIn
) -> HalResponse:
    _writer(access)
    written = writes.add_tagging(session, access, tag_id, body)
    return HalResponse(
        osdi.tagging(_base(request), written.row), status_code=201 if written.created else 200
    )


@router.delete("/tags/{tag_id}/taggings/{person_id}", status_code=204, response_class=Response)
def delete_tagging(
    session: SessionDep, access: AccessDep, tag_id: IdPath, person_id: IdPath
) -> Response:
    _writer(access)
    writes.remove_tagging(session, access, tag_id, person_id)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/attendances", responses=WRITE_RESPONSES, response_class=HalResponse
)
def post_attendance(
    request: Request, session: SessionDep, access: AccessDep, event_id: IdPath, body: AttendanceIn
) -> HalResponse:
    _writer(access)
    written = writes.record_attendance(session, access, event_id, body)
    return HalResponse(
        osdi.attendance(_base(request), written.row), status_code=201 if written.created else 200
    )


@router.put(
    "/events/{event_id}/attendances/{attendance_id}",
    responses=HAL_RESPONSE,
    response_class=HalResponse,
)
def put_attendance(
    request: Request,
    session: SessionDep,
    access: AccessDep,
    event_id: IdPath,
    attendance_id: IdPath,
    body: AttendanceUpdate,
) -> HalResponse:
    _writer(access)
    row = writes.update_attendance(session, access, event_id, attendance_id, body)
    return HalResponse(osdi.attendance(_base(request), row))


@router.post("/forms/{form_id}/submissions", responses=WRITE_RESPONSES, response_class=HalResponse)
def post_submission(
    request: Request, session: SessionDep, access: AccessDep, form_id: IdPath, body: SubmissionIn
) -> HalResponse:
    _writer(access)
    row = writes.record_submission(session, access, form_id, body)
    return HalResponse(osdi.submission(_base(request), row), status_code=201)


# --- the reads, declared -------------------------------------------------------------------------

COLLECTIONS = [
    Collection(
        "people",
        "osdi:people",
        lambda ctx, _ids: osdi.people_query(ctx),
        osdi.represent_people,
        audit="osdi.people",
    ),
    Collection(
        "people/{person_id}/taggings",
        "osdi:taggings",
        lambda ctx, ids: osdi.taggings_query(ctx, contact_id=ids["person_id"]),
        _each(osdi.tagging),
        parent=_person,
    ),
    Collection(
        "people/{person_id}/attendances",
        "osdi:attendances",
        lambda ctx, ids: osdi.attendances_query(ctx, contact_id=ids["person_id"]),
        _each(osdi.attendance),
        parent=_person,
    ),
    Collection(
        "people/{person_id}/donations",
        "osdi:donations",
        lambda ctx, ids: osdi.donations_query(ctx, contact_id=ids["person_id"]),
        _donations,
        parent=_person,
        audit="osdi.donations",
    ),
    Collection(
        "people/{person_id}/submissions",
        "osdi:submissions",
        lambda ctx, ids: osdi.submissions_query(ctx, contact_id=ids["person_id"]),
        _each(osdi.submission),
        parent=_person,
    ),
    Collection("tags", "osdi:tags", lambda ctx, _ids: osdi.tags_query(ctx), _each(osdi.tag)),
    Collection(
        "tags/{tag_id}/taggings",
        "osdi:taggings",
        lambda ctx, ids: osdi.taggings_query(ctx, tag_id=ids["tag_id"]),
        _each(osdi.tagging),
        parent=lambda session, ctx, ids: osdi.get_tag(session, ctx, ids["tag_id"]),
    ),
    Collection(
        "events", "osdi:events", lambda ctx, _ids: osdi.events_query(ctx), osdi.represent_events
    ),
    Collection(
        "events/{event_id}/attendances",
        "osdi:attendances",
        lambda ctx, ids: osdi.attendances_query(ctx, event_id=ids["event_id"]),
        _each(osdi.attendance),
        parent=lambda session, ctx, ids: osdi.get_event(session, ctx, ids["event_id"]),
    ),
    Collection(
        "donations",
        "osdi:donations",
        lambda ctx, _ids: osdi.donations_query(ctx),
        _donations,
        audit="osdi.donations",
    ),
    Collection(
        "forms", "osdi:forms", lambda ctx, _ids: osdi.forms_query(ctx), osdi.represent_forms
    ),
    Collection(
        "forms/{form_id}/submissions",
        "osdi:submissions",
        lambda ctx, ids: osdi.submissions_query(ctx, form_id=ids["form_id"]),
        _each(osdi.submission),
        parent=lambda session, ctx, ids: osdi.get_form(session, ctx, ids["form_id"]),
    ),
]

ITEMS = [
    Item("people/{person_id}", _person, osdi.represent_people),
    Item(
        "tags/{tag_id}",
        lambda session, ctx, ids: osdi.get_tag(session, ctx, ids["tag_id"]),
        _each(osdi.tag),
    ),
    Item(
        "tags/{tag_id}/taggings/{person_id}",
        _one_of(
            lambda ctx, ids: osdi.taggings_query(
                ctx, tag_id=ids["tag_id"], contact_id=ids["person_id"]
            ),
            "étiquetage",
            "étiquetage",
            "{tag_id}-{person_id}",
        ),
        _each(osdi.tagging),
    ),
    Item(
        "events/{event_id}",
        lambda session, ctx, ids: osdi.get_event(session, ctx, ids["event_id"]),
        osdi.represent_events,
    ),
    Item(
        "events/{event_id}/attendances/{attendance_id}",
        _one_of(
            lambda ctx, ids: osdi.attendances_query(ctx, event_id=ids["event_id"]).where(
                osdi.EventAttendee.id == ids["attendance_id"]
            ),
            "participation",
            "participation",
            "{attendance_id}",
        ),
        _each(osdi.attendance),
    ),
    Item(
        "donations/{donation_id}",
        _one_of(
            lambda ctx, ids: osdi.donations_query(ctx).where(
                osdi.Donation.id == ids["donation_id"]
            ),
            "don",
            "don",
            "{donation_id}",
        ),
        _donations,
    ),
    Item(
        "forms/{form_id}",
        lambda session, ctx, ids: osdi.get_form(session, ctx, ids["form_id"]),
        osdi.represent_forms,
    ),
    Item(
        "forms/{form_id}/submissions/{submission_id}",
        _one_of(
            lambda ctx, ids: osdi.submissions_query(ctx, form_id=ids["form_id"]).where(
                osdi.FormSubmission.id == ids["submission_id"]
            ),
            "réponse",
            "réponse",
            "{submission_id}",
        ),
        _each(osdi.submission),
    ),
]

for _spec in COLLECTIONS:
    _collection_route(_spec)
for _item in ITEMS:
    _item_route(_item)
