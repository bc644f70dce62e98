"""Writing a period's statements into a folder: read once, render in parallel, write safely.

The ledger is read in one snapshot (`read_period_inputs`), every funder's `StatementData`
is built from it, and the PDFs are rendered serially or by worker processes (rendering is
CPU-bound Python, so threads would not help). Workers get finished data and return bytes;
rendering is deterministic, so the parallel path writes exactly the serial path's bytes.
Signing (if asked) happens in this process, which holds the key.

Each file is written to a temporary file in the target folder and renamed over its name
(`statement_name`: ``<period>-<FUNDER>.<lang>.pdf``, an interim one
``<period>-<FUNDER>.interim-<as-of>.<lang>.pdf``) only when complete, so a failure never
leaves half a PDF. Funder codes are validated codes (letters, digits, '-'), and the path is
checked to stay inside the folder anyway.
"""

from __future__ import annotations

import datetime
import hashlib
import multiprocessing
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from netfund.ledger import (
    AccessDenied,
    ChainPosition,
    Coverage,
    InvariantViolation,
    LedgerError,
    coverage_of,
    parse_period,
    readable_funders,
    reading,
    require_schema,
)
from netfund.ledger.exports import AtomicFile
from netfund.reports.statement.data import (
    StatementData,
    default_as_of,
    funder_of,
    is_interim,
    read_period_inputs,
    statement_data,
)
from netfund.reports.statement.pdf import render_statement
from netfund.reports.statement.wording import LANGUAGES
from sqlalchemy import Engine

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

#: Worker processes at most, whatever the machine offers.
JOBS_MAX = 8


def netfund_version() -> str:
    """The installed netfund version, printed in every statement's footer."""
    try:
        return version("netfund")
    except PackageNotFoundError:  # a bare checkout without installation
        return "unknown"


@dataclass(frozen=True)
class WrittenStatement:
    """One statement on disk.

    Attributes:
        funder: the funder code.
        path: where it was written.
        sha256: the file's sha256.
        signed: True if it carries a signature.
    """

    funder: str
    path: Path
    sha256: str
    signed: bool


@dataclass(frozen=True)
class StatementsReport:
    """What `write_statements` did.

    Attributes:
        period: the period.
        as_of: the as-of date used.
        language: the language written.
        fingerprint: the newest transaction included, or None.
        statements: the files, in the network's funder order.
        coverage: the period's transactions they cover.
        left_out: the period's transactions dated after ``as_of`` (interim statements).
    """

    period: str
    as_of: datetime.date
    language: str
    fingerprint: ChainPosition | None
    statements: tuple[WrittenStatement, ...]
    coverage: Coverage
    left_out: int

    @property
    def interim(self) -> bool:
        """True when they are interim statements (as of a day before the period's end)."""
        return is_interim(self.period, self.as_of)


@dataclass(frozen=True)
class PreparedStatements:
    """The statements of one period, ready to render.

    Attributes:
        period: the period.
        as_of: the as-of date used.
        language: the language they are written in.
        fingerprint: the newest transaction they include, or None.
        statements: one per funder, in the network's order.
        coverage: the period's transactions they cover.
        left_out: the period's transactions dated after ``as_of``, which they leave out.
    """

    period: str
    as_of: datetime.date
    language: str
    fingerprint: ChainPosition | None
    statements: tuple[StatementData, ...]
    coverage: Coverage
    left_out: int


def prepare_statements(
    engine: Engine,
    period: str,
    funder: str | None = None,
    language: str | None = None,
    as_of: datetime.date | None = None,
) -> PreparedStatements:
    """The data of every funder's statement (or one funder's), from one read of the ledger.

    ``language`` None means the network's; ``as_of`` None means the period's last day
    (`default_as_of`, as for `netfund status`).
    """
    period = parse_period(period)
    if language is not None and language not in LANGUAGES:
        raise LedgerError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    chosen_as_of = as_of or default_as_of(period)
    with reading(engine) as connection:
        require_schema(connection, str(engine.url))
        inputs = read_period_inputs(connection, period, chosen_as_of)
        whole = coverage_of(connection, period, default_as_of(period))
        readable = readable_funders(connection)
    network = inputs.network
    codes = [funder_of(network, funder).code] if funder else [f.code for f in network.funders]
    if readable is not None:  # a funder's login: its own statements only
        others = [code for code in codes if code not in readable]
        if funder is not None and others:
            raise AccessDenied(
                f"this login reads the money of {', '.join(sorted(readable)) or 'no funder'} "
                f"only: not {funder}'s"
            )
        codes = [code for code in codes if code in readable]
    chosen_language = language or network.language
    current = netfund_version()
    return PreparedStatements(
        period=period,
        as_of=chosen_as_of,
        language=chosen_language,
        fingerprint=inputs.fingerprint,
        statements=tuple(statement_data(inputs, code, chosen_language, current) for code in codes),
        coverage=inputs.coverage,
        left_out=max(whole.transactions - inputs.coverage.transactions, 0),
    )


def available_cores() -> int:
    """CPU cores this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def render_all(statements: Sequence[StatementData], jobs: int) -> Iterator[bytes]:
    """The PDFs of ``statements`` in their order, rendered by up to ``jobs`` processes.

    ``jobs`` 0 means one per available core; at most `JOBS_MAX`, and never more than there
    are statements (one statement renders here, without a pool).
    """
    workers = max(1, min(jobs or available_cores(), JOBS_MAX, len(statements)))
    if workers == 1:
        yield from map(render_statement, statements)
        return
    # fork starts a worker in milliseconds with netfund and ReportLab already imported; where
    # it is not available (Windows) or not safe (macOS), spawn re-imports them per worker.
    method = "fork" if sys.platform == "linux" else "spawn"
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(method)
    ) as pool:
        yield from pool.map(render_statement, statements)


def statement_name(data: StatementData) -> str:
    """``<period>-<funder>.<language>.pdf``, and for an interim statement
    ``<period>-<funder>.interim-<as-of>.<language>.pdf``: the annual statement, an interim one
    and the other language's version each have a file of their own, so none overwrites
    another."""
    interim = f".interim-{data.as_of.isoformat()}" if data.interim else ""
    return f"{data.period}-{data.funder.code}{interim}.{data.language}.pdf"


#: A statement's file name, as `statement_name` writes it (funder codes are ASCII letters,
#: digits and '-', so the first '.' ends the code; `parse_statement_name` checks the rest).
_STATEMENT_NAME = re.compile(
    r"(?P<period>[0-9]{4})-(?P<funder>[A-Za-z0-9][A-Za-z0-9-]*)"
    r"(?:\.interim-(?P<as_of>[0-9]{4}-[0-9]{2}-[0-9]{2}))?\.(?P<language>[a-z]{2})\.pdf",
    re.ASCII,
)


@dataclass(frozen=True)
class StatementName:
    """What a statement's file name says (the inverse of `statement_name`).

    Attributes:
        name: the file name.
        period: the period.
        funder: the funder code.
        as_of: the as-of date of an interim statement; None for the statement of the whole
            period (as of its last day).
        language: its language.
    """

    name: str
    period: str
    funder: str
    as_of: datetime.date | None
    language: str

    @property
    def interim(self) -> bool:
        return self.as_of is not None


def parse_statement_name(name: str) -> StatementName | None:
    """What ``name`` says if `statement_name` could have written it, else None.

    Only a name `statement_name` would write is taken: ``2026-GEM.nl.pdf`` and
    ``2026-GEM.interim-2026-06-30.en.pdf`` are statement names; ``2026-GEM.de.pdf``, an
    interim date outside the period or on its last day, ``../2026-GEM.nl.pdf`` are not. The
    name is a claim anyone renaming a file can make: whose statement the file really is, its
    embedded document says (`embedded.py`)."""
    match = _STATEMENT_NAME.fullmatch(name)
    if match is None or match["language"] not in LANGUAGES:
        return None
    try:
        period = parse_period(match["period"])
        as_of = None if match["as_of"] is None else datetime.date.fromisoformat(match["as_of"])
    except (LedgerError, ValueError):
        return None
    if as_of is not None and not (
        datetime.date(int(period), 1, 1) <= as_of and is_interim(period, as_of)
    ):
        return None
    return StatementName(name, period, match["funder"], as_of, match["language"])


def statement_path(directory: Path, name: str) -> Path:
    """``directory/name``; raise `InvariantViolation` if it would leave it."""
    if "\x00" in name:  # a NUL would cut the name short in the operating system
        raise InvariantViolation(f"statement file name {name!r} holds a NUL character")
    path = directory / name
    if (
        Path(name).name != name
        or name.startswith(".")
        or path.resolve().parent != directory.resolve()
    ):
        raise InvariantViolation(f"statement file name {name!r} would leave {directory}")
    return path


def prepare_directory(directory: Path) -> None:
    """Create ``directory`` if needed and prove it writable; raise `LedgerError` if not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise LedgerError(
            f"cannot write statements into {directory}: {error.strerror or error}"
        ) from None


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` as every export is written (`AtomicFile`): complete or
    not at all, synced, owner-only (0600) whatever the umask."""
    with AtomicFile(path) as output:
        output.temporary.write_bytes(content)
        output.publish()


def write_statements(
    prepared: PreparedStatements,
    out_dir: Path,
    *,
    signer: SimpleSigner | None = None,
    jobs: int = 1,
    on_written: Callable[[WrittenStatement], None] | None = None,
) -> StatementsReport:
    """Render, sign (if ``signer``) and write ``prepared`` into ``out_dir``, in order.

    ``jobs`` processes render (0: one per available core); ``on_written`` is called after
    each file, for a progress bar.
    """
    prepare_directory(out_dir)
    if signer is not None:
        # pyHanko takes half a second to import; unsigned statements do not pay for it.
        from netfund.reports.statement.signing import sign_pdf
    written: list[WrittenStatement] = []
    statements = prepared.statements
    try:
        for data, content in zip(statements, render_all(statements, jobs), strict=True):
            if signer is not None:
                content = sign_pdf(
                    content, signer, reason=f"netfund statement {data.period} {data.funder.code}"
                )
            path = statement_path(out_dir, statement_name(data))
            write_atomically(path, content)
            item = WrittenStatement(
                funder=data.funder.code,
                path=path,
                sha256=hashlib.sha256(content).hexdigest(),
                signed=signer is not None,
            )
            written.append(item)
            if on_written is not None:
                on_written(item)
    except OSError as error:
        raise LedgerError(
            f"cannot write statements into {out_dir}: {error.strerror or error}"
        ) from None
    return StatementsReport(
        period=prepared.period,
        as_of=prepared.as_of,
        language=prepared.language,
        fingerprint=prepared.fingerprint,
        statements=tuple(written),
        coverage=prepared.coverage,
        left_out=prepared.left_out,
    )
