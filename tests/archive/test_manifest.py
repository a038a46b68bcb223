"""What a batch reads: a folder's videos, a manifest's rows, and the results folders' names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smilescope.archive.manifest import read_inputs
from smilescope.errors import BadInputError


def _touch(p: Path, data: bytes = b"x") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_a_folder_gives_its_videos_in_sub_folders_and_says_what_it_left_out(tmp_path):
    for rel in ("a.mp4", "clinic/p01/smile.MOV", "clinic/p02/smile.mov", "notes.txt", ".hidden.mp4", "x/.cache/b.mp4"):
        _touch(tmp_path / "v" / rel)
    got = read_inputs(tmp_path / "v")
    assert [i.path.name for i in got.items] == ["a.mp4", "smile.MOV", "smile.mov"]
    assert [i.name for i in got.items] == ["a", "clinic__p01__smile", "clinic__p02__smile"]
    assert all(i.path.is_absolute() for i in got.items)
    assert len(got.notes) == 2 and ".txt x1" in got.notes[0]
    # a hidden video is named (a hidden folder, such as a temporary, is not)
    assert "1 hidden video(s)" in got.notes[1] and ".hidden.mp4" in got.notes[1] and "b.mp4" not in got.notes[1]


def test_the_output_folder_inside_the_videos_folder_is_not_read(tmp_path):
    _touch(tmp_path / "a.mp4")
    _touch(tmp_path / "results" / "a" / "old.mp4")
    assert [i.name for i in read_inputs(tmp_path, out_dir=tmp_path / "results").items] == ["a"]


def test_names_stay_unique_when_stems_meet(tmp_path):
    for rel in ("a.mp4", "a.mov", "b_c.mp4", "b/c.mp4"):
        _touch(tmp_path / rel)
    names = [i.name for i in read_inputs(tmp_path).items]
    assert len(set(n.lower() for n in names)) == len(names) == 4
    assert {"a_mp4", "a_mov"} <= set(names)


def test_a_manifest_carries_subject_session_label_and_reads_paths_from_its_folder(tmp_path):
    _touch(tmp_path / "data" / "v1.mp4")
    m = tmp_path / "data" / "manifest.csv"
    m.write_text("\ufeffPath,Subject,session,label,age\nv1.mp4,P01,week 1,before,54\n/elsewhere/missing.mp4,P02,,,\n",
                 encoding="utf-8")
    got = read_inputs(m)
    one, two = got.items
    assert one.path == (tmp_path / "data" / "v1.mp4").resolve()
    assert (one.subject, one.session, one.label) == ("P01", "week 1", "before")
    assert two.path == Path("/elsewhere/missing.mp4") and two.subject == "P02"  # missing: a failed row later, not refused here
    assert any("age" in n for n in got.notes)


@pytest.mark.parametrize("text,what", [
    ("file,subject\na.mp4,P1\n", "no 'path' column"),
    ("path\n\n", "lists no videos"),
    ("path\na.mp4\n./a.mp4\n", "more than once"),
])
def test_a_manifest_that_cannot_be_used_is_refused_before_any_work(tmp_path, text, what):
    m = tmp_path / "m.csv"
    m.write_text(text)
    with pytest.raises(BadInputError, match=what):
        read_inputs(m)


def test_a_binary_file_named_csv_is_refused_with_what_to_do(tmp_path):
    m = tmp_path / "m.csv"
    m.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(BadInputError, match="UTF-8"):
        read_inputs(m)


def test_a_dataframe_and_a_list_work_as_manifests(tmp_path):
    a = _touch(tmp_path / "a.mp4")
    b = _touch(tmp_path / "b.mp4")
    frame = pd.DataFrame({"path": [str(a), str(b)], "subject": ["S1", None]})
    got = read_inputs(frame).items
    assert [i.subject for i in got] == ["S1", ""]
    assert [i.name for i in read_inputs([a, b]).items] == [i.name for i in got]


def test_an_empty_folder_and_a_missing_source_are_refused(tmp_path):
    with pytest.raises(BadInputError, match="No video files"):
        read_inputs(tmp_path)
    with pytest.raises(BadInputError, match="does not exist"):
        read_inputs(tmp_path / "nope")


def test_two_videos_of_one_name_outside_the_manifest_folder_get_two_folders(tmp_path):
    a = _touch(tmp_path / "d" / "p01" / "smile.mp4")
    b = _touch(tmp_path / "d" / "p02" / "smile.mp4")
    m = tmp_path / "lists" / "m.csv"
    m.parent.mkdir()
    m.write_text(f"path\n{a}\n{b}\n")
    names = [i.name for i in read_inputs(m).items]
    assert len(set(names)) == 2 and all(n.startswith("smile") for n in names)


def test_names_never_take_the_summary_or_a_hidden_name(tmp_path):
    for rel in ("summary.csv.mp4", "summary.mp4", ".x/a.mp4", "..b.mp4"):
        _touch(tmp_path / rel)
    names = [i.name for i in read_inputs(tmp_path).items]
    assert not any(n.startswith(".") for n in names)
    assert not {n.lower() for n in names} & {"summary", "summary.csv", "summary.parquet"}


def test_rows_without_a_path_are_named_and_duplicate_columns_refused(tmp_path):
    _touch(tmp_path / "a.mp4")
    m = tmp_path / "m.csv"
    m.write_text("path,subject\na.mp4,P1\n,P2\n")
    got = read_inputs(m)
    assert len(got.items) == 1 and any("no path" in n and "line 3" in n for n in got.notes)
    m.write_text("path,Path\na.mp4,b.mp4\n")
    with pytest.raises(BadInputError, match="more than once"):
        read_inputs(m)


def test_whole_number_subjects_stay_whole_numbers(tmp_path):
    a = _touch(tmp_path / "a.mp4")
    b = _touch(tmp_path / "b.mp4")
    got = read_inputs(pd.DataFrame({"path": [str(a), str(b)], "subject": [12, None]})).items
    assert [i.subject for i in got] == ["12", ""]


def test_a_file_name_that_is_not_utf8_is_named_and_hashed(tmp_path):
    import os

    weird = Path(os.fsdecode(bytes(tmp_path / "v") + b"/caf\xe9.mp4"))
    weird.parent.mkdir()
    weird.write_bytes(b"x")
    (item,) = read_inputs(tmp_path / "v").items
    assert item.name == "caf"


def test_names_keep_letters_of_any_script(tmp_path):
    """A clinic's files named after people keep their letters (Zoë was cut to 'Zo'); an accent
    written as letter + combining mark (as some file systems store it) is the same letter."""
    _touch(tmp_path / "clinic p1" / "Zoë.mp4")
    _touch(tmp_path / "Jose\u0301 smile.mp4")
    names = sorted(i.name for i in read_inputs(tmp_path).items)
    assert names == ["José_smile", "clinic_p1__Zoë"]


def test_the_advice_for_columns_not_carried_joins_every_row(tmp_path):
    """A manifest's own columns (age, group) are not carried: following the note's advice (resolve
    its relative paths from its folder) joins them to the summary's absolute 'path' on every row."""
    for rel in ("v/p1.mp4", "v/p2.mp4"):
        _touch(tmp_path / rel)
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,subject,age\nv/p1.mp4,p1,61\nv/p2.mp4,p2,70\n")
    got = read_inputs(manifest)
    (note,) = got.notes
    assert "age" in note and "absolute path" in note and str(tmp_path) in note
    summary = pd.DataFrame({"path": [str(i.path) for i in got.items]})
    table = pd.read_csv(manifest)
    table["path"] = [str((manifest.parent / p).resolve()) for p in table["path"]]
    assert len(summary.merge(table, on="path")) == 2
