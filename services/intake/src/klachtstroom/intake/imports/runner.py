"""Bulk import of an existing complaint register: upload, dry run, progress, row-level report.

Imported complaints keep their original dates and outcomes (ImportedHistory), so earlier years
show in the reports. Rows are registered in batches by a background job through the same
Registrar as every channel. The valid rows of a file are imported; every invalid row is listed
with its line number and the reason, and registers nothing. Each row is registered in one
transaction (complaint, idempotency key and event together): it is stored whole or not at all,
also when the import itself breaks off. A row is idempotent on its content (the n-th row with
that content), so the same file again, the file with its bad rows corrected, or a restart
half-way never registers a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.intake.imports.register import (
    FileRefused,
    Register,
    RegisterRow,
    read_register,
    read_table,
)
from klachtstroom.intake.registration import IdempotencyConflict, Registrar
from klachtstroom.intake.store import IdempotencyKey, ImportJob

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx", ".txt")
UNEXPECTED = (
    "Er ging iets mis bij het importeren; de import is afgebroken. Elke rij is helemaal of helemaal "
    "niet opgeslagen. Importeer hetzelfde bestand opnieuw: wat al is opgeslagen, wordt niet nog eens "
    "opgeslagen. Lukt het dan niet, neem contact op met beheer."
)
NOT_STORED = "Deze rij kon niet worden opgeslagen: hij lijkt op een eerder geïmporteerde rij. Kijk hem na."


def row_keys(register: Register) -> list[str]:
    """The idempotency key of each valid row: its content, and which occurrence of that content
    in the file it is (two identical rows in one register are two complaints)."""
    seen: Counter[str] = Counter()
    keys = []
    for row in register.rows:
        digest = row_digest(row)
        keys.append(f"import:{digest}:{seen[digest]}")
        seen[digest] += 1
    return keys


def row_digest(row: RegisterRow) -> str:
    return hashlib.sha256(row.content_hash_source.encode()).hexdigest()


def rejected_rows(errors: list[dict[str, Any]]) -> int:
    """How many rows of the file were not imported (or, in a dry run, would not be) for an error."""
    return len({p["row"] for p in errors if isinstance(p.get("row"), int) and p["row"] > 1})


def too_large(max_bytes: int) -> FileRefused:
    megabytes = max_bytes // (1024 * 1024)
    return FileRefused(f"Het bestand is te groot. Het mag maximaal {megabytes} MB zijn.", 413)


def check_upload(filename: str, content: bytes, max_bytes: int) -> None:
    """File-level checks at upload time; raises FileRefused (the rows are read by the job)."""
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    if not content:
        raise FileRefused("Het bestand is leeg.")
    is_xlsx = content.startswith(b"PK\x03\x04")
    if not is_xlsx and (b"\0" in content[:4096] or not filename.lower().endswith(SUFFIXES)):
        raise FileRefused("Dit bestand kunnen we niet lezen. Gebruik een .xlsx- of .csv-bestand.")
    if not read_table(content):
        raise FileRefused("Het bestand is leeg.")


def check_municipalities(content: bytes, today: date, allowed: Callable[[str | None], bool]) -> None:
    """An administrator of some municipalities imports only their complaints: a row of another
    municipality, or without one, refuses the whole file (nothing of it is registered)."""
    try:
        register = read_register(content, today)
    except FileRefused:
        return  # the job reports what is wrong with the file
    outside = [row.row for row in register.rows if not allowed(row.complaint.municipality)]
    if outside:
        rows = ", ".join(str(n) for n in outside[:20]) + (" en meer" if len(outside) > 20 else "")
        raise FileRefused(
            f"Rij {rows}: de gemeente ontbreekt of is niet een van uw gemeenten. "
            "U kunt alleen klachten van uw eigen gemeente(n) importeren."
        )


class ImportRunner:
    """Creates import jobs and works through them, one at a time, in a `service.background` job."""

    def __init__(self, registrar: Registrar, batch: int = 100, max_bytes: int = 20 * 1024 * 1024) -> None:
        self.registrar = registrar
        self.batch = batch
        self.max_bytes = max_bytes
        self._wake = asyncio.Event()

    async def create(
        self,
        filename: str,
        content: bytes,
        dry_run: bool,
        allowed: Callable[[str | None], bool] | None = None,
    ) -> ImportJob:
        """A queued job; `allowed` says which municipalities the uploader may import for."""
        await asyncio.to_thread(check_upload, filename, content, self.max_bytes)
        if allowed is not None:
            today = local_date(self.registrar.service.clock.now())
            await asyncio.to_thread(check_municipalities, content, today, allowed)
        job = ImportJob(
            id=str(uuid.uuid4()),
            file_hash=hashlib.sha256(content).hexdigest(),
            filename=filename[:300],
            dry_run=dry_run,
            status="queued",
            total=0,
            done=0,
            imported=0,
            already_imported=0,
            errors=[],
            warnings=[],
            content=content,
            created_at=datetime.now(UTC),
        )
        async with self.registrar.service.db.transaction() as session:
            session.add(job)
        self._wake.set()
        return job

    async def get(self, job_id: str) -> ImportJob | None:
        async with self.registrar.service.db.reading() as session:
            return await session.get(ImportJob, job_id)

    async def run(self) -> None:
        """Work through queued jobs, and resume the ones a restart interrupted."""
        while True:
            async with self.registrar.service.db.reading() as session:
                pending = (
                    await session.scalars(
                        select(ImportJob.id)
                        .where(ImportJob.status.in_(("queued", "running")))
                        .order_by(ImportJob.created_at)
                    )
                ).all()
            for job_id in pending:
                await self.process(job_id)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=5.0)

    async def process(self, job_id: str) -> None:
        try:
            await self._process(job_id)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.error("import %s failed (%s)", job_id, type(error).__name__)
            await self._fail(job_id, UNEXPECTED)

    async def _fail(self, job_id: str, message: str) -> None:
        """The import itself failed: the row errors found so far stay listed, with this one first."""
        problem = {"row": 0, "field": "", "message": message}
        async with self.registrar.service.db.transaction() as session:
            job = await session.get(ImportJob, job_id)
            if job is not None:
                job.errors = [problem, *[p for p in job.errors if p.get("row")]]
                job.status, job.finished_at = "failed", datetime.now(UTC)

    async def _update(self, job_id: str, **values: object) -> None:
        async with self.registrar.service.db.transaction() as session:
            job = await session.get(ImportJob, job_id)
            if job is not None:
                for name, value in values.items():
                    setattr(job, name, value)

    async def _process(self, job_id: str) -> None:
        job = await self.get(job_id)
        if job is None:
            return
        today = local_date(self.registrar.service.clock.now())
        try:
            register = await asyncio.to_thread(read_register, job.content, today)
        except FileRefused as refused:
            await self._fail(job_id, refused.message)
            return
        await self._update(
            job_id,
            status="running",
            total=register.total,
            errors=[p.as_dict() for p in register.errors],
            warnings=[p.as_dict() for p in register.warnings],
        )
        keys = row_keys(register)
        if job.dry_run:
            # A dry run registers nothing: it lists the row errors and what is already there.
            already = await self._already_imported(job.file_hash, register, keys)
            finished = datetime.now(UTC)
            await self._update(
                job_id, status="done", done=register.total, already_imported=already, finished_at=finished
            )
            return
        # The invalid rows are listed (above) and skipped; every valid row is registered.
        invalid = register.total - len(register.rows)
        imported = already = 0
        unstored: list[dict[str, object]] = []
        for start in range(0, len(register.rows), self.batch):
            chunk = list(zip(register.rows, keys, strict=True))[start : start + self.batch]
            earlier = await self._earlier_keys(job.file_hash, [(row, key) for row, key in chunk])
            for row, key in chunk:
                if key in earlier or self._legacy_key(job.file_hash, row) in earlier:
                    already += 1
                    continue
                new = replace(row.complaint, source_ref=f"import:{job.file_hash[:16]}:{row.row}")
                try:
                    registered = await self.registrar.register(
                        new, idempotency_key=key, request_hash=row_digest(row)
                    )
                except IdempotencyConflict:
                    unstored.append({"row": row.row, "field": "", "message": NOT_STORED})
                    continue
                except Exception:
                    # The import breaks off: say how far it came (each row stored is whole).
                    await self._update(job_id, imported=imported, already_imported=already)
                    raise
                already += registered.replayed
                imported += not registered.replayed
            done = min(register.total, invalid + start + len(chunk))
            values: dict[str, object] = {"done": done, "imported": imported, "already_imported": already}
            if unstored:
                values["errors"] = [p.as_dict() for p in register.errors] + unstored
            await self._update(job_id, **values)
        await self._update(job_id, status="done", done=register.total, finished_at=datetime.now(UTC))
        log.info(
            "import %s done: %d rows, %d imported, %d invalid", job_id, register.total, imported, invalid
        )

    @staticmethod
    def _legacy_key(file_hash: str, row: RegisterRow) -> str:
        """The key rows had before they were keyed on content (file hash and row number)."""
        return f"import:{file_hash}:{row.row}"

    async def _earlier_keys(self, file_hash: str, rows: list[tuple[RegisterRow, str]]) -> set[str]:
        wanted = [k for row, key in rows for k in (key, self._legacy_key(file_hash, row))]
        async with self.registrar.service.db.reading() as session:
            query = select(IdempotencyKey.key).where(IdempotencyKey.key.in_(wanted))
            return set((await session.scalars(query)).all())

    async def _already_imported(self, file_hash: str, register: Register, keys: list[str]) -> int:
        pairs = list(zip(register.rows, keys, strict=True))
        found = 0
        for start in range(0, len(pairs), 250):
            chunk = pairs[start : start + 250]
            earlier = await self._earlier_keys(file_hash, chunk)
            found += sum(key in earlier or self._legacy_key(file_hash, row) in earlier for row, key in chunk)
        return found
