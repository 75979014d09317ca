"""Checkpoints: `save(state_dict, path)` writes an .npz archive atomically; `load(path)` reads one without pickle,
so loading a file never runs code. Damaged or foreign files raise CheckpointError saying what is wrong."""
from __future__ import annotations

import os
import struct
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from autograd import Tensor
from autograd.errors import AutogradError


class CheckpointError(AutogradError, ValueError):
    """A file that is not a checkpoint nn.load can read (not an npz, damaged, or holding pickled objects)."""


def _arrays(state_dict: Mapping[str, Any]) -> "OrderedDict[str, np.ndarray]":
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"nn.save: expected a dict of name -> array (model.state_dict()), got "
                        f"{type(state_dict).__name__}")
    arrays: OrderedDict[str, np.ndarray] = OrderedDict()
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"nn.save: keys must be non-empty strings, got {key!r}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "biufc":
            raise CheckpointError(f"nn.save: {key!r} holds {type(value).__name__} of dtype {array.dtype}, which "
                                  "cannot be saved without pickle; save numbers and arrays only")
        arrays[key] = array
    return arrays


def save(state_dict: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write `state_dict` (name -> array or Tensor) to `path` as an .npz archive, exactly at `path`.

    The archive is written to a temporary file in the same folder and then moved over `path` in one step, so a
    crash mid-write leaves any previous file at `path` intact.
    """
    arrays = _arrays(state_dict)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            # What np.savez does, written out: one .npy member per key, and no key can clash with its arguments.
            with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for key, array in arrays.items():
                    with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                        np.lib.format.write_array(member, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the permissions a plain open() would have
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path: str | os.PathLike) -> "OrderedDict[str, np.ndarray]":
    """Read a checkpoint written by `save` (or any .npz of numeric arrays) into an ordered name -> array dict.

    Raises:
        FileNotFoundError: no file at `path`.
        CheckpointError: the file is not a zip, is a zip but not an npz, is truncated or damaged, or holds pickled
            objects (which are never unpickled).
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(6)
    where = f"nn.load: {path!r}"
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{where} is a single .npy array, not an .npz checkpoint; load it with np.load")
    if not head.startswith(b"PK"):
        hint = " (it looks like a pickle, which nn.load never runs)" if head[:1] == b"\x80" else ""
        raise CheckpointError(f"{where} is not an .npz checkpoint: it is not a zip archive{hint}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            strays = [n for n in names if not n.endswith(".npy")]
            if strays or not names:
                raise CheckpointError(f"{where} is a zip archive but not an .npz checkpoint: it holds "
                                      f"{strays[:3] if strays else 'no arrays'}")
            state: OrderedDict[str, np.ndarray] = OrderedDict()
            for name in names:
                with archive.open(name) as member:
                    state[name[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
            return state
    except CheckpointError:
        raise
    except ValueError as err:
        if "allow_pickle" in str(err) or "Object arrays" in str(err):
            raise CheckpointError(f"{where} holds pickled objects, which nn.load never loads (unpickling can run "
                                  "code); save plain numeric arrays instead") from None
        raise CheckpointError(f"{where} is damaged: {err}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise CheckpointError(f"{where} is truncated or damaged ({type(err).__name__}: {err}); the file was probably "
                              "cut short while being written or copied") from None
    except (NotImplementedError, RuntimeError, UnicodeDecodeError, zlib.error, struct.error, OverflowError,
            MemoryError) as err:  # what zipfile says of a corrupted header: an unknown compression, "encrypted", ...
        raise CheckpointError(f"{where} is damaged ({type(err).__name__}: {err}); it is not a checkpoint that "
                              "nn.save wrote, or its bytes were changed since") from None
