"""Assistant pages (volunteer search, knowledge base, leaflets, rebuttals) and JSON API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from pydantic import AfterValidator

from circo.assistant import feeds, leaflet, repository, routes_ripostes, routes_studio, service
from circo.assistant.errors import AssistantError
from circo.assistant.rebuttal import rebut
from circo.assistant.retrieval import Filters, search
from circo.assistant.schemas import (
    AddOutcomeRead,
    AnswerRead,
    ArgumentSheetRead,
    DeletedRead,
    DocumentDetail,
    DocumentRead,
    FeedRead,
    LeafletIn,
    LeafletRead,
    PassageContextRead,
    RebutIn,
    RebuttalRead,
    SearchHitRead,
)
from circo.assistant.tasks import argue, ask, ask_stream, mode_for
from circo.bounds import MAX_COUNT, SHORT_TEXT, ShortText, no_nul
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.db import session_scope
from circo.elections.service import place_names
from circo.web.deps import (
    CampaignDep,
    FormDep,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    require_role,
)
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath, QueryOptText, limit_query

add_template_dir(str(resources.files("circo") / "assistant" / "templates"))

router = APIRouter()
CommsDep = Annotated[CampaignContext, Depends(require_role(Role.comms))]
PAGE = "/c/{slug}/assistant"
API = "/api/campaigns/{slug}/assistant"
STATIC = resources.files("circo") / "assistant" / "static"

NAV_ITEMS = [
    NavItem("Argumentaire", "assistant", order=60, group="Assistant"),
    NavItem("Base documentaire", "assistant/kb", roles=(Role.comms,), order=61, group="Assistant"),
    NavItem("Tracts", "assistant/leaflets", roles=(Role.comms,), order=62, group="Assistant"),
    NavItem("Ripostes", "assistant/ripostes", order=63, group="Assistant"),
    NavItem("Studio", "assistant/studio", roles=(Role.comms,), order=64, group="Assistant"),
    NavItem(
        "Calendrier éditorial",
        "assistant/studio/calendar",
        roles=(Role.comms,),
        order=65,
        group="Assistant",
    ),
]


def dashboard_cards(session: SessionDep, ctx: CampaignContext) -> list[Card]:
    if ctx.role is Role.volunteer:  # a volunteer's dashboard holds only their own cards
        return [
            Card("Argumentaire", "→", "chercher un argument", f"/c/{ctx.campaign.slug}/assistant")
        ]
    documents, passages = repository.count_documents(session, ctx)
    return [
        Card(
            title="Base documentaire",
            value=str(documents),
            detail=f"{passages} passages indexés",
            href=f"/c/{ctx.campaign.slug}/assistant",
        )
    ]


def _filters(
    doc_type: str | None, territory: str | None, since: str | None, until: str | None
) -> Filters:
    return Filters(
        doc_types=(service.parse_doc_type(doc_type),) if doc_type else (),
        territory=territory or None,
        since=service.parse_day(since, loc="since"),
        until=service.parse_day(until, loc="until"),
    )


# --- pages: volunteer search ------------------------------------------------------------------


@router.get("/assistant/static/assistant.js", include_in_schema=False)
def assistant_js() -> FileResponse:
    return FileResponse(str(STATIC / "assistant.js"), media_type="text/javascript")


@router.get(PAGE, response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    q: str = "",
) -> HTMLResponse:
    sheet = argue(session, ctx, keyword=q, settings=settings) if q.strip() else None
    return render(
        request, "assistant/search.html", {"q": q, "sheet": sheet, "mode": mode_for(settings)}
    )


@router.get(PAGE + "/passages/{passage_id}", response_class=HTMLResponse, include_in_schema=False)
def passage_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    passage_id: IdPath,
    start: int | None = None,
    end: int | None = None,
) -> HTMLResponse:
    return render(
        request, "assistant/passage.html", _passage_context(session, ctx, passage_id, start, end)
    )


def _passage_context(
    session: SessionDep, ctx: CampaignContext, passage_id: int, start: int | None, end: int | None
) -> dict[str, Any]:
    passage, document = repository.get_passage(session, ctx, passage_id, with_shared=True)
    if (
        start is None
        or end is None
        or not (passage.start_offset <= start < end <= passage.end_offset)
    ):
        start, end = passage.start_offset, passage.end_offset
    before_from = max(0, passage.start_offset - 600)
    after_to = min(len(document.text), passage.end_offset + 600)
    return {
        "document": service.document_summary(document),
        "heading": passage.heading_path,
        "before": document.text[before_from:start],
        "quote": document.text[start:end],
        "after": document.text[end:after_to],
        "passage_id": passage.id,
    }


@router.get(PAGE + "/rebut", response_class=HTMLResponse, include_in_schema=False)
def rebut_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    claim: str = "",
) -> HTMLResponse:
    result = rebut(session, ctx, claim=claim, settings=settings) if claim.strip() else None
    return render(request, "assistant/rebut.html", {"claim": claim, "result": result})


# --- pages: knowledge base --------------------------------------------------------------------


@router.get(PAGE + "/kb", response_class=HTMLResponse, include_in_schema=False)
def kb_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    documents = [service.document_summary(d) for d in repository.list_documents(session, ctx)]
    codes = [code for document in documents for code in document["territories"]]
    return render(
        request,
        "assistant/kb.html",
        {
            "documents": documents,
            "place_names": place_names(session, codes),
            "feeds": [feeds.feed_summary(f) for f in repository.list_feeds(session, ctx)],
            "report": request.query_params.get("report"),
        },
    )


def _meta(doc_type: str, title: str, territory: str, day: str) -> service.DocumentMeta:
    return service.DocumentMeta(
        title=title.strip() or None,
        doc_type=service.parse_doc_type(doc_type) if doc_type else None,
        territory_codes=[code.strip() for code in territory.split(",") if code.strip()],
        published_on=service.parse_day(day),
    )


@router.post(PAGE + "/kb/upload", include_in_schema=False)
def kb_upload(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    files: Annotated[list[UploadFile], File()],
    doc_type: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    territory: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
) -> Response:
    meta = _meta(doc_type, title, territory, day)
    statuses = []
    for upload in files:
        name = upload.filename or "document"
        try:
            outcome = service.add_bytes(
                session,
                ctx,
                data=upload.file.read(),
                name=name,
                source=name,
                meta=meta,
                settings=settings,
            )
            statuses.append(f"{name} : {outcome.status}")
        except AssistantError as exc:
            statuses.append(f"échec — {exc}")
    return _back_to_kb(ctx, " · ".join(statuses))


def _back_to_kb(ctx: CampaignContext, report: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assistant/kb?report={quote(report[:1500])}", status_code=303
    )


@router.post(PAGE + "/kb/url", include_in_schema=False)
def kb_url(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    url: Annotated[str, Form()],
    doc_type: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    territory: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
) -> Response:
    if not url.startswith(("http://", "https://")):
        raise AssistantError(f"URL invalide « {url} » (attendu https://…)", loc="url")
    outcomes = service.add_source(
        session,
        ctx,
        source=url.strip(),
        meta=_meta(doc_type, title, territory, day),
        settings=settings,
    )
    return _back_to_kb(ctx, " · ".join(f"{o.title} : {o.status}" for o in outcomes))


@router.post(PAGE + "/kb/{document_id}/delete", include_in_schema=False)
def kb_delete(session: SessionDep, ctx: CommsDep, document_id: IdPath) -> Response:
    title = service.delete_document(session, ctx, document_id=document_id)
    return _back_to_kb(ctx, f"supprimé : {title}")


@router.post(PAGE + "/kb/feeds", include_in_schema=False)
def kb_feed_add(
    session: SessionDep,
    ctx: CommsDep,
    url: Annotated[str, Form()],
    territory: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
) -> Response:
    feed = feeds.add_feed(
        session, ctx, url=url, territory_code=territory, territory_name=name or None
    )
    return _back_to_kb(ctx, f"flux n° {feed.id} ajouté")


@router.post(PAGE + "/kb/feeds/refresh", include_in_schema=False)
def kb_feed_refresh(session: SessionDep, settings: SettingsDep, ctx: CommsDep) -> Response:
    results = feeds.refresh_all(session, ctx, settings=settings)
    return _back_to_kb(
        ctx,
        " · ".join(f"flux {r['feed_id']} : {r['status']}, {r['new']} nouveau(x)" for r in results)
        or "aucun flux",
    )


# --- pages: leaflets --------------------------------------------------------------------------


@router.get(PAGE + "/leaflets", response_class=HTMLResponse, include_in_schema=False)
def leaflets_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    return render(
        request,
        "assistant/leaflets.html",
        {
            "leaflets": repository.list_leaflets(session, ctx),
            "places": repository.list_places(session, ctx),
        },
    )


@router.post(PAGE + "/leaflets", include_in_schema=False)
def leaflets_create(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    territory: Annotated[str, Form()],
    topic: Annotated[str, Form()],
) -> Response:
    draft = leaflet.create_leaflet(
        session, ctx, territory=territory, topic=topic, settings=settings
    )
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assistant/leaflets/{draft.id}", status_code=303
    )


@router.get(PAGE + "/leaflets/{leaflet_id}", response_class=HTMLResponse, include_in_schema=False)
def leaflet_editor(
    request: Request, session: SessionDep, ctx: CommsDep, leaflet_id: IdPath
) -> HTMLResponse:
    draft = repository.get_leaflet(session, ctx, leaflet_id)
    return render(
        request, "assistant/leaflet_edit.html", {"leaflet": draft, "content": draft.content}
    )


@router.post(PAGE + "/leaflets/{leaflet_id}", include_in_schema=False)
def leaflet_save(session: SessionDep, ctx: CommsDep, leaflet_id: int, form: FormDep) -> Response:
    texts: dict[tuple[int, int], str] = {}
    headings: dict[int, str] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            continue
        parts = key.split("-")
        if parts[0] == "item" and len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            texts[(int(parts[1]), int(parts[2]))] = value
        elif parts[0] == "heading" and len(parts) == 2 and parts[1].isdigit():
            headings[int(parts[1])] = value
    title = form.get("title")
    leaflet.update_leaflet(
        session,
        ctx,
        leaflet_id=leaflet_id,
        title=title if isinstance(title, str) else "",
        texts=texts,
        headings=headings,
    )
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assistant/leaflets/{leaflet_id}?msg=saved", status_code=303
    )


@router.get(PAGE + "/leaflets/{leaflet_id}/export.{fmt}", include_in_schema=False)
def leaflet_export(session: SessionDep, ctx: CommsDep, leaflet_id: IdPath, fmt: str) -> Response:
    draft = repository.get_leaflet(session, ctx, leaflet_id)
    filename = f"tract-{draft.id}"
    if fmt == "pdf":
        return Response(
            leaflet.render_pdf(
                draft.content, timezone=ctx.campaign.timezone, updated_at=draft.updated_at
            ),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
        )
    if fmt == "html":
        return HTMLResponse(
            leaflet.render_html(
                draft.content, timezone=ctx.campaign.timezone, updated_at=draft.updated_at
            )
        )
    raise AssistantError(f"format d'export inconnu « {fmt} » (attendu pdf ou html)", status=404)


# --- JSON API ---------------------------------------------------------------------------------


# One server-sent event: ``event`` (start, point, dropped, done, error) and its JSON ``data``.
SSE_EVENT = {
    "type": "object",
    "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
    "required": ["data"],
}
Keyword = Annotated[
    str,
    Query(min_length=1, max_length=SHORT_TEXT, examples=["écoles"]),
    AfterValidator(no_nul),
]


@router.get(API + "/search", tags=["assistant"], response_model=list[SearchHitRead])
def api_search(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    q: Keyword,
    limit: Annotated[int, limit_query(50)] = 10,
    type: QueryOptText = None,
    territory: QueryOptText = None,
    since: QueryOptText = None,
    until: QueryOptText = None,
) -> list[dict[str, Any]]:
    """Passages ranked for a keyword (BM25 with French analysis, + dense when configured)."""
    hits = search(
        session,
        ctx,
        query=q,
        limit=limit,
        settings=settings,
        filters=_filters(type, territory, since, until),
    )
    return [
        {
            "passage_id": h.row.passage_id,
            "document_id": h.row.document_id,
            "document": h.row.title,
            "source": h.row.source,
            "type": h.row.doc_type,
            "date": h.row.published_on,
            "heading": h.row.heading_path,
            "text": h.row.text,
            "score": round(h.score, 4),
        }
        for h in hits
    ]


@router.get(API + "/ask", tags=["assistant"], response_model=AnswerRead)
def api_ask(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    q: Keyword,
    limit: Annotated[int, limit_query(50)] = 5,
) -> dict[str, Any]:
    """Sourced points for a keyword or question (the field app's keyword search)."""
    return ask(session, ctx, query=q, settings=settings, limit=limit).detail()


@router.get(
    API + "/ask/stream",
    tags=["assistant"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}},
)
def api_ask_stream(
    runtime: RuntimeDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    q: Keyword,
    limit: Annotated[int, limit_query(20)] = 5,
) -> StreamingResponse:
    """Server-sent events: ``start``, one ``point`` per checked point, ``dropped``, ``done``.

    The stream reads the database while it is sent, in its own read-only session (the
    request's session has committed and closed by then)."""

    def body() -> Iterator[str]:
        with session_scope(runtime.factory) as session:
            events = ask_stream(session, ctx, query=q, settings=settings, limit=limit)
            try:
                for kind, data in events:
                    encoded = json.dumps(data, ensure_ascii=False, default=str)
                    yield f"event: {kind}\ndata: {encoded}\n\n"
            except AssistantError as exc:
                yield f"event: error\ndata: {json.dumps(exc.to_dict(), ensure_ascii=False)}\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(API + "/argue", tags=["assistant"], response_model=ArgumentSheetRead)
def api_argue(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    q: Keyword,
) -> dict[str, Any]:
    return argue(session, ctx, keyword=q, settings=settings).detail()


@router.post(API + "/rebut", tags=["assistant"], response_model=RebuttalRead)
def api_rebut(
    session: SessionDep, settings: SettingsDep, ctx: CampaignDep, payload: RebutIn
) -> dict[str, Any]:
    return rebut(session, ctx, claim=payload.claim, settings=settings).detail()


@router.get(API + "/documents", tags=["assistant"], response_model=list[DocumentRead])
def api_documents(session: SessionDep, ctx: CampaignDep) -> list[dict[str, Any]]:
    return [service.document_summary(d) for d in repository.list_documents(session, ctx)]


@router.get(API + "/documents/{document_id}", tags=["assistant"], response_model=DocumentDetail)
def api_document(session: SessionDep, ctx: CampaignDep, document_id: IdPath) -> dict[str, Any]:
    document = repository.get_document(session, ctx, document_id)
    passages = repository.document_passages(session, ctx, document_id)
    return {
        **service.document_summary(document),
        "passages": [
            {
                "id": p.id,
                "heading": p.heading_path,
                "start": p.start_offset,
                "end": p.end_offset,
                "text": p.text,
            }
            for p in passages
        ],
    }


@router.post(API + "/documents", tags=["assistant"], response_model=AddOutcomeRead)
def api_upload(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    file: Annotated[UploadFile, File()],
    doc_type: Annotated[ShortText, Form()] = "",
    title: Annotated[ShortText, Form()] = "",
    territory: Annotated[ShortText, Form()] = "",
    day: Annotated[ShortText, Form()] = "",
) -> dict[str, Any]:
    name = file.filename or "document"
    outcome = service.add_bytes(
        session,
        ctx,
        data=file.file.read(),
        name=name,
        source=name,
        meta=_meta(doc_type, title, territory, day),
        settings=settings,
    )
    return outcome.as_dict()


@router.delete(API + "/documents/{document_id}", tags=["assistant"], response_model=DeletedRead)
def api_delete(session: SessionDep, ctx: CommsDep, document_id: IdPath) -> dict[str, Any]:
    return {"deleted": service.delete_document(session, ctx, document_id=document_id)}


@router.get(API + "/passages/{passage_id}", tags=["assistant"], response_model=PassageContextRead)
def api_passage(
    session: SessionDep,
    ctx: CampaignDep,
    passage_id: IdPath,
    start: Annotated[int | None, Query(ge=0, le=MAX_COUNT)] = None,
    end: Annotated[int | None, Query(ge=0, le=MAX_COUNT)] = None,
) -> dict[str, Any]:
    return _passage_context(session, ctx, passage_id, start, end)


@router.get(API + "/feeds", tags=["assistant"], response_model=list[FeedRead])
def api_feeds(session: SessionDep, ctx: CampaignDep) -> list[dict[str, Any]]:
    return [feeds.feed_summary(f) for f in repository.list_feeds(session, ctx)]


@router.post(API + "/leaflets", tags=["assistant"], response_model=LeafletRead)
def api_leaflet(
    session: SessionDep, settings: SettingsDep, ctx: CommsDep, payload: LeafletIn
) -> dict[str, Any]:
    draft = leaflet.create_leaflet(
        session, ctx, territory=payload.territory, topic=payload.topic, settings=settings
    )
    return {"id": draft.id, "content": draft.content, "created": date.today()}


# --- ripostes (their own module: pages for the comms team and the volunteers) -----------------

router.include_router(routes_ripostes.router)
router.include_router(routes_studio.router)
