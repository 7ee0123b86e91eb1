"""Arrow arrays to and from numpy and Python strings, by their buffers.

pyarrow's own conversions of Python and numpy objects (pa.array, pa.scalar, Array.to_numpy, a str
passed to a compute function) first import pandas when it is installed, to ask whether the object
is one of pandas'; that import costs a command's start-up about 0.15 s and 40 MiB. The cohort path
builds its arrays here instead and gives compute functions only Arrow values."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

_NUMPY_TYPES = {pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
                pa.uint8(): np.uint8, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
                pa.float32(): np.float32, pa.float64(): np.float64}
_ARROW_TYPES = {np.dtype(v): k for k, v in _NUMPY_TYPES.items()}


def from_numpy(values: np.ndarray) -> pa.Array:
    """An Arrow array (no nulls) of a one-dimensional numpy array of numbers or booleans."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    return pa.Array.from_buffers(_ARROW_TYPES[values.dtype], len(values), [None, pa.py_buffer(values)])


def to_numpy(array: pa.Array) -> np.ndarray:
    """The values of an Arrow array of numbers or booleans without nulls, as numpy (a view where it can)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count:
        raise ValueError("to_numpy: fill the nulls first")
    n, start = len(array), array.offset
    data = array.buffers()[1]
    if pa.types.is_boolean(array.type):
        if data is None or not n:
            return np.zeros(n, dtype=bool)
        bits = np.frombuffer(data, dtype=np.uint8)
        return np.unpackbits(bits, bitorder="little", count=start + n)[start:].view(bool)
    dtype = _NUMPY_TYPES[array.type]
    if data is None or not n:
        return np.zeros(n, dtype=dtype)
    return np.frombuffer(data, dtype=dtype)[start:start + n]


def strings(values: Sequence[str], large: bool = False) -> pa.Array:
    """A string (``large``: large_string) array of Python strings (no None)."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64 if large else np.int32)
    if encoded:
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    kind = pa.large_string() if large else pa.string()
    return pa.Array.from_buffers(kind, len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def string_scalar(value: str, large: bool = False) -> pa.Scalar:
    return strings([value], large)[0]
