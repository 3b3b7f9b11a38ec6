"""`make run`: Kafka and the four services on the DESIGN.md ports; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import SERVICES, Stack


def main() -> int:
    data_dir = Path(os.environ.get("KLACHTSTROOM_DATA_DIR", ".run")).resolve()
    stack = Stack(data_dir=data_dir)
    stopped = threading.Event()

    def stop(_signum: int, _frame: object) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        print(f"[run] data in {data_dir}", flush=True)
        print("[run] starting Kafka (first time: fetching it from Maven Central) ...", flush=True)
        stack.start_kafka()
        token = stack.write_dev_token()
        stack.start_services()
        stack.supervise()
        stack.wait_healthy(timeout=120)
        print("\nklachtstroom is running:", flush=True)
        descriptions = {
            "intake": "klachtformulier en API",
            "routing": "dossiers (behandelaars)",
            "deadlines": "termijnen en kalender",
            "reporting": "dashboard en rapportages",
        }
        for name in SERVICES:
            proc = stack.services[name]
            print(f"  {name:<10} {proc.url}/  ({descriptions[name]}), API docs {proc.url}/docs", flush=True)
        print(f"  e-mail     smtp://127.0.0.1:{stack.smtp_port}", flush=True)
        print(f"  Kafka      127.0.0.1:{stack.kafka_port}", flush=True)
        print(f"  dev token  {token}  (every role; one role: make -s token ROLE=kcc)", flush=True)
        print(f"  logs       {data_dir / 'logs'}\nPress Ctrl-C to stop.", flush=True)
        stopped.wait()
    finally:
        print("\n[run] stopping ...", flush=True)
        stack.stop()
        print("[run] stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
