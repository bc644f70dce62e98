"""The bytes a transaction's hash covers, written from the column record (`columns.py`).

By definition they are ``json.dumps(content, ensure_ascii=False, separators=(",", ":"),
sort_keys=True)`` encoded as UTF-8, where ``content`` maps each `TRANSACTION_CONTENT` column's
name to its value (the date as ISO text) and ``"postings"`` to the list of the postings'
`POSTING_CONTENT` arrays, ``[[line_no, account, fund, group, amount_cents], ...]``. A column
added later (`Column.omitted_when_null`: the ``actor``, issue 17) is left out while NULL, so a
transaction written before it keeps its bytes: the content is versioned by its keys.

Why generated: `verify` writes these bytes for every transaction and every posting it
reads, and building the object for `json.dumps` cost most of its time. The writers below are
f-strings with the keys already in sorted order, one value test each: written out once
from the column record when this module loads, so they cannot drift from the columns the
writer stores and verify reads, and they run as fast as the hand-written f-strings they
replace (a loop over the columns per transaction cost verify 7%). A value of a type the
column does not hold (what a tampered SQLite column may hold) is written as `json.dumps`
writes it, so its bytes are still those of the definition (`tests/ledger/test_canonical.py`
holds both writers to `json.dumps`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from netfund.ledger.model.columns import (
    BIGINT,
    INTEGER,
    POSTING_COLUMNS,
    POSTING_CONTENT,
    TRANSACTION_CONTENT,
    Column,
    posting_rows,
    transaction_values,
)
from netfund.ledger.model.entries import Draft

#: The key of the postings' list in the canonical content.
POSTINGS_KEY = "postings"

_encode_string = json.encoder.c_encode_basestring or json.encoder.py_encode_basestring  # type: ignore[attr-defined]


def _json_value(value: object) -> str:
    """One JSON value exactly as `json.dumps` (ensure_ascii=False) writes it."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if value is None:
        return "null"
    # Anything else (a float or text a tampered SQLite column holds, say) exactly as
    # json.dumps writes it, so the bytes stay those of the definition.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _is_number(column: Column) -> bool:
    return column.kind in (BIGINT, INTEGER)


def _written(column: Column, name: str) -> str:
    """The expression writing variable ``name`` of ``column`` when it is not None: the usual
    type directly (no call per value into `_json_value`, nullable columns included: a group
    and an actor are written for most transactions), anything else through `_json_value`."""
    if _is_number(column):
        return f"({name} if type({name}) is int else v({name}))"
    return f"(text({name}) if type({name}) is s else v({name}))"


def _value(column: Column, name: str) -> str:
    """The f-string field writing variable ``name`` of ``column``."""
    if column.nullable:
        return f'{{"null" if {name} is None else {_written(column, name)}}}'
    return f"{{{_written(column, name)}}}"


def _content_writer_source() -> str:
    """`canonical_bytes_of_texts`, written out for `TRANSACTION_CONTENT`.

    A column `omitted_when_null` writes its key only when it holds a value (``"key":`` comes
    from the namespace as ``k<index>``, so no quote nests inside the f-string); ``"postings"``
    is always written, so such a key always has a neighbour to put its comma against.
    """
    fields: list[tuple[str, str, tuple[str, str] | None]] = [
        (
            column.name,
            _value(column, f"r{i}"),
            (f"r{i}", _written(column, f"r{i}")) if column.omitted_when_null else None,
        )
        for i, column in enumerate(TRANSACTION_CONTENT)
    ]
    fields.append((POSTINGS_KEY, "[{postings_text}]", None))
    body, started = "", False
    for key, value, optional in sorted(fields):
        if optional is None:
            body += f"{',' if started else ''}{json.dumps(key)}:{value}"
            started = True
            continue
        name, written = optional
        if started:
            body += f'{{"" if {name} is None else "," + k{name[1:]} + {written}}}'
        else:  # before the first written key: its comma follows it
            body += f'{{"" if {name} is None else k{name[1:]} + {written} + ","}}'
    reads = "; ".join(f"r{index} = row[{index}]" for index in range(len(TRANSACTION_CONTENT)))
    return (
        "def canonical_bytes_of_texts(row, postings_text):\n"
        f"    {reads}\n"
        f"    return f'{{{{{body}}}}}'.encode()\n"
    )


def _posting_writer_source() -> str:
    """`posting_texts`, written out for `POSTING_COLUMNS` (the first, txn_id, is skipped).

    A row whose values all have their columns' types is written without a call per value:
    its text up to the last value (``[line_no,account,fund,group,``) is remembered per those
    values (`_HEADS`, bounded), as an import writes the same few hundred of them hundreds of
    thousands of times (it saves a quarter of the writing). A remembered head was written
    from values of the usual types only, so a row of other types never finds one: text never
    equals a number or None, and a number column is tested for `int` before the look-up (1.0
    and True equal 1). Any other row is written through `_json_value`, value by value.
    """
    names = [f"c{index}" for index in range(len(POSTING_COLUMNS))]
    content = list(zip(POSTING_CONTENT, names[1:], strict=True))

    def usual(column: Column, name: str) -> tuple[str, str]:
        """The field writing ``name`` as its column's usual type, and the test for that type."""
        written, kind = (name, "int") if _is_number(column) else (f"text({name})", "s")
        if column.nullable:
            return (
                f'{{"null" if {name} is None else {written}}}',
                f"({name} is None or type({name}) is {kind})",
            )
        return f"{{{written}}}", f"type({name}) is {kind}"

    *leading, (last_column, last) = content
    key = "(" + "".join(f"{name}, " for _, name in leading) + ")"
    head_fields = [usual(column, name) for column, name in leading]
    last_field, last_check = usual(last_column, last)
    # Tested before the look-up: the last value and the leading numbers (text needs none).
    hot = [last_check] + [usual(column, name)[1] for column, name in leading if _is_number(column)]
    other = ",".join(f"{{v({name})}}" for _, name in content)
    parameters = ", ".join(name for _, name in leading)
    return (
        f"def head({parameters}):\n"
        f"    if not ({' and '.join(check for _, check in head_fields)}):\n"
        "        return None\n"
        f"    written = f'[{''.join(field + ',' for field, _ in head_fields)}'\n"
        "    if len(heads) < heads_max:\n"
        f"        heads[{key}] = written\n"
        "    return written\n"
        "\n"
        "def posting_texts(rows):\n"
        f"    return [f'{{h}}{last_field}]'\n"
        f"            if {' and '.join(hot)}\n"
        f"            and ((h := seen({key})) is not None\n"
        f"                 or (h := head({parameters})) is not None)\n"
        f"            else f'[{other}]'\n"
        f"            for {', '.join(names)} in rows]\n"
    )


#: Posting heads remembered by `posting_texts` at most (one per line number, account, fund
#: and group written: a few hundred for a year of a network; a few MB when full, in every
#: process that writes or verifies).
_HEADS_MAX = 20_000
_HEADS: dict[tuple[object, ...], str] = {}


def _compile(source: str, name: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {
        "text": _encode_string,
        "v": _json_value,
        "s": str,
        "heads": _HEADS,
        "seen": _HEADS.get,
        "heads_max": _HEADS_MAX,
    }
    for index, column in enumerate(TRANSACTION_CONTENT):
        if column.omitted_when_null:
            namespace[f"k{index}"] = json.dumps(column.name) + ":"
    exec(compile(source, f"<netfund canonical {name}>", "exec"), namespace)
    return cast(Callable[..., Any], namespace[name])


#: ``canonical_bytes_of_texts(row, postings_text) -> bytes``: the canonical content of a
#: transaction row (its first `TRANSACTION_CONTENT` values; the chain links after them are not
#: read), its postings already written and joined with ``","`` (`posting_texts`).
canonical_bytes_of_texts: Callable[[Sequence[object], str], bytes] = _compile(
    _content_writer_source(), "canonical_bytes_of_texts"
)
#: ``posting_texts(rows) -> list[str]``: each `POSTING_COLUMNS` row's part of the canonical
#: content, ``[line_no,account,fund,group,cents]`` (the txn_id is not part of it). `verify`
#: writes a whole batch of stored rows in this one pass, then joins each transaction's run
#: with ``","``.
posting_texts: Callable[[Iterable[Sequence[object]]], list[str]] = _compile(
    _posting_writer_source(), "posting_texts"
)


def canonical_bytes(row: Sequence[object], postings: Iterable[Sequence[object]]) -> bytes:
    """The canonical content of a transaction row and its `POSTING_COLUMNS` rows."""
    return canonical_bytes_of_texts(row, ",".join(posting_texts(postings)))


def canonical_content(txn_id: int, draft: Draft, actor: str | None = None) -> bytes:
    """The canonical content of ``draft`` stored at chain position ``txn_id`` by ``actor``."""
    return canonical_bytes(transaction_values(txn_id, draft, actor), posting_rows(txn_id, draft))


def link_hash(prev_hash: str, content: bytes) -> str:
    """Invariant 3: ``sha256(previous hash + canonical content)``, as lowercase hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(content)
    return digest.hexdigest()


def chain_hash(prev_hash: str, txn_id: int, draft: Draft, actor: str | None = None) -> str:
    """The hash of ``draft`` stored at ``txn_id`` by ``actor`` after a transaction hashed
    ``prev_hash``."""
    return link_hash(prev_hash, canonical_content(txn_id, draft, actor))
