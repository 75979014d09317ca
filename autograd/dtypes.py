"""The dtype rules: which dtype a Tensor made from Python data gets (the default float dtype, float32 unless changed;
float arrays keep theirs), and which dtype a Python number or list takes when it meets a Tensor in an expression
(x * 0.5 keeps x's dtype, as in PyTorch; numpy would make a float32 x float64)."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import DTypeError
from .variable import Variable

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype given to Python scalars and lists (float32 unless changed)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a float dtype such as np.float32 or np.float64, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The float dtype given to Python scalars and lists."""
    return _default_dtype


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """`data` as an ndarray under the Tensor dtype rules (copied, so the Tensor never shares the caller's array)."""
    if dtype is not None:
        dtype = np.dtype(dtype)
    try:
        array = np.array(data, dtype=dtype)
        if dtype is None and not isinstance(data, (np.ndarray, np.generic)) and array.dtype.kind in "iuf":
            array = array.astype(_default_dtype)  # Python numbers and lists of them take the default float dtype
    except OverflowError:  # a Python int beyond the dtype asked for
        raise _large_int_error(_large_int(data), dtype) from None
    except (ValueError, TypeError) as err:  # ragged lists, strings that are not numbers
        raise ValueError(f"Tensor: cannot make an array of {type(data).__name__} data ({err}); pass a number, "
                         "rectangular nested lists of numbers or a numeric numpy array") from None
    if array.dtype == object:  # numpy keeps ints beyond int64 and uint64 as Python objects: say which one
        large = _large_int(data)
        if large is not None:
            raise _large_int_error(large, dtype)
    if array.dtype.kind not in "biuf":
        raise DTypeError(f"Tensor: cannot hold data of dtype {array.dtype} (from {type(data).__name__}); "
                         "pass numbers, nested lists of numbers or a numeric numpy array")
    return array


def _large_int(data: Any) -> int | None:
    """The first Python int in `data` (a number, nested lists or an object array) that int64 and uint64 cannot hold."""
    if isinstance(data, int) and not isinstance(data, bool):
        return None if -2**63 <= data < 2**64 else data
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype == object):
        for item in (data.flat if isinstance(data, np.ndarray) else data):
            found = _large_int(item)
            if found is not None:
                return found
    return None


def _large_int_error(n: int | None, dtype: np.dtype | None) -> DTypeError:
    """The error for an integer too large for numpy's integers: which one, what it does not fit, the fix."""
    if n is None:  # an OverflowError from something else: say it generally
        return DTypeError(f"Tensor: a number in the data does not fit dtype {dtype}; pass floats, or dtype=np.float64")
    what = f"the integer {n}" if n.bit_length() <= 128 else f"an integer of {int(n.bit_length() * 0.30103) + 1} digits"
    try:
        float(n)
    except OverflowError:  # beyond float64 too
        return DTypeError(f"Tensor: {what} does not fit numpy's integers, nor float64 (at most about 1.8e308); "
                          "scale the data down first")
    if dtype is not None and dtype.kind in "iu":
        return DTypeError(f"Tensor: {what} does not fit dtype {dtype}; pass dtype=np.float64")
    return DTypeError(f"Tensor: {what} does not fit numpy's integers (int64, uint64); pass the data as floats, or "
                      "pass dtype=np.float64")


def operand(x: Any, like: Any) -> Any:
    """The other operand of a binary op as a Tensor (`like` is the Tensor it meets): Python numbers and lists take
    like's dtype (an int or a float meeting an integer Tensor: numpy's rule), arrays keep theirs."""
    if isinstance(x, Variable):
        if x._has_shape:
            return x
        raise TypeError(f"cannot combine a Tensor with a {type(x).__name__}; use Tensors throughout")
    dtype = like.data.dtype
    if (type(x) is float or type(x) is int) and x:  # not 0: 0.0 and -0.0 are equal keys but differ in sign
        constant = _numbers.get((dtype, type(x), x))
        return constant if constant is not None else _number_tensor(x, like)
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        return like._constant(_number(x, dtype))
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot combine a Tensor with {type(x).__name__} (dtype {array.dtype}); "
                        "use numbers, arrays or Tensors")
    if isinstance(x, (list, tuple)) and array.dtype.kind in "iuf":
        # Python lists follow the rule for Python numbers (numpy would make them int64/float64 and upcast float32)
        if dtype.kind == "f" or (dtype.kind in "iu" and array.dtype.kind in "iu"):
            array = array.astype(dtype)
        elif array.dtype.kind == "f":
            array = array.astype(_default_dtype)
    return like._constant(array)


def _number(x: Any, dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f" or (dtype.kind in "iu" and isinstance(x, numbers.Integral)):
        return np.asarray(x, dtype=dtype)
    return np.asarray(x, dtype=_default_dtype if isinstance(x, float) else None)


# Speed: each Python number met in expressions (x * 0.5, 1 - y) becomes one constant Tensor per dtype, made once and
# shared (its array read-only); making a new one for every operation costs 16% of the per-op time measured by
# `python benchmarks/run.py W4` (7.7k of 48.8k instructions per op, counted with valgrind).
_numbers: dict = {}


def _number_tensor(x: int | float, like: Any) -> Any:
    if len(_numbers) > 4096:  # a loop over many different numbers: start again rather than grow without end
        _numbers.clear()
    dtype = like.data.dtype
    array = _number(x, dtype)
    array.flags.writeable = False
    constant = _numbers[(dtype, type(x), x)] = like._constant(array)
    return constant
