"""Wiring of the intake service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from klachtstroom.contracts import topics
from klachtstroom.intake import api
from klachtstroom.intake.handlers import HANDLERS
from klachtstroom.intake.personal_data import Vault
from klachtstroom.intake.registration import Registrar
from klachtstroom.intake.store import Base, platform_tables
from klachtstroom.intake.triage import OverrideMemory
from klachtstroom.platform import cli
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_service(settings: PlatformSettings | None = None) -> tuple[Service, FastAPI]:
    service = Service("intake", Base.metadata, platform_tables, MIGRATIONS, settings)
    service.publishes(topics.INTAKE)
    service.consume([topics.CASE], HANDLERS, consumer_name="intake-status")
    app = service.create_app(
        "klachtstroom intake",
        [api.router],
        description="Klachten ontvangen via formulier, API, e-mail, telefoon, brief en balie.",
    )
    app.state.registrar = Registrar(service, Vault(service.settings.service_dir("intake")), OverrideMemory())
    return service, app


def main() -> None:
    cli.main(create_service)
