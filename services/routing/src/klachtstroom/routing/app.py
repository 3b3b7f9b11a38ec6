"""Wiring of the routing service: cases from intake, terms from deadlines, the case worker's API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from klachtstroom.contracts import topics
from klachtstroom.platform import cli
from klachtstroom.platform.outbound.queue import OutboundQueue, RetryPolicy
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.routing.casework.work import CaseWork
from klachtstroom.routing.handlers import build_handlers
from klachtstroom.routing.http import (
    cases,
    letters,
    ombudsman,
    pages,
    privacy,
    providers,
    rules,
    zgw_notifications,
)
from klachtstroom.routing.outbound.providers import ProviderHandovers, delivery_hook, provider_terms
from klachtstroom.routing.outbound.zgw import ZgwQueue, ZgwSettings
from klachtstroom.routing.outbound.zgw_sender import ZgwSender
from klachtstroom.routing.privacy.destruction import daily_retention
from klachtstroom.routing.settings import RoutingSettings
from klachtstroom.routing.tables import Base, outbound_calls, platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"


def create_service(
    settings: PlatformSettings | None = None,
    routing_settings: RoutingSettings | None = None,
    zgw_settings: ZgwSettings | None = None,
) -> tuple[Service, FastAPI]:
    service = Service("routing", Base.metadata, platform_tables, MIGRATIONS, settings)
    own = routing_settings or RoutingSettings()
    work = CaseWork(service, own)
    # One outbound queue for every call routing makes (leased: safe with several instances).
    outbound = OutboundQueue(
        service.db, outbound_calls, policy=RetryPolicy(poll_seconds=own.delivery_poll_seconds), now=work.now
    )
    work.on_transition.append(delivery_hook(work, outbound))
    work.event_data.append(provider_terms)
    sender = ProviderHandovers(work, outbound)
    service.background.append(outbound.run)
    zgw = zgw_settings or ZgwSettings()
    queue = ZgwQueue(work, zgw, outbound)
    work.on_open.append(queue.on_open)
    work.on_transition.append(queue.on_transition)
    zgw_sender = ZgwSender(work, zgw, outbound)
    service.background.append(daily_retention(work, own.retention_interval_seconds))
    service.publishes(topics.CASE)
    service.consume([topics.INTAKE, topics.DEADLINE], build_handlers(work), consumer_name="routing-cases")
    app = service.create_app(
        "klachtstroom routing",
        [
            cases.router,
            rules.router,
            providers.router,
            zgw_notifications.router,
            letters.router,
            ombudsman.router,
            privacy.router,
            pages.router,
        ],
        description="Klachtbehandeling (Awb hoofdstuk 9): dossiers, routering, zorgaanbieders en termijnen.",
    )
    app.state.casework = work
    app.state.deliveries = sender
    app.state.outbound = outbound
    app.state.zgw_settings = zgw
    app.state.zgw_sender = zgw_sender
    return service, app


def main() -> None:
    cli.main(create_service)
