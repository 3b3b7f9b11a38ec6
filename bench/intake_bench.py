"""Intake under load, and end to end under the same load, each against a same-run baseline.

One Kafka and the intake, routing and deadlines services (deploy/stack.py, as the e2e tests
start them), on SQLite and, when a PostgreSQL server can be started (deploy/postgres.sh), on
PostgreSQL. Per database, while that stack runs:

baseline:  bench/baseline_app.py (a bare FastAPI endpoint under the same uvicorn settings doing
           one durable insert through the platform's `Database`, same pragmas) is loaded by
           bench/loadgen.py (a separate process, open loop: RATE requests/s, each sent at its
           due time, latency measured from that due time) for SECONDS.
intake:    the same load on `POST /api/v1/complaints` of intake, with the stack's dev token.
e2e:       for every 202, the moment its case was opened by routing (`case.opened` on
           complaints.case.v1, written by routing's outbox after the case commit) and its
           decision term set by deadlines (`deadline.set` kind decision on complaints.deadline.v1),
           from the Kafka record timestamps (the relay's send time, same clock as the load
           generator), minus the moment the 202 arrived. A sample of the cases is then checked
           with `GET /api/v1/cases/{id}` on routing (200) and `GET /api/v1/deadlines?case_id=`.

The full run is 200 requests/s for 60 s; `KLACHTSTROOM_BENCH_QUICK=1` (`run.py --quick`) loads
for 10 s, `KLACHTSTROOM_BENCH_RATE` sets another rate (each row's `how` states rate and length).
The aims: intake p99 < 50 ms, 0 errors, at most 2x the baseline's p99; e2e p99 < 1 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiosmtpd.controller import Controller
from kafka_node import KafkaNode
from stack import ROOT, Stack, venv_bin

from klachtstroom.contracts import topics

HERE = Path(__file__).resolve().parent
RATE = float(os.environ.get("KLACHTSTROOM_BENCH_RATE", "200"))
SECONDS = 60.0
QUICK_SECONDS = 10.0
E2E_WAIT = 60.0
SERVICES = ("intake", "routing", "deadlines")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(url: str, token_file: Path, seconds: float, out: Path) -> list[list[Any]]:
    subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), url, str(token_file), str(RATE), str(seconds), str(out)],
        check=True,
        timeout=seconds + 120,
    )
    rows: list[list[Any]] = json.loads(out.read_text())
    return rows


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def baseline(database_url: str, token_file: Path, seconds: float, work: Path) -> list[list[Any]]:
    port = free_port()
    log = open(work / "baseline.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [venv_bin("python"), str(HERE / "baseline_app.py"), database_url, str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    log.close()
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        return load(f"http://127.0.0.1:{port}", token_file, seconds, work / "baseline.json")
    finally:
        proc.terminate()
        proc.wait(15)


class MailRelay:
    """The SMTP relay intake sends residents' receipts to (as a municipality's mail relay): it
    accepts and counts each message. Without one every receipt fails, is logged and retried, work
    a real intake does not do; with one the intake pays for each receipt it really sends."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.accepted += 1
        return "250 OK"

    def __enter__(self) -> MailRelay:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()


class Watcher:
    """Records, per complaint id (the Kafka key), when its case opened and its decision term was set."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.opened: dict[str, float] = {}
        self.termed: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True)

    async def _watch(self) -> None:
        consumer = AIOKafkaConsumer(
            topics.CASE, topics.DEADLINE, bootstrap_servers=self.bootstrap, group_id=None,
            auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50,
        )  # fmt: skip
        await consumer.start()
        try:
            while not self.stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=5000)
                if consumer.assignment():
                    self.ready.set()
                for records in batch.values():
                    for r in records:
                        key = (r.key or b"").decode()
                        value = r.value or b""
                        if b"case.opened" in value:
                            self.opened.setdefault(key, r.timestamp / 1000)
                        elif b"deadline.set" in value and b'"kind":"decision"' in value:
                            self.termed.setdefault(key, r.timestamp / 1000)
        finally:
            await consumer.stop()


def get_status(url: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None
    except OSError:  # no answer in time: not visible
        return 0, None


def visible(stack: Stack, ids: list[str]) -> int:
    """How many of `ids` routing shows as a case and deadlines shows with terms."""
    token = stack.dev_token()
    seen = 0
    for ident in ids:
        code, _ = get_status(f"{stack.services['routing'].url}/api/v1/cases/{ident}", token)
        terms_url = f"{stack.services['deadlines'].url}/api/v1/deadlines?case_id={ident}"
        dcode, terms = get_status(terms_url, token)
        items = terms.get("items", terms) if isinstance(terms, dict) else terms
        seen += int(code == 200 and dcode == 200 and bool(items))
    return seen


READY_LINES = ("triage: model in use", "triage: model loaded", "triage: trained")


def trained(log: Path, timeout: float = 300) -> None:
    """Wait until intake has trained its triage model (in a thread after start-up), so that the
    training's CPU is not measured as latency, of the baseline or of intake."""
    deadline = time.monotonic() + timeout
    # The model trained at install is loaded at start ("model in use"), a retrained one from the
    # data dir ("model loaded"); training at start (an out-of-date install) logs neither.
    while not any(line in log.read_text(errors="replace") for line in READY_LINES):
        if time.monotonic() > deadline:
            raise TimeoutError(f"intake did not load its triage model; see {log}")
        time.sleep(0.5)


def postgres_server(work: Path, without: str = "PostgreSQL rows skipped") -> str | None:
    """A PostgreSQL server started under `work` (deploy/postgres.sh), or None, saying `without`
    what the bench then does, when it cannot start or KLACHTSTROOM_BENCH_POSTGRES=0."""
    if os.environ.get("KLACHTSTROOM_BENCH_POSTGRES", "1") == "0":
        return None
    work.chmod(0o755)  # as root, postgres.sh runs the server as the postgres user
    try:
        started = subprocess.run(
            ["bash", str(ROOT / "deploy" / "postgres.sh"), "start", str(work / "pg")],
            check=True, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as error:
        print(f"   no PostgreSQL ({type(error).__name__}): {without}")
        return None
    return started.stdout.strip().splitlines()[-1]


def measure(db: str, work: Path, seconds: float, pg_server: str | None) -> list[dict[str, Any]]:
    with MailRelay() as relay:
        return _measure(db, work, seconds, pg_server, relay)


def _measure(
    db: str, work: Path, seconds: float, pg_server: str | None, relay: MailRelay
) -> list[dict[str, Any]]:
    work.mkdir(parents=True)
    env: dict[str, str] = {
        "KLACHTSTROOM_INTAKE_MAIL_SMTP_HOST": "127.0.0.1",
        "KLACHTSTROOM_INTAKE_MAIL_SMTP_PORT": str(relay.port),
    }
    base_url = f"sqlite+aiosqlite:///{work / 'baseline.db'}"
    if pg_server:
        sys.path.insert(0, str(ROOT / "tests"))
        from postgres import create_databases

        urls = create_databases(pg_server, [f"bench_{s}" for s in (*SERVICES, "baseline")])
        env |= {f"KLACHTSTROOM_{s.upper()}_DATABASE_URL": u for s, u in zip(SERVICES, urls, strict=False)}
        base_url = urls[-1]
    kafka = KafkaNode(work, port=free_port(), controller_port=free_port())
    kafka.start(topics={**{t: 6 for t in topics.ALL}, **{topics.dlq(t): 1 for t in topics.ALL}})
    stack = Stack(
        data_dir=work, kafka_port=kafka.port, controller_port=kafka.controller_port,
        ports={s: free_port() for s in (*SERVICES, "reporting")}, smtp_port=free_port(), extra_env=env,
    )  # fmt: skip
    watcher = Watcher(kafka.bootstrap)
    try:
        token_file = stack.write_dev_token()
        stack.start_services(SERVICES)
        stack.wait_healthy(timeout=180)
        stack.wait_ready(timeout=180)
        trained(stack.services["intake"].log_path)
        watcher.thread.start()
        watcher.ready.wait(30)
        base = baseline(base_url, token_file, seconds, work)
        sent = load(stack.services["intake"].url, token_file, seconds, work / "intake.json")
        ok = [r for r in sent if r[2] == 202]
        deadline = time.monotonic() + E2E_WAIT
        while time.monotonic() < deadline:
            if all(r[3] in watcher.opened and r[3] in watcher.termed for r in ok):
                break
            time.sleep(0.5)
        sample = [r[3] for r in ok[:: max(1, len(ok) // 20)]]
        checked = visible(stack, sample)
    finally:
        watcher.stop.set()
        if watcher.thread.is_alive():
            watcher.thread.join(10)
        stack.stop()
        kafka.stop()
    lat = [r[1] for r in sent]  # failed requests count with the time they took (10 s: timed out)
    base_lat = [r[1] for r in base]
    errors = len(sent) - len(ok)
    e2e = [
        max(watcher.opened[r[3]], watcher.termed[r[3]]) - (r[0] + r[1])
        for r in ok
        if r[3] in watcher.opened and r[3] in watcher.termed
    ]
    missing = len(ok) - len(e2e) + (len(sample) - checked)
    p50, p99 = quantile(lat, 0.5), quantile(lat, 0.99)
    ok_lat = [r[1] for r in ok]
    a99 = quantile(ok_lat, 0.99) if ok_lat else 10.0  # none answered: the client timeout
    busy = sum(r[2] == 503 for r in sent)
    b50, b99 = quantile(base_lat, 0.5), quantile(base_lat, 0.99)
    e50, e99 = quantile(e2e, 0.5), quantile(e2e, 0.99)
    print(
        f"   {db}: intake p50 {p50 * 1000:.1f} ms p99 {p99 * 1000:.1f} ms errors {errors}/{len(sent)}; "
        f"baseline p50 {b50 * 1000:.1f} ms p99 {b99 * 1000:.1f} ms errors {sum(r[2] != 202 for r in base)}; "
        f"e2e p50 {e50 * 1000:.0f} ms p99 {e99 * 1000:.0f} ms, {missing} missing, "
        f"{checked}/{len(sample)} checked; {len(ok)} accepted (p99 {a99 * 1000:.0f} ms), {busy} busy; "
        f"{relay.accepted} receipt mails accepted by the relay"
    )
    load_text = f"{RATE:.0f} req/s open loop for {seconds:.0f} s from a separate process (bench/loadgen.py)"
    full = seconds >= SECONDS and RATE >= 200
    scale = "" if full else f" [reduced scale: {RATE:.0f}/s for {seconds:.0f} s; full run is 200/s for 60 s]"
    stack_text = (
        f"intake+routing+deadlines+Kafka on {db}, receipts sent to a local SMTP relay "
        f"({relay.accepted} accepted){scale}"
    )
    how_intake = (
        f"POST /api/v1/complaints with the dev token, {load_text}; latency from each due send time; "
        f"{stack_text}"
    )
    how_base = (
        "bench/baseline_app.py: bare FastAPI endpoint, same uvicorn settings, one insert through the "
        f"platform Database ({db}, same pragmas), same load, same run; {stack_text}"
    )
    how_e2e = (
        f"from the 202 to max(case.opened on {topics.CASE}, deadline.set decision on "
        f"{topics.DEADLINE}) by Kafka record timestamp, under the intake load ({load_text}); a sample "
        f"of {len(sample)} checked by GET routing /api/v1/cases/{{id}} and deadlines "
        f"/api/v1/deadlines; over the {len(e2e)} complaints answered 202; {stack_text}"
    )
    return [
        row(f"intake.{db}.p50_ms", p50 * 1000, "ms", 50, "min", how_intake),
        row(f"intake.{db}.p99_ms", p99 * 1000, "ms", 50, "min", how_intake),
        row(f"intake.{db}.errors", errors, "requests", 0, "min", f"{how_intake}; not 202 or none in 10 s"),
        row(f"intake.{db}.accepted", len(ok), "requests", len(sent), "max", f"{how_intake}; answered 202"),
        row(f"intake.{db}.refused_busy", busy, "requests", 0, "min",
            f"{how_intake}; answered 503 by the load gate (at capacity), part of the errors"),
        row(f"intake.{db}.accepted_p99_ms", a99 * 1000, "ms", 50, "min",
            f"{how_intake}; p99 over the requests answered 202 only"),
        row(f"intake.{db}.baseline_p50_ms", b50 * 1000, "ms", 50, "min", how_base),
        row(f"intake.{db}.baseline_p99_ms", b99 * 1000, "ms", 50, "min", how_base),
        row(f"intake.{db}.p50_ratio_to_baseline", p50 / b50, "ratio", 2, "min", "intake p50 / baseline p50"),
        row(f"intake.{db}.p99_ratio_to_baseline", p99 / b99, "ratio", 2, "min", "intake p99 / baseline p99"),
        row(f"e2e.{db}.p50_ms", e50 * 1000, "ms", 1000, "min", how_e2e),
        row(f"e2e.{db}.p99_ms", e99 * 1000, "ms", 1000, "min", how_e2e),
        row(f"e2e.{db}.missing", missing, "cases", 0, "min",
            f"202s without case.opened+deadline.set within {E2E_WAIT:.0f} s after the load, plus sampled "
            "cases not visible through the APIs"),
    ]  # fmt: skip


def row(name: str, value: float, unit: str, aim: float, direction: str, how: str) -> dict[str, Any]:
    return {"name": name, "value": round(float(value), 3), "unit": unit, "aim": aim, "direction": direction,
            "how": how}  # fmt: skip


def run() -> list[dict[str, Any]]:
    seconds = QUICK_SECONDS if os.environ.get("KLACHTSTROOM_BENCH_QUICK") == "1" else SECONDS
    work = Path(tempfile.mkdtemp(prefix="klachtstroom-bench-intake-"))
    rows = measure("sqlite", work / "sqlite", seconds, None)
    pg = postgres_server(work)
    if pg:
        try:
            rows += measure("postgres", work / "postgres", seconds, pg)
        finally:
            stop = ["bash", str(ROOT / "deploy" / "postgres.sh"), "stop", str(work / "pg")]
            subprocess.run(stop, check=False)
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
