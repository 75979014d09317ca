"""nn.save / nn.load: round trips, atomic writes, and clear errors for damaged or foreign files (never unpickled)."""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.errors import AutogradError


@pytest.fixture(autouse=True)
def _seed():
    nn.init.seed(0)


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.MLP([3, 4, 2])
        self.register_buffer("steps", np.array(7, dtype=np.int64))


def test_state_dict_round_trip_keeps_keys_order_values_and_dtypes(tmp_path):
    model = WithBuffer()
    path = tmp_path / "model.npz"
    nn.save(model.state_dict(), path)
    loaded = nn.load(path)
    original = model.state_dict()
    assert list(loaded) == list(original) == ["steps", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    for key in original:
        assert loaded[key].dtype == original[key].dtype and np.array_equal(loaded[key], original[key])


def test_loaded_checkpoint_reproduces_the_model(tmp_path):
    source = nn.MLP([4, 8, 3])
    nn.save(source.state_dict(), tmp_path / "ckpt.npz")
    target = nn.MLP([4, 8, 3])
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    assert not np.array_equal(source(x).data, target(x).data)
    target.load_state_dict(nn.load(tmp_path / "ckpt.npz"))
    assert np.array_equal(source(x).data, target(x).data)


def test_save_writes_exactly_at_the_path_given(tmp_path):
    nn.save({"w": np.ones(2)}, str(tmp_path / "weights.ckpt"))
    assert sorted(os.listdir(tmp_path)) == ["weights.ckpt"]
    assert nn.load(tmp_path / "weights.ckpt")["w"].tolist() == [1.0, 1.0]


def test_save_accepts_tensors_and_numbers(tmp_path):
    nn.save({"t": Tensor([1.0, 2.0]), "n": 3}, tmp_path / "a.npz")
    loaded = nn.load(tmp_path / "a.npz")
    assert loaded["t"].dtype == np.float32 and loaded["n"].item() == 3


def test_keys_that_are_numpy_savez_argument_names_round_trip(tmp_path):
    nn.save({"file": np.zeros(1), "allow_pickle": np.ones(1)}, tmp_path / "a.npz")
    assert list(nn.load(tmp_path / "a.npz")) == ["file", "allow_pickle"]


def test_a_plain_numpy_savez_file_loads(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.arange(3), b=np.eye(2))
    loaded = nn.load(tmp_path / "plain.npz")
    assert loaded["a"].tolist() == [0, 1, 2] and np.array_equal(loaded["b"], np.eye(2))


def test_a_crash_mid_write_leaves_the_old_file_intact_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    nn.save({"w": np.zeros(3)}, path)
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def write_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is stopped half-way through the archive
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"w": np.ones(3), "b": np.ones(2)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    nn.save({"w": np.zeros(1)}, tmp_path / "m.npz")
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644


def test_saving_objects_is_refused(tmp_path):
    with pytest.raises(nn.CheckpointError, match="'meta' holds list of dtype <U1"):
        nn.save({"meta": ["a", "b"]}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_save_needs_a_mapping(tmp_path):
    with pytest.raises(TypeError, match="expected a dict of name -> array"):
        nn.save(nn.Linear(1, 1), tmp_path / "x.npz")


def test_truncated_checkpoint_is_reported_as_truncated(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(nn.MLP([3, 4, 2]).state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.CheckpointError, match="is truncated or damaged"):
        nn.load(path)


def test_file_that_is_not_a_zip(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(nn.CheckpointError, match="is not an .npz checkpoint: it is not a zip archive$"):
        nn.load(path)


def test_pickle_file_is_named_and_never_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo should-not-run > " + str(tmp_path / "ran"),))

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": Boom()}))
    with pytest.raises(nn.CheckpointError, match="looks like a pickle, which nn.load never runs"):
        nn.load(path)
    assert not (tmp_path / "ran").exists()


def test_zip_that_is_not_an_npz(tmp_path):
    path = tmp_path / "archive.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not arrays")
    with pytest.raises(nn.CheckpointError, match="is a zip archive but not an .npz checkpoint"):
        nn.load(path)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.zeros(2), meta=np.array([{"lr": 0.1}], dtype=object))
    with pytest.raises(nn.CheckpointError, match="holds pickled objects"):
        nn.load(path)


def test_single_npy_file_is_named(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.zeros(2))
    with pytest.raises(nn.CheckpointError, match="is a single .npy array"):
        nn.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.npz")


def test_checkpoint_error_is_a_value_error_of_the_project():
    assert issubclass(nn.CheckpointError, ValueError) and issubclass(nn.CheckpointError, AutogradError)


# --- damage that zipfile alone lets through ----------------------------------------------------------------------
def test_a_flipped_npy_header_length_byte_is_refused_not_shifted(tmp_path):
    # zipfile checks a member's CRC only when a read reaches its end; a header that says the data ends early (or
    # late) once made nn.load return shifted weights, which a strict load_state_dict accepted
    layer = nn.Linear(100, 100, bias=False)  # a 10,000-float weight matrix
    path = tmp_path / "model.npz"
    nn.save(layer.state_dict(), path)
    data = path.read_bytes()
    length_byte = data.index(b"\x93NUMPY") + 8  # after the magic string and the version
    for bit in range(8):
        damaged = bytearray(data)
        damaged[length_byte] ^= 1 << bit
        path.write_bytes(damaged)
        with pytest.raises(nn.CheckpointError, match="is truncated or damaged .*load an intact copy"):
            nn.load(path)


def _npz(arrays: dict, compression: int = zipfile.ZIP_STORED, drop_from_directory: tuple = ()) -> bytes:
    """An .npz archive of `arrays` as np.savez writes it, optionally with members its directory does not list."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w") as member:
                np.lib.format.write_array(member, np.asarray(array))
        archive.filelist = [i for i in archive.filelist if i.filename[:-4] not in drop_from_directory]
    return buffer.getvalue()


def test_npy_headers_that_do_not_parse_raise_checkpoint_error(tmp_path):
    # each flip goes into a member whose CRC is right, so only the header parser can notice it; numpy's raises
    # tokenize.TokenError or SyntaxError for some of them
    member = io.BytesIO()
    np.lib.format.write_array(member, np.arange(6.0).reshape(2, 3))
    npy = member.getvalue()
    header_end = npy.index(b"\n") + 1
    path = tmp_path / "crafted.npz"
    for position in range(8, header_end):
        for bit in range(8):
            flipped = bytearray(npy)
            flipped[position] ^= 1 << bit
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("w.npy", bytes(flipped))
            try:
                nn.load(path)
            except nn.CheckpointError:
                pass  # a flip that still parses ('<f8' to '>f8', say) gives another valid array, which is fine here


@pytest.mark.parametrize("lost", ["a", "b", "c"])
def test_a_member_missing_from_the_zip_directory_is_noticed(tmp_path, lost):
    path = tmp_path / "lost.npz"
    path.write_bytes(_npz({"a": np.ones(2), "b": np.zeros(3), "c": np.ones(1)}, drop_from_directory=(lost,)))
    with pytest.raises(nn.CheckpointError, match="is truncated or damaged .* the directory lost a member"):
        nn.load(path)


def test_two_members_with_one_name_are_refused(tmp_path):
    path = tmp_path / "twice.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate, and writes it
        with zipfile.ZipFile(path, "w") as archive:
            for value in (1.0, 2.0):
                member = io.BytesIO()
                np.lib.format.write_array(member, np.full(2, value))
                archive.writestr("w.npy", member.getvalue())
    with pytest.raises(nn.CheckpointError, match=r"the zip lists \['w.npy'\] more than once"):
        nn.load(path)


def test_a_compressed_npz_loads(tmp_path):
    weights = np.random.default_rng(0).standard_normal((20, 30))
    np.savez_compressed(tmp_path / "small.npz", w=weights, n=np.array(3))
    loaded = nn.load(tmp_path / "small.npz")
    assert np.array_equal(loaded["w"], weights) and loaded["n"].item() == 3


def test_a_file_that_would_expand_past_the_limit_is_refused(tmp_path):
    # 1.6 MB of zeros deflate to under 2 kB: a small zip bomb; nn.load allows MAX_EXPANSION (100) times the file
    path = tmp_path / "bomb.npz"
    path.write_bytes(_npz({"zeros": np.zeros(200_000)}, compression=zipfile.ZIP_DEFLATED))
    assert 1_600_000 > 100 * path.stat().st_size
    with pytest.raises(nn.CheckpointError, match=r"would unpack to 1,600,128 bytes from a file of [\d,]+, more "
                                                 r"than nn.load's limit of 100 times the file"):
        nn.load(path)


def test_a_zip_written_to_a_stream_with_data_descriptors_loads(tmp_path):
    class Stream(io.RawIOBase):  # a pipe, say: zipfile cannot go back, so it writes CRCs and sizes after the data
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def write(self, chunk):
            self.chunks.append(bytes(chunk))
            return len(chunk)

    stream = Stream()
    np.savez(stream, w=np.arange(5.0), n=np.array([1, 2]))
    path = tmp_path / "streamed.npz"
    path.write_bytes(b"".join(stream.chunks))
    assert zipfile.ZipFile(path).infolist()[0].flag_bits & 8  # the archive does use data descriptors
    loaded = nn.load(path)
    assert loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and loaded["n"].tolist() == [1, 2]


@pytest.mark.parametrize("key, array", [
    ("names", np.array(["relu", "tanh"])),
    ("when", np.array(["2024-01-01"], dtype="datetime64[D]")),
    ("record", np.zeros(2, dtype=[("x", "f4"), ("y", "i4")])),
], ids=["strings", "datetimes", "structured"])
def test_arrays_that_are_not_numbers_are_refused_by_name(tmp_path, key, array):
    np.savez(tmp_path / "odd.npz", w=np.zeros(2), **{key: array})
    with pytest.raises(nn.CheckpointError, match=f"holds '{key}' of dtype .*, which is not numbers"):
        nn.load(tmp_path / "odd.npz")


def test_integer_and_bool_arrays_load(tmp_path):
    model = nn.BatchNorm1d(3)  # its num_batches_tracked is an int64 buffer
    model(Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)))
    state = dict(model.state_dict(), mask=np.array([True, False]), small=np.array([255], np.uint8))
    nn.save(state, tmp_path / "ints.npz")
    loaded = nn.load(tmp_path / "ints.npz")
    assert loaded["num_batches_tracked"].dtype == np.int64 and loaded["num_batches_tracked"].item() == 1
    assert loaded["mask"].tolist() == [True, False] and loaded["small"].dtype == np.uint8


def test_loaded_arrays_are_writable(tmp_path):
    nn.save({"w": np.zeros(3)}, tmp_path / "w.npz")
    loaded = nn.load(tmp_path / "w.npz")["w"]
    loaded += 1
    assert loaded.tolist() == [1.0, 1.0, 1.0]


# --- temporary files left by a killed save -----------------------------------------------------------------------
_SAVE_THAT_HANGS = """
import sys, time
import numpy as np
import nn
real_write = np.lib.format.write_array
def write_then_hang(*args, **kwargs):
    real_write(*args, **kwargs)
    print("writing", flush=True)
    time.sleep(120)
np.lib.format.write_array = write_then_hang
nn.save({"w": np.zeros(1000)}, sys.argv[1])
"""


def _start_a_save_that_hangs(path):
    """A process stopped in the middle of nn.save(..., path), its temporary file half written."""
    root = str(Path(nn.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=root)
    process = subprocess.Popen([sys.executable, "-c", _SAVE_THAT_HANGS, str(path)], stdout=subprocess.PIPE, env=env)
    assert process.stdout.readline() == b"writing\n"
    return process


def _stop(process):
    process.kill()  # SIGKILL: nn.save gets no chance to clean up
    process.wait()
    process.stdout.close()


def test_the_next_save_removes_what_a_save_killed_mid_write_left(tmp_path):
    path = tmp_path / "model.npz"
    process = _start_a_save_that_hangs(path)
    try:
        assert len(os.listdir(tmp_path)) == 1 and os.listdir(tmp_path)[0].startswith(".model.npz.")
    finally:
        _stop(process)
    nn.save({"w": np.ones(2)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert nn.load(path)["w"].tolist() == [1.0, 1.0]


def test_a_save_in_progress_in_another_process_keeps_its_temporary_file(tmp_path):
    path = tmp_path / "model.npz"
    process = _start_a_save_that_hangs(path)
    try:
        (temporary,) = os.listdir(tmp_path)
        nn.save({"w": np.ones(2)}, path)
        assert sorted(os.listdir(tmp_path)) == sorted([temporary, "model.npz"])
    finally:
        _stop(process)


def test_temporary_files_of_live_processes_and_other_paths_are_kept(tmp_path):
    from nn.serialization import _HOST
    ours = f".model.npz.{_HOST}.{os.getpid()}.abc123.tmp"  # a save running in another thread of this process
    other_target = f".model.npz.old.{_HOST}.999999999.abc123.tmp"  # a stale file, but of model.npz.old
    other_host = ".model.npz.elsewhere.999999999.abc123.tmp"  # a save on another machine sharing the folder
    for name in (ours, other_target, other_host):
        (tmp_path / name).write_bytes(b"partial")
    nn.save({"w": np.ones(2)}, tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted([ours, other_target, other_host, "model.npz"])
