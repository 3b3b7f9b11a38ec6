"""Create Kafka topics with one CreateTopics request over a plain socket (standard library only).

Used by kafka_node.py to probe readiness and create the development topics in milliseconds, without
starting a JVM per topic and without any Python Kafka client installed. Plain-text listeners only:
against a secured production cluster, create topics with the cluster's own tooling.
"""

from __future__ import annotations

import socket
import struct


class KafkaNodeError(RuntimeError):
    """The development Kafka could not be fetched, started, stopped or given its topics."""


class NotReadyError(KafkaNodeError):
    """The broker answered, but cannot create topics yet (retry)."""


# Kafka protocol error codes that mean "not ready yet, ask again" while a fresh node starts.
_RETRIABLE = {
    5: "LEADER_NOT_AVAILABLE",
    7: "REQUEST_TIMED_OUT",
    15: "COORDINATOR_NOT_AVAILABLE",
    38: "INVALID_REPLICATION_FACTOR (no broker registered yet)",
    41: "NOT_CONTROLLER",
    56: "KAFKA_STORAGE_ERROR",
    89: "THROTTLING_QUOTA_EXCEEDED",
}
_TOPIC_ALREADY_EXISTS = 36


def _kstr(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)


def _request(bootstrap: str, api_key: int, version: int, body: bytes, timeout: float) -> _Reader:
    """Send one request (header v1) and return a reader positioned after the correlation id."""
    host, _, port = bootstrap.rpartition(":")
    payload = struct.pack(">hhi", api_key, version, 1) + _kstr("klachtstroom-kafka-node") + body
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(payload)) + payload)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            reader = _Reader(_recv_exact(sock, size))
    except OSError as exc:
        raise NotReadyError(f"{bootstrap}: {exc}") from exc
    reader.int32()  # correlation id
    return reader


class _Reader:
    """Reads the plain (non-flexible) encoding of Kafka responses."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def int16(self) -> int:
        return self._take(">h")

    def int32(self) -> int:
        return self._take(">i")

    def boolean(self) -> bool:
        return self._take(">?") != 0

    def string(self) -> str:
        size = self.int16()  # -1: null
        text = self.data[self.pos : self.pos + max(size, 0)].decode()
        self.pos += max(size, 0)
        return text


def create_topics_wire(
    bootstrap: str, topics: dict[str, int], *, validate_only: bool = False, timeout: float = 10.0
) -> None:
    """Create topics with one CreateTopics v2 request; existing topics are left as they are.

    v2 is the oldest version Kafka 4 still accepts and is plain (non-flexible) encoding. Raises
    NotReadyError for errors a starting node gives, KafkaNodeError for the rest.
    """
    body = struct.pack(">i", len(topics))
    for name, partitions in topics.items():
        # replication factor 1, no manual assignment, no configs: this is for the single development node
        body += _kstr(name) + struct.pack(">ihii", partitions, 1, 0, 0)
    body += struct.pack(">i?", int(timeout * 1000), validate_only)
    resp = _request(bootstrap, 19, 2, body, timeout + 5)
    resp.int32()  # throttle_time_ms
    retry: list[str] = []
    fatal: list[str] = []
    for _ in range(resp.int32()):
        name, code, message = resp.string(), resp.int16(), resp.string()
        if code in (0, _TOPIC_ALREADY_EXISTS):
            continue
        line = f"{name}: error {code} {_RETRIABLE.get(code, '')} {message}".strip()
        (retry if code in _RETRIABLE else fatal).append(line)
    if fatal:
        raise KafkaNodeError("creating topics failed: " + "; ".join(fatal))
    if retry:
        raise NotReadyError("; ".join(retry))


def partitions_not_serving(bootstrap: str, topics: dict[str, int], timeout: float = 10.0) -> list[str]:
    """Ask each partition's leader for its end offset (ListOffsets v1); list the ones that cannot answer.

    Right after creation a topic is in the metadata before its leader serves it, and producing then
    fails with NOT_LEADER. The end-offset lookup goes through the same leader check as a produce, so
    ``[]`` here means "ready to produce". On one node every leader is the node we ask.
    """
    body = struct.pack(">ii", -1, len(topics))  # replica_id -1: an ordinary client
    for name, partitions in topics.items():
        body += _kstr(name) + struct.pack(">i", partitions)
        body += b"".join(struct.pack(">iq", index, -1) for index in range(partitions))  # -1: latest
    resp = _request(bootstrap, 2, 1, body, timeout)
    waiting: list[str] = []
    for _ in range(resp.int32()):
        name = resp.string()
        for _ in range(resp.int32()):
            index, code = resp.int32(), resp.int16()
            resp.pos += 16  # timestamp, offset
            if code != 0:
                waiting.append(f"{name}-{index}")
    return waiting
