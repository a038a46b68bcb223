"""Smallest 6 Hz mouth-corner tremor that ``smilescope.analyze`` detects, by face size in pixels.

For each target face width (default 200 and 400 px, measured like the pipeline's
``quality.face_width_px``: the x extent of the FaceMesh landmarks) and each face photo, the
photo is resized so the face has that width (area averaging to shrink, bicubic to enlarge: an
enlarged face gains pixels but no new skin detail), centred on a mid-grey canvas of at least
640x480 px and saved losslessly (PNG) for :func:`smilescope.testing.synth.load_face`, which finds the
landmarks again and calibrates millimetres from the iris of the resized face.

On that face a sinusoidal tremor of the subject's LEFT mouth corner (landmark 291, moving
up and down, direction -90 deg) is rendered with the default camera noise of
:func:`smilescope.testing.synth.render` (sigma 2 grey levels, fixed seed, H.264 crf 18 unless ``--crf``
says otherwise; at crf 18 the encoder swallows part of a sub-pixel motion) for a ladder of
amplitudes (mm, peak), plus a still clip (0 mm) as a false-alarm control. A rung counts as
detected when ``shake.tremor`` is detected in the mouth, on the left side only, within
+-0.3 Hz of the true frequency. The smallest detected amplitude is the lowest rung that is
detected with all larger rungs detected too.

Prints one line per clip (detection, side, region, frequency, amplitude read vs truth, and the
left mouth corner's own spectral peak: amplitude, SNR and coherence with the region's second
point, detected or not), a markdown table per face and size, and per size the median over
faces of the smallest detected amplitude.

    .venv/bin/python benchmarks/tremor_sensitivity.py [--faces yale01 astronaut takeo]
        [--sizes 200 400] [--fps 30] [--crf 18] [--quick]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from smilescope import landmarks as lm
from smilescope.testing import synth
from smilescope.pipeline import analyze

ROOT = Path(__file__).resolve().parents[1]
FACES_DIR = ROOT / "tests" / "data" / "faces"

FREQ_HZ = 6.0
FREQ_TOL_HZ = 0.3
DURATION_S = 5.0
DIRECTION_DEG = -90.0  # image up
SIDE = "left"  # the subject's left
LANDMARK = lm.MOUTH_CORNER[SIDE]
SEED = 0
LADDER_MM = (0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5)
QUICK_LADDER_MM = (0.05, 0.1, 0.2, 0.5)
MIN_CANVAS_PX = (640, 480)  # (width, height)
CANVAS_GREY = 128
WIDTH_TOL = 0.03  # resize again when the face width is off by more than this fraction


def landmark_width_px(face: synth.Face) -> float:
    """Face width as the pipeline measures it: x extent of all landmarks (px)."""
    x = face.landmarks_px[:, 0]
    return float(x.max() - x.min())


def _even(n: float) -> int:
    return max(2, 2 * int(round(n / 2)))


def scaled_face(path: Path, *, width_px: float, workdir: Path) -> synth.Face:
    """The face photo at ``path`` resized so its face is about ``width_px`` wide, on a canvas.

    Parameters
    ----------
    path : Path
        Face photo.
    width_px : float
        Target face width (px, x extent of the landmarks).
    workdir : Path
        Where the resized photo is written (PNG, lossless).

    Raises
    ------
    smilescope.errors.BadInputError
        MediaPipe finds no face in the resized photo.
    """
    src = cv2.imread(str(path), cv2.IMREAD_COLOR)
    scale = width_px / landmark_width_px(synth.load_face(path))
    face = None
    for _ in range(3):
        h, w = src.shape[:2]
        size = (_even(w * scale), _even(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        img = cv2.resize(src, size, interpolation=interp)
        cw, ch = max(size[0], MIN_CANVAS_PX[0]), max(size[1], MIN_CANVAS_PX[1])
        canvas = np.full((ch, cw, 3), CANVAS_GREY, np.uint8)
        x0, y0 = (cw - size[0]) // 2, (ch - size[1]) // 2
        canvas[y0:y0 + size[1], x0:x0 + size[0]] = img
        out = workdir / f"{path.stem}_{int(round(width_px))}px.png"
        cv2.imwrite(str(out), canvas)
        face = synth.load_face(out, name=path.stem)
        got = landmark_width_px(face)
        if abs(got / width_px - 1) <= WIDTH_TOL:
            break
        scale *= width_px / got
    return face


@dataclass(frozen=True)
class Rung:
    """One clip: the true amplitude and what the pipeline read."""

    amp_mm: float
    detected: bool  # right region, side and frequency
    called: bool  # any tremor reported at all
    side: str
    region: str | None
    freq_hz: float | None
    amp_read_mm: float | None
    peak_amp_mm: float  # the left mouth corner's own spectral peak (detected or not)
    peak_freq_hz: float
    peak_snr: float
    peak_coherence: float  # with the region's second point (a tremor needs >= shake.COHERENCE_MIN)
    noise_floor_mm: float
    face_width_px: float
    mm_per_px: float


def run_clip(face: synth.Face, *, amp_mm: float, fps: float, crf: int, path: Path) -> Rung:
    """Render one tremor clip (x264 quality ``crf``) and analyse it."""
    motions = () if amp_mm == 0 else synth.tremor_motions(
        face, landmark=LANDMARK, amp_mm=amp_mm, freq_hz=FREQ_HZ, direction_deg=DIRECTION_DEG)
    synth.render(path, face=face, fps=fps, duration_s=DURATION_S, motions=motions, seed=SEED, crf=crf,
                  write_truth=False)
    res = analyze(path)
    t = res.shake["tremor"]
    peak = next((p for p in t["by_region"] if p["region"] == "mouth" and p["side"] == SIDE), None)
    ok = bool(t["detected"] and t["region"] == "mouth" and t["side"] == SIDE
              and abs(t["frequency_hz"] - FREQ_HZ) <= FREQ_TOL_HZ)
    return Rung(
        amp_mm=amp_mm,
        detected=ok,
        called=bool(t["detected"]),
        side=t["side"],
        region=t["region"],
        freq_hz=t["frequency_hz"],
        amp_read_mm=t["amplitude_mm"],
        peak_amp_mm=float(peak["amplitude_mm"]) if peak else math.nan,
        peak_freq_hz=float(peak["frequency_hz"]) if peak else math.nan,
        peak_snr=float(peak["snr"]) if peak else math.nan,
        peak_coherence=float(peak["spatial_coherence"]) if peak and peak["spatial_coherence"] is not None else math.nan,
        noise_floor_mm=float(res.quality["noise_floor_mm"]),
        face_width_px=float(res.quality["face_width_px"]),
        mm_per_px=float(res.quality["mm_per_px"]),
    )


def smallest_detected(rungs: list[Rung]) -> Rung | None:
    """Lowest tremor rung detected with every larger rung detected too (None if the top fails)."""
    best = None
    for r in sorted((r for r in rungs if r.amp_mm > 0), key=lambda r: r.amp_mm, reverse=True):
        if not r.detected:
            break
        best = r
    return best


def _f(v: float | None, fmt: str = ".3f") -> str:
    return "-" if v is None or not np.isfinite(v) else format(v, fmt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", nargs="+", default=["yale01", "astronaut", "takeo"],
                    help="face photo stems in tests/data/faces")
    ap.add_argument("--sizes", nargs="+", type=float, default=[200.0, 400.0], help="face widths (px)")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--crf", type=int, default=18,
                    help="x264 constant rate factor of the clips (0 = lossless; 18 is synth.render's default)")
    ap.add_argument("--quick", action="store_true", help=f"fewer rungs {QUICK_LADDER_MM} and no still control")
    args = ap.parse_args()
    for name in args.faces:
        if not (FACES_DIR / f"{name}.jpg").exists():
            ap.error(f"Invalid value for --faces: no {name}.jpg in {FACES_DIR}")
    ladder = QUICK_LADDER_MM if args.quick else (0.0,) + LADDER_MM

    t_start = time.perf_counter()
    table = []  # (size, face, width still, width video, frame, floor, smallest rung, control)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in args.sizes:
            for name in args.faces:
                try:
                    face = scaled_face(FACES_DIR / f"{name}.jpg", width_px=size, workdir=tmp)
                except Exception as e:  # noqa: BLE001 - report and go on with the others
                    print(f"{size:.0f} px {name}: no usable face ({e})", flush=True)
                    table.append((size, name, math.nan, math.nan, "-", math.nan, None, None, str(e)))
                    continue
                w_still = landmark_width_px(face)
                print(f"{size:.0f} px {name}: face {w_still:.1f} px wide in a {face.size_px[0]}x{face.size_px[1]} "
                      f"frame, {face.mm_per_px:.3f} mm/px", flush=True)
                rungs = []
                for amp in ladder:
                    t0 = time.perf_counter()
                    try:
                        r = run_clip(face, amp_mm=amp, fps=args.fps, crf=args.crf, path=tmp / "clip.mp4")
                    except Exception as e:  # noqa: BLE001
                        print(f"    {amp:5.2f} mm: analysis failed ({e})", flush=True)
                        continue
                    rungs.append(r)
                    verdict = "ok  " if r.detected else ("WRONG" if r.called else "no  ")
                    print(f"    {amp:5.2f} mm: {verdict} side={r.side:5s} region={r.region or '-':6s} "
                          f"f={_f(r.freq_hz, '.2f')} Hz read={_f(r.amp_read_mm)} mm | "
                          f"left mouth peak {_f(r.peak_amp_mm)} mm at {_f(r.peak_freq_hz, '.2f')} Hz, "
                          f"SNR {_f(r.peak_snr, '.1f')}, coherence {_f(r.peak_coherence, '.2f')} | floor {r.noise_floor_mm:.4f} mm "
                          f"(x3 {3 * r.noise_floor_mm:.3f}) | {time.perf_counter() - t0:.1f} s", flush=True)
                if not rungs:
                    table.append((size, name, w_still, math.nan, "-", math.nan, None, None, "analysis failed"))
                    continue
                control = next((r for r in rungs if r.amp_mm == 0), None)
                tremors = [r for r in rungs if r.amp_mm > 0]
                floor = float(np.median([r.noise_floor_mm for r in rungs]))
                w_video = float(np.median([r.face_width_px for r in rungs]))
                table.append((size, name, w_still, w_video, f"{face.size_px[0]}x{face.size_px[1]}", floor,
                              smallest_detected(tremors), control, ""))

    print()
    print(f"Tremor {FREQ_HZ:g} Hz on the {SIDE} mouth corner, {args.fps:g} fps, {DURATION_S:g} s, "
          f"noise sigma 2, seed {SEED}, crf {args.crf}; rungs {', '.join(f'{a:g}' for a in ladder if a > 0)} mm")
    print()
    print("| face size | face | px width (still / video) | frame | noise floor mm | smallest detected mm "
          "| amplitude read mm | still clip |")
    print("|---|---|---|---|---|---|---|---|")
    for size, name, ws, wv, frame, floor, best, control, note in table:
        if note:
            print(f"| {size:.0f} | {name} | {_f(ws, '.0f')} / - | {frame} | - | - | - | {note} |")
            continue
        still = "-" if control is None else (
            "quiet" if not control.called else f"FALSE {control.side} {control.region} {_f(control.freq_hz, '.2f')} Hz")
        print(f"| {size:.0f} | {name} | {ws:.0f} / {wv:.0f} | {frame} | {floor:.4f} | "
              f"{'none' if best is None else f'{best.amp_mm:g}'} | "
              f"{'-' if best is None else _f(best.amp_read_mm)} | {still} |")
    print()
    for size in args.sizes:
        rows = [r for r in table if r[0] == size and not r[8]]
        # a face with no detected rung counts as beyond the ladder (infinite) for the median
        smallest = [r[6].amp_mm if r[6] is not None else math.inf for r in rows]
        floors = [r[5] for r in rows]
        med = float(np.median(smallest)) if smallest else math.nan
        print(f"{size:.0f} px: median smallest detected {'> ' + str(max(ladder)) if math.isinf(med) else f'{med:g}'} mm "
              f"over {len(rows)} faces ({', '.join('none' if math.isinf(s) else f'{s:g}' for s in smallest)}); "
              f"median noise floor {_f(float(np.median(floors)) if floors else math.nan, '.4f')} mm")
    print(f"runtime {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
