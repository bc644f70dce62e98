"""the network's tables keep every version, each with the first period it governs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Until this revision the network could only grow: `init` added funders and groups, and a change
to a stored one (a name, a cap, an earmark) was refused, because the tables network, funders,
groups and earmarks held one row per code, append-only (0007). A network changes from one
year to the next (issue 16), so the records chain now holds dated versions (`netfund network
apply FILE --from YEAR`), and these tables mirror every version instead of one:

- `network_versions` replaces `network`: one row per version (`version`, the `record_seq` of
  its record in the records chain, `effective_from`: the first period it governs, or NULL for
  from the beginning) with the header (name, currency, language, population, overhead cap).
- `funders`, `groups` and `earmarks` get a `version` column, part of their primary key; a
  group's parent and an earmark's funder and group are foreign keys within the same version.
- The rows are rebuilt from the network records of the records chain (the truth since 0007;
  a mirror row that differed from its record was a `verify` failure before this revision).
- The append-only guards are made again on the new tables (no UPDATE, DELETE, TRUNCATE;
  SQLite: no replacing insert), and a version row must mirror a network record with the same
  version: a raw INSERT cannot add a version without a record.

Downgrading keeps the newest version in the one-version tables of 0007.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = {
    "network": ("id",),
    "funders": ("code",),
    "groups": ("code",),
    "earmarks": ("funder", '"group"'),
}
_NEW = {
    "network_versions": ("version",),
    "funders": ("version", "code"),
    "groups": ("version", "code"),
    "earmarks": ("version", "funder", '"group"'),
}
_WHY = "change the network with netfund network apply"
_RECORDED = "network_versions rows mirror network records: netfund network apply writes them"


def upgrade() -> None:
    connection = op.get_bind()
    records = connection.execute(
        sa.text("SELECT seq, content FROM ledger_records WHERE kind = 'network' ORDER BY seq")
    ).all()
    _drop(connection, _OLD)
    _create(versioned=True)
    for seq, content in records:
        _insert(_rows(int(seq), json.loads(content)))
    _guards(connection, _NEW)
    if connection.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION netfund_version_recorded() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NOT EXISTS (SELECT 1 FROM ledger_records WHERE seq = NEW.record_seq "
            "AND kind = 'network' AND (content::jsonb->>'version')::int = NEW.version) THEN "
            f"RAISE EXCEPTION '{_RECORDED}'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER network_versions_recorded BEFORE INSERT ON network_versions "
            "FOR EACH ROW EXECUTE FUNCTION netfund_version_recorded()"
        )
    else:
        _sqlite_trigger(
            "network_versions_recorded BEFORE INSERT ON network_versions",
            "NOT EXISTS (SELECT 1 FROM ledger_records WHERE seq = NEW.record_seq "
            "AND kind = 'network' AND json_extract(content, '$.version') = NEW.version)",
            _RECORDED,
        )


def downgrade() -> None:
    connection = op.get_bind()
    newest = connection.execute(
        sa.text(
            "SELECT seq, content FROM ledger_records WHERE kind = 'network' "
            "ORDER BY seq DESC LIMIT 1"
        )
    ).first()
    _drop(connection, _NEW)
    if connection.dialect.name == "postgresql":
        op.execute("DROP FUNCTION netfund_version_recorded()")
    _create(versioned=False)
    if newest is not None:
        rows = _rows(int(newest.seq), json.loads(newest.content))
        header = rows.pop("network_versions")[0]
        rows["network"] = [
            {"id": 1} | {k: v for k, v in header.items() if k not in _VERSION_ONLY}
        ]
        for name in ("funders", "groups", "earmarks"):
            rows[name] = [{k: v for k, v in row.items() if k != "version"} for row in rows[name]]
        _insert(rows)
    _guards(connection, _OLD)


_VERSION_ONLY = ("version", "record_seq", "effective_from")


def _drop(connection: sa.Connection, tables: dict[str, tuple[str, ...]]) -> None:
    """Drop the network's tables and their guards (dropping a table fires no trigger)."""
    postgresql = connection.dialect.name == "postgresql"
    for table in tables:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            for name in ("append_only_update", "append_only_delete", "no_replace"):
                op.execute(f"DROP TRIGGER {table}_{name}")
    if not postgresql and "network_versions" in tables:
        op.execute("DROP TRIGGER network_versions_recorded")
    for table in ("earmarks", "funders", "groups", *(t for t in tables if t.startswith("net"))):
        op.drop_table(table)


def _create(*, versioned: bool) -> None:
    within = ["version"] if versioned else []

    def version() -> list[Any]:
        """The version column and its key to the version's row (none before this revision)."""
        if not versioned:
            return []
        return [
            sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
            sa.ForeignKeyConstraint(["version"], ["network_versions.version"]),
        ]

    if versioned:
        op.create_table(
            "network_versions",
            sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("record_seq", sa.BigInteger(), nullable=False),
            sa.Column("effective_from", sa.String(length=4), nullable=True),
            *_header(),
            sa.CheckConstraint("version > 0", name=op.f("ck_network_versions_positive_version")),
            sa.PrimaryKeyConstraint("version", name=op.f("pk_network_versions")),
            sa.UniqueConstraint("record_seq", name=op.f("uq_network_versions_record_seq")),
        )
    else:
        op.create_table(
            "network",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            *_header(),
            sa.CheckConstraint("id = 1", name=op.f("ck_network_single_row")),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_network")),
        )
    op.create_table(
        "funders",
        *version(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("framework", sa.String(length=64), nullable=False),
        sa.Column("overhead_cap", sa.String(length=12), nullable=True),
        sa.Column("earmarked", sa.Boolean(), nullable=False),
        sa.Column("unspent", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("code <> 'NET'", name=op.f("ck_funders_not_network_fund")),
        sa.CheckConstraint("unspent IN ('return', 'carry_over')", name=op.f("ck_funders_unspent")),
        sa.PrimaryKeyConstraint(*within, "code", name=op.f("pk_funders")),
    )
    op.create_table(
        "groups",
        *version(),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("overhead", sa.Boolean(), nullable=False),
        sa.Column("parent", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            [*within, "parent"],
            [f"groups.{c}" for c in (*within, "code")],
            name=op.f("fk_groups_parent" if versioned else "fk_groups_parent_groups"),
        ),
        sa.PrimaryKeyConstraint(*within, "code", name=op.f("pk_groups")),
    )
    op.create_table(
        "earmarks",
        *version()[:1],  # its funder and group are keyed within the version
        sa.Column("funder", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            [*within, "funder"],
            [f"funders.{c}" for c in (*within, "code")],
            name=op.f("fk_earmarks_funder" if versioned else "fk_earmarks_funder_funders"),
        ),
        sa.ForeignKeyConstraint(
            [*within, "group"],
            [f"groups.{c}" for c in (*within, "code")],
            name=op.f("fk_earmarks_group" if versioned else "fk_earmarks_group_groups"),
        ),
        sa.PrimaryKeyConstraint(*within, "funder", "group", name=op.f("pk_earmarks")),
    )


def _header() -> list[sa.Column]:
    return [
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("overhead_cap", sa.String(length=12), nullable=False),
    ]


def _rows(seq: int, content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The rows of one network record: this revision's own copy of the mirror's format (so it
    reads the records as they were written, whatever later revisions make of the format)."""
    version, document = int(content["version"]), content["network"]
    groups = document["groups"]
    position = {group["code"]: index for index, group in enumerate(groups)}
    by_code = {group["code"]: group for group in groups}
    ordered: list[dict[str, Any]] = []

    def place(group: dict[str, Any]) -> None:
        if group in ordered:
            return
        if group["parent"] in by_code and by_code[group["parent"]] is not group:
            place(by_code[group["parent"]])
        if group not in ordered:
            ordered.append(group)

    for group in groups:
        place(group)
    header = {k: document[k] for k in ("name", "currency", "language", "population")}
    return {
        "network_versions": [
            {
                "version": version,
                "record_seq": seq,
                "effective_from": content.get("effective_from"),
                **header,
                "overhead_cap": document["overhead_cap"],
            }
        ],
        "groups": [
            {"version": version, **{k: g[k] for k in ("code", "name", "overhead", "parent")}}
            | {"position": position[g["code"]]}
            for g in ordered
        ],
        "funders": [
            {
                "version": version,
                **{k: f[k] for k in ("code", "name", "kind", "framework", "overhead_cap")},
                "earmarked": f["eligible_groups"] is not None,
                "unspent": f["unspent"],
                "position": index,
            }
            for index, f in enumerate(document["funders"])
        ],
        "earmarks": [
            {"version": version, "funder": f["code"], "group": group}
            for f in document["funders"]
            for group in sorted(f["eligible_groups"] or ())
        ],
    }


_TYPES = {"overhead": sa.Boolean, "earmarked": sa.Boolean}


def _insert(rows: dict[str, list[dict[str, Any]]]) -> None:
    for name in ("network", "network_versions", "groups", "funders", "earmarks"):
        if rows.get(name):
            columns = rows[name][0]
            table = sa.table(name, *(sa.column(c, _TYPES.get(c)) for c in columns))
            op.bulk_insert(table, rows[name])


def _guards(connection: sa.Connection, tables: dict[str, tuple[str, ...]]) -> None:
    """The append-only guards of 0007 on ``tables`` (each with its primary key)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION netfund_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION netfund_refuse_change()"
            )
        return
    for table, key in tables.items():
        for action in ("UPDATE", "DELETE"):
            _sqlite_trigger(
                f"{table}_append_only_{action.lower()} BEFORE {action} ON {table}",
                None,
                f"{table} are append-only: {_WHY}",
            )
        columns = ", ".join(key)
        new = ", ".join(f"NEW.{column}" for column in key)
        _sqlite_trigger(
            f"{table}_no_replace BEFORE INSERT ON {table}",
            f"EXISTS (SELECT 1 FROM {table} WHERE ({columns}) = ({new}))",
            f"{table} are append-only: an insert may not replace a row",
        )


def _sqlite_trigger(head: str, when: str | None, message: str) -> None:
    condition = f" WHEN {when}" if when else ""
    op.execute(f"CREATE TRIGGER {head}{condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")
