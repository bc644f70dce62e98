"""The ledger's tables, as SQLAlchemy 2.0 typed declarative models.

The ORM is storage, not the domain: the engine reads and writes these tables with Core
statements and hands out the frozen records of `entries.py`. Invariants live in the schema too
(check constraints, unique keys, foreign keys), and the migrations add the triggers that make
transactions and postings append-only and refuse a transaction that does not balance per fund
(0006; its helper tables are the migration's, not declared here), and since 0007 make the
documents that decide money (network versions, funders, groups, earmarks, allocation runs,
closed periods and their records chain) append-only too. Money is BigInteger cents,
never Numeric.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

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
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: BigInteger,
        str: String(CODE_LENGTH_MAX),
    }


class NetworkVersionRow(Base):
    """One version of the network (migration 0009): its header, and the record it mirrors.

    ``effective_from`` is the first period the version governs (None: from the beginning);
    a version governs until the next later-dated one. The rows of funders, groups and
    earmarks carry their version, so every version stays queryable as it was recorded.
    """

    __tablename__ = "network_versions"
    __table_args__ = (CheckConstraint("version > 0", name="positive_version"),)

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    effective_from: Mapped[str | None] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH_MAX))
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(2))
    population: Mapped[int | None]
    overhead_cap: Mapped[str] = mapped_column(String(12))


class GroupRow(Base):
    __tablename__ = "groups"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version", "parent"], ["groups.version", "groups.code"], name="fk_groups_parent"
        ),
    )

    version: Mapped[int] = mapped_column(
        Integer, ForeignKey("network_versions.version"), primary_key=True
    )
    code: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH_MAX))
    overhead: Mapped[bool] = mapped_column(Boolean)
    parent: Mapped[str | None]
    position: Mapped[int] = mapped_column(Integer)


class FunderRow(Base):
    __tablename__ = "funders"
    __table_args__ = (
        CheckConstraint("unspent IN ('return', 'carry_over')", name="unspent"),
        CheckConstraint("code <> 'NET'", name="not_network_fund"),
    )

    version: Mapped[int] = mapped_column(
        Integer, ForeignKey("network_versions.version"), primary_key=True
    )
    code: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH_MAX))
    kind: Mapped[str] = mapped_column(String(20))
    framework: Mapped[str] = mapped_column(String(LABEL_LENGTH_MAX))
    overhead_cap: Mapped[str | None] = mapped_column(String(12))
    earmarked: Mapped[bool] = mapped_column(Boolean)
    unspent: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)


class EarmarkRow(Base):
    """One group a funder with an earmark may fund; a funder without earmark has no rows."""

    __tablename__ = "earmarks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version", "funder"], ["funders.version", "funders.code"], name="fk_earmarks_funder"
        ),
        ForeignKeyConstraint(
            ["version", "group"], ["groups.version", "groups.code"], name="fk_earmarks_group"
        ),
    )

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    funder: Mapped[str] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(primary_key=True)


class TransactionRow(Base):
    """One balanced transaction; `id` is its position in the hash chain (1, 2, 3, ...)."""

    __tablename__ = "transactions"
    __table_args__ = (
        _one_of("type", TRANSACTION_TYPES),
        CheckConstraint("id > 0", name="positive_id"),
        Index("ix_transactions_period_type", "period", "type"),
        # A funder's postings page, in date order (migration 0012).
        Index("ix_transactions_period_date", "period", "date", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH_MAX), unique=True)
    date: Mapped[datetime.date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(REFERENCE_LENGTH_MAX))
    funder: Mapped[str | None]
    group: Mapped[str | None]
    reversal_of: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    source_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    actor: Mapped[str | None]
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)


class PostingRow(Base):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="nonzero"),
        # No index beside the primary key: migration 0015 dropped 0004's covering index
        # (account, fund, group, txn_id, amount_cents). Balances come from balance_totals
        # (0005); what still sums postings by account scans them in about the time the index
        # saved, and an import paid for the index on every row (docs/BENCHMARKS.md, issue 21).
    )

    txn_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH_MAX))
    fund: Mapped[str]
    group: Mapped[str | None]
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class BalanceTotalRow(Base):
    """Debits and credits per period, account, fund and group, kept up to date by the appender.

    Balances and trial balances are sums over every posting; over millions of postings that
    sum takes seconds. The appender adds each write's sums here in the same database
    transaction that moves the chain head, so in any snapshot these rows hold exactly the
    postings up to the head, and a balance reads a few hundred rows instead. The postings stay
    the record: `verify` recomputes these sums from them and reports any difference. `group`
    is ``''`` for postings without a group (a key column cannot be NULL).
    """

    __tablename__ = "balance_totals"
    __table_args__ = (
        CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="non_negative"),
    )

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    account: Mapped[str] = mapped_column(String(ACCOUNT_LENGTH_MAX), primary_key=True)
    fund: Mapped[str] = mapped_column(String(CODE_LENGTH_MAX), primary_key=True)
    group: Mapped[str] = mapped_column(String(CODE_LENGTH_MAX), primary_key=True)
    debit_cents: Mapped[int] = mapped_column(BigInteger)
    credit_cents: Mapped[int] = mapped_column(BigInteger)


#: The events of a period's lock (migration 0008): closed while its newest event is a close.
LOCK_EVENTS = ("close", "reopen")


class ClosedPeriodRow(Base):
    """A close or reopen of a period (append-only log, migration 0008).

    `seq` is the matching record's position in the records chain, `last_txn_id` the
    transaction chain's position at the event. A period is closed while its newest event is
    a close.
    """

    __tablename__ = "closed_periods"
    __table_args__ = (
        _one_of("event", LOCK_EVENTS),
        Index("ix_closed_periods_period", "period", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(4))
    event: Mapped[str] = mapped_column(String(6))
    last_txn_id: Mapped[int] = mapped_column(BigInteger)


class ChainHeadRow(Base):
    """The newest transaction's position and hash.

    Writers lock this row first, which serialises appends on PostgreSQL (so the chain never
    forks), and verification compares it with the chain, so deleting the newest transaction
    does not go unnoticed. On SQLite, moving it is when the database checks that the
    transactions it passes balance per fund (migration 0006).
    """

    __tablename__ = "chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_txn_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AllocationRunRow(Base):
    """A stored allocation run (see `runs.py`); append-only like the transactions."""

    __tablename__ = "allocation_runs"
    __table_args__ = (CheckConstraint("status IN ('optimal', 'infeasible')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(12))
    inputs_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    result_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    document: Mapped[str] = mapped_column(Text)


class LedgerRecordRow(Base):
    """One record of the chain of documents that decide money (see `records.py`)."""

    __tablename__ = "ledger_records"
    __table_args__ = (
        _one_of("kind", RECORD_KINDS),
        CheckConstraint("seq > 0", name="positive_seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    transaction_head: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    actor: Mapped[str | None]


class RecordsHeadRow(Base):
    """The newest record's position and hash; writers of records lock it first."""

    __tablename__ = "records_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class FunderLoginRow(Base):
    """Which PostgreSQL login reads which funder's money (``netfund roles grant --funder``):
    the row-level security policies of ``netfund roles install`` read it."""

    __tablename__ = "funder_logins"

    login: Mapped[str] = mapped_column(String(63), primary_key=True)
    funder: Mapped[str] = mapped_column(String(64), primary_key=True)


class PortalUserRow(Base):
    """One login of the funder portal (migration 0011): its role, the funder a funder's
    login reads, and the Argon2id hash of its password. The hash is kept here only: the
    ``user`` record of its addition names the login, never the hash."""

    __tablename__ = "portal_users"
    __table_args__ = (
        _one_of("role", PORTAL_ROLES),
        CheckConstraint(
            "(role = 'funder' AND funder IS NOT NULL) OR (role <> 'funder' AND funder IS NULL)",
            name="funder_role",
        ),
    )

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    funder: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(25))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String(25))


#: How a bank line stands with the ledger (`ledger/bank/matching.py`): booked as a new
#: transaction, linked to one the ledger had, or not matched (yet).
BANK_LINE_STATUSES = ("booked", "linked", "unmatched")
#: Where a refund in a payment file stands: sent to the bank, paid (a statement's debit
#: matched it back), returned by the bank, or replaced by a later file (pay refunds --again).
BANK_PAYMENT_STATUSES = ("sent", "paid", "returned", "replaced")


class BankStatementRow(Base):
    """One bank statement imported (migration 0013, `ledger/bank/importing.py`); its
    ``bank-statement`` record in the records chain (``record_seq``) holds the same facts and
    the digest of its lines."""

    __tablename__ = "bank_statements"
    __table_args__ = (CheckConstraint("lines_added >= 0 AND lines_count >= 0", name="counts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_iban: Mapped[str] = mapped_column(String(34))
    statement_id: Mapped[str] = mapped_column(String(140))
    sequence: Mapped[str | None] = mapped_column(String(35))
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    from_date: Mapped[datetime.date] = mapped_column(Date)
    to_date: Mapped[datetime.date] = mapped_column(Date)
    opening_cents: Mapped[int] = mapped_column(BigInteger)
    opening_date: Mapped[datetime.date] = mapped_column(Date)
    closing_cents: Mapped[int] = mapped_column(BigInteger)
    closing_date: Mapped[datetime.date] = mapped_column(Date)
    lines_count: Mapped[int] = mapped_column(Integer)
    lines_added: Mapped[int] = mapped_column(Integer)
    record_seq: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[str] = mapped_column(String(25))
    imported_by: Mapped[str] = mapped_column(Text)


class BankLineRow(Base):
    """One movement on a bank account, as its first statement gave it (`bank/model.py`
    `BankLine`), and how it stands with the ledger: ``status``, the transaction it was booked
    as or linked to (``txn_external_id``) and why (``explanation``). ``position`` orders an
    account's lines as the bank booked them, across statements."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        _one_of("status", BANK_LINE_STATUSES),
        CheckConstraint("amount_cents <> 0", name="nonzero"),
        CheckConstraint(
            "(status = 'unmatched') = (txn_external_id IS NULL)", name="matched_names_txn"
        ),
        Index("ix_bank_lines_account_ref", "account_iban", "ref", unique=True),
        Index("ix_bank_lines_account_position", "account_iban", "position", unique=True),
        Index("ix_bank_lines_txn", "txn_external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_iban: Mapped[str] = mapped_column(String(34))
    ref: Mapped[str] = mapped_column(String(140))
    entry_ref: Mapped[str] = mapped_column(String(140))
    statement: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"))
    position: Mapped[int] = mapped_column(Integer)
    booking_date: Mapped[datetime.date] = mapped_column(Date)
    value_date: Mapped[datetime.date | None] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    counterparty_iban: Mapped[str] = mapped_column(String(34))
    counterparty_name: Mapped[str] = mapped_column(Text)
    remittance: Mapped[str] = mapped_column(Text)
    structured_reference: Mapped[str] = mapped_column(String(140))
    end_to_end_id: Mapped[str] = mapped_column(String(140))
    bank_code: Mapped[str] = mapped_column(String(35))
    returned: Mapped[bool] = mapped_column(Boolean)
    return_reason: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16))
    txn_external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH_MAX))
    explanation: Mapped[str] = mapped_column(Text)


class BankPaymentRow(Base):
    """One credit transfer netfund wrote into a payment file (`ledger/bank/payments.py`):
    a refund owed to a funder. Its ``end_to_end_id`` comes back on the bank statement and
    matches the debit to the refund; its ``payment-file`` record (``record_seq``) keeps the
    file's sha256 and every payment in it."""

    __tablename__ = "bank_payments"
    __table_args__ = (
        _one_of("status", BANK_PAYMENT_STATUSES),
        CheckConstraint("amount_cents > 0", name="positive"),
    )

    end_to_end_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35))
    period: Mapped[str] = mapped_column(String(4))
    funder: Mapped[str] = mapped_column(String(CODE_LENGTH_MAX))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_name: Mapped[str] = mapped_column(Text)
    debtor_iban: Mapped[str] = mapped_column(String(34))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    execution_date: Mapped[datetime.date] = mapped_column(Date)
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    record_seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    bank_line_ref: Mapped[str | None] = mapped_column(String(140))


class IndicatorMeasurementRow(Base):
    """One measured value of an indicator for a group (issue 20), as ``indicators.csv`` gave
    it: never changed once stored. ``value`` is the exact decimal as text (`value_text`);
    its ``indicator-import`` record (``record_seq``) holds the sha256 of the measurements it
    added, which `verify` recomputes (`ledger/indicators/checks.py`)."""

    __tablename__ = "indicator_measurements"
    __table_args__ = (
        Index(
            "ix_indicator_measurements_key", "indicator", "group_code", "measured_on", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(CODE_LENGTH_MAX))
    group_code: Mapped[str] = mapped_column(String(CODE_LENGTH_MAX))
    measured_on: Mapped[datetime.date] = mapped_column(Date)
    value: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    record_seq: Mapped[int] = mapped_column(BigInteger)


bank_statements_table = BankStatementRow.__table__
bank_lines_table = BankLineRow.__table__
bank_payments_table = BankPaymentRow.__table__
indicator_measurements_table = IndicatorMeasurementRow.__table__
network_versions_table = NetworkVersionRow.__table__
portal_users_table = PortalUserRow.__table__
funder_logins_table = FunderLoginRow.__table__
groups_table = GroupRow.__table__
funders_table = FunderRow.__table__
earmarks_table = EarmarkRow.__table__
transactions_table = TransactionRow.__table__
postings_table = PostingRow.__table__
closed_periods_table = ClosedPeriodRow.__table__
balance_totals_table = BalanceTotalRow.__table__
chain_head_table = ChainHeadRow.__table__
allocation_runs_table = AllocationRunRow.__table__
ledger_records_table = LedgerRecordRow.__table__
records_head_table = RecordsHeadRow.__table__


EXPORT_KINDS = ("journal", "trial-balance", "beancount", "hledger", "xaf", "audit-trail")


class ExportRow(Base):
    """One export written (see `exports/records.py`); append-only like the transactions.

    `fingerprint` is the newest transaction's hash when the export was taken and
    `last_txn_id` its chain position: the export holds exactly the transactions up to it.
    """

    __tablename__ = "exports"
    __table_args__ = (
        _one_of("kind", EXPORT_KINDS),
        CheckConstraint("row_count >= 0 AND last_txn_id >= 0 AND file_bytes >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16))
    options: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(String(4))
    path: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(BigInteger)
    last_txn_id: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str] = mapped_column(String(HASH_LENGTH))
    file_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    file_bytes: Mapped[int] = mapped_column(BigInteger)


exports_table = ExportRow.__table__
