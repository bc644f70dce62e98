"""Portal logins: who may sign in to the funder portal (`netfund.web`), and the trail of it.

The portal's people are not PostgreSQL logins (a funder's accountant gets a name and a
password, not a database role): they live in `portal_users` (migration 0011), each with a
role (administrator, controller or funder) and, for a funder's login, the funder whose money
it reads. Passwords are hashed with Argon2id (argon2-cffi's `PasswordHasher` defaults, the
memory-hard hash OWASP recommends); the hash is kept in that table only.

The records chain holds what happened, never a secret: a ``user`` record per login added or
password changed (name, role, funder, change) and a ``sign-in`` record per sign-in, refused
or throttled attempt and sign-out (outcome, address, and the name only when it is a known
login: a password typed into the name field must never be stored).

`check_password` does the same work for a name that does not exist as for one that does
(it verifies against a dummy hash), so the time an answer takes does not tell which names
exist. Rate limiting is the portal's job (it records ``throttled`` attempts here).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.access import funder_role, quoted, require, session_access
from netfund.ledger.store.database import reading, require_schema, writing
from netfund.ledger.store.identity import current_actor
from netfund.ledger.store.records import append_record, transaction_head, utc_now
from netfund.ledger.store.registry import read_network
from netfund.ledger.store.roles import make_funder_role
from netfund.ledger.store.schema import PORTAL_ROLES, portal_users_table
from sqlalchemy import Connection, Engine, delete, insert, select, text, update

if TYPE_CHECKING:
    from argon2 import PasswordHasher

#: What a ``sign-in`` record says happened.
SIGN_IN_OUTCOMES = ("signed in", "refused", "throttled", "signed out")
#: A password's length, in characters: at least 12 (length is what makes a password hard to
#: guess), at most 1024 (more is no safer and only costs hashing time).
PASSWORD_LENGTH_MIN = 12
PASSWORD_LENGTH_MAX = 1024
#: A login's name: lower-case letters, digits, ``.``, ``_`` and ``-``, 1 to 63 characters.
_NAME = re.compile(r"[a-z0-9._-]{1,63}")
#: How much of an address a ``sign-in`` record keeps when it is not an IP address.
_ADDRESS_MAX = 64


@dataclass(frozen=True)
class PortalUser:
    """A portal login, as the portal needs it after sign-in.

    Attributes:
        name: the login's name.
        role: ``administrator``, ``controller`` or ``funder``.
        funder: the funder whose money a funder's login reads (None for staff).
    """

    name: str
    role: str
    funder: str | None


@dataclass(frozen=True)
class PortalUserEntry:
    """A portal login as `list_users` shows it (never its hash).

    Attributes:
        name: the login's name.
        role: its role.
        funder: the funder it reads (funder role).
        created_at: when it was added (UTC, ISO 8601).
        created_by: who added it (the actor of the ``user`` record).
        updated_at: when its password last changed.
    """

    name: str
    role: str
    funder: str | None
    created_at: str
    created_by: str
    updated_at: str


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2-cffi's hasher with its defaults (Argon2id), loaded on first use only."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash no password is checked against for real: unknown names are verified against it,
    with the same parameters as every real hash, so they cost the same time."""
    return _hasher().hash("netfund: no such portal login")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise LedgerError(
            "a portal login's name is 1 to 63 lower-case letters, digits, '.', '_' or '-'"
        )


def _check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < PASSWORD_LENGTH_MIN:
        raise LedgerError(f"a portal password needs at least {PASSWORD_LENGTH_MIN} characters")
    if len(password) > PASSWORD_LENGTH_MAX:
        raise LedgerError(f"a portal password has at most {PASSWORD_LENGTH_MAX} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise LedgerError("a portal password must be text (valid Unicode)") from None


def check_new_user(
    engine: Engine, name: str, role: str, funder: str | None, *, replace: bool = False
) -> None:
    """Refuse what `add_user` would refuse but the password, without writing: the CLI asks
    this before it prompts for a password."""
    _check_new(name, role, funder)
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        _check_against(connection, name, role, funder, replace)


def add_user(
    engine: Engine,
    name: str,
    role: str,
    funder: str | None,
    password: str,
    *,
    replace: bool = False,
) -> PortalUser:
    """Add portal login ``name`` with ``role`` (and ``funder`` for a funder's login) and
    ``password``; with ``replace``, give an existing login a new password instead (its role
    and funder stay as they are). Records a ``user`` record (never the hash). Refuses a bad
    name, an unknown role or funder, a short password, and an existing login without
    ``replace`` (or a missing one with it), each with one sentence."""
    _check_new(name, role, funder)
    _check_new_password(password)
    digest = _hasher().hash(password)  # before the write: hashing takes a while
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        existing = _check_against(connection, name, role, funder, replace)
        if funder is not None:
            _funder_role_ready(connection, funder, make=True)
        at = utc_now()
        if existing is None:
            change = "added"
            connection.execute(
                insert(portal_users_table),
                [
                    {
                        "name": name,
                        "role": role,
                        "funder": funder,
                        "password_hash": digest,
                        "created_at": at,
                        "created_by": current_actor(connection),
                        "updated_at": at,
                    }
                ],
            )
        else:
            change = "password"
            connection.execute(
                update(portal_users_table)
                .where(portal_users_table.c.name == name)
                .values(password_hash=digest, updated_at=at)
            )
        append_record(
            connection,
            "user",
            {"name": name, "role": role, "funder": funder, "change": change, "at": at},
            transaction_head(connection),
        )
    return PortalUser(name, role, funder)


def remove_user(engine: Engine, name: str) -> PortalUser:
    """Remove portal login ``name``: it cannot sign in from now on, and a portal that asks
    `portal_user` before each page (netfund.web does) ends its open sessions. Records a
    ``user`` record (change ``removed``); the login's earlier records stay, as every record
    does. Refuses a name that is no portal login."""
    _check_name(name)
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        require(connection, "user")
        existing = _user(connection, name)
        if existing is None:
            raise LedgerError(f"there is no portal login {name!r} to remove")
        connection.execute(delete(portal_users_table).where(portal_users_table.c.name == name))
        append_record(
            connection,
            "user",
            {
                "name": name,
                "role": existing.role,
                "funder": existing.funder,
                "change": "removed",
                "at": utc_now(),
            },
            transaction_head(connection),
        )
    return existing


def portal_user(engine: Engine, name: str) -> PortalUser | None:
    """Portal login ``name`` as the ledger holds it now (None: no such login), without its
    hash: what a portal asks to end the sessions of a login removed or changed meanwhile."""
    if _NAME.fullmatch(name) is None:
        return None
    with reading(engine) as connection:
        return _user(connection, name)


def _check_new(name: str, role: str, funder: str | None) -> None:
    _check_name(name)
    if role not in PORTAL_ROLES:
        raise LedgerError(f"unknown portal role {role!r}: one of {', '.join(PORTAL_ROLES)}")
    if (role == "funder") != (funder is not None):
        raise LedgerError("a funder's portal login names its funder (--funder CODE); staff do not")


def _check_against(
    connection: Connection, name: str, role: str, funder: str | None, replace: bool
) -> PortalUser | None:
    """The existing login ``name`` (None: none), after refusing what the ledger says no to."""
    require(connection, "user")  # a sentence before the database's "permission denied"
    if funder is not None and funder not in {f.code for f in read_network(connection).funders}:
        raise LedgerError(f"unknown funder {funder!r}: not in the ledger's network")
    if funder is not None:
        _funder_role_ready(connection, funder, make=False)
    existing = _user(connection, name)
    if existing is None and replace:
        raise LedgerError(f"there is no portal login {name!r} to give a new password")
    if existing is not None and not replace:
        raise LedgerError(
            f"portal login {name!r} exists already: --replace gives it a new password"
        )
    if existing is not None and (existing.role, existing.funder) != (role, funder):
        raise LedgerError(
            f"portal login {name!r} is {_described(existing)}: --replace changes its "
            "password only, not its role or funder"
        )
    return existing


def _described(user: PortalUser) -> str:
    return f"a funder's login for {user.funder}" if user.funder else f"a {user.role}"


def _user(connection: Connection, name: str) -> PortalUser | None:
    row = connection.execute(
        select(portal_users_table.c.role, portal_users_table.c.funder).where(
            portal_users_table.c.name == name
        )
    ).one_or_none()
    return None if row is None else PortalUser(name, row.role, row.funder)


def check_password(engine: Engine, name: str, password: str) -> PortalUser | None:
    """The login ``name`` if ``password`` is its password, else None.

    One Argon2 verification whatever the name: against the login's hash, or against a
    dummy hash when there is no such login (or the name or password could not be one), so
    the answer takes the same time either way. A hash made with weaker parameters than
    today's defaults is replaced after a successful check (the password is at hand only then).
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    known = isinstance(name, str) and _NAME.fullmatch(name) is not None
    usable = isinstance(password, str) and 0 < len(password) <= PASSWORD_LENGTH_MAX
    row = None
    if known:
        with reading(engine) as connection:
            require_schema(connection, str(engine.url))
            row = connection.execute(
                select(
                    portal_users_table.c.role,
                    portal_users_table.c.funder,
                    portal_users_table.c.password_hash,
                ).where(portal_users_table.c.name == name)
            ).one_or_none()
    stored = row.password_hash if row is not None else _dummy_hash()
    try:
        _hasher().verify(stored, password if usable else "")
        matched = row is not None and usable
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        matched = False
    if not matched:
        return None
    if _hasher().check_needs_rehash(stored):
        _rehash(engine, name, stored, password)
    return PortalUser(name, row.role, row.funder)


def _rehash(engine: Engine, name: str, stored: str, password: str) -> None:
    """Store ``password``'s hash made with today's parameters, if the stored one is still
    ``stored`` (not changed meanwhile). A sign-in does not fail when this cannot be written
    (a read-only ledger): the old hash still works."""
    digest = _hasher().hash(password)
    try:
        with writing(engine) as connection:
            connection.execute(
                update(portal_users_table)
                .where(portal_users_table.c.name == name)
                .where(portal_users_table.c.password_hash == stored)
                .values(password_hash=digest)
            )
    except LedgerError:
        pass


def record_sign_in(engine: Engine, name: str | None, outcome: str, address: str) -> None:
    """Append a ``sign-in`` record: ``outcome`` (one of `SIGN_IN_OUTCOMES`) of a sign-in by
    ``name`` from ``address``. A name that is not a known login is recorded as None: what
    someone typed into the name field may be a password."""
    if outcome not in SIGN_IN_OUTCOMES:
        raise LedgerError(f"unknown sign-in outcome {outcome!r}: one of {SIGN_IN_OUTCOMES}")
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        known = (
            name
            if isinstance(name, str) and _NAME.fullmatch(name) and _user(connection, name)
            else None
        )
        append_record(
            connection,
            "sign-in",
            {"outcome": outcome, "user": known, "address": _address(address), "at": utc_now()},
            transaction_head(connection),
        )


def _address(address: str) -> str:
    """The client's address as a record keeps it: an IP address in its normal form, else
    (a test client, a proxy's label) its printable characters, shortened."""
    try:
        return str(ipaddress.ip_address(str(address).strip()))
    except ValueError:
        shown = "".join(c for c in str(address) if c.isprintable())
        return shown[:_ADDRESS_MAX] or "unknown"


def list_users(engine: Engine) -> list[PortalUserEntry]:
    """Every portal login, by name (never a hash)."""
    columns = portal_users_table.c
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        rows = connection.execute(
            select(
                columns.name,
                columns.role,
                columns.funder,
                columns.created_at,
                columns.created_by,
                columns.updated_at,
            ).order_by(columns.name)
        ).all()
    return [PortalUserEntry(*row) for row in rows]


@contextmanager
def funder_reading(engine: Engine, funder: str) -> Iterator[Connection]:
    """A read transaction (`reading`'s snapshot) for a page of ``funder``'s portal login.

    On PostgreSQL with netfund's roles installed it runs under that funder's own database
    role (``SET LOCAL ROLE``, `store/roles.py`): the row-level security policies show the
    funder's own money only, whatever the portal's code asks, so a bug in a page cannot
    show another funder's figures. The serving login (an administrator or the owner) is a
    member of every funder's role; the role lasts until the transaction ends. A funder
    without a role of its own is refused (`LedgerError`), never read without one.

    On SQLite, and on PostgreSQL without roles installed, it is `reading`: there the
    portal's own checks (`web/guards.py`) are all that keeps one funder from another's money.
    """
    with reading(engine) as connection:
        if connection.dialect.name == "postgresql" and session_access(connection).managed:
            role = funder_role(connection, funder)
            if not _role_exists(connection, role):
                raise LedgerError(
                    f"funder {funder!r} has no database role in this ledger: the ledger's "
                    "owner runs netfund roles install"
                )
            connection.execute(text(f"SET LOCAL ROLE {quoted(role)}"))
        yield connection


def _role_exists(connection: Connection, role: str) -> bool:
    return bool(
        connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).scalar()
    )


def _funder_role_ready(connection: Connection, funder: str, *, make: bool) -> None:
    """On PostgreSQL with roles installed, a funder's portal login needs its funder's own
    role (`funder_reading`): made here when ``make`` and the login may (the owner), else
    refused before anything is written."""
    if connection.dialect.name != "postgresql":
        return
    access = session_access(connection)
    if not access.managed or _role_exists(connection, funder_role(connection, funder)):
        return
    if not access.owner:
        raise LedgerError(
            f"funder {funder!r} has no database role in this ledger yet: the ledger's owner "
            "runs netfund roles install (or adds this login)"
        )
    if make:
        make_funder_role(connection, funder)
