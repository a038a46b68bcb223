"""Tremor against ground truth: rendered oscillations of known frequency, amplitude, side and region."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.measures.shake import (COHERENCE_MIN, find_peak, oscillation_presence, region_spectrum,
                                       spatial_coherence, tremor)
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
    assert res.twitches.twitches == []  # no half cycle of a tremor is a twitch


PART_TIME = [  # face, fps, Hz, amplitude mm, landmark, side, region, (start, stop) s of an 8 s clip
    ("yale01", 30, 9.0, 1.0, lm.UPPER_LID["right"], "right", "eye", (1.0, 4.0)),
    ("yale05", 60, 9.0, 0.8, lm.UPPER_LID["left"], "left", "eye", (3.5, 7.0)),
    ("faceapi_neutral", 60, 12.0, 0.5, lm.UPPER_LID["right"], "right", "eye", (0.5, 4.5)),
    ("yale05", 60, 12.0, 0.8, lm.MOUTH_CORNER["left"], "left", "mouth", (2.0, 5.5)),
]


@pytest.mark.parametrize("face_name,fps,hz,amp,landmark,side,region,on", PART_TIME)
def test_tremor_in_part_of_the_recording(tmp_path, face_name, fps, hz, amp, landmark, side, region, on):
    """A tremor that comes and goes (eyelid myokymia, rest tremor): found with its frequency and
    its amplitude while present, and no twitches. The 9 Hz lid tremor at 30 fps in the first
    half was missed (its peak did not dominate the second half) and its amplitude, from a
    spectrum averaged over the whole clip, read 20-45 % low."""
    face = synth.load_face(FACES / f"{face_name}.jpg")
    mo = synth.tremor_motions(face, landmark=landmark, amp_mm=amp, freq_hz=hz, direction_deg=-90, start_s=on[0],
                              stop_s=on[1], fade_s=0.2)
    synth.render(tmp_path / "p.mp4", face=face, fps=fps, duration_s=8.0, motions=mo, write_truth=False)
    res = analyze(tmp_path / "p.mp4")
    t = res.shake.tremor
    assert t.detected and t.region == region and t.side == side and t.phase == "rest"
    assert t.frequency_hz == pytest.approx(hz, abs=0.3)
    assert t.amplitude_mm == pytest.approx(amp, rel=0.3)
    assert res.twitches.twitches == []


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


@pytest.mark.parametrize("laugh_s", [1.5, 2.5, 4.0])
def test_a_head_bobbing_with_laughter_is_not_head_tremor(laugh_s):
    """A 20 s recording with one bout of laughter: the head bounces 2 mm at 5 Hz while the jaw
    drops 0-8 mm with each "ha" (a laugh pulses at 4-5 Hz). The lips' opening shares the head's
    rhythm, which a head tremor alone cannot make (it moves both lips together): no head
    tremor. The same head bouncing with the lips still is head tremor."""
    tab = _noise_table(30, 20.0, 0, sigma_mm=0.1)
    t = tab.t_s
    bout = (t >= 8.0) & (t < 8.0 + laugh_s)
    beat = np.sin(2 * np.pi * 5.0 * t) * bout
    tab.columns["head_y_mm"] += 2.0 * beat
    still = tremor(tab, noise_floor_mm=0.1)
    assert still.head.tremor_detected and still.head.frequency_hz == pytest.approx(5.0, abs=0.3)
    tab.columns["lower_lip_y_mm"] += 4.0 * (1 + beat) * bout
    laughing = tremor(tab, noise_floor_mm=0.1)
    assert not laughing.head.tremor_detected and laughing.head.frequency_hz is None
    # nor is it "no head tremor": a head tremor at the laugh's rhythm could not be told from it
    # (a long bout reads as talking)
    assert laughing.head.tremor_detected is None and ("the head moved at the rhythm of the lips' opening" in laughing.head.not_judged
                                                      or laughing.head.not_judged.startswith("talking: the head moves"))


def test_no_head_tremor_is_said_only_where_one_could_have_been_seen():
    """A still head over 20 s of quiet face: judged, none. The same head while talking (the
    head bobs with speech at its rate), in a picture too unsteady for a 1 mm tremor to pass
    the amplitude gate, or over too short a stretch: not judged, with the reason, where it
    read "No head tremor was found" before. A head tremor beside talking, at its own rate, is
    still found."""
    from test_speech import _talk as talking_lips  # syllables at 3-7 a second, as in speech

    quiet = _noise_table(30, 20.0, 0, sigma_mm=0.1)
    still = tremor(quiet, noise_floor_mm=0.1).head
    assert still.tremor_detected is False and still.judged and still.to_dict()["judged"] is True
    assert tremor(quiet, noise_floor_mm=1.0).head.not_judged.startswith("too unsteady")
    assert tremor(_noise_table(30, 1.5, 0), noise_floor_mm=0.1).head.not_judged.startswith("too short")
    talking = _noise_table(30, 20.0, 0, sigma_mm=0.1)
    talking.columns["lower_lip_y_mm"] -= talking_lips(talking.t_s, 0.0, 20.0)
    res = tremor(talking, noise_floor_mm=0.1)
    assert res.speech.detected and res.head.tremor_detected is None and res.head.not_judged.startswith("talking")
    talking.columns["head_y_mm"] += 1.5 * np.sin(2 * np.pi * 9.0 * talking.t_s)
    shaking = tremor(talking, noise_floor_mm=0.1).head
    assert shaking.tremor_detected and shaking.frequency_hz == pytest.approx(9.0, abs=0.3) and shaking.judged


@pytest.mark.parametrize("where", ["head", "eyes"])
def test_one_laugh_does_not_hide_a_tremor_of_the_whole_recording(where):
    """A head tremor (1.5 mm at 4.8 Hz), or an eyelid tremor of both eyes (5 Hz), through 20 s,
    with one 2.5 s laugh bout whose lips open at 5 Hz. The lips share the tremor's rhythm only
    during the bout; outside it the tremor is still there, so the laugh does not explain it
    (it hid it: the head tremor became "none", the eye tremor was set aside as laughter)."""
    tab = _noise_table(30, 20.0, 0, sigma_mm=0.1)
    t = tab.t_s
    if where == "head":
        tab.columns["head_y_mm"] += 1.5 * np.sin(2 * np.pi * 4.8 * t)
    else:
        lid = np.sin(2 * np.pi * 5.0 * t)
        for side in lm.SIDES:
            tab.columns[f"palpebral_{side}_height_mm"] -= 0.8 * lid
            for name in (f"upper_lid_{side}_y_mm", f"upper_lid_near_{side}_y_mm"):
                tab.columns[name] += 0.4 * lid
    bout = (t >= 8.0) & (t < 10.5)
    tab.columns["lower_lip_y_mm"] += 4.0 * (1 + np.sin(2 * np.pi * 5.0 * t)) * bout
    res = tremor(tab, noise_floor_mm=0.1)
    if where == "head":
        assert res.head.tremor_detected and res.head.frequency_hz == pytest.approx(4.8, abs=0.3)
    else:
        assert res.tremor.detected and res.tremor.region == "eye" and res.tremor.side == "both"


def test_eyes_and_cheeks_pulsing_with_laughter_are_not_tremor():
    """A 2.5 s laugh bout in 20 s: with each "ha" (5 Hz) the jaw drops 0-8 mm, the cheeks rise
    1-2 mm and both eyes squeeze by 1-2 mm. The eyes' rhythm is the laugh's, as the lips' opening
    shows: no tremor. The same eye rhythm with the lips still is an eye tremor on both sides."""
    tab = _noise_table(30, 20.0, 0, sigma_mm=0.1)
    t = tab.t_s
    bout = (t >= 8.0) & (t < 10.5)
    pulse = (1 + np.sin(2 * np.pi * 5.0 * t)) * bout
    for side in lm.SIDES:
        tab.columns[f"palpebral_{side}_height_mm"] -= 1.0 * pulse
        for name in (f"upper_lid_{side}_y_mm", f"upper_lid_near_{side}_y_mm"):
            tab.columns[name] += 0.5 * pulse
        for name in (f"cheek_{side}_y_mm", f"cheek_near_{side}_y_mm"):
            tab.columns[name] -= 1.0 * pulse
    still_lips = tremor(tab, noise_floor_mm=0.1)
    assert still_lips.tremor.detected and still_lips.tremor.region == "eye" and still_lips.tremor.side == "both"
    tab.columns["lower_lip_y_mm"] += 4.0 * pulse
    laughing = tremor(tab, noise_floor_mm=0.1).tremor
    assert not laughing.detected
    assert all(p.speech_like for p in laughing.by_region if p.region in ("eye", "cheek"))


def test_a_jaw_tremor_that_opens_the_lips_is_not_judged_rather_than_no_tremor():
    """A Parkinsonian jaw tremor: the lower lip and both mouth corners move 0.8 mm at 5 Hz
    throughout, without speech. The lips' opening shares the corners' rhythm, as a laugh's does,
    so the rhythm is set aside; the block then said a judged "no tremor". Nothing tells a laugh
    from a jaw tremor here: "not judged", with the reason, and no side. The corners' tremor with
    the lips' opening unchanged is found."""
    tab = _noise_table(30, 20.0, 2, sigma_mm=0.1)
    jaw = 0.8 * np.sin(2 * np.pi * 5.0 * tab.t_s)
    for side in lm.SIDES:
        for name in (f"mouth_corner_{side}_y_mm", f"mouth_near_{side}_y_mm"):
            tab.columns[name] += jaw
    corners = tremor(tab, noise_floor_mm=0.1).tremor
    assert corners.detected and corners.region == "mouth" and corners.side == "both"
    tab.columns["lower_lip_y_mm"] += jaw
    res = tremor(tab, noise_floor_mm=0.1)
    assert not res.speech.detected
    assert res.tremor.detected is None and res.tremor.side is None and not res.tremor.judged
    assert "lips' opening" in res.tremor.not_judged


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


# --- a tremor that comes and goes; the amplitude while it is there -----------------------------

def _burst(t, hz, amp, on):
    return np.where((t >= on[0]) & (t <= on[1]), amp * np.sin(2 * np.pi * hz * t), 0.0)


def test_presence_reads_the_amplitude_while_the_tremor_is_there():
    """A 9 Hz lid tremor of 0.8 mm for 2.5 s of 8 s: a spectrum of the whole recording averages
    its power over time (reads about sqrt(2.5 / 8), 44 % low); the demodulated amplitude does not."""
    tab = _noise_table(30, 8.0, 21)
    tab.columns["upper_lid_left_y_mm"] += _burst(tab.t_s, 9.0, 0.8, (3.0, 5.5))
    pres = oscillation_presence(tab, ("upper_lid_left_y_mm",), None, 9.0)
    assert pres.amplitude_mm == pytest.approx(0.8, rel=0.1)
    assert pres.present_s == pytest.approx(2.5, abs=0.6) and pres.span_s == pytest.approx((3.0, 5.5), abs=0.5)
    spec, a, b, fs = region_spectrum(tab, ("upper_lid_left_y_mm",))
    diluted = find_peak(spec, a, b, fs, region="eye", side="left")
    assert diluted.frequency_hz == pytest.approx(9.0, abs=0.3) and diluted.amplitude_mm < 0.65


def test_presence_takes_the_noise_off_and_combines_views_of_one_movement():
    tab = _noise_table(30, 6.0, 22, sigma_mm=0.1)
    s = np.sin(2 * np.pi * 6.0 * tab.t_s)
    tab.columns["upper_lid_right_y_mm"] += 0.3 * s
    assert oscillation_presence(tab, ("upper_lid_right_y_mm",), None, 6.0).amplitude_mm == pytest.approx(0.3, rel=0.15)
    # the upper lid moves 1 mm, the lower lid with it by 0.4: the opening changes by 0.6
    tab.columns["upper_lid_left_y_mm"] += 1.0 * s
    tab.columns["palpebral_left_height_mm"] += 0.6 * s
    eye = ("upper_lid_left_y_mm", "palpebral_left_height_mm")
    assert oscillation_presence(tab, eye, None, 6.0, combine="larger").amplitude_mm == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError, match="'combine'"):
        oscillation_presence(tab, eye, None, 6.0, combine="sum")


@pytest.mark.parametrize("fs,hz,amp,on,main,near,region", [
    (30, 9.0, 1.0, (1.0, 4.0), "upper_lid_right_y_mm", "upper_lid_near_right_y_mm", "eye"),
    (60, 9.0, 0.8, (4.5, 7.5), "palpebral_left_height_mm", "upper_lid_near_left_y_mm", "eye"),  # a lower-lid tremor
    (60, 12.0, 0.5, (0.5, 3.5), "mouth_corner_left_y_mm", "mouth_near_left_y_mm", "mouth"),
    (60, 12.0, 0.5, (1.0, 8.0), "upper_lid_left_y_mm", "upper_lid_near_left_y_mm", "eye"),
])
def test_a_tremor_in_part_of_the_recording_is_found_with_its_size(fs, hz, amp, on, main, near, region):
    """A tremor that fills only one half of an 8 s recording was lost (the peak had to dominate
    both halves); it is persistent over the time it is present, and that is what counts."""
    tab = _noise_table(fs, 8.0, 23)
    burst = _burst(tab.t_s, hz, amp, on)
    tab.columns[main] += burst
    tab.columns[near] += 0.6 * burst
    res = tremor(tab, noise_floor_mm=0.03)
    side = "left" if "_left_" in main else "right"
    assert res.tremor.detected and res.tremor.region == region and res.tremor.side == side
    assert res.tremor.frequency_hz == pytest.approx(hz, abs=0.3)
    assert res.tremor.amplitude_mm == pytest.approx(amp, rel=0.3)
    pk = next(p for p in res.by_region if p.region == region and p.side == side)
    assert pk.present_s == pytest.approx(on[1] - on[0], abs=1.0)


def test_a_moment_of_oscillation_is_not_a_tremor():
    """Under two seconds of an oscillation (here 1.2 s, 7 cycles) is a burst, not a tremor."""
    tab = _noise_table(30, 8.0, 24)
    burst = _burst(tab.t_s, 6.0, 0.6, (3.0, 4.2))
    tab.columns["mouth_corner_right_y_mm"] += burst
    tab.columns["mouth_near_right_y_mm"] += 0.6 * burst
    res = tremor(tab, noise_floor_mm=0.03)
    pk = next(p for p in res.by_region if p.region == "mouth" and p.side == "right")
    assert pk.frequency_hz == pytest.approx(6.0, abs=0.3) and pk.present_s < 2.0
    assert not res.tremor.detected


@pytest.mark.parametrize("fs", [30, 60])
def test_a_train_of_brief_jerks_is_not_a_tremor(fs):
    """Jerks at irregular times (a spasm's) put their power at low frequencies: the band's edge
    at 3 Hz is the top of a falling slope, not a peak, and was taken for a 3 Hz tremor."""
    tab = _noise_table(fs, 8.0, 25, sigma_mm=0.01)
    for times, dur, col, near in (((0.8, 2.1, 3.2, 4.9, 6.0, 7.3), 0.2, "mouth_corner_left_y_mm", "mouth_near_left_y_mm"),
                                  ((0.9, 2.2, 3.9, 4.6, 6.1, 7.2), 0.25, "upper_lid_right_y_mm",
                                   "upper_lid_near_right_y_mm")):
        jerks = synth.twitch_profile(tab.t_s, times_s=times, duration_s=dur) * 1.2
        tab.columns[col] += jerks
        tab.columns[near] += 0.6 * jerks
    res = tremor(tab, noise_floor_mm=0.01)
    assert not res.tremor.detected, [p for p in res.by_region if p.detected]


def test_what_could_not_show_a_tremor_is_not_judged():
    short = tremor(_noise_table(30, 1.5, 26), noise_floor_mm=0.03)
    assert not short.tremor.judged and short.tremor.not_judged.startswith("too short")
    noisy = tremor(_noise_table(30, 6.0, 26), noise_floor_mm=0.5)
    assert not noisy.tremor.judged and noisy.tremor.not_judged.startswith("too unsteady")
    talk = _noise_table(30, 8.0, 26)
    talk.columns["lower_lip_y_mm"] -= 3.0 + 3.0 * np.sin(2 * np.pi * 5.0 * talk.t_s)  # lips open 0-6 mm, 5 a second
    talking = tremor(talk, noise_floor_mm=0.03)
    assert talking.speech.detected and not talking.tremor.judged and talking.tremor.not_judged.startswith("talking")
    quiet = tremor(_noise_table(30, 6.0, 26), noise_floor_mm=0.03)
    assert quiet.tremor.judged and quiet.tremor.not_judged == "" and quiet.tremor.to_dict()["judged"] is True
    # a tremor that is found is judged, however noisy the rest
    tab = _noise_table(30, 6.0, 26)
    s = 2.0 * np.sin(2 * np.pi * 6.0 * tab.t_s)
    tab.columns["mouth_corner_left_y_mm"] += s
    tab.columns["mouth_near_left_y_mm"] += 0.6 * s
    found = tremor(tab, noise_floor_mm=0.4)
    assert found.tremor.detected and found.tremor.judged
