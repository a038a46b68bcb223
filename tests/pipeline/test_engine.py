"""The per-frame engine: behaviour that needs no ground-truth accuracy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from smilescope.pipeline import analyze
from smilescope.testing import synth

from conftest import FACES


def test_identical_frames_give_identical_measures(tmp_path):
    """A camera that repeats frames (every frame written twice, lossless PNG): the repeated frame
    gets exactly the measures of the first; the landmark model's jitter between identical pictures
    must not read as movement."""
    face = synth.load_face(FACES / "yale01.jpg")
    motions = synth.smile_motions(face, right_mm=4.0, left_mm=4.0, onset_s=0.5, rise_s=0.4, hold_s=0.6, fall_s=0.3)
    rng = np.random.default_rng(1)
    k = 0
    for j in range(36):  # 1.2 s of 30 fps pictures, each shown twice at 60 fps
        img = synth.render_frame(face, j / 30, motions=motions)
        img = np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8)
        for _ in range(2):
            cv2.imwrite(str(tmp_path / f"f{k:03d}.png"), img[:, :, ::-1])
            k += 1
    res = analyze(tmp_path, fps=60)
    cols = res.signals.columns
    measured = [i for i in range(0, len(res.signals), 2) if res.signals.valid[i]]
    assert len(measured) > 20
    for i in measured:
        for name in ("mouth_corner_left_x_mm", "mouth_corner_right_y_mm", "palpebral_left_height_mm", "smile_score"):
            assert cols[name][i + 1] == cols[name][i], (name, i)
        assert res.signals.t_s[i + 1] > res.signals.t_s[i]


def test_warping_the_grey_part_under_the_face_equals_warping_the_whole_grey_frame():
    """Stage 2 turns grey only the part of the frame its warp reads: for head motions from small
    to large (turns of 20 degrees, scale 0.7-1.4) and outputs lying inside, across the edge of
    and wholly outside the picture, the warped patch is the same, pixel for pixel, as the warp
    of the whole grey frame (the border rule replicates the picture's edge in both)."""
    from smilescope.pipeline.engine import _grey_under

    rng = np.random.default_rng(0)
    rgb = cv2.GaussianBlur(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8), (0, 0), 3)
    whole = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    for _ in range(300):
        a, s = np.deg2rad(rng.uniform(-20, 20)), rng.uniform(0.7, 1.4)
        m = np.array([[s * np.cos(a), -s * np.sin(a), rng.uniform(-400, 1500)],
                      [s * np.sin(a), s * np.cos(a), rng.uniform(-300, 900)]])
        size = (int(rng.integers(50, 500)), int(rng.integers(50, 500)))
        grey, (x0, y0) = _grey_under(rgb, m, size)
        moved = m.copy()
        moved[:, 2] -= (x0, y0)
        want = cv2.warpAffine(whole, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        got = cv2.warpAffine(grey, moved, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(got, want)
    # a face-sized patch well inside the frame: only it (and the bilinear taps' rim) goes grey
    grey, corner = _grey_under(rgb, np.array([[1.0, 0, 500], [0, 1.0, 200]]), (350, 450))
    assert corner == (498, 198) and grey.shape == (455, 355)


def test_a_frame_whose_time_is_not_after_the_last_is_refused_and_the_stream_goes_on():
    """Every measure reads time from the frames' stamps: a camera loop handing a frame back in
    time (or an unstamped one) gets a clear error, and the next frame in order is taken."""
    from smilescope.pipeline import FaceAnalyzer

    seen = []
    rgb = np.zeros((48, 64, 3), np.uint8)
    with FaceAnalyzer(detector=lambda img: seen.append(img) or None) as fa:
        assert not fa.push(rgb, 0.0).face_found
        for bad in (0.0, -0.5, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="not a finite time after the previous frame's"):
                fa.push(rgb, bad)
        assert len(seen) == 1  # nothing was looked at for the refused frames
        r = fa.push(rgb, 0.033)
        assert r.index == 1 and r.t_s == 0.033
