"""Metrics of every service: an OpenTelemetry MeterProvider, read as Prometheus text at `/metrics`.

One MeterProvider per process (the global one), with a Prometheus reader on a registry of its
own (always: `/metrics`) and the readers `OTEL_METRICS_EXPORTER` names (`otlp`, `console`; or
`KLACHTSTROOM_OTEL_EXPORTER=otlp`), sent where `OTEL_EXPORTER_OTLP_*` say, every
`OTEL_METRIC_EXPORT_INTERVAL` ms. Instruments are created against the global meter wherever
they are counted (the consumer counts handled and dead-lettered events, the FastAPI
instrumentation times requests by route, the outbound module counts deliveries by state).

Gauges that need the database (outbox pending rows and the age of the oldest) or the broker
(consumer lag) are measured when `/metrics` is scraped: `Gauges.refresh` runs the queries, the
observable gauges then report what it found. Values carry the service's name as attribute.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from prometheus_client import CollectorRegistry, generate_latest

from klachtstroom.platform.settings import PlatformSettings
from klachtstroom.platform.telemetry import exporters_for, otlp_endpoint, service_resource

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

registry = CollectorRegistry(auto_describe=False)
_configured = threading.Lock()
_provider: MeterProvider | None = None

meter = metrics.get_meter("klachtstroom.platform")

handled_events = meter.create_counter(
    "klachtstroom.consumer.events", unit="{event}", description="events handled by a consumer"
)
outbound_deliveries = meter.create_counter(
    "klachtstroom.outbound.deliveries",
    unit="{call}",
    description="attempts of outbound calls by kind and state (sent, retry, dead)",
)
outbox_parked = meter.create_counter(
    "klachtstroom.outbox.parked",
    unit="{row}",
    description="outbox rows set aside because they can never be published (too large, invalid)",
)
DELIVERY_STATES = ("sent", "retry", "dead")


def count_delivery(kind: str, state: str) -> None:
    """One attempt of an outbound delivery (a mail, a webhook, a letter) and how it ended."""
    outbound_deliveries.add(1, {"kind": kind, "state": state})


def deliveries_from_zero(*kinds: str) -> None:
    """Counted from zero, so a dashboard sees the series before the first delivery."""
    for kind in kinds:
        for state in DELIVERY_STATES:
            outbound_deliveries.add(0, {"kind": kind, "state": state})


timer_lag = meter.create_histogram(
    "klachtstroom.timer.lag", unit="s", description="how late a durable timer fired after it was due"
)

# (gauge name, service) -> value, filled by Gauges.refresh at scrape time.
_gauge_values: dict[tuple[str, str], float] = {}


def _observer(name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_options: CallbackOptions) -> Iterable[Observation]:
        values = _gauge_values.items()
        return [Observation(value, {"service": svc}) for (gauge, svc), value in values if gauge == name]

    return observe


for _name, _description, _unit in (
    ("klachtstroom.outbox.pending", "outbox rows not yet published to Kafka", "{row}"),
    ("klachtstroom.outbox.oldest_age", "age of the oldest unpublished outbox row", "s"),
    ("klachtstroom.outbox.parked_rows", "outbox rows parked: they could never be published", "{row}"),
    ("klachtstroom.consumer.lag", "records on the subscribed partitions not yet consumed", "{record}"),
):
    meter.create_observable_gauge(_name, callbacks=[_observer(_name)], unit=_unit, description=_description)


def configure_metrics(service: str, settings: PlatformSettings) -> MeterProvider:
    """Install the process's MeterProvider once (the first service of a process does it)."""
    global _provider
    with _configured:
        if _provider is not None:
            return _provider
        readers: list[MetricReader] = [PrometheusMetricReader(registry=registry)]
        for name in exporters_for("metrics", settings):
            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

                endpoint = otlp_endpoint("metrics", settings)
                readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint)))
            elif name == "console":
                readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        _provider = MeterProvider(metric_readers=readers, resource=service_resource(service))
        metrics.set_meter_provider(_provider)
        return _provider


Probe = Callable[[], Awaitable[dict[str, float]]]


class Gauges:
    """The scrape-time gauges of one service: each probe returns {gauge name: value}."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.probes: list[Probe] = []

    async def refresh(self) -> None:
        for probe in self.probes:
            try:
                values = await probe()
            except Exception:  # a probe that fails (database away) leaves the last value
                continue
            for name, value in values.items():
                _gauge_values[(name, self.service)] = value

    async def exposition(self) -> bytes:
        await self.refresh()
        return generate_latest(registry)
