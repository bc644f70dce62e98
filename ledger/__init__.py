"""netfund's ledger: the single source of truth for every euro in the network.

This module is the ledger's public API: `netfund.allocation`, `netfund.reports` and
`netfund.cli` import only the names below (and the exports from `netfund.ledger.exports`);
a test fails when a module outside ledger/ imports one of its submodules. The ledger imports
nothing from them. Names load lazily (PEP 562 ``__getattr__``): a command that never verifies
or exports does not pay for pyarrow, Alembic or the verify workers at start-up.

Layers (see docs.md): ``model/`` (records, money, overhead caps, field limits, errors; no
database), ``inputs/`` (files read with their line numbers), ``store/`` (schema, engines, the
one writing path `post_drafts` over the writer, totals, migrations), ``verification/``,
``exports/``, and the services at this level: importer, periods, corrections, balances and
figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netfund.ledger.model.lazy import lazy_api

#: Where each public name lives.
_HOMES: dict[str, str] = {
    "ConnectionLost": "netfund.ledger.model.errors",
    "DatabaseDamaged": "netfund.ledger.model.errors",
    "InputError": "netfund.ledger.model.errors",
    "InvariantViolation": "netfund.ledger.model.errors",
    "LedgerError": "netfund.ledger.model.errors",
    "LockWaitExceeded": "netfund.ledger.model.errors",
    "NetfundError": "netfund.ledger.model.errors",
    "Problem": "netfund.ledger.model.errors",
    "ReadOnlyLedger": "netfund.ledger.model.errors",
    "VerificationError": "netfund.ledger.model.errors",
    "AMOUNT_MAX_CENTS": "netfund.ledger.model.money",
    "AmountError": "netfund.ledger.model.money",
    "cents_to_decimal": "netfund.ledger.model.money",
    "format_cents": "netfund.ledger.model.money",
    "format_grouped": "netfund.ledger.model.money",
    "parse_cents": "netfund.ledger.model.money",
    "split_largest_remainder": "netfund.ledger.model.money",
    "cap_excess": "netfund.ledger.model.caps",
    "cap_fraction": "netfund.ledger.model.caps",
    "cents_over_cap": "netfund.ledger.model.caps",
    "over_cap": "netfund.ledger.model.caps",
    "room_under_cap": "netfund.ledger.model.caps",
    "ACCOUNT_LENGTH_MAX": "netfund.ledger.model.limits",
    "CODE_LENGTH_MAX": "netfund.ledger.model.limits",
    "DESCRIPTION_LENGTH_MAX": "netfund.ledger.model.limits",
    "EXTERNAL_ID_LENGTH_MAX": "netfund.ledger.model.limits",
    "ID_LENGTH_MAX": "netfund.ledger.model.limits",
    "LABEL_LENGTH_MAX": "netfund.ledger.model.limits",
    "NAME_LENGTH_MAX": "netfund.ledger.model.limits",
    "REFERENCE_LENGTH_MAX": "netfund.ledger.model.limits",
    "FieldError": "netfund.ledger.model.fields",
    "RESERVED_ID_PREFIX": "netfund.ledger.model.fields",
    "parse_amount": "netfund.ledger.model.fields",
    "parse_date": "netfund.ledger.model.fields",
    "parse_id": "netfund.ledger.model.fields",
    "parse_period": "netfund.ledger.model.fields",
    "parse_text": "netfund.ledger.model.fields",
    "reveal": "netfund.ledger.model.characters",
    "Draft": "netfund.ledger.model.entries",
    "Posting": "netfund.ledger.model.entries",
    "lines_fingerprint": "netfund.ledger.model.entries",
    "source_hash": "netfund.ledger.model.entries",
    "Funder": "netfund.ledger.inputs.network",
    "Network": "netfund.ledger.inputs.network",
    "load_network": "netfund.ledger.inputs.network",
    "key_path": "netfund.ledger.inputs.toml_source",
    "locate": "netfund.ledger.inputs.toml_source",
    "TomlLines": "netfund.ledger.inputs.toml_source",
    "read_toml": "netfund.ledger.inputs.toml_source",
    "UNALLOCATED": "netfund.ledger.event_rules",
    "allocated_account": "netfund.ledger.event_rules",
    "connect": "netfund.ledger.store.database",
    "database_error": "netfund.ledger.store.database",
    "reading": "netfund.ledger.store.database",
    "redact": "netfund.ledger.store.database",
    "require_schema": "netfund.ledger.store.database",
    "resolve_url": "netfund.ledger.store.database",
    "initialize": "netfund.ledger.store.setup",
    "PostReport": "netfund.ledger.store.post",
    "UnitOfWork": "netfund.ledger.store.post",
    "closed_periods": "netfund.ledger.store.post",
    "post_drafts": "netfund.ledger.store.post",
    "read_network": "netfund.ledger.store.registry",
    "RecordsHead": "netfund.ledger.store.records",
    "records_head": "netfund.ledger.store.records",
    "StoredRun": "netfund.ledger.store.runs",
    "list_runs": "netfund.ledger.store.runs",
    "read_run": "netfund.ledger.store.runs",
    "store_run": "netfund.ledger.store.runs",
    "ImportReport": "netfund.ledger.importer",
    "import_events": "netfund.ledger.importer",
    "import_journal": "netfund.ledger.importer",
    "post": "netfund.ledger.importer",
    "post_journal": "netfund.ledger.importer",
    "close_period": "netfund.ledger.periods",
    "reopen_period": "netfund.ledger.periods",
    "reverse": "netfund.ledger.corrections",
    "DIMENSIONS": "netfund.ledger.balance_sums",
    "parse_dimensions": "netfund.ledger.balance_sums",
    "read_balances": "netfund.ledger.balance_sums",
    "ChainPosition": "netfund.ledger.figures",
    "Coverage": "netfund.ledger.figures",
    "coverage_of": "netfund.ledger.figures",
    "Settling": "netfund.ledger.settling",
    "settle_across_periods": "netfund.ledger.settling",
    "FunderFigures": "netfund.ledger.figures",
    "MoneyMovement": "netfund.ledger.figures",
    "NO_GROUP": "netfund.ledger.figures",
    "chain_hash_at": "netfund.ledger.figures",
    "chain_position_as_of": "netfund.ledger.figures",
    "money_movements": "netfund.ledger.figures",
    "period_figures": "netfund.ledger.figures",
    "recorded_periods": "netfund.ledger.figures",
    "transactions_after": "netfund.ledger.figures",
    "verify": "netfund.ledger.verification.chain",
    "Anchor": "netfund.ledger.verification.anchors",
    "Checkpoints": "netfund.ledger.verification.anchors",
    "anchor": "netfund.ledger.verification.anchors",
    "read_checkpoints": "netfund.ledger.verification.anchors",
}

__all__ = [
    "ACCOUNT_LENGTH_MAX",
    "AMOUNT_MAX_CENTS",
    "CODE_LENGTH_MAX",
    "DESCRIPTION_LENGTH_MAX",
    "DIMENSIONS",
    "EXTERNAL_ID_LENGTH_MAX",
    "ID_LENGTH_MAX",
    "LABEL_LENGTH_MAX",
    "NAME_LENGTH_MAX",
    "NO_GROUP",
    "REFERENCE_LENGTH_MAX",
    "RESERVED_ID_PREFIX",
    "UNALLOCATED",
    "AmountError",
    "Anchor",
    "ChainPosition",
    "Checkpoints",
    "ConnectionLost",
    "Coverage",
    "DatabaseDamaged",
    "Draft",
    "FieldError",
    "Funder",
    "FunderFigures",
    "ImportReport",
    "InputError",
    "InvariantViolation",
    "LedgerError",
    "LockWaitExceeded",
    "MoneyMovement",
    "NetfundError",
    "Network",
    "PostReport",
    "Posting",
    "Problem",
    "ReadOnlyLedger",
    "RecordsHead",
    "Settling",
    "StoredRun",
    "TomlLines",
    "UnitOfWork",
    "VerificationError",
    "allocated_account",
    "anchor",
    "cap_excess",
    "cap_fraction",
    "cents_over_cap",
    "cents_to_decimal",
    "chain_hash_at",
    "chain_position_as_of",
    "close_period",
    "closed_periods",
    "connect",
    "coverage_of",
    "database_error",
    "format_cents",
    "format_grouped",
    "import_events",
    "import_journal",
    "initialize",
    "key_path",
    "lines_fingerprint",
    "list_runs",
    "load_network",
    "locate",
    "money_movements",
    "over_cap",
    "parse_amount",
    "parse_cents",
    "parse_date",
    "parse_dimensions",
    "parse_id",
    "parse_period",
    "parse_text",
    "period_figures",
    "post",
    "post_drafts",
    "post_journal",
    "read_balances",
    "read_checkpoints",
    "read_network",
    "read_run",
    "read_toml",
    "reading",
    "recorded_periods",
    "records_head",
    "redact",
    "reopen_period",
    "require_schema",
    "resolve_url",
    "reveal",
    "reverse",
    "room_under_cap",
    "settle_across_periods",
    "source_hash",
    "split_largest_remainder",
    "store_run",
    "transactions_after",
    "verify",
]


__getattr__, __dir__ = lazy_api(__name__, _HOMES)


if TYPE_CHECKING:
    from netfund.ledger.balance_sums import DIMENSIONS, parse_dimensions, read_balances
    from netfund.ledger.corrections import reverse
    from netfund.ledger.event_rules import UNALLOCATED, allocated_account
    from netfund.ledger.figures import (
        NO_GROUP,
        ChainPosition,
        Coverage,
        FunderFigures,
        MoneyMovement,
        chain_hash_at,
        chain_position_as_of,
        coverage_of,
        money_movements,
        period_figures,
        recorded_periods,
        transactions_after,
    )
    from netfund.ledger.importer import (
        ImportReport,
        import_events,
        import_journal,
        post,
        post_journal,
    )
    from netfund.ledger.inputs.network import Funder, Network, load_network
    from netfund.ledger.inputs.toml_source import TomlLines, key_path, locate, read_toml
    from netfund.ledger.model.caps import (
        cap_excess,
        cap_fraction,
        cents_over_cap,
        over_cap,
        room_under_cap,
    )
    from netfund.ledger.model.characters import reveal
    from netfund.ledger.model.entries import Draft, Posting, lines_fingerprint, source_hash
    from netfund.ledger.model.errors import (
        ConnectionLost,
        DatabaseDamaged,
        InputError,
        InvariantViolation,
        LedgerError,
        LockWaitExceeded,
        NetfundError,
        Problem,
        ReadOnlyLedger,
        VerificationError,
    )
    from netfund.ledger.model.fields import (
        RESERVED_ID_PREFIX,
        FieldError,
        parse_amount,
        parse_date,
        parse_id,
        parse_period,
        parse_text,
    )
    from netfund.ledger.model.limits import (
        ACCOUNT_LENGTH_MAX,
        CODE_LENGTH_MAX,
        DESCRIPTION_LENGTH_MAX,
        EXTERNAL_ID_LENGTH_MAX,
        ID_LENGTH_MAX,
        LABEL_LENGTH_MAX,
        NAME_LENGTH_MAX,
        REFERENCE_LENGTH_MAX,
    )
    from netfund.ledger.model.money import (
        AMOUNT_MAX_CENTS,
        AmountError,
        cents_to_decimal,
        format_cents,
        format_grouped,
        parse_cents,
        split_largest_remainder,
    )
    from netfund.ledger.periods import close_period, reopen_period
    from netfund.ledger.settling import Settling, settle_across_periods
    from netfund.ledger.store.database import (
        connect,
        database_error,
        reading,
        redact,
        require_schema,
        resolve_url,
    )
    from netfund.ledger.store.post import PostReport, UnitOfWork, closed_periods, post_drafts
    from netfund.ledger.store.records import RecordsHead, records_head
    from netfund.ledger.store.registry import read_network
    from netfund.ledger.store.runs import StoredRun, list_runs, read_run, store_run
    from netfund.ledger.store.setup import initialize
    from netfund.ledger.verification.anchors import (
        Anchor,
        Checkpoints,
        anchor,
        read_checkpoints,
    )
    from netfund.ledger.verification.chain import verify
