"""One person's live session: webcam frames (JPEG) in, one JSON-ready read-out per frame out.

Knows nothing of HTTP: :mod:`smilescope.web.app` feeds it the WebSocket's messages. Each
message is checked here (size, type, content) and a bad one gets an ``{"error": ...}`` answer;
the session goes on, so one broken frame never ends practice.

Frame times: a browser knows when it grabbed a frame, the server only when the frame arrived,
after a variable trip. So a frame may carry its capture time: 8 bytes (little-endian float64,
seconds on the browser's clock) before the JPEG (``clock="client"``); otherwise the arrival
time on the server's monotonic clock is used (``clock="server"``). Measures use these times,
never an assumed frame rate.
"""

from __future__ import annotations

import io
import json
import math
import struct
import time
from dataclasses import asdict, dataclass
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from smilescope import landmarks as lm
from smilescope.errors import BadInputError
from smilescope.measures.practice import BY_KEY, KINDS, Rep, RepCounter
from smilescope.pipeline.live import LiveFrame, LiveMeasures
from smilescope.web.mesh import Magnifier

# A 640x480 webcam JPEG is 30-80 kB; 1920x1080 at high quality about 600 kB. Larger is not a
# webcam frame, and decoding it would hold up the person's feedback.
MAX_FRAME_BYTES = 2_000_000
# A 4K webcam gives 3840 x 2160. The size is read from the JPEG's header before decoding: a
# 600-byte file can claim 30000 x 30000 px (gigabytes decoded; the face model aborts the server
# on a side over 32767 px)
MAX_FRAME_SIDE_PX = 4096
MAX_TEXT_BYTES = 10_000
JPEG_MAGIC = b"\xff\xd8\xff"
# Mean grey level (0-255) below which the picture is too dark: the landmark model loses the
# lips' and lids' edges in sensor noise (the iris, our millimetre scale, goes first).
TOO_DARK_GREY = 50.0
# A face narrower than this (px) gives an iris of under ~12 px, about 1 mm per pixel: too far for
# the millimetre movements practice is about (the analysis refuses faces under 80 px).
TOO_FAR_FACE_PX = 140.0
# Beyond this head turn the two corners are no longer seen alike (one moves behind the cheek's
# curve), so left/right is not comparable: the same limit as a relaxed baseline's.
TURNED_DEG = 15.0


class BadMessage(ValueError):
    """A message the session cannot use; the text says what was wrong."""


@dataclass(frozen=True)
class Reading:
    """The answer to one frame: the live read-out plus what hinders it (``quality``)."""

    t_s: float
    face: bool
    valid: bool
    reason: str | None
    baseline_ready: bool
    mm_per_px: float | None
    excursion_mm: dict[str, float | None]
    eye_opening_mm: dict[str, float | None]
    head_yaw_deg: float | None
    head_pitch_deg: float | None
    steadiness_mm: float | None
    quality: list[str]
    baseline_wait: str | None = None  # what keeps restarting a baseline awaited for some seconds, as advice

    def to_dict(self) -> dict:
        return asdict(self)


def decode_frame(data: bytes, *, clock: str) -> tuple[np.ndarray, float | None]:
    """(RGB image, capture time in s or None) from one binary message; :class:`BadMessage` if
    it is not a usable JPEG frame."""
    if len(data) > MAX_FRAME_BYTES:
        raise BadMessage(f"frame of {len(data)} bytes is larger than {MAX_FRAME_BYTES}: send a webcam-sized JPEG")
    t_s = None
    if clock == "client":
        if len(data) < 8:
            raise BadMessage("a frame must start with its capture time (8 bytes, little-endian float64 seconds)")
        (t_s,) = struct.unpack("<d", data[:8])
        if not math.isfinite(t_s):
            raise BadMessage("the frame's capture time is not a finite number")
        data = data[8:]
    if not data.startswith(JPEG_MAGIC):
        raise BadMessage("a frame must be a JPEG image")
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            w, h = im.size
    except (OSError, ValueError, Image.DecompressionBombError):
        raise BadMessage("the JPEG could not be decoded") from None
    if max(w, h) > MAX_FRAME_SIDE_PX:
        raise BadMessage(f"frame of {w}x{h} px is larger than {MAX_FRAME_SIDE_PX} px a side: send a webcam-sized frame")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.ndim != 3 or min(bgr.shape[:2]) < 16:
        raise BadMessage("the JPEG could not be decoded")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t_s


def quality_warnings(rgb: np.ndarray, frame: LiveFrame, face_width_px: float) -> list[str]:
    """Plain words for what stands between this frame and a good measure."""
    warn = []
    if float(rgb.mean()) < TOO_DARK_GREY:
        warn.append("too dark: face a window or a lamp")
    if not frame.face:
        warn.append("no face found: look at the camera")
        return warn
    if math.isfinite(face_width_px) and face_width_px < TOO_FAR_FACE_PX:
        warn.append("too far: come closer to the camera")
    if frame.head_yaw_deg is not None and abs(frame.head_yaw_deg) > TURNED_DEG:
        warn.append("head turned: face the camera")
    if frame.head_pitch_deg is not None and abs(frame.head_pitch_deg) > TURNED_DEG:
        warn.append("head tilted up or down: face the camera")
    return warn


class LiveSession:
    """Turns WebSocket messages into answers for one connection.

    Parameters
    ----------
    measures : LiveMeasures
        The per-frame engine (one per connection; closed with the session).
    clock : {"server", "client"}
        Where frame times come from (see the module's docstring).
    now : callable, optional
        The server's clock (s); tests pass their own.
    mesh : bool
        Add the magnified outlines (:class:`smilescope.web.mesh.Magnifier`) to each answer.
    hold_for : callable(exercise key) -> float or None, optional
        Today's hold for an exercise when it grows with progress (micro-smiles); None: the
        exercise's own.
    on_rep : callable(exercise, number, rep dict), optional
        Called with each finished repetition (the app stores it); a
        :class:`~smilescope.errors.BadInputError` it raises is told to the person, and practice goes on.
    """

    def __init__(self, measures: LiveMeasures, *, clock: str = "server", now: Callable[[], float] = time.monotonic,
                 mesh: bool = False, on_rep: Callable[[str, int, dict], None] | None = None,
                 hold_for: Callable[[str], float | None] | None = None) -> None:
        if clock not in ("server", "client"):
            raise ValueError(f"clock must be 'server' or 'client', not {clock!r}")
        self.measures = measures
        self.clock = clock
        self._now = now
        self._t0: float | None = None
        self._last_t: float | None = None
        self.exercise: str | None = None
        self._counter: RepCounter | None = None
        self.done: list[tuple[str, Rep]] = []  # (exercise key, repetition) of this session
        self.on_rep = on_rep
        self.hold_for = hold_for
        self.magnifier = Magnifier() if mesh else None
        self._relaxed_span: tuple[float, float] | None = None

    def on_frame(self, data: bytes) -> dict:
        """Answer one binary message (a frame)."""
        try:
            rgb, t_client = decode_frame(data, clock=self.clock)
        except BadMessage as e:
            return {"error": str(e)}
        t = t_client if t_client is not None else self._now()
        if self._t0 is None:
            self._t0 = t
        t_s = t - self._t0
        if not math.isfinite(t_s):  # two finite capture times can still be an infinite time apart
            return {"error": "the frame's capture time is too far from the first frame's: frame skipped"}
        if self._last_t is not None and t_s <= self._last_t:
            return {"error": f"frame time {t_s:.3f} s is not after the previous frame's ({self._last_t:.3f} s): frame skipped"}
        self._last_t = t_s
        ob = self.measures.analyzer.observe(rgb, t_s)
        r = self.measures.analyzer.measure(ob)
        f = self.measures.read(r)
        answer = Reading(
            t_s=round(t_s, 4), face=f.face, valid=f.valid, reason=f.reason, baseline_ready=f.baseline_ready,
            mm_per_px=f.mm_per_px, excursion_mm=f.excursion_mm or {"right": None, "left": None},
            eye_opening_mm=f.eye_opening_mm or {"right": None, "left": None},
            head_yaw_deg=f.head_yaw_deg, head_pitch_deg=f.head_pitch_deg, steadiness_mm=f.steadiness_mm,
            quality=quality_warnings(rgb, f, r.face_width_px), baseline_wait=f.baseline_wait,
        ).to_dict()
        if self.magnifier is not None and ob.face is not None and f.valid:
            span = self.measures.baseline_span_s
            if span is not None and span != self._relaxed_span:
                self.magnifier.relax(span)  # a new baseline: its frames are the relaxed outline
                self._relaxed_span = span
            answer["mesh"] = self.magnifier.push(ob.face.landmarks_px, t_s, corners_px=self._tracked_corners(r))
        if self._counter is not None and f.valid:
            rep = self._counter.push(t_s, f.excursion_mm, f.eye_opening_mm, f.steadiness_mm, f.movement_mm)
            if rep is not None:
                self.done.append((self.exercise, rep))
                number = len(self._counter.reps)
                answer["rep"] = {"exercise": self.exercise, "number": number, **rep.to_dict()}
                if self.on_rep is not None:
                    try:
                        self.on_rep(self.exercise, number, rep.to_dict())
                    except BadInputError as e:
                        answer["warning"] = f"this repetition was not saved: {e}"
        return answer

    def _tracked_corners(self, r) -> dict[str, np.ndarray] | None:
        """The mouth corners where the measures put them (reference-frame px), for the mirror."""
        fa = self.measures.analyzer
        ref, frame = fa.reference_points_px, fa.face_frame
        if frame is None or not ref:
            return None
        if not self.magnifier.has_reference:
            self.magnifier.set_reference(np.array([ref[i] for i in lm.STABLE]))
        out = {}
        for s in lm.SIDES:
            lateral, up = r.signals_px[f"mouth_corner_{s}_x_px"], r.signals_px[f"mouth_corner_{s}_y_px"]
            x = lateral if s == "left" else -lateral  # lateral is towards the person's own side
            out[s] = ref[lm.MOUTH_CORNER[s]] + x * frame.x + up * frame.up
        return out

    def on_text(self, text: str) -> dict:
        """Answer one text message (an action)."""
        if len(text) > MAX_TEXT_BYTES:
            return {"error": "message too long"}
        try:
            msg = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return {"error": 'a text message must be JSON, e.g. {"action": "baseline"}'}
        if not isinstance(msg, dict) or not isinstance(msg.get("action"), str):
            return {"error": 'a text message must be an object with an "action", e.g. {"action": "baseline"}'}
        if msg["action"] == "baseline":
            self.measures.capture_baseline()
            return {"ok": "baseline", "message": f"relax your face: a new baseline is taken over {self.measures.baseline_s:g} s"}
        if msg["action"] == "exercise":
            key = msg.get("key")
            ex = BY_KEY.get(key) if isinstance(key, str) else None
            if ex is None:
                return {"error": f"unknown exercise; known: {', '.join(BY_KEY)}"}
            self.exercise = ex.key
            # repetitions are found and scored for every movement exercise; the relaxed face
            # and resting-face awareness are guided
            hold_s = (self.hold_for(ex.key) if self.hold_for is not None else None) or ex.hold_s
            # eye narrowing is measured from the eyes' opening in the relaxed baseline; without one
            # yet, from the frames before the first repetition (RepCounter's own default)
            self._counter = (RepCounter(target_hold_s=hold_s, kind=ex.measured, eye_rest_mm=self.measures.baseline_eye_mm)
                             if ex.measured in KINDS else None)
            return {"ok": "exercise", "exercise": {**ex.to_dict(), "hold_s": hold_s}, "scored": self._counter is not None}
        if msg["action"] == "stop":
            key, self.exercise, self._counter = self.exercise, None, None
            return {"ok": "stopped", "exercise": key, "reps": [r.to_dict() for k, r in self.done if k == key]}
        return {"error": f"unknown action {msg['action'][:40]!r}; known: baseline, exercise, stop"}

    def close(self) -> None:
        self.measures.close()
