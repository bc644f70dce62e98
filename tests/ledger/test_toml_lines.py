"""Finding the line of a TOML key: one index per file, so a reader's lookups stay linear.

Issue 15: every lookup rescanned the whole file, so a plan of 2,000 requests took 14.7 s to
read and a network.toml with 2,000 bad groups 23 s to refuse. `TomlLines` indexes the file
once; `locate` (one lookup) goes through it, so both give the same lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from netfund.ledger.inputs.network import load_network
from netfund.ledger.inputs.toml_source import TomlLines, locate
from netfund.ledger.model.errors import InputError

from tests.conftest import NETWORK_TOML
from tests.support.line_reads import counting_line_reads

NESTED = """\
top = 1
"quoted" = 2
[a]
k = 1
[[a.arr]]
k = 2
[a.arr.sub]
z = 1
[[a.arr]]
k = 3
[a.arr.sub]
z = 2
y = 3
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("top",), 1),
        (("quoted",), 2),
        (("a", "k"), 4),
        (("a", "arr", 0), 5),
        (("a", "arr", 0, "k"), 6),
        (("a", "arr", 1, "k"), 10),
        (("a", "arr", "sub", "z"), 8),  # the first [a.arr.sub] holds the key first
        (("a", "arr", "sub", "y"), 13),
        (("a",), 3),  # a one-name path: the table's header
        (("a", "arr", "sub"), None),  # a longer path ending in a name names a key of a.arr
        (("a", "arr", "sub", "missing"), 11),  # a missing key: the table's last header
        (("a", "arr", 2), None),
        (("nowhere", "k"), None),
    ],
)
def test_a_key_path_gives_its_line(path: tuple[str | int, ...], line: int | None) -> None:
    assert TomlLines(NESTED).line(path) == line
    assert locate(NESTED, path) == line


def _bad_network(groups: int) -> str:
    return NETWORK_TOML + "".join(
        f'\n[[groups]]\ncode = "bad code {index}"\nname = "G{index}"\n' for index in range(groups)
    )


@pytest.mark.parametrize("groups", [50, 400])
def test_a_network_with_a_problem_per_group_is_read_in_linear_time(
    tmp_path: Path, groups: int
) -> None:
    path = tmp_path / "network.toml"
    text = _bad_network(groups)
    path.write_text(text, encoding="utf-8")
    with counting_line_reads() as counter, pytest.raises(InputError) as caught:
        load_network(path)
    assert len(caught.value.problems) >= groups
    first_bad = NETWORK_TOML.count("\n") + 3  # blank line, [[groups]], then its code
    assert caught.value.problems[0].line == first_bad
    # each line matched at most twice (as a header, as a key), not once per problem
    assert counter[0] <= 2 * len(text.splitlines())
