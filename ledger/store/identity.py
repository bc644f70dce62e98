"""Who is writing: the actor every transaction and record names, in its hashed content.

On PostgreSQL the actor is the session's login role (``session_user``). netfund reads it to
hash what it writes, but does not decide it: the columns default to ``session_user`` and a
trigger refuses any other value (migration 0010), so a client cannot write in someone else's
name, and a role cannot be claimed by ``SET ROLE`` (that changes ``current_user`` only).

On SQLite (one file, one user) the actor is the operating-system user the process runs as,
from its effective uid, not from ``$USER`` or ``$LOGNAME`` (which anyone can set). That names
who ran the command; it is not access control, which on SQLite is the file's permissions only.
"""

from __future__ import annotations

import os

from sqlalchemy import Connection, text

#: Where a PostgreSQL connection keeps its login (`Connection.info` lives as long as it does).
_LOGIN = "netfund_login"


def os_user() -> str:
    """The operating-system user this process runs as (``uid N`` if it has no name)."""
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    if uid is None:  # pragma: no cover - Windows has no uids
        return os.environ.get("USERNAME", "unknown")
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):  # a uid without an entry in the password file
        return f"uid {uid}"


def current_actor(connection: Connection) -> str:
    """The actor of what ``connection`` writes: its login role on PostgreSQL, else the OS user.

    A PostgreSQL connection's login is fixed when it connects, so it is asked once per
    connection (the writer, every record and the access check all ask)."""
    if connection.dialect.name != "postgresql":
        return os_user()
    login = connection.info.get(_LOGIN)
    if login is None:
        login = connection.info[_LOGIN] = str(
            connection.execute(text("SELECT session_user")).scalar_one()
        )
    return str(login)
