"""Alembic migrations of the ledger schema; `netfund init` applies them."""
