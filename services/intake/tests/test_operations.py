"""What an operator relies on: intake stays ready while Kafka is away, and `/metrics` tells why."""

from __future__ import annotations

import re

from intake_harness import Intake


def test_intake_is_ready_while_kafka_is_down(intake: Intake) -> None:
    # The harness points intake at a port where no Kafka answers: the outbox keeps the events,
    # so intake keeps taking complaints and must not be taken out of the load balancer.
    response = intake.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["database"] is True and response.json()["kafka"] is False


def test_metrics_show_the_unpublished_outbox_and_request_durations_by_route(intake: Intake) -> None:
    accepted = intake.client.post(
        "/api/v1/complaints", json={"channel": "phone", "description": "Niet teruggebeld over mijn aanvraag."}
    )
    assert accepted.status_code == 202
    complaint_id = accepted.json()["id"]
    intake.client.get(f"/api/v1/complaints/{complaint_id}")

    response = intake.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    pending = re.search(r'^klachtstroom_outbox_pending\{[^}]*service="intake"[^}]*\} (\S+)$', text, re.M)
    assert pending and float(pending.group(1)) >= 1, "the event waits in the outbox while Kafka is down"
    assert re.search(r'^klachtstroom_outbox_oldest_age_seconds\{[^}]*service="intake"', text, re.M)
    # Durations are labelled by route template, never by the raw path (which holds an id).
    assert 'http_route="/api/v1/complaints"' in text
    assert 'http_route="/api/v1/complaints/{complaint_id}"' in text
    assert complaint_id not in text
