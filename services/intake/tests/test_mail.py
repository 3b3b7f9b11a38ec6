"""Reading e-mail: plain, MIME, HTML-only, attachments, replies; auto-replies and bounces ignored."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from klachtstroom.intake.email.parse import html_to_text, parse_mail

PDF = b"%PDF-1.4\n% test\n"


def message(
    subject: str = "Klacht over de Wmo",
    body: str | None = "Ik ben niet goed geholpen.",
    sender: str = "Anna de Vries <anna@example.nl>",
    **headers: str,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "klachten@gemeente.example"
    mail["Subject"] = subject
    mail["Message-ID"] = "<abc123@example.nl>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    if body is not None:
        mail.set_content(body)
    return mail


def test_a_plain_text_mail_gives_subject_text_and_sender() -> None:
    parsed = parse_mail(message().as_bytes(), "anna@example.nl")
    assert parsed.ignore_reason is None
    assert parsed.subject == "Klacht over de Wmo"
    assert parsed.text == "Ik ben niet goed geholpen."
    assert parsed.description == "Klacht over de Wmo\n\nIk ben niet goed geholpen."
    assert (parsed.sender_email, parsed.sender_name) == ("anna@example.nl", "Anna de Vries")
    assert parsed.message_id == "<abc123@example.nl>"
    assert parsed.reference is None


def test_multipart_alternative_prefers_the_plain_part() -> None:
    mail = message(body="Platte tekst van de klacht.")
    mail.add_alternative("<p>HTML <b>versie</b></p>", subtype="html")
    parsed = parse_mail(mail.as_bytes())
    assert parsed.text == "Platte tekst van de klacht."
    assert parsed.attachments == []


def test_html_only_mail_is_turned_into_readable_text() -> None:
    mail = message(body=None)
    mail.set_content(
        "<html><head><style>p {color: red}</style></head><body><p>Beste gemeente,</p>"
        "<p>Mijn uitkering is &eacute;&eacute;n maand te laat.</p><script>alert(1)</script>"
        "<ul><li>punt een</li><li>punt twee</li></ul></body></html>",
        subtype="html",
    )
    parsed = parse_mail(mail.as_bytes())
    assert parsed.text == "Beste gemeente,\n\nMijn uitkering is één maand te laat.\n\npunt een\n\npunt twee"
    assert "color" not in parsed.text and "alert" not in parsed.text


def test_html_to_text_keeps_line_breaks() -> None:
    assert html_to_text("a<br>b<div>c</div>") == "a\nb\nc"


def test_attachments_are_kept_within_the_limits_and_refusals_are_counted_without_names() -> None:
    mail = message()
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="beschikking jansen.pdf")
    mail.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="virus.pdf")
    parsed = parse_mail(mail.as_bytes())
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("beschikking jansen.pdf", "application/pdf")
    ]
    assert parsed.refused == ["bestandstype niet toegestaan"]
    assert parsed.text == "Ik ben niet goed geholpen."


def test_more_than_three_files_keeps_the_first_three() -> None:
    mail = message()
    for i in range(4):
        mail.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"stuk{i}.pdf")
    parsed = parse_mail(mail.as_bytes())
    assert len(parsed.attachments) == 3
    assert parsed.refused == ["meer dan 3 bestanden"]


def test_a_reference_in_the_subject_makes_it_a_reply() -> None:
    parsed = parse_mail(message(subject="RE: Uw klacht kl-2026-000042 is ontvangen").as_bytes())
    assert parsed.reference == "KL-2026-000042"


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Klacht"),
        ({"X_Autoreply": "yes"}, "Klacht"),
        ({"Precedence": "bulk"}, "Nieuwsbrief"),
        ({"Precedence": "auto_reply"}, "Klacht"),
        ({}, "Automatisch antwoord: Uw klacht KL-2026-000001"),
        ({}, "Out of Office: klacht"),
    ],
)
def test_auto_replies_are_ignored(headers: dict[str, str], subject: str) -> None:
    parsed = parse_mail(message(subject=subject, **headers).as_bytes(), "anna@example.nl")
    assert parsed.ignore_reason == "auto_reply"


def test_auto_submitted_no_is_a_person() -> None:
    assert parse_mail(message(Auto_Submitted="no").as_bytes()).ignore_reason is None


def test_bounces_are_ignored() -> None:
    from_daemon = message(
        sender="MAILER-DAEMON@mail.example.nl", subject="Undelivered Mail Returned to Sender"
    )
    assert parse_mail(from_daemon.as_bytes(), "").ignore_reason == "bounce"
    assert parse_mail(message().as_bytes(), "").ignore_reason == "bounce"  # null envelope sender <>
    raw = (
        b"From: postbus@example.nl\r\nSubject: Delivery Status Notification (Failure)\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    assert parse_mail(raw, "postbus@example.nl").ignore_reason == "bounce"


def test_a_multipart_message_without_a_boundary_keeps_its_text() -> None:
    raw = (
        b"From: a@example.nl\r\nSubject: Klacht\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"De hulp thuis kwam niet en niemand belde.\r\n"
    )
    parsed = parse_mail(raw)
    assert parsed.text == "De hulp thuis kwam niet en niemand belde."
    assert "De hulp thuis" in parsed.description
