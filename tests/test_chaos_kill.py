"""kill -9 of any one service during a stream of posts loses nothing once it is back:
each 202-acknowledged complaint becomes exactly one case."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from e2e import Api, eventually, make_stack, started_stack
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


@pytest.mark.parametrize("victim", SERVICES)
def test_kill_9_loses_nothing(chaos_stack: Stack, victim: str) -> None:
    intake = Api(chaos_stack.services["intake"].url, chaos_stack.dev_token())
    routing = Api(chaos_stack.services["routing"].url, chaos_stack.dev_token())
    accepted: list[str] = []
    stop = threading.Event()

    def post_stream() -> None:
        n = 0
        while not stop.is_set() and len(accepted) < 400:
            n += 1
            try:
                code, body = intake.post(
                    "/api/v1/complaints",
                    {"channel": "web_form", "description": f"Klacht {victim} {n}: te lang wachten."},
                    {"Idempotency-Key": f"chaos-{victim}-{n}"},
                )
            except OSError:
                code, body = 0, {}
            if code == 202:
                accepted.append(str(body["id"]))
            else:
                time.sleep(0.05)  # intake itself may be down: a client retries later

    poster = threading.Thread(target=post_stream)
    poster.start()
    # Kill mid-stream: after some posts were accepted (a loaded machine posts slowly), and keep
    # posting through the outage and the restart until enough were accepted in all.
    _wait_until(lambda: len(accepted) >= 10, seconds=60)
    chaos_stack.services[victim].kill()  # SIGKILL: no clean shutdown
    time.sleep(3.0)
    _wait_until(lambda: len(accepted) > 20, seconds=90)
    stop.set()
    poster.join()
    assert len(accepted) > 20

    def all_cases_exist() -> bool:
        return all(routing.get(f"/api/v1/cases/{cid}")[0] == 200 for cid in accepted[-50:]) and all(
            routing.get(f"/api/v1/cases/{cid}")[0] == 200 for cid in accepted
        )

    eventually(all_cases_exist, timeout=90, interval=1.0)
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
