"""Live measures for the coach: one webcam frame in, the numbers to show out.

:class:`LiveMeasures` wraps a :class:`FaceAnalyzer`. It first captures a baseline (about a
second of the relaxed face; again whenever :meth:`LiveMeasures.capture_baseline` is called),
then for every frame gives each mouth corner's excursion from that baseline (mm), each eye's
opening (mm), the head pose and a rolling steadiness figure: the amplitude of the corners'
movement above 3 Hz over the last ~2 s. The excursion and the steadiness are computed by the
same functions as the file analysis (``measures.smile.corner_excursion``,
``measures.shake.band_amplitude_mm``), so live and batch agree on the same frames.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from smilescope.geometry.calibration import IRIS_DIAMETER_MM
from smilescope.landmarks import SIDES
from smilescope.measures.shake import MIN_HZ as TREMOR_MIN_HZ, band_amplitude_mm
from smilescope.measures.smile import (
    REST_MAX_ANGLE_DEG,
    REST_MAX_LIP_GAP_MM,
    REST_EYES_OPEN,
    REST_MAX_SMILE_SCORE,
    REST_STILL_MM,
    corner_excursion,
)
from smilescope.pipeline.engine import FaceAnalyzer, FrameResult

CORNER_COLUMNS = {s: (f"mouth_corner_{s}_x_mm", f"mouth_corner_{s}_y_mm") for s in SIDES}
# The movements the coach's other exercises follow, from the relaxed face (mm; x lateral: + away
# from the midline, y: + up): brow raise, pucker (corners in), snarl (the upper lip and the
# nasolabial region up), cheek puff (cheeks out).
MOVEMENT_COLUMNS: tuple[str, ...] = tuple(
    c for s in SIDES for c in (f"brow_{s}_height_mm", f"mouth_corner_{s}_x_mm", f"mouth_corner_{s}_y_mm",
                               f"nasolabial_{s}_y_mm", f"cheek_{s}_x_mm")) + ("upper_lip_y_mm",)
EYE_COLUMNS: tuple[str, ...] = tuple(f"palpebral_{s}_height_mm" for s in SIDES)


@dataclass(frozen=True)
class LiveFrame:
    """The read-out of one frame. Sides are the person's own; ``None``: not available yet."""

    t_s: float
    face: bool
    valid: bool
    reason: str | None
    mm_per_px: float | None
    baseline_ready: bool
    excursion_mm: dict[str, float | None] = field(default_factory=lambda: {s: None for s in SIDES})
    eye_opening_mm: dict[str, float | None] = field(default_factory=lambda: {s: None for s in SIDES})
    head_yaw_deg: float | None = None
    head_pitch_deg: float | None = None
    head_roll_deg: float | None = None
    steadiness_mm: float | None = None
    movement_mm: dict[str, float | None] = field(default_factory=dict)  # MOVEMENT_COLUMNS from the baseline
    # while a baseline is awaited for more than BASELINE_HINT_S: what keeps restarting it, as advice
    baseline_wait: str | None = None


def _num(x: float) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


# A baseline takes a second of relaxed, still face; past this long without one, the person is told
# what keeps restarting it (a blink, lips apart, a smile, a turned head, moving), which they
# cannot see for themselves. A hint stays at least HINT_HOLD_S, so it is read, not flickered.
BASELINE_HINT_S = 4.0
HINT_HOLD_S = 2.0
WAIT_WORDS = {
    "lips": "Rest your mouth closed, without talking: it opened.",
    "turned": "Look straight at the camera: the head was turned.",
    "smile": "Let the smile go: the baseline is your relaxed face.",
    "eyes": "Keep your eyes open and soft: a blink or a squint starts the second again.",
    "moved": "Hold still for a second: the face moved.",
}

EYES_SEEN_S = 30.0  # the open eye is judged over the last half minute (the file analysis: the whole recording)
# An open eye shows most of its iris (the upper lid covers 1-2 mm of its 11.7 mm): a fissure under
# 40 % of the iris is an eye closing, even when it has been so since the session began
OPEN_EYE_MIN_MM = 0.4 * IRIS_DIAMETER_MM


class LiveMeasures:
    """Per-frame measures from a baseline, for live feedback.

    Parameters
    ----------
    analyzer : FaceAnalyzer, optional
        The engine (default: a new one with MediaPipe); closed with this object if created here.
    baseline_s : float
        How long (s of valid frames) the baseline is taken over.
    steadiness_window_s : float
        Length of the rolling window of the steadiness figure (s).
    mm_per_px : float, optional
        A fixed millimetre scale; default: the analyzer's running iris calibration.
    """

    def __init__(self, analyzer: FaceAnalyzer | None = None, *, baseline_s: float = 1.0,
                 steadiness_window_s: float = 2.0, mm_per_px: float | None = None) -> None:
        self._own = analyzer is None
        self.analyzer = analyzer if analyzer is not None else FaceAnalyzer(count_faces=False)
        self.baseline_s = baseline_s
        self.window_s = steadiness_window_s
        self.fixed_mm_per_px = mm_per_px
        self._capturing: list[tuple[float, dict[str, np.ndarray]]] = []
        self._capture = True
        self.baseline_mm: dict[str, np.ndarray] | None = None
        self.baseline_span_s: tuple[float, float] | None = None  # the frames the baseline was taken over
        self.baseline_moves_mm: np.ndarray | None = None  # MOVEMENT_COLUMNS at rest
        # each eye's opening over the baseline (mm): the relaxed opening an exercise's eye
        # narrowing is measured from, even when it begins in the middle of a smile
        self.baseline_eye_mm: dict[str, float] | None = None
        self._capturing_moves: list[np.ndarray] = []
        self._recent: deque[tuple[float, np.ndarray]] = deque()
        # the smaller eye's opening (px, in the aligned reference face: no scale in it) over the
        # last EYES_SEEN_S of valid frames: its 90th percentile is the open eye, as in the file
        # analysis (a baseline taken with the eyes shut made every later smile "open the eyes")
        self._eyes_seen: deque[tuple[float, float]] = deque()
        # the scale the baseline was taken at: measures from it stay at that scale (the running
        # iris scale drifts by a few per cent, and a brow 20 mm above the eye line read 1 mm of
        # "raise" for a 5 % drift)
        self._baseline_k: float | None = None
        self._waiting_since: float | None = None  # the first frame seen while this baseline is awaited
        self._restart: tuple[float, str] | None = None  # (t_s, WAIT_WORDS key): the latest restart
        self._hint: tuple[float, str] | None = None  # (since t_s, words): the hint shown

    def capture_baseline(self) -> None:
        """Take a new baseline from the next ``baseline_s`` seconds of relaxed, still face."""
        self._capturing, self._capturing_moves = [], []
        self._capture = True
        self._baseline_k = None
        self._waiting_since = self._restart = self._hint = None

    def _waiting(self, t_s: float, reason: str | None) -> str | None:
        """Note a restart of the baseline's stretch (``reason``: a WAIT_WORDS key or the frame's
        own reason it was not measured) and give the hint to show at ``t_s``, if any."""
        if not self._capture:
            return None
        if self._waiting_since is None:
            self._waiting_since = t_s
        if reason is not None:
            self._restart = (t_s, reason)
        if t_s - self._waiting_since < BASELINE_HINT_S or self._restart is None:
            return None
        key = self._restart[1]
        words = WAIT_WORDS.get(key, f"The face is not measured now: {key}.")
        if self._hint is None or (self._hint[1] != words and t_s - self._hint[0] >= HINT_HOLD_S):
            self._hint = (t_s, words)
        return self._hint[1]

    def scale(self) -> float:
        """mm per px of the measures: fixed if given, else the baseline's, else the running iris scale."""
        if self.fixed_mm_per_px is not None:
            return self.fixed_mm_per_px
        return self._baseline_k if self._baseline_k is not None else self.analyzer.mm_per_px

    def push(self, rgb: np.ndarray, t_s: float) -> LiveFrame:
        """Analyse one upright RGB frame taken at ``t_s`` seconds."""
        return self.read(self.analyzer.push(rgb, t_s))

    def read(self, r: FrameResult) -> LiveFrame:
        """The read-out of a frame the analyzer has measured (frames in order)."""
        k = self.scale()
        if not r.valid or not np.isfinite(k):
            reason = r.reason if not r.valid else "calibrating"
            if self._capture:
                self._capturing, self._capturing_moves = [], []  # a baseline is a stretch of seen, relaxed face
            return LiveFrame(t_s=r.t_s, face=r.face_found, valid=False, reason=reason, mm_per_px=_num(k),
                             baseline_ready=self.baseline_mm is not None,
                             head_yaw_deg=_num(r.yaw_deg), head_pitch_deg=_num(r.pitch_deg), head_roll_deg=_num(r.roll_deg),
                             baseline_wait=self._waiting(r.t_s, reason or "no face"))
        mm = self.analyzer.to_mm(r, k)
        xy = {s: np.array([mm[c] for c in CORNER_COLUMNS[s]]) for s in SIDES}
        eyes_px = min(r.signals_px.get("palpebral_right_height_px", np.nan), r.signals_px.get("palpebral_left_height_px", np.nan))
        if np.isfinite(eyes_px):
            self._eyes_seen.append((r.t_s, eyes_px))
        while self._eyes_seen and r.t_s - self._eyes_seen[0][0] > EYES_SEEN_S:
            self._eyes_seen.popleft()
        restarted = None
        if self._capture:
            not_relaxed = self._not_relaxed(r, k)
            if not_relaxed is None and not (self._eyes_open(eyes_px) and eyes_px * k >= OPEN_EYE_MIN_MM):
                not_relaxed = "eyes"
            if not_relaxed is not None:
                self._capturing, self._capturing_moves = [], []  # the baseline is a stretch of relaxed face: start again
                restarted = not_relaxed
            else:
                self._capturing.append((r.t_s, xy))
                self._capturing_moves.append(np.array([mm[c] for c in MOVEMENT_COLUMNS + EYE_COLUMNS]))
                # still: the face's position now within REST_STILL_MM (the smallest smile
                # counted) of the stretch's median position; further away it has moved, and the
                # stretch starts again from this frame (webcam jitter of a pixel or two stays well
                # inside). "Now" is the mean over the last period of the tremor band's lowest
                # frequency (1/3 s): a lip tremor (a 2 mm one puts single frames 2 mm off) averages
                # out to under a quarter of that, while a face moving into an expression
                # still moves the mean away.
                pts = np.array([np.concatenate([x["right"], x["left"]]) for _, x in self._capturing])
                when = np.array([t for t, _ in self._capturing])
                now = pts[when >= r.t_s - 1.0 / TREMOR_MIN_HZ].mean(axis=0)
                centre = np.median(pts, axis=0)
                if max(np.linalg.norm(now[:2] - centre[:2]), np.linalg.norm(now[2:] - centre[2:])) > REST_STILL_MM:
                    self._capturing = self._capturing[-1:]
                    self._capturing_moves = self._capturing_moves[-1:]
                    restarted = "moved"
                if r.t_s - self._capturing[0][0] >= self.baseline_s:
                    self.baseline_mm = {s: np.median([x[s] for _, x in self._capturing], axis=0) for s in SIDES}
                    self.baseline_span_s = (self._capturing[0][0], r.t_s)
                    at_rest = np.stack(self._capturing_moves)
                    self.baseline_moves_mm = np.nanmedian(at_rest[:, :len(MOVEMENT_COLUMNS)], axis=0)
                    eyes = np.nanmedian(at_rest[:, len(MOVEMENT_COLUMNS):], axis=0)
                    self.baseline_eye_mm = ({s: float(v) for s, v in zip(SIDES, eyes)}
                                            if np.isfinite(eyes).all() and (eyes > 0).all() else None)
                    self._capture = False
                    self._baseline_k = k
        wait = self._waiting(r.t_s, restarted)
        self._recent.append((r.t_s, np.concatenate([xy["right"], xy["left"]])))
        while self._recent and r.t_s - self._recent[0][0] > self.window_s:
            self._recent.popleft()
        exc: dict[str, float | None] = {s: None for s in SIDES}
        if self.baseline_mm is not None:
            exc = {s: float(corner_excursion(xy[s], self.baseline_mm[s])[2]) for s in SIDES}
        t = np.array([x[0] for x in self._recent])
        v = np.array([x[1] for x in self._recent])
        moves: dict[str, float | None] = {}
        if self.baseline_moves_mm is not None:
            moves = {c: _num(mm[c] - b) for c, b in zip(MOVEMENT_COLUMNS, self.baseline_moves_mm)}
        return LiveFrame(
            t_s=r.t_s, face=True, valid=True, reason=None, mm_per_px=float(k),
            baseline_ready=self.baseline_mm is not None, excursion_mm=exc,
            eye_opening_mm={s: float(mm[f"palpebral_{s}_height_mm"]) for s in SIDES},
            head_yaw_deg=_num(r.yaw_deg), head_pitch_deg=_num(r.pitch_deg), head_roll_deg=_num(r.roll_deg),
            steadiness_mm=_num(band_amplitude_mm(t, v)), movement_mm=moves, baseline_wait=wait,
        )

    def _eyes_open(self, eyes_px: float) -> bool:
        """Both eyes at least REST_EYES_OPEN of their open opening (the 90th percentile of the
        smaller eye's opening seen lately), as the file analysis' relaxed face."""
        if not self._eyes_seen:
            return False
        usual = float(np.percentile([e for _, e in self._eyes_seen], 90))
        return bool(np.isfinite(eyes_px) and eyes_px >= REST_EYES_OPEN * usual)

    @staticmethod
    def _not_relaxed(r: FrameResult, mm_per_px: float) -> str | None:
        """None for a frame that can be part of the relaxed face, by the file analysis' own rules
        (``measures.smile.find_baseline``): facing the camera, mouth not opened, no confident
        smile (stillness is checked over the stretch); else the condition it fails, a
        :data:`WAIT_WORDS` key."""
        # what was not measured counts against rest, as there (a lip gap not seen may be open)
        gap_mm = r.lip_gap_px * mm_per_px
        angles = np.array([r.yaw_deg, r.pitch_deg], dtype=float)
        if not (np.isfinite(angles).all() and np.abs(angles).max() <= REST_MAX_ANGLE_DEG):
            return "turned"
        if not (np.isfinite(gap_mm) and gap_mm <= REST_MAX_LIP_GAP_MM):
            return "lips"
        if not (np.isfinite(r.smile_score) and r.smile_score < REST_MAX_SMILE_SCORE):
            return "smile"
        return None

    def close(self) -> None:
        if self._own:
            self.analyzer.close()

    def __enter__(self) -> "LiveMeasures":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
