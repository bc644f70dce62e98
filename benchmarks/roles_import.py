"""Import speed on PostgreSQL as the ledger's owner and as an administrator login (issue 17).

Run from the repository root, with the server of the test suite:

    python benchmarks/roles_import.py --events 100000 --as owner
    python benchmarks/roles_import.py --events 100000 --as administrator

It makes a schema of its own (dropped afterwards), the network and events of
`import_speed.py`, and imports them. ``--as administrator`` first installs the ledger's roles
and grants them to a login made for the run (dropped afterwards): row-level security then
applies to the import, which PostgreSQL does not allow COPY FROM for, so the writer stages
each batch in a temporary table. Not part of the test suite: timings are measured on demand.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.store.access import group_roles
from netfund.ledger.store.database import connect
from netfund.ledger.store.roles import grant_role, install_roles
from netfund.ledger.store.setup import initialize
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_speed import write_events, write_network

BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--as", dest="login", choices=("owner", "administrator"), default="owner")
    parser.add_argument("--base", default=BASE, help="a PostgreSQL URL whose user may create")
    args = parser.parse_args()
    schema, login = f"bench_{uuid.uuid4().hex[:8]}", f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.base}?options=-csearch_path%3D{schema}"
    groups: list[str] = []
    try:
        folder = Path(tempfile.mkdtemp())
        write_network(folder / "network.toml")
        write_events(folder / "events.csv", args.events)
        owner = connect(url)
        initialize(owner, load_network(folder / "network.toml"))
        target = owner
        if args.login == "administrator":
            install_roles(owner)
            grant_role(owner, login, "administrator")
            with owner.connect() as connection:
                groups = list(group_roles(connection).values())
            user = args.base.split("//", 1)[1].split("@", 1)[0]
            target = connect(url.replace(f"{user}@", f"{login}@", 1))
        started = time.perf_counter()
        report = import_events(target, folder / "events.csv")
        seconds = time.perf_counter() - started
        print(
            f"import as {args.login}: {report.posted:,} events in {seconds:.2f} s "
            f"({report.posted / seconds:,.0f} per second)"
        )
        target.dispose()
        owner.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            for role in [login, *groups]:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
