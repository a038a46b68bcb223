"""Decode benchmark: PyAV (``smilescope.io.open_video``) against ``cv2.VideoCapture``.

Writes, into a temporary folder, a 10 s 1280x720 30 fps H.264 clip with texture and motion,
then reports frames/s for

(a) OpenCV: ``VideoCapture.read`` + ``cvtColor(BGR2RGB)``;
(b) smilescope: ``open_video`` iteration (PyAV, threaded decode, ``to_ndarray("rgb24")``,
    container timestamps);

and their ratio. It also checks both readers' timestamps on a variable-frame-rate MP4 (the
one in ``tests/io``): OpenCV's ``CAP_PROP_POS_MSEC`` has a reputation for being wrong there; print what it reads.

Run: ``.venv/bin/python benchmarks/decode.py [--seconds 10] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from smilescope.io import open_video


def write_textured_clip(path: Path, *, seconds: float, fps: int = 30, size=(1280, 720)) -> int:
    """A panning texture with sensor-like noise and a moving disc.

    CRF 16 on noisy frames gives ~10 Mbit/s, the bit rate of a phone's 720p30 recording:
    decode cost grows with bit rate, so a clean synthetic clip (~1 Mbit/s) would flatter both
    readers.
    """
    w, h = size
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.integers(0, 256, (h + 200, w + 200, 3), dtype=np.uint8), (0, 0), 2.0)
    n = int(seconds * fps)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps, options={"crf": "16", "preset": "veryfast"})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(n):
            dx, dy = int(100 + 80 * np.sin(i / 20)), int(100 + 60 * np.cos(i / 27))
            noise = rng.integers(0, 12, (h, w, 3), dtype=np.uint8)
            img = cv2.add(big[dy : dy + h, dx : dx + w], noise)
            cv2.circle(img, (int(w / 2 + 300 * np.sin(i / 15)), h // 2), 120, (230, 180, 150), -1)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return n


def write_vfr_clip(path: Path) -> list[float]:
    """The VFR clip of the tests: intervals alternating 1/30 and 1/20 s plus one 0.75 s gap."""
    times_s = [0.0]
    for i in range(1, 40):
        times_s.append(times_s[-1] + (1 / 30 if i % 2 else 1 / 20) + (0.75 if i == 25 else 0.0))
    tb = Fraction(1, 90000)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.time_base = s.codec_context.time_base = tb
        for i, t in enumerate(times_s):
            img = np.full((48, 64, 3), 20 + 5 * i, np.uint8)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = round(t / tb), tb
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return times_s


def write_portrait_clip(path: Path) -> None:
    """How a phone stores portrait video: landscape frames plus a -90 deg display matrix."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 640, 360, "yuv420p"
        s.set_display_rotation(-90)
        black = av.VideoFrame.from_ndarray(np.zeros((360, 640, 3), np.uint8), format="rgb24")
        for p in s.encode(black):
            c.mux(p)
        for p in s.encode():
            c.mux(p)


def bench_opencv(path: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        n += 1
    cap.release()
    assert rgb.shape[2] == 3
    return n, time.perf_counter() - t0


def bench_smilescope(path: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = 0
    with open_video(path) as src:
        for frame in src:
            n += 1
    assert frame.rgb.shape[2] == 3
    return n, time.perf_counter() - t0


def bench_pyav_decode_only(path: Path) -> tuple[int, float]:
    """PyAV decode without the RGB conversion: how much of (b) is colour conversion."""
    t0 = time.perf_counter()
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        n = sum(1 for _ in c.decode(s))
    return n, time.perf_counter() - t0


def best_rates(fns, path: Path, repeat: int) -> list[tuple[int, float]]:
    """Best frames/s of each reader over ``repeat`` rounds; rounds interleave the readers so
    that background load on a shared machine hits them alike."""
    best = [(0, 0.0)] * len(fns)
    for _ in range(repeat):
        for j, fn in enumerate(fns):
            n, dt = fn(path)
            best[j] = max(best[j], (n, n / dt), key=lambda r: r[1])
    return best


def opencv_vfr_times_s(path: Path) -> list[float]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        out.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
    cap.release()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"CPU: {os.cpu_count()} cores ({platform.machine()}), PyAV {av.__version__} "
        f"(FFmpeg {av.ffmpeg_version_info}), OpenCV {cv2.__version__} "
        f"({cv2.getNumThreads()} threads)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "textured_720p30.mp4"
        t0 = time.perf_counter()
        n = write_textured_clip(clip, seconds=args.seconds)
        print(
            f"wrote {n} frames 1280x720 H.264 ({clip.stat().st_size / 1e6:.1f} MB, "
            f"{clip.stat().st_size * 8 / args.seconds / 1e6:.1f} Mbit/s) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        (n_cv, fps_cv), (n_ss, fps_ss), (n_raw, fps_raw) = best_rates(
            [bench_opencv, bench_smilescope, bench_pyav_decode_only], clip, args.repeat
        )
        print(f"(a) OpenCV VideoCapture.read + BGR->RGB : {fps_cv:7.1f} frames/s ({n_cv} frames)")
        print(f"(b) smilescope open_video (PyAV, RGB)    : {fps_ss:7.1f} frames/s ({n_ss} frames)")
        print(f"    PyAV decode only, no RGB conversion : {fps_raw:7.1f} frames/s ({n_raw} frames)")
        print(f"ratio (b)/(a): {fps_ss / fps_cv:.2f}   (best of {args.repeat} runs each)")

        vfr = Path(tmp) / "vfr.mp4"
        truth = np.array(write_vfr_clip(vfr))
        cv_t = np.array(opencv_vfr_times_s(vfr))
        with open_video(vfr) as src:
            ss_t = np.array([f.t_s for f in src])
        cap = cv2.VideoCapture(str(vfr))
        cv_fps, cv_count = cap.get(cv2.CAP_PROP_FPS), cap.get(cv2.CAP_PROP_FRAME_COUNT)
        cap.release()
        naive = np.arange(len(truth)) / cv_fps

        def err_ms(t: np.ndarray) -> str:
            if len(t) != len(truth):
                return f"{len(t)} frames instead of {len(truth)}"
            e = np.abs(t - truth)
            return (
                f"max error {1000 * e.max():7.1f} ms, "
                f"frames off by >1 ms: {(e > 1e-3).sum()}/{len(truth)}"
            )

        print(f"VFR timestamps ({len(truth)} frames, true span {truth[-1]:.3f} s):")
        print(f"  OpenCV CAP_PROP_POS_MSEC    : {err_ms(cv_t)}")
        print(f"  OpenCV index / CAP_PROP_FPS : {err_ms(naive)}  (CAP_PROP_FPS = {cv_fps:g})")
        print(f"  smilescope Frame.t_s        : {err_ms(ss_t)}")
        ok = len(cv_t) == len(truth) and np.abs(cv_t - truth).max() < 1e-3
        print(
            f"  -> OpenCV CAP_PROP_POS_MSEC is {'RIGHT' if ok else 'WRONG'} for this VFR file; "
            f"CAP_PROP_FRAME_COUNT = {cv_count:g} (true {len(truth)}), "
            f"smilescope info: fps {src.info.fps:.2f}, frames {src.info.frames}"
        )

        rot = Path(tmp) / "portrait.mp4"
        write_portrait_clip(rot)
        cap = cv2.VideoCapture(str(rot))
        ok, bgr = cap.read()
        cap.release()
        with open_video(rot) as src:
            up = next(iter(src)).rgb
        print(
            f"Portrait clip stored 640x360 + display matrix (-90 deg): OpenCV default read gives "
            f"{bgr.shape[1]}x{bgr.shape[0]}, smilescope gives {up.shape[1]}x{up.shape[0]} "
            f"(rotation_deg={src.info.rotation_deg})"
        )


if __name__ == "__main__":
    main()
