"""Whole-process cost of ``smilescope analyze`` against bare decode + FaceMesh, in one run.

Both sides are timed as fresh processes (interpreter start and imports included), as a user
meets them:

(a) bare: a subprocess that imports PyAV and ``smilescope.track.facemesh``, decodes every
    frame with PyAV (threaded FFmpeg, rgb24) and runs ``MediaPipeFaceMesh`` on it, one frame
    after the other (no overlap) - the floor a sequential pipeline cannot beat;
(b) whole: ``smilescope analyze VIDEO --out DIR --no-save --quiet`` (this checkout's code:
    ``python -c "from smilescope.cli import main; main()"`` with ``PYTHONPATH=src``).

Rounds interleave (bare, whole, bare, whole, ...) so a load spike from another process hits
both; the script prints each round, the median and the spread (min-max) of the wall times,
the ratio bare / whole per round (goal >= 0.9; >= 1.0 needs stages that overlap FaceMesh),
the multiple of real time of each, each process's CPU time (user + sys), and how many cores
other processes used meanwhile (from /proc/stat), to tell a clean round from a noisy one.
The whole command runs with ``--no-save`` (a benchmark must not write into the user's
history); saving adds the store's start-up (SQLAlchemy, Alembic, pandas: about 0.6 s).

Decode alone (in this process, PyAV via ``smilescope.io.open_video``) is printed first for
reference.

The test video is the bundled real example (examples/d0.mp4) played forwards and backwards
to the requested length, on a 1280x720 canvas at 30 fps, H.264; it is cached in out/bench/.

    python benchmarks/pipeline.py [--seconds 30] [--rounds 3] [--wait-idle 0.8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.9

# The bare floor: imports + sequential PyAV decode + FaceMesh per frame, nothing else.
BARE = r"""
import sys
import av
from smilescope.track.facemesh import MediaPipeFaceMesh
n = 0
with av.open(sys.argv[1]) as c, MediaPipeFaceMesh() as det:
    st = c.streams.video[0]
    st.thread_type = "AUTO"
    for fr in c.decode(st):
        det(fr.to_ndarray(format="rgb24"))
        n += 1
print(n)
"""

WHOLE = "from smilescope.cli import main; main()"


def make_video(path: Path, *, seconds: float, fps: int = 30, size=(1280, 720)) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    src = [f.to_ndarray(format="rgb24") for f in av.open(str(ROOT / "examples" / "d0.mp4")).decode(video=0)]
    # ping-pong so the loop has no jump
    seq = src + src[::-1]
    w, h = size
    tmp = path.with_suffix(".part.mp4")
    out = av.open(str(tmp), "w")
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
    tmp.replace(path)
    return path


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _cpu_ticks() -> tuple[float, float]:
    """Machine-wide (busy, total) CPU seconds so far, from /proc/stat (Linux; zeros elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = f[3] + f[4]  # idle + iowait
    total = sum(f[:8])
    return (total - idle) / tick, total / tick


def wait_idle(min_idle: float, max_wait_s: float) -> float:
    """Wait (at most ``max_wait_s``) until the machine was at least ``min_idle`` idle over 1 s;
    return the idle share last seen."""
    t_end = time.monotonic() + max_wait_s
    while True:
        b0, t0 = _cpu_ticks()
        time.sleep(1.0)
        b1, t1 = _cpu_ticks()
        idle = 1.0 - (b1 - b0) / (t1 - t0) if t1 > t0 else 1.0
        if idle >= min_idle or time.monotonic() >= t_end:
            return idle


def timed_cpu(argv: list[str]) -> tuple[float, float, str, float]:
    """Run ``argv``; return (wall s, CPU s of the child = user + sys, stdout, cores that other
    processes used meanwhile)."""
    b0, _ = _cpu_ticks()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=_env(), cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    b1, _ = _cpu_ticks()
    others = max(0.0, (b1 - b0) - (ru.ru_utime + ru.ru_stime)) / wall
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])}... failed (exit {p.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return wall, ru.ru_utime + ru.ru_stime, out.decode(), others


def decode_only(video: Path) -> tuple[int, float]:
    from smilescope.io import open_video

    t0 = time.perf_counter()
    n = 0
    with open_video(video) as src:
        for _ in src:
            n += 1
    return n, time.perf_counter() - t0


def spread(xs: list[float], fmt: str = "{:.2f}") -> str:
    return f"median {fmt.format(statistics.median(xs))} (min {fmt.format(min(xs))}, max {fmt.format(max(xs))})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-decode", action="store_true", help="skip the decode-only figure")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SHARE",
                    help="before each run, wait (up to 120 s) until the machine is at least this idle over 1 s, e.g. 0.8")
    args = ap.parse_args()
    video = make_video(ROOT / "out" / "bench" / f"face_720p_{int(args.seconds)}s.mp4", seconds=args.seconds)
    with av.open(str(video)) as c:
        st = c.streams.video[0]
        duration = float(st.frames / st.average_rate) if st.frames else args.seconds
        n_frames = st.frames
        size = f"{st.codec_context.width}x{st.codec_context.height}"
    print(f"video: {video.relative_to(ROOT)}  {n_frames} frames, {duration:.1f} s, {size}; "
          f"cpus {os.cpu_count()}, python {sys.executable}")
    sys.path.insert(0, str(ROOT / "src"))
    from smilescope.pipeline.stages import STAGES_ENV, choose_stages, usable_cores

    print(f"whole runs its landmark stage in {choose_stages()} ({usable_cores()} usable cores"
          f"{f', {STAGES_ENV} set' if os.environ.get(STAGES_ENV) else ''})")

    if not args.no_decode:
        n, dt = decode_only(video)
        print(f"decode only (in process): {n} frames in {dt:.2f} s = {n / dt:.1f} frames/s ({duration / dt:.1f}x real time)")

    py = sys.executable
    out_dir = Path(tempfile.mkdtemp(prefix="smilescope-bench-"))
    runs = {
        "bare": [py, "-c", BARE, str(video)],
        "whole": [py, "-c", WHOLE, "analyze", str(video), "--out", str(out_dir / "whole"), "--no-save", "--quiet"],
    }
    labels = {"bare": "bare decode + FaceMesh (seq.)", "whole": "smilescope analyze (whole)"}
    rows: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
    try:
        for r in range(args.rounds):
            parts = []
            for name, argv in runs.items():
                idle = wait_idle(args.wait_idle, 120.0) if args.wait_idle else None
                wall, cpu, out, others = timed_cpu(argv)
                if name == "bare" and int(out.split()[-1]) != n_frames:
                    print(f"  note: bare saw {out.split()[-1]} frames, the container says {n_frames}")
                rows[name].append((wall, cpu))
                parts.append(f"{name} {wall:6.2f} s (cpu {cpu:5.2f} s, others {others:.1f} cores"
                             f"{f', idle before {idle:.0%}' if idle is not None else ''})")
            ratio = "  ".join(f"bare/{k} {rows['bare'][-1][0] / rows[k][-1][0]:.2f}" for k in runs if k != "bare")
            print(f"round {r + 1}: " + "  ".join(parts) + f"  -> {ratio}", flush=True)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

    print()
    for name in runs:
        walls = [w for w, _ in rows[name]]
        cpus = [c for _, c in rows[name]]
        print(f"{labels[name]:32s} wall {spread(walls)} s = {spread([duration / w for w in walls])}x real time; "
              f"cpu {spread(cpus)} s")
    for name in runs:
        if name == "bare":
            continue
        ratios = [b[0] / x[0] for b, x in zip(rows["bare"], rows[name])]
        cpu_ratios = [b[1] / x[1] for b, x in zip(rows["bare"], rows[name])]
        med = statistics.median(ratios)
        verdict = "met" if med >= GOAL else "NOT met"
        print(f"ratio bare / {name:6s} (wall, per round) {spread(ratios)}: goal >= {GOAL} {verdict}"
              f"{'; >= 1.0: the stages overlap FaceMesh' if med >= 1.0 else ''}.  cpu ratio {spread(cpu_ratios)}")
    print("Wall times on a shared machine are noisy: 'others' is the CPU other processes used meanwhile "
          "(of os.cpu_count() cores); compare rounds with little of it, or use --wait-idle.")


if __name__ == "__main__":
    main()
