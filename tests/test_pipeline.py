"""Pipeline behaviour that needs no ground-truth accuracy: streaming equals batch, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.testing import synth
from smilescope.errors import BadInputError
from smilescope.io import open_video
from smilescope.pipeline import FaceAnalyzer, analyze
from smilescope.track.facemesh import FaceObservation

from conftest import FACES


@pytest.fixture(scope="module")
def smile_clip(tmp_path_factory):
    face = synth.load_face(FACES / "astronaut.jpg")
    path = tmp_path_factory.mktemp("stream") / "smile.mp4"
    motions = synth.smile_motions(face, right_mm=3.0, left_mm=6.0, onset_s=0.5, rise_s=0.4, hold_s=0.8, fall_s=0.3)
    truth = synth.render(path, face=face, fps=30, duration_s=2.2, motions=motions, write_truth=False)
    return face, path, truth


def test_streaming_gives_the_same_signals_as_the_file_analysis(smile_clip):
    face, path, truth = smile_clip
    batch = analyze(path)
    live = []
    with FaceAnalyzer() as fa, open_video(path) as src:
        for frame in src:
            r = fa.push(frame.rgb, frame.t_s)
            live.append((r, fa.to_mm(r) if r.valid else None))
    assert len(live) == len(batch.signals)
    k = batch.calibration.mm_per_px
    for i, (r, mm_live) in enumerate(live):
        assert r.valid == bool(batch.signals.valid[i])
        if not r.valid:
            continue
        for name in ("mouth_corner_left_x_mm", "mouth_corner_right_y_mm", "palpebral_left_height_mm"):
            assert r.signals_px[name] * k == pytest.approx(batch.signals.columns[name][i], abs=1e-9)
        # the live read-out (running calibration) is already in millimetres
        assert mm_live["mouth_corner_left_x_mm"] == pytest.approx(batch.signals.columns["mouth_corner_left_x_mm"][i], rel=0.05, abs=0.05)


def test_live_readout_sees_the_smile_while_it_happens(smile_clip):
    face, path, truth = smile_clip
    with FaceAnalyzer() as fa, open_video(path) as src:
        hold = []
        for frame in src:
            r = fa.push(frame.rgb, frame.t_s)
            if 1.0 <= frame.t_s <= 1.6 and r.valid:
                m = fa.to_mm(r)
                hold.append(np.hypot(m["mouth_corner_left_x_mm"], m["mouth_corner_left_y_mm"]))
    assert np.median(hold) == pytest.approx(6.0, abs=0.5)


class _TurnedHead:
    """A landmark backend that reports the photo's landmarks turned 50 degrees sideways."""

    def __init__(self, face, angle_deg=50.0):
        p = face.landmarks_px.copy()
        c = p.mean(axis=0)
        a = np.radians(angle_deg)
        rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        self.obs = FaceObservation(landmarks_px=(p - c) @ rot.T + c)

    def __call__(self, rgb):
        return self.obs

    def close(self):
        pass


def test_head_turned_away_throughout_is_bad_input(smile_clip):
    face, path, truth = smile_clip
    with pytest.raises(BadInputError, match="turned too far.*Face the camera"):
        analyze(path, detector=_TurnedHead(face))


def test_reference_waits_for_tracking_to_settle(smile_clip):
    face, path, truth = smile_clip
    res = analyze(path)
    assert 0.15 <= res.reference_t_s <= 0.3
    assert res.quality["invalid_reasons"].get("settling", 0) >= 2
