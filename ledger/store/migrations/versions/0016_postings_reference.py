"""PostgreSQL checks that postings belong to a transaction once per statement, not per row

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

Issue 21 (import at columnar speed): on PostgreSQL the foreign key of postings.txn_id on
transactions.id is a row trigger of the database's own: every posting a `COPY` writes runs a
look-up of its transaction (with a row lock), 2.6 s of a 100k-expense import (600,000
postings: 3.5 s to insert them with the key, 0.84 s without it; the same check as one anti-join
over the statement's rows takes 0.13 s; docs/BENCHMARKS.md, "Issue 21").

The guarantee stays: a posting whose transaction does not exist is refused, by the statement
that inserts it. `postings_reference` is a statement trigger over the statement's inserted
rows (a transition table, like 0006's balance check) that raises a foreign-key violation
(SQLSTATE 23503) naming the first such transaction id. What the key did besides is done by the
append-only triggers since 0001: a transaction is never updated, deleted or truncated, so a
posting's transaction, once there, stays there.

SQLite keeps its foreign key: a look-up there is a probe of the primary-key index in the same
process, and its deferred keys carry 0006's `pending_head_move`.

Limits: as for every trigger (and as for the key, which is one), a role that may drop triggers
or set `session_replication_role` can insert around it; `verify` reads every posting with its
transaction.
"""

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels = None
depends_on = None

_MESSAGE = "posting of transaction % that does not exist"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION netfund_postings_reference() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE missing bigint; BEGIN "
        "SELECT n.txn_id INTO missing FROM new_rows n WHERE NOT EXISTS "
        "(SELECT 1 FROM transactions t WHERE t.id = n.txn_id) LIMIT 1; "
        f"IF FOUND THEN RAISE EXCEPTION '{_MESSAGE}', missing "
        "USING ERRCODE = 'foreign_key_violation'; END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER postings_reference AFTER INSERT ON postings "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION netfund_postings_reference()"
    )
    op.execute("ALTER TABLE postings DROP CONSTRAINT fk_postings_txn_id_transactions")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE postings ADD CONSTRAINT fk_postings_txn_id_transactions "
        "FOREIGN KEY (txn_id) REFERENCES transactions (id)"
    )
    op.execute("DROP TRIGGER postings_reference ON postings")
    op.execute("DROP FUNCTION netfund_postings_reference()")
