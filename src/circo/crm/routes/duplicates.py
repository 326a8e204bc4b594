"""Duplicate contacts: review, refresh, merge, dismiss."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from circo.bounds import MAX_ID
from circo.crm import dedup, pairs
from circo.crm.routes.common import DataDep, back_to
from circo.web.deps import SessionDep
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)


@pages.get("/c/{slug}/contacts/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request, session: SessionDep, ctx: DataDep) -> HTMLResponse:
    return render(request, "crm/duplicates.html", {"pairs": dedup.open_pairs(session, ctx)})


@pages.post("/c/{slug}/contacts/duplicates/refresh")
def duplicates_refresh(session: SessionDep, ctx: DataDep) -> Response:
    dedup.refresh_duplicates(session, ctx)
    return back_to(ctx, "contacts/duplicates")


@pages.post("/c/{slug}/contacts/duplicates/merge")
def duplicates_merge(
    session: SessionDep,
    ctx: DataDep,
    keep: Annotated[int, Form(ge=1, le=MAX_ID)],
    merge: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    dedup.merge_contacts(session, ctx, keep_id=keep, merge_id=merge)
    return back_to(ctx, "contacts/duplicates", "merged")


@pages.post("/c/{slug}/contacts/duplicates/{pair_id}/dismiss")
def duplicates_dismiss(session: SessionDep, ctx: DataDep, pair_id: IdPath) -> Response:
    pairs.dismiss(session, ctx, pair_id)  # 404 for another campaign's pair
    return back_to(ctx, "contacts/duplicates")
