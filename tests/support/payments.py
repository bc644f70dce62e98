"""The example network with bank accounts and IBANs, its 2026 closed: what refunds are
paid from (`ledger/bank/payments.py`). The tests write a copy of examples/saniveld/network.toml
with IBANs of their own (the example's `ibans` and `[[bank_accounts]]` taken out), so a test
can leave a funder's out or name two accounts of the network; the year's money in is the
example bank statement's receipts as events (`saniveld.receipts_csv`: the statement's account
is not these)."""

from __future__ import annotations

import re
from pathlib import Path

from netfund.ledger import close_period, connect, import_events, initialize, load_network
from sqlalchemy import Engine

from tests.conftest import EXAMPLE
from tests.support.saniveld import receipts_csv

#: The network's own account, as network.toml's [[bank_accounts]] names it.
NETWORK_IBAN = "NL91ABNA0417164300"
SECOND_IBAN = "NL38RABO0300000001"
#: Each funder's account (valid check digits); one account pays for both municipal funds.
FUNDER_IBANS = {
    "GEM-SANIVELD-WMO": "NL02ABNA0123456789",
    "GEM-SANIVELD-JW": "NL02ABNA0123456789",
    "ZK-REGIO": "NL44RABO0123456789",
    "ZV-NOORDWAARD": "NL20INGB0001234567",
    "ZV-LINGEZORG": "NL36INGB0007654321",
    "ZONMW": "NL34BNGH0285000001",
}
#: The funders whose unspent money is owed back when 2026 closes (the others carry it over).
RETURNING = ("ZK-REGIO", "ZV-NOORDWAARD", "ZV-LINGEZORG", "ZONMW")


def network_with_ibans(
    folder: Path,
    *,
    without: tuple[str, ...] = (),
    accounts: tuple[str, ...] = (NETWORK_IBAN,),
    name: str = "network.toml",
    source: Path = EXAMPLE / "network.toml",
) -> Path:
    """A copy of the example's network.toml (or ``source``, another of its network files)
    with every funder's IBAN (but ``without``'s) and the network's ``accounts``."""
    text = source.read_text(encoding="utf-8")
    # The example's own accounts out: these tests name their own.
    text = re.sub(r"^ibans = \[.*\]\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\[\[bank_accounts\]\]\n(?:\w+ = .*\n)*", "", text, flags=re.MULTILINE)
    for code, iban in FUNDER_IBANS.items():
        if code in without:
            continue
        text, count = re.subn(
            rf'^code = "{re.escape(code)}"\n', f'code = "{code}"\nibans = ["{iban}"]\n', text,
            flags=re.MULTILINE,
        )  # fmt: skip
        assert count == 1, code
    for number, iban in enumerate(accounts, start=1):
        text += (
            f'\n[[bank_accounts]]\niban = "{iban}"\n'
            f'name = "Stichting Veerkrachtnetwerk Saniveld {number}"\n'
        )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def closed_example(db_url: str, folder: Path, *, close: bool = True, **network: object) -> Engine:
    """A ledger of the example network (with IBANs) holding its year's money in and out,
    its 2026 closed early (as tests do) unless ``close`` is False."""
    engine = connect(db_url)
    initialize(engine, load_network(network_with_ibans(folder, **network)))  # type: ignore[arg-type]
    import_events(engine, EXAMPLE / "events.csv")
    import_events(engine, receipts_csv(folder))
    import_events(engine, EXAMPLE / "spending.csv")
    if close:
        close_period(engine, "2026", force=True, reason="closed early in a test")
    return engine
