"""Reading an incoming e-mail: what it says, who sent it, its files, and whether to ignore it.

Pure: bytes in, a ParsedMail out. Auto-replies and bounces are recognised so an out-of-office
message never becomes a complaint (and we never answer a machine, which could loop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from klachtstroom.intake.attachments import AttachmentRefused, CheckedFile, check_file
from klachtstroom.platform.text_guard import scrub

REFERENCE = re.compile(r"\bKL-(\d{4})-(\d{6})\b", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatisch beantwoord|out of office|afwezig|afwezigheidsbericht"
    r"|automatic reply|auto[- ]?reply|autoreply|auto:|abwesenheitsnotiz)",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|mail delivery failed"
    r"|onbestelbaar|niet bezorgd)",
    re.IGNORECASE,
)
_BLOCKS = frozenset(
    ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul")
)
MAX_FILES = 3


@dataclass
class ParsedMail:
    message_id: str | None
    subject: str
    text: str
    sender_email: str | None
    sender_name: str | None
    reference: str | None
    ignore_reason: str | None = None  # "auto_reply" or "bounce": accepted and dropped
    attachments: list[CheckedFile] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why files were not kept (no file names)

    @property
    def description(self) -> str:
        parts = [p for p in (self.subject, self.text) if p]
        return "\n\n".join(parts) or "(lege e-mail)"


class _TextOfHtml(HTMLParser):
    """HTML-only mail to plain text: keep the words and the paragraph breaks, drop style and script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def ignore_reason(message: EmailMessage, envelope_sender: str | None) -> str | None:
    """Why a message is not a person writing to us, or None (RFC 3834, RFC 3464)."""
    sender = (envelope_sender or "").strip().strip("<>")
    from_addresses = [address for _, address in getaddresses([str(message.get("From", ""))])]
    subject = str(message.get("Subject", ""))
    if envelope_sender is not None and not sender:
        return "bounce"  # the null reverse-path <> is used only by delivery reports
    if message.get_content_type() == "multipart/report" or any(map(_BOUNCE_SENDER.match, from_addresses)):
        return "bounce"
    if _BOUNCE_SUBJECT.match(subject) and message.is_multipart():
        return "bounce"
    auto_submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply"
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "auto_reply"
    if str(message.get("Precedence", "")).strip().lower() in ("bulk", "auto_reply", "junk"):
        return "auto_reply"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return None


def _body_and_files(message: EmailMessage) -> tuple[str, list[tuple[str | None, bytes]]]:
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        # A multipart message without a (usable) boundary: the parser leaves its whole body as
        # one string. Keep it as the text rather than losing it.
        payload = message.get_payload(decode=True)
        raw = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(message.get_payload())
        return raw.strip(), []
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        text = _text_of(body)  # type: ignore[arg-type]
        if body.get_content_type() == "text/html":
            text = html_to_text(text)
    files: list[tuple[str | None, bytes]] = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and disposition != "inline"):
            data = part.get_payload(decode=True)
            files.append((filename, data if isinstance(data, bytes) else b""))
    return text.strip(), files


def parse_mail(raw: bytes, envelope_sender: str | None = None) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    # Header bytes that are not text arrive as lone surrogates, and a NUL can be encoded in
    # a header: neither can be stored nor should travel on (`scrub` drops or replaces them).
    subject = scrub(" ".join(str(message.get("Subject", "")).split()))
    message_id = scrub(str(message.get("Message-ID", ""))).strip() or None
    names = getaddresses([scrub(str(message.get("From", "")))])
    sender_name, sender_email = names[0] if names else ("", "")
    if not sender_email and envelope_sender:
        sender_email = envelope_sender.strip("<>")
    found = REFERENCE.search(subject)
    parsed = ParsedMail(
        message_id=message_id[:300] if message_id else None,
        subject=subject,
        text="",
        sender_email=(sender_email or "").strip().lower() or None,
        sender_name=sender_name.strip() or None,
        reference=f"KL-{found.group(1)}-{found.group(2)}" if found else None,
        ignore_reason=ignore_reason(message, envelope_sender),
    )
    if parsed.ignore_reason:
        return parsed
    text, files = _body_and_files(message)
    parsed.text = scrub(text)
    for filename, data in files:
        if len(parsed.attachments) >= MAX_FILES:
            parsed.refused.append(f"meer dan {MAX_FILES} bestanden")
            continue
        try:
            parsed.attachments.append(check_file(filename, data))
        except AttachmentRefused as refused:
            # No file names here: they may name a person, and this text travels in events.
            parsed.refused.append("te groot" if refused.status == 413 else "bestandstype niet toegestaan")
    return parsed
