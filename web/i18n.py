"""The portal's words in Dutch and English, gathered from the modules that use them.

Each route module may export ``WORDS = {"key": ("Nederlands", "English"), ...}`` beside its
``routes``; `create_app` gathers them into one `Words` and refuses a key two modules define
(one would silently win). A page asks ``t("key", name=...)``: the text in the viewer's
language with ``{name}`` filled in. A key no module defines is an error when the page renders,
so a test that renders the page finds it; there is no fallback to the other language.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The languages of the portal (those of the statements).
LANGUAGES = ("nl", "en")


class Words:
    """Every word of the portal, by key, in both languages."""

    def __init__(self) -> None:
        self._words: dict[str, tuple[str, str]] = {}

    def add(self, source: str, words: Mapping[str, tuple[str, str]]) -> None:
        """Add ``source``'s words (a module name, for the error)."""
        for key, texts in words.items():
            if key in self._words:
                raise ValueError(f"{source} defines the portal word {key!r} a second time")
            if len(texts) != len(LANGUAGES) or not all(texts):
                raise ValueError(f"{source}: the word {key!r} needs a Dutch and an English text")
            self._words[key] = texts

    def text(self, language: str, key: str, **values: object) -> str:
        """``key`` in ``language``, with ``values`` filled in."""
        texts = self._words[key]
        chosen = texts[LANGUAGES.index(language)]
        return chosen.format(**values) if values else chosen
