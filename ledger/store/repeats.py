"""Ids seen before: what makes a write idempotent (invariant 4).

An id already in the ledger with the same content is skipped; with other content it is a
problem on the row's line. An id earlier in the same write is always a problem, naming both
lines: two rows of one file with one id are a mistake in the file (a row typed twice, or two
events given one id), not a re-import, even when their content is the same. `Repeats` answers
that per row for one unit of work (`post.py`), in rounds: the ids of a round are looked up
together.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from netfund.ledger.model.errors import Problem
from netfund.ledger.store.writer import Appender


class Repeats:
    """Tells new ids from repeats, within the write and against the ledger.

    Memory stays small however long the input: an id appended by this write in an earlier
    round is found in the database (its chain position is after `start_id`, its line is kept
    in `lines`, 8 bytes per transaction); only the ids of the current round and those that
    were not appended (skipped, or with a problem) are kept here, each with its line and the
    32 bytes of its fingerprint.
    """

    def __init__(self, source: str, appender: Appender, problems: list[Problem]) -> None:
        self.source = source
        self.appender = appender
        self.start_id = appender.last_id
        #: The line of each transaction this write appended, by chain position - start_id - 1.
        self.lines = array("q")
        self.round: dict[str, bytes] = {}
        self.round_appended: set[str] = set()
        self.not_appended: dict[str, bytes] = {}
        self.stored: dict[str, tuple[int, str]] = {}
        self.skipped = 0
        self.problems = problems

    def prefetch(self, external_ids: Sequence[str]) -> None:
        """Start a round: look up ``external_ids`` in the ledger, this write's rows included."""
        for external_id, earlier in self.round.items():
            if external_id not in self.round_appended:
                self.not_appended[external_id] = earlier
        self.round.clear()
        self.round_appended.clear()
        self.appender.flush()
        self.stored = self.appender.stored_sources(external_ids)

    def appended(self, line: int, external_id: str) -> None:
        """Record that the new id on ``line`` became the next transaction of the chain."""
        self.lines.append(line)
        self.round_appended.add(external_id)

    def is_new(self, line: int, external_id: str, fingerprint: str) -> bool:
        earlier = self.round.get(external_id) or self.not_appended.get(external_id)
        if earlier is not None:
            same = earlier[8:] == _fingerprint_bytes(fingerprint)
            return self._repeat(line, external_id, same, _line_of(earlier))
        stored = self.stored.get(external_id)
        if stored is not None and stored[0] > self.start_id:
            # Appended by this write in an earlier round.
            earlier_line = self.lines[stored[0] - self.start_id - 1]
            return self._repeat(line, external_id, stored[1] == fingerprint, earlier_line)
        remembered = line.to_bytes(8, "little") + _fingerprint_bytes(fingerprint)
        if stored is not None:
            self.not_appended[external_id] = remembered
            return self._skip_or_report(
                line,
                stored[1] == fingerprint,
                f"id {external_id!r} was stored before (transaction {stored[0]}) with "
                "other content; post a reversal and a new id to correct it",
            )
        self.round[external_id] = remembered
        return True

    def _repeat(self, line: int, external_id: str, same: bool, earlier_line: int) -> bool:
        """An id this write had on ``earlier_line``: a problem either way."""
        problem = (
            f"id {external_id!r} is on line {earlier_line} too"
            if same
            else f"id {external_id!r} is used on line {earlier_line} with other content"
        )
        self.problems.append(Problem(self.source, line, problem))
        return False

    def _skip_or_report(self, line: int, same: bool, problem: str) -> bool:
        """A repeated id: skipped when its content is the same, else ``problem`` on ``line``."""
        if same:
            self.skipped += 1
        else:
            self.problems.append(Problem(self.source, line, problem))
        return False


def _line_of(remembered: bytes) -> int:
    return int.from_bytes(remembered[:8], "little")


def _fingerprint_bytes(fingerprint: str) -> bytes:
    """A sha256 hex fingerprint as its 32 bytes; any other text as more than 32 bytes."""
    if len(fingerprint) == 64:
        try:
            return bytes.fromhex(fingerprint)
        except ValueError:
            pass
    return b"\xff" * 33 + fingerprint.encode()
