"""Holding the chain to what was recorded outside it: anchors.

An anchor says "chain position N had hash H" and where that was recorded: a line of a
checkpoint file (`store/checkpoints.py`), a statement's embedded fingerprint (read by
`netfund.reports`, handed in by the cli), a row of the exports log. The ledger must still
hold position N with hash H. If it ends before N, transactions were removed (or the database
was replaced by an older copy, or a commit was lost with SQLite's `-wal`); if N has another
hash, the chain was rewritten at or before N. Either is exit 4, naming the anchor.

`verify` calls `check_anchors` after it re-hashed the chain, in the same snapshot, so every
stored hash it compares with is one it has just recomputed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netfund.ledger.model.entries import GENESIS_HASH
from netfund.ledger.model.errors import InputError, Problem, VerificationError
from netfund.ledger.store.checkpoints import CHAINS, Head
from netfund.ledger.store.schema import exports_table, ledger_records_table, transactions_table
from sqlalchemy import Connection, select

#: Positions looked up per query.
LOOKUP_BATCH = 500
#: A checkpoint file larger than this is not read (a line is about 120 bytes).
CHECKPOINT_FILE_BYTES_MAX = 1024 * 1024 * 1024
_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: Each chain's (position, hash) columns.
_COLUMNS = {
    "transactions": (transactions_table.c.id, transactions_table.c.hash),
    "records": (ledger_records_table.c.seq, ledger_records_table.c.hash),
}


@dataclass(frozen=True)
class Anchor:
    """A chain position and its hash, recorded outside the chain.

    Attributes:
        chain: which chain (`checkpoints.CHAINS`): ``"transactions"`` or ``"records"``.
        position: the position recorded (0: the empty chain).
        hash: the hash recorded for it.
        source: where it was recorded, for the message: ``file:line (time)``, a statement.
    """

    chain: str
    position: int
    hash: str
    source: str


def anchor(chain: str, position: object, hash_: object, source: str) -> Anchor | None:
    """An `Anchor` from values read from a file, or None if they are not well formed."""
    if chain not in CHAINS or type(position) is not int or position < 0:
        return None
    if not isinstance(hash_, str) or not _HASH.fullmatch(hash_):
        return None
    return Anchor(chain, position, hash_, source)


@dataclass(frozen=True)
class Checkpoints:
    """What a checkpoint file holds.

    Attributes:
        path: the file.
        anchors: one per chain per readable line.
        unreadable: the numbers of the lines that are not checkpoints (left out).
    """

    path: Path
    anchors: tuple[Anchor, ...]
    unreadable: tuple[int, ...]


def read_checkpoints(path: Path) -> Checkpoints:
    """The anchors of the checkpoint file ``path``.

    A line that is not a checkpoint (the torn end of an append a power cut interrupted, a
    damaged line) is left out and its number listed: it cannot anchor anything, and refusing
    the whole file would let one bad line stop every later verify. A file with no readable
    line at all is not a checkpoint file: `InputError` (exit 2).
    """
    try:
        if path.stat().st_size > CHECKPOINT_FILE_BYTES_MAX:
            raise _problem(path, None, "it is larger than 1 GiB: start a new one, keep this one")
        content = path.read_bytes()
    except OSError as error:
        raise _problem(path, None, f"cannot read it: {error.strerror}") from None
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as every complete append does
    anchors: list[Anchor] = []
    unreadable: list[int] = []
    for number, line in enumerate(lines, start=1):
        found = _line_anchors(path, number, line)
        if found:
            anchors.extend(found)
        elif line.strip():
            unreadable.append(number)
    if not anchors:
        raise _problem(path, None, "it holds no checkpoint line (a JSON line per write)")
    return Checkpoints(path, tuple(anchors), tuple(unreadable))


def _line_anchors(path: Path, number: int, line: bytes) -> list[Anchor]:
    """The anchors of one line, none if it is not a checkpoint line."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(record, dict) or not isinstance(record.get("time"), str):
        return []
    source = f"{path}:{number} ({record['time']})"
    found = []
    for key, head in record.items():
        if key == "time":
            continue
        made = anchor(key, *_id_and_hash(head), source)
        if made is None:
            return []
        found.append(made)
    return found


def _id_and_hash(head: Any) -> tuple[object, object]:
    return (head.get("id"), head.get("hash")) if isinstance(head, dict) else (None, None)


def _problem(path: Path, line: int | None, message: str) -> InputError:
    return InputError([Problem(str(path), line, f"not a checkpoint file: {message}")])


def exports_anchors(connection: Connection) -> list[Anchor]:
    """Each recorded export's fingerprint: the chain position and hash it was taken at."""
    e = exports_table.c
    return [
        Anchor(
            "transactions",
            int(row.last_txn_id),
            str(row.fingerprint),
            f"export {row.id} in the exports log ({row.kind}, {row.created_at})",
        )
        for row in connection.execute(
            select(e.id, e.kind, e.created_at, e.last_txn_id, e.fingerprint).order_by(e.id)
        )
    ]


def check_anchors(
    connection: Connection, ends: Mapping[str, Head], anchors: Iterable[Anchor]
) -> int:
    """Raise `VerificationError` if an anchor does not hold; return how many were checked.

    ``ends`` are the verified chains' heads. The message names a rewrite at the lowest
    position that differs, else a cut by the highest position beyond the end.
    """
    wanted: dict[str, dict[int, list[Anchor]]] = {}
    count = 0
    for item in anchors:
        wanted.setdefault(item.chain, {}).setdefault(item.position, []).append(item)
        count += 1
    rewritten: list[tuple[Anchor, str]] = []
    beyond: list[Anchor] = []
    for chain, by_position in wanted.items():
        end = ends[chain]
        inside = [position for position in by_position if position <= end.position]
        stored = _stored_hashes(connection, chain, inside)
        for position, items in by_position.items():
            if position > end.position:
                beyond.extend(items)
                continue
            actual = stored.get(position)
            rewritten.extend((item, actual or "") for item in items if item.hash != actual)
    if rewritten:
        item, actual = min(rewritten, key=lambda pair: pair[0].position)
        more = _more(len(rewritten) + len(beyond) - 1)
        raise VerificationError(
            f"{_entry(item.chain, item.position)} has hash {actual}, but {item.source} "
            f"recorded {item.hash}: the chain was rewritten at or before "
            f"{_entry(item.chain, item.position)} (or that record is of another ledger){more}"
        )
    if beyond:
        item = max(beyond, key=lambda anchor: anchor.position)
        more = _more(len(beyond) - 1)
        raise VerificationError(
            f"{_end(item.chain, ends[item.chain].position)}, but "
            f"{item.source} names {_entry(item.chain, item.position)} (hash {item.hash}): "
            "entries recorded there are gone (deleted, a lost write, or the database "
            f"replaced by an older copy){more}"
        )
    return count


def _stored_hashes(connection: Connection, chain: str, positions: Sequence[int]) -> dict[int, str]:
    """The stored hash of each of ``positions`` (0 is the empty chain's)."""
    position_column, hash_column = _COLUMNS[chain]
    found = {0: GENESIS_HASH} if 0 in positions else {}
    wanted = sorted(position for position in positions if position > 0)
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        rows = connection.execute(
            select(position_column, hash_column).where(position_column.in_(batch))
        )
        found.update((int(position), str(value)) for position, value in rows)
    return found


def _entry(chain: str, position: int) -> str:
    return (
        f"transaction {position}"
        if chain == "transactions"
        else f"record {position} of the {chain} chain"
    )


def _end(chain: str, position: int) -> str:
    if chain == "transactions":
        return f"the ledger ends at transaction {position}"
    return f"the {chain} chain ends at record {position}"


def _more(count: int) -> str:
    return f" ({count} more anchors do not hold)" if count > 0 else ""
