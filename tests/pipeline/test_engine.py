"""The per-frame engine: behaviour that needs no ground-truth accuracy."""

from __future__ import annotations

import cv2
import numpy as np

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
