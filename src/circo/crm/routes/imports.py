"""Import wizard: upload, column mapping, preview, commit."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.crm import contacts as contacts_service
from circo.crm.errors import NotFound
from circo.crm.importer import layouts
from circo.crm.importer.job import enqueue_import, remove_imported_uploads, upload_dir
from circo.crm.importer.mapping import FIELDS, resolve_mapping, suggest_mapping
from circo.crm.importer.reading import ParsedFile, read_bytes, read_file, write_csv
from circo.crm.importer.validation import preview
from circo.crm.routes.common import DataDep
from circo.web.deps import FormDep, SessionDep, SettingsDep
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)
SIDE_FILES = (".name", ".json")  # the original name, the provenance of a translated export


def _upload_dir(settings: Settings, ctx: CampaignContext) -> Path:
    return upload_dir(settings, ctx.campaign.slug)


def _upload_path(settings: Settings, ctx: CampaignContext, token: str) -> Path:
    if not token.isalnum():
        raise NotFound("fichier d'import introuvable", loc="import")
    matches = list(_upload_dir(settings, ctx).glob(f"{token}.*"))
    if not matches:
        raise NotFound(
            "fichier d'import introuvable ou expiré : déposez-le à nouveau", loc="import"
        )
    return matches[0]


@pages.get("/c/{slug}/contacts/import", response_class=HTMLResponse)
def import_page(request: Request, ctx: DataDep) -> HTMLResponse:
    return render(request, "crm/import_upload.html", {})


@pages.post("/c/{slug}/contacts/import")
def import_upload(
    session: SessionDep, settings: SettingsDep, ctx: DataDep, file: Annotated[UploadFile, File()]
) -> Response:
    remove_imported_uploads(session, settings, ctx)
    name = file.filename or "contacts.csv"
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    content = file.file.read()
    parsed = read_bytes(content, filename=name)  # refuse unreadable files at once
    layout = layouts.detect(parsed.headers)
    translation = layouts.translate(parsed, layout) if layout is not None else None
    token = secrets.token_hex(12)
    folder = _upload_dir(settings, ctx)
    folder.mkdir(parents=True, exist_ok=True)
    if translation is not None:  # another tool's export: stored as circo's columns
        for key, label in translation.custom_fields.items():
            contacts_service.define_custom_field(session, ctx, key=key, label=label)
        write_csv(translation.parsed, folder / f"{token}.csv")
        (folder / f"{token}.json").write_text(
            json.dumps(translation.provenance, ensure_ascii=False), encoding="utf-8"
        )
    else:
        (folder / f"{token}{suffix}").write_bytes(content)
    (folder / f"{token}.name").write_text(name, encoding="utf-8")
    return RedirectResponse(f"/c/{ctx.campaign.slug}/contacts/import/{token}", status_code=303)


def _data_file(settings: Settings, ctx: CampaignContext, token: str) -> Path:
    path = _upload_path(settings, ctx, token)
    if path.suffix in SIDE_FILES:
        path = next(p for p in path.parent.glob(f"{token}.*") if p.suffix not in SIDE_FILES)
    return path


def _parsed(settings: Settings, ctx: CampaignContext, token: str) -> ParsedFile:
    path = _data_file(settings, ctx, token)
    name_file = path.with_suffix(".name")
    name = name_file.read_text(encoding="utf-8") if name_file.exists() else path.name
    parsed = read_file(path, filename=name)
    provenance_file = path.with_suffix(".json")
    if provenance_file.exists():  # translated from another tool's export (`layouts`)
        parsed.provenance = json.loads(provenance_file.read_text(encoding="utf-8"))
    return parsed


@pages.get("/c/{slug}/contacts/import/{token}", response_class=HTMLResponse)
def import_mapping(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: DataDep, token: str
) -> HTMLResponse:
    parsed = _parsed(settings, ctx, token)
    suggested = suggest_mapping(parsed.headers, session=session, ctx=ctx)
    custom = [f"custom:{f.key}" for f in contacts_service.custom_fields(session, ctx)]
    return render(
        request,
        "crm/import_mapping.html",
        {
            "token": token,
            "parsed": parsed,
            "suggested": suggested,
            "fields": FIELDS,
            "custom": custom,
            "sample": parsed.rows[:5],
            "layout": layouts.LAYOUTS.get(str(parsed.provenance.get("imported_from"))),
        },
    )


def _form_mapping(form: FormData, parsed: ParsedFile) -> dict[str, str]:
    if "mapping_json" in form:
        return {str(k): str(v) for k, v in json.loads(str(form["mapping_json"])).items()}
    return {
        header: str(form.get(f"map_{index}", "")) for index, header in enumerate(parsed.headers)
    }


@pages.post("/c/{slug}/contacts/import/{token}/preview", response_class=HTMLResponse)
def import_preview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: DataDep,
    token: str,
    form: FormDep,
) -> HTMLResponse:
    parsed = _parsed(settings, ctx, token)
    explicit = _form_mapping(form, parsed)
    mapping = resolve_mapping(
        parsed.headers, explicit, session=session, ctx=ctx, filename=parsed.filename
    )
    report = preview(parsed, mapping)
    return render(
        request,
        "crm/import_preview.html",
        {"token": token, "report": report, "mapping_json": json.dumps(mapping)},
    )


@pages.post("/c/{slug}/contacts/import/{token}/commit")
def import_commit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: DataDep,
    token: str,
    form: FormDep,
) -> Response:
    """Queue the import (a job: the file stays until its rows are committed) and show the
    job's page, which follows its progress."""
    parsed = _parsed(settings, ctx, token)
    mapping = resolve_mapping(
        parsed.headers,
        json.loads(str(form["mapping_json"])),
        session=session,
        ctx=ctx,
        filename=parsed.filename,
    )
    job = enqueue_import(
        session,
        ctx,
        file=_data_file(settings, ctx, token),
        filename=parsed.filename,
        mapping=mapping,
        skip_invalid=form.get("skip_invalid") == "1",
        upload=token,
        provenance=parsed.provenance,
    )
    session.commit()  # the job exists before the page says so
    job_worker = request.app.state.job_worker
    if job_worker is not None:
        job_worker.notify()
    return RedirectResponse(f"/c/{ctx.campaign.slug}/jobs/{job.id}", status_code=303)
