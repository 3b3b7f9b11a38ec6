"""Wiring of the routing service: cases from intake, terms from deadlines, the case worker's API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from klachtstroom.contracts import topics
from klachtstroom.platform import cli
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.routing import api
from klachtstroom.routing.casework import CaseWork
from klachtstroom.routing.handlers import build_handlers
from klachtstroom.routing.settings import RoutingSettings
from klachtstroom.routing.store import Base, platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"


def create_service(
    settings: PlatformSettings | None = None, routing_settings: RoutingSettings | None = None
) -> tuple[Service, FastAPI]:
    service = Service("routing", Base.metadata, platform_tables, MIGRATIONS, settings)
    own = routing_settings or RoutingSettings()
    work = CaseWork(service, own)
    service.publishes(topics.CASE)
    service.consume([topics.INTAKE, topics.DEADLINE], build_handlers(work), consumer_name="routing-cases")
    app = service.create_app(
        "klachtstroom routing",
        [api.router],
        description="Klachtbehandeling (Awb hoofdstuk 9): dossiers, routering, zorgaanbieders en termijnen.",
    )
    app.state.casework = work
    return service, app


def main() -> None:
    cli.main(create_service)
