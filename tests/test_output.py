import errno
import json
import os

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


def test_save_run_replaces_the_set_as_a_whole(tmp_path):
    from smilescope.output import save_run

    out = tmp_path / "res"
    save_run(out, {"analysis.json": "old", "smile.png": b"old figure"})
    save_run(out, {"analysis.json": "new", "signals.csv": lambda fh: fh.write("t_s\n")})
    assert sorted(p.name for p in out.iterdir()) == ["analysis.json", "signals.csv"]  # no figure of the old run
    assert (out / "analysis.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # nothing left beside it
    assert oct(out.stat().st_mode & 0o777) == "0o700" and oct((out / "analysis.json").stat().st_mode & 0o777) == "0o600"


def test_folders_made_for_the_results_are_owner_only(tmp_path):
    """``--out out/d0`` where neither exists: both folders are 0700 (the parent was 0755)."""
    from smilescope.output import save_run

    out = save_run(tmp_path / "out" / "d0", {"analysis.json": "{}"})
    assert oct((tmp_path / "out").stat().st_mode & 0o777) == "0o700" and oct(out.stat().st_mode & 0o777) == "0o700"


def test_folders_made_for_a_single_file_are_owner_only(tmp_path):
    """``report --out out/new/sub/r.html`` made both folders 0755 (``atomic_write``'s own mkdir),
    where every other command made them 0700; a folder that was there keeps its mode."""
    from smilescope.output import atomic_write, atomic_write_bytes

    (tmp_path / "mine").mkdir(mode=0o755)
    atomic_write(tmp_path / "mine" / "new" / "sub" / "r.html", lambda fh: fh.write("<html></html>"))
    atomic_write_bytes(tmp_path / "plots" / "h.png", b"png")
    for made in ("mine/new", "mine/new/sub", "plots"):
        assert oct((tmp_path / made).stat().st_mode & 0o777) == "0o700", made
    assert oct((tmp_path / "mine").stat().st_mode & 0o777) == "0o755"


def test_full_disk_in_the_middle_of_a_set_keeps_the_previous_set(tmp_path):
    from smilescope.output import save_run

    out = tmp_path / "res"
    save_run(out, {"analysis.json": "old", "signals.csv": "old"})

    def full(fh):
        fh.write("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(BadInputError, match="disk is full.*earlier results there are unchanged.*Free some space"):
        save_run(out, {"analysis.json": "new", "signals.csv": full})
    assert {p.name: p.read_text() for p in out.iterdir()} == {"analysis.json": "old", "signals.csv": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_leftovers_of_killed_runs_are_cleaned_and_a_set_left_aside_comes_back(tmp_path):
    from smilescope.output import save_run

    (tmp_path / ".res.smilescope-new-abc").mkdir()  # a run killed while writing
    (tmp_path / ".res.smilescope-new-abc" / "analysis.json").write_text("half")
    aside = tmp_path / ".res.smilescope-old-def"  # killed between the two renames: no res folder
    aside.mkdir()
    (aside / "analysis.json").write_text("previous")
    (tmp_path / ".resx.smilescope-new-zzz").mkdir()  # another folder's: not ours to touch
    save_run(tmp_path / "res", {"analysis.json": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".resx.smilescope-new-zzz", "res"]
    assert (tmp_path / "res" / "analysis.json").read_text() == "new"


def test_out_that_is_a_file_or_holds_other_files_is_refused(tmp_path):
    from smilescope.output import check_out_dir

    f = tmp_path / "notes.txt"
    f.write_text("mine")
    with pytest.raises(BadInputError, match="is a file, not a folder"):
        check_out_dir(f)
    with pytest.raises(BadInputError, match="did not write.*notes.txt"):
        check_out_dir(tmp_path)
    assert f.read_text() == "mine"


def test_a_report_killed_while_writing_leaves_nothing_that_blocks_the_next_run(tmp_path):
    """SIGKILL inside ``atomic_write`` (``report`` writing report.html into a results folder)
    leaves its temporary (.report.html.XXXXXXXX.tmp): no clean-up runs after a kill. It is
    smilescope's own, so the next ``analyze`` into that folder accepts it and replaces it with
    the folder; it used to refuse the folder as holding "files smilescope did not write"."""
    import subprocess
    import sys

    from conftest import ROOT
    from smilescope.output import check_out_dir, save_run

    res = tmp_path / "res"
    save_run(res, {"analysis.json": "{}"})
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from smilescope.output import atomic_write\n"
        "def write(fh):\n"
        "    fh.write('<html>half')\n"
        "    fh.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic_write(sys.argv[1], write)\n"), str(res / "report.html")],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, capture_output=True)
    assert killed.returncode == -9
    left = [n for n in os.listdir(res) if n != "analysis.json"]
    assert len(left) == 1 and left[0].startswith(".report.html.") and left[0].endswith(".tmp"), left
    (res / ".report.pdf.a1b2c3d4.pdf").write_bytes(b"%PDF-half")  # Chromium's, killed while printing
    assert check_out_dir(res) == res
    save_run(res, {"analysis.json": "new"})
    assert sorted(os.listdir(res)) == ["analysis.json"]
    (res / ".notes.txt.a1b2c3d4.tmp").write_text("not ours")  # a temporary of a name smilescope never writes
    with pytest.raises(BadInputError, match="did not write"):
        check_out_dir(res)


def test_a_photo_run_never_replaces_a_video_result_nor_the_reverse(tmp_path):
    from smilescope.errors import BadInputError
    from smilescope.output import check_out_dir

    video, photo = tmp_path / "session", tmp_path / "portrait"
    video.mkdir()
    (video / "analysis.json").write_text("{}")
    photo.mkdir()
    (photo / "photo.json").write_text("{}")
    with pytest.raises(BadInputError, match="holds a video analysis"):
        check_out_dir(video, kind="photo")
    with pytest.raises(BadInputError, match="holds a photo analysis"):
        check_out_dir(photo, kind="video")
    assert check_out_dir(video, kind="video") == video and check_out_dir(photo, kind="photo") == photo


def test_a_photo_set_of_a_hundred_pictures_is_recognised_as_smilescope_s_own(tmp_path):
    from smilescope.output import check_out_dir

    out = tmp_path / "many"
    out.mkdir()
    for name in ("photo.json", "01_a_annotated.png", "100_p100_annotated.png"):
        (out / name).write_text("x")
    assert check_out_dir(out, kind="photo") == out


def test_a_link_loop_is_refused_not_replaced_by_a_file(tmp_path):
    """`data export --out loop1` and `history --plot loop1` replaced a link loop with a file and
    exited 0, where analyze, report and triage refuse it."""
    a, b = tmp_path / "loop1", tmp_path / "loop2"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(BadInputError, match="link loop"):
        atomic_write(a, lambda fh: fh.write("x"))
    assert a.is_symlink() and b.is_symlink()
    dangling = tmp_path / "to-nothing"
    dangling.symlink_to(tmp_path / "missing")
    atomic_write(dangling, lambda fh: fh.write("x"))  # a link to nothing is written like a missing file
    assert dangling.read_text() == "x"


def test_an_output_folder_name_too_long_for_its_temporary_twin_is_refused_before_the_work(tmp_path):
    """A default --out named after a photo of 240 characters fitted the file system, but the new
    set is first written beside it under a longer temporary name: "File name too long" came only
    after the whole analysis. Now refused at the start, with what to do."""
    import pytest

    from smilescope.errors import BadInputError
    from smilescope.output import check_out_dir

    with pytest.raises(BadInputError, match="Choose a shorter folder name") as e:
        check_out_dir(tmp_path / ("x" * 240))
    assert "240 bytes long" in str(e.value)
    assert check_out_dir(tmp_path / ("x" * 200)).name == "x" * 200
