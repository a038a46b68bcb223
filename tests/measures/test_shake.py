"""Tremor against ground truth: rendered oscillations of known frequency, amplitude, side and region."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.measures.shake import COHERENCE_MIN, spatial_coherence, tremor
from smilescope.testing import synth
from smilescope.pipeline import HEAD_SIGNALS, PipelineConfig, analyze
from smilescope.signals import FACIAL_SIGNALS, SignalTable

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
    t = res.shake.tremor
    assert t.detected
    assert t.frequency_hz == pytest.approx(hz, abs=0.3)
    assert t.amplitude_mm == pytest.approx(amp, rel=0.3)
    # the astronaut photo smiles throughout (no relaxed face): its tremor is one while smiling
    assert t.side == side and t.region == region and t.phase == ("smile" if face_name == "astronaut" else "rest")
    assert not res.shake.head.tremor_detected
    assert t.laterality_index == pytest.approx(1.0 if side == "left" else -1.0, abs=0.5)
    assert {f.id: f.side for f in res.flags}.get("one_sided_shaking") == side


@pytest.mark.parametrize("face_name", ["astronaut", "faceapi_neutral", "yale01", "yale05", "takeo"])
def test_still_faces_have_no_tremor(tmp_path, face_name):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    for seed in (1, 2):
        synth.render(tmp_path / "s.mp4", face=face, fps=30, duration_s=4.0, noise_sigma=3.0, seed=seed, write_truth=False)
        res = analyze(tmp_path / "s.mp4")
        assert not res.shake.tremor.detected, res.shake.tremor.by_region
        assert not res.shake.head.tremor_detected
        assert res.twitches.twitches == []
        assert res.flags == []


@pytest.mark.parametrize("face_name,fps,hz,amp", [("yale05", 30, 6.0, 0.6), ("takeo", 60, 12.0, 0.5)])
def test_tremor_on_both_sides(tmp_path, face_name, fps, hz, amp):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    mo = ()
    for side in lm.SIDES:
        mo += synth.tremor_motions(face, landmark=lm.MOUTH_CORNER[side], amp_mm=amp, freq_hz=hz, direction_deg=-90)
    synth.render(tmp_path / "b.mp4", face=face, fps=fps, duration_s=5.0, motions=mo, write_truth=False)
    res = analyze(tmp_path / "b.mp4")
    t = res.shake.tremor
    assert t.detected and t.side == "both" and t.region == "mouth"
    assert t.frequency_hz == pytest.approx(hz, abs=0.3)
    assert t.amplitude_mm == pytest.approx(amp, rel=0.3)
    assert abs(t.laterality_index) < 0.5
    assert not any(f.id == "one_sided_shaking" for f in res.flags)
    assert any(f.id == "shaking_at_rest" for f in res.flags)


def test_head_oscillation_is_head_tremor_not_facial(tmp_path):
    face = synth.load_face(FACES / "yale01.jpg")
    head = synth.HeadMotion(tx_mm=1.0, ty_mm=0.5, rot_deg=0.5, profile=lambda t: np.sin(2 * np.pi * 5.0 * np.asarray(t)))
    synth.render(tmp_path / "h.mp4", face=face, fps=30, duration_s=5.0, head=head, write_truth=False)
    res = analyze(tmp_path / "h.mp4")
    assert res.shake.head.tremor_detected
    assert res.shake.head.frequency_hz == pytest.approx(5.0, abs=0.3)
    assert not res.shake.tremor.detected
    assert [f.id for f in res.flags] == ["head_tremor"]


# --- spatial coherence: a tremor moves the skin of a region together -------------------------

def _noise_table(fs: float, dur_s: float, seed: int, sigma_mm: float = 0.03,
                 names=(*FACIAL_SIGNALS, *HEAD_SIGNALS)) -> SignalTable:
    """Signals (every facial and head one by default) as independent white measurement noise;
    eyes open (10 mm)."""
    t = np.arange(0.0, dur_s, 1.0 / fs)
    r = np.random.default_rng(seed)
    cols = {k: r.normal(0.0, sigma_mm, len(t)) for k in names}
    for side in lm.SIDES:
        if f"palpebral_{side}_height_mm" in cols:
            cols[f"palpebral_{side}_height_mm"] += 10.0
    return SignalTable(t, np.ones(len(t), bool), cols)


@pytest.mark.parametrize("fs,dur_s,max_rate", [(30, 5.0, 0.10), (60, 5.0, 0.10), (30, 30.0, 0.01)])
def test_independent_noise_is_rarely_coherent(fs, dur_s, max_rate):
    """Chance coherence between two points with independent noise, at a random frequency."""
    hits = 0
    main, near = ("mouth_corner_left_x_mm", "mouth_corner_left_y_mm"), ("mouth_near_left_x_mm", "mouth_near_left_y_mm")
    for seed in range(200):
        tab = _noise_table(fs, dur_s, seed, names=main + near)
        f0 = np.random.default_rng(1000 + seed).uniform(3.0, fs / 2 - 1.0)
        msc = spatial_coherence(tab, main, near, None, f0)
        hits += msc >= COHERENCE_MIN
    assert hits / 200 <= max_rate


@pytest.mark.parametrize("near_col", ["mouth_near_left_y_mm", "mouth_near_left_x_mm"])
def test_shared_oscillation_is_coherent_in_whichever_component_carries_it(near_col):
    """The second point moves at half the amplitude, in the same or (an edge tracked across
    itself) the other component: coherent either way."""
    for seed in range(20):
        tab = _noise_table(30, 5.0, seed)
        s = 0.4 * np.sin(2 * np.pi * 6.0 * tab.t_s + 0.3)
        tab.columns["mouth_corner_left_y_mm"] += s
        tab.columns[near_col] += 0.5 * s
        msc = spatial_coherence(tab, ("mouth_corner_left_x_mm", "mouth_corner_left_y_mm"),
                                ("mouth_near_left_x_mm", "mouth_near_left_y_mm"), None, 6.0)
        assert msc > 0.9


def test_spatial_coherence_needs_the_near_columns():
    tab = _noise_table(30, 5.0, 0)
    del tab.columns["mouth_near_left_x_mm"]
    assert spatial_coherence(tab, ("mouth_corner_left_x_mm",), ("mouth_near_left_x_mm",), None, 6.0) is None


@pytest.mark.parametrize("region,main,near", [
    ("mouth", "mouth_corner_right_y_mm", "mouth_near_right_y_mm"),
    ("eye", "upper_lid_left_y_mm", "upper_lid_near_left_y_mm"),
    ("brow", "brow_right_height_mm", "brow_near_right_y_mm"),
    ("cheek", "cheek_left_x_mm", "cheek_near_left_x_mm"),
])
def test_tremor_is_called_only_when_the_regions_second_point_shares_it(region, main, near):
    side = "right" if "_right_" in main else "left"
    tab = _noise_table(30, 6.0, 7)
    s = 0.5 * np.sin(2 * np.pi * 6.0 * tab.t_s)
    tab.columns[main] = tab.columns[main] + s
    one = tremor(tab, noise_floor_mm=0.03)
    pk = next(p for p in one.by_region if p.region == region and p.side == side)
    assert pk.frequency_hz == pytest.approx(6.0, abs=0.3) and pk.snr >= 10 and pk.consistency == 1.0
    assert pk.spatial_coherence < COHERENCE_MIN and not pk.detected
    assert not one.tremor.detected
    tab.columns[near] = tab.columns[near] + 0.6 * s
    both = tremor(tab, noise_floor_mm=0.03)
    assert both.tremor.detected and both.tremor.region == region and both.tremor.side == side
    assert both.tremor.frequency_hz == pytest.approx(6.0, abs=0.3)
    assert both.tremor.amplitude_mm == pytest.approx(0.5, rel=0.3)


LOCAL = [  # face, fps, Hz, amplitude mm, landmark, region, side
    ("takeo", 60, 9.0, 0.8, lm.MOUTH_CORNER["right"], "mouth", "right"),
    ("yale01", 30, 6.0, 0.8, lm.MOUTH_CORNER["left"], "mouth", "left"),
    ("astronaut", 30, 6.0, 1.0, lm.UPPER_LID["right"], "eye", "right"),
    ("faceapi_neutral", 30, 5.0, 1.0, lm.UPPER_LID["left"], "eye", "left"),
]


@pytest.mark.parametrize("face_name,fps,hz,amp,landmark,region,side", LOCAL)
def test_oscillation_of_one_spot_is_not_a_region_tremor(tmp_path, face_name, fps, hz, amp, landmark, region, side):
    """Skin moving only within 3.5 mm of one landmark, with the region's second point and its
    optical-flow patch outside the moving skin: the peak is there, but not coherent.

    Rendered losslessly: H.264 at the usual quality (crf 18) can let the moving skin leak into
    the neighbouring blocks (once 15 % of the amplitude, in phase, 9 mm away), which the
    coherence then sees; that is a limit of compressed video, noted in ``shake``."""
    face = synth.load_face(FACES / f"{face_name}.jpg")
    motion = synth.PointMotion(landmark, 0.0, -amp, lambda t: np.sin(2 * np.pi * hz * np.asarray(t)),
                               radius_mm=0.5, decay_mm=3.0 * amp)
    near = lm.NEAR[region][side]
    gap_mm = np.linalg.norm(face.landmarks_px[near, :2] - face.landmarks_px[landmark, :2]) * face.mm_per_px
    assert gap_mm - PipelineConfig().lk_window_mm / 2 > motion.radius_mm + motion.decay_width_mm  # truth: it is still
    synth.render(tmp_path / "p.mp4", face=face, fps=fps, duration_s=6.0, motions=(motion,), write_truth=False, crf=0)
    res = analyze(tmp_path / "p.mp4")
    pk = next(p for p in res.shake.tremor.by_region if p.region == region and p.side == side)
    assert pk.frequency_hz == pytest.approx(hz, abs=0.3) and pk.snr >= 10
    assert pk.spatial_coherence < COHERENCE_MIN
    assert not res.shake.tremor.detected
