"""Start the whole klachtstroom stack: Kafka plus the four services, under a small supervisor.

Used by `make run` (deploy/run.py) and by the end-to-end tests (tests/conftest.py), so both
start the system the same way. Standard library only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy" / "kafka"))

from kafka_node import KafkaNode  # noqa: E402

SERVICES = ("intake", "routing", "deadlines", "reporting")
DEFAULT_PORTS = {"intake": 8000, "routing": 8001, "deadlines": 8002, "reporting": 8003}


def venv_bin(name: str) -> str:
    candidate = ROOT / ".venv" / "bin" / name
    return str(candidate) if candidate.exists() else name


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    wanted: bool = True
    # The service this process runs (`klachtstroom-<service> serve`): `name` when empty; a
    # second instance is named `<service>-2` and runs the same service.
    service: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            [venv_bin(f"klachtstroom-{self.service or self.name}"), "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout: float = 15) -> None:
        self.wanted = False
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@dataclass
class Stack:
    data_dir: Path
    kafka_port: int = 9092
    controller_port: int = 9093
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    smtp_port: int = 2525
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    kafka: KafkaNode | None = None
    _watch: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def env_for(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "KLACHTSTROOM_DATA_DIR": str(self.data_dir),
                "KLACHTSTROOM_KAFKA_BOOTSTRAP": f"127.0.0.1:{self.kafka_port}",
                "KLACHTSTROOM_SMTP_PORT": str(self.smtp_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for other, port in self.ports.items():
            env[f"KLACHTSTROOM_{other.upper()}_PORT"] = str(port)
            env[f"KLACHTSTROOM_{other.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env.update(self.extra_env)
        return env

    def start_kafka(self) -> None:
        self.kafka = KafkaNode(self.data_dir, port=self.kafka_port, controller_port=self.controller_port)
        self.kafka.start()

    def write_dev_token(self) -> Path:
        """`<data dir>/dev-token`: a JWT of the development issuer holding every role for every
        municipality (signed with the key under the data dir that the services verify with)."""
        env = self.env_for("intake")
        path = self.data_dir / "dev-token"
        if env.get("KLACHTSTROOM_OIDC_ISSUER"):
            return path  # a real issuer: tokens come from it, there is no dev token
        written = subprocess.run(
            [venv_bin("python"), "-m", "klachtstroom.platform.auth", "dev-token"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return Path(written.stdout.strip())

    def dev_token(self) -> str:
        return (self.data_dir / "dev-token").read_text().strip()

    def token(self, role: str, name: str = "", municipality: str = "", provider: str = "") -> str:
        """A development token for one role, like `make -s token ROLE=...` for this stack."""
        made = subprocess.run(
            [venv_bin("python"), "-m", "klachtstroom.platform.auth", "token", "--role", role,
             "--name", name, "--municipality", municipality, "--provider", provider],
            env=self.env_for("intake"), cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return made.stdout.strip()

    def start_services(self, names: tuple[str, ...] = SERVICES) -> None:
        for name in names:
            proc = ServiceProcess(
                name, self.ports[name], self.env_for(name), self.data_dir / "logs" / f"{name}.log"
            )
            proc.start()
            self.services[name] = proc

    def add_instance(self, name: str, port: int) -> ServiceProcess:
        """Start one more instance of a running service: its own HTTP port, the same database
        (the same `KLACHTSTROOM_<SERVICE>_DATABASE_URL`, or the same SQLite file under the data
        dir) and so the same consumer groups (`klachtstroom-<consumer>`), among which Kafka
        shares the partitions. Its outbox relay and outbound queue take turns through leases in
        that database. Named `<service>-<n>`; peers keep calling the first instance's URL.
        Start it once the first is ready, so the two do not run the migrations at once."""
        number = 1 + sum(1 for proc in self.services.values() if (proc.service or proc.name) == name)
        env = self.env_for(name) | {f"KLACHTSTROOM_{name.upper()}_PORT": str(port)}
        key = f"{name}-{number}"
        proc = ServiceProcess(key, port, env, self.data_dir / "logs" / f"{key}.log", service=name)
        proc.start()
        self.services[key] = proc
        return proc

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for proc in self.services.values():
            while True:
                try:
                    with urllib.request.urlopen(f"{proc.url}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{proc.name} did not become healthy; see {proc.log_path}")
                if not proc.alive() and not self._watch:
                    raise RuntimeError(f"{proc.name} exited; see {proc.log_path}")
                time.sleep(0.2)

    def wait_ready(self, timeout: float = 90) -> None:
        """Ready means database and Kafka reachable on every service."""
        deadline = time.monotonic() + timeout
        for proc in self.services.values():
            while True:
                try:
                    with urllib.request.urlopen(f"{proc.url}/readyz", timeout=3) as response:
                        if json.loads(response.read()).get("ready"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{proc.name} did not become ready; see {proc.log_path}")
                time.sleep(0.3)

    def supervise(self) -> None:
        """Restart a crashed service (with backoff) until the stack is stopped."""

        def watch() -> None:
            while not self._stopping.wait(0.5):
                for proc in self.services.values():
                    if proc.wanted and not proc.alive():
                        proc.restarts += 1
                        delay = min(0.5 * proc.restarts, 5.0)
                        print(f"[stack] {proc.name} stopped; restarting in {delay:.1f}s", flush=True)
                        time.sleep(delay)
                        if not self._stopping.is_set() and proc.wanted and not proc.alive():
                            proc.start()

        self._watch = threading.Thread(target=watch, daemon=True)
        self._watch.start()

    def stop(self) -> None:
        self._stopping.set()
        for proc in self.services.values():
            proc.stop()
        if self.kafka is not None:
            self.kafka.stop()
