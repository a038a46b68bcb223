"""Shaking that is real (issue 11, deliverable 6): twitches and tremor against rendered truth.

Renders real photos (tests/data/faces) with known motions, analyses each clip and prints, per
target:

* lid jerks of hemifacial spasm (1.2 mm, 100-150 ms, one side, each followed by a jerk of the
  same side's mouth corner): recall within 0.1 s, other events, the spread flag;
* a 6 Hz mouth tremor (throughout or in a burst): twitches reported (should be none);
* a 9 Hz eyelid tremor (throughout or in part of the clip): amplitude error;
* a 12 Hz tremor at 60 fps (throughout or in part of the clip): found or not.

Clips are cached in ``--cache`` (rendering is most of the time), so the same clips can be
scored by two versions of the code (``PYTHONPATH=... benchmarks/spasm_truth.py``).

    .venv/bin/python benchmarks/spasm_truth.py [--cache out/spasm-clips]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from smilescope import landmarks as lm
from smilescope.pipeline import analyze
from smilescope.testing import synth

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"
EYE_T = (0.9, 2.3, 3.4, 5.0)
DELAY_S = (0.4, 0.55, 0.35, 0.6)

SPASM = [("faceapi_neutral", "left", 30, 0.1), ("yale01", "right", 30, 0.1), ("yale05", "right", 30, 0.15),
         ("yale05", "left", 60, 0.1), ("yale01", "left", 60, 0.15), ("faceapi_neutral", "right", 60, 0.1)]
MOUTH_TREMOR = [("faceapi_neutral", 60, 0.8, None), ("yale01", 30, 0.5, None), ("yale05", 30, 1.0, (1.5, 5.0)),
                ("yale01", 60, 0.6, (3.5, 7.0))]
# face, fps, Hz, amplitude, landmark, (start, stop) or None, clip length
LID_9HZ = [("yale01", 30, 9.0, 1.0, "right", None, 5.0), ("yale05", 60, 9.0, 0.8, "left", None, 5.0),
           ("faceapi_neutral", 30, 9.0, 1.0, "right", None, 5.0), ("yale01", 30, 9.0, 1.0, "right", (1.0, 4.0), 8.0),
           ("yale05", 60, 9.0, 0.8, "left", (3.5, 7.0), 8.0), ("faceapi_neutral", 30, 9.0, 0.6, "left", (4.5, 7.5), 8.0)]
AT_12HZ = [("faceapi_neutral", 12.0, 0.5, lm.MOUTH_CORNER["left"], None), ("yale01", 12.0, 0.5, lm.UPPER_LID["right"], None),
           ("faceapi_neutral", 12.0, 0.5, lm.UPPER_LID["right"], (0.5, 4.5)),
           ("yale05", 12.0, 0.8, lm.MOUTH_CORNER["left"], (2.0, 5.5)),
           ("yale01", 12.0, 0.5, lm.MOUTH_CORNER["right"], (4.0, 7.5))]


def clip(cache: Path, name: str, make) -> Path:
    path = cache / f"{name}.mp4"
    if not path.is_file():
        tmp = cache / f"{name}.part.mp4"
        make(tmp)
        tmp.rename(path)
    return path


def tremor_clip(cache: Path, face_name: str, fps: int, hz: float, amp: float, landmark: int, on, length: float) -> Path:
    face = synth.load_face(FACES / f"{face_name}.jpg")
    start, stop = on or (0.0, float("inf"))
    mo = synth.tremor_motions(face, landmark=landmark, amp_mm=amp, freq_hz=hz, direction_deg=-90, start_s=start,
                              stop_s=stop, fade_s=0.2 if on else 0.0)
    name = f"tremor_{face_name}_{fps}_{hz:g}_{amp:g}_{landmark}_{start:g}_{stop:g}_{length:g}"
    return clip(cache, name, lambda p: synth.render(p, face=face, fps=fps, duration_s=length, motions=mo, write_truth=False))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("out/spasm-clips"))
    cache = ap.parse_args().cache
    cache.mkdir(parents=True, exist_ok=True)

    print("lid jerks 1.2 mm + same-side mouth jerks (hemifacial spasm)")
    hits = total = 0
    spread_ok = 0
    for face_name, side, fps, jerk_s in SPASM:
        face = synth.load_face(FACES / f"{face_name}.jpg")
        mouth_t = tuple(t + d for t, d in zip(EYE_T, DELAY_S))
        mo = synth.twitch_motions(face, landmark=lm.UPPER_LID[side], amp_mm=1.2, times_s=EYE_T, direction_deg=90,
                                  duration_s=jerk_s)
        mo += synth.twitch_motions(face, landmark=lm.MOUTH_CORNER[side], amp_mm=1.5, times_s=mouth_t, direction_deg=-90,
                                   duration_s=0.2)
        path = clip(cache, f"spasm_{face_name}_{side}_{fps}_{jerk_s:g}",
                    lambda p: synth.render(p, face=face, fps=fps, duration_s=6.5, motions=mo, write_truth=False))
        res = analyze(path)
        ev = res.twitches.twitches
        h = sum(any(abs(e.t_s - t0) <= 0.1 and (e.side, e.region) == (side, "eye") for e in ev) for t0 in EYE_T)
        other = sum(not any(abs(e.t_s - t0) <= 0.1 for t0 in EYE_T + mouth_t) or e.side != side for e in ev)
        flag = any(f.id == "eye_to_mouth_spread" and f.side == side for f in res.flags)
        hits, total, spread_ok = hits + h, total + len(EYE_T), spread_ok + flag
        print(f"  {face_name:16s} {side:5s} {fps} fps {jerk_s * 1000:.0f} ms: eye {h}/{len(EYE_T)}, other events {other}, "
              f"spread flagged {flag}, tremor {res.shake.tremor.detected}")
    print(f"  eye-jerk recall {hits}/{total} = {hits / total:.2f}; spread flagged {spread_ok}/{len(SPASM)}")

    print("6 Hz mouth tremor: twitches reported")
    false = 0
    for face_name, fps, amp, on in MOUTH_TREMOR:
        path = tremor_clip(cache, face_name, fps, 6.0, amp, lm.MOUTH_CORNER["left"], on, 7.5 if on else 5.0)
        res = analyze(path)
        n = len(res.twitches.twitches)
        false += n
        print(f"  {face_name:16s} {fps} fps {amp} mm {'burst ' + str(on) if on else 'throughout':18s}: {n} twitches, "
              f"tremor {res.shake.tremor.detected} {res.shake.tremor.frequency_hz}")
    print(f"  false twitches in all: {false}")

    print("9 Hz eyelid tremor: amplitude")
    errors = []
    for face_name, fps, hz, amp, side, on, length in LID_9HZ:
        res = analyze(tremor_clip(cache, face_name, fps, hz, amp, lm.UPPER_LID[side], on, length))
        pk = next(p for p in res.shake.tremor.by_region if p.region == "eye" and p.side == side)
        err = pk.amplitude_mm / amp - 1
        errors.append(abs(err))
        print(f"  {face_name:16s} {fps} fps {amp} mm {'part ' + str(on) if on else 'throughout':18s}: "
              f"{pk.amplitude_mm:.2f} mm ({err:+.0%}), lid peak at {pk.frequency_hz:.2f} Hz, detected {pk.detected}, "
              f"tremor {res.shake.tremor.detected} ({res.shake.tremor.region})")
    print(f"  largest amplitude error {max(errors):.0%}")

    print("12 Hz at 60 fps: found")
    found = 0
    for face_name, hz, amp, landmark, on in AT_12HZ:
        res = analyze(tremor_clip(cache, face_name, 60, hz, amp, landmark, on, 8.0 if on else 5.0))
        t = res.shake.tremor
        ok = t.detected and abs(t.frequency_hz - hz) <= 0.3
        found += ok
        amp_s = f"{t.amplitude_mm:.2f} mm ({t.amplitude_mm / amp - 1:+.0%})" if t.detected else "-"
        print(f"  {face_name:16s} landmark {landmark:3d} {amp} mm {'part ' + str(on) if on else 'throughout':18s}: "
              f"found {ok}, {amp_s}, twitches {len(res.twitches.twitches)}")
    print(f"  found {found}/{len(AT_12HZ)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
