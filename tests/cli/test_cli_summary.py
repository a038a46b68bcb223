"""The terminal summary of a typed analysis: its numbers, and dashes for what was not measured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from smilescope.cli.summary import render_summary
from smilescope.results import Analysis

from report_data import analysis_folder, nan_numbers


@pytest.fixture
def doc(tmp_path_factory) -> dict:
    return json.loads((analysis_folder(tmp_path_factory) / "analysis.json").read_text())


def _shown(analysis: Analysis) -> str:
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(render_summary(analysis, json_path="out/analysis.json", csv_path="out/signals.csv"))
    return " ".join(console.export_text().split())


def test_real_analysis(doc):
    text = _shown(Analysis.from_dict(doc))
    ex = doc["smile"]["excursion_mm"]
    assert f"smilescope — {doc['video']['path']}" in text
    assert f"mouth-corner excursion {ex['right']:.1f} mm {ex['left']:.1f} mm" in text
    assert f"asymmetry {doc['smile']['asymmetry_pct']:.0f} %" in text
    # d0 smiles for most of its 3 s: too little quiet face to judge twitches
    assert doc["shake"]["quiet_s"] < 2.0 and f"twitches: not judged ({doc['shake']['not_judged']})" in text
    assert f"blinks: {doc['shake']['blinks']['count']}" in text
    assert "wrote out/analysis.json, out/signals.csv" in text and "not a diagnosis" in text


def test_nan_numbers_and_empty_blocks_show_dashes(doc):
    nan = _shown(nan_numbers(Analysis.from_dict(doc)))
    assert "mouth-corner excursion — —" in nan and "scale — mm/px" in nan
    for key in ("smile", "shake", "synkinesis", "head_motion", "peaks"):
        doc[key] = {}
    empty = _shown(Analysis.from_dict(doc))
    assert "head motion x —, y —, roll —, yaw — (range)" in empty
    assert "smiles:" not in empty and "shaking:" not in empty and "twitches:" not in empty
    for text in (nan, empty):
        assert "None" not in text and "nan" not in text.lower()


def test_flags_as_plain_strings(doc):
    doc["flags"] = ["head_tremor"]
    assert "worth noting: head tremor (none):" in _shown(Analysis.from_dict(doc))


def test_twitches_counted_on_enough_quiet_face(doc):
    doc["shake"]["quiet_s"] = 40.0
    text = _shown(Analysis.from_dict(doc))
    assert f"twitches: {len(doc['shake']['twitches'])} in 40 s of face at rest" in text


def test_no_relaxed_face_is_said_not_hidden(doc):
    """A recording without a relaxed face: the summary lists the smiles found by their look and
    says why their movement and sides were not judged (no excursion shown as if measured)."""
    doc["smile"]["relaxed_face"] = False
    doc["smile"]["not_judged"] = "no relaxed face to measure from: the mouth never held still for 0.3 s (talking, or the expression changing throughout)"
    doc["smile"]["excursion_mm"] = {"left": None, "right": None}
    doc["synkinesis"]["judged"] = False
    doc["synkinesis"]["not_judged"] = "no relaxed face to compare the eyes with"
    text = _shown(Analysis.from_dict(doc))
    n = len(doc["smile"]["episodes"])
    assert f"smiles: {n} found by the look of the face" in text
    assert "not judged: no relaxed face to measure from: the mouth never held still for 0.3 s (talking, or the expression changing throughout)" in text
    assert "mouth-corner excursion" not in text
    assert "synkinesis): cannot tell — no relaxed face to compare the eyes with" in text
    # no per-side millimetres from whatever the first frame showed (d3's wink-grin read 25-27 mm)
    assert "largest movement" not in text and "nasolabial" not in text


def test_the_suggested_report_command_is_quoted_for_the_shell(tmp_path):
    """A path with spaces must paste into a shell as one argument."""
    import shlex

    from rich.console import Console

    from smilescope.cli.summary import render_summary
    from smilescope.results import Analysis

    doc = json.loads((Path(__file__).resolve().parents[1] / "data" / "golden" / "liveportrait_d0.json").read_text())
    path = tmp_path / "Zoë smile 1" / "analysis.json"
    console = Console(width=400, record=True, file=open("/dev/null", "w"))
    console.print(render_summary(Analysis.from_dict(doc), json_path=path, csv_path=path.with_name("signals.csv")))
    text = console.export_text()
    assert f"smilescope report {shlex.quote(str(path))}" in text


def test_a_tremor_taken_out_of_the_smiles_is_said(doc):
    """Where the mouth's tremor was taken out before the smiles were measured (a lip tremor left
    no still face), the summary says so beside the smiles; otherwise it says nothing of it."""
    assert "shaking was taken out" not in _shown(Analysis.from_dict(doc))
    doc["smile"]["thresholds"]["tremor_taken_out_hz"] = 5.1
    text = _shown(Analysis.from_dict(doc))
    assert "The mouth shook about 5 times a second throughout, so the face never held still: that shaking was taken out" in text
