"""Accuracy of the mouth-corner displacement against rendered ground truth.

For each face photo in tests/data/faces, frame rate and smile (right mm, left mm), renders a
ground-truth video (smilescope.testing.synth), analyses it with optical-flow refinement and with raw
landmarks only, and prints the error (mm) of the mean displacement at the hold, per side.

    .venv/bin/python benchmarks/accuracy.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from smilescope import landmarks as lm
from smilescope.testing import synth
from smilescope.geometry.align import FaceFrame
from smilescope.pipeline import PipelineConfig, analyze

ROOT = Path(__file__).resolve().parents[1]
HOLD = dict(onset_s=0.6, rise_s=0.5, hold_s=1.2, fall_s=0.4)
CASES = [(2.5, 7.0), (7.0, 0.0), (4.0, 4.0), (5.0, 0.0)]


def hold_values(res, t0: float, t1: float) -> dict[str, np.ndarray]:
    t, v = res.signals.t_s, res.signals.valid
    m = (t >= t0) & (t <= t1) & v
    return {side: np.array([res.signals.columns[f"mouth_corner_{side}_{c}_mm"][m].mean() for c in "xy"]) for side in lm.SIDES}


def main() -> None:
    faces = sorted((ROOT / "tests" / "data" / "faces").glob("*.jpg"))
    t0 = HOLD["onset_s"] + HOLD["rise_s"] + 0.1
    t1 = t0 + HOLD["hold_s"] - 0.2
    rows = []
    smile_rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fp in faces:
            face = synth.load_face(fp)
            p = face.landmarks_px
            frame = FaceFrame.from_irises(p[lm.IRIS_CENTRE["right"], :2], p[lm.IRIS_CENTRE["left"], :2])
            for fps in (30, 60):
                for right, left in CASES:
                    path = Path(tmp) / f"{face.name}_{fps}.mp4"
                    motions = synth.smile_motions(face, right_mm=right, left_mm=left, **HOLD)
                    truth = synth.render(path, face=face, fps=fps, duration_s=3.0, motions=motions, write_truth=False)
                    hold = (truth.t_s >= t0) & (truth.t_s <= t1)
                    true = {}
                    for side in lm.SIDES:
                        xy = frame.to_face(truth.points[lm.MOUTH_CORNER[side]][hold].mean(axis=0))
                        true[side] = np.array([-xy[0] if side == "right" else xy[0], xy[1]])
                    for mode, cfg in (("refined", PipelineConfig()), ("raw", PipelineConfig(refine=False))):
                        res = analyze(path, config=cfg)
                        got = hold_values(res, t0, t1)
                        ex = res.smile.excursion_mm
                        judged = res.smile.relaxed_face is not False  # the astronaut photo smiles: no relaxed face
                        smile_rows.append((mode, len(res.smile.episodes), res.smile.weaker_side,
                                           "none" if abs(right - left) < 3 else ("right" if right < left else "left"),
                                           abs(ex["right"] - right) if judged else np.nan,
                                           abs(ex["left"] - left) if judged else np.nan, judged))
                        err = {s: float(np.linalg.norm(got[s] - true[s])) for s in lm.SIDES}
                        rows.append((face.name, fps, right, left, mode, err["right"], err["left"],
                                     float(np.hypot(*got["right"])), float(np.hypot(*got["left"]))))
                        print(f"{face.name:16s} {fps:2d} fps  R={right:3.1f} L={left:3.1f}  {mode:7s}  "
                              f"error R {err['right']:.2f} mm  L {err['left']:.2f} mm   "
                              f"read R {rows[-1][7]:.2f}  L {rows[-1][8]:.2f} mm", flush=True)
    for mode in ("refined", "raw"):
        e = np.array([[r[5], r[6]] for r in rows if r[4] == mode]).ravel()
        still = [r[8] for r in rows if r[4] == mode and r[3] == 0.0]
        print(f"{mode:7s}: median error {np.median(e):.2f} mm, 95th pct {np.percentile(e, 95):.2f} mm, "
              f"max {e.max():.2f} mm; paralysed side reads {np.median(still):.2f} mm (truth 0)")
        sr = [r for r in smile_rows if r[0] == mode and r[6]]
        se = np.array([[r[4], r[5]] for r in sr]).ravel()
        unjudged = sum(1 for r in smile_rows if r[0] == mode and not r[6])
        print(f"{mode:7s} smile episodes: {sum(r[1] == 1 for r in sr)}/{len(sr)} videos with exactly one episode; "
              f"excursion error median {np.median(se):.2f} mm, max {se.max():.2f} mm; "
              f"weaker_side right in {sum(r[2] == r[3] for r in sr)}/{len(sr)}; "
              f"{unjudged} videos of a smiling photo (no relaxed face) not judged")


if __name__ == "__main__":
    main()
