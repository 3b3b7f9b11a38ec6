"""The same-run baseline of intake's latency: a bare endpoint doing one durable commit.

    python bench/baseline_app.py DATABASE_URL PORT

`POST /api/v1/complaints` reads the JSON body, inserts one row in one transaction through the
platform's `Database` (on SQLite: WAL, synchronous=FULL like intake, the one writer connection,
BEGIN IMMEDIATE, the checkpoint thread; on PostgreSQL the same pool), and answers 202 with the
new id. Served by uvicorn with the settings of `klachtstroom.platform.cli.serve`. What intake
adds on top of this (auth, validation, triage, the outbox, audit) is what the ratio shows.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine

from klachtstroom.platform.db import Database, sync_url

metadata = MetaData()
rows = Table(
    "rows", metadata, Column("id", String(36), primary_key=True), Column("body", Text, nullable=False)
)


def app_for(url: str) -> FastAPI:
    engine = create_engine(sync_url(url))
    metadata.create_all(engine)
    engine.dispose()
    db = Database(url, synchronous="FULL")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        checkpoints = asyncio.create_task(db.checkpoints())
        yield
        checkpoints.cancel()
        await db.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.post("/api/v1/complaints", status_code=202)
    async def post(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        ident = str(uuid.uuid4())
        async with db.transaction() as session:
            await session.execute(rows.insert().values(id=ident, body=body))
        return JSONResponse({"id": ident}, status_code=202)

    return app


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    config = uvicorn.Config(app_for(url), host="127.0.0.1", port=port, log_config=None, access_log=False,
                            lifespan="on")  # fmt: skip
    asyncio.run(uvicorn.Server(config).serve())
