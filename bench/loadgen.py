"""Open-loop load: POST a complaint at a fixed rate, in a process of its own.

    python bench/loadgen.py URL TOKEN_FILE RATE SECONDS OUT.json

Request i is due at start + i/RATE and is sent then, whether or not earlier requests have been
answered (open loop: a slow server gets more requests in flight, not fewer requests). Its
latency runs from that due time, so a late send (a busy client or a full connection pool)
counts against the server instead of hiding (no coordinated omission). Writes, per request,
its due time (wall clock), latency in seconds, HTTP status (0: no answer) and the id answered.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

TIMEOUT = 10.0
IDLE_REUSE = 3.0  # seconds a kept-alive connection may have been idle and still be reused


class Client:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: a pool of idle connections, a
    new one when none is idle. (httpx spends milliseconds of CPU per request, enough to make
    the generator, not the server, the bottleneck on a 2-core machine.)"""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < IDLE_REUSE:
                break
            writer.close()  # uvicorn closes keep-alive connections idle for 5 s
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            status, data, close = await self._exchange(reader, writer, method, path, body)
        except BaseException:  # timed out or broken: this connection is not reused
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status, data

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, path: str, body: bytes
    ) -> tuple[int, bytes, bool]:
        writer.write(
            f"{method} {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        data = await reader.readexactly(length)
        return status, data, close


def _letters(i: int) -> str:
    """A distinct name part per request: intake's name normaliser drops digits, so "Persoon 7"
    and "Persoon 8" would be one person (and every complaint a duplicate suspicion)."""
    word = ""
    while True:
        i, rest = divmod(i, 26)
        word = chr(ord("a") + rest) + word
        if i == 0:
            return word.capitalize()


def body(i: int) -> dict[str, object]:
    # No personal data of anyone: invented contacts and a plain text. A contact per request, as
    # real traffic has: one contact for all would make every complaint a duplicate suspicion of
    # the 50 before it (intake compares a complainant's recent complaints).
    return {
        "channel": "web_form",
        "description": f"Ik wacht al weken op een antwoord op mijn aanvraag bijzondere bijstand ({i}).",
        "municipality": "Voorbeeldstad",
        "unit": "Inkomen",
        "complainant": {"name": f"Bench {_letters(i)}", "email": f"bench.{i}@example.org"},
    }


async def one(client: Client, i: int, due: float, due_wall: float, out: list[list[object]]) -> None:
    status, ident = 0, ""
    try:
        async with asyncio.timeout(TIMEOUT):
            status, data = await client.request("POST", "/api/v1/complaints", json.dumps(body(i)).encode())
        if status == 202:
            ident = str(json.loads(data).get("id", ""))
    except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError):
        status = 0
    out.append([due_wall, time.perf_counter() - due, status, ident])


async def main(url: str, token: str, rate: float, seconds: float) -> list[list[object]]:
    client = Client(url, token)
    out: list[list[object]] = []
    await client.request("GET", "/healthz")  # one warm connection
    n = int(rate * seconds)
    start, start_wall = time.perf_counter() + 0.2, time.time() + 0.2
    tasks = []
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(client, i, due, start_wall + i / rate, out)))
    await asyncio.gather(*tasks)
    return out


if __name__ == "__main__":
    url, token_file, rate, seconds, target = sys.argv[1:6]
    token = Path(token_file).read_text().strip()
    rows = asyncio.run(main(url, token, float(rate), float(seconds)))
    Path(target).write_text(json.dumps(rows))
