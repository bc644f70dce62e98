"""Arrow arrays and scalars built from Python values without pyarrow's pandas check.

The first time pyarrow converts a Python value (`pa.array`, `pa.scalar`) it imports pandas,
if installed, to see whether the value is a pandas object: 0.46 s on this machine, a third of
a trial balance export's time. netfund never hands pandas objects to Arrow, so the exports
build their few Python-made arrays from buffers instead, which pyarrow takes as they are.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import pyarrow as pa


def int64_array(values: Sequence[int]) -> pa.Array:
    """``values`` as an int64 array without nulls (OverflowError beyond 64 bits)."""
    data = array("q", values)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def string_array(values: Sequence[str | None]) -> pa.Array:
    """``values`` as a UTF-8 string array; None is a null."""
    offsets = array("i", [0])
    data = bytearray()
    validity = bytearray((len(values) + 7) // 8)
    nulls = 0
    for index, value in enumerate(values):
        if value is None:
            nulls += 1
        else:
            data += value.encode("utf-8")
            validity[index // 8] |= 1 << (index % 8)
        offsets.append(len(data))
    bitmap = pa.py_buffer(bytes(validity)) if nulls else None
    return pa.Array.from_buffers(
        pa.string(),
        len(values),
        [bitmap, pa.py_buffer(offsets), pa.py_buffer(bytes(data))],
        null_count=nulls,
    )


def int64_scalar(value: int) -> pa.Scalar:
    return int64_array([value])[0]


def decimal_scalar(units: int, precision: int, scale: int) -> pa.Scalar:
    """The decimal ``units × 10^-scale`` (e.g. 1, 3, 2 → 0.01) as a decimal128 scalar."""
    data = units.to_bytes(16, "little", signed=True)
    kind = pa.decimal128(precision, scale)
    return pa.Array.from_buffers(kind, 1, [None, pa.py_buffer(data)])[0]
