"""HTTP side of bulk import: `POST /api/v1/imports`, `GET /api/v1/imports/{id}`, and the page `/import`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as FormFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from klachtstroom.intake.http.web import CsrfGuard, Web
from klachtstroom.intake.imports.register import FileRefused
from klachtstroom.intake.imports.runner import ImportRunner, rejected_rows, too_large
from klachtstroom.intake.scope import municipalities_of
from klachtstroom.intake.store import ImportJob

router = APIRouter(tags=["imports"])


class ImportProblem(BaseModel):
    row: int
    field: str
    message: str


class ImportAccepted(BaseModel):
    id: str
    status: str
    dry_run: bool
    status_url: str


class ImportStatus(BaseModel):
    id: str
    status: str  # queued, running, done, failed
    dry_run: bool
    filename: str
    total: int
    done: int
    imported: int
    already_imported: int
    rejected: int = Field(description="rows not imported (dry run: that would not be) for an error in them")
    errors: list[ImportProblem] = Field(description="each invalid row: its line number, column and reason")
    warnings: list[ImportProblem]
    created_at: datetime
    finished_at: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def status_of(job: ImportJob) -> ImportStatus:
    return ImportStatus(
        id=job.id,
        status=job.status,
        dry_run=job.dry_run,
        filename=job.filename,
        total=job.total,
        done=job.done,
        imported=job.imported,
        already_imported=job.already_imported,
        rejected=rejected_rows(job.errors),
        errors=[ImportProblem(**p) for p in job.errors],
        warnings=[ImportProblem(**p) for p in job.warnings],
        created_at=_aware(job.created_at) or job.created_at,
        finished_at=_aware(job.finished_at),
    )


def _runner(request: Request) -> ImportRunner:
    runner: ImportRunner = request.app.state.imports
    return runner


def _refusal(refused: FileRefused) -> HTTPException:
    detail = [{"loc": ["body", "file"], "msg": refused.message, "type": "import_file"}]
    return HTTPException(refused.status, detail=detail)


# An import file is at most 20 MB (DESIGN.md, Limits); the upload may be that plus its form fields.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024 + 64 * 1024


@router.post(
    "/api/v1/imports", status_code=202, response_model=ImportAccepted, max_body_size=MAX_UPLOAD_BYTES
)
async def start_import(
    request: Request,
    file: Annotated[UploadFile, File(description="the register, .csv or .xlsx")],
    dry_run: Annotated[bool, Query(description="only check the file; store nothing")] = False,
) -> JSONResponse:
    runner = _runner(request)
    if (file.size or 0) > runner.max_bytes:
        raise _refusal(too_large(runner.max_bytes))
    try:
        job = await runner.create(
            file.filename or "register", await file.read(), dry_run, municipalities_of(request)
        )
    except FileRefused as refused:
        raise _refusal(refused) from None
    url = str(request.url_for("import_status", job_id=job.id))
    body = ImportAccepted(id=job.id, status=job.status, dry_run=job.dry_run, status_url=url)
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": url})


@router.get("/api/v1/imports/{job_id}", response_model=ImportStatus, name="import_status")
async def import_status(job_id: str, request: Request) -> ImportStatus:
    job = await _runner(request).get(job_id)
    if job is None:
        raise HTTPException(404, detail="Deze import kennen we niet.")
    return status_of(job)


def _upload_page(
    request: Request, error: str | None = None, status: int = 200, dry_run: bool = True
) -> HTMLResponse:
    web: Web = request.app.state.web
    token = web.csrf.token_for(request)
    context = {
        "title": "Register importeren",
        "errors": {"bestand": error} if error else {},
        "csrf_token": token,
        "action": str(request.url_for("import_upload").path),
        "dry_run": "ja" if dry_run else "nee",
    }
    return web.csrf.attach(request, web.pages.render(request, "import.html", context, status=status), token)


@router.get("/import", response_class=HTMLResponse, include_in_schema=False, name="import_page")
async def import_page(request: Request) -> HTMLResponse:
    return _upload_page(request)


@router.post("/import", include_in_schema=False, name="import_upload", max_body_size=MAX_UPLOAD_BYTES)
async def import_upload(request: Request) -> Response:
    web: Web = request.app.state.web
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=64 * 1024)
    except StarletteHTTPException:
        return _upload_page(request, "Het formulier kon niet worden gelezen. Probeer het opnieuw.", 400)
    try:
        dry_run = form.get("proef") != "nee"
        if not web.csrf.verify(request, form.get(CsrfGuard.FIELD)):
            return _upload_page(request, "Het formulier is verlopen. Kies het bestand opnieuw.", 403, dry_run)
        upload = form.get("bestand")
        if not isinstance(upload, FormFile) or not upload.filename:
            return _upload_page(request, "Kies een bestand (.xlsx of .csv).", 422, dry_run)
        runner = _runner(request)
        if (upload.size or 0) > runner.max_bytes:
            return _upload_page(request, too_large(runner.max_bytes).message, 413, dry_run)
        try:
            allowed = municipalities_of(request)
            job = await runner.create(upload.filename, await upload.read(), dry_run, allowed)
        except FileRefused as refused:
            return _upload_page(request, refused.message, refused.status, dry_run)
    finally:
        await form.close()
    return RedirectResponse(str(request.url_for("import_progress", job_id=job.id).path), status_code=303)


@router.get("/import/{job_id}", response_class=HTMLResponse, include_in_schema=False, name="import_progress")
async def import_progress(job_id: str, request: Request) -> HTMLResponse:
    web: Web = request.app.state.web
    job = await _runner(request).get(job_id)
    if job is None:
        raise HTTPException(404, detail="Deze import kennen we niet.")
    status = status_of(job)
    context = {
        "title": "Import: " + status.filename,
        "job": status,
        "finished": status.status in ("done", "failed"),
        "api_url": str(request.url_for("import_status", job_id=job_id).path),
        "again_url": str(request.url_for("import_page").path),
    }
    return web.pages.render(request, "import_status.html", context)
