"""Wiring of the reporting service: projection consumer, signals, reports API, dashboard, rebuild."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from klachtstroom.contracts import topics
from klachtstroom.platform import cli
from klachtstroom.platform.outbound.queue import OutboundQueue, RetryPolicy
from klachtstroom.platform.retention import daily_retention, retention_router
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.reporting import retention
from klachtstroom.reporting.http import api, dashboard
from klachtstroom.reporting.http.runtime import Reporting
from klachtstroom.reporting.learning import measures
from klachtstroom.reporting.projection import rebuild
from klachtstroom.reporting.projection.handlers import HANDLERS
from klachtstroom.reporting.projection.live import Refresher
from klachtstroom.reporting.settings import ReportingSettings
from klachtstroom.reporting.signals.delivery import SignalSender
from klachtstroom.reporting.signals.desk import SignalDesk
from klachtstroom.reporting.store import Base, outbound_calls, platform_tables

MIGRATIONS = Path(__file__).parent / "migrations"
PDF_RENDERER = "klachtstroom.reporting.render.annual_pdf"
log = logging.getLogger(__name__)


async def load_pdf_renderer() -> None:
    """Import the PDF renderer (matplotlib and reportlab: seconds) in a thread once the service
    runs, so neither start-up nor the first PDF a coordinator asks for waits for it."""
    try:
        await asyncio.to_thread(importlib.import_module, PDF_RENDERER)
    except ImportError:  # the request that needs it will say so
        log.exception("reporting: the PDF renderer could not be loaded")


def create_service(
    settings: PlatformSettings | None = None, reporting_settings: ReportingSettings | None = None
) -> tuple[Service, FastAPI]:
    service = Service("reporting", Base.metadata, platform_tables, MIGRATIONS, settings)
    config = reporting_settings or ReportingSettings()
    if config.college_webhook and not config.webhook_secret:
        log.warning("reporting: a college webhook without KLACHTSTROOM_REPORTING_WEBHOOK_SECRET is not used")
    service.publishes(topics.SIGNAL)
    # The platform's outbound queue delivers the signals (leased: safe with several replicas).
    # Retries run on the wall clock, not the test clock: they are about real servers.
    outbound = OutboundQueue(
        service.db, outbound_calls, policy=RetryPolicy(poll_seconds=config.delivery_poll_seconds)
    )
    sender = SignalSender(outbound, config)
    desk = SignalDesk(service.outbox, config, service.clock.now, sender)
    refresher = Refresher(service, desk, config)
    service.consume(
        [topics.INTAKE, topics.CASE, topics.DEADLINE],
        HANDLERS,
        consumer_name="reporting-projection",
        after_commit=refresher.after_batch,
    )

    async def destroy(ids: Sequence[str], now: datetime) -> list[str]:
        return await retention.destroy(service, ids, now)

    service.background += [refresher.run, sender.run, daily_retention(service, destroy), load_pdf_renderer]
    service.clock_hooks.append(refresher.on_clock_moved)
    app = service.create_app(
        "klachtstroom reporting",
        [api.router, measures.router, dashboard.router, retention_router(service, destroy)],
        description="Jaarverslag, halfjaarrapportage zorgaanbieders, signalen aan het college, open data "
        "en het dashboard van de klachtcoördinator.",
    )
    app.state.reporting = Reporting(service, config, desk, refresher, sender)
    return service, app


def main() -> None:
    cli.main(
        create_service,
        {"rebuild": ("de rapportageprojectie opnieuw opbouwen uit de Kafka-topics", rebuild.command)},
    )
