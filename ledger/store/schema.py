"""The ledger's tables, as SQLAlchemy Core `Table` definitions on one `metadata`.

The tables are storage, not the domain: the engine reads and writes them with Core statements
and hands out the frozen records of `entries.py`. They are Core tables, not ORM classes:
nothing maps rows to objects, and declaring them as classes (and importing `sqlalchemy.orm`
for it) cost every command over 0.1 s of CPU before it did anything (issue 21). Invariants
live in the schema too (check constraints, unique keys, foreign keys), and the migrations add
the triggers that make transactions and postings append-only and refuse a transaction that
does not balance per fund (0006; its helper tables are the migration's, not declared here),
and since 0007 make the documents that decide money (network versions, funders, groups,
earmarks, allocation runs, closed periods and their records chain) append-only too. Money is
BigInteger cents, never Numeric. A column without ``nullable=False`` may be NULL (Core's
default).
"""

from __future__ import annotations

from typing import ClassVar

from netfund.ledger.model.limits import (
    ACCOUNT_LENGTH_MAX,
    CODE_LENGTH_MAX,
    EXTERNAL_ID_LENGTH_MAX,
    LABEL_LENGTH_MAX,
    NAME_LENGTH_MAX,
    REFERENCE_LENGTH_MAX,
)
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

#: Constraint names are fixed so migrations can refer to them on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TRANSACTION_TYPES = (
    "commitment",
    "receipt",
    "allocation",
    "expense",
    "refund",
    "journal",
    "reversal",
    "close",
    "carry_over",
)

HASH_LENGTH = 64

#: What the records chain holds (`records.py`): network versions, allocation runs, closes,
#: writes, approvals, exports, grants, the portal's logins and sign-ins (migration 0011), and
#: the bank statements imported and the payment files written (migration 0013), and the
#: imports of indicator measurements (migration 0014).
RECORD_KINDS = (
    "network",
    "run",
    "close",
    "write",
    "proposal",
    "decision",
    "export",
    "grant",
    "user",
    "sign-in",
    "bank-statement",
    "payment-file",
    "indicator-import",
)
#: Who may sign in to the funder portal (`accounts.py`).
PORTAL_ROLES = ("administrator", "controller", "funder")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """The check that ``column`` holds one of ``values``, named after the column."""
    return CheckConstraint(
        f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")", name=column
    )


#: Every table below, for `netfund init`'s migrations (env.py) and the tests that compare the
#: migrated database with it.
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base:
    """The holder of `metadata` under the name the migrations' env.py has always imported
    (``Base.metadata``); the tables are plain Core tables, there are no mapped classes."""

    metadata: ClassVar[MetaData] = metadata


#: One version of the network (migration 0009): its header, and the record it mirrors.
#:
#: ``effective_from`` is the first period the version governs (None: from the beginning);
#: a version governs until the next later-dated one. The rows of funders, groups and
#: earmarks carry their version, so every version stays queryable as it was recorded.
network_versions_table = Table(
    "network_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("record_seq", BigInteger, unique=True, nullable=False),
    Column("effective_from", String(4)),
    Column("name", String(NAME_LENGTH_MAX), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("language", String(2), nullable=False),
    Column("population", BigInteger),
    Column("overhead_cap", String(12), nullable=False),
    CheckConstraint("version > 0", name="positive_version"),
)


groups_table = Table(
    "groups",
    metadata,
    Column("version", Integer, ForeignKey("network_versions.version"), primary_key=True),
    Column("code", String(CODE_LENGTH_MAX), primary_key=True),
    Column("name", String(NAME_LENGTH_MAX), nullable=False),
    Column("overhead", Boolean, nullable=False),
    Column("parent", String(CODE_LENGTH_MAX)),
    Column("position", Integer, nullable=False),
    ForeignKeyConstraint(
        ["version", "parent"], ["groups.version", "groups.code"], name="fk_groups_parent"
    ),
)


funders_table = Table(
    "funders",
    metadata,
    Column("version", Integer, ForeignKey("network_versions.version"), primary_key=True),
    Column("code", String(CODE_LENGTH_MAX), primary_key=True),
    Column("name", String(NAME_LENGTH_MAX), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("framework", String(LABEL_LENGTH_MAX), nullable=False),
    Column("overhead_cap", String(12)),
    Column("earmarked", Boolean, nullable=False),
    Column("unspent", String(10), nullable=False),
    Column("position", Integer, nullable=False),
    CheckConstraint("unspent IN ('return', 'carry_over')", name="unspent"),
    CheckConstraint("code <> 'NET'", name="not_network_fund"),
)


#: One group a funder with an earmark may fund; a funder without earmark has no rows.
earmarks_table = Table(
    "earmarks",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("funder", String(CODE_LENGTH_MAX), primary_key=True),
    Column("group", String(CODE_LENGTH_MAX), primary_key=True),
    ForeignKeyConstraint(
        ["version", "funder"], ["funders.version", "funders.code"], name="fk_earmarks_funder"
    ),
    ForeignKeyConstraint(
        ["version", "group"], ["groups.version", "groups.code"], name="fk_earmarks_group"
    ),
)


#: One balanced transaction; `id` is its position in the hash chain (1, 2, 3, ...).
transactions_table = Table(
    "transactions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("external_id", String(EXTERNAL_ID_LENGTH_MAX), unique=True, nullable=False),
    Column("date", Date, nullable=False),
    Column("period", String(4), nullable=False),
    Column("type", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("reference", String(REFERENCE_LENGTH_MAX), nullable=False),
    Column("funder", String(CODE_LENGTH_MAX)),
    Column("group", String(CODE_LENGTH_MAX)),
    Column("reversal_of", BigInteger, ForeignKey("transactions.id"), unique=True),
    Column("source_hash", String(HASH_LENGTH), nullable=False),
    Column("actor", String(CODE_LENGTH_MAX)),
    # Not unique since 0017: the database checks that each links to the one before it.
    Column("prev_hash", String(HASH_LENGTH), nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
    _one_of("type", TRANSACTION_TYPES),
    CheckConstraint("id > 0", name="positive_id"),
    Index("ix_transactions_period_type", "period", "type"),
    # A funder's postings page, in date order (migration 0012).
    Index("ix_transactions_period_date", "period", "date", "id"),
)


postings_table = Table(
    "postings",
    metadata,
    Column("txn_id", BigInteger, ForeignKey("transactions.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("account", String(ACCOUNT_LENGTH_MAX), nullable=False),
    Column("fund", String(CODE_LENGTH_MAX), nullable=False),
    Column("group", String(CODE_LENGTH_MAX)),
    Column("amount_cents", BigInteger, nullable=False),
    CheckConstraint("amount_cents <> 0", name="nonzero"),
    # No index beside the primary key: migration 0015 dropped 0004's covering index
    # (account, fund, group, txn_id, amount_cents). Balances come from balance_totals
    # (0005); what still sums postings by account scans them in about the time the index
    # saved, and an import paid for the index on every row (docs/BENCHMARKS.md, issue 21).
)


#: Debits and credits per period, account, fund and group, kept up to date by the appender.
#:
#: Balances and trial balances are sums over every posting; over millions of postings that
#: sum takes seconds. The appender adds each write's sums here in the same database
#: transaction that moves the chain head, so in any snapshot these rows hold exactly the
#: postings up to the head, and a balance reads a few hundred rows instead. The postings stay
#: the record: `verify` recomputes these sums from them and reports any difference. `group`
#: is ``''`` for postings without a group (a key column cannot be NULL).
balance_totals_table = Table(
    "balance_totals",
    metadata,
    Column("period", String(4), primary_key=True),
    Column("account", String(ACCOUNT_LENGTH_MAX), primary_key=True),
    Column("fund", String(CODE_LENGTH_MAX), primary_key=True),
    Column("group", String(CODE_LENGTH_MAX), primary_key=True),
    Column("debit_cents", BigInteger, nullable=False),
    Column("credit_cents", BigInteger, nullable=False),
    CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="non_negative"),
)


#: The events of a period's lock (migration 0008): closed while its newest event is a close.
LOCK_EVENTS = ("close", "reopen")


#: A close or reopen of a period (append-only log, migration 0008).
#:
#: `seq` is the matching record's position in the records chain, `last_txn_id` the
#: transaction chain's position at the event. A period is closed while its newest event is
#: a close.
closed_periods_table = Table(
    "closed_periods",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("period", String(4), nullable=False),
    Column("event", String(6), nullable=False),
    Column("last_txn_id", BigInteger, nullable=False),
    _one_of("event", LOCK_EVENTS),
    Index("ix_closed_periods_period", "period", "seq"),
)


#: The newest transaction's position and hash.
#:
#: Writers lock this row first, which serialises appends on PostgreSQL (so the chain never
#: forks), and verification compares it with the chain, so deleting the newest transaction
#: does not go unnoticed. On SQLite, moving it is when the database checks that the
#: transactions it passes balance per fund (migration 0006).
chain_head_table = Table(
    "chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_txn_id", BigInteger, nullable=False),
    Column("last_hash", String(HASH_LENGTH), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)


#: A stored allocation run (see `runs.py`); append-only like the transactions.
allocation_runs_table = Table(
    "allocation_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(4), nullable=False),
    Column("status", String(12), nullable=False),
    Column("inputs_sha256", String(HASH_LENGTH), nullable=False),
    Column("result_sha256", String(HASH_LENGTH), nullable=False),
    Column("document", Text, nullable=False),
    CheckConstraint("status IN ('optimal', 'infeasible')", name="status"),
)


#: One record of the chain of documents that decide money (see `records.py`).
ledger_records_table = Table(
    "ledger_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("transaction_head", BigInteger, nullable=False),
    # Not unique since 0017: the database checks that each links to the one before it.
    Column("prev_hash", String(HASH_LENGTH), nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
    Column("actor", String(CODE_LENGTH_MAX)),
    _one_of("kind", RECORD_KINDS),
    CheckConstraint("seq > 0", name="positive_seq"),
)


#: The newest record's position and hash; writers of records lock it first.
records_head_table = Table(
    "records_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(HASH_LENGTH), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)


#: Which PostgreSQL login reads which funder's money (``netfund roles grant --funder``):
#: the row-level security policies of ``netfund roles install`` read it.
funder_logins_table = Table(
    "funder_logins",
    metadata,
    Column("login", String(63), primary_key=True),
    Column("funder", String(64), primary_key=True),
)


#: One login of the funder portal (migration 0011): its role, the funder a funder's
#: login reads, and the Argon2id hash of its password. The hash is kept here only: the
#: ``user`` record of its addition names the login, never the hash.
portal_users_table = Table(
    "portal_users",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("funder", String(64)),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(25), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", String(25), nullable=False),
    _one_of("role", PORTAL_ROLES),
    CheckConstraint(
        "(role = 'funder' AND funder IS NOT NULL) OR (role <> 'funder' AND funder IS NULL)",
        name="funder_role",
    ),
)


#: How a bank line stands with the ledger (`ledger/bank/matching.py`): booked as a new
#: transaction, linked to one the ledger had, or not matched (yet).
BANK_LINE_STATUSES = ("booked", "linked", "unmatched")
#: Where a refund in a payment file stands: sent to the bank, paid (a statement's debit
#: matched it back), returned by the bank, or replaced by a later file (pay refunds --again).
BANK_PAYMENT_STATUSES = ("sent", "paid", "returned", "replaced")


#: One bank statement imported (migration 0013, `ledger/bank/importing.py`); its
#: ``bank-statement`` record in the records chain (``record_seq``) holds the same facts and
#: the digest of its lines.
bank_statements_table = Table(
    "bank_statements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_iban", String(34), nullable=False),
    Column("statement_id", String(140), nullable=False),
    Column("sequence", String(35)),
    Column("format", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("file_sha256", String(HASH_LENGTH), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    Column("opening_cents", BigInteger, nullable=False),
    Column("opening_date", Date, nullable=False),
    Column("closing_cents", BigInteger, nullable=False),
    Column("closing_date", Date, nullable=False),
    Column("lines_count", Integer, nullable=False),
    Column("lines_added", Integer, nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Column("imported_at", String(25), nullable=False),
    Column("imported_by", Text, nullable=False),
    CheckConstraint("lines_added >= 0 AND lines_count >= 0", name="counts"),
)


#: One movement on a bank account, as its first statement gave it (`bank/model.py`
#: `BankLine`), and how it stands with the ledger: ``status``, the transaction it was booked
#: as or linked to (``txn_external_id``) and why (``explanation``). ``position`` orders an
#: account's lines as the bank booked them, across statements.
bank_lines_table = Table(
    "bank_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_iban", String(34), nullable=False),
    Column("ref", String(140), nullable=False),
    Column("entry_ref", String(140), nullable=False),
    Column("statement", Integer, ForeignKey("bank_statements.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("booking_date", Date, nullable=False),
    Column("value_date", Date),
    Column("amount_cents", BigInteger, nullable=False),
    Column("counterparty_iban", String(34), nullable=False),
    Column("counterparty_name", Text, nullable=False),
    Column("remittance", Text, nullable=False),
    Column("structured_reference", String(140), nullable=False),
    Column("end_to_end_id", String(140), nullable=False),
    Column("bank_code", String(35), nullable=False),
    Column("returned", Boolean, nullable=False),
    Column("return_reason", String(35), nullable=False),
    Column("status", String(16), nullable=False),
    Column("txn_external_id", String(EXTERNAL_ID_LENGTH_MAX)),
    Column("explanation", Text, nullable=False),
    _one_of("status", BANK_LINE_STATUSES),
    CheckConstraint("amount_cents <> 0", name="nonzero"),
    CheckConstraint("(status = 'unmatched') = (txn_external_id IS NULL)", name="matched_names_txn"),
    Index("ix_bank_lines_account_ref", "account_iban", "ref", unique=True),
    Index("ix_bank_lines_account_position", "account_iban", "position", unique=True),
    Index("ix_bank_lines_txn", "txn_external_id"),
)


#: One credit transfer netfund wrote into a payment file (`ledger/bank/payments.py`):
#: a refund owed to a funder. Its ``end_to_end_id`` comes back on the bank statement and
#: matches the debit to the refund; its ``payment-file`` record (``record_seq``) keeps the
#: file's sha256 and every payment in it.
bank_payments_table = Table(
    "bank_payments",
    metadata,
    Column("end_to_end_id", String(35), primary_key=True),
    Column("message_id", String(35), nullable=False),
    Column("period", String(4), nullable=False),
    Column("funder", String(CODE_LENGTH_MAX), nullable=False),
    Column("creditor_iban", String(34), nullable=False),
    Column("creditor_name", Text, nullable=False),
    Column("debtor_iban", String(34), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("execution_date", Date, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(HASH_LENGTH), nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("bank_line_ref", String(140)),
    _one_of("status", BANK_PAYMENT_STATUSES),
    CheckConstraint("amount_cents > 0", name="positive"),
)


#: One measured value of an indicator for a group (issue 20), as ``indicators.csv`` gave
#: it: never changed once stored. ``value`` is the exact decimal as text (`value_text`);
#: its ``indicator-import`` record (``record_seq``) holds the sha256 of the measurements it
#: added, which `verify` recomputes (`ledger/indicators/checks.py`).
indicator_measurements_table = Table(
    "indicator_measurements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(CODE_LENGTH_MAX), nullable=False),
    Column("group_code", String(CODE_LENGTH_MAX), nullable=False),
    Column("measured_on", Date, nullable=False),
    Column("value", String(40), nullable=False),
    Column("source", Text, nullable=False),
    Column("record_seq", BigInteger, nullable=False),
    Index("ix_indicator_measurements_key", "indicator", "group_code", "measured_on", unique=True),
)


EXPORT_KINDS = ("journal", "trial-balance", "beancount", "hledger", "xaf", "audit-trail")


#: One export written (see `exports/records.py`); append-only like the transactions.
#:
#: `fingerprint` is the newest transaction's hash when the export was taken and
#: `last_txn_id` its chain position: the export holds exactly the transactions up to it.
exports_table = Table(
    "exports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", String(20), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("options", Text, nullable=False),
    Column("period", String(4)),
    Column("path", Text, nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("last_txn_id", BigInteger, nullable=False),
    Column("fingerprint", String(HASH_LENGTH), nullable=False),
    Column("file_sha256", String(HASH_LENGTH), nullable=False),
    Column("file_bytes", BigInteger, nullable=False),
    _one_of("kind", EXPORT_KINDS),
    CheckConstraint("row_count >= 0 AND last_txn_id >= 0 AND file_bytes >= 0", name="counts"),
)
