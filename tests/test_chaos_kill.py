"""kill -9 of any one service, or a stop and start of the Kafka broker, during a stream of posts
loses nothing once it is back: each 202-acknowledged complaint becomes exactly one case."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from e2e import Api, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from stack import SERVICES, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chaos_stack(own_kafka: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    running: Stack = make_stack(tmp_path_factory.mktemp("chaos"), own_kafka)
    with started_stack(running) as started:
        yield started


def _wait_until(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def _stream_through(stack: Stack, tag: str, outage: Callable[[], None], recovery: float = 120.0) -> None:
    """Post a stream of complaints, run `outage` mid-stream, keep posting; then every
    202-acknowledged complaint must be exactly one case."""
    intake = Api(stack.services["intake"].url, stack.dev_token())
    routing = Api(stack.services["routing"].url, stack.dev_token())
    accepted: list[str] = []
    stop = threading.Event()

    def post_stream() -> None:
        n = 0
        while not stop.is_set() and len(accepted) < 400:
            n += 1
            try:
                code, body = intake.post(
                    "/api/v1/complaints",
                    {"channel": "web_form", "description": f"Klacht {tag} {n}: te lang wachten."},
                    {"Idempotency-Key": f"chaos-{tag}-{n}"},
                )
            except OSError:
                code, body = 0, {}
            if code == 202:
                accepted.append(str(body["id"]))
            else:
                time.sleep(0.05)  # intake itself may be down: a client retries later

    poster = threading.Thread(target=post_stream)
    poster.start()
    # The outage mid-stream: after some posts were accepted (a loaded machine posts slowly), and
    # keep posting through the outage and the recovery until enough were accepted in all.
    _wait_until(lambda: len(accepted) >= 10, seconds=60)
    outage()
    _wait_until(lambda: len(accepted) > 20, seconds=90)
    stop.set()
    poster.join()
    assert len(accepted) > 20

    def all_cases_exist() -> bool:
        return all(routing.get(f"/api/v1/cases/{cid}")[0] == 200 for cid in accepted[-50:]) and all(
            routing.get(f"/api/v1/cases/{cid}")[0] == 200 for cid in accepted
        )

    eventually(all_cases_exist, timeout=recovery, interval=1.0)
    # Exactly one case each: the case list holds every accepted id once.
    ids: list[str] = []
    url: str | None = "/api/v1/cases?limit=500"
    while url:
        code, page = routing.get(url)
        assert code == 200
        ids += [str(item["id"]) for item in page["items"]]
        nxt = page.get("next")
        url = str(nxt).split(routing.base, 1)[-1] if nxt else None
    mine = [i for i in ids if i in set(accepted)]
    assert len(mine) == len(set(accepted))
    assert len(mine) == len(set(mine))


@pytest.mark.parametrize("victim", SERVICES)
def test_kill_9_loses_nothing(chaos_stack: Stack, victim: str) -> None:
    def kill() -> None:
        chaos_stack.services[victim].kill()  # SIGKILL: no clean shutdown
        time.sleep(3.0)

    _stream_through(chaos_stack, victim, kill)


def test_a_broker_stop_and_start_mid_stream_loses_nothing(chaos_stack: Stack, own_kafka: KafkaNode) -> None:
    """Kafka goes away while complaints arrive: intake keeps accepting (its outbox holds them),
    the other services wait, and once the broker is back every accepted complaint is a case."""

    def broker_outage() -> None:
        own_kafka.stop()
        time.sleep(5.0)  # posts go on meanwhile
        own_kafka.start(timeout=120)

    # After a restart the consumers rejoin their groups and the relays reconnect: on a loaded CI
    # machine that took longer than two minutes once, so the recovery may take five.
    _stream_through(chaos_stack, "broker", broker_outage, recovery=300.0)
