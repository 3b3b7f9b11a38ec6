"""Wiring of the intake service: JSON API, public form, KCC screen, import, SMTP mailbox."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from klachtstroom.contracts import topics
from klachtstroom.contracts.timekeeping import local_date
from klachtstroom.intake.email.imap import MailboxPoller, MailboxSettings
from klachtstroom.intake.email.smtp import MailIntake, SmtpReceiver
from klachtstroom.intake.handlers import build_handlers
from klachtstroom.intake.http import api, contact, duplicates, form, imports, kcc
from klachtstroom.intake.http.routing_units import RoutingUnits
from klachtstroom.intake.http.web import STATIC, CsrfGuard, Pages, RateLimiter, Web
from klachtstroom.intake.imports.runner import ImportRunner
from klachtstroom.intake.personal_data import Vault, rehash_complainants
from klachtstroom.intake.privacy import http as privacy_http
from klachtstroom.intake.privacy.retention import run_here
from klachtstroom.intake.registration import Registrar
from klachtstroom.intake.resident import pages as resident_pages
from klachtstroom.intake.resident import templates_api
from klachtstroom.intake.resident.follow import Follower
from klachtstroom.intake.resident.sender import ResidentMailer, message_retries
from klachtstroom.intake.settings import IntakeSettings
from klachtstroom.intake.store import Base, outbound_calls, platform_tables
from klachtstroom.intake.triage import TriageEngine, corrections
from klachtstroom.platform import cli
from klachtstroom.platform.outbound.queue import OutboundQueue
from klachtstroom.platform.service import Service
from klachtstroom.platform.settings import PlatformSettings

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_service(
    settings: PlatformSettings | None = None, intake_settings: IntakeSettings | None = None
) -> tuple[Service, FastAPI]:
    intake = intake_settings or IntakeSettings()
    # A 202 means "durably stored" (DESIGN.md, Publishing): each commit is fsynced before the answer.
    service = Service(
        "intake",
        Base.metadata,
        platform_tables,
        MIGRATIONS,
        settings,
        ready_without_broker=True,
        sqlite_synchronous=intake.sqlite_synchronous,
    )
    service.publishes(topics.INTAKE)
    data_dir = service.settings.service_dir("intake")
    vault = Vault(service)
    # Contact details are encrypted by the Vault itself (bytes columns); the rest by column type.
    service.encrypts("complainants", "name_enc", "email_enc", "phone_enc", "address_enc", "bsn_enc")
    service.encrypts("complaint_messages", "sender_enc")
    service.encrypts("resident_messages", "recipient_enc", "body_enc")
    service.rotation_steps.append(rehash_complainants)
    follower = Follower(vault, intake.show_handler_names, intake.organisation)
    service.consume([topics.CASE, topics.DEADLINE], build_handlers(follower), consumer_name="intake-status")
    app = service.create_app(
        "klachtstroom intake",
        [
            api.router,
            duplicates.router,
            corrections.router,
            imports.router,
            form.router,
            kcc.router,
            resident_pages.router,
            templates_api.router,
            privacy_http.router,
            contact.router,
        ],
        description="Klachten ontvangen via formulier, API, e-mail, telefoon, brief en balie.",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    registrar = Registrar(service, vault, TriageEngine(data_dir), intake)
    app.state.registrar = registrar
    app.state.web = Web(
        pages=Pages(intake.organisation),
        csrf=CsrfGuard(data_dir),
        limiter=RateLimiter(intake.form_rate_limit, intake.form_rate_window_seconds),
        settings=intake,
        units=RoutingUnits(service.peers, intake.units),
    )
    import_runner = ImportRunner(registrar, batch=intake.import_batch, max_bytes=intake.import_max_bytes)
    app.state.imports = import_runner

    async def learn_corrections() -> None:
        await corrections.load_overrides(registrar)
        await asyncio.to_thread(registrar.triage.model)  # trained or loaded before the first text

    async def daily_retention() -> None:
        while True:
            await asyncio.sleep(intake.retention_interval_seconds)
            try:
                await run_here(service, local_date(service.clock.now()))
            except Exception as error:  # routing unreachable: the next round tries again
                log.warning("retention run failed (%s)", type(error).__name__)

    # Background jobs start after the migrations and are cancelled when the service stops.
    service.background.append(learn_corrections)
    service.background.append(daily_retention)
    service.background.append(import_runner.run)
    if intake.mail_enabled:
        # The platform's outbound queue writes and sends the messages (leased: safe with several
        # instances); the calls were queued with the changes they tell about.
        outbound = OutboundQueue(service.db, outbound_calls, policy=message_retries(intake))
        mailer = ResidentMailer(service, outbound, vault, intake, registrar.public_base())
        app.state.resident_mailer = mailer
        service.background.append(mailer.run)
    if intake.imap_host:
        poller = MailboxPoller(
            MailIntake(registrar),
            MailboxSettings(
                host=intake.imap_host,
                port=intake.imap_port,
                security=intake.imap_security,
                username=intake.imap_username,
                password=intake.imap_password,
                oauth2_token_url=intake.imap_oauth2_token_url,
                oauth2_client_id=intake.imap_oauth2_client_id,
                oauth2_client_secret=intake.imap_oauth2_client_secret,
                oauth2_scope=intake.imap_oauth2_scope,
                folder=intake.imap_folder,
                processed_folder=intake.imap_processed_folder,
                refused_folder=intake.imap_refused_folder,
                poll_seconds=intake.imap_poll_seconds,
            ),
        )
        app.state.mailbox = poller
        service.background.append(poller.run)
    if intake.smtp_enabled:
        receiver = SmtpReceiver(
            MailIntake(registrar), service.settings.host, intake.smtp_port, intake.smtp_hostname
        )
        app.state.smtp = receiver
        service.background.append(receiver.run)
    return service, app


def main() -> None:
    cli.main(
        create_service,
        {"retrain-triage": ("retrain the triage from the labelled sets and accepted corrections", _retrain)},
    )


async def _retrain(service: Service, _args: object) -> None:
    service.migrate()
    print(await corrections.retrain(service))
