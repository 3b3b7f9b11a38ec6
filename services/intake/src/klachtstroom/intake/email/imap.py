"""The mailbox, the other way in: poll an existing (hosted) mailbox over IMAP.

Most municipalities receive complaints at an address of their own mail platform (Exchange
Online, a hosted IMAP server), not at our SMTP listener. `MailboxPoller` logs in (password, or
OAuth2 client credentials with SASL XOAUTH2, as Exchange Online asks), takes every message in
the watched folder, hands it to the same `MailIntake` as SMTP, and then moves it to the
processed folder. Nothing is lost or doubled across restarts:

- a message leaves the watched folder only after its complaint (or reply) was committed;
- a crash between commit and move makes the next round read it again, and registration is
  idempotent on the Message-ID (a message without one gets a Message-ID from its own bytes);
- a message that cannot be stored now (database away) stays, and is tried again next round;
- a message too large to accept is moved to the refused folder, never dropped in silence.

imaplib is blocking: the IMAP conversation runs in a worker thread, registration on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

import httpx

from klachtstroom.intake.email.smtp import MailIntake

log = logging.getLogger(__name__)

SIZE_LIMIT = 25 * 1024 * 1024  # DESIGN "Limits": SMTP messages at most 25 MB; the same here


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int = 993
    security: str = "ssl"  # ssl (IMAPS), starttls or none (tests on loopback only)
    username: str = ""
    password: str | None = None
    oauth2_token_url: str | None = None  # client credentials -> XOAUTH2 instead of a password
    oauth2_client_id: str | None = None
    oauth2_client_secret: str | None = None
    oauth2_scope: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "klachtstroom-verwerkt"
    refused_folder: str = "klachtstroom-niet-verwerkt"
    poll_seconds: float = 30.0
    batch: int = 50


@dataclass(frozen=True)
class Fetched:
    uid: str
    raw: bytes


class MailboxPoller:
    def __init__(self, intake: MailIntake, settings: MailboxSettings) -> None:
        self.intake = intake
        self.settings = settings
        self.stored = 0
        self.refused = 0

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the mailbox away: try again next round, never crash intake
                log.warning("mailbox poll failed (%s); trying again later", type(error).__name__)
            await asyncio.sleep(self.settings.poll_seconds)

    async def poll_once(self) -> int:
        """One round: fetch, register, move. Returns how many messages were taken in."""
        token = await self._oauth2_token()
        connection = await asyncio.to_thread(self._connect, token)
        try:
            fetched, too_large = await asyncio.to_thread(self._fetch, connection)
            if too_large:
                await asyncio.to_thread(self._move, connection, too_large, self.settings.refused_folder)
                self.refused += len(too_large)
                log.warning("mailbox: %d message(s) over the size limit moved aside", len(too_large))
            done: list[str] = []
            for message in fetched:
                try:
                    await self.intake.receive(with_message_id(message.raw))
                except Exception as error:
                    # Not stored: it stays in the folder and is tried again next round.
                    log.error("mailbox: message not stored (%s); kept for later", type(error).__name__)
                    break
                done.append(message.uid)
            if done:
                await asyncio.to_thread(self._move, connection, done, self.settings.processed_folder)
            self.stored += len(done)
            return len(done)
        finally:
            await asyncio.to_thread(_logout, connection)

    # -- IMAP (worker thread) ----------------------------------------------------------------------

    def _connect(self, token: str | None) -> imaplib.IMAP4:
        s = self.settings
        connection: imaplib.IMAP4
        if s.security == "ssl":
            context = ssl.create_default_context()
            connection = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=30)
        else:
            connection = imaplib.IMAP4(s.host, s.port, timeout=30)
            if s.security == "starttls":
                connection.starttls(ssl.create_default_context())
        if token is not None:
            auth = f"user={s.username}\x01auth=Bearer {token}\x01\x01".encode()
            connection.authenticate("XOAUTH2", lambda _challenge: auth)
        else:
            connection.login(s.username, s.password or "")
        return connection

    def _fetch(self, connection: imaplib.IMAP4) -> tuple[list[Fetched], list[str]]:
        status, _count = connection.select(_quoted(self.settings.folder))
        if status != "OK":
            raise imaplib.IMAP4.error("folder not selectable")
        _status, found = connection.uid("SEARCH", "ALL")
        first = found[0]
        uids = (first.decode() if isinstance(first, bytes) else "").split()[: self.settings.batch]
        fetched: list[Fetched] = []
        too_large: list[str] = []
        for uid in uids:
            _status, sized = connection.uid("FETCH", uid, "(RFC822.SIZE)")
            size = _size(sized)
            if size is not None and size > SIZE_LIMIT:
                too_large.append(uid)
                continue
            _status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is not None:
                fetched.append(Fetched(uid, bytes(raw)))
        return fetched, too_large

    def _move(self, connection: imaplib.IMAP4, uids: list[str], folder: str) -> None:
        connection.create(_quoted(folder))  # "already exists" is an answer, not an error
        joined = ",".join(uids)
        _status, listed = connection.capability()  # after login: servers announce more then
        last = listed[-1] if listed else b""
        capabilities = set((last.decode() if isinstance(last, bytes) else "").upper().split())
        if "MOVE" in capabilities:
            _check(connection.uid("MOVE", joined, _quoted(folder)))
            return
        _check(connection.uid("COPY", joined, _quoted(folder)))
        _check(connection.uid("STORE", joined, "+FLAGS.SILENT", r"(\Deleted)"))
        connection.expunge()

    async def _oauth2_token(self) -> str | None:
        s = self.settings
        if not s.oauth2_token_url:
            return None
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0), follow_redirects=False) as client:
            response = await client.post(
                s.oauth2_token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": s.oauth2_client_id or "",
                    "client_secret": s.oauth2_client_secret or "",
                    **({"scope": s.oauth2_scope} if s.oauth2_scope else {}),
                },
            )
            response.raise_for_status()
            return str(response.json()["access_token"])


def with_message_id(raw: bytes) -> bytes:
    """The message itself, with a Message-ID made from its bytes when it has none (idempotency)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if re.search(rb"(?im)^message-id\s*:", head):
        return raw
    digest = hashlib.sha256(raw).hexdigest()[:40]
    return f"Message-ID: <imap-{digest}@klachtstroom.invalid>\r\n".encode() + raw


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(answer: tuple[str, object]) -> None:
    if answer[0] != "OK":
        raise imaplib.IMAP4.error(f"IMAP command refused: {answer[0]}")


def _size(data: list[object]) -> int | None:
    for part in data:
        text = part[0] if isinstance(part, tuple) else part
        if isinstance(text, bytes):
            found = re.search(rb"RFC822\.SIZE (\d+)", text)
            if found:
                return int(found.group(1))
    return None


def _logout(connection: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        connection.logout()
