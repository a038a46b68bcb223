"""The coach's live loop: per-frame latency and sustained frame rate at 640x480.

(a) latency: from a JPEG frame received to its JSON answer ready to send, inside the server
    (``LiveSession.on_frame`` + JSON encoding), over the example video (real face, rest -> broad
    smile -> rest) scaled to 640x480 and played on a loop; the first 30 frames (start-up) are
    left out. Goal: median < 50 ms, 95th percentile < 100 ms on a 2-core machine.
(b) sustained: a real server (uvicorn on 127.0.0.1) and a WebSocket client sending frames one at a
    time, as the page does (one in flight): frames answered per second over the run.

    PYTHONPATH=src python benchmarks/live.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from smilescope.io import open_video
from smilescope.pipeline import LiveMeasures
from smilescope.web.session import LiveSession

ROOT = Path(__file__).resolve().parents[1]


def frames_640x480() -> list[bytes]:
    out = []
    with open_video(ROOT / "examples" / "d0.mp4") as src:
        for f in src:
            canvas = np.full((480, 640, 3), 40, np.uint8)
            face = cv2.resize(f.rgb, (480, 480), interpolation=cv2.INTER_AREA)
            canvas[:, 80:560] = face
            out.append(cv2.imencode(".jpg", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
    return out + out[::-1]  # ping-pong: no jump at the loop


def latency(jpegs: list[bytes], seconds: float) -> list[float]:
    times = []
    with LiveMeasures() as lm:
        session = LiveSession(lm, clock="client", mesh=True)
        n, t_video = 0, 0.0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            data = struct.pack("<d", t_video) + jpegs[n % len(jpegs)]
            t0 = time.perf_counter()
            json.dumps(session.on_frame(data))
            times.append(time.perf_counter() - t0)
            n += 1
            t_video += 1 / 30
    return times[30:]


def sustained(jpegs: list[bytes], seconds: float) -> float:
    import uvicorn
    from websockets.sync.client import connect

    from smilescope.web.app import Settings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(Settings(port=port)), host="127.0.0.1",
                                        port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    n = 0
    with connect(f"ws://127.0.0.1:{port}/ws/live?clock=client", origin=f"http://127.0.0.1:{port}") as ws:
        t_start = time.monotonic()
        while time.monotonic() - t_start < seconds:
            ws.send(struct.pack("<d", n / 30) + jpegs[n % len(jpegs)])
            ws.recv()
            n += 1
        rate = n / (time.monotonic() - t_start)
    srv.should_exit = True
    th.join(10)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    a = ap.parse_args()
    jpegs = frames_640x480()
    ms = np.array(latency(jpegs, a.seconds)) * 1000
    med, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
    print(f"latency JPEG in -> JSON out at 640x480 (with the magnified outline), {len(ms)} frames: "
          f"median {med:.1f} ms (goal < 50), 95th percentile {p95:.1f} ms (goal < 100), max {ms.max():.1f} ms")
    print(f"  goals {'met' if med < 50 and p95 < 100 else 'NOT met'}; mean {statistics.fmean(ms):.1f} ms")
    fps = sustained(jpegs, a.seconds)
    print(f"sustained over a real WebSocket on 127.0.0.1, one frame in flight: {fps:.1f} frames/s")


if __name__ == "__main__":
    main()
