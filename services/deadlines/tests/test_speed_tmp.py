import time
from collections import Counter
from sqlalchemy import event
from deadlines_harness import opened, new_case_id
async def test_speed(deadlines):
    seen = Counter()
    @event.listens_for(deadlines.service.db.write_engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, executemany):
        seen[statement.split("(")[0][:60] + (" [many]" if executemany else "")] += 1
    evs = [opened(new_case_id()) for _ in range(100)]
    t = time.perf_counter()
    await deadlines.deliver(*evs)
    dt = time.perf_counter() - t
    print(f"\n{100/dt:.0f} case.opened/s")
    for k, v in seen.most_common(): print(v, k)
