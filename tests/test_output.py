import errno
import json

import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.output import atomic_write, dumps, save_analysis


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


def test_save_analysis_writes_the_two_files_and_draws_nothing(tmp_path):
    class Signals:
        columns = {"smile_excursion_right_mm": np.zeros(2)}  # a figure would be drawn for these

        def write_csv(self, fh):
            fh.write("frame,t_s\n0,0.0\n")

    class Analysis:
        signals, shake, smile = Signals(), {"tremor": {"detected": False}}, {}

        def to_json(self):
            return '{"schema_version": 1}'

    json_path, csv_path = save_analysis(Analysis(), tmp_path / "out")
    assert (json_path.name, csv_path.name) == ("analysis.json", "signals.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["analysis.json", "signals.csv"]
    assert json.loads(json_path.read_text()) == {"schema_version": 1}
