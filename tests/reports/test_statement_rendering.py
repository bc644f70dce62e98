"""The statement PDF itself: byte-identical output, embedded DejaVu fonts only, 300 groups over
many pages with the header repeated, PAdES signing. These concern the file, not the
database, so they run on one SQLite ledger of the Saniveld example built once per module.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from netfund.cli.main import cli
from netfund.ledger.importer import import_events
from netfund.ledger.inputs.network import load_network
from netfund.ledger.model.errors import InvariantViolation, LedgerError
from netfund.ledger.store.database import connect
from netfund.ledger.store.setup import initialize
from netfund.reports.statements import (
    prepare_statements,
    render_all,
    statement_path,
    write_statements,
)
from pypdf import PdfReader

from tests.support.statements import (
    AS_OF,
    embedded,
    page_texts,
    run_saniveld_year,
    write_pkcs12,
)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite ledger of the example after the README's main job."""
    url = f"sqlite:///{tmp_path_factory.mktemp('saniveld') / 'ledger.db'}"
    run_saniveld_year(partial(_run, url), "2026-06-30")
    return url


def _run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


def test_the_same_ledger_and_as_of_give_the_same_bytes(ledger: str, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert (
        _run(
            ledger,
            "statements",
            "--period",
            "2026",
            "--out",
            str(first),
            "--as-of",
            AS_OF,
            "--jobs",
            "1",
        ).exit_code
        == 0
    )
    # Another run, in parallel worker processes, a while later: the very same bytes.
    assert (
        _run(
            ledger,
            "statements",
            "--period",
            "2026",
            "--out",
            str(second),
            "--as-of",
            AS_OF,
            "--jobs",
            "2",
        ).exit_code
        == 0
    )
    names = sorted(path.name for path in first.iterdir())
    assert len(names) == 6 and names == sorted(path.name for path in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    reader = PdfReader(first / "2026-ZONMW.nl.pdf")
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == "D:20261231000000+00'00'"
    # Another as-of date is another statement: its date and figures change, not by chance.
    earlier = tmp_path / "june"
    assert (
        _run(
            ledger,
            "statements",
            "--period",
            "2026",
            "--out",
            str(earlier),
            "--funder",
            "ZONMW",
            "--as-of",
            "2026-06-29",
        ).exit_code
        == 0
    )
    interim = earlier / "2026-ZONMW.interim-2026-06-29.nl.pdf"
    june = embedded(interim)
    december = embedded(first / "2026-ZONMW.nl.pdf")
    assert june["as_of"] == "2026-06-29"
    assert june["figures"]["summary"]["received_cents"] == 2 * 11249200
    assert december["figures"]["summary"]["received_cents"] == 4 * 11249200
    assert june["fingerprint"]["transaction"] < december["fingerprint"]["transaction"]
    assert PdfReader(interim).metadata["/CreationDate"].startswith("D:20260629")


def _fonts_by_pypdf(path: Path) -> set[tuple[str, bool]]:
    """(BaseFont, embedded) of every font any page uses, forms included."""
    found: set[tuple[str, bool]] = set()
    for page in PdfReader(path).pages:
        pending = [page["/Resources"]]
        while pending:
            resources = pending.pop().get_object()
            for font in (resources.get("/Font") or {}).values():
                font = font.get_object()
                descendants = font.get("/DescendantFonts")
                described = descendants[0].get_object() if descendants else font
                descriptor = described.get("/FontDescriptor")
                is_embedded = descriptor is not None and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                found.add((str(font["/BaseFont"]), is_embedded))
            for xobject in (resources.get("/XObject") or {}).values():
                if "/Resources" in xobject.get_object():
                    pending.append(xobject.get_object()["/Resources"])
    return found


def test_only_embedded_dejavu_fonts(ledger: str, tmp_path: Path) -> None:
    assert (
        _run(
            ledger,
            "statements",
            "--period",
            "2026",
            "--out",
            str(tmp_path),
            "--funder",
            "GEM-SANIVELD-WMO",
            "--as-of",
            AS_OF,
            "--lang",
            "en",
        ).exit_code
        == 0
    )
    path = tmp_path / "2026-GEM-SANIVELD-WMO.en.pdf"
    fonts = _fonts_by_pypdf(path)
    assert {re.sub(r"^/[A-Z]{6}\+", "/", name) for name, _ in fonts} == {
        "/DejaVuSans",
        "/DejaVuSans-Bold",
    }
    assert all(is_embedded for _, is_embedded in fonts)
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed; checked with pypdf only")
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "pdffonts lists no fonts"
    for line in listing:
        name, emb = line.split()[0], line.split()[-5]
        assert re.fullmatch(r"[A-Z]{6}\+DejaVuSans(-Bold)?", name), line
        assert emb == "yes", line


def _three_hundred_groups(folder: Path) -> str:
    """A ledger whose one funder allocates to 300 groups; every seventh group overspends."""
    groups = [f"WG-{number:03d}" for number in range(300)]
    network = folder / "network.toml"
    network.write_text(
        '[network]\nname = "Groot netwerk"\ncurrency = "EUR"\nlanguage = "en"\n'
        "population = 120000\noverhead_cap = 0.15\n\n"
        '[[funders]]\ncode = "GEM"\nname = "Gemeente Groot"\nkind = "municipality"\n'
        'framework = "Wmo"\nunspent = "return"\n\n'
        + "".join(
            f'[[groups]]\ncode = "{code}"\nname = "Working group {code[3:]} of the large '
            f'network"\noverhead = {"true" if n % 25 == 0 else "false"}\n\n'
            for n, code in enumerate(groups)
        ),
        encoding="utf-8",
    )
    rows = [
        "id,date,type,funder,group,amount,description,reference",
        "c,2026-01-02,commitment,GEM,,45000000.00,,",
        "r,2026-01-03,receipt,GEM,,45000000.00,,BANK-1",
    ]
    for number, code in enumerate(groups):
        allocated = 100_000 + 250 * number
        spent = allocated + 500 if number % 7 == 0 else allocated - 1_000
        rows.append(f"a-{code},2026-01-05,allocation,GEM,{code},{allocated}.00,,")
        rows.append(f"e-{code},2026-05-05,expense,,{code},{spent}.00,,INV-{code}")
    events = folder / "events.csv"
    events.write_text("\n".join(rows) + "\n", encoding="utf-8")
    url = f"sqlite:///{folder / 'large.db'}"
    engine = connect(url)
    initialize(engine, load_network(network))
    import_events(engine, events)
    engine.dispose()
    return url


def test_a_funder_with_300_groups_reads_well_over_many_pages(tmp_path: Path) -> None:
    url = _three_hundred_groups(tmp_path)
    out = tmp_path / "out"
    result = _run(url, "statements", "--period", "2026", "--out", str(out), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    pages = page_texts(out / "2026-GEM.en.pdf")
    header = "Group\nAllocated\nSpent\nRemaining\n% used\nStatus"
    with_rows = [n for n, page in enumerate(pages) if "Working group" in page]
    assert len(with_rows) >= 5, "300 groups should take several pages"
    assert with_rows == list(range(with_rows[0], with_rows[-1] + 1))
    for number in with_rows:
        assert header in pages[number], f"page {number + 1} lacks the table header"
    listed = re.findall(r"WG-\d{3}", "\n".join(pages[n] for n in with_rows))
    assert set(listed) == {f"WG-{n:03d}" for n in range(300)}
    everything = "\n".join(pages)
    assert everything.count("▲ overspent") >= 43  # every seventh of 300 groups, and the charts
    assert "The 15 largest of 300 groups are shown; the other 285" in everything
    assert "285 other groups" in everything  # the flow diagram draws 15 and joins the rest
    figures = embedded(out / "2026-GEM.en.pdf")["figures"]
    assert len(figures["groups"]) == 300
    assert (
        sum(g["allocated_cents"] for g in figures["groups"])
        == figures["summary"]["allocated_cents"]
    )


def test_statement_paths_stay_inside_the_folder(tmp_path: Path) -> None:
    assert statement_path(tmp_path, "2026-GEM-1.nl.pdf") == tmp_path / "2026-GEM-1.nl.pdf"
    for code in ("../GEM", "GEM/../../x", "/etc/passwd", "GEM\x00x"):
        with pytest.raises(InvariantViolation):
            statement_path(tmp_path, f"2026-{code}.nl.pdf")


def test_a_failed_write_leaves_no_partial_file(
    ledger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = connect(ledger)
    prepared = prepare_statements(engine, "2026", funder="ZONMW", as_of=datetime.date(2026, 12, 31))
    engine.dispose()

    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("netfund.reports.statements.os.replace", disk_full)
    out = tmp_path / "out"
    with pytest.raises(LedgerError, match="No space left on device"):
        write_statements(prepared, out, jobs=1)
    assert list(out.iterdir()) == []  # neither the statement nor its temporary file


def test_parallel_rendering_gives_the_serial_bytes(ledger: str) -> None:
    engine = connect(ledger)
    prepared = prepare_statements(engine, "2026", as_of=datetime.date(2026, 12, 31))
    engine.dispose()
    assert list(render_all(prepared.statements, jobs=1)) == list(
        render_all(prepared.statements, jobs=2)
    )


def test_a_signed_statement_validates_and_still_verifies(
    ledger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    key, certificate = write_pkcs12(tmp_path, "geheim wachtwoord")
    out = tmp_path / "signed"
    sign = ("--sign", str(key), "--sign-password-env", "NETFUND_TEST_KEY_PASSWORD")
    args = (
        "statements",
        "--period",
        "2026",
        "--out",
        str(out),
        "--funder",
        "ZONMW",
        "--as-of",
        AS_OF,
    )
    monkeypatch.delenv("NETFUND_TEST_KEY_PASSWORD", raising=False)
    unset = _run(ledger, *args, *sign)
    assert unset.exit_code == 2 and "NETFUND_TEST_KEY_PASSWORD is not set" in unset.output
    monkeypatch.setenv("NETFUND_TEST_KEY_PASSWORD", "wrong")
    wrong = _run(ledger, *args, *sign)
    assert wrong.exit_code == 2 and "password" in wrong.output
    assert not out.exists() or list(out.iterdir()) == []
    monkeypatch.setenv("NETFUND_TEST_KEY_PASSWORD", "geheim wachtwoord")
    signed = _run(ledger, *args, *sign, "--json")
    assert signed.exit_code == 0, signed.output
    assert json.loads(signed.stdout)["statements"][0]["signed"] is True
    path = out / "2026-ZONMW.nl.pdf"
    content = path.read_bytes()
    reader = PdfFileReader(io.BytesIO(content))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(certificate)])
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    # The figures survive signing: pypdf reads them, and verify-statement checks them.
    assert embedded(path)["funder"] == "ZONMW"
    verified = _run(ledger, "verify-statement", str(path))
    assert verified.exit_code == 0, verified.output
    assert "signed by" in verified.output and "Fondsbeheerder Testnetwerk" in verified.output
    # One byte changed inside the signed range: the figures still read, the signature fails.
    tampered = tmp_path / "tampered.pdf"
    position = content.index(b"(netfund ")
    tampered.write_bytes(content[: position + 1] + b"N" + content[position + 2 :])
    refused = _run(ledger, "verify-statement", str(tampered))
    assert refused.exit_code == 4
    assert "signature: not intact" in refused.output


def test_both_languages_have_every_word() -> None:
    from netfund.reports.statement.wording import LANGUAGES, wording

    dutch = set(wording("nl"))
    assert all(set(wording(language)) == dutch for language in LANGUAGES)
    with pytest.raises(ValueError):
        wording("de")


def test_the_as_of_date_defaults_to_the_periods_last_day() -> None:
    from netfund.reports.statement.data import default_as_of, is_interim

    # Whatever the day: everything dated in the period, as `status` shows it.
    assert default_as_of("2026") == datetime.date(2026, 12, 31)
    assert is_interim("2026", datetime.date(2026, 12, 30))
    assert not is_interim("2026", datetime.date(2026, 12, 31))
    assert not is_interim("2026", datetime.date(2027, 3, 31))
