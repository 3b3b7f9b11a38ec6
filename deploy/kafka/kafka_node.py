"""Single-node Apache Kafka (KRaft) for development and CI, run from jars fetched from Maven Central.

Standard library only, so it works before any project dependency is installed.

CLI::

    python deploy/kafka/kafka_node.py fetch
    python deploy/kafka/kafka_node.py start [--port 9092] [--controller-port 9093] [--data-dir DIR]
                                            [--foreground]
    python deploy/kafka/kafka_node.py stop [--data-dir DIR]
    python deploy/kafka/kafka_node.py topics [--port 9092 | --bootstrap HOST:PORT] [--via admin|java]

Python API (pytest fixtures, the run supervisor)::

    node = KafkaNode(data_dir, port=9092, controller_port=9093)
    node.start()                # fetch if needed, format once, start, wait until topics can be created
    node.create_topics(DEFAULT_TOPICS)
    node.bootstrap              # "127.0.0.1:9092"
    node.stop()

Layout under ``<data_dir>/kafka/``: ``server.properties``, ``cluster-id``, ``data/`` (log.dirs),
``logs/server.log``, ``kafka.out`` (JVM stdout/stderr), ``kafka.pid``. The jars live in
``${KLACHTSTROOM_DATA_DIR:-<repo>/.run}/kafka/libs`` (override: ``KLACHTSTROOM_KAFKA_LIBS``), shared by
every data dir so tests on temporary dirs do not fetch again.

Siblings: ``kafka_jars.py`` (fetch the jars, run Kafka's tools), ``server.properties.template``,
``log4j.properties``; topics are created by the platform's ``kafka_topics`` (aiokafka admin client,
explicit configs, no JVM), imported when needed so ``fetch`` runs without any Kafka client.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
# deploy/kafka is not a package. Run as a script, this folder is sys.path[0]; loaded by path (pytest,
# the run supervisor) it is not, so make the sibling modules importable either way.
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))
from kafka_jars import (  # noqa: E402
    KafkaNodeError,
    create_topics_java,
    default_data_dir,
    default_libs_dir,
    fetch,
    java,
    run_tool,
)


class NotReadyError(KafkaNodeError):
    """The broker answered, but cannot create topics yet (retry)."""

__all__ = ["DEFAULT_TOPICS", "KafkaNode", "KafkaNodeError", "NotReadyError", "create_topics_java", "fetch"]

TEMPLATE = HERE / "server.properties.template"
LOG4J = HERE / "log4j.properties"

# DESIGN.md topic table, plus a dead-letter twin for each (poison messages after N attempts); the
# configs (event topics kept forever, DLQ topics 30 days) are klachtstroom.platform.kafka_topics'.
DEFAULT_TOPICS: dict[str, int] = {
    "complaints.intake.v1": 6,
    "complaints.case.v1": 6,
    "complaints.deadline.v1": 6,
    "complaints.signal.v1": 6,
    "complaints.intake.v1.dlq": 3,
    "complaints.case.v1.dlq": 3,
    "complaints.deadline.v1.dlq": 3,
    "complaints.signal.v1.dlq": 3,
}


def create_topics_admin(bootstrap: str, topics: dict[str, int], *, validate_only: bool = False) -> None:
    """Create topics with the aiokafka admin client and the configs of the platform (existing ones are
    left as they are); NotReadyError while the node cannot do it yet."""
    from klachtstroom.platform.kafka_topics import DLQ_RETENTION_MS, KEEP_FOREVER, TopicSpec, ensure_topics
    from klachtstroom.platform.settings import PlatformSettings

    def retention(name: str) -> str:
        return DLQ_RETENTION_MS if name.endswith(".dlq") else KEEP_FOREVER

    specs = [TopicSpec(name, count, {"retention.ms": retention(name)}) for name, count in topics.items()]
    settings = PlatformSettings(kafka_bootstrap=bootstrap, kafka_replication_factor=1)
    try:
        asyncio.run(ensure_topics(settings, specs, validate_only=validate_only))
    except Exception as exc:  # not reachable yet, no broker registered yet, controller moving
        raise NotReadyError(f"{type(exc).__name__}: {exc}") from exc


def partitions_not_serving(bootstrap: str, topics: dict[str, int], timeout: float = 10.0) -> list[str]:
    """The partitions whose leader cannot answer an end-offset request yet (the same leader check
    as a produce): right after creation a topic is in the metadata before its leader serves it."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def probe() -> list[str]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
        await consumer.start()
        try:
            parts = [TopicPartition(name, index) for name, count in topics.items() for index in range(count)]
            try:
                await asyncio.wait_for(consumer.end_offsets(parts), timeout)
            except Exception:
                return [f"{p.topic}-{p.partition}" for p in parts]
            return []
        finally:
            await consumer.stop()

    try:
        return asyncio.run(probe())
    except Exception as exc:
        raise NotReadyError(f"{type(exc).__name__}: {exc}") from exc


BROKER_HEAP = ["-Xms256m", "-Xmx512m"]
BROKER_JVM = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent"]


# ---------------------------------------------------------------- the node


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _random_cluster_id() -> str:
    # Kafka's Uuid text form: URL-safe base64 of 16 random bytes, no padding, never starting with "-".
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


class KafkaNode:
    """One Kafka process that is both broker and KRaft controller, listening on 127.0.0.1 only."""

    def __init__(
        self, data_dir: Path, port: int = 9092, controller_port: int = 9093, libs_dir: Path | None = None
    ) -> None:
        if port == controller_port:
            raise KafkaNodeError("broker port and controller port must differ")
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.libs_dir = libs_dir or default_libs_dir()
        self.home = self.data_dir / "kafka"
        self.properties = self.home / "server.properties"
        self.pid_file = self.home / "kafka.pid"
        self.out_file = self.home / "kafka.out"
        self.log_dir = self.home / "logs"
        self.store = self.home / "data"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- process bookkeeping

    def pid(self) -> int | None:
        """The pid of this data dir's broker if it is alive; removes a stale pid file."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if self._alive(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # someone else's process reusing the number
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists():  # guard against pid reuse after a reboot or crash
            args = cmdline.read_bytes()
            if b"kafka.Kafka" not in args or str(self.properties).encode() not in args:
                return False
            with contextlib.suppress(OSError):
                if "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text():
                    return False
        return True

    def running(self) -> bool:
        return self.pid() is not None

    # -- lifecycle

    def _render(self) -> None:
        text = string.Template(TEMPLATE.read_text()).substitute(
            broker_port=self.port, controller_port=self.controller_port, node_id=1, log_dirs=self.store
        )
        self.properties.write_text(text)

    def _format_once(self, libs: Path) -> None:
        if (self.store / "meta.properties").exists():
            return  # already formatted: keep data and the cluster id
        id_file = self.home / "cluster-id"
        if not id_file.exists():
            id_file.write_text(_random_cluster_id() + "\n")
        cluster_id = id_file.read_text().strip()
        result = run_tool(
            libs,
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            "-t",
            cluster_id,
            "-c",
            str(self.properties),
        )
        if result.returncode != 0:
            raise KafkaNodeError(f"formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def _command(self, libs: Path) -> list[str]:
        extra = os.environ.get("KLACHTSTROOM_KAFKA_JAVA_OPTS", "").split()
        return [
            java(),
            *BROKER_HEAP,
            *BROKER_JVM,
            *extra,
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{LOG4J}",
            f"-Dkafka.logs.dir={self.log_dir}",
            "-cp",
            str(libs / "*"),
            "kafka.Kafka",
            str(self.properties),
        ]

    def start(self, timeout: float = 90, topics: dict[str, int] | None = None) -> None:
        """Start (or adopt an already running) node and return once topics can be created.

        ``topics`` defaults to DEFAULT_TOPICS; pass ``{}`` to create none.
        """
        topics = DEFAULT_TOPICS if topics is None else topics
        self.home.mkdir(parents=True, exist_ok=True)
        if self.running():
            self.wait_ready(timeout, topics)
            return
        for port in (self.port, self.controller_port):
            if not _port_free(port):
                raise KafkaNodeError(
                    f"port {port} on 127.0.0.1 is already in use by another process; "
                    "stop it or choose other ports (--port / --controller-port)"
                )
        libs = fetch(self.libs_dir)
        self.log_dir.mkdir(exist_ok=True)
        self._render()
        self._format_once(libs)
        with self.out_file.open("ab") as out:
            # own session: Ctrl-C in a terminal reaches the supervisor, which stops Kafka in order
            self._proc = subprocess.Popen(
                self._command(libs),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._proc.pid}\n")
        try:
            self.wait_ready(timeout, topics)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 90, topics: dict[str, int] | None = None) -> None:
        """Poll until the broker accepts connections and can create topics, then create ``topics``."""
        deadline = time.monotonic() + timeout
        # validate_only: proves the controller can place a partition, creates nothing
        self._create_when_ready({"__klachtstroom_ready_probe": 1}, deadline, validate_only=True)
        if topics:
            self._create_when_ready(topics, deadline)
            self._wait_until_served(topics, deadline)

    def create_topics(self, topics: dict[str, int]) -> None:
        """Create topics if missing (idempotent), retrying while the node settles."""
        deadline = time.monotonic() + 30
        self._create_when_ready(topics, deadline)
        self._wait_until_served(topics, deadline)

    def _wait_until_served(self, topics: dict[str, int], deadline: float) -> None:
        # a new topic exists before its leaders are known; producing then fails with NOT_LEADER
        waiting = list(topics)
        while True:
            with contextlib.suppress(NotReadyError):
                waiting = partitions_not_serving(self.bootstrap, topics)
                if not waiting:
                    return
            if time.monotonic() > deadline:
                shown = ", ".join(waiting[:8])
                raise KafkaNodeError(f"partitions not served yet: {shown}; see {self.log_dir}")
            time.sleep(0.1)

    def _create_when_ready(
        self, topics: dict[str, int], deadline: float, validate_only: bool = False
    ) -> None:
        last = "no answer yet"
        while True:
            if self.pid() is None:
                raise KafkaNodeError(f"Kafka is not running; see {self.out_file}:\n{self._tail()}")
            try:
                create_topics_admin(self.bootstrap, topics, validate_only=validate_only)
                return
            except NotReadyError as exc:
                last = str(exc)
            if time.monotonic() > deadline:
                raise KafkaNodeError(f"Kafka not ready in time ({last}); see {self.log_dir}")
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (Kafka's controlled shutdown), wait, then SIGKILL. No-op when not running."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._wait_gone(pid, 10)
        self.pid_file.unlink(missing_ok=True)
        self._proc = None

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout)  # also reaps it, so no zombie keeps the pid "alive"
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._alive(pid):
                return True
            time.sleep(0.1)
        return False

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.out_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kafka_node.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch", help="download the Kafka jars (skipped when present)")
    start = sub.add_parser("start", help="start the single node and create the topics")
    stop = sub.add_parser("stop", help="stop the node of a data dir")
    topics = sub.add_parser("topics", help="create the DESIGN.md topics if missing")
    for p in (start, stop):
        p.add_argument("--data-dir", type=Path, default=default_data_dir())
    start.add_argument("--port", type=int, default=9092)
    start.add_argument("--controller-port", type=int, default=9093)
    start.add_argument("--timeout", type=float, default=90)
    start.add_argument("--foreground", action="store_true", help="stay attached; Ctrl-C stops Kafka")
    topics.add_argument("--port", type=int, default=9092)
    topics.add_argument("--bootstrap", help="host:port (overrides --port)")
    topics.add_argument(
        "--via",
        choices=["admin", "java"],
        default="admin",
        help="admin: the aiokafka admin client with the platform's topic configs; java: Kafka's TopicCommand",
    )
    args = parser.parse_args(argv)

    try:
        if args.cmd == "fetch":
            began = time.monotonic()
            libs = fetch()
            print(f"Kafka jars in {libs} ({time.monotonic() - began:.1f} s)")
        elif args.cmd == "start":
            node = KafkaNode(args.data_dir, args.port, args.controller_port)
            began = time.monotonic()
            node.start(timeout=args.timeout)
            print(
                f"Kafka ready at {node.bootstrap} (pid {node.pid()}, {time.monotonic() - began:.1f} s); "
                f"logs in {node.log_dir}",
                flush=True,
            )
            if args.foreground:
                stop_requested: list[int] = []
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, lambda signum, _frame: stop_requested.append(signum))
                while node.running() and not stop_requested:
                    time.sleep(0.3)
                crashed = not stop_requested
                node.stop()
                print("Kafka exited unexpectedly" if crashed else "Kafka stopped", flush=True)
                return 1 if crashed else 0
        elif args.cmd == "stop":
            KafkaNode(args.data_dir).stop()
            print("Kafka stopped")
        elif args.cmd == "topics":
            bootstrap = args.bootstrap or f"127.0.0.1:{args.port}"
            if args.via == "java":
                create_topics_java(bootstrap, DEFAULT_TOPICS)
            else:
                create_topics_admin(bootstrap, DEFAULT_TOPICS)
            print(f"topics present on {bootstrap}: {', '.join(DEFAULT_TOPICS)}")
    except KafkaNodeError as exc:
        print(f"kafka_node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
