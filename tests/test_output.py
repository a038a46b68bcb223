import errno
import json

import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.output import atomic_write, dumps


def test_json_has_no_nan_and_plain_numbers():
    doc = {"a": np.float32(1.5), "b": float("nan"), "c": np.arange(3), "d": np.bool_(True), "e": [np.inf]}
    assert json.loads(dumps(doc)) == {"a": 1.5, "b": None, "c": [0, 1, 2], "d": True, "e": [None]}


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "x.json"
    atomic_write(p, lambda fh: fh.write("first"))
    atomic_write(p, lambda fh: fh.write("second"))
    assert p.read_text() == "second"
    assert [q.name for q in tmp_path.iterdir()] == ["x.json"]


def test_full_disk_keeps_the_old_file_and_says_so(tmp_path):
    p = tmp_path / "analysis.json"
    p.write_text("old results")

    def write(fh):
        fh.write("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(BadInputError, match="disk is full.*Free some space"):
        atomic_write(p, write)
    assert p.read_text() == "old results"
    assert [q.name for q in tmp_path.iterdir()] == ["analysis.json"]  # no temp file left


def test_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BadInputError, match="Could not write|Cannot write|--out"):
        atomic_write(blocker / "sub" / "a.json", lambda fh: fh.write("x"))
