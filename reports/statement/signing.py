"""PAdES signatures on statements (pyHanko): signing with a PKCS#12 key, checking integrity.

A signed statement proves who issued it and that not a byte changed since. pyHanko signs by
an incremental update (the original bytes, embedded figures included, stay as they are), with
the PAdES subfilter (ETSI.CAdES.detached) and SHA-256. The key's password is read from an
environment variable the user names, never from the command line, where `ps` would show it.

`signature_status` checks what can be checked without the funder's trust store: that the
signature is cryptographically intact and covers the whole file. Whether the certificate is
trusted is for the reader's PDF viewer or `pyhanko sign validate` with the right roots.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from netfund.ledger import LedgerError
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import SignatureCoverageLevel

SIGNATURE_FIELD = "netfund-statement"
#: A PKCS#12 file larger than this is refused (a key with its chain is a few KiB).
KEY_FILE_BYTES_MAX = 1024 * 1024


def load_signer(key_file: Path, password_variable: str) -> SimpleSigner:
    """The signer in PKCS#12 ``key_file``, unlocked with the password in the named variable.

    Raise `LedgerError` (exit 2) if the variable is not set or the file cannot be opened.
    """
    password = os.environ.get(password_variable)
    if password is None:
        raise LedgerError(
            f"environment variable {password_variable} is not set: it must hold the "
            f"password of {key_file}"
        )
    try:
        if key_file.stat().st_size > KEY_FILE_BYTES_MAX:
            raise LedgerError(f"{key_file} is larger than a PKCS#12 key file can be")
        content = key_file.read_bytes()
    except OSError as error:
        raise LedgerError(f"cannot read {key_file}: {error.strerror}") from None
    try:
        # load_pkcs12_data is load_pkcs12 on bytes: it raises instead of logging and
        # returning None, so the user gets one clear message.
        return SimpleSigner.load_pkcs12_data(
            content, other_certs=[], passphrase=password.encode("utf-8")
        )
    except ValueError:
        raise LedgerError(
            f"cannot open {key_file}: not a PKCS#12 file, or the password in "
            f"{password_variable} is wrong"
        ) from None


def sign_pdf(content: bytes, signer: SimpleSigner, reason: str) -> bytes:
    """``content`` with a PAdES signature by ``signer`` appended as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    output = io.BytesIO()
    signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
        ),
        signer=signer,
        output=output,
    )
    return output.getvalue()


@dataclass(frozen=True)
class SignatureStatus:
    """What a statement's (last) signature says about the file.

    Attributes:
        signer: the signing certificate's subject, as text.
        intact: the signed bytes hash to what was signed and the signature verifies.
        covers_whole_file: nothing was appended after signing.
    """

    signer: str
    intact: bool
    covers_whole_file: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.covers_whole_file


def signature_status(content: bytes) -> SignatureStatus | None:
    """The status of the newest signature in the PDF ``content``, or None if it is unsigned."""
    reader = PdfFileReader(io.BytesIO(content), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return None
    signature = signatures[-1]
    try:
        content_type = signature.signed_data["encap_content_info"]["content_type"].native
        intact, valid = validate_sig_integrity(
            signature.signer_info,
            signature.signer_cert,
            expected_content_type=content_type,
            actual_digest=signature.compute_digest(),
        )
        coverage = signature.evaluate_signature_coverage()
        signer = signature.signer_cert.subject.human_friendly
    except (PdfError, ValueError, KeyError):  # pyHanko's validation errors are ValueErrors
        # A signature that cannot even be parsed proves nothing about the file.
        return SignatureStatus(
            signer="(unreadable signature)", intact=False, covers_whole_file=False
        )
    return SignatureStatus(
        signer=signer,
        intact=intact and valid,
        covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )
