"""Single-node Apache Kafka (KRaft) for development and CI, run from jars fetched from Maven Central.

Standard library only, so it works before any project dependency is installed.

CLI::

    python deploy/kafka/kafka_node.py fetch
    python deploy/kafka/kafka_node.py start [--port 9092] [--controller-port 9093] [--data-dir DIR] [--foreground]
    python deploy/kafka/kafka_node.py stop [--data-dir DIR]
    python deploy/kafka/kafka_node.py topics [--port 9092 | --bootstrap HOST:PORT] [--via wire|java]

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
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import string
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
POM = HERE / "pom.xml"
TEMPLATE = HERE / "server.properties.template"
LOG4J = HERE / "log4j.properties"
TOOLS_LOG4J = HERE / "tools-log4j.properties"

# DESIGN.md topic table, plus a dead-letter twin for each (poison messages after N attempts).
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

BROKER_HEAP = ["-Xms256m", "-Xmx512m"]
BROKER_JVM = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent"]
# One-shot tools: start fast, stay small.
TOOL_JVM = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]

# Kafka protocol error codes that mean "not ready yet, ask again" while a fresh node starts.
_RETRIABLE = {5: "LEADER_NOT_AVAILABLE", 7: "REQUEST_TIMED_OUT", 15: "COORDINATOR_NOT_AVAILABLE",
              38: "INVALID_REPLICATION_FACTOR (no broker registered yet)", 41: "NOT_CONTROLLER",
              56: "KAFKA_STORAGE_ERROR", 89: "THROTTLING_QUOTA_EXCEEDED"}
_TOPIC_ALREADY_EXISTS = 36


class KafkaNodeError(RuntimeError):
    """The node could not be fetched, started, stopped or given its topics."""


class NotReadyError(KafkaNodeError):
    """The broker answered, but cannot create topics yet (retry)."""


def default_data_dir() -> Path:
    env = os.environ.get("KLACHTSTROOM_DATA_DIR")
    return Path(env).resolve() if env else REPO_ROOT / ".run"


def default_libs_dir() -> Path:
    env = os.environ.get("KLACHTSTROOM_KAFKA_LIBS")
    return Path(env).resolve() if env else default_data_dir() / "kafka" / "libs"


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise KafkaNodeError("java not found: install a JRE 11+ (e.g. apt-get install openjdk-17-jre-headless)")
    return found


# ---------------------------------------------------------------- fetch

def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def libs_ready(libs_dir: Path) -> bool:
    marker = libs_dir / ".fetched"
    return marker.exists() and marker.read_text().strip() == _pom_digest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # a supervisor and a test run may fetch at the same moment
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fetch(libs_dir: Path | None = None) -> Path:
    """Copy the Kafka jars (pom.xml) into ``libs_dir`` unless the marker says they are there already."""
    libs = libs_dir or default_libs_dir()
    if libs_ready(libs):
        return libs
    with _locked(libs.parent / ".libs.lock"):
        if libs_ready(libs):
            return libs
        mvn = shutil.which("mvn")
        if not mvn:
            raise KafkaNodeError("mvn not found: install Maven (apt-get install maven) to fetch the Kafka jars")
        partial = libs.parent / f"{libs.name}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        cmd = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(POM)]
        if repo := os.environ.get("KLACHTSTROOM_MAVEN_REPO"):
            cmd.append(f"-Dmaven.repo.local={repo}")
        cmd += ["dependency:copy-dependencies", f"-DoutputDirectory={partial}"]
        # Offline first: after one fetch the local Maven repository has everything, network or not.
        result = subprocess.run([*cmd[:2], "-o", *cmd[2:]], capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not any(partial.glob("kafka_2.13-*.jar")):
            shutil.rmtree(partial, ignore_errors=True)
            raise KafkaNodeError(f"fetching Kafka jars failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        (partial / ".fetched").write_text(_pom_digest() + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
    return libs


# ---------------------------------------------------------------- topics over the wire

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


def create_topics_wire(bootstrap: str, topics: dict[str, int], *, validate_only: bool = False,
                       timeout: float = 10.0) -> None:
    """Create topics with one CreateTopics v2 request (stdlib only); existing topics are left as they are.

    v2 is the oldest version Kafka 4 still accepts and is plain (non-flexible) encoding. Raises
    NotReadyError for errors a starting node gives, KafkaNodeError for the rest.
    """
    host, _, port = bootstrap.rpartition(":")
    body = struct.pack(">i", len(topics))
    for name, partitions in topics.items():
        # replication factor 1: this helper is for the single development node
        body += _kstr(name) + struct.pack(">ihii", partitions, 1, 0, 0)
    body += struct.pack(">i?", int(timeout * 1000), validate_only)
    payload = struct.pack(">hhi", 19, 2, 1) + _kstr("klachtstroom-kafka-node") + body
    try:
        with socket.create_connection((host, int(port)), timeout=timeout + 5) as sock:
            sock.sendall(struct.pack(">i", len(payload)) + payload)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            resp = _recv_exact(sock, size)
    except OSError as exc:
        raise NotReadyError(f"{bootstrap}: {exc}") from exc
    pos = 8  # correlation id, throttle_time_ms
    (count,) = struct.unpack_from(">i", resp, pos)
    pos += 4
    retry: list[str] = []
    fatal: list[str] = []
    for _ in range(count):
        (nlen,) = struct.unpack_from(">h", resp, pos)
        name = resp[pos + 2:pos + 2 + nlen].decode()
        pos += 2 + nlen
        code, mlen = struct.unpack_from(">hh", resp, pos)
        pos += 4
        message = resp[pos:pos + mlen].decode() if mlen > 0 else ""
        pos += max(mlen, 0)
        if code in (0, _TOPIC_ALREADY_EXISTS):
            continue
        line = f"{name}: error {code} {_RETRIABLE.get(code, '')} {message}".strip()
        (retry if code in _RETRIABLE else fatal).append(line)
    if fatal:
        raise KafkaNodeError("creating topics failed: " + "; ".join(fatal))
    if retry:
        raise NotReadyError("; ".join(retry))


def create_topics_java(bootstrap: str, topics: dict[str, int], libs_dir: Path | None = None) -> None:
    """Create topics with Kafka's own TopicCommand (kafka-topics.sh), one JVM per topic, in parallel."""
    libs = fetch(libs_dir)

    def one(item: tuple[str, int]) -> subprocess.CompletedProcess[str]:
        name, partitions = item
        return subprocess.run(
            [_java(), *TOOL_JVM, f"-Dlog4j.configuration=file:{TOOLS_LOG4J}", "-cp", str(libs / "*"),
             "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
             "--if-not-exists", "--topic", name, "--partitions", str(partitions),
             "--replication-factor", "1"],
            capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=min(8, len(topics) or 1)) as pool:
        failed = [r for r in pool.map(one, topics.items()) if r.returncode != 0]
    if failed:
        raise KafkaNodeError("TopicCommand failed:\n" + "\n".join(r.stderr[-1500:] for r in failed))


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

    def __init__(self, data_dir: Path, port: int = 9092, controller_port: int = 9093,
                 libs_dir: Path | None = None) -> None:
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
            broker_port=self.port, controller_port=self.controller_port, node_id=1, log_dirs=self.store)
        self.properties.write_text(text)

    def _format_once(self, libs: Path) -> None:
        if (self.store / "meta.properties").exists():
            return  # already formatted: keep data and the cluster id
        id_file = self.home / "cluster-id"
        if not id_file.exists():
            id_file.write_text(_random_cluster_id() + "\n")
        result = subprocess.run(
            [_java(), *TOOL_JVM, f"-Dlog4j.configuration=file:{TOOLS_LOG4J}", "-cp", str(libs / "*"),
             "kafka.tools.StorageTool", "format", "--ignore-formatted",
             "-t", id_file.read_text().strip(), "-c", str(self.properties)],
            capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise KafkaNodeError(f"formatting KRaft storage failed:\n{result.stdout}{result.stderr}")

    def _command(self, libs: Path) -> list[str]:
        extra = os.environ.get("KLACHTSTROOM_KAFKA_JAVA_OPTS", "").split()
        return [_java(), *BROKER_HEAP, *BROKER_JVM, *extra, "-Djava.awt.headless=true",
                f"-Dlog4j.configuration=file:{LOG4J}", f"-Dkafka.logs.dir={self.log_dir}",
                "-cp", str(libs / "*"), "kafka.Kafka", str(self.properties)]

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
                    "stop it or choose other ports (--port / --controller-port)")
        libs = fetch(self.libs_dir)
        self.log_dir.mkdir(exist_ok=True)
        self._render()
        self._format_once(libs)
        with self.out_file.open("ab") as out:
            # own session: Ctrl-C in a terminal reaches the supervisor, which stops Kafka in order
            self._proc = subprocess.Popen(self._command(libs), cwd=self.home, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid_file.write_text(f"{self._proc.pid}\n")
        try:
            self.wait_ready(timeout, topics)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 90, topics: dict[str, int] | None = None) -> None:
        """Poll until the broker accepts connections and can create topics, then create ``topics``."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            if self.pid() is None:
                raise KafkaNodeError(f"Kafka exited during start-up; see {self.out_file}:\n{self._tail()}")
            try:
                # validate_only: checks that the controller can place a partition, creates nothing
                create_topics_wire(self.bootstrap, {"__klachtstroom_ready_probe": 1}, validate_only=True)
                if topics:
                    create_topics_wire(self.bootstrap, topics)
                return
            except NotReadyError as exc:
                last = str(exc)
            if time.monotonic() > deadline:
                raise KafkaNodeError(f"Kafka not ready after {timeout:.0f} s ({last}); see {self.log_dir}")
            time.sleep(0.2)

    def create_topics(self, topics: dict[str, int]) -> None:
        """Create topics if missing (idempotent), retrying while the node settles."""
        deadline = time.monotonic() + 30
        while True:
            try:
                create_topics_wire(self.bootstrap, topics)
                return
            except NotReadyError:
                if time.monotonic() > deadline:
                    raise
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
    topics.add_argument("--via", choices=["wire", "java"], default="wire",
                        help="wire: one CreateTopics request from Python; java: Kafka's TopicCommand")
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
            print(f"Kafka ready at {node.bootstrap} (pid {node.pid()}, {time.monotonic() - began:.1f} s); "
                  f"logs in {node.log_dir}", flush=True)
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
                create_topics_wire(bootstrap, DEFAULT_TOPICS)
            print(f"topics present on {bootstrap}: {', '.join(DEFAULT_TOPICS)}")
    except KafkaNodeError as exc:
        print(f"kafka_node: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
