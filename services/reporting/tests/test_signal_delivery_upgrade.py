"""Signal deliveries queued before the platform's outbound queue are still delivered after an upgrade,
with the ids the college drops repeats by; a delivery that was sent is not sent again."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from alembic import command
from alembic.config import Config
from reporting_harness import start_harness
from standardwebhooks.webhooks import Webhook as StandardWebhook
from test_service_signals import SECRET, Mailbox, Webhook, free_port, webhook  # noqa: F401 - fixture

from klachtstroom.platform.db import ALEMBIC_DIR
from klachtstroom.reporting.store import Base

MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "klachtstroom" / "reporting" / "migrations"
PENDING_SIGNAL = "0f6d7a3e-2b1c-5d4e-8f90-1a2b3c4d5e6f"
SENT_SIGNAL = "1a2b3c4d-5e6f-5a7b-8c9d-0e1f2a3b4c5d"


def _upgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS))
    config.attributes["target_metadata"] = Base.metadata
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _payload(signal_id: str, reference: str) -> dict[str, object]:
    return {
        "signal_id": signal_id,
        "complaint_id": f"c-{reference}",
        "reference": reference,
        "summary": f"Urgente klacht {reference}",
        "reasons": ["Een medewerker heeft de klacht als urgent aangemerkt."],
        "at": "2026-03-03T10:00:00+00:00",
    }


@pytest.mark.skipif(
    bool(os.environ.get("KLACHTSTROOM_TEST_POSTGRES")), reason="the release before ran on SQLite here"
)
async def test_pending_signal_deliveries_are_sent_after_the_upgrade(tmp_path: Path, webhook: str) -> None:  # noqa: F811
    database = tmp_path / "reporting" / "reporting.db"
    database.parent.mkdir(parents=True)
    engine = sa.create_engine(f"sqlite:///{database}")
    _upgrade(engine, "0004")
    at = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    with engine.begin() as db:
        for seq, (signal_id, reference) in enumerate(((PENDING_SIGNAL, "KL-1"), (SENT_SIGNAL, "KL-2")), 1):
            db.execute(
                sa.text(
                    "INSERT INTO signals (seq, signal_id, dedupe_key, kind, complaint_id, at, payload)"
                    " VALUES (:seq, :id, :key, 'urgent', :complaint, :at, :payload)"
                ),
                {
                    "seq": seq, "id": signal_id, "key": f"urgent:c-{reference}",
                    "complaint": f"c-{reference}", "at": at,
                    "payload": json.dumps(_payload(signal_id, reference)),
                },
            )  # fmt: skip
        db.execute(
            sa.text(
                "INSERT INTO signal_deliveries"
                " (signal_id, channel, state, attempts, next_attempt_at, sent_at) VALUES"
                " (:pending, 'email', 'pending', 3, :at, NULL),"
                " (:pending, 'webhook', 'pending', 3, :at, NULL),"
                " (:sent, 'email', 'sent', 1, :at, :at), (:sent, 'webhook', 'sent', 1, :at, :at)"
            ),
            {"pending": PENDING_SIGNAL, "sent": SENT_SIGNAL, "at": at},
        )
    engine.dispose()

    port = free_port()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    harness = await start_harness(
        tmp_path, college_email="college@voorbeeldstad.example", smtp_port=port,
        college_webhook=webhook, webhook_secret=SECRET,
    )  # fmt: skip
    try:
        listed = (await harness.json("/api/v1/signals"))["items"]
        assert [[d["state"] for d in i["deliveries"]] for i in listed] == [["pending"] * 2, ["sent"] * 2]
        assert await harness.reporting.sender.send_due() == 2
        assert await harness.reporting.sender.send_due() == 0
    finally:
        smtp.stop()
        await harness.close()

    [mail] = [message_from_bytes(m) for m in mailbox.messages]
    assert mail["Message-ID"] == f"<{PENDING_SIGNAL}@klachtstroom>"
    assert mail["Subject"] == "Urgent signaal: KL-1"
    [(headers, raw)] = Webhook.received
    StandardWebhook(SECRET.encode()).verify(raw, headers)
    assert headers["webhook-id"] == f"msg_{PENDING_SIGNAL}"
    assert json.loads(raw) == {
        "type": "nl.klachtstroom.signal.urgent.v1",
        "signal": _payload(PENDING_SIGNAL, "KL-1"),
    }
