"""Command line of every service: `serve` (default), `migrate`, `check-config`, `healthcheck`,
`replay-dlq`, and the service's own commands."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from klachtstroom.contracts import topics
from klachtstroom.platform.kafka_security import client_options
from klachtstroom.platform.keys import MissingKeys
from klachtstroom.platform.service import DEFAULT_PORTS, Service, port_for
from klachtstroom.platform.settings_reference import describe
from klachtstroom.platform.telemetry import exporters_for


async def serve(app: FastAPI, service: Service, extra: Sequence[Callable[[], Any]] = ()) -> None:
    config = uvicorn.Config(
        app,
        host=service.settings.host,
        port=port_for(service.name),
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    await asyncio.gather(server.serve(), *(job() for job in extra))


async def replay_dlq(service: Service, topic: str, limit: int | None = None) -> int:
    """Move dead-lettered events of `topic` back onto it, with a fresh set of attempts."""
    dlq = topics.dlq(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=service.settings.kafka_bootstrap,
        group_id=f"klachtstroom-{service.name}-dlq-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(service.settings),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=service.settings.kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
        **client_options(service.settings),
    )
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        consumer.subscribe([dlq])
        while limit is None or replayed < limit:
            batch = await consumer.getmany(timeout_ms=2000, max_records=500)
            records = [r for rs in batch.values() for r in rs]
            if not records:
                break
            ids = []
            for record in records:
                try:
                    ids.append(json.loads(record.value)["id"])
                except (ValueError, KeyError, TypeError):
                    continue
            for c in service.consumers:
                await c.forget_failures(ids)
            for record in records:
                headers = [(k, v) for k, v in record.headers if not k.startswith("x-")]
                await producer.send_and_wait(topic, record.value, key=record.key, headers=headers)
                replayed += 1
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
    return replayed


SECRET_WORDS = ("KEY", "SECRET", "PASSWORD", "TOKEN")


def settings_models(service: Service) -> list[type[BaseSettings]]:
    """The platform's settings and the service's own (every settings model its modules define)."""

    def subclasses(cls: type[BaseSettings]) -> list[type[BaseSettings]]:
        found: list[type[BaseSettings]] = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    own = [m for m in subclasses(BaseSettings) if m.__module__.startswith(f"klachtstroom.{service.name}.")]
    return [type(service.settings), *sorted(set(own), key=lambda m: (m.__module__, m.__name__))]


def _shown(value: Any, secret: bool) -> str:
    if secret:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return "(set)" if value else "(not set)"
    return "(not set)" if value is None else str(value)


def check_config(service: Service) -> None:
    """Every setting of the service (docs/settings.md), where its value comes from and the value;
    a secret only as set or not set, never its value."""
    print(f"klachtstroom-{service.name}: settings")
    known: set[str] = set()
    for model in settings_models(service):
        values = service.settings if model is type(service.settings) else model()
        print(f"  {model.__name__}")
        for setting in describe(model):
            known.update(setting.variables)
            given = [v for v in setting.variables if v in os.environ]
            source = "default" if not given else "environment"
            if given and given[0] != setting.variables[0]:
                source = given[0]  # set through an alias (KLACHTSTROOM_SMTP_PORT)
            shown = _shown(getattr(values, setting.name), setting.secret)
            print(f"    {setting.variables[0]:<48} {source:<14} {shown}")
    prefix = f"KLACHTSTROOM_{service.name.upper()}_"

    def line(variable: str, shown: str) -> None:
        source = "environment" if variable in os.environ else "default"
        print(f"    {variable:<48} {source:<14} {shown}")

    print("  per service")
    # The URL may hold a password: only its kind is shown.
    line(prefix + "DATABASE_URL", service.database_url.split("://", 1)[0])
    line(prefix + "PORT", os.environ.get(prefix + "PORT", str(DEFAULT_PORTS.get(service.name, "(none)"))))
    line(prefix + "URL", os.environ.get(prefix + "URL", "(default)"))
    for suffix in ("ENCRYPTION_KEYS", "ENCRYPTION_KEY", "ENCRYPTION_KEY_FILE"):
        line(prefix + suffix, "(set)" if os.environ.get(prefix + suffix) else "(not set)")
        known.add(prefix + suffix)
    known.update(prefix + suffix for suffix in ("DATABASE_URL", "PORT", "URL"))
    telemetry = sorted(v for v in os.environ if v.startswith("OTEL_"))
    print("  OpenTelemetry (standard variables; unset ones keep the SDK's defaults)")
    for variable in telemetry:
        # Headers carry the collector's API key.
        line(variable, "(set)" if "HEADERS" in variable else os.environ[variable])
    print(f"    traces exported by: {', '.join(exporters_for('traces', service.settings)) or 'none'}")
    print(
        f"    metrics pushed by: {', '.join(exporters_for('metrics', service.settings)) or 'none'} "
        "(and served at /metrics)"
    )
    others = sorted(v for v in os.environ if v.startswith("KLACHTSTROOM_") and v not in known)
    if others:
        print("  other KLACHTSTROOM_ variables (another service's, or a typo):")
    for variable in others:
        secret = any(word in variable for word in SECRET_WORDS) or variable.endswith("_URL")
        shown = ("(set)" if os.environ[variable] else "(empty)") if secret else os.environ[variable]
        print(f"    {variable:<48} {'environment':<14} {shown}")


def healthcheck(service_name: str) -> int:
    """Exit 0 when this service answers `/healthz` on its port (for a container HEALTHCHECK)."""
    url = f"http://127.0.0.1:{port_for(service_name)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def main(
    service_factory: Callable[[], tuple[Service, FastAPI]], extra_commands: dict[str, Any] | None = None
) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (default)")
    sub.add_parser("migrate", help="bring the service's database to the current schema, then exit")
    sub.add_parser("check-config", help="print every setting and its source (secrets: set or not)")
    sub.add_parser("healthcheck", help="exit 0 when the running service answers /healthz")
    replay = sub.add_parser("replay-dlq", help="move dead-lettered events back onto their topic")
    replay.add_argument("topic", choices=list(topics.ALL))
    replay.add_argument("--limit", type=int)
    sub.add_parser("rotate-keys", help="re-encrypt stored personal data with the newest key")
    for name, text in (("backup", "copy the database and development keys to DIR"),
                       ("restore", "put a backup from DIR in place in a fresh data dir")):  # fmt: skip
        sub.add_parser(name, help=text).add_argument("dir", type=Path)
    for name, (help_text, _fn) in (extra_commands or {}).items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args()
    if args.command == "healthcheck":  # before building the service: no database, no logging set-up
        program = os.path.basename(sys.argv[0])
        raise SystemExit(healthcheck(program.removeprefix("klachtstroom-")))
    service, app = service_factory()
    if args.command in (None, "serve"):
        try:  # before serving: a missing key stops the process with a clear reason
            service.migrate()
        except MissingKeys as error:
            print(f"klachtstroom-{service.name}: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        asyncio.run(serve(app, service, getattr(app.state, "extra_servers", ())))
    elif args.command == "migrate":
        service.migrate()
        print(f"klachtstroom-{service.name}: database at the current schema")
    elif args.command == "check-config":
        check_config(service)
    elif args.command == "replay-dlq":
        service.migrate()
        count = asyncio.run(replay_dlq(service, args.topic, args.limit))
        print(f"{count} events replayed onto {args.topic}")
    elif args.command in ("backup", "restore"):
        from klachtstroom.platform import backup

        try:
            if args.command == "backup":
                service.migrate()
            done = (backup.backup if args.command == "backup" else backup.restore)(service, args.dir)
        except backup.BackupRefused as refused:
            print(f"klachtstroom-{service.name}: {refused}", file=sys.stderr)
            raise SystemExit(2) from None
        for path in done:
            print(path)
    elif args.command == "rotate-keys":
        counts = service.rotate_keys()
        for table_name, rewritten in counts.items():
            print(f"{table_name}: {rewritten} values re-encrypted")
    else:
        _help, fn = (extra_commands or {})[args.command]
        asyncio.run(fn(service, args))
