"""Shared by the statement tests (no tests here): PDFs read back, expected figures, a key."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from netfund.ledger.balance_sums import balances
from netfund.ledger.store.database import connect, reading
from netfund.ledger.store.registry import read_network
from pypdf import PdfReader

from tests.support.saniveld import year_steps

AS_OF = "2026-12-31"


def page_texts(path: Path) -> list[str]:
    """The text of each page, no-break spaces as spaces, one stripped line per line."""
    reader = PdfReader(path)
    return [
        "\n".join(line.strip() for line in page.extract_text().replace("\u00a0", " ").splitlines())
        for page in reader.pages
    ]


def embedded(path: Path) -> dict[str, Any]:
    """The statement JSON embedded in the PDF, read with pypdf (not netfund's reader)."""
    attachments = PdfReader(path).attachments
    assert list(attachments) == ["netfund-statement.json"]
    (content,) = attachments["netfund-statement.json"]
    return json.loads(content)


def ledger_summary(db_url: str, period: str = "2026") -> dict[str, dict[str, int]]:
    """Each fund's summary figures computed from plain balances, not from netfund.figures.

    An independent re-performance: sums of postings by account, fund and group in the
    period (the test ledgers have no closing entries and nothing dated after the as-of).
    """
    engine = connect(db_url)
    with reading(engine) as connection:
        network = read_network(connection)
        lines = balances(connection, period=period, by=("account", "fund", "group"))
    engine.dispose()
    overhead = {group.code for group in network.groups if group.overhead}
    result: dict[str, dict[str, int]] = {}
    for funder in network.funders:
        own = [line for line in lines if line.fund == funder.code]

        def total(predicate: Any, own: list[Any] = own) -> int:
            return sum(line.balance_cents for line in own if predicate(line))

        committed = -total(lambda line: line.account == "Income:Contributions")
        receivable = total(lambda line: line.account == "Assets:Receivable")
        allocated = -total(lambda line: line.account.startswith("Budget:Allocated:"))
        spent = total(lambda line: line.account.startswith("Expenses:"))
        overhead_spent = total(
            lambda line: line.account.startswith("Expenses:") and line.group in overhead
        )
        refunded = total(lambda line: line.account in ("Liabilities:Refundable", "Income:Refunded"))
        received = committed - receivable
        result[funder.code] = {
            "committed": committed,
            "received": received,
            "allocated": allocated,
            "spent": spent,
            "overhead_spent": overhead_spent,
            "unspent": received - spent - refunded,
            "unallocated": committed - allocated,
        }
    return result


def summary_pairs(page: str) -> dict[str, str]:
    """Label → the line after its first occurrence (the summary reads label, then amount)."""
    lines = page.splitlines()
    pairs: dict[str, str] = {}
    for index in range(len(lines) - 1):
        pairs.setdefault(lines[index], lines[index + 1])
    return pairs


def write_pkcs12(folder: Path, password: str) -> tuple[Path, bytes]:
    """A throwaway self-signed signing certificate as PKCS#12; returns (path, certificate DER)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fondsbeheerder Testnetwerk")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / "signing.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"netfund test",
            key,
            certificate,
            None,
            serialization.BestAvailableEncryption(password.encode()),
        )
    )
    return path, certificate.public_bytes(serialization.Encoding.DER)


#: The example network's funders, in network.toml order.
FUNDERS = [
    "GEM-SANIVELD-WMO",
    "GEM-SANIVELD-JW",
    "ZK-REGIO",
    "ZV-NOORDWAARD",
    "ZV-LINGEZORG",
    "ZONMW",
]


def run_saniveld_year(run_cli: Any, commit_date: str = "2026-01-20") -> None:
    """The example's whole year through the CLI: commitments and decisions, the plan
    committed on ``commit_date``, the spending, and the bank statement (the money in)."""
    for args in year_steps(commit_date):
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
