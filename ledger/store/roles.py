"""PostgreSQL's own roles, grants and row-level security for a netfund ledger.

netfund keeps no user table of its own: a person is a PostgreSQL login, a job is a group role,
and the database enforces both, whatever client connects. `install_roles` (run by the ledger's
owner) makes the ledger's four group roles (`access.group_roles`: named after the ledger, so
that a role in one network's ledger is nothing in another's on the same server) and gives
them, in the ledger's schema:

- administrator: reads everything, writes the ledger (imports, posts, allocations, closes);
  the indicator measurements only by INSERT: not even their writer changes or deletes one;
- approver: reads everything; writes approvals: the transactions an approval carries out
  may only be inserted in a database transaction that inserted a ``decision`` record first
  (a row policy), and of the records only decisions, writes, closes and exports;
- controller: reads everything; writes nothing but the log of its exports;
- funder: reads, through row-level security, only the postings of its own funds
  (`funder_logins`), the transactions they belong to, the balance totals of its funds and the
  records that hold no other funder's money (network versions, closes), and the indicator
  measurements (no funder's money: its statement shows those of the groups it funds);
  nothing else.

And for each funder of the network a role of its own (`access.funder_role`,
``<ledger>_funder_<code>``, NOLOGIN): a member of the funder group with its `funder_logins`
row, granted to the administrator group (and to the installing login), so the funder
portal's server, logged in as an administrator or the owner, runs a funder's pages under
``SET LOCAL ROLE`` to it and the database shows that funder's money only
(`accounts.funder_reading`). The funder policies therefore ask ``current_user`` (the role in
effect), not ``session_user``; the actor of a write stays ``session_user``. Running
``netfund roles install`` again drops and re-creates every policy, so a ledger installed
before keeps up; it also makes the roles of funders added since. Portal logins'
password hashes (`portal_users`) are readable and writable by the administrator group only.

The owner bypasses row-level security (it is not forced): it installs and grants, and should
not be used for daily work. Row-level security makes PostgreSQL refuse ``COPY FROM`` for the
logins it applies to; the writer then copies each batch into a temporary table and inserts it
from there (`writer.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.access import (
    ROLES,
    funder_role,
    group_roles,
    quoted,
    session_access,
)
from netfund.ledger.store.database import require_schema, writing
from netfund.ledger.store.records import append_record, recorded_note, transaction_head
from netfund.ledger.store.registry import read_network, read_network_timeline
from sqlalchemy import Connection, Engine, text

_STAFF = ("administrator", "approver", "controller")
#: What appending to the chains takes (an import, or an approval carrying out a proposal).
_CHAIN_WRITES = {
    "transactions": "INSERT",
    "postings": "INSERT",
    "balance_totals": "INSERT, UPDATE",
    "pending_balance_checks": "INSERT, DELETE",
    "chain_head": "UPDATE",
    "ledger_records": "INSERT",
    "records_head": "UPDATE",
    "closed_periods": "INSERT",
    "exports": "INSERT",
}
#: What each group role may do with the ledger's tables beyond reading them.
_WRITES: dict[str, dict[str, str]] = {
    "administrator": {
        **_CHAIN_WRITES,
        "allocation_runs": "INSERT",
        "network_versions": "INSERT",
        "funders": "INSERT",
        "groups": "INSERT",
        "earmarks": "INSERT",
        "portal_users": "INSERT, UPDATE, DELETE",
        "bank_statements": "INSERT",
        "bank_lines": "INSERT, UPDATE",
        "bank_payments": "INSERT, UPDATE",
        # Append-only: a measurement is never changed, so not even its writer may UPDATE or
        # DELETE one (issue 20).
        "indicator_measurements": "INSERT",
    },
    "approver": _CHAIN_WRITES,
    "controller": {"ledger_records": "INSERT", "records_head": "UPDATE", "exports": "INSERT"},
    "funder": {},
}
#: Tables only the administrator group reads (the portal logins' password hashes).
_ADMINISTRATOR_READS = ("portal_users",)
#: What a funder's login may read at all (row policies narrow the first four further).
_FUNDER_READS = (
    "transactions",
    "postings",
    "balance_totals",
    "ledger_records",
    "funder_logins",
    "chain_head",
    "records_head",
    "closed_periods",
    "network_versions",
    "funders",
    "groups",
    "earmarks",
    "alembic_version",
    # The indicators of the groups its money went to are on a funder's statement and portal;
    # they are no funder's money, so no row policy narrows them.
    "indicator_measurements",
)
_SEQUENCES = {
    "administrator": (
        "allocation_runs_id_seq",
        "exports_id_seq",
        "bank_statements_id_seq",
        "bank_lines_id_seq",
        "indicator_measurements_id_seq",
    ),
    "approver": ("exports_id_seq",),
    "controller": ("exports_id_seq",),
}
#: SQL: the funds the session's login reads as a funder.
_OWN_FUNDS = "(SELECT l.funder FROM funder_logins l WHERE l.login = current_user)"
#: SQL: whether a ``decision`` record was inserted earlier in this database transaction.
_DECIDED_HERE = (
    "EXISTS (SELECT 1 FROM ledger_records d WHERE d.kind = 'decision' "
    "AND d.xmin::text::bigint = pg_current_xact_id()::text::bigint % 4294967296)"
)
#: Row policies: (table, policy, command, roles, USING, WITH CHECK).
_POLICIES: tuple[tuple[str, str, str, tuple[str, ...], str | None, str | None], ...] = (
    *(
        (table, "staff_read", "SELECT", _STAFF, "true", None)
        for table in (
            "transactions",
            "postings",
            "balance_totals",
            "ledger_records",
            "funder_logins",
        )
    ),
    ("transactions", "administrator_write", "INSERT", ("administrator",), None, "true"),
    ("postings", "administrator_write", "INSERT", ("administrator",), None, "true"),
    ("transactions", "approver_write", "INSERT", ("approver",), None, _DECIDED_HERE),
    ("postings", "approver_write", "INSERT", ("approver",), None, _DECIDED_HERE),
    ("balance_totals", "writers_insert", "INSERT", ("administrator", "approver"), None, "true"),
    ("balance_totals", "writers_update", "UPDATE", ("administrator", "approver"), "true", "true"),
    ("ledger_records", "administrator_write", "INSERT", ("administrator",), None, "true"),
    (
        "ledger_records",
        "approver_write",
        "INSERT",
        ("approver",),
        None,
        "kind IN ('decision', 'write', 'close', 'export')",
    ),
    ("ledger_records", "controller_write", "INSERT", ("controller",), None, "kind = 'export'"),
    ("postings", "funder_read", "SELECT", ("funder",), f"fund IN {_OWN_FUNDS}", None),
    (
        "transactions",
        "funder_read",
        "SELECT",
        ("funder",),
        "EXISTS (SELECT 1 FROM postings p WHERE p.txn_id = transactions.id "
        f"AND p.fund IN {_OWN_FUNDS})",
        None,
    ),
    ("balance_totals", "funder_read", "SELECT", ("funder",), f"fund IN {_OWN_FUNDS}", None),
    ("ledger_records", "funder_read", "SELECT", ("funder",), "kind IN ('network', 'close')", None),
    ("funder_logins", "funder_read", "SELECT", ("funder",), "login = current_user", None),
)
#: What a funder's statement tells it of the whole chain, and row-level security would hide:
#: the newest transaction dated by a day (the fingerprint) and how many of a period's the
#: figures cover. Functions running as their owner (SECURITY DEFINER, search path pinned to
#: the ledger's schema) answer exactly that and nothing else, so a funder's portal page and
#: API name the same fingerprint as its PDF. (name, arguments, result, SQL)
_CHAIN_FACTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "netfund_chain_position",
        "as_of date",
        "TABLE (id bigint, hash text)",
        "SELECT t.id::bigint, t.hash::text FROM transactions t WHERE t.date <= as_of "
        "ORDER BY t.id DESC LIMIT 1",
    ),
    (
        "netfund_coverage",
        "for_period text, as_of date",
        "TABLE (transactions bigint, first bigint, last bigint)",
        "SELECT count(*)::bigint, min(t.id)::bigint, max(t.id)::bigint FROM transactions t "
        "WHERE t.period = for_period AND t.type <> 'close' AND t.date <= as_of",
    ),
)
_LOGIN = re.compile(r"[a-z_][a-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class RolesReport:
    """What `install_roles` did.

    Attributes:
        schema: the ledger's schema the grants are on.
        created: the group roles that did not exist before.
        roles: every group role, by netfund's name.
        funders: each funder's own role, by funder code (the portal reads under it).
    """

    schema: str
    created: tuple[str, ...]
    roles: dict[str, str]
    funders: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GrantReport:
    """What `grant_role` did.

    Attributes:
        login: the person's login role.
        role: the netfund role given.
        funder: the funder whose money it reads (funder role).
        created: whether the login was created now.
        record_seq: the ``grant`` record's position in the records chain.
        by: who granted it.
    """

    login: str
    role: str
    funder: str | None
    created: bool
    record_seq: int
    by: str


def _postgresql_only(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        raise LedgerError(
            "roles need a PostgreSQL ledger: this one is SQLite, which has no logins and no "
            "access control beyond its file's permissions"
        )


def _require_owner(connection: Connection, what: str) -> None:
    if not session_access(connection).owner:
        raise LedgerError(
            f"only the ledger's owner (or a superuser) may {what}: log in as the role that "
            "ran netfund init"
        )


def install_roles(engine: Engine) -> RolesReport:
    """Create the group roles (if missing) with their grants and row policies on the
    ledger's schema: the same result however often it runs."""
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        return _install(connection)


def grant_role(engine: Engine, login: str, role: str, funder: str | None = None) -> GrantReport:
    """Give ``login`` (created if missing, without a password: set one with ALTER ROLE or
    use the server's authentication) the group role ``role``; a funder's login also reads
    ``funder``'s money. Recorded in the records chain (a ``grant`` record)."""
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        return _grant(connection, login, role, funder)


def _install(connection: Connection) -> RolesReport:
    _postgresql_only(connection)
    _require_owner(connection, "install roles")
    schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
    groups = group_roles(connection)
    created = []
    for name, role in groups.items():
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).scalar()
        if not exists:
            # Two installs of this ledger at the same moment: the other one's role is as
            # good as this one's.
            connection.execute(
                text(
                    f'DO $$ BEGIN CREATE ROLE "{role}" NOLOGIN; '
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                )
            )
            created.append(name)
    tables = list(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    )
    everyone = ", ".join(f'"{role}"' for role in groups.values())
    connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {everyone}'))
    for table in tables:
        connection.execute(text(f'REVOKE ALL ON TABLE "{table}" FROM {everyone}'))
    for name in _STAFF:
        for table in tables:
            if table in _ADMINISTRATOR_READS and name != "administrator":
                continue
            connection.execute(text(f'GRANT SELECT ON TABLE "{table}" TO "{groups[name]}"'))
    for table in _FUNDER_READS:
        if table in tables:
            connection.execute(text(f'GRANT SELECT ON TABLE "{table}" TO "{groups["funder"]}"'))
    for name, writes in _WRITES.items():
        for table, privileges in writes.items():
            connection.execute(text(f'GRANT {privileges} ON TABLE "{table}" TO "{groups[name]}"'))
    for name, sequences in _SEQUENCES.items():
        for sequence in sequences:
            connection.execute(text(f'GRANT USAGE ON SEQUENCE "{sequence}" TO "{groups[name]}"'))
    for table in {policy[0] for policy in _POLICIES}:
        connection.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
    for table, policy, command, roles, using, check in _POLICIES:
        name = f"netfund_{policy}"
        connection.execute(text(f'DROP POLICY IF EXISTS {name} ON "{table}"'))
        to = ", ".join(f'"{groups[role]}"' for role in roles)
        clauses = (f" USING ({using})" if using else "") + (
            f" WITH CHECK ({check})" if check else ""
        )
        connection.execute(
            text(f'CREATE POLICY {name} ON "{table}" FOR {command} TO {to}{clauses}')
        )
    for name, arguments, result, body in _CHAIN_FACTS:
        connection.execute(
            text(
                f'CREATE OR REPLACE FUNCTION "{schema}".{name}({arguments}) RETURNS {result} '
                f'LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}", pg_temp '
                f"AS $$ {body} $$"
            )
        )
        types = ", ".join(argument.split()[1] for argument in arguments.split(", "))
        signature = f'"{schema}".{name}({types})'
        connection.execute(text(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC"))
        connection.execute(text(f'GRANT EXECUTE ON FUNCTION {signature} TO "{groups["funder"]}"'))
    try:
        codes = [funder.code for funder in read_network(connection).funders]
    except LedgerError:  # no network loaded yet: its funders' roles come with the next install
        codes = []
    funders = {code: make_funder_role(connection, code) for code in codes}
    return RolesReport(schema=schema, created=tuple(created), roles=groups, funders=funders)


def make_funder_role(connection: Connection, funder: str) -> str:
    """Make ``funder``'s own role (if missing) a member of the funder group reading that
    funder, which the administrator group (and this login, if no superuser) may ``SET ROLE``
    to; its name. Needs the right to create roles: the owner's, as `install_roles`."""
    groups = group_roles(connection)
    role = funder_role(connection, funder)
    connection.execute(
        text(
            f"DO $$ BEGIN CREATE ROLE {quoted(role)} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    )
    connection.execute(text(f"GRANT {quoted(groups['funder'])} TO {quoted(role)}"))
    connection.execute(text(f"GRANT {quoted(role)} TO {quoted(groups['administrator'])}"))
    superuser = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")
    ).scalar()
    if not superuser:
        connection.execute(text(f"GRANT {quoted(role)} TO session_user"))
    connection.execute(
        text(
            "INSERT INTO funder_logins (login, funder) VALUES (:login, :funder) "
            "ON CONFLICT DO NOTHING"
        ),
        {"login": role, "funder": funder},
    )
    return role


def _grant(connection: Connection, login: str, role: str, funder: str | None) -> GrantReport:
    _postgresql_only(connection)
    _require_owner(connection, "grant roles")
    if role not in ROLES:
        raise LedgerError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    groups = group_roles(connection)
    if not _LOGIN.fullmatch(login):
        raise LedgerError(
            f"{login!r} is not a login netfund creates: lower-case letters, digits, _ . -, "
            "starting with a letter or _, at most 63 characters"
        )
    if (role == "funder") != (funder is not None):
        raise LedgerError("--funder CODE goes with --role funder, and only with it")
    known = {f.code for f in read_network_timeline(connection).newest.network.funders}
    if funder is not None and funder not in known:
        raise LedgerError(f"unknown funder {funder!r}: not in the ledger's network")
    installed = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": groups[role]}
    ).scalar()
    if not installed or not session_access(connection).managed:
        raise LedgerError("the roles are not installed in this ledger: run netfund roles install")
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :login"), {"login": login}
    ).scalar()
    if not exists:
        connection.execute(text(f'CREATE ROLE "{login}" LOGIN'))
    connection.execute(text(f'GRANT "{groups[role]}" TO "{login}"'))
    if funder is not None:
        connection.execute(
            text(
                "INSERT INTO funder_logins (login, funder) VALUES (:login, :funder) "
                "ON CONFLICT DO NOTHING"
            ),
            {"login": login, "funder": funder},
        )
    note = recorded_note(None)
    record = append_record(
        connection,
        "grant",
        {"login": login, "role": role, "funder": funder, **note},
        transaction_head(connection),
    )
    return GrantReport(
        login=login,
        role=role,
        funder=funder,
        created=not exists,
        record_seq=record.seq,
        by=str(record.content["by"]),
    )


@dataclass(frozen=True)
class RoleHolder:
    """One login holding one of netfund's group roles.

    Attributes:
        login: the login role.
        role: netfund's name of the group role.
        funders: the funders it reads (funder role).
    """

    login: str
    role: str
    funders: tuple[str, ...]


def list_roles(engine: Engine) -> list[RoleHolder]:
    """Who holds which netfund role, as the database says (its membership, not a record)."""
    with writing(engine) as connection:
        require_schema(connection, str(engine.url))
        _postgresql_only(connection)
        groups = group_roles(connection)
        names = {role: name for name, role in groups.items()}
        funders: dict[str, list[str]] = {}
        for login, funder in connection.execute(
            text("SELECT login, funder FROM funder_logins ORDER BY login, funder")
        ):
            funders.setdefault(login, []).append(funder)
        rows = connection.execute(
            text(
                "SELECT m.rolname AS login, g.rolname AS role FROM pg_auth_members a "
                "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
                "WHERE g.rolname = ANY(:groups) AND m.rolcanlogin "
                "ORDER BY m.rolname, g.rolname"
            ),
            {"groups": list(groups.values())},
        )
        return [
            RoleHolder(
                row.login,
                names[row.role],
                tuple(funders.get(row.login, ())) if names[row.role] == "funder" else (),
            )
            for row in rows
        ]
