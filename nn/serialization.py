"""Checkpoints: `save(state_dict, path)` writes an .npz archive atomically; `load(path)` reads one without pickle,
so loading a file never runs code. Damaged or foreign files raise CheckpointError saying what is wrong."""
from __future__ import annotations

import contextlib
import io
import math
import os
import re
import socket
import struct
import tempfile
import zipfile
import zlib
from collections import Counter, OrderedDict
from typing import IO, Any, Mapping

import numpy as np

from autograd import Tensor
from autograd.errors import AutogradError

# The arrays of a file may take at most this many times the file's size in memory. nn.save and np.savez store
# arrays as they are (at most 1x); np.savez_compressed deflates them, rarely past 10x; a "zip bomb" of 2 GB of
# zeros deflated into 2 MB would be 1000x.
MAX_EXPANSION = 100
_NUMBERS = "biufc"  # the dtype kinds a checkpoint may hold: bool, signed and unsigned integers, floats, complex
# A zip member's own ("local") header: signature, version, flags, method, time, date, CRC, compressed and
# uncompressed sizes, lengths of its name and of its extra field; the name and the extra field follow it.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


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
        if array.dtype.kind not in _NUMBERS:
            raise CheckpointError(f"nn.save: {key!r} holds {type(value).__name__} of dtype {array.dtype}, which "
                                  "cannot be saved without pickle; save numbers and arrays only")
        arrays[key] = array
    return arrays


# --- saving ----------------------------------------------------------------------------------------------------
# A save to `model.npz` writes `.model.npz.<host>.<pid>.<random>.tmp` first. A process killed mid-save (kill -9, a
# power cut) cannot remove its file, so the next save to the same path removes those whose process is gone.
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"  # no dots: names split unambiguously


def _running(pid: int) -> bool:
    """Whether process `pid` exists on this machine (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it runs as another user; keep its file in any doubt
        return True
    return True


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Delete the temporary files that saves to `base` on this machine left behind when killed mid-write; a file
    whose process still runs (a save in progress in another process or thread) is kept."""
    if os.name != "posix":  # os.kill(pid, 0) tests a pid only on POSIX (on Windows it would end the process)
        return
    try:
        entries = os.listdir(folder)
    except OSError:  # a folder one may write but not list (or none: then mkstemp says so)
        return
    stale = re.compile(re.escape(f".{base}.{_HOST}.") + r"(\d+)\.\w+\.tmp")
    for entry in entries:
        match = stale.fullmatch(entry)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):  # another save may be removing it at the same moment
                os.remove(os.path.join(folder, entry))


def save(state_dict: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write `state_dict` (name -> array or Tensor) to `path` as an .npz archive, exactly at `path`.

    The archive is written to a temporary file in the same folder and then moved over `path` in one step, so a
    crash mid-write leaves any previous file at `path` intact; a temporary file left by a process killed mid-save
    is removed by the next save to the same path.
    """
    arrays = _arrays(state_dict)
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    _remove_stale_temporaries(folder, base)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.{_HOST}.{os.getpid()}.", suffix=".tmp")
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


# --- loading ---------------------------------------------------------------------------------------------------
def load(path: str | os.PathLike) -> "OrderedDict[str, np.ndarray]":
    """Read a checkpoint written by `save` (or any .npz of numeric arrays) into an ordered name -> array dict.

    Every member is read whole and checked against the CRC the zip keeps for it before numpy parses a byte of it,
    and the zip's directory must agree with the members laid out in the file, so a changed bit anywhere gives a
    CheckpointError rather than different numbers. Members may be stored (as `save` and np.savez write them) or
    deflated (np.savez_compressed), but the arrays may take at most MAX_EXPANSION (100) times the file's size.

    Raises:
        FileNotFoundError: no file at `path`.
        CheckpointError: the file is not a zip, is a zip but not an npz, is truncated or damaged, holds arrays that
            are not numbers (strings, dates, records) or pickled objects (which are never unpickled), or would
            expand past MAX_EXPANSION times its size.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        return _read(f, f"nn.load: {path!r}")


def _read(f: IO[bytes], where: str) -> "OrderedDict[str, np.ndarray]":
    """`load` from an open binary file; `where` begins every error message."""
    head = f.read(6)
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{where} is a single .npy array, not an .npz checkpoint; load it with np.load")
    if not head.startswith(b"PK"):
        hint = " (it looks like a pickle, which nn.load never runs)" if head[:1] == b"\x80" else ""
        raise CheckpointError(f"{where} is not an .npz checkpoint: it is not a zip archive{hint}")
    try:
        with zipfile.ZipFile(f) as archive:
            members = _members(archive, f, where)
            state: OrderedDict[str, np.ndarray] = OrderedDict()
            for info in members:
                key = info.filename[:-4]
                state[key] = _array(_contents(archive, info), key, where)
            return state
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError, struct.error, zlib.error,
            NotImplementedError, RuntimeError, OverflowError, MemoryError) as err:
        # what zipfile says of changed bytes: a bad CRC or magic number, an unknown zip version, "encrypted", ...
        raise _damaged(where, f"{type(err).__name__}: {err}") from None


def _damaged(where: str, what: str) -> CheckpointError:
    return CheckpointError(f"{where} is truncated or damaged ({what}); the file was cut short or changed since it "
                           "was written: load an intact copy, or save the checkpoint again")


def _members(archive: zipfile.ZipFile, f: IO[bytes], where: str) -> list[zipfile.ZipInfo]:
    """The archive's members, after checking that its central directory (the list at the end of a zip) and the
    members themselves agree: unique .npy names, each member's own header matching its directory entry, and the
    members laid end to end from byte 0 to the directory. A member the directory lost leaves a gap; a length that
    a changed bit altered makes a gap or an overlap."""
    infos = archive.infolist()
    offset = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != offset:
            raise _damaged(where, f"the zip directory puts {info.filename!r} at byte {info.header_offset}, but the "
                                  f"member before it ends at byte {offset}; the directory lost a member or a length "
                                  "was changed")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(where, f"{info.filename!r} uses zip compression method {info.compress_type}; nn.load "
                                  "reads stored or deflated members, as np.savez and np.savez_compressed write")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _damaged(where, f"{info.filename!r} is stored uncompressed, yet the zip directory gives it "
                                  f"{info.compress_size} bytes in the file and {info.file_size} unpacked")
        f.seek(offset)
        raw = f.read(_LOCAL_HEADER.size)
        if len(raw) < _LOCAL_HEADER.size:
            raise _damaged(where, f"the file ends inside the header of {info.filename!r}")
        signature, _, flags, method, _, _, crc, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(raw)
        name = f.read(name_length).decode("utf-8" if flags & 0x800 else "cp437")  # zip's two name encodings
        # With flag bit 3 the CRC and sizes follow the data (a "data descriptor") and the header holds zeros.
        if signature != b"PK\x03\x04" or (name, flags, method) != (info.orig_filename, info.flag_bits,
                                                                    info.compress_type) or \
                (not flags & 8 and crc != info.CRC):
            raise _damaged(where, f"the header of {info.filename!r} disagrees with the zip directory")
        offset += _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
        if flags & 8:
            offset += _descriptor_length(f, offset, info, where)
    if offset != archive.start_dir:
        raise _damaged(where, f"the members end at byte {offset} but the zip directory starts at byte "
                              f"{archive.start_dir}; the directory lost a member or a length was changed")
    names = [info.filename for info in infos]
    strays = [n for n in names if not n.endswith(".npy")]
    if strays or not names:
        raise CheckpointError(f"{where} is a zip archive but not an .npz checkpoint: it holds "
                              f"{strays[:3] if strays else 'no arrays'}")
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        raise _damaged(where, f"the zip lists {twice[:3]} more than once")
    unpacked, size = sum(info.file_size for info in infos), f.seek(0, os.SEEK_END)
    if unpacked > MAX_EXPANSION * size:
        raise CheckpointError(f"{where} would unpack to {unpacked:,} bytes from a file of {size:,}, more than "
                              f"nn.load's limit of {MAX_EXPANSION} times the file (a guard against zip bombs); if "
                              "you trust the file, load it with np.load and save it again with nn.save")
    return infos


def _descriptor_length(f: IO[bytes], offset: int, info: zipfile.ZipInfo, where: str) -> int:
    """The length of the data descriptor at `offset`: an optional signature, then the member's CRC and its two
    sizes in 4 or (zip64) 8 bytes each; it must repeat what the directory says."""
    f.seek(offset)
    raw = f.read(24)
    start = 4 if raw.startswith(b"PK\x07\x08") else 0
    for layout in (struct.Struct("<LQQ"), struct.Struct("<LLL")):
        end = start + layout.size
        if len(raw) >= end and layout.unpack(raw[start:end]) == (info.CRC, info.compress_size, info.file_size):
            return end
    raise _damaged(where, f"the data descriptor after {info.filename!r} disagrees with the zip directory")


def _contents(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytearray:
    """A member's bytes, read to their end, which is when zipfile checks them against the member's CRC (a read
    that stops short checks nothing); a bytearray, so that the arrays made from it are writable."""
    data = bytearray(info.file_size)
    view, filled = memoryview(data), 0
    with archive.open(info) as member:
        while filled < len(data):
            chunk = member.read(min(len(data) - filled, 1 << 24))
            if not chunk:
                raise EOFError(f"{info.filename!r} holds {filled} bytes, but the zip directory says {len(data)}")
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
    return data


def _array(data: bytearray, key: str, where: str) -> np.ndarray:
    """The array in one .npy member (its bytes already checked against the CRC): numbers only, never pickles."""
    header = io.BytesIO(bytes(data[:65536]))  # numpy refuses headers over 10,000 bytes
    try:
        version = np.lib.format.read_magic(header)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:  # version 3.0 exists only for records with non-Latin-1 field names
            raise ValueError(f".npy format version {version} is not one nn.load reads (1.0 or 2.0)")
        shape, fortran_order, dtype = read_header(header)
    except Exception as err:  # numpy parses the header as a Python literal, and any error means "not an array"
        raise CheckpointError(f"{where} holds {key!r}, whose .npy header cannot be read ({type(err).__name__}: "
                              f"{err}); it is not an array numpy wrote: save the checkpoint again") from None
    if dtype.hasobject:
        raise CheckpointError(f"{where} holds pickled objects in {key!r}, which nn.load never loads (unpickling can "
                              "run code); save plain numeric arrays instead")
    if dtype.kind not in _NUMBERS:
        raise CheckpointError(f"{where} holds {key!r} of dtype {dtype}, which is not numbers (a checkpoint holds "
                              "numeric arrays only); save that entry some other way, or drop it from the dict")
    count, start = math.prod(shape), header.tell()
    if any(n < 0 for n in shape) or start + count * dtype.itemsize != len(data):
        raise CheckpointError(f"{where} holds {key!r}, whose .npy header gives shape {shape} of {dtype} "
                              f"({count * dtype.itemsize} bytes) but {len(data) - start} bytes follow it; the "
                              "member is not an array numpy wrote: save the checkpoint again")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=start) if count else np.empty(0, dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")
