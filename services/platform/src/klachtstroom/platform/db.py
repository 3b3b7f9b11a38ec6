"""Database engines: SQLite (WAL) by default, PostgreSQL by URL; Alembic migrations at start-up."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import Dialect, MetaData, Table, create_engine, event, insert, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import sqlite as sqlite_types
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
ALEMBIC_DIR = Path(__file__).parent / "alembic"
BEFORE_COMMIT = "klachtstroom.before_commit"


def before_commit(session: AsyncSession, hook: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run `hook` once, just before this unit of work commits (see Database.transaction)."""
    hooks: list[Callable[[AsyncSession], Awaitable[None]]] = session.info.setdefault(BEFORE_COMMIT, [])
    if hook not in hooks:
        hooks.append(hook)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# Pages in the WAL before a commit checkpoints it itself. `Database.checkpoints` does that
# in a thread long before, so this is the fallback when it does not run (a CLI command).
WAL_AUTOCHECKPOINT_PAGES = 10_000


# How long one SQLite call may wait for a lock held by another connection. Statements run on the
# event loop (InlineSqliteConnection), so a wait here stops every request of the process: it is
# kept short, and `Database.transaction` waits for the write lock with asyncio.sleep instead.
SQLITE_BUSY_MS = 50

# SQLSTATEs of PostgreSQL errors that succeed when the transaction is simply run again.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "08000", "08003", "08006"})


# A full disk: SQLite says so in words, PostgreSQL with SQLSTATE 53100 (disk_full).
_DISK_FULL_SQLSTATES = frozenset({"53100"})


def _causes(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return found


def is_storage_full(error: BaseException) -> bool:
    """The database cannot write because its disk is full: it works again once space is freed."""
    for cause in _causes(error):
        if isinstance(cause, sqlite3.OperationalError) and "full" in str(cause).lower():
            return True
        if isinstance(cause, OSError) and cause.errno == 28:  # ENOSPC
            return True
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate in _DISK_FULL_SQLSTATES:
            return True
    return False


def is_transient(error: BaseException) -> bool:
    """A database error that goes away by itself: SQLite busy/locked, a PostgreSQL serialization
    failure (40001), deadlock (40P01), lock timeout or lost connection, a full disk. Never a
    poison message: the event is tried again, not dead-lettered."""
    if is_storage_full(error):
        return True
    for cause in _causes(error):
        if isinstance(cause, sqlite3.OperationalError):
            text = str(cause).lower()
            if "locked" in text or "busy" in text:
                return True
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate in _TRANSIENT_SQLSTATES:
            return True
        if getattr(cause, "connection_invalidated", False):
            return True
    return False


def _sqlite_pragmas(engine: AsyncEngine, *, immediate: bool, synchronous: str = "NORMAL") -> None:
    """WAL lets readers run beside the one writer; IMMEDIATE takes the write lock up front,
    so a transaction never fails half-way on a lock upgrade. `synchronous=FULL` makes a commit
    survive a power cut (fsync of the WAL on every commit); NORMAL may lose the last commits."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class _InlineQueue:
    """Stands in for aiosqlite's queue to its worker thread: runs the call at once.

    (SQLAlchemy's aiosqlite adapter puts some calls on that queue directly.)
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineSqliteConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs each SQLite call on the event loop's own thread, but
    the commit, which waits for the disk (see `commit`).

    aiosqlite hands every statement to a worker thread and back; for the many short
    statements of a consumer batch that hand-off (and the GIL ping-pong it causes) costs far
    more than SQLite itself. Statements on a local WAL database take microseconds, the one
    writer connection per process never waits for another writer in the same process, and a
    busy timeout bounds the rare wait for another process. (Several instances of one service
    should share PostgreSQL, not a SQLite file.)
    """

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _InlineQueue()  # type: ignore[assignment]

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def commit(self) -> None:
        """The one call that waits for the disk (the WAL's fsync, milliseconds): in a thread, so
        the event loop serves other requests meanwhile. No other call uses this connection until
        it returns: the session holding it waits for its commit."""
        connection = self._conn
        await asyncio.to_thread(connection.commit)

    async def _connect(self) -> aiosqlite.Connection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, aiosqlite.Connection]:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def _inline_sqlite_creator(url: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    path = url.split("///", 1)[1]

    async def create() -> aiosqlite.Connection:
        def connector() -> sqlite3.Connection:
            timeout = SQLITE_BUSY_MS / 1000
            return sqlite3.connect(path, check_same_thread=False, timeout=timeout, isolation_level=None)

        return await InlineSqliteConnection(connector, 64)

    return create


def _checkpoint(path: str) -> None:
    # A connection per round, used by one thread only (a cancelled wait leaves it to finish).
    connection = sqlite3.connect(path, timeout=1)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


# --- many rows in one statement ------------------------------------------------------------

_Processor = Callable[[Any], Any]
# How one column's values become parameters: its bind processor, or None to pass them as they are.
_Converter = Callable[[list[Any]], list[Any]] | None
# By table, columns and dialect object (an encrypted column's processor uses its dialect's key ring).
_insert_plans: dict[tuple[Table, tuple[str, ...], Dialect], tuple[str, list[_Converter]] | None] = {}
# Values on which a faster conversion of dates and times must give SQLite's own text before it
# is used (so a column with another storage format keeps SQLite's conversion): a zone, a year
# before 1000, with and without microseconds.
_DATETIME_PROBES = (
    dt.datetime(2026, 12, 7, 6, 55, 9, 395124, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(999, 1, 2, 3, 4, 5),
    dt.datetime(2027, 11, 28, 23, 59, 58, 7),
)
_DATE_PROBES = (dt.date(2026, 12, 14), dt.date(999, 1, 2))


def _sqlite_datetime(standard: _Processor) -> _Processor:
    """SQLite's DateTime text as SQLAlchemy writes it (`YYYY-MM-DD HH:MM:SS.ffffff`, wall time,
    any offset dropped), from one C call instead of a %-format of seven attributes."""
    datetime_type = dt.datetime

    def process(value: Any) -> Any:
        if type(value) is datetime_type:
            return value.isoformat(" ", "microseconds")[:26]
        return standard(value)

    return process


def _sqlite_date(standard: _Processor) -> _Processor:
    date_type = dt.date

    def process(value: Any) -> Any:
        if type(value) is date_type:
            return value.isoformat()
        return standard(value)

    return process


def _same(standard: _Processor, faster: Callable[[_Processor], _Processor], probes: tuple[Any, ...]) -> bool:
    process = faster(standard)
    return all(process(value) == standard(value) for value in probes)


def _each(process: _Processor) -> _Converter:
    return lambda values: [process(value) for value in values]


def _each_object_once(process: _Processor) -> _Converter:
    """Convert each distinct object once: the rows of a batch share most of their times (one
    `now`, the same planned dates). By identity, which holds while the rows hold the values
    (two equal datetimes in different zones are different texts)."""

    def convert(values: list[Any]) -> list[Any]:
        done: dict[int, Any] = {}
        converted = []
        for value in values:
            text = done.get(id(value))
            if text is None:
                text = done[id(value)] = process(value)
            converted.append(text)
        return converted

    return convert


def _insert_plan(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[_Converter]] | None:
    """The INSERT of `keys` into `table` for `dialect` and how each column's values become
    parameters, or None when the plain statement must be used (a column outside `keys` has a
    Python-side default)."""
    plan_key = (table, keys, dialect)
    if plan_key in _insert_plans:
        return _insert_plans[plan_key]
    plan: tuple[str, list[_Converter]] | None = None
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    if compiled.positiontup is not None and list(compiled.positiontup) == list(keys):
        converters: list[_Converter] = []
        for key in keys:
            impl = table.c[key].type.dialect_impl(dialect)
            standard = impl.bind_processor(dialect)  # what the compiled statement would apply
            if standard is None:
                converters.append(None)
            elif isinstance(impl, sqlite_types.DATETIME) and _same(
                standard, _sqlite_datetime, _DATETIME_PROBES
            ):
                converters.append(_each_object_once(_sqlite_datetime(standard)))
            elif isinstance(impl, sqlite_types.DATE) and _same(standard, _sqlite_date, _DATE_PROBES):
                converters.append(_each_object_once(_sqlite_date(standard)))
            else:  # JSON, encrypted columns (a fresh token per value), ...
                converters.append(_each(standard))
        plan = (compiled.string, converters)
    _insert_plans[plan_key] = plan
    return plan


def new_row(obj: Any) -> dict[str, Any]:
    """The columns set on a new (transient) ORM object, as parameters of its INSERT: a column
    never set is left out, so its default applies as it would in the session's flush."""
    state = sa_inspect(obj)
    values = state.dict
    return {prop.columns[0].key: values[prop.key] for prop in state.mapper.column_attrs if prop.key in values}


async def insert_new(session: AsyncSession, *objects: Any) -> None:
    """Write new (transient) ORM objects' rows by plain INSERTs, not by the session's unit of work
    (a fraction of its CPU time per row): the objects stay transient, so only rows nothing later
    in the transaction changes through the session belong here."""
    for obj in objects:
        table = cast(Table, sa_inspect(obj).mapper.local_table)
        await insert_rows(session, table, [new_row(obj)])


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """`session.execute(insert(table), rows)`, with the same rows stored, at less cost per row.

    SQLAlchemy builds and processes each row's parameters through its compiled statement; on
    SQLite, when every row names the same columns and no other column has a Python-side
    default, the statement is compiled once and the values are converted a column at a time by
    the columns' own bind processors (dates and times in SQLite's default format by a faster
    equivalent, each object once): 5 to 11 µs less per row of a batch of 100, about 8% of the
    CPU routing and deadlines spend per complaint (pipeline bench). Anything else, and
    PostgreSQL, takes the plain statement.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    plan = _insert_plan(table, keys, dialect) if dialect.name == "sqlite" else None
    if plan is None or any(len(row) != len(keys) for row in rows):
        await session.execute(insert(table), rows)
        return
    statement, converters = plan
    try:
        columns = []
        for key, convert in zip(keys, converters, strict=True):
            values = [row[key] for row in rows]
            columns.append(values if convert is None else convert(values))
    except KeyError:  # a row with other keys than the first
        await session.execute(insert(table), rows)
        return
    await connection.exec_driver_sql(statement, list(zip(*columns, strict=True)))


class Database:
    """One service's database: a writer and a reader session factory.

    On SQLite the writer is a single pooled connection, so writers in one process queue in
    the pool instead of fighting over the file lock; readers use their own connections.

    SQLite's readers run their statements in aiosqlite's threads, not inline on the event loop
    as the writer does: a report over years of data reads for a second or more, and the
    service (its health checks, its other requests, its consumer) must keep going meanwhile.
    Their pool has no upper bound (a connection to a local file costs about a millisecond; the
    load gate bounds the requests), so a request that reads on several sessions at once
    (`reads_apart`) never waits for a connection another such request holds.
    """

    def __init__(self, url: str, *, synchronous: str = "NORMAL", lock_wait_seconds: float = 30.0) -> None:
        self.url = url
        self.lock_wait_seconds = lock_wait_seconds
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError("synchronous must be NORMAL, FULL or EXTRA")
        if is_sqlite(url):
            creator = _inline_sqlite_creator(url)
            self.write_engine = create_async_engine(
                url, async_creator=creator, pool_size=1, max_overflow=0, pool_timeout=120
            )
            self.read_engine = create_async_engine(url, pool_size=5, max_overflow=-1)
            _sqlite_pragmas(self.write_engine, immediate=True, synchronous=synchronous.upper())
            _sqlite_pragmas(self.read_engine, immediate=False, synchronous=synchronous.upper())
        else:
            self.write_engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self.read_engine = self.write_engine
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on any error.

        Work registered with `before_commit` (the outbox's buffered rows) runs just before
        the commit, inside the same transaction.
        """
        async with self._writer() as session:
            await self._begin(session)
            try:
                yield session
                for hook in session.info.pop(BEFORE_COMMIT, ()):
                    await hook(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def _begin(self, session: AsyncSession) -> None:
        """Start the transaction (SQLite: take the write lock) before the caller's work runs, and
        while another process holds the lock, wait for it without blocking the event loop."""
        delay = 0.005
        deadline = asyncio.get_running_loop().time() + self.lock_wait_seconds
        while True:
            try:
                await session.connection()
                return
            except Exception as error:
                if not is_transient(error) or asyncio.get_running_loop().time() > deadline:
                    raise
                await session.rollback()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @property
    def reads_apart(self) -> Callable[[], AbstractAsyncContextManager[AsyncSession]] | None:
        """A factory of reader sessions for statements run side by side, when that is safe: on
        SQLite (threads, a pool without bound; WAL readers never block one another). None on
        PostgreSQL, whose bounded pool is shared with the writers: a request holding one
        connection while it waits for more could wait on another such request."""
        return self.reading if is_sqlite(self.url) else None

    async def ping(self) -> bool:
        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def checkpoints(self, every: float = 1.0) -> None:
        """SQLite: copy the WAL into the database file in a thread, every `every` seconds.

        Statements run on the event loop (InlineSqliteConnection); left to itself, SQLite
        checkpoints inside the commit that fills the WAL, on the event loop, fsyncs included.
        A PASSIVE checkpoint on a connection of its own waits for no reader or writer, and
        the sqlite3 module lets go of the GIL while it copies, so the loop keeps serving.
        """
        if not is_sqlite(self.url):
            return
        path = self.url.split("///", 1)[1]
        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(_checkpoint, path)
            except sqlite3.Error as error:  # e.g. the file is briefly locked: next round
                log.info("sqlite checkpoint skipped (%s)", type(error).__name__)

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def sync_url(url: str) -> str:
    return url.replace("sqlite+aiosqlite", "sqlite")


def upgrade_database(url: str, metadata: MetaData, versions_dir: Path) -> None:
    """Bring the schema to the newest Alembic revision of the service."""
    if is_sqlite(url):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions_dir))
    config.attributes["target_metadata"] = metadata
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
