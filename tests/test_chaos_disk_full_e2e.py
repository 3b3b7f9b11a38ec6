"""A full disk under intake's database: no 202 for what was not stored, nothing lost (issue 16).

Intake's SQLite database lives on a small tmpfs of its own (mounted by the test; it needs the
root user, as CI and these machines have). The disk is filled to the last byte while
complaints arrive: every answer is then either a 202 for a complaint that becomes a case, or a
clear refusal (problem+json, to try again later), never a 202 for something lost. Once space
is freed, intake takes complaints again without a restart.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import Api, apis_for, eventually, make_stack, started_stack
from kafka_node import KafkaNode
from stack import Stack

pytestmark = pytest.mark.e2e

SIZE = "24m"


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mount = tmp_path_factory.mktemp("small-disk")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({done.stderr.strip()}): needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="module")
def disk_stack(
    own_kafka: KafkaNode, small_disk: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    running = make_stack(
        tmp_path_factory.mktemp("disk-full"),
        own_kafka,
        KLACHTSTROOM_INTAKE_DATABASE_URL=f"sqlite+aiosqlite:///{small_disk / 'intake.db'}",
    )
    with started_stack(running) as started:
        yield started


def fill(disk: Path) -> Path:
    """Write a filler file until the filesystem has no byte left."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 12, 1):  # big blocks, then the last few bytes
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def post(intake: Api, n: int, tag: str) -> tuple[int, dict[str, object]]:
    text = f"Klacht {tag} {n}: de hulp bij het huishouden kwam al drie weken niet. " * 20
    return intake.post("/api/v1/complaints", {"channel": "phone", "description": text})


def test_a_full_disk_refuses_clearly_and_loses_nothing(disk_stack: Stack, small_disk: Path) -> None:
    apis: dict[str, Api] = apis_for(disk_stack)
    intake, routing = apis["intake"], apis["routing"]
    accepted: list[str] = []
    for n in range(3):
        code, body = post(intake, n, "voor")
        assert code == 202, body
        accepted.append(str(body["id"]))

    filler = fill(small_disk)
    answers = [post(intake, n, "vol") for n in range(15)]
    refused = [(code, body) for code, body in answers if code != 202]
    assert refused, "a full disk refused nothing (is the filler on the database's filesystem?)"
    for code, body in refused:
        assert code in (503, 507), (code, body)
        assert body.get("type") and "Traceback" not in str(body), body
    accepted += [str(body["id"]) for code, body in answers if code == 202]

    filler.unlink()
    code, body = eventually(lambda: (answer := post(intake, 0, "na"))[0] == 202 and answer, timeout=60)
    accepted.append(str(body["id"]))

    # Every 202 became exactly one case; nothing refused turned up half-written.
    for complaint_id in accepted:
        eventually(lambda cid=complaint_id: routing.get(f"/api/v1/cases/{cid}")[0] == 200, timeout=90)
    code, listed = intake.get("/api/v1/complaints?limit=500")
    assert code == 200
    assert {str(item["id"]) for item in listed["items"]} == set(accepted)  # type: ignore[union-attr]
