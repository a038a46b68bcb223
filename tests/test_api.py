"""The Python API as the README shows it: ``smilescope.analyze`` itself, ``Series`` unpacking."""

from __future__ import annotations

import inspect
import os
import pydoc
import subprocess
import sys

import numpy as np

from conftest import ROOT


def test_smilescope_analyze_shows_its_real_signature_and_docstring():
    code = (
        "import smilescope, sys\n"
        "assert 'analyze' in dir(smilescope)\n"  # completion lists it before anything loads
        "assert 'smilescope.pipeline' not in sys.modules\n"  # and the package stays light
        "import inspect, pydoc\n"
        "sig = inspect.signature(smilescope.analyze)\n"
        "print(list(sig.parameters))\n"
        "print(pydoc.plain(pydoc.render_doc(smilescope)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 0, r.stderr
    assert "['path', 'fps', 'mirrored', 'config', 'detector', 'iris_detector', 'progress', 'models', 'one_core', 'stages']" in r.stdout
    helped = r.stdout.split("FUNCTIONS", 1)[1]
    assert "analyze(path" in helped and "Analyse a face video" in helped  # help(smilescope) shows it


def test_analyze_is_the_pipeline_function():
    import smilescope
    from smilescope.pipeline import analyze

    assert smilescope.analyze is analyze
    assert inspect.getdoc(smilescope.analyze).startswith("Analyse a face video")
    assert "analyze" in pydoc.plain(pydoc.render_doc(smilescope)).split("FUNCTIONS", 1)[1]


def test_batch_is_the_archive_function_and_loads_dask_only_when_used():
    code = ("import sys, smilescope\n"
            "assert 'distributed' not in sys.modules and 'pandas' not in sys.modules\n"
            "from smilescope.archive.runner import batch\n"
            "assert smilescope.batch is batch\n"
            "print(smilescope.batch.__doc__.splitlines()[0])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 0, r.stderr
    assert "summary" in r.stdout


def test_series_unpacks_as_the_readme_shows():
    from smilescope.signals import SignalTable

    t = np.arange(4) / 30
    table = SignalTable(t_s=t, valid=np.array([True, True, False, True]),
                        columns={"mouth_corner_left_x_mm": np.array([0.0, 1.0, 2.0, np.nan])})
    t_s, values, valid = table.series("mouth_corner_left_x_mm")
    np.testing.assert_array_equal(t_s, t)
    np.testing.assert_array_equal(values[:3], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(valid, [True, True, False, False])
    assert "t_s, values, valid" in (ROOT / "README.md").read_text()


def test_mediapipe_log_lines_are_silenced_and_ours_are_kept():
    code = (
        "import os, sys, warnings, smilescope\n"
        "smilescope.analyze('examples/d0.mp4')\n"
        "warnings.warn('a python warning')\n"
        "raise SystemExit('bye')\n"  # printed by Python as it exits: must not be lost
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 1
    for chatter in ("W0000", "TensorFlow Lite", "absl::InitializeLog", "inference_feedback_manager"):
        assert chatter not in r.stderr, r.stderr
    assert "a python warning" in r.stderr and "bye" in r.stderr


def test_a_fresh_result_names_its_columns_as_one_read_back():
    """signal_columns and signal_units were empty on a fresh result and filled only on one
    read back from analysis.json."""
    import json

    from smilescope.results import Analysis
    from smilescope.signals import SignalTable

    doc = json.loads((ROOT / "tests" / "data" / "golden" / "liveportrait_d0.json").read_text())
    read = Analysis.from_dict(doc)
    table = SignalTable(t_s=np.arange(3) / 30, valid=np.ones(3, bool),
                        columns={"mouth_corner_left_x_mm": np.zeros(3), "head_roll_deg": np.zeros(3)})
    fresh = Analysis(**{**{f: getattr(read, f) for f in ("video", "quality", "head_motion", "smile", "shake", "blinks",
                                                          "twitches", "synkinesis", "flags", "reference", "peaks")},
                        "signals": table})
    assert fresh.signal_columns == ["t_s", "valid", "mouth_corner_left_x_mm", "head_roll_deg"]
    assert fresh.signal_units == {"mouth_corner_left_x_mm": "mm", "head_roll_deg": "deg"}
    again = Analysis.from_dict(json.loads(fresh.to_json()))
    assert again.signal_columns == fresh.signal_columns and again.signal_units == fresh.signal_units


def test_an_analysis_of_schema_1_reads_with_the_names_of_schema_2():
    """Schema 1 named the video's size ``width``/``height`` and the speech ``stretches``; schema 2
    names their units (px, s). A file written by an earlier version still reads, into the new
    names, and writes out as schema 2."""
    import json

    from smilescope.results import SCHEMA_VERSION, Analysis

    doc = json.loads((ROOT / "tests" / "data" / "golden" / "liveportrait_d0.json").read_text())
    video = {("width" if k == "width_px" else "height" if k == "height_px" else k): v for k, v in doc["video"].items()}
    speech = {("stretches" if k == "stretches_s" else k): v for k, v in doc["shake"]["speech"].items()}
    old = {**doc, "schema_version": 1, "video": video, "shake": {**doc["shake"], "speech": speech}}
    read = Analysis.from_dict(old)
    assert (read.video.width_px, read.video.height_px) == (doc["video"]["width_px"], doc["video"]["height_px"])
    assert [list(s) for s in read.shake.speech.stretches_s] == doc["shake"]["speech"]["stretches_s"]
    again = json.loads(read.to_json())
    assert again["schema_version"] == SCHEMA_VERSION == 3
    assert "width" not in again["video"] and "stretches" not in again["shake"]["speech"]


def _goldens() -> dict[str, dict]:
    import json

    docs = {f.stem: json.loads(f.read_text()) for f in sorted((ROOT / "tests" / "data" / "golden").glob("*.json"))}
    return {k: d for k, d in docs.items() if "smile" in d}  # (one video has no analysis: its face is too small)


def test_what_was_not_judged_is_null_never_a_finding():
    """On the 14 real videos with an analysis: a weaker side is null exactly where the sides were
    not compared (the recording's: ``sides_compared_on`` empty; a smile's: a reason it was not
    measured, no relaxed face, or the head turned too far), and "none" only where they were
    compared and came out even. A tremor that could not be judged has ``detected`` and ``side``
    null; one that was judged says true or false. Schema 2 wrote "none" and false there, which
    read as findings ("no side weaker", "no tremor")."""
    from smilescope.measures.smile import compared_on

    docs = _goldens()
    assert len(docs) == 14
    seen = {"null": 0, "judged": 0, "tremor null": 0, "tremor judged": 0}
    for name, doc in docs.items():
        sm, tr = doc["smile"], doc["shake"]["tremor"]
        assert (sm["weaker_side"] is None) == (sm["sides_compared_on"] == ""), name
        seen["null" if sm["weaker_side"] is None else "judged"] += 1
        for e in sm["episodes"]:
            compared = (not e["not_judged"] and sm["relaxed_face"] is not False
                        and compared_on(e["head_turn_deg"] if e["head_turn_deg"] is not None else float("nan")) != "")
            assert (e["weaker_side"] is not None) == compared, (name, e["apex_s"])
            assert e["weaker_side"] in (None, "none", "left", "right")
        assert (tr["detected"] is None) == bool(tr["not_judged"]) == (tr["side"] is None), name
        seen["tremor null" if tr["detected"] is None else "tremor judged"] += 1
    assert all(seen.values()), seen  # both kinds occur among the real videos


def test_an_analysis_of_schema_2_reads_what_was_not_judged_as_null():
    """Schema 2 wrote "none" and false for what was not judged; read back, they become null
    where the file's own reasons say the sides or the tremor were not judged, and stay where
    they were findings."""
    import json

    from smilescope.results import Analysis

    checked = 0
    for name, doc in _goldens().items():
        sm, tr = doc["smile"], doc["shake"]["tremor"]
        old_smile = {**sm, "weaker_side": sm["weaker_side"] or "none",
                     "episodes": [{**e, "weaker_side": e["weaker_side"] or "none"} for e in sm["episodes"]]}
        old_tremor = {**tr, "detected": bool(tr["detected"]), "side": tr["side"] or "none"}
        old = {**doc, "schema_version": 2, "smile": old_smile, "shake": {**doc["shake"], "tremor": old_tremor}}
        again = json.loads(Analysis.from_dict(old).to_json())
        assert again["smile"]["weaker_side"] == sm["weaker_side"], name
        assert [e["weaker_side"] for e in again["smile"]["episodes"]] == [e["weaker_side"] for e in sm["episodes"]], name
        assert (again["shake"]["tremor"]["detected"], again["shake"]["tremor"]["side"]) == (tr["detected"], tr["side"]), name
        checked += 1
    assert checked == 14


# Numbers that are counts, ratios or scores: no unit to name. Everything else in analysis.json
# names its unit, in its own name or in the name of the block that holds it (``excursion_mm``:
# {"left", "right"}).
DIMENSIONLESS = {
    "schema_version", "fps", "frames", "count", "winks", "repetitions", "tracking_jumps_mended",  # counts
    "face_frames_ratio", "valid_frames_ratio", "refined_fraction", "held_fraction", "share", "peak_share",  # ratios
    "head_scale_rms", "head_scale_range", "mm_per_px_spread",  # relative sizes
    "snr", "consistency", "spatial_coherence", "dental_show", "side_diff_pts",  # scores
}


def test_every_number_in_an_analysis_names_its_unit():
    import json

    from smilescope.signals import UNIT_SUFFIXES

    units = tuple(s for s, _ in UNIT_SUFFIXES) + ("_pct", "_mm2")
    unnamed = set()

    def walk(x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + (k,))
        elif isinstance(x, list):
            for v in x:
                walk(v, path)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            named = [k for k in path if k.endswith(units)]
            if not named and path[-1] not in DIMENSIONLESS and path[:2] != ("quality", "invalid_reasons"):
                unnamed.add(".".join(path))

    for golden in (ROOT / "tests" / "data" / "golden").glob("*.json"):
        doc = json.loads(golden.read_text())
        doc.pop("signals", None)  # column names: checked by unit_of in the signal tests
        walk(doc, ())
    assert not unnamed, sorted(unnamed)


def test_smilescope_photo_writes_the_folder_the_command_writes(tmp_path):
    """``smilescope.photo(..., out=)`` from Python gives the same photo.json and pictures as
    ``smilescope photo``; a single path and a single expression are taken as they are."""
    import json

    from typer.testing import CliRunner

    import smilescope
    from smilescope.cli import app
    from conftest import FACES

    result = smilescope.photo(FACES / "yale01.jpg", expressions="rest", out=tmp_path / "py")
    assert [r.expression for r in result.photos] == ["rest"]
    r = CliRunner().invoke(app, ["photo", str(FACES / "yale01.jpg"), "--out", str(tmp_path / "cli")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "py").iterdir()) == sorted(p.name for p in (tmp_path / "cli").iterdir())
    py, cli = (json.loads((tmp_path / d / "photo.json").read_text()) for d in ("py", "cli"))
    assert py == cli == json.loads(json.dumps(result.document))
    doc, photos = result  # unpacks as analyze_photos' (document, results)
    assert photos[0].static == result.photos[0].static


def test_smilescope_photo_refuses_a_folder_of_other_files_before_reading_any_photo(tmp_path):
    import pytest

    import smilescope

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("keep me")
    with pytest.raises(smilescope.BadInputError) as e:
        smilescope.photo(tmp_path / "no-such-photo.jpg", out=tmp_path / "mine")
    assert "holds files smilescope did not write (thesis.docx)" in e.value.what  # the folder, not the missing photo
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "keep me"
