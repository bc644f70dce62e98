"""Connecting to the ledger's database and bringing its schema up to date.

SQLite is the embedded default (`./netfund.db`); any SQLAlchemy URL works, PostgreSQL through
psycopg 3. Writers must never interleave: on SQLite a write transaction starts with
`BEGIN IMMEDIATE` (the file's write lock, taken before anything is read), on PostgreSQL the
writer locks the chain head row. Readers use plain transactions and, with SQLite's WAL
journal, never wait for a writer.

Waits are bounded: a writer waits at most `lock_wait_seconds()` for another's lock (SQLite's
busy timeout, PostgreSQL's `lock_timeout` for every statement), and on PostgreSQL a write
transaction that sits idle that long is ended by the server
(`idle_in_transaction_session_timeout`), so a stopped process cannot hold the chain head
lock for ever. Durability: SQLite runs `synchronous = FULL`, so a commit netfund reported
survives a power loss (see ledger/docs.md). The file's permissions and read-only media are
`sqlite_files`' part; what a driver error means, `database_errors`'.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store import checkpoints
from netfund.ledger.store.database_errors import database_error, read_only
from netfund.ledger.store.sqlite_files import (
    create_private,
    database_file,
    existing_uri,
    read_only_uri,
)
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

# Alembic is imported only where the schema changes (init): every other command only reads
# the schema's revision, and Alembic's import would be a fifth of each command's start-up.
if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_URL = "sqlite:///netfund.db"
#: How long a writer waits for another writer's lock before giving up, in seconds, unless
#: NETFUND_LOCK_WAIT_SECONDS says otherwise.
LOCK_WAIT_SECONDS = 60
LOCK_WAIT_VARIABLE = "NETFUND_LOCK_WAIT_SECONDS"
#: A day: a longer wait is a mistake in the setting, not a wish.
_LOCK_WAIT_MAX = 86_400
_MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE_OPTION = "netfund_write"
_READ_ONLY = "netfund_read_only"
_LOCK_WAIT = "netfund_lock_wait"


def lock_wait_seconds() -> float:
    """How long to wait for a lock: `NETFUND_LOCK_WAIT_SECONDS`, else `LOCK_WAIT_SECONDS`."""
    text_value = os.environ.get(LOCK_WAIT_VARIABLE, "").strip()
    if not text_value:
        return LOCK_WAIT_SECONDS
    try:
        seconds = float(text_value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= _LOCK_WAIT_MAX:
        raise LedgerError(
            f"{LOCK_WAIT_VARIABLE} must be a number of seconds above 0 and at most "
            f"{_LOCK_WAIT_MAX}, not {text_value!r}"
        )
    return seconds


def resolve_url(url: str | None) -> str:
    """The database URL to use: the argument, else `NETFUND_DB`, else `./netfund.db`.

    A plain file path is accepted too and taken as a SQLite file.
    """
    chosen = url or os.environ.get("NETFUND_DB") or DEFAULT_URL
    if "://" not in chosen:
        chosen = f"sqlite:///{chosen}"
    return chosen


def redact(url: str) -> str:
    """The URL as it may be printed: a password never is."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"
    # libpq also takes the password as a query parameter (?password=...).
    hidden = {key: "***" for key in parsed.query if key.lower() in ("password", "passfile")}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True)


def _normalise(url: str) -> str:
    # `postgresql://` alone would load psycopg2; netfund ships psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def in_memory(url: URL) -> bool:
    """Whether ``url`` is an in-memory SQLite database (another connection sees another one)."""
    database = url.database or ""
    return (
        database in ("", ":memory:")
        or "mode=memory" in database
        or url.query.get("mode") == "memory"
    )


def checkpoint_file(url: URL, given: str | os.PathLike[str] | None = None) -> Path | None:
    """The checkpoint file of the database at ``url`` (`checkpoints.py`): ``given``, else
    ``NETFUND_CHECKPOINTS``, else ``<file>.checkpoints`` beside a SQLite file, else None."""
    chosen = given or os.environ.get(checkpoints.CHECKPOINTS_ENV)
    if chosen:
        return Path(chosen).absolute()
    if url.get_backend_name() != "sqlite" or in_memory(url):
        return None
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename: the path ends at its query
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database + checkpoints.SUFFIX).absolute()


def checkpoints_of(engine: Engine) -> Path | None:
    """The checkpoint file ``engine``'s writes append to, if it has one."""
    chosen = engine.get_execution_options().get(checkpoints.OPTION)
    return None if chosen is None else Path(chosen)


def connect(
    url: str | None = None, *, checkpoints_to: str | os.PathLike[str] | None = None
) -> Engine:
    """Create the engine for ``url`` (see `resolve_url`), set up for netfund's locking.

    Its writes append to the checkpoint file ``checkpoints_to`` or the default one
    (`checkpoint_file`).
    """
    resolved = _normalise(resolve_url(url))
    wait = lock_wait_seconds()
    try:
        parsed = make_url(resolved)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            # check_same_thread off: an import's background writer uses the connection while
            # the importing thread waits (never both at once, see writer.py).
            engine = create_engine(
                resolved, connect_args={"timeout": wait, "check_same_thread": False}
            )
            _configure_sqlite(engine, database_file(parsed.database))
        elif backend == "postgresql":
            # No server-side prepared statements: psycopg prepares a query after 5 runs, and
            # PostgreSQL may then keep a generic plan made while a table was still small. An
            # import's id look-ups (`external_id IN (...)`, 500 ids) got a sequential scan
            # that way, 0.27 s each and slower as the import grows the table.
            engine = create_engine(
                resolved, pool_pre_ping=True, connect_args={"prepare_threshold": None}
            )
            _configure_postgresql(engine, wait)
        else:
            raise LedgerError(f"unsupported database {backend!r}: use sqlite or postgresql")
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        # A malformed URL (a port that is not a number, an unknown driver) is bad input.
        raise LedgerError(f"not a usable database URL: {redact(resolved)} ({error})") from None
    _translate_errors(engine, wait)
    engine.update_execution_options(**{_LOCK_WAIT: wait})
    path = checkpoint_file(engine.url, checkpoints_to)
    if path is not None:
        engine.update_execution_options(**{checkpoints.OPTION: str(path)})
    return engine


def _translate_errors(engine: Engine, wait: float) -> None:
    """Driver errors that are damage, a lock wait, a read-only file or a lost connection
    leave every engine as netfund's own errors (`database_errors`)."""
    where = redact(str(engine.url))

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        translated = database_error(
            context.original_exception,
            where,
            lock_wait=wait,
            connected=context.connection is not None,
            disconnect=context.is_disconnect,
            statement=context.statement,
        )
        if translated is not None:
            raise translated


def _configure_postgresql(engine: Engine, wait: float) -> None:
    """Bound every lock wait of the session (`lock_timeout`, in milliseconds)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"SET lock_timeout = {round(wait * 1000)}")
        dbapi_connection.commit()  # psycopg opened a transaction for the SET; keep it


def _configure_sqlite(engine: Engine, path: Path | None) -> None:
    """Take over SQLite's transaction handling so a writer can begin with `BEGIN IMMEDIATE`;
    never create a missing file (only `upgrade` does, see `sqlite_files`) and open one that
    cannot be written read-only."""

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(
        _dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        if path is None:
            return
        uri = read_only_uri(path)
        if uri is not None:
            record.info[_READ_ONLY] = True
        else:
            uri = existing_uri(path)
        if uri is None:
            raise no_ledger(str(engine.url))
        cargs[0] = uri
        cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite: let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if record.info.get(_READ_ONLY):
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("PRAGMA journal_mode = WAL")
            # FULL: the WAL is synced at every commit, so a commit netfund reported survives
            # a power loss (NORMAL synced only at checkpoints: consistent, but the newest
            # commits could vanish). EXTRA adds nothing in WAL mode.
            cursor.execute("PRAGMA synchronous = FULL")
        # 64 MiB of page cache: bulk imports insert into unique indexes of random hashes.
        cursor.execute("PRAGMA cache_size = -65536")
        # Statement journals (the undo log of one statement inside a transaction) in memory
        # instead of a temporary file. Crash recovery does not use them: that is the WAL's job.
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        if immediate and connection.connection.info.get(_READ_ONLY):
            raise read_only(redact(str(engine.url)))
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing write transaction; it commits only if the block returns.

    Every write of netfund opens its transaction here, so this is where the checkpoint file
    (`checkpoints.py`) learns of each commit: once the block committed, the chains' heads are
    appended to it.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # A writer that stops between statements (a suspended or hung process) must
                # not hold the chain head lock longer than another writer waits for it.
                # Only writers: a parallel verify's reader sits idle while its workers read.
                seconds = connection.get_execution_options().get(_LOCK_WAIT, LOCK_WAIT_SECONDS)
                wait = round(seconds * 1000)
                connection.exec_driver_sql(
                    f"SET LOCAL idle_in_transaction_session_timeout = {wait}"
                )
            yield connection
        path = checkpoints_of(engine)
        if path is not None:
            connection.execution_options(**{_WRITE_OPTION: False})  # a plain read from here
            checkpoints.record_checkpoint(connection, path)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent snapshot for everything read inside it.

    SQLite's read transaction is a snapshot already (WAL). PostgreSQL's default, READ
    COMMITTED, gives each statement a new snapshot, so a verify reading the chain head and
    then the chain in batches saw an import commit in between and reported tampering; the
    read runs in REPEATABLE READ instead (a snapshot that never blocks writers).
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this version of netfund knows: the highest-numbered file in
    migrations/versions, whose names start with their revision (a test checks that Alembic
    finds the same head)."""
    numbers = sorted(
        path.name.split("_", 1)[0]
        for path in (_MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    )
    if not numbers:  # pragma: no cover - the package always ships its migrations
        raise LedgerError("netfund's schema migrations are missing from the installation")
    return numbers[-1]


def current_revision(connection: Connection) -> str | None:
    """The revision the database's schema is at (Alembic's version table), or None."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def create_file(engine: Engine) -> None:
    """Create ``engine``'s SQLite file (private, empty) if it is missing: the one place a
    ledger's file comes into being, for `init` (every other connection refuses a missing
    file). Nothing for PostgreSQL, whose database the server already has."""
    if engine.url.get_backend_name() == "sqlite":
        path = database_file(engine.url.database)
        if path is not None:
            create_private(path)


def upgrade(engine: Engine) -> None:
    """Create or update the schema to the newest migration, in one transaction (creating
    a SQLite file that is not there yet)."""
    create_file(engine)
    with writing(engine) as connection:
        from alembic import command

        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def no_ledger(url: str) -> LedgerError:
    """The error for a database that holds no ledger (or a SQLite file that is not there)."""
    return LedgerError(f"no netfund ledger at {redact(url)}: run 'netfund init network.toml' first")


def require_schema(connection: Connection, url: str) -> None:
    """Refuse to work on a database netfund has not initialised, or a newer one."""
    revision = current_revision(connection)
    if revision is None:
        raise no_ledger(url)
    if revision != head_revision():
        raise LedgerError(
            f"the ledger at {redact(url)} has schema {revision}, this netfund expects "
            f"{head_revision()}: run 'netfund init' to upgrade it"
        )
