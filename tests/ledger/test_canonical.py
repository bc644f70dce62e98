"""The hashed canonical content: `canonical_content` writes exactly the bytes of its definition.

The definition (ledger/docs.md) is ``json.dumps`` of the transaction as an object with sorted
keys, no spaces and non-ASCII text as is, encoded as UTF-8. netfund writes those bytes without
building the object, for speed, with writers generated from the column record; these tests
hold them to the definition, spelled out here on its own, so that ledgers written before still
verify and verify accepts nothing the definition would not.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from netfund.ledger.model.canonical import (
    canonical_bytes,
    canonical_content,
    chain_hash,
    posting_texts,
)
from netfund.ledger.model.entries import Draft, Posting, source_hash

from tests.support.drafts import known_draft


def _definition(txn_id: int, draft: Draft, actor: str | None = None) -> bytes:
    content: dict[str, object] = {
        "id": txn_id,
        "external_id": draft.external_id,
        "date": draft.date.isoformat(),
        "period": draft.period,
        "type": draft.type,
        "description": draft.description,
        "reference": draft.reference,
        "funder": draft.funder,
        "group": draft.group,
        "reversal_of": draft.reversal_of,
        "source_hash": draft.source_hash,
        "postings": [
            [line_no, p.account, p.fund, p.group, p.amount_cents]
            for line_no, p in enumerate(draft.postings, start=1)
        ],
    }
    if actor is not None:  # the key of schema 0010: absent from what was written before
        content["actor"] = actor
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


# Any text without lone surrogates (those cannot be UTF-8): quotes, backslashes, control
# characters, line and paragraph separators, emoji.
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
optional_text = st.none() | text
cents = st.integers(min_value=-(10**15), max_value=10**15)
posting = st.builds(Posting, text, text, optional_text, cents)


@settings(max_examples=300, deadline=None)
@given(
    txn_id=st.integers(min_value=1, max_value=2**62),
    external_id=text,
    date=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)),
    kind=text,
    description=text,
    reference=text,
    funder=optional_text,
    group=optional_text,
    reversal_of=st.none() | st.integers(min_value=1, max_value=2**62),
    source=text,
    postings=st.lists(posting, max_size=8),
    actor=optional_text,
)
def test_canonical_content_is_the_json_definition(
    txn_id: int,
    external_id: str,
    date: datetime.date,
    kind: str,
    description: str,
    reference: str,
    funder: str | None,
    group: str | None,
    reversal_of: int | None,
    source: str,
    postings: list[Posting],
    actor: str | None,
) -> None:
    draft = Draft(
        external_id=external_id,
        date=date,
        type=kind,
        description=description,
        reference=reference,
        postings=tuple(postings),
        source_hash=source,
        funder=funder,
        group=group,
        reversal_of=reversal_of,
    )
    assert canonical_content(txn_id, draft, actor) == _definition(txn_id, draft, actor)


# What a tampered SQLite column may hold instead of the stored type: the bytes must still be
# those of the definition, so that such a value never hashes like the original.
odd_value = st.one_of(
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.just("100"),
    st.integers(),
    text,
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(odd_value, min_size=12, max_size=12),
    lines=st.lists(st.tuples(odd_value, odd_value, odd_value, odd_value), max_size=4),
)
def test_values_of_any_type_are_written_as_json_dumps_writes_them(
    values: list[object], lines: list[tuple[object, object, object, object]]
) -> None:
    keys = (
        "id",
        "external_id",
        "date",
        "period",
        "type",
        "description",
        "reference",
        "funder",
        "group",
        "reversal_of",
        "source_hash",
        "actor",
    )
    content = dict(zip(keys, values, strict=True))
    if content["actor"] is None:
        del content["actor"]  # left out while NULL: the bytes of a row written before 0010
    content["postings"] = [[number, *line] for number, line in enumerate(lines, start=1)]
    expected = json.dumps(
        content, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()
    rows = [(values[0], number, *line) for number, line in enumerate(lines, start=1)]
    assert canonical_bytes(values, rows) == expected


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(odd_value, *([odd_value] * 5)), max_size=5))
def test_stored_posting_rows_are_written_as_json_dumps_writes_them(
    rows: list[tuple[object, ...]],
) -> None:
    """`verify` writes stored rows, line number included, as they come: (txn_id, line_no,
    account, fund, group, cents); the txn_id is not part of the text."""
    expected = json.dumps(
        [list(row[1:]) for row in rows], ensure_ascii=False, separators=(",", ":")
    )
    assert "[" + ",".join(posting_texts(rows)) + "]" == expected


def test_an_integer_and_its_text_hash_differently() -> None:
    def with_amount(amount: object) -> bytes:
        return canonical_bytes(
            (1, "x", "2026-01-01", "2026", "journal", "", "", None, None, None, "s", None),
            [(1, 1, "Assets:Bank", "F", None, amount)],
        )

    as_int, as_text = with_amount(100), with_amount("100")
    assert as_int != as_text
    assert b",100]" in as_int and b',"100"]' in as_text


def test_a_known_transaction_keeps_its_hash() -> None:
    """A hash written by netfund before the writers were generated from the column record:
    ledgers stored then must verify now, so this value may never change."""
    assert (
        chain_hash("0" * 64, 7, known_draft())
        == "af252d507f5a739cc30b1eea51d42d0f995d55de42d12cd5556a2e57a82adc36"
    )


def test_the_actor_is_hashed_and_leaves_older_transactions_as_they_were() -> None:
    """A transaction without an actor hashes as before schema 0010 (the known hash above);
    with one, the actor is part of what is hashed: another name is another hash."""
    without = chain_hash("0" * 64, 7, known_draft())
    assert chain_hash("0" * 64, 7, known_draft(), None) == without
    anna, bram = (chain_hash("0" * 64, 7, known_draft(), who) for who in ("anna", "bram"))
    assert len({without, anna, bram}) == 3
    assert b'{"actor":"anna","date":' in canonical_content(7, known_draft(), "anna")


@given(
    st.lists(
        st.one_of(st.none(), st.text(), st.integers(-(10**15), 10**15)), min_size=1, max_size=9
    )
)
def test_source_hash_is_the_json_definition(fields: list[object]) -> None:
    """`source_hash` writes the JSON itself (issue 21: once per imported row); its bytes are
    still ``json.dumps`` of the fields as text, so a file imported before re-imports as the
    same (stored source hashes are compared on every re-import)."""
    text = json.dumps([str(value) if value is not None else None for value in fields])
    assert source_hash(*fields) == hashlib.sha256(text.encode()).hexdigest()


def test_a_remembered_posting_head_serves_only_the_same_values_of_the_same_types() -> None:
    """`posting_texts` remembers the text of a row up to its amount (issue 21): a row whose
    line number is True or 1.0 (equal to 1, and hashed alike) or whose text is not text must
    still be written as `json.dumps` writes it, after its usual twin was remembered."""
    usual = (7, 1, "Assets:Bank", "F", None, 5)
    assert posting_texts([usual]) == ['[1,"Assets:Bank","F",null,5]']
    odd = [
        (7, True, "Assets:Bank", "F", None, 5),
        (7, 1.0, "Assets:Bank", "F", None, 5),
        (7, 1, "Assets:Bank", "F", None, True),
        (7, 1, "Assets:Bank", "F", None, 5.0),
        (7, 1, "Assets:Bank", "F", "null", 5),
        (7, 1, "Assets:Bank", None, None, 5),
        (7, 1, "Assets:Bank", 1, None, 5),
    ]
    for row in [usual, *odd, usual]:
        expected = json.dumps(list(row[1:]), ensure_ascii=False, separators=(",", ":"))
        assert posting_texts([row]) == [expected]
