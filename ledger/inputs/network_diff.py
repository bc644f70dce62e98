"""The differences between two versions of the network, in the words of network.toml.

Shown when a change is recorded (`netfund network apply`) and when `init` is given a file that
differs from the ledger's network: settings as the file writes them (``0.08``, not
``Decimal('0.08')``; group lists as lists), so the administrator recognises their own edit.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from netfund.ledger.inputs.network import Approvals, BankAccount, Funder, Group, Network
from netfund.ledger.model.indicators import Indicator
from netfund.ledger.model.money import format_cents


def describe_changes(old: Network, new: Network) -> list[str]:
    """Each difference between two versions, as a user would say it."""
    changes = [
        f"network {name}: {shown(getattr(old, name))} -> {shown(getattr(new, name))}"
        for name in ("name", "language", "population", "overhead_cap")
        if getattr(old, name) != getattr(new, name)
    ]
    if old.bank_accounts != new.bank_accounts:
        changes.append(
            f"bank_accounts: {_accounts_shown(old.bank_accounts)} -> "
            f"{_accounts_shown(new.bank_accounts)}"
        )
    if old.approvals != new.approvals:
        changes.append(
            f"approvals: {_approvals_shown(old.approvals)} -> {_approvals_shown(new.approvals)}"
        )
    for kind, before, after in (
        ("funder", {f.code: f for f in old.funders}, {f.code: f for f in new.funders}),
        ("group", {g.code: g for g in old.groups}, {g.code: g for g in new.groups}),
        ("indicator", {i.code: i for i in old.indicators}, {i.code: i for i in new.indicators}),
    ):
        for code, item in after.items():
            if code not in before:
                changes.append(f"new {kind} {code} ({_label(item)})")
                continue
            changes += [
                f"{kind} {code} {name}: {shown(was)} -> {shown(now)}"
                for name, was, now in _field_pairs(before[code], item)
                if was != now
            ]
        changes += [
            f"{kind} {code} ({_label(item)}) left out"
            for code, item in before.items()
            if code not in after
        ]
    return changes


def _label(item: Funder | Group | Indicator) -> str:
    """What a funder, group or indicator is called (an indicator: its Dutch name)."""
    return item.name_nl if isinstance(item, Indicator) else item.name


def _accounts_shown(accounts: tuple[BankAccount, ...]) -> str:
    """The ``[[bank_accounts]]`` as IBAN and name (``none`` when there are none)."""
    if not accounts:
        return "none"
    return "[" + ", ".join(f"{account.iban} ({account.name})" for account in accounts) + "]"


def _approvals_shown(approvals: Approvals | None) -> str:
    """The ``[approvals]`` table as the file writes it (``none`` when there is none)."""
    if approvals is None:
        return "none"
    parts = [
        f"{name} = {shown(getattr(approvals, name))}"
        for name in ("allocation_commit", "close", "reopen")
    ]
    for name in ("post_above", "reverse_above"):
        cents = getattr(approvals, f"{name}_cents")
        if cents is not None:
            parts.append(f'{name} = "{format_cents(cents)}"')
    return "{" + ", ".join(parts) + "}"


def _field_pairs(
    old: Funder | Group | Indicator, new: Funder | Group | Indicator
) -> list[tuple[str, Any, Any]]:
    return [(f.name, getattr(old, f.name), getattr(new, f.name)) for f in fields(old)]


def shown(value: Any) -> str:
    """A setting as the network file writes it: ``0.08`` not ``Decimal('0.08')``, a share with
    at least two decimals (``0.10``: TOML reads the file's ``0.10`` as the number 0.1), a list
    of group codes, ``none`` for an absent one."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent == -1 else f"{value:f}"
    if isinstance(value, frozenset | set):
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple) and value and all(isinstance(item, tuple) for item in value):
        return "{" + ", ".join(f"{key} = {item:f}" for key, item in value) + "}"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)
