r"""Characters that are not what they look like: invisible, direction-changing or controls.

A right-to-left override (U+202E) makes ``INV-\u202egpj.exe`` display as ``INV-exe.jpg``
in a spreadsheet; a zero width space (U+200B) makes ``INV-1`` and ``INV-\u200b1`` two ids
that look the same. Ids, codes and references therefore refuse them (`fields.py`); a
description may hold them (right-to-left text needs its marks), so wherever one is shown to a
person, on a terminal, in a spreadsheet cell or in a PDF, `reveal` writes them as ``<U+202E>``.

What counts is decided by Unicode category, so new format characters are covered too:
controls (Cc), format characters (Cf: the bidirectional controls U+200E, U+200F, U+061C,
U+202A-U+202E, U+2066-U+2069 and the zero-width U+200B-U+200D, U+2060, U+FEFF among them),
line and paragraph separators (Zl, Zp) and lone surrogates (Cs, which an undecodable
command-line byte becomes and which no file can store).
"""

from __future__ import annotations

import unicodedata

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: What free text refuses: controls, and surrogates (no file can store one).
CONTROL_CATEGORIES = frozenset({"Cc", "Cs"})
#: The bidirectional controls: they reorder what is displayed around them.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Line breaks and tabs: controls a multi-line description may hold and a cell may show.
LINE_BREAKS = frozenset("\t\n\r")


def is_hidden(char: str) -> bool:
    """Whether ``char`` is a control, an invisible format character or a separator."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def first_hidden(
    text: str,
    allowed: frozenset[str] = frozenset(),
    categories: frozenset[str] = HIDDEN_CATEGORIES,
) -> str | None:
    """The first character of ``text`` in ``categories`` and not in ``allowed``, or None.

    `str.isprintable` is false for every hidden character and runs in C, so text without
    any (nearly all text) costs one pass; only the rest is walked character by character.
    """
    if text.isprintable():
        return None
    for char in text:
        if char not in allowed and unicodedata.category(char) in categories:
            return char
    return None


def describe(char: str) -> str:
    """``char`` for a message: what kind it is, its code point and, where Unicode has one,
    its name, such as ``a text-direction control (U+202E RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    category = unicodedata.category(char)
    if category == "Cc":
        return f"a control character ({label})"
    if category == "Cs":
        return f"a lone surrogate ({label}: bytes that were not UTF-8)"
    if category in ("Zl", "Zp"):
        return f"a line break ({label})"
    if char in BIDI_CONTROLS:
        return f"a text-direction control ({label})"
    return f"an invisible character ({label})"


def reveal(text: str, *, keep_line_breaks: bool = False) -> str:
    """``text`` with each hidden character written as ``<U+XXXX>``, so a person sees it.

    ``keep_line_breaks`` keeps tabs and line breaks as they are (a spreadsheet cell or a PDF
    paragraph shows them as space); a terminal table needs them written out, since a line
    break would start what looks like another row.
    """
    if text.isprintable():
        return text
    return "".join(
        f"<U+{ord(char):04X}>"
        if is_hidden(char) and not (keep_line_breaks and char in LINE_BREAKS)
        else char
        for char in text
    )
