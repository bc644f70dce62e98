"""The field rules of issue 15: periods parsed in one place, patterns matched whole, and no
hidden characters in ids, codes and references (descriptions keep them, shown revealed).

- `parse_period` takes four ASCII digits from 2000 to 2099 and nothing else: not fullwidth
  ``２０２６`` (which `str.isdigit` takes and `int` reads as 2026), not Arabic-Indic digits,
  not ``26``; what it returns is canonical, so stored and compared periods are ASCII.
- Every pattern is matched whole: ``$`` also matched before a final line break.
- Ids and references refuse each bidirectional control and invisible character by name
  (``U+202E``); a description keeps them, and `reveal` makes them visible wherever text is
  shown (terminal tables, spreadsheet cells, the PDF).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from contextlib import redirect_stdout

import pytest
from hypothesis import given
from hypothesis import strategies as st
from netfund.cli.render import show_table
from netfund.ledger import (
    FieldError,
    LedgerError,
    parse_date,
    parse_id,
    parse_period,
    parse_text,
    reveal,
)
from netfund.ledger.exports.safety import neutralise
from netfund.ledger.inputs.network import _CODE, _GROUP_CODE
from netfund.ledger.model.characters import first_hidden
from netfund.ledger.model.dialect import DUTCH
from netfund.ledger.model.entries import is_valid_account
from netfund.ledger.model.money import AmountError, parse_cents
from netfund.reports.statement.tables import text as pdf_text

#: The characters the issue names: bidirectional controls, then zero-width and invisible ones.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
#: Others that hide or break a line: a C1 control, the line and paragraph separators, a
#: soft hyphen (category Cf), and a lone surrogate (what an undecodable argv byte becomes).
OTHER_HIDDEN = "\x85\u2028\u2029\u00ad\udcff"


@pytest.mark.parametrize("text", ["2026", "2000", "2099", " 2026 ", "2026\n"])
def test_a_period_is_four_ascii_digits(text: str) -> None:
    assert parse_period(text) == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "２０２６",  # fullwidth: isdigit() is True, int() reads 2026
        "٢٠٢٦",  # Arabic-Indic digits
        "2026\u200b",  # a zero width space after it
        "20\u202e26",
        "26",
        "02026",
        "+2026",
        "2026.0",
        "1999",
        "2100",
        "",
        "2026-01",
        2026,
        None,
    ],
)
def test_anything_else_is_not_a_period(text: object) -> None:
    with pytest.raises(FieldError, match="is not a calendar year from 2000 to 2099"):
        parse_period(text)


def test_a_bad_period_is_a_ledger_error_so_the_cli_exits_2() -> None:
    with pytest.raises(LedgerError) as caught:
        parse_period("２０２６", "--period")
    assert caught.value.exit_code == 2
    assert "--period '２０２６'" in str(caught.value)


@pytest.mark.parametrize(
    ("accepted", "name"),
    [
        (lambda text: _CODE.fullmatch(text) is not None, "funder code"),
        (lambda text: _GROUP_CODE.fullmatch(text) is not None, "group code"),
        (is_valid_account, "account"),
    ],
)
def test_codes_and_accounts_match_whole(accepted, name: str) -> None:  # type: ignore[no-untyped-def]
    good = "Expenses:WG-A" if name == "account" else "WG-A"
    assert accepted(good), name
    for bad in (good + "\n", good + "\r\n", "\n" + good, good + "\u200b", good + "\u202e"):
        assert not accepted(bad), (name, bad)


@pytest.mark.parametrize("text", ["12.50\n", "１２.50", "12.5０"])
def test_amounts_are_ascii_and_whole(text: str) -> None:
    if text.strip() == "12.50":
        assert parse_cents(text) == 1250  # surrounding whitespace is stripped, as always
        return
    with pytest.raises(AmountError, match="not a plain decimal number"):
        parse_cents(text)


@pytest.mark.parametrize("char", list(BIDI + INVISIBLE + OTHER_HIDDEN))
def test_ids_and_references_refuse_hidden_characters_by_name(char: str) -> None:
    code_point = re.escape(f"U+{ord(char):04X}")
    for parse in (
        lambda text: parse_id(text),
        lambda text: parse_text(text, "reference", 200),
    ):
        with pytest.raises(FieldError, match=rf"contains .*\({code_point}"):
            parse(f"INV{char}-1")
    name = unicodedata.name(char, "")
    if name:
        with pytest.raises(FieldError, match=name):
            parse_id(f"INV{char}-1")


@pytest.mark.parametrize(
    ("char", "kind"),
    [
        ("\u202e", "a text-direction control"),
        ("\u200b", "an invisible character"),
        ("\x07", "a control character"),
    ],
)
def test_the_message_says_what_kind_of_character_it_is(char: str, kind: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_id(f"E{char}1", "id")
    assert str(caught.value).startswith(f"id contains {kind} (U+{ord(char):04X}")


@pytest.mark.parametrize("char", list(BIDI + INVISIBLE + "\u2028\u00ad\n\t"))
def test_a_description_may_hold_them(char: str) -> None:
    text = f"Huur {char}kantoor"
    assert parse_text(text, "description", 1000, multiline=True) == text


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\udcff"])
def test_a_description_refuses_controls(char: str) -> None:
    with pytest.raises(
        FieldError,
        match=rf"description contains a (control character|lone surrogate) \(U\+{ord(char):04X}",
    ):
        parse_text(f"Huur{char}kantoor", "description", 1000, multiline=True)


def test_reveal_writes_hidden_characters_out() -> None:
    assert reveal("factuur-\u202egpj.exe") == "factuur-<U+202E>gpj.exe"
    assert reveal("INV-\u200b1") == "INV-<U+200B>1"
    assert reveal("a\nb\tc") == "a<U+000A>b<U+0009>c"
    assert reveal("a\nb\tc\u2028", keep_line_breaks=True) == "a\nb\tc<U+2028>"
    plain = "Bijdrage gemeente – Saniveld é ü"
    assert reveal(plain) is plain


_MARK = re.compile(r"<U\+([0-9A-F]{4,6})>")


def _unreveal(text: str) -> str:
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _MARK.sub(char, text)


@given(st.text())
def test_revealed_text_holds_no_hidden_character_and_loses_nothing(text: str) -> None:
    shown = reveal(text)
    assert first_hidden(shown) is None
    if first_hidden(text) is None:
        assert shown == text
    assert _unreveal(shown) == _unreveal(text)


def test_a_terminal_table_shows_them_and_keeps_one_line_per_row() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        show_table(
            ["id", "description"], [["E-1", "x\nE-2  forged row"], ["E-\u202e3", "ok"]], set()
        )
    lines = out.getvalue().splitlines()
    assert len(lines) == 4, lines  # header, rule, two rows
    assert "x<U+000A>E-2  forged row" in lines[2]
    assert "E-<U+202E>3" in lines[3]


def test_spreadsheet_cells_and_the_pdf_show_them() -> None:
    assert neutralise("\u202e=HYPERLINK(1)") == "<U+202E>=HYPERLINK(1)"
    assert neutralise("=1\u200b") == "'=1<U+200B>"
    assert neutralise("regel 1\nregel 2") == "regel 1\nregel 2"
    assert pdf_text("A&B \u202eC") == "A&amp;B &lt;U+202E&gt;C"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("31-12-2026", datetime.date(2026, 12, 31)),
        ("1-2-2026", datetime.date(2026, 2, 1)),
        ("01-02-2026", datetime.date(2026, 2, 1)),
        ("2026-02-01", datetime.date(2026, 2, 1)),  # unambiguous: the year comes first
    ],
)
def test_the_nl_dialect_reads_day_first_dates(text: str, date: datetime.date) -> None:
    assert parse_date(text, DUTCH) == date


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-12-26", "is not of the form DD-MM-YYYY"),  # which century: not guessed
        ("31/12/2026", "is not of the form DD-MM-YYYY"),
        ("2026-2-1", "is not of the form DD-MM-YYYY"),
        ("13-13-2026", "does not exist"),
        ("29-02-2026", "does not exist"),
        ("31-12-1999", "is outside"),
        ("３1-12-2026", "is not of the form DD-MM-YYYY"),
    ],
)
def test_the_nl_dialect_refuses_other_dates(text: str, reason: str) -> None:
    with pytest.raises(FieldError, match=reason):
        parse_date(text, DUTCH)


def test_a_dutch_date_in_the_standard_dialect_names_the_flag() -> None:
    with pytest.raises(FieldError, match="use --dialect nl"):
        parse_date("31-12-2026")
    with pytest.raises(FieldError, match=r"not of the form YYYY-MM-DD$"):
        parse_date("2026/12/31")
