"""Database engine, the unit of work (one command = one transaction) and migrations."""
import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from engine.errors import Busy, ConfigError, Conflict, DatabaseUnavailable, NotInitialised, OpsflowError

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # sqlite3 primary result codes: another connection holds the lock
PG_BUSY = {"55P03", "57014"}  # lock_not_available (lock_timeout), query_canceled (statement_timeout)
PG_CONFLICT = {"40001", "40P01"}  # serialization_failure, deadlock_detected: a racing writer won
CONNECT_TIMEOUT_SECONDS = 10  # an unreachable PostgreSQL host fails a command after this, instead of hanging


class Database:
    """One SQLAlchemy engine plus the session scopes every command runs in."""

    def __init__(self, url: str, echo: bool = False, busy_seconds: float = 10.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.busy_seconds = busy_seconds
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            _refuse_missing_sqlite_folder(url)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_seconds}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20,
                          connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        self.engine = _create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, round(busy_seconds * 1000))
        self._writer = self.engine.execution_options(opsflow_write=True)
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args: object) -> None:
        """Count SQL statements (the benchmark reports statements per completion)."""
        self.statements += 1

    def write(self) -> contextlib.AbstractContextManager[Session]:
        """A read-write unit of work: commits on success, rolls back on any error."""
        return self._unit(self._writer)

    def command(self) -> contextlib.AbstractContextManager[Session]:
        """A unit of work that reads, runs user code, then writes; the write lock is taken by `start_writing`.

        On SQLite the reads run in a deferred transaction, so scripts and expressions run while other
        processes may write; PostgreSQL holds no lock before the first write anyway, so there it is
        `write()` and `start_writing` changes nothing.
        """
        return self._unit(self.engine if self.is_sqlite else self._writer)

    def start_writing(self, session: Session) -> bool:
        """Take the write lock for the rest of a `command()`; True when what was read before may be stale.

        On SQLite this ends the reading transaction and begins `BEGIN IMMEDIATE`, so writers still queue;
        whatever the command read must then be checked again by the writes (the case row's
        compare-and-set, a task row's expected assignee).
        """
        if not self.is_sqlite or session.info.get("writing"):
            return False
        session.commit()
        session.connection(execution_options={"opsflow_write": True})
        session.info["writing"] = True
        return True

    @contextmanager
    def _unit(self, bind: Engine) -> Iterator[Session]:
        """A unit of work on `bind`: commits on success, rolls back on any error."""
        session = Session(bind, expire_on_commit=False, autoflush=False)
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            refusal = self._refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _refusal(self, exc: OperationalError) -> OpsflowError | None:
        """The engine error a lock failure means (Busy: waited too long; Conflict: a racing writer won), or None."""
        orig = exc.orig
        sqlite_code = getattr(orig, "sqlite_errorcode", None)
        if sqlite_code is not None and sqlite_code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED):
            return Busy("database_busy", seconds=self.busy_seconds)
        state = getattr(orig, "sqlstate", None)
        if state in PG_BUSY:
            return Busy("database_lock_timeout")
        if state in PG_CONFLICT:
            return Conflict("write_conflict")
        return None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (never commits)."""
        session = Session(self.engine, expire_on_commit=False, autoflush=False)
        try:
            yield session
        finally:
            session.close()

    @contextmanager
    def batch(self, connection: Connection) -> Iterator[None]:
        """Writes that return nothing, sent in one round trip (PostgreSQL pipeline mode; SQLite as is).

        Only statements whose results nobody reads may run inside; errors surface when the block
        ends, as the same SQLAlchemy exceptions a plain execute raises.
        """
        if self.is_sqlite:
            yield
            return
        dbapi = connection.dialect.loaded_dbapi
        driver = connection.connection.driver_connection
        assert driver is not None, "an open connection always has its driver's connection"
        try:
            with driver.pipeline():
                yield
        except dbapi.Error as exc:
            raise DBAPIError.instance(None, None, exc, dbapi.Error) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def check_schema(self) -> None:
        """Raise a one-line error unless the database answers and holds the newest schema."""
        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except DBAPIError as exc:
            raise self.unreachable(exc) from exc
        needed = {newest_revision()}
        if not current:
            raise NotInitialised("no_schema", database=self.shown_url())
        if current != needed:
            raise NotInitialised("old_schema", database=self.shown_url(), current=", ".join(sorted(current)),
                                 needed=", ".join(sorted(needed)))

    def unreachable(self, exc: BaseException) -> DatabaseUnavailable:
        """The one-line error for a database that failed to answer."""
        return DatabaseUnavailable("database_unreachable", database=self.shown_url(),
                                   reason=driver_reason(exc) or "no reason given")

    def shown_url(self) -> str:
        """The URL without its password, fit to print."""
        return self.engine.url.render_as_string(hide_password=True)


def driver_reason(exc: BaseException) -> str:
    """The first line of what the driver said about a database error (no SQL, no links); may be empty."""
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]


def _create_engine(url: str, **kwargs: Any) -> Engine:
    """create_engine, with a malformed URL, an unknown driver or a missing driver package as a ConfigError."""
    try:
        return create_engine(url, **kwargs)
    except NoSuchModuleError as exc:
        raise ConfigError("unknown_driver", driver=make_url(url).drivername) from exc
    except ArgumentError as exc:  # after its subclass NoSuchModuleError
        raise ConfigError("not_a_database_url") from exc
    except ModuleNotFoundError as exc:
        raise ConfigError("driver_missing", driver=exc.name) from exc


def _refuse_missing_sqlite_folder(url: str) -> None:
    """A SQLite file in a folder that does not exist is a typo to report, not a folder to create."""
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:" and not Path(path).parent.is_dir():
        raise ConfigError("sqlite_folder_missing", folder=str(Path(path).parent))


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, foreign keys; BEGIN IMMEDIATE for writers so they queue, not fail."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: object) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("opsflow_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _alembic_config() -> Config:
    """Alembic's configuration: only where the migrations are (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def newest_revision() -> str:
    """The schema revision this opsflow needs: the head of its migrations."""
    return str(ScriptDirectory.from_config(_alembic_config()).get_current_head())


def migrate(database: Database, revision: str = "head") -> None:
    """Bring the schema to an Alembic revision (the newest by default; tests upgrade step by step)."""
    config = _alembic_config()
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def private_schema(base_url: str, prefix: str = "opsflow") -> tuple[str, Callable[[], None]]:
    """A throw-away PostgreSQL schema: (URL whose search_path is that schema, function that drops it).

    Tests and benchmarks use it so they never touch real tables and can run side by side.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return url, drop

