"""Database engines: SQLite (WAL) by default, PostgreSQL by URL; Alembic migrations at start-up."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, event, text
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


class Database:
    """One service's database: a writer and a reader session factory.

    On SQLite the writer is a single pooled connection, so writers in one process queue in
    the pool instead of fighting over the file lock; readers use their own connections.
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
            self.read_engine = create_async_engine(url, async_creator=creator, pool_size=5, max_overflow=5)
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
