"""Every free text routing keeps of a case is encrypted at rest.

The database is read through SQLite itself (rows still in the `-wal` file count), every table and
every column, as a thief with a copy of the data dir would. The outbox is left out: events carry
no free text (claim check), which the event tests check.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from klachtstroom.platform.db import is_sqlite

if TYPE_CHECKING:
    from conftest import Harness

PLANTED = {
    "description": "Klacht over consulent Pietje Puk aan de Dorpsstraat 17",
    "about_employee": "Pietje Puk",
    "handover_note": "Terugbellen op 0612345678 na vijf uur",
    "report": "Hoorzitting: mevrouw Jansen vertelde over de schuldhulp",
    "summary": "Excuses aangeboden, de uitkering van mevrouw Jansen is hersteld",
    "reason": "Mevrouw Jansen is ziek tot eind maart",
}


def everything_stored(routing: Harness) -> str:
    path = routing.service.db.url.split("///", 1)[1].split("?", 1)[0]
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name != 'outbox'")
        tables = [r[0] for r in found]
        values = [v for name in tables for row in db.execute(f"SELECT * FROM {name}") for v in row]
    return "\n".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)


async def test_no_free_text_of_a_case_is_readable_on_disk(routing: Harness) -> None:
    if not is_sqlite(routing.service.db.url):
        return  # the file is what is read here; PostgreSQL stores the same encrypted column types
    case_id = await routing.receive(
        description=PLANTED["description"],
        about_employee=PLANTED["about_employee"],
        handover_note=PLANTED["handover_note"],
    )
    steps = [
        ("assign", {"handler_name": "Marieke Vos"}),
        ("acknowledge", {}),
        ("suspend", {"reason": PLANTED["reason"]}),
        ("resume", {}),
        ("escalate", {}),
        ("hear", {"report": PLANTED["report"]}),
        ("resolve", {"outcome": "upheld", "resolution": "formal", "summary": PLANTED["summary"]}),
    ]
    for action, body in steps:
        response = await routing.act(case_id, action, **body)
        assert response.status_code == 200, (action, response.text)

    stored = everything_stored(routing)
    for field, planted in PLANTED.items():
        assert planted not in stored, field
    # ... while the service reads what it keeps in the clear with its key (the description it
    # asks of intake, claim check).
    case = str(await routing.case(case_id))
    for field in ("description", "summary", "report", "reason"):
        assert PLANTED[field] in case, field
