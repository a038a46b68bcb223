"""Tremor against ground truth: rendered oscillations of known frequency, amplitude, side and region."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope import synth
from smilescope.measures.shake import uniform
from smilescope.pipeline import analyze

from conftest import FACES

CASES = [  # face, fps, Hz, amplitude mm, landmark, side, region
    ("yale01", 30, 6.0, 0.5, lm.MOUTH_CORNER["left"], "left", "mouth"),
    ("astronaut", 30, 9.0, 0.3, lm.MOUTH_CORNER["right"], "right", "mouth"),
    ("faceapi_neutral", 60, 12.0, 0.5, lm.MOUTH_CORNER["left"], "left", "mouth"),
    ("yale05", 30, 4.0, 1.0, lm.UPPER_LID["right"], "right", "eye"),
    ("astronaut", 60, 6.0, 1.5, lm.UPPER_LID["left"], "left", "eye"),
    ("takeo", 60, 4.0, 0.3, lm.MOUTH_CORNER["right"], "right", "mouth"),
    ("yale01", 60, 9.0, 0.8, lm.UPPER_LID["right"], "right", "eye"),
    ("faceapi_neutral", 30, 6.0, 1.0, lm.UPPER_LID["left"], "left", "eye"),
]


@pytest.mark.parametrize("face_name,fps,hz,amp,landmark,side,region", CASES)
def test_tremor_frequency_amplitude_side_region(tmp_path, face_name, fps, hz, amp, landmark, side, region):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    mo = synth.tremor_motions(face, landmark=landmark, amp_mm=amp, freq_hz=hz, direction_deg=-90)
    synth.render(tmp_path / "t.mp4", face=face, fps=fps, duration_s=5.0, motions=mo, write_truth=False)
    res = analyze(tmp_path / "t.mp4")
    t = res.shake["tremor"]
    assert t["detected"]
    assert t["frequency_hz"] == pytest.approx(hz, abs=0.3)
    assert t["amplitude_mm"] == pytest.approx(amp, rel=0.3)
    assert t["side"] == side and t["region"] == region and t["phase"] == "rest"
    assert not res.shake["head"]["tremor_detected"]
    assert t["laterality_index"] == pytest.approx(1.0 if side == "left" else -1.0, abs=0.5)
    assert {f["id"]: f["side"] for f in res.flags}.get("one_sided_shaking") == side


@pytest.mark.parametrize("face_name", ["astronaut", "faceapi_neutral", "yale01", "yale05", "takeo"])
def test_still_faces_have_no_tremor(tmp_path, face_name):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    for seed in (1, 2):
        synth.render(tmp_path / "s.mp4", face=face, fps=30, duration_s=4.0, noise_sigma=3.0, seed=seed, write_truth=False)
        res = analyze(tmp_path / "s.mp4")
        assert not res.shake["tremor"]["detected"], res.shake["tremor"]["by_region"]
        assert not res.shake["head"]["tremor_detected"]
        assert res.shake["twitches"] == []
        assert res.flags == []


@pytest.mark.parametrize("face_name,fps,hz,amp", [("yale05", 30, 6.0, 0.6), ("takeo", 60, 12.0, 0.5)])
def test_tremor_on_both_sides(tmp_path, face_name, fps, hz, amp):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    mo = ()
    for side in lm.SIDES:
        mo += synth.tremor_motions(face, landmark=lm.MOUTH_CORNER[side], amp_mm=amp, freq_hz=hz, direction_deg=-90)
    synth.render(tmp_path / "b.mp4", face=face, fps=fps, duration_s=5.0, motions=mo, write_truth=False)
    res = analyze(tmp_path / "b.mp4")
    t = res.shake["tremor"]
    assert t["detected"] and t["side"] == "both" and t["region"] == "mouth"
    assert t["frequency_hz"] == pytest.approx(hz, abs=0.3)
    assert t["amplitude_mm"] == pytest.approx(amp, rel=0.3)
    assert abs(t["laterality_index"]) < 0.5
    assert not any(f["id"] == "one_sided_shaking" for f in res.flags)
    assert any(f["id"] == "shaking_at_rest" for f in res.flags)


def test_head_oscillation_is_head_tremor_not_facial(tmp_path):
    face = synth.load_face(FACES / "yale01.jpg")
    head = synth.HeadMotion(tx_mm=1.0, ty_mm=0.5, rot_deg=0.5, profile=lambda t: np.sin(2 * np.pi * 5.0 * np.asarray(t)))
    synth.render(tmp_path / "h.mp4", face=face, fps=30, duration_s=5.0, head=head, write_truth=False)
    res = analyze(tmp_path / "h.mp4")
    assert res.shake["head"]["tremor_detected"]
    assert res.shake["head"]["frequency_hz"] == pytest.approx(5.0, abs=0.3)
    assert not res.shake["tremor"]["detected"]
    assert [f["id"] for f in res.flags] == ["head_tremor"]


def test_uniform_resampling_uses_timestamps():
    t = np.cumsum(np.r_[0, np.where(np.arange(299) % 2, 1 / 20, 1 / 40)])  # variable frame rate
    x = np.sin(2 * np.pi * 0.5 * t)
    grid, y, fs = uniform(t, x, np.ones(len(t), bool))
    assert fs == pytest.approx(1 / np.median(np.diff(t)))
    np.testing.assert_allclose(y, np.sin(2 * np.pi * 0.5 * grid), atol=0.01)
