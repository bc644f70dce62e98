"""The rules every stored transaction keeps, whoever writes it, checked on the one writing path.

An events file, a controller's journal, `netfund post`, a reversal, an allocation commit and a
close all append through `post.UnitOfWork`, and the unit applies these rules to every draft,
so a rule cannot be bypassed by choosing another command (issue 15: a journal line on
`Expenses:STUURGROEP` without a group spent ZONMW's money on a group its earmark excludes).
The parsers check the same rules earlier, with the row's own wording; this is the guarantee.

Two kinds:

- Each line on its own (`line_errors`): the account is well-formed, the fund and the group
  are known, a line on `Expenses:G` or `Budget:Allocated:G` carries group G, a funder's
  earmark allows the line's group, and an earmarked funder spends on its groups only (not on
  an `Expenses:` account of no group, such as bank costs).
- The budget of each fund and period the write touches, as it stands after the whole write
  (`budget_problems`; a file may allocate overhead first and the programme after it):
  no allocation to a group below zero (taking back more than was allocated there in the period,
  e.g. a reversal dated in a later year, made room that was never there), no fund allocating
  more than was committed to it in the period, and the overhead groups' share of what was
  allocated within each capped funder's own cap and within the network's cap over all funds.

A budget rule refuses a write only when the write makes that rule's excess larger: a ledger
stored before a rule existed can still be corrected (a reversal that lowers an excess passes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from netfund.ledger.event_rules import ALLOCATED_PREFIX, CONTRIBUTIONS, EXPENSES_PREFIX
from netfund.ledger.inputs.network import NETWORK_FUND, Network
from netfund.ledger.model.caps import cents_over_cap
from netfund.ledger.model.entries import Draft, Line, is_valid_account, lines_of
from netfund.ledger.model.money import format_grouped
from netfund.ledger.store.schema import balance_totals_table
from netfund.ledger.store.totals import Totals
from sqlalchemy import Connection, or_, select

#: Accounts that name a group (`Expenses:G`, `Budget:Allocated:G`): a line on them carries it.
#: `Expenses:X` where X is no group (bank costs) is spending outside every group.
GROUP_ACCOUNT_PREFIXES = (EXPENSES_PREFIX, ALLOCATED_PREFIX)


def line_errors(network: Network, account: str, fund: str, group: str | None) -> list[str]:
    """What is wrong with one posting line on its own (empty when nothing is)."""
    errors: list[str] = []
    if not is_valid_account(account):
        errors.append(
            f"account {account[:80]!r} is not a valid account name (Assets, Liabilities, "
            "Equity, Income, Expenses or Budget, then ':'-separated parts starting with a "
            "capital or digit)"
        )
    funder = network.funder(fund)
    if fund != NETWORK_FUND and funder is None:
        errors.append(f"unknown fund {fund[:64]!r} (a funder code or {NETWORK_FUND})")
    if group is not None and network.group(group) is None:
        errors.append(f"unknown group {group[:64]!r}")
    named = _named_group(account)
    if named is not None and network.group(named) is not None:
        if group != named:
            errors.append(f"a line on {account} must have group {named}")
    elif account.startswith(ALLOCATED_PREFIX):
        errors.append(f"{account[:80]!r} is not the budget account of a group of the network")
    elif account.startswith(EXPENSES_PREFIX) and funder is not None:
        if funder.eligible_groups is not None:
            errors.append(
                f"funder {fund}'s earmark allows spending on its groups only, and "
                f"{account[:80]} is not a group's account"
            )
        if group is not None:
            errors.append(f"{account[:80]} is not a group's account, so its line has no group")
    if funder is not None and group is not None and not funder.may_fund(group):
        errors.append(f"funder {fund}'s earmark excludes group {group}")
    return errors


def _named_group(account: str) -> str | None:
    for prefix in GROUP_ACCOUNT_PREFIXES:
        if account.startswith(prefix):
            return account[len(prefix) :]
    return None


class LineRules:
    """`line_errors` for every line of every draft of one write, each distinct line once.

    A bulk import repeats the same few (account, fund, group) lines millions of times; the
    lines found sound are remembered, so checking costs one set look-up per posting.
    """

    def __init__(self, network: Network) -> None:
        self._network = network
        self._sound: set[tuple[str, str, str | None]] = set()

    def draft_errors(self, draft: Draft) -> list[str]:
        return self.lines_errors(lines_of(draft.postings))

    def lines_errors(self, lines: Sequence[Line]) -> list[str]:
        sound = self._sound
        for account, fund, group, _ in lines:  # the usual case: every line seen sound before
            if (account, fund, group) not in sound:
                break
        else:
            return []
        errors: list[str] = []
        for number, (account, fund, group, _) in enumerate(lines, start=1):
            key = (account, fund, group)
            if key in self._sound:
                continue
            found = line_errors(self._network, *key)
            if found:
                where = f"posting {number} ({account}, {fund})"
                errors.append(f"{where}: " + "; ".join(found))
            else:
                self._sound.add(key)
        return errors


@dataclass(frozen=True)
class BudgetProblem:
    """A budget rule the write breaks: in ``period``, for ``fund`` (None: the network's)."""

    period: str
    fund: str | None
    message: str


@dataclass
class _Budget:
    """One period's budget: allocated per (fund, group) and committed per fund, in cents."""

    allocated: dict[tuple[str, str], int]
    committed: dict[str, int]

    @classmethod
    def empty(cls) -> _Budget:
        return cls(defaultdict(int), defaultdict(int))

    def add(self, account: str, fund: str, group: str, debit: int, credit: int) -> None:
        if account.startswith(ALLOCATED_PREFIX):
            self.allocated[(fund, account[len(ALLOCATED_PREFIX) :])] += credit - debit
        elif account == CONTRIBUTIONS:
            self.committed[fund] += credit - debit


def _is_budget_line(account: str) -> bool:
    return account.startswith(ALLOCATED_PREFIX) or account == CONTRIBUTIONS


def budget_problems(
    connection: Connection, network_for: Callable[[str], Network], written: Totals
) -> list[BudgetProblem]:
    """The budget rules the write summed in ``written`` (the appender's totals) breaks, each
    period's under the network in force for it (``network_for``).

    The state before the write is read from `balance_totals` (the appender adds the write to
    it only when it finishes), for the periods whose allocations or commitments it changes.
    """
    periods = sorted(
        period for period, lines in written.items() if any(_is_budget_line(a) for a, _, _ in lines)
    )
    before = stored_budgets(connection, periods)
    problems: list[BudgetProblem] = []
    for period in periods:
        then = before[period]
        after = _Budget(defaultdict(int, then.allocated), defaultdict(int, then.committed))
        for (account, fund, group), (debit, credit) in written[period].items():
            after.add(account, fund, group, debit, credit)
        problems += _period_problems(network_for(period), period, then, after)
    return problems


def _period_problems(
    network: Network, period: str, before: _Budget, after: _Budget
) -> list[BudgetProblem]:
    """The rules ``after`` breaks further than ``before`` did, under one network."""
    return _worse(_excesses(network, period, before), _excesses(network, period, after))


def history_problems(
    connection: Connection,
    periods: Iterable[str],
    old: Network,
    new: Network,
) -> list[BudgetProblem]:
    """The budget rules the stored history of ``periods`` would break under the network
    ``new``, beyond what it breaks under ``old``: a change of the network (a cap lowered, a
    group made overhead) must not contradict what was posted."""
    periods = sorted(periods)
    budgets = stored_budgets(connection, periods)
    problems: list[BudgetProblem] = []
    for period in periods:
        budget = budgets[period]
        problems += _worse(_excesses(old, period, budget), _excesses(new, period, budget))
    return problems


def stored_budgets(connection: Connection, periods: Sequence[str]) -> dict[str, _Budget]:
    """The allocations and commitments of ``periods`` as `balance_totals` holds them."""
    budgets = {period: _Budget.empty() for period in periods}
    if not periods:
        return budgets
    b = balance_totals_table.c
    for period, account, fund, group, debit, credit in connection.execute(
        select(b.period, b.account, b.fund, b.group, b.debit_cents, b.credit_cents).where(
            b.period.in_(periods),
            or_(b.account.like(ALLOCATED_PREFIX + "%"), b.account == CONTRIBUTIONS),
        )
    ):
        budgets[period].add(account, fund, group, int(debit), int(credit))
    return budgets


def _worse(
    before: dict[tuple[str, ...], tuple[int, BudgetProblem]],
    after: dict[tuple[str, ...], tuple[int, BudgetProblem]],
) -> list[BudgetProblem]:
    """The problems of ``after`` whose excess is larger than in ``before``."""
    return [
        problem
        for key, (cents, problem) in after.items()
        if cents > 0 and cents > before.get(key, (0, None))[0]
    ]


def _excesses(
    network: Network, period: str, budget: _Budget
) -> dict[tuple[str, ...], tuple[int, BudgetProblem]]:
    """Every budget rule ``budget`` breaks under ``network``, by rule and subject: the excess
    in cents and the problem saying so."""
    found: dict[tuple[str, ...], tuple[int, BudgetProblem]] = {}
    for (fund, group), cents in sorted(budget.allocated.items()):
        if cents < 0:
            found[("negative", fund, group)] = (
                -cents,
                BudgetProblem(
                    period,
                    fund,
                    f"{fund}'s allocation to {group} in {period} would be EUR "
                    f"{format_grouped(cents)}: more would be taken back than was allocated to "
                    f"{group} in {period}, which makes room for money that is not there",
                ),
            )
    overhead_groups = {g.code for g in network.groups if g.overhead}
    totals, overhead = _per_fund(budget, overhead_groups)
    for fund in sorted(set(totals) | set(budget.committed)):
        allocated, committed = totals.get(fund, 0), budget.committed.get(fund, 0)
        if allocated > committed:
            found[("committed", fund)] = (
                allocated - committed,
                BudgetProblem(
                    period,
                    fund,
                    f"{fund} would have EUR {format_grouped(allocated)} allocated in {period} "
                    f"but EUR {format_grouped(committed)} committed: EUR "
                    f"{format_grouped(allocated - committed)} more than its money",
                ),
            )
    for funder in network.funders:
        if funder.overhead_cap is not None:
            _cap_excess(
                found,
                period,
                funder.code,
                f"{funder.code}'s",
                funder.overhead_cap,
                overhead.get(funder.code, 0),
                totals.get(funder.code, 0),
            )
    _cap_excess(
        found,
        period,
        None,
        "the network's",
        network.overhead_cap,
        sum(overhead.values()),
        sum(totals.values()),
    )
    return found


def _per_fund(budget: _Budget, overhead_groups: set[str]) -> tuple[dict[str, int], dict[str, int]]:
    totals: dict[str, int] = defaultdict(int)
    overhead: dict[str, int] = defaultdict(int)
    for (fund, group), cents in budget.allocated.items():
        totals[fund] += cents
        if group in overhead_groups:
            overhead[fund] += cents
    return totals, overhead


def _cap_excess(
    found: dict[tuple[str, ...], tuple[int, BudgetProblem]],
    period: str,
    fund: str | None,
    whose: str,
    cap: Decimal,
    overhead: int,
    total: int,
) -> None:
    over = cents_over_cap(overhead, total, cap)
    if over > 0:
        found[("cap", fund or "")] = (
            over,
            BudgetProblem(
                period,
                fund,
                f"{whose} overhead allocation in {period} would be EUR "
                f"{format_grouped(overhead)} of EUR {format_grouped(total)} allocated, EUR "
                f"{format_grouped(over)} above {whose} cap of {(cap * 100).normalize():f}%",
            ),
        )
