"""Live measures (the coach's per-frame read-out) agree with the file analysis on the same frames."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.testing import synth
from smilescope.io import open_video
from smilescope.landmarks import MOUTH_CORNER, SIDES
from smilescope.measures.shake import band_amplitude_mm
from smilescope.measures.smile import corner_excursion
from smilescope.pipeline import FaceAnalyzer, LiveMeasures, analyze

from conftest import FACES

RIGHT_MM, LEFT_MM = 2.0, 6.0  # a one-sided smile: the right corner moves a third as far
HOLD = dict(onset_s=1.4, rise_s=0.4, hold_s=1.0, fall_s=0.3)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    face = synth.load_face(FACES / "yale01.jpg")
    path = tmp_path_factory.mktemp("live") / "smile.mp4"
    motions = synth.smile_motions(face, right_mm=RIGHT_MM, left_mm=LEFT_MM, **HOLD)
    synth.render(path, face=face, fps=30, duration_s=3.6, motions=motions, write_truth=False)
    return path


def _live(path, **kw):
    frames = []
    with LiveMeasures(FaceAnalyzer(), **kw) as live, open_video(path) as src:
        for f in src:
            frames.append(live.push(f.rgb, f.t_s))
        live.analyzer.close()
        return frames, live


def test_live_equals_batch_on_the_same_frames(clip):
    batch = analyze(clip)
    k = batch.calibration.mm_per_px
    frames, live = _live(clip, mm_per_px=k)  # the batch's scale: the numbers must be the same
    tab = batch.signals
    assert [f.valid for f in frames] == list(tab.valid)
    # the baseline: the first second of valid frames, medians per corner
    t_ok = tab.t_s[tab.valid]
    first = tab.valid & (tab.t_s <= t_ok[0] + live.baseline_s + 1e-9)
    for s in SIDES:
        xy = np.stack([tab.columns[f"mouth_corner_{s}_x_mm"], tab.columns[f"mouth_corner_{s}_y_mm"]], axis=1)
        base = np.median(xy[first], axis=0)
        np.testing.assert_allclose(live.baseline_mm[s], base, atol=1e-9)
        _, _, length = corner_excursion(xy, base)
        for i, f in enumerate(frames):
            if f.valid and f.baseline_ready:
                assert f.excursion_mm[s] == pytest.approx(length[i], abs=1e-9)
                assert f.eye_opening_mm[s] == pytest.approx(tab.columns[f"palpebral_{s}_height_mm"][i], abs=1e-9)
    # steadiness: the same band amplitude over the same last 2 s of the batch's signals
    corners = np.stack([tab.columns[c] for s in SIDES for c in (f"mouth_corner_{s}_x_mm", f"mouth_corner_{s}_y_mm")], 1)
    checked = 0
    for i, f in enumerate(frames):
        if f.valid and f.steadiness_mm is not None:
            win = tab.valid & (tab.t_s <= tab.t_s[i]) & (tab.t_s[i] - tab.t_s <= live.window_s)
            assert f.steadiness_mm == pytest.approx(band_amplitude_mm(tab.t_s[win], corners[win]), rel=1e-9, abs=1e-12)
            checked += 1
    assert checked > 30
    # head pose is the batch's
    for i, f in enumerate(frames):
        if f.valid:
            assert f.head_yaw_deg == pytest.approx(tab.columns["head_yaw_deg"][i], abs=1e-9)


def test_live_readout_measures_the_one_sided_smile(clip):
    """With its own running calibration, the hold reads the rendered excursions within 0.5 mm."""
    frames, _ = _live(clip)
    t0 = HOLD["onset_s"] + HOLD["rise_s"] + 0.1
    hold = [f for f in frames if f.valid and t0 <= f.t_s <= t0 + HOLD["hold_s"] - 0.2]
    assert hold and all(f.baseline_ready for f in hold)
    for s, truth in (("right", RIGHT_MM), ("left", LEFT_MM)):
        assert np.median([f.excursion_mm[s] for f in hold]) == pytest.approx(truth, abs=0.5)
    # a still hold is steady: far below a tremor's amplitude
    assert np.median([f.steadiness_mm for f in hold if f.steadiness_mm is not None]) < 0.3


def test_baseline_is_announced_and_can_be_retaken(clip):
    frames, live = _live(clip)
    # both sides are there from the first frame, None until measured (the README's
    # f.excursion_mm["left"] raised KeyError on the first frames)
    assert not frames[0].baseline_ready and frames[0].excursion_mm == {"right": None, "left": None}
    assert frames[0].eye_opening_mm == {"right": None, "left": None}
    ready = [f.t_s for f in frames if f.baseline_ready]
    assert ready and ready[0] <= 1.5  # about a second after the reference
    live.capture_baseline()
    assert live.baseline_mm is not None  # the old baseline holds until the new one is taken


def test_a_lip_tremor_at_rest_still_gives_a_baseline(tmp_path):
    """A relaxed face whose mouth corners shake at 5 Hz, 2 mm either way (a strong Parkinsonian
    rest tremor; single frames lie up to 2 mm from where the face rests, more than the 1.5 mm a
    still face may move): the coach still takes its baseline, about a second after the reference,
    instead of asking the person to relax for ever (it did, before the position was averaged over
    a tremor period); and the tremor reads as unsteadiness about the rest, not as a smile."""
    amp_mm = 2.0
    face = synth.load_face(FACES / "yale01.jpg")
    motions = ()
    for side in SIDES:
        motions += synth.tremor_motions(face, landmark=MOUTH_CORNER[side], amp_mm=amp_mm, freq_hz=5.0, direction_deg=-90)
    path = tmp_path / "tremor.mp4"
    synth.render(path, face=face, fps=30, duration_s=3.6, motions=motions, write_truth=False)
    frames, _ = _live(path)
    ready = [f for f in frames if f.baseline_ready]
    assert ready and ready[0].t_s <= 2.0
    for f in ready:  # the tremor's own swing about the rest (rendered tracking is within 0.5 mm)
        assert max(f.excursion_mm.values()) < amp_mm + 0.5
    assert frames[-1].steadiness_mm > 1.0


# --- the baseline's rules on hand-made frames (a stand-in analyzer: no video) -----------------

class _Frames:
    """A stand-in for the FaceAnalyzer that LiveMeasures reads: the engine's own mm conversion,
    a running iris scale the test sets."""

    def __init__(self, k: float = 0.1) -> None:
        self.mm_per_px = k

    def to_mm(self, r, k):
        from smilescope.signals import to_mm
        return {**to_mm(r.signals_px, k), **to_mm(r.head, k)}

    def close(self) -> None:
        pass


def _frame(t_s, *, k=0.1, eye_mm=10.0, brow_mm=22.0, valid=True):
    """One frame whose signals are given in mm at scale ``k`` (the analyzer holds them in px)."""
    from smilescope.pipeline.engine import FrameResult
    from smilescope.signals import FACIAL_SIGNALS_PX

    if not valid:
        return FrameResult(index=0, t_s=t_s, face_found=True, valid=False, reason="head turned", yaw_deg=35.0, pitch_deg=0.0)
    px = {c: 0.0 for c in FACIAL_SIGNALS_PX}
    for s in SIDES:
        px[f"palpebral_{s}_height_px"] = eye_mm / k
        px[f"brow_{s}_height_px"] = brow_mm / k
    return FrameResult(index=0, t_s=t_s, face_found=True, valid=True, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0,
                       smile_score=0.1, lip_gap_px=2.0 / k, signals_px=px, head={})


def test_the_baseline_is_not_taken_with_the_eyes_shut_or_across_frames_not_seen():
    """A still, relaxed face with the eyes shut (0.5 mm) gives no baseline: the coach would
    measure every later smile from a shut eye (a smile narrowing the eyes by half scored "eyes:
    100"). Two relaxed frames a second apart with the head turned away in between are not a
    second of relaxed face either; the baseline comes from a second of seen frames."""
    live = LiveMeasures(_Frames(), baseline_s=1.0)
    for i in range(60):
        live.read(_frame(i / 30, eye_mm=0.5))
    assert live.baseline_mm is None
    for i in range(60, 95):  # eyes open: the baseline after a second of them
        live.read(_frame(i / 30))
    assert live.baseline_mm is not None and live.baseline_eye_mm["left"] == pytest.approx(10.0)

    gap = LiveMeasures(_Frames(), baseline_s=1.0)
    gap.read(_frame(0.0))
    for i in range(1, 30):
        gap.read(_frame(i / 30, valid=False))
    gap.read(_frame(1.0))
    assert gap.baseline_mm is None
    t = [1.0 + i / 30 for i in range(1, 32)]
    for x in t:
        gap.read(_frame(x))
    assert gap.baseline_mm is not None and gap.baseline_span_s[0] >= 1.0


def test_a_drifting_iris_scale_does_not_move_the_brows_or_eyes_from_the_baseline():
    """The running iris scale drifts by a few per cent after the baseline while the face stays
    as it was: measured at the new scale, a brow 22 mm above the eye line "rose" 1.1 mm for a 5 %
    drift (a brow-raise repetition began). Measures from the baseline keep its scale."""
    frames = _Frames(k=0.1)
    live = LiveMeasures(frames, baseline_s=1.0)
    for i in range(40):
        live.read(_frame(i / 30))
    assert live.baseline_mm is not None
    frames.mm_per_px = 0.105  # the same face (same px), the iris scale now 5 % larger
    f = live.read(_frame(2.0))
    assert all(abs(v) < 1e-9 for v in f.movement_mm.values() if v is not None)
    assert f.eye_opening_mm["left"] == pytest.approx(live.baseline_eye_mm["left"])


def test_frames_whose_mouth_or_pose_was_not_measured_are_not_relaxed_face():
    """A lip gap, smile score or head pose that was not measured (NaN) counted as relaxed; the
    file analysis counts it as open, smiling or turned. No baseline is taken from such frames."""
    import dataclasses

    for field_, value in (("lip_gap_px", float("nan")), ("smile_score", float("nan")), ("pitch_deg", float("nan"))):
        live = LiveMeasures(_Frames(), baseline_s=1.0)
        for i in range(45):
            live.read(dataclasses.replace(_frame(i / 30), **{field_: value}))
        assert live.baseline_mm is None, field_


def test_a_baseline_that_keeps_restarting_says_why_after_a_few_seconds():
    """A person whose baseline never settles saw "taking your baseline…" for half a minute with
    nothing to act on (a blink or lips apart every second restarted it). After BASELINE_HINT_S the
    read-out names what restarted it last, in words to act on; it stays put for HINT_HOLD_S, and
    is gone once the baseline is taken."""
    import dataclasses

    from smilescope.pipeline.live import BASELINE_HINT_S, HINT_HOLD_S, WAIT_WORDS

    live = LiveMeasures(_Frames(), baseline_s=1.0)
    for i in range(20):  # open eyes seen first (the open eye is judged from what was seen), under a second
        live.read(_frame(i / 30))
    live.capture_baseline()
    causes = {"lips": {"lip_gap_px": 150.0}, "smile": {"smile_score": 0.9}, "turned": {"yaw_deg": 25.0}, "eyes": {}}
    hints = []
    t = 1.0
    for cause, change in causes.items():
        for i in range(60):  # 2 s of a relaxed face broken every 0.5 s
            f = _frame(t, eye_mm=2.0) if cause == "eyes" and i % 15 == 0 else _frame(t)
            if i % 15 == 0 and change:
                f = dataclasses.replace(f, **change)
            hints.append((t, cause, live.read(f).baseline_wait))
            t += 1 / 30
    assert live.baseline_mm is None
    assert all(h is None for x, _, h in hints if x - 1.0 < BASELINE_HINT_S - 1e-9)
    shown = [(x, h) for x, _, h in hints if h is not None]
    assert shown and {h for _, h in shown} <= set(WAIT_WORDS.values())
    assert WAIT_WORDS["turned"] in {h for _, h in shown} or WAIT_WORDS["eyes"] in {h for _, h in shown}
    changes = [i for i in range(1, len(shown)) if shown[i][1] != shown[i - 1][1]]
    starts = [shown[0][0]] + [shown[i][0] for i in changes]
    assert all(b - a >= HINT_HOLD_S - 1e-9 for a, b in zip(starts, starts[1:]))
    for _ in range(40):  # now still and relaxed: the baseline is taken and the hint goes
        f = live.read(_frame(t))
        t += 1 / 30
    assert live.baseline_mm is not None and f.baseline_wait is None
