"""Spatial coherence of a tremor: a region that shakes versus one spot that shakes, by codec quality.

A tremor is called only when the region's second point (``landmarks.NEAR``) moves coherently
with its main point at the peak frequency (``shake.COHERENCE_MIN``). This script renders, on
several face photos, two kinds of sinusoidal movement of a mouth corner or an upper lid:

* **region**: the default ``synth.tremor_motions`` disc (3 mm, with a 10 mm fall-off), which
  moves the skin of the whole region, second point included;
* **spot**: a 0.5 mm disc with a fall-off of 3 x the amplitude, so that no pixel of the second
  point's optical-flow patch moves,

each encoded losslessly (crf 0) and at the usual H.264 quality (crf 18, the renderer's
default), and prints for each clip the main point's peak (frequency, amplitude, SNR), the
second point's amplitude at that frequency, the magnitude-squared coherence and whether a
tremor was called. The medians per kind and codec quality close the output.

    .venv/bin/python benchmarks/tremor_coherence.py [--crf 0 18] [--duration 6]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
from pathlib import Path

import numpy as np

from smilescope import landmarks as lm
from smilescope.testing import synth
from smilescope.measures.shake import COHERENCE_MIN
from smilescope.pipeline import analyze

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"

CASES = [  # face, fps, Hz, amplitude mm, region, side
    ("takeo", 60, 9.0, 0.8, "mouth", "right"),
    ("yale01", 30, 6.0, 0.8, "mouth", "left"),
    ("faceapi_neutral", 60, 12.0, 0.5, "mouth", "left"),
    ("astronaut", 30, 6.0, 1.0, "eye", "right"),
    ("faceapi_neutral", 30, 5.0, 1.0, "eye", "left"),
    ("yale05", 30, 4.0, 0.8, "eye", "right"),
]
MAIN = {"mouth": lm.MOUTH_CORNER, "eye": lm.UPPER_LID}
NEAR_COLS = {"mouth": "mouth_near_{side}_{c}_mm", "eye": "upper_lid_near_{side}_y_mm"}


def _amp_at(t_s: np.ndarray, x: np.ndarray, f_hz: float) -> float:
    """Amplitude (mm, peak) of the component of ``x`` at ``f_hz`` (least squares sine fit)."""
    ok = np.isfinite(x)
    t, y = t_s[ok], x[ok] - np.nanmean(x)
    a = np.column_stack([np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t), t - t.mean()])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return float(np.hypot(coef[0], coef[1]))


def run(face_name: str, fps: float, hz: float, amp: float, region: str, side: str, kind: str, crf: int,
        duration_s: float, folder: Path) -> dict:
    face = synth.load_face(FACES / f"{face_name}.jpg")
    landmark = MAIN[region][side]
    if kind == "region":
        motions = synth.tremor_motions(face, landmark=landmark, amp_mm=amp, freq_hz=hz, direction_deg=-90)
    else:
        profile = functools.partial(synth.sine_profile, freq_hz=hz)
        motions = (synth.PointMotion(landmark, 0.0, -amp, profile, radius_mm=0.5, decay_mm=3.0 * amp),)
    path = folder / f"{face_name}_{region}_{kind}_{crf}.mp4"
    synth.render(path, face=face, fps=fps, duration_s=duration_s, motions=motions, crf=crf, write_truth=False)
    res = analyze(path)
    pk = next(p for p in res.shake["tremor"]["by_region"] if p["region"] == region and p["side"] == side)
    tab = res.signals
    near = max(_amp_at(tab.t_s, tab.columns[NEAR_COLS[region].format(side=side, c=c)], hz) for c in ("x", "y"))
    return {"face": face_name, "region": region, "kind": kind, "crf": crf, "hz": pk["frequency_hz"],
            "main_mm": pk["amplitude_mm"], "snr": pk["snr"], "near_mm": near, "msc": pk["spatial_coherence"],
            "called": bool(res.shake["tremor"]["detected"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crf", type=int, nargs="+", default=[0, 18])
    ap.add_argument("--duration", type=float, default=6.0)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            for kind in ("region", "spot"):
                for crf in args.crf:
                    r = run(*case, kind, crf, args.duration, Path(tmp))
                    rows.append(r)
                    print(f"{r['face']:16s} {r['region']:5s} {r['kind']:6s} crf {r['crf']:2d}: peak {r['hz']:5.2f} Hz "
                          f"{r['main_mm']:.3f} mm snr {r['snr']:8.1f} | second point {r['near_mm']:.3f} mm "
                          f"| msc {r['msc']:.2f} | {'TREMOR' if r['called'] else 'no tremor'}", flush=True)
    print(f"\nmedian coherence (tremor needs >= {COHERENCE_MIN}) and calls:")
    for kind in ("region", "spot"):
        for crf in args.crf:
            sel = [r for r in rows if r["kind"] == kind and r["crf"] == crf]
            print(f"  {kind:6s} crf {crf:2d}: msc {statistics.median(r['msc'] for r in sel):.2f}, "
                  f"second/main amplitude {statistics.median(r['near_mm'] / r['main_mm'] for r in sel):.2f}, "
                  f"called {sum(r['called'] for r in sel)}/{len(sel)}")


if __name__ == "__main__":
    main()
