"""Notifications queued before the platform's outbound queue are still delivered after an upgrade,
under the ids receivers drop repeats by; one sent before is not sent again; the API shows both."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from deadlines_harness import Instance
from standardwebhooks.webhooks import Webhook

from klachtstroom.deadlines.notifications.recipients import EscalationConfig
from klachtstroom.deadlines.notifications.recipients import Webhook as Hook
from klachtstroom.deadlines.store import Base
from klachtstroom.platform.db import ALEMBIC_DIR, sync_url

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from smtp_sink import SmtpSink  # type: ignore[import-not-found]

MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "klachtstroom" / "deadlines" / "migrations"
HOOK = "https://hooks.gemeente.example/termijnen"
SECRET = "een-geheim-van-minstens-16-tekens"
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _upgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS))
    config.attributes["target_metadata"] = Base.metadata
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if revision != "head":
                _old_rows(connection)
    finally:
        engine.dispose()


def _old_rows(db: sa.Connection) -> None:
    rows = [
        (1, "email", "team.inkomen@gemeente.example", "pending", 2, None),
        (2, "webhook", HOOK, "pending", 1, None),
        (3, "email", "klachtcoordinator@gemeente.example", "sent", 1, AT),
        (4, "webhook", HOOK + "/weg", "dropped", 1, None),
    ]
    for n, channel, target, state, attempts, sent_at in rows:
        db.execute(
            sa.text(
                "INSERT INTO notifications (id, timer_id, case_id, step, channel, target, subject, body,"
                " state, attempts, next_attempt_at, last_error, created_at, sent_at) VALUES"
                " (:id, :id, 'case-1', 'warning', :channel, :target, :subject, :body, :state, :attempts,"
                " :at, 'SMTPConnectError', :at, :sent_at)"
            ),
            {
                "id": n, "channel": channel, "target": target, "state": state, "attempts": attempts,
                "subject": "Termijn verloopt bijna" if channel == "email" else "deadline.warning",
                "body": "Zaaknummer: case-1" if channel == "email" else '{"type":"warning"}',
                "at": AT, "sent_at": sent_at,
            },
        )  # fmt: skip


async def test_pending_notifications_are_sent_after_the_upgrade(
    make_instance: Callable[..., Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS", "hooks.gemeente.example")
    await asyncio.to_thread(_upgrade, database_url, "0004")
    calls: list[httpx.Request] = []
    with SmtpSink() as sink:
        instance: Instance = await make_instance(smtp_port=sink.port)  # migrates to the newest revision
        instance.rt.sender.transport = httpx.MockTransport(lambda r: calls.append(r) or httpx.Response(204))
        await instance.rt.book.replace(EscalationConfig(webhooks=[Hook(url=HOOK, secret=SECRET)]))

        listed = (await instance.http.get("/api/v1/notifications")).json()["items"]
        assert [(i["id"], i["state"], i["attempts"]) for i in listed] == [
            (1, "pending", 2), (2, "pending", 1), (3, "sent", 1), (4, "dropped", 1),
        ]  # fmt: skip
        assert await instance.rt.sender.deliver_due() == 2
        assert await instance.rt.sender.deliver_due() == 0
        [mail] = await asyncio.to_thread(sink.wait_for, lambda ms: len(ms) >= 1)
        await asyncio.sleep(0.2)
        assert len(sink.messages) == 1

    assert mail["To"] == "team.inkomen@gemeente.example"
    assert mail["Message-ID"] == "<notificatie-1@klachtstroom.invalid>"
    [request] = calls
    assert request.headers["webhook-id"] == "msg_deadlines_2"  # as before the upgrade
    Webhook(SECRET.encode()).verify(request.content, dict(request.headers))
    listed = (await instance.http.get("/api/v1/notifications?state=sent")).json()["items"]
    assert [(i["id"], i["attempts"]) for i in listed] == [(1, 3), (2, 2), (3, 1)]
