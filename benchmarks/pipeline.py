"""Throughput of the pipeline on a 30 s 720p face video, measured in one run.

Prints frames/s for (1) decode only, (2) decode + bare FaceMesh landmarks, (3) the full
``smilescope.analyze`` (landmarks, optical-flow refinement, alignment, signals, summary), the
ratio full / bare (goal >= 0.7) and the speed relative to real time (goal >= 5x).

The test video is the bundled real example (examples/d0.mp4) looped to 30 s and placed on a
1280x720 canvas at 30 fps, H.264; it is cached in out/bench/.

    .venv/bin/python benchmarks/pipeline.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_video(path: Path, *, seconds: float, fps: int = 30, size=(1280, 720)) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    src = [f.to_ndarray(format="rgb24") for f in av.open(str(ROOT / "examples" / "d0.mp4")).decode(video=0)]
    # ping-pong so the loop has no jump
    seq = src + src[::-1]
    w, h = size
    out = av.open(str(path), "w")
    st = out.add_stream("libx264", rate=fps)
    st.width, st.height, st.pix_fmt = w, h, "yuv420p"
    st.options = {"crf": "20", "preset": "veryfast"}
    import cv2

    n = int(seconds * fps)
    canvas = np.full((h, w, 3), 40, np.uint8)
    for i in range(n):
        face = cv2.resize(seq[i % len(seq)], (h, h), interpolation=cv2.INTER_LINEAR)
        canvas[:, (w - h) // 2:(w - h) // 2 + h] = face
        for p in st.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    video = make_video(ROOT / "out" / "bench" / f"face_720p_{int(args.seconds)}s.mp4", seconds=args.seconds)

    from smilescope import analyze
    from smilescope.io import open_video
    from smilescope.track.facemesh import MediaPipeFaceMesh

    def decode_only():
        n = 0
        with open_video(video) as src:
            for _ in src:
                n += 1
        return n

    def bare():
        n = 0
        with open_video(video) as src, MediaPipeFaceMesh() as det:
            for f in src:
                det(f.rgb)
                n += 1
        return n

    def full():
        return len(analyze(video).signals)

    def streaming_latency():
        """Per-frame latency of the live path (FaceAnalyzer.push + mm read-out), frames pre-decoded."""
        from smilescope.pipeline import FaceAnalyzer

        with open_video(video) as src:
            frames = [f for _, f in zip(range(300), src)]
        lat = []
        with FaceAnalyzer() as fa:
            for f in frames:
                t0 = time.perf_counter()
                r = fa.push(f.rgb, f.t_s)
                if r.valid:
                    fa.to_mm(r)
                lat.append(time.perf_counter() - t0)
        lat_ms = np.array(lat[10:]) * 1000
        return float(np.median(lat_ms)), float(np.percentile(lat_ms, 95)), float(lat_ms.max())

    rows = {}
    for name, fn in (("decode only", decode_only), ("decode + landmarks (bare)", bare), ("full analyze", full)):
        t0 = time.perf_counter()
        n = fn()
        dt = time.perf_counter() - t0
        rows[name] = n / dt
        print(f"{name:28s} {n:5d} frames in {dt:6.2f} s = {n / dt:7.1f} frames/s")
    with open_video(video) as src:
        fps = src.info.fps
    ratio = rows["full analyze"] / rows["decode + landmarks (bare)"]
    print(f"ratio full / bare            {ratio:.2f}   (goal >= 0.7)")
    print(f"full analyze vs real time    {rows['full analyze'] / fps:.2f}x (video {fps:.0f} fps; goal >= 5x)")
    med, p95, worst = streaming_latency()
    print(f"live push() latency          median {med:.1f} ms, 95th pct {p95:.1f} ms, max {worst:.1f} ms (goal < 100 ms)")


if __name__ == "__main__":
    main()
