"""The mailbox over a real SMTP connection: complaints, replies, duplicates, auto-replies, bounces."""

from __future__ import annotations

import logging
import smtplib
import time
from email.message import EmailMessage
from typing import Any

import pytest
from intake_harness import Intake

PDF = b"%PDF-1.4\n% bijlage\n"


@pytest.fixture
def mailbox(make_intake: Any) -> tuple[Intake, int]:
    intake: Intake = make_intake(smtp_enabled=True, smtp_port=0)
    receiver = intake.app.state.smtp
    deadline = time.monotonic() + 10
    while not receiver.started.is_set():
        assert time.monotonic() < deadline, "SMTP did not start"
        time.sleep(0.05)
    return intake, receiver.port


def send(port: int, mail: EmailMessage, sender: str = "anna@example.nl") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, ["klachten@gemeente.example"], mail.as_bytes())


def mail(subject: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Anna de Vries <anna@example.nl>"
    message["To"] = "klachten@gemeente.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def count(intake: Intake, table: str) -> int:
    return int(intake.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"])


def test_a_mail_becomes_one_email_complaint_with_its_attachment(
    mailbox: tuple[Intake, int], caplog: pytest.LogCaptureFixture
) -> None:
    intake, port = mailbox
    caplog.set_level(logging.INFO)
    message = mail(
        "Klacht over mijn uitkering", "Mijn uitkering is al twee maanden te laat.", "<m1@example.nl>"
    )
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="brief.pdf")
    send(port, message)
    send(port, message)  # delivered twice by a retrying server
    [complaint] = intake.rows("SELECT * FROM complaints")
    assert complaint["channel"] == "email"
    assert complaint["source_ref"] == "<m1@example.nl>"
    assert complaint["description"].startswith("Klacht over mijn uitkering\n\nMijn uitkering")
    [person] = intake.raw_rows("SELECT * FROM complainants")
    assert person["email_enc"] and b"anna@example.nl" not in person["email_enc"] and person["email_hash"]
    vault = intake.app.state.registrar.vault
    assert vault.decrypt(person["email_enc"]) == "anna@example.nl"
    assert vault.decrypt(person["name_enc"]) == "Anna de Vries"
    assert [r["filename"] for r in intake.rows("SELECT filename FROM attachments")] == ["brief.pdf"]
    [event] = intake.events("received")
    assert event["data"]["channel"] == "email" and event["data"]["attachments"] == 1
    assert event["data"]["complainant_reachable"] is True
    assert "e-mail received: complaint" in caplog.text  # the log is captured ...
    assert (
        "anna@example.nl" not in caplog.text and "Anna" not in caplog.text
    )  # ... and holds no personal data


def test_a_reply_naming_the_reference_is_kept_with_that_complaint(mailbox: tuple[Intake, int]) -> None:
    intake, port = mailbox
    send(port, mail("Klacht", "De hulp thuis komt niet.", "<first@example.nl>"))
    [complaint] = intake.rows("SELECT id, reference FROM complaints")
    reply = mail(
        f"Re: Uw klacht {complaint['reference']}", "Ook vandaag kwam er niemand.", "<reply@example.nl>"
    )
    reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="rooster.pdf")
    send(port, reply)
    send(port, reply)
    assert count(intake, "complaints") == 1
    [message] = intake.rows("SELECT * FROM complaint_messages")
    assert message["complaint_id"] == complaint["id"]
    assert message["body"] == "Ook vandaag kwam er niemand."
    [attachment] = intake.rows("SELECT * FROM attachments WHERE message_id IS NOT NULL")
    assert attachment["complaint_id"] == complaint["id"] and attachment["message_id"] == message["id"]
    listed = intake.client.get(f"/api/v1/complaints/{complaint['id']}/messages").json()
    assert [m["body"] for m in listed["items"]] == ["Ook vandaag kwam er niemand."]


def test_a_reference_nobody_knows_makes_a_new_complaint(mailbox: tuple[Intake, int]) -> None:
    intake, port = mailbox
    send(port, mail("Over KL-2020-999999", "Ik heb nooit antwoord gekregen.", "<x@example.nl>"))
    assert count(intake, "complaints") == 1 and count(intake, "complaint_messages") == 0


def test_auto_replies_and_bounces_are_accepted_and_dropped(mailbox: tuple[Intake, int]) -> None:
    intake, port = mailbox
    send(port, mail("Automatisch antwoord: klacht", "Ik ben afwezig tot maandag.", "<a1@example.nl>"))
    send(port, mail("Klacht", "Ik ben afwezig.", "<a2@example.nl>", Auto_Submitted="auto-replied"))
    send(port, mail("Undelivered", "Could not deliver.", "<b1@example.nl>"), sender="")  # MAIL FROM:<>
    assert count(intake, "complaints") == 0


def test_a_message_over_25_mb_is_refused_with_552_and_nothing_stored(mailbox: tuple[Intake, int]) -> None:
    intake, port = mailbox
    message = mail("Klacht met grote bijlage", "Zie de bijlage.", "<big@example.nl>")
    message.add_attachment(
        b"\0" * (20 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="groot.bin"
    )  # fmt: skip  (base64: about 27 MB)
    with pytest.raises(smtplib.SMTPException) as refused:
        send(port, message)
    error = refused.value
    code = getattr(error, "smtp_code", None) or next(iter(getattr(error, "recipients", {}).values()), (0,))[0]
    assert code == 552
    assert count(intake, "complaints") == 0


def test_a_nul_and_undecodable_bytes_in_headers_never_travel_on(mailbox: tuple[Intake, int]) -> None:
    intake, port = mailbox
    raw = (
        b"From: Anna <anna@example.nl>\r\nTo: klachten@gemeente.example\r\n"
        b"Subject: =?utf-8?q?Klacht_over_de=00_hulp?= \xff\xfe kapot\r\n"
        b"Message-ID: <nul@example.nl>\r\n\r\nDe hulp komt niet.\r\n"
    )
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("anna@example.nl", ["klachten@gemeente.example"], raw)
    deadline = time.monotonic() + 10
    while count(intake, "complaints") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    stored = intake.rows("SELECT description FROM complaints")[0]["description"]
    assert "\x00" not in stored and "hulp" in stored
    events = str(intake.rows("SELECT value FROM outbox"))
    assert "\\u0000" not in events and "\\x00" not in events


def test_a_reply_from_another_address_never_joins_that_file(mailbox: tuple[Intake, int]) -> None:
    """References are printed on letters and guessable: the sender must be the complainant."""
    intake, port = mailbox
    send(port, mail("Klacht", "De hulp thuis komt niet.", "<first@example.nl>"))
    [complaint] = intake.rows("SELECT id, reference FROM complaints")
    stranger = mail(f"Re: {complaint['reference']}", "Ik wil dit dossier zien.", "<guess@example.nl>")
    stranger.replace_header("From", "Kees <kees@example.org>")
    send(port, stranger, sender="kees@example.org")
    assert count(intake, "complaint_messages") == 0
    complaints = intake.rows("SELECT id, handover_note FROM complaints ORDER BY received_at, id")
    assert len(complaints) == 2
    [new] = [c for c in complaints if c["id"] != complaint["id"]]
    assert "niet van het e-mailadres" in new["handover_note"]
    assert complaint["reference"] not in (new["handover_note"] or "")


def test_every_byte_is_kept_and_the_sender_hears_what_was_not_accepted(mailbox: tuple[Intake, int]) -> None:
    """The raw message is kept (encrypted) with the file; a refused attachment is not silently lost."""
    intake, port = mailbox
    message = mail("Klacht", "Zie de bijlage.", "<with-exe@example.nl>")
    message.add_attachment(
        b"MZ\x90\x00 program", maintype="application", subtype="octet-stream", filename="x.exe"
    )
    send(port, message)
    [complaint] = intake.rows("SELECT id, handover_note FROM complaints")
    [kept] = intake.raw_rows("SELECT * FROM raw_mails")
    assert kept["complaint_id"] == complaint["id"] and kept["message_id"] is None
    assert b"Zie de bijlage" not in kept["data"]  # encrypted at rest ...
    [raw] = intake.rows("SELECT data FROM raw_mails")
    assert "Zie de bijlage." in raw["data"] and "x.exe" in raw["data"]  # ... and every byte is there
    assert "Niet alle bijlagen" in complaint["handover_note"]  # the coordinator is told
    [told] = intake.rows("SELECT * FROM resident_messages WHERE kind = 'mail_not_accepted'")
    assert told["recipient_enc"] == "anna@example.nl"
    assert "soort bestand dat we niet kunnen openen" in told["body_enc"] and "x.exe" not in told["body_enc"]

    reply = mail(
        f"Re: {intake.rows('SELECT reference FROM complaints')[0]['reference']}", "Nog een.", "<r2@e.nl>"
    )
    reply.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="y.exe")
    send(port, reply)
    [message_row] = intake.rows("SELECT id FROM complaint_messages")
    assert {r["message_id"] for r in intake.rows("SELECT message_id FROM raw_mails")} == {
        None,
        message_row["id"],
    }
    assert len(intake.rows("SELECT id FROM resident_messages WHERE kind = 'mail_not_accepted'")) == 2
