"""Who may do what: the roles of a PostgreSQL ledger, as netfund asks the database about them.

The database decides: `roles.py` gives each group role its grants and row-level security
policies, so a controller's INSERT is refused by PostgreSQL whatever the client does. This
module asks the same database, before a write begins, which roles the session's login holds,
so that a refusal is one sentence ("role controller may not import") instead of the
database's "permission denied for table transactions" half-way through a write. Both say no;
this one says it first and plainly.

- SQLite: one file, one user. Nothing here refuses anything; the file's permissions are the
  only access control (README, Trust).
- PostgreSQL without `netfund roles install` in the ledger's schema: the database's grants
  are all there is, and netfund adds no rule of its own.
- PostgreSQL with roles installed: the ledger's owner (who installed them) and superusers may
  do everything; any other login may do what its group roles allow (`ACTIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from netfund.ledger.model.errors import AccessDenied
from netfund.ledger.store.identity import current_actor
from sqlalchemy import Connection, text

#: The jobs netfund knows; each ledger has a group role per job (`group_roles`).
ROLES = ("administrator", "approver", "controller", "funder")
#: PostgreSQL's limit on a role's name.
_NAME_MAX = 63

#: What each action is called in a refusal, and which roles may do it.
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "import": ("import", frozenset({"administrator"})),
    "post": ("post", frozenset({"administrator"})),
    "reverse": ("reverse a transaction", frozenset({"administrator"})),
    "allocate": ("run an allocation", frozenset({"administrator"})),
    "allocation-commit": ("commit an allocation", frozenset({"administrator"})),
    "close": ("close a period", frozenset({"administrator"})),
    "reopen": ("reopen a period", frozenset({"administrator"})),
    "network": ("change the network", frozenset({"administrator"})),
    "approve": ("approve or reject a proposal", frozenset({"administrator", "approver"})),
    "export": ("export", frozenset({"administrator", "approver", "controller"})),
    "grant": ("grant roles", frozenset()),
    "user": ("add portal logins or change their passwords", frozenset({"administrator"})),
    "sign-in": ("record portal sign-ins", frozenset({"administrator"})),
    "bank-import": ("import bank statements", frozenset({"administrator"})),
    "bank-assign": ("assign bank lines", frozenset({"administrator"})),
    "pay": ("write payment files", frozenset({"administrator"})),
    "indicator-import": ("import indicator measurements", frozenset({"administrator"})),
}

#: The record kinds a write appends, and the action each stands for (`records.append_record`
#: asks for it: every writer of the records chain passes there).
RECORD_ACTIONS: dict[str, str] = {
    "network": "network",
    "run": "allocate",
    "export": "export",
    "decision": "approve",
    "grant": "grant",
    "user": "user",
    "sign-in": "sign-in",
    "bank-statement": "bank-import",
    "payment-file": "pay",
    "indicator-import": "indicator-import",
}


@dataclass(frozen=True)
class Access:
    """What the session's login is, as far as netfund's roles go.

    Attributes:
        actor: the login (on SQLite the OS user).
        managed: whether netfund's roles are installed in this ledger (PostgreSQL only).
        owner: whether the login owns the ledger's tables or is a superuser.
        roles: the netfund roles it holds (``administrator``, ``approver``, ...).
        funders: the funders whose money it reads (``roles grant --funder``).
    """

    actor: str
    managed: bool
    owner: bool
    roles: frozenset[str]
    funders: frozenset[str]

    @property
    def unrestricted(self) -> bool:
        """Whether netfund refuses this login nothing (the database may still refuse)."""
        return not self.managed or self.owner

    @property
    def funder_only(self) -> bool:
        """Whether the login reads through the funder policies only: it sees its own funds'
        postings and the records that hold no other funder's money."""
        return self.managed and not self.owner and self.roles <= {"funder"}

    def may(self, action: str) -> bool:
        """Whether the login may do ``action`` (a key of `ACTIONS`)."""
        return self.unrestricted or bool(self.roles & ACTIONS[action][1])

    def require(self, action: str) -> None:
        """Refuse ``action`` with a sentence when the login may not do it."""
        if self.may(action):
            return
        held = ", ".join(sorted(self.roles)) or "none of netfund's"
        word = "roles" if len(self.roles) > 1 else "role"
        raise AccessDenied(
            f"{word} {held} may not {ACTIONS[action][0]} (login {self.actor}); nothing was written"
        )


def group_roles(connection: Connection) -> dict[str, str]:
    """The group role of each job in the ledger ``connection`` works on.

    Roles belong to the whole server, a grant to one ledger: so each ledger (a database, or a
    schema of one) has its own four, named after it (``netfund_walk_administrator`` for the
    database netfund_walk, ``test_ledger2_funder`` for its schema ledger2). An administrator
    of one network's ledger is nobody in another's on the same server.
    """
    ledger = _ledger_name(connection)
    return {job: f"{ledger}_{job}" for job in ROLES}


def funder_role(connection: Connection, funder: str) -> str:
    """The database role of one funder in this ledger (``<ledger>_funder_<code>``): a
    NOLOGIN member of the funder group role that reads ``funder``'s money only, which the
    funder portal's pages run under (`accounts.funder_reading`). A name over PostgreSQL's
    limit keeps its start and ends in a digest of the whole."""
    name = f"{_ledger_name(connection)}_funder_{funder}"
    if len(name) <= _NAME_MAX:
        return name
    import hashlib

    return f"{name[: _NAME_MAX - 13]}_{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def funder_roles(connection: Connection) -> list[str]:
    """The funders' own roles of this ledger that exist (the NOLOGIN members of its funder
    group role): what `netfund roles install` and `user add --role funder` made."""
    return list(
        connection.execute(
            text(
                "SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
                "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = :group "
                "AND NOT m.rolcanlogin ORDER BY m.rolname"
            ),
            {"group": group_roles(connection)["funder"]},
        ).scalars()
    )


def quoted(role: str) -> str:
    """``role`` as an SQL identifier."""
    return '"' + role.replace('"', '""') + '"'


def _ledger_name(connection: Connection) -> str:
    database, schema = connection.execute(text("SELECT current_database(), current_schema()")).one()
    ledger = str(database) if schema == "public" else f"{database}_{schema}"
    ledger = "".join(c if c.isalnum() or c == "_" else "_" for c in ledger.lower())
    longest = _NAME_MAX - len("_administrator")
    if len(ledger) > longest:  # keep it unique: a digest of the whole name at its end
        import hashlib

        digest = hashlib.sha256(ledger.encode()).hexdigest()[:8]
        ledger = f"{ledger[: longest - 9]}_{digest}"
    return ledger


def session_access(connection: Connection) -> Access:
    """The session's `Access`: asked of the database each time (two short queries), since
    roles may be installed or granted while an engine's connections live on."""
    actor = current_actor(connection)
    if connection.dialect.name != "postgresql":
        return Access(actor, managed=False, owner=True, roles=frozenset(), funders=frozenset())
    return _postgresql_access(connection, actor)


def _postgresql_access(connection: Connection, actor: str) -> Access:
    """Asked of ``current_user``, the role in effect: the login itself, or the funder's own
    role a portal page runs under (``SET ROLE``, `accounts.funder_reading`). The actor stays
    the login (``session_user``, `identity.py`)."""
    groups = group_roles(connection)
    # CASE, not AND: pg_has_role and has_table_privilege raise on a role that does not
    # exist, and only CASE fixes the order in which PostgreSQL evaluates.
    row = connection.execute(
        text(
            "SELECT CASE WHEN to_regclass('transactions') IS NULL THEN false "
            "WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :admin) THEN false "
            "ELSE has_table_privilege(:admin, 'transactions', 'INSERT') END AS managed, "
            "(SELECT r.rolsuper OR coalesce(pg_has_role(current_user, c.relowner, 'MEMBER'), "
            "false) FROM pg_roles r LEFT JOIN pg_class c "
            "ON c.oid = to_regclass('transactions') WHERE r.rolname = current_user) AS owner, "
            "ARRAY(SELECT g.rolname::text FROM pg_roles g WHERE g.rolname = ANY(:groups) "
            "AND pg_has_role(current_user, g.oid, 'MEMBER')) AS held"
        ),
        {"admin": groups["administrator"], "groups": list(groups.values())},
    ).one()
    names = {role: name for name, role in groups.items()}
    roles = frozenset(names[role] for role in row.held)
    if roles - {"funder"}:  # staff reach the funder group through the funders' own roles
        roles -= {"funder"}
    funders: frozenset[str] = frozenset()
    if row.managed:
        funders = frozenset(
            connection.execute(
                text("SELECT funder FROM funder_logins WHERE login = current_user")
            ).scalars()
        )
    return Access(
        actor, managed=bool(row.managed), owner=bool(row.owner), roles=roles, funders=funders
    )


def require(connection: Connection, action: str) -> None:
    """Refuse ``action`` (`AccessDenied`) when the session's login may not do it."""
    session_access(connection).require(action)


def readable_funders(connection: Connection) -> frozenset[str] | None:
    """The funders whose money the session's login reads: None for every funder, else the
    funds of a funder's login (`roles grant --funder`). Reports leave the others out rather
    than show them as zeros: the row policies hide their postings either way."""
    access = session_access(connection)
    return access.funders if access.funder_only else None
