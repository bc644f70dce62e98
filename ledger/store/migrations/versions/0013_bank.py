"""the bank: statements imported, their lines and how each stands with the ledger, payments

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Issue 19: money arrives in the network's bank account, not in events.csv.

- `bank_statements`: one row per bank statement imported (CAMT.053 or MT940): its account,
  the bank's id and number of it, dates, opening and closing balance, the file's sha256 and
  the position of its ``bank-statement`` record in the records chain.
- `bank_lines`: every movement on the network's accounts once (unique per account and bank
  reference, so an overlapping statement adds only what is new), ordered per account
  (``position``), with how it stands with the ledger: ``booked`` (a transaction made from it),
  ``linked`` (a transaction the ledger already had) or ``unmatched``, and why.
- `bank_payments`: every refund written into a SEPA payment file (pain.001), by its
  end-to-end id, which the bank's statement returns and which matches the debit back.
- `ledger_records.kind` also allows ``bank-statement`` and ``payment-file``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from netfund.ledger.store.migrations.sqlite_rebuild import rebuild_with_check

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant', "
    "'user', 'sign-in')"
)
_RECORD_KINDS = (
    "kind IN ('network', 'run', 'close', 'write', 'proposal', 'decision', 'export', 'grant', "
    "'user', 'sign-in', 'bank-statement', 'payment-file')"
)


def upgrade() -> None:
    connection = op.get_bind()
    _record_kinds(connection, _OLD_RECORD_KINDS, _RECORD_KINDS)
    op.create_table(
        "bank_statements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_iban", sa.String(length=34), nullable=False),
        sa.Column("statement_id", sa.String(length=140), nullable=False),
        sa.Column("sequence", sa.String(length=35), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("opening_cents", sa.BigInteger(), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=False),
        sa.Column("closing_cents", sa.BigInteger(), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=False),
        sa.Column("lines_count", sa.Integer(), nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.String(length=25), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "lines_added >= 0 AND lines_count >= 0", name=op.f("ck_bank_statements_counts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statements")),
    )
    op.create_table(
        "bank_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_iban", sa.String(length=34), nullable=False),
        sa.Column("ref", sa.String(length=140), nullable=False),
        sa.Column("entry_ref", sa.String(length=140), nullable=False),
        sa.Column("statement", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("counterparty_iban", sa.String(length=34), nullable=False),
        sa.Column("counterparty_name", sa.Text(), nullable=False),
        sa.Column("remittance", sa.Text(), nullable=False),
        sa.Column("structured_reference", sa.String(length=140), nullable=False),
        sa.Column("end_to_end_id", sa.String(length=140), nullable=False),
        sa.Column("bank_code", sa.String(length=35), nullable=False),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("return_reason", sa.String(length=35), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("txn_external_id", sa.String(length=100), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'linked', 'unmatched')", name=op.f("ck_bank_lines_status")
        ),
        sa.CheckConstraint("amount_cents <> 0", name=op.f("ck_bank_lines_nonzero")),
        sa.CheckConstraint(
            "(status = 'unmatched') = (txn_external_id IS NULL)",
            name=op.f("ck_bank_lines_matched_names_txn"),
        ),
        sa.ForeignKeyConstraint(
            ["statement"],
            ["bank_statements.id"],
            name=op.f("fk_bank_lines_statement_bank_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_lines")),
    )
    op.create_index("ix_bank_lines_account_ref", "bank_lines", ["account_iban", "ref"], unique=True)
    op.create_index(
        "ix_bank_lines_account_position", "bank_lines", ["account_iban", "position"], unique=True
    )
    op.create_index("ix_bank_lines_txn", "bank_lines", ["txn_external_id"], unique=False)
    op.create_table(
        "bank_payments",
        sa.Column("end_to_end_id", sa.String(length=35), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("funder", sa.String(length=32), nullable=False),
        sa.Column("creditor_iban", sa.String(length=34), nullable=False),
        sa.Column("creditor_name", sa.Text(), nullable=False),
        sa.Column("debtor_iban", sa.String(length=34), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("execution_date", sa.Date(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bank_line_ref", sa.String(length=140), nullable=True),
        sa.CheckConstraint(
            "status IN ('sent', 'paid', 'returned', 'replaced')",
            name=op.f("ck_bank_payments_status"),
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_bank_payments_positive")),
        sa.PrimaryKeyConstraint("end_to_end_id", name=op.f("pk_bank_payments")),
    )


def downgrade() -> None:
    """Back to 0012, for a ledger that imported no bank statement and wrote no payment file:
    their records have no place in 0012's chain."""
    connection = op.get_bind()
    written = connection.execute(
        sa.text(f"SELECT count(*) FROM ledger_records WHERE NOT ({_OLD_RECORD_KINDS})")
    ).scalar_one()
    if written:
        raise RuntimeError(
            "migration 0013: this ledger holds records of bank statements or payment files, "
            "which 0012 does not know; going back would break its records chain. Restore a "
            "backup taken before the upgrade instead."
        )
    op.drop_table("bank_payments")
    op.drop_index("ix_bank_lines_txn", table_name="bank_lines")
    op.drop_index("ix_bank_lines_account_position", table_name="bank_lines")
    op.drop_index("ix_bank_lines_account_ref", table_name="bank_lines")
    op.drop_table("bank_lines")
    op.drop_table("bank_statements")
    _record_kinds(connection, _RECORD_KINDS, _OLD_RECORD_KINDS)


def _record_kinds(connection: sa.Connection, old: str, new: str) -> None:
    if connection.dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_records DROP CONSTRAINT ck_ledger_records_kind")
        op.execute(f"ALTER TABLE ledger_records ADD CONSTRAINT ck_ledger_records_kind CHECK ({new})")
    else:
        rebuild_with_check(connection, "ledger_records", old, new, revision="0013")
