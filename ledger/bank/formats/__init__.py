"""Bank statement files in, `BankStatement`s out: CAMT.053 (001.02, 001.08) and MT940.

The format is recognised from the content, never from the file name (a bank's download is
often called ``statement.txt`` whatever it holds): XML whose root is a camt.053 001.02 or
001.08 ``Document`` is read by `camt`, text that starts with ``:20:`` (perhaps after a SWIFT
``{1:...}`` header) by `mt940`. Anything else is refused naming what it is, so a user asks the
bank for the right export instead of guessing. Whether a statement adds up, continues the last
one and belongs to a known account is the importer's check, not this package's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from netfund.ledger.bank.model import BankStatement
from netfund.ledger.model.errors import InputError, Problem

#: Larger than any statement a network's accounts produce in years; a file beyond it is a
#: mistake (or an attack on memory), refused before it is read.
MAX_FILE_BYTES = 64 * 1024 * 1024

NOT_A_STATEMENT = "not a CAMT.053 (001.02 or 001.08) or MT940 bank statement"


def read_statements(path: Path) -> list[BankStatement]:
    """Every statement in the file at ``path``, in file order (a camt file may hold several
    ``Stmt``, an MT940 file several messages). `InputError` (file:line) for a file that is not
    one of the formats, is unsafe XML, breaks the XSD, is in another currency than EUR or has a
    batch that does not add up; nothing is returned then."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _refused(
                source,
                None,
                f"the file has {size:,} bytes; a bank statement file is never larger than "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB (split the period in the bank's export)",
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _refused(source, None, f"cannot read the file: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise _refused(source, None, f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    return read_statement_bytes(data, source)


def read_statement_bytes(data: bytes, source: str) -> list[BankStatement]:
    """`read_statements` of bytes already read; ``source`` names them in problems."""
    sha256 = hashlib.sha256(data).hexdigest()
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise _refused(source, 1, f"{NOT_A_STATEMENT}: the file is empty")
    if start.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")):  # UTF-8 or UTF-16 XML
        from netfund.ledger.bank.formats import camt

        root = camt.parse_xml(data, camt.Problems(source))
        try:
            version = camt.version_of(root)
        except camt.NotCamt as error:
            raise _refused(source, error.line, f"{NOT_A_STATEMENT}: {error}") from None
        return camt.read_camt(data, root, version, source, sha256)
    text = _text(data)
    from netfund.ledger.bank.formats import mt940

    if text is not None and mt940.looks_like_mt940(text):
        return mt940.read_mt940(text, source, sha256)
    what = (
        "binary data"
        if text is None
        else f"text starting {start[:20].decode('utf-8', 'replace')!r}"
    )
    raise _refused(source, 1, f"{NOT_A_STATEMENT}: {what}")


def _text(data: bytes) -> str | None:
    """MT940 as text: UTF-8 (ASCII in practice), else Latin-1 as older bank exports write it;
    None for bytes that are no text (control characters other than line breaks and tabs)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if any(ord(char) < 32 and char not in "\r\n\t" for char in text[:4096]):
        return None
    return text.removeprefix("\ufeff")


def _refused(source: str, line: int | None, message: str) -> InputError:
    return InputError([Problem(source, line, message)])


__all__ = ["MAX_FILE_BYTES", "read_statement_bytes", "read_statements"]
