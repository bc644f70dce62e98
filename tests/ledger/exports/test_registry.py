"""The exports registry (`EXPORTS`) is the one place an export is looked up.

The exports log's check constraint, the ``netfund export`` commands, the command an export
record shows to write it again, and the demo all follow it; a kind added to the registry is
therefore offered, recorded and written everywhere, or a test here fails.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from netfund.cli.commands.demo import DEMO_EXPORTS
from netfund.cli.commands.exports import command_line, export_group
from netfund.ledger.exports import EXPORTS, ExportRecord, ExportRequest, run_export
from netfund.ledger.model.errors import LedgerError
from netfund.ledger.store.schema import EXPORT_KINDS
from sqlalchemy import Engine


def test_the_log_accepts_exactly_the_registered_kinds() -> None:
    assert tuple(EXPORTS) == EXPORT_KINDS


def test_each_kind_has_its_command_with_its_formats_and_options() -> None:
    assert set(export_group.commands) == set(EXPORTS)
    for name, kind in EXPORTS.items():
        params = {param.name: param for param in export_group.commands[name].params}
        if len(kind.formats) > 1:
            assert params["file_format"].type.choices == kind.formats  # type: ignore[attr-defined]
        else:
            assert "file_format" not in params
        assert ("fund" in params) == kind.by_fund
        for option in kind.options:
            assert params[option.name].type.choices == option.choices  # type: ignore[attr-defined]
            assert params[option.name].default == option.default


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_the_recorded_command_writes_the_same_export_again(name: str) -> None:
    """The ``command`` of an export record, parsed by the export's own command, asks for the
    same kind, format, period and options (every non-default choice of every option)."""
    kind = EXPORTS[name]
    for file_format in kind.formats:
        options = {option.name: option.choices[-1] for option in kind.options}
        if kind.by_fund:
            options["fund"] = "GEM"
        record = ExportRecord(
            id=1,
            created_at="2026-12-31T00:00:00Z",
            kind=name,
            format=file_format,
            options=options,
            period="2026",
            path="/tmp/out",
            row_count=0,
            last_txn_id=0,
            fingerprint="0" * 64,
            file_sha256="0" * 64,
            file_bytes=0,
        )
        words = shlex.split(command_line(record))
        assert words[:3] == ["netfund", "export", name]
        command = export_group.commands[name]
        parsed = command.make_context(name, words[3:]).params
        assert parsed.get("file_format") in (file_format, None)
        assert parsed["period"] == "2026" and str(parsed["out"]) == "/tmp/out"
        assert {key: parsed[key] for key in options} == options


def test_the_demo_writes_every_kind() -> None:
    assert set(DEMO_EXPORTS) == set(EXPORTS)
    for name, jobs in DEMO_EXPORTS.items():
        for _, file_format, _, options in jobs:
            EXPORTS[name].writer(file_format, options)  # a format and options the kind takes


def test_an_option_not_given_is_its_default_and_a_wrong_one_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "tb.csv"
    record = run_export(engine, ExportRequest("trial-balance", "csv", out, "2026"))
    by_account = out.read_text(encoding="utf-8")
    assert by_account.splitlines()[0].startswith('"account"')
    assert record.options == {}  # recorded as given
    with pytest.raises(LedgerError, match="'colour'"):
        EXPORTS["trial-balance"].writer("csv", {"by": "colour"})
    with pytest.raises(LedgerError, match="unknown format 'parquet' for the trial-balance"):
        EXPORTS["trial-balance"].writer("parquet")
