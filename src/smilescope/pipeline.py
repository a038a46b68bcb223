"""The one place that wires a video through everything: frames -> landmarks -> refined points
-> head alignment -> calibrated facial signals.

Two ways in, one implementation:

* :class:`FaceAnalyzer` takes frames one at a time (``push``) — the live coach feeds webcam
  frames and reads the measures of each frame at once;
* :func:`analyze` runs a :class:`FaceAnalyzer` over a whole file and adds what needs the whole
  video (calibration over every frame, the noise floor, quality warnings).
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from smilescope import landmarks as lm
from smilescope.errors import BadInputError
from smilescope.geometry.align import FaceFrame, Similarity, fit_similarity
from smilescope.geometry.calibration import IRIS_DIAMETER_MM, Calibration, iris_diameters_px
from smilescope.signals import (
    DISPLACEMENT_SIGNALS,
    FACIAL_SIGNALS,
    SignalTable,
    facial_signals_px,
    noise_floor_mm,
    tracked_landmarks,
)
from smilescope.measures.smile_score import smile_score
from smilescope.track.facemesh import LandmarkDetector, MediaPipeFaceMesh, head_angles_deg
from smilescope.track.flow import PatchTracker

HEAD_SIGNALS = ("head_x_mm", "head_y_mm", "head_roll_deg", "head_scale", "head_yaw_deg", "head_pitch_deg")


@dataclass(frozen=True)
class PipelineConfig:
    """Settings of the signal pipeline; lengths in mm, angles in degrees.

    Attributes
    ----------
    refine : bool
        Re-measure facial points with optical flow (True) or use raw landmarks (False).
    lk_window_mm : float
        Width of the optical-flow patch. About 6 mm holds enough skin texture to lock on and
        is small enough to follow one point rather than a whole region.
    min_face_width_px : float
        Narrower faces are too small to measure millimetres (the iris would be < 10 px).
    max_yaw_deg, max_pitch_deg : float
        Beyond these turns the 2-D alignment no longer holds; those frames are not used.
    reference_max_angle_deg : float
        The reference (neutral) frame must be at least this frontal.
    settle_s : float
        The reference is taken once the face has been tracked this long: FaceMesh's first
        frame comes from the detector's crop and later ones from its own tracking crop, and on
        smooth skin (cheek, forehead) the two can disagree by several millimetres.
    face_check_interval_s : float
        How often to look for a second face.
    calibration_interval_s : float
        How often a frame with open eyes is used to measure the iris.
    """

    refine: bool = True
    lk_window_mm: float = 6.0
    min_face_width_px: float = 80.0
    max_yaw_deg: float = 30.0
    max_pitch_deg: float = 25.0
    reference_max_angle_deg: float = 15.0
    settle_s: float = 0.2
    face_check_interval_s: float = 1.0
    calibration_interval_s: float = 0.5


@dataclass(frozen=True)
class FrameResult:
    """What one frame gave.

    ``signals_px`` and ``head_px`` are lengths in reference-frame pixels (scale-free); use
    :meth:`FaceAnalyzer.to_mm` or the video calibration to read millimetres.
    """

    index: int
    t_s: float
    face_found: bool
    valid: bool
    reason: str | None = None
    n_faces: int = 0
    face_width_px: float = float("nan")
    yaw_deg: float = float("nan")
    pitch_deg: float = float("nan")
    roll_deg: float = float("nan")
    iris_ref_px: float = float("nan")
    refined_fraction: float = float("nan")
    smile_score: float = float("nan")
    dental_show: float = float("nan")
    head: dict[str, float] = field(default_factory=dict)
    signals_px: dict[str, float] = field(default_factory=dict)


class FaceAnalyzer:
    """Incremental pipeline: push one frame at a time, read its measures at once.

    The first valid, frontal frame becomes the reference (the neutral face); every later frame
    is aligned to it. Keep the face relaxed when the analysis starts.

    Parameters
    ----------
    detector : LandmarkDetector, optional
        Defaults to MediaPipe FaceMesh with iris refinement.
    config : PipelineConfig
    count_faces : bool
        Look for a second person about once a second (``config.face_check_interval_s``).
    """

    def __init__(self, *, detector: LandmarkDetector | None = None, config: PipelineConfig = PipelineConfig(),
                 count_faces: bool = True) -> None:
        self.config = config
        self._own_detector = detector is None
        self._detector = detector if detector is not None else MediaPipeFaceMesh()
        self._calib_mesh = MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1) if self._own_detector else None
        self._last_calib_t = -math.inf
        self._counter = None
        if count_faces and self._own_detector:
            from smilescope.track.multiface import FaceCounter

            self._counter = FaceCounter()
        self._multi = False
        self._last_check_t = -math.inf
        self._index = 0
        self._points = tracked_landmarks()
        self._tracker: PatchTracker | None = None
        self._ref_px: np.ndarray | None = None
        self._ref_map: dict[int, np.ndarray] = {}
        self._frame: FaceFrame | None = None
        self._iris_recent: deque[float] = deque(maxlen=300)
        self._ref_open: float | None = None
        self._tracked_since: tuple[float, int] | None = None
        self.reference_t_s: float | None = None
        self.multi_face_frames = 0

    # -- public -----------------------------------------------------------------------------
    @property
    def mm_per_px(self) -> float:
        """Running calibration (mm per reference-frame pixel) from the irises seen so far."""
        if not self._iris_recent:
            return float("nan")
        return IRIS_DIAMETER_MM / float(np.median(self._iris_recent))

    def reference_face_px(self) -> dict[str, np.ndarray]:
        """Key points of the reference face in face axes (px, x to the subject's left, y up,
        origin between the irises): where the mouth corners and lips sit at rest."""
        if self._frame is None:
            return {}
        names = {"mouth_corner_right": lm.MOUTH_CORNER["right"], "mouth_corner_left": lm.MOUTH_CORNER["left"],
                 "upper_lip": lm.UPPER_LIP_CENTRE, "lower_lip": lm.LOWER_LIP_CENTRE}
        return {k: self._frame.to_face(self._ref_map[i] - self._frame.origin_px) for k, i in names.items()}

    def to_mm(self, result: FrameResult, mm_per_px: float | None = None) -> dict[str, float]:
        """Signals and head motion of one frame in mm (and degrees), for live display."""
        k = self.mm_per_px if mm_per_px is None else mm_per_px
        out = {name: v * k for name, v in result.signals_px.items()}
        out.update(_head_to_units(result.head, k))
        return out

    def push(self, rgb: np.ndarray, t_s: float) -> FrameResult:
        """Analyse one upright RGB frame (H, W, 3, uint8) taken at ``t_s`` seconds."""
        i = self._index
        self._index += 1
        self._check_faces(rgb, t_s)
        obs = self._detector(rgb)
        if obs is None:
            self._tracked_since = None
            return FrameResult(index=i, t_s=t_s, face_found=False, valid=False, reason="no face")
        if self._tracked_since is None:
            self._tracked_since = (t_s, i)
        if obs.n_faces > 1:
            self.multi_face_frames += 1
        yaw, pitch, roll = head_angles_deg(obs.landmarks_px)
        width = obs.face_width_px
        base = dict(index=i, t_s=t_s, face_found=True, n_faces=obs.n_faces, face_width_px=width,
                    yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll, smile_score=smile_score(obs.landmarks_px))
        cfg = self.config
        if width < cfg.min_face_width_px:
            return FrameResult(**base, valid=False, reason="face too small")
        if abs(yaw) > cfg.max_yaw_deg or abs(pitch) > cfg.max_pitch_deg:
            return FrameResult(**base, valid=False, reason="head turned")
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        lms = obs.landmarks_px[:, :2]
        if self._tracker is None:
            if max(abs(yaw), abs(pitch)) > cfg.reference_max_angle_deg:
                return FrameResult(**base, valid=False, reason="waiting for a frontal face")
            t0, i0 = self._tracked_since
            if t_s - t0 < cfg.settle_s or i - i0 < 2:
                return FrameResult(**base, valid=False, reason="settling")
            self._set_reference(gray, lms, t_s)
        cur_lms = lms[list(self._points)]
        n_st = len(lm.STABLE)  # tracked_landmarks() puts the stable points first
        # 1. head motion from the landmarks' stable points (coarse)
        coarse = fit_similarity(self._ref_px[:n_st], cur_lms[:n_st])
        if cfg.refine:
            cur, ok, resid = self._refine(gray, coarse.invert(cur_lms), coarse)
        else:
            cur, ok = coarse.invert(cur_lms), np.ones(len(cur_lms), bool)
            resid = fit_similarity(self._ref_px[:n_st], cur[:n_st])
        sim = coarse.compose(resid)  # reference -> this frame: the head motion
        aligned = resid.invert(cur)
        aligned_map = dict(zip(self._points, aligned))
        sig = facial_signals_px(aligned_px=aligned_map, ref_px=self._ref_map, frame=self._frame)
        eye_open = _eye_open(sig)
        if self._ref_open is None:
            self._ref_open = eye_open
        iris_ref = float("nan")
        if _good_for_iris(yaw, pitch, eye_open, self._ref_open) and t_s - self._last_calib_t >= cfg.calibration_interval_s:
            iris_ref = self._iris_px(rgb, lms) / sim.scale
            if np.isfinite(iris_ref):
                self._iris_recent.append(iris_ref)
                self._last_calib_t = t_s
        origin = self._frame.origin_px
        moved = sim.apply(origin[None])[0] - origin
        hx, hy = self._frame.to_face(moved)
        head = {"head_x_px": float(hx), "head_y_px": float(hy), "head_roll_deg": sim.rotation_deg,
                "head_scale": sim.scale, "head_yaw_deg": yaw, "head_pitch_deg": pitch}
        return FrameResult(**base, valid=True, iris_ref_px=iris_ref, refined_fraction=float(ok.mean()),
                           dental_show=dental_show(rgb, lms),
                           head=head, signals_px=sig)

    def close(self) -> None:
        if self._own_detector:
            self._detector.close()
        if self._calib_mesh is not None:
            self._calib_mesh.close()
        if self._counter is not None:
            self._counter.close()

    def __enter__(self) -> "FaceAnalyzer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------
    def _refine(self, gray: np.ndarray, guess: np.ndarray, coarse: Similarity):
        """Re-measure the tracked points from the pixels.

        The face region is warped into the reference frame with the coarse head motion, so
        LK sees no rotation or scale, only facial movement and a small residual head motion;
        the residual is then fitted on the refined stable points and the skin anchors.

        Returns the refined points (reference coordinates, residual not yet removed), their
        ok flags, and the residual similarity.
        """
        n_st = len(lm.STABLE)
        x0, y0, x1, y1 = self._tracker.roi
        m = coarse.matrix.copy()
        m[:, 2] += m[:, :2] @ np.array([x0, y0], dtype=float)  # dst (0, 0) is the roi corner
        crop = cv2.warpAffine(gray, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        # anchors are textured skin on forehead and nose: after the warp they sit where they
        # were in the reference, up to the residual head motion
        flow = self._tracker.track(crop, np.vstack([guess, self._anchors]), checked=self._checked)
        n = len(guess)
        cur, ok = flow.points_px[:n], flow.ok[:n]
        a_cur, a_ok = flow.points_px[n:], flow.ok[n:]
        src = np.vstack([self._ref_px[:n_st], self._anchors[a_ok]])
        dst = np.vstack([cur[:n_st], a_cur[a_ok]])
        keep = np.concatenate([ok[:n_st], np.ones(int(a_ok.sum()), bool)])
        return cur, ok, fit_similarity(src, dst, weights=keep)

    def _iris_px(self, rgb: np.ndarray, lms: np.ndarray) -> float:
        """Horizontal iris diameter (px, mean of both eyes) for calibration.

        FaceMesh in tracking mode (its crop taken from the previous frame's landmarks) reads
        the iris up to 7 % larger than in detection mode on the very same frames (measured on
        rendered still faces), and detection mode agrees with a still photo of the face within
        about 1.5 %. So calibration frames, a few per second, get a detection-mode pass.
        """
        if self._calib_mesh is None:
            return float(iris_diameters_px(lms).mean())
        obs = self._calib_mesh(rgb)
        if obs is None:
            return float("nan")
        return float(iris_diameters_px(obs.landmarks_px).mean())

    def _check_faces(self, rgb: np.ndarray, t_s: float) -> None:
        if self._counter is None or self._multi or t_s - self._last_check_t < self.config.face_check_interval_s:
            return
        self._last_check_t = t_s
        if self._counter(rgb) > 1:
            # from now on ask the mesh for several faces and keep the largest
            self._detector.close()
            self._detector = MediaPipeFaceMesh(max_num_faces=3)
            self._multi = True

    def _set_reference(self, gray: np.ndarray, lms: np.ndarray, t_s: float) -> None:
        iris_px = float(iris_diameters_px(lms).mean())
        window_px = int(round(self.config.lk_window_mm / (IRIS_DIAMETER_MM / iris_px)))
        px_per_mm = iris_px / IRIS_DIAMETER_MM
        # margin: room for a broad smile (~15 mm) beyond the neutral positions
        self._tracker = PatchTracker(window_px=window_px, max_from_guess_px=max(8.0, 4.0 * px_per_mm),
                                     margin_px=15.0 * px_per_mm)
        self._ref_px = lms[list(self._points)].astype(float)
        self._anchors = _anchor_features(gray, lms, min_distance_px=2.0 * px_per_mm)
        self._tracker.set_reference(gray, np.vstack([self._ref_px, self._anchors]))
        # facial measurement points get the full check; stable points and anchors only align
        self._checked = np.zeros(len(self._ref_px) + len(self._anchors), bool)
        self._checked[len(lm.STABLE):len(self._ref_px)] = True
        self._ref_map = dict(zip(self._points, self._ref_px))
        self._frame = FaceFrame.from_irises(lms[lm.IRIS_CENTRE["right"]], lms[lm.IRIS_CENTRE["left"]])
        self.reference_t_s = t_s


def _anchor_features(gray: np.ndarray, lms: np.ndarray, *, min_distance_px: float, max_corners: int = 32) -> np.ndarray:
    """Well-textured points (Shi-Tomasi corners) on skin that expressions hardly move.

    The 13 stable landmarks alone left the alignment ~0.8 px off at the mouth on smooth skin;
    corners found in the pixels themselves lock the residual head motion far better.

    Returns
    -------
    np.ndarray [shape=(k, 2)]
        Positions (px) in the reference frame; may be empty on very smooth skin.
    """
    mask = np.zeros(gray.shape[:2], np.uint8)
    for poly in lm.ANCHOR_REGIONS:
        hull = cv2.convexHull(lms[list(poly), :2].astype(np.float32)).astype(np.int32)
        cv2.fillConvexPoly(mask, hull, 255)
    pts = cv2.goodFeaturesToTrack(gray, maxCorners=max_corners, qualityLevel=0.01,
                                  minDistance=max(float(min_distance_px), 3.0), mask=mask, blockSize=7)
    if pts is None:
        return np.zeros((0, 2))
    return pts.reshape(-1, 2).astype(float)


def dental_show(rgb: np.ndarray, lms: np.ndarray) -> float:
    """Share of the mouth opening that shows teeth (0-1; 0 when the lips are closed).

    Teeth are the bright, nearly colourless pixels inside the inner lip ring: HSV value above
    55 % and saturation below 35 % of full scale (lips, tongue and the dark mouth cavity are
    either saturated or dark). The share is taken of the opening's area, so a closed mouth
    (an opening of under 1 % of the mouth width squared) reads 0.
    """
    ring = lms[list(lm.INNER_LIP), :2]
    width = float(np.linalg.norm(lms[lm.MOUTH_CORNER["left"], :2] - lms[lm.MOUTH_CORNER["right"], :2]))
    area = float(cv2.contourArea(ring.astype(np.float32)))
    if width <= 0 or area < 0.01 * width ** 2:
        return 0.0
    x0, y0 = np.floor(ring.min(axis=0)).astype(int)
    x1, y1 = np.ceil(ring.max(axis=0)).astype(int) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, rgb.shape[1]), min(y1, rgb.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round(ring - (x0, y0)).astype(np.int32)], 1)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    teeth = (hsv[..., 2] > 0.55 * 255) & (hsv[..., 1] < 0.35 * 255) & (mask > 0)
    inside = int(mask.sum())
    return float(teeth.sum() / inside) if inside else 0.0


def _eye_open(signals_px: dict[str, float]) -> float:
    return 0.5 * (signals_px["palpebral_right_height_mm"] + signals_px["palpebral_left_height_mm"])


def _good_for_iris(yaw_deg: float, pitch_deg: float, eye_open: float, open_ref: float) -> bool:
    """Frames whose iris size can be trusted for calibration.

    A turned eye shows a narrower iris, and lids narrowed by a smile or a squint cover its
    edge: on a real smile MediaPipe's iris shrinks by up to 25 %. Only frontal frames with the
    eyes at least 90 % as open as in the wide-open reference count.
    """
    return abs(yaw_deg) < 20 and abs(pitch_deg) < 20 and eye_open >= 0.9 * open_ref


def _head_to_units(head_px: dict[str, float], mm_per_px: float) -> dict[str, float]:
    out = {}
    for k, v in head_px.items():
        out[k.replace("_px", "_mm")] = v * mm_per_px if k.endswith("_px") else v
    return out


# ---------------------------------------------------------------------------------------------
# whole files


@dataclass
class Analysis:
    """The result of analysing one video: typed, exportable to JSON, CSV and pandas."""

    video: dict
    quality: dict
    head_motion: dict
    signals: SignalTable
    calibration: Calibration
    smile: dict = field(default_factory=dict)
    shake: dict = field(default_factory=dict)
    synkinesis: dict = field(default_factory=dict)
    flags: list = field(default_factory=list)
    reference_t_s: float | None = None
    peaks: dict = field(default_factory=dict)
    reference_points_mm: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "schema_version": 1,
            "video": self.video,
            "quality": self.quality,
            "head_motion": self.head_motion,
            "smile": self.smile,
            "shake": self.shake,
            "synkinesis": self.synkinesis,
            "flags": self.flags,
            "reference": {"t_s": self.reference_t_s, "points_mm": self.reference_points_mm},
            "peaks": self.peaks,
            "signals": {"columns": ["t_s", "valid", *self.signals.names],
                        "units": {n: self.signals.series(n).unit for n in self.signals.names}},
        }

    def to_frame(self):
        """Per-frame signals as a pandas DataFrame (one row per frame, units in the names)."""
        return self.signals.to_frame()

    def to_json(self, **kw) -> str:
        from smilescope.output import dumps

        return dumps(self.to_dict(), **kw)

    def save(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``analysis.json`` and ``signals.csv`` into ``out_dir`` atomically."""
        from smilescope.output import save_analysis

        return save_analysis(self, out_dir)


def _prefetch(it: Iterable, depth: int = 8) -> Iterator:
    """Decode ahead in a thread: FFmpeg releases the GIL, so decoding overlaps the landmarks."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            for x in it:
                if stop.is_set():
                    return
                q.put(x)
            q.put(done)
        except BaseException as e:  # hand the error to the consumer
            q.put(e)

    th = threading.Thread(target=work, daemon=True)
    th.start()
    try:
        while True:
            x = q.get()
            if x is done:
                return
            if isinstance(x, BaseException):
                raise x
            yield x
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(0.05)


def analyze(
    path: str | Path,
    *,
    fps: float | None = None,
    config: PipelineConfig = PipelineConfig(),
    detector: LandmarkDetector | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Analyse a face video (or image sequence) into calibrated facial signals.

    Parameters
    ----------
    path : str or Path
        Video file (mp4, mov, avi, webm, mkv, ...), a folder of images, or a glob pattern.
    fps : float, optional
        Frame rate of an image sequence (video files carry their own timestamps).
    config : PipelineConfig
    detector : LandmarkDetector, optional
        Another landmark backend (tests use recorded landmarks).
    progress : callable(done, total), optional
        Called after each frame; ``total`` is the container's frame count (0 if unknown).

    Raises
    ------
    BadInputError
        Unreadable input, no usable face, a face too small, a head turned away throughout.
    """
    from smilescope.io import open_video

    results: list[FrameResult] = []
    with open_video(path, fps=fps) as src:
        info = src.info
        total = int(info.frames or 0)
        with FaceAnalyzer(detector=detector, config=config) as fa:
            for frame in _prefetch(iter(src)):
                results.append(fa.push(frame.rgb, frame.t_s))
                if progress is not None:
                    progress(len(results), total)
            reference_t_s = fa.reference_t_s
            reference_face = fa.reference_face_px()
            multi = fa.multi_face_frames or (1 if fa._multi else 0)
        warnings = list(src.warnings)
    res = _assemble(path, info, results, warnings, reference_t_s, multi, config)
    res.reference_points_mm = {k: [float(v[0] * res.calibration.mm_per_px), float(v[1] * res.calibration.mm_per_px)]
                               for k, v in reference_face.items()}
    _add_smile(res)
    return res


def _add_smile(res: Analysis) -> None:
    """Smile measures (``measures.smile``) into the ``smile`` block and ``smile_*`` columns,
    then facial and head tremor (``measures.shake``) into ``shake``."""
    from smilescope.measures.smile import analyze_smiles, smile_columns

    floor = res.quality.get("noise_floor_mm")
    smile, exc = analyze_smiles(res.signals, noise_floor_mm=floor if floor and np.isfinite(floor) else 0.0,
                                reference_points_mm=res.reference_points_mm)
    res.smile = smile.to_dict()
    turned = [(k, e) for k, e in enumerate(smile.episodes, 1) if e.head_turned]
    if turned:
        which = ", ".join(f"smile {k} at {e.apex_s:.1f} s ({e.head_turn_deg:.1f}°)" for k, e in turned)
        res.quality.setdefault("warnings", []).append(
            f"The head turned during {which}. A turn moves one mouth corner towards the middle of the picture and "
            f"the other away, about 1 mm per degree, so left and right were not compared in "
            f"{'that smile' if len(turned) == 1 else 'those smiles'}. Keep the head still and facing the camera while smiling.")
    res.signals.columns.update(smile_columns(exc, smile.episodes))
    from smilescope.measures.smile import apex_plateau
    from smilescope.measures.synkinesis import synkinesis

    res.synkinesis = synkinesis(res.signals, rest=exc.rest_mask, smile_plateau=apex_plateau(exc, smile.episodes))
    from smilescope.measures.shake import tremor

    shake = tremor(res.signals, noise_floor_mm=floor if floor and np.isfinite(floor) else 0.0,
                   smile_mask=res.signals.columns["smile_episode"] > 0)
    res.shake = shake.to_dict()
    from smilescope.measures.expressivity import blink_summary

    res.shake["blinks"] = blink_summary(res.signals)
    from smilescope.measures.twitch import twitch_summary

    res.shake.update(twitch_summary(res.signals))
    from smilescope.measures.flags import derive_flags

    t = res.signals.t_s[res.signals.valid]
    res.flags = derive_flags(smile=res.smile, shake=res.shake, synkinesis=res.synkinesis,
                             duration_s=float(t[-1] - t[0]) if len(t) > 1 else None)


def _assemble(path, info, results: list[FrameResult], warnings: list[str], reference_t_s, multi_faces: int,
              config: PipelineConfig) -> Analysis:
    n = len(results)
    if n == 0:
        raise BadInputError(f"No frame could be read from {path}.", "Check that the file is a complete video.")
    found = np.array([r.face_found for r in results])
    if not found.any():
        raise BadInputError(
            f"No face was found in any of the {n} frames.",
            "Film the face from the front, well lit, filling a good part of the picture.",
        )
    widths = np.array([r.face_width_px for r in results])
    med_w = float(np.nanmedian(widths[found]))
    if med_w < config.min_face_width_px:
        raise BadInputError(
            f"The face is too small to measure: about {med_w:.0f} px wide (at least {config.min_face_width_px:.0f} px needed).",
            "Move the camera closer or record at a higher resolution.",
        )
    valid = np.array([r.valid for r in results])
    turned = np.array([r.reason == "head turned" for r in results])
    if not valid.any():
        if turned.any():
            raise BadInputError(
                "The head is turned too far from the camera in every frame "
                f"(more than {config.max_yaw_deg:.0f} deg sideways or {config.max_pitch_deg:.0f} deg up/down).",
                "Face the camera directly.",
            )
        raise BadInputError("No frame was usable for measurement.", "Face the camera directly, well lit, and hold still at the start.")
    ratio = float(found.mean())
    if ratio < 0.5:
        warnings.append(f"A face was found in only {ratio:.0%} of the frames; measures cover those frames only. "
                        "Keep the face in the picture for the whole recording.")
    if turned.mean() > 0.1:
        warnings.append(f"The head was turned too far in {turned.mean():.0%} of the frames; those frames are not measured. "
                        "Face the camera directly.")
    if multi_faces:
        warnings.append("More than one face was in the picture; the largest face was analysed. "
                        "Record one person at a time for reliable results.")

    iris = np.array([r.iris_ref_px for r in results])
    opening = np.array([_eye_open(r.signals_px) if r.valid else np.nan for r in results])
    open_ref = float(np.nanpercentile(opening, 75))
    use = np.array([r.valid and np.isfinite(r.iris_ref_px) and _good_for_iris(r.yaw_deg, r.pitch_deg, o, open_ref)
                    for r, o in zip(results, opening)])
    if use.sum() < 3:
        use = valid & np.isfinite(iris)
    if not use.any():
        raise BadInputError("The iris could not be measured in any frame, so millimetres cannot be calibrated.",
                            "Film the face from the front with both eyes open.")
    per_frame = IRIS_DIAMETER_MM / iris[use]
    mmpp = float(np.median(per_frame))
    cal = Calibration(
        mm_per_px=mmpp,
        mm_per_px_spread=float(1.4826 * np.median(np.abs(per_frame - mmpp)) / mmpp),
        iris_px=float(np.median(iris[use])),
        iris_mm=IRIS_DIAMETER_MM,
        n_frames=int(use.sum()),
    )
    if cal.mm_per_px_spread > 0.08:
        warnings.append(f"The millimetre scale is uncertain (iris size varies by {cal.mm_per_px_spread:.0%} between frames); "
                        "film closer, with better light, eyes open.")

    t_s = np.array([r.t_s for r in results])
    cols: dict[str, np.ndarray] = {}
    for name in HEAD_SIGNALS:
        key = name.replace("_mm", "_px")
        scale = mmpp if name.endswith("_mm") else 1.0
        cols[name] = np.array([r.head.get(key, np.nan) * scale if r.valid else np.nan for r in results])
    for name in FACIAL_SIGNALS:
        cols[name] = np.array([r.signals_px[name] * mmpp if r.valid else np.nan for r in results])
    cols["smile_score"] = np.array([r.smile_score for r in results])
    cols["dental_show"] = np.array([r.dental_show for r in results])
    cols["face_width_px"] = widths
    cols["refined_fraction"] = np.array([r.refined_fraction for r in results])
    table = SignalTable(t_s=t_s, valid=valid, columns=cols)

    floors = {name: noise_floor_mm(cols[name], valid) for name in FACIAL_SIGNALS}
    known = [floors[k] for k in DISPLACEMENT_SIGNALS if np.isfinite(floors[k])]
    disp_floor = float(np.median(known)) if known else float("nan")  # too few frames: unknown
    reasons: dict[str, int] = {}
    for r in results:
        if not r.valid and r.reason:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1

    duration = float(t_s[-1] - t_s[0]) if n > 1 else 0.0
    video = {
        "path": str(path),
        "fps": float(info.fps) if info.fps else (float((n - 1) / duration) if duration > 0 else None),
        "frames": n,
        "duration_s": float(info.duration_s) if info.duration_s else duration,
        "width": int(info.width),
        "height": int(info.height),
        "rotation_deg": int(getattr(info, "rotation_deg", 0) or 0),
        "codec": getattr(info, "codec", None),
        "frame_interval_s": {"median": float(np.median(np.diff(t_s))) if n > 1 else None,
                             "min": float(np.min(np.diff(t_s))) if n > 1 else None,
                             "max": float(np.max(np.diff(t_s))) if n > 1 else None},
    }
    quality = {
        "face_frames_ratio": ratio,
        "valid_frames_ratio": float(valid.mean()),
        "invalid_reasons": reasons,
        "mm_per_px": cal.mm_per_px,
        "mm_per_px_spread": cal.mm_per_px_spread,
        "iris_mm": cal.iris_mm,
        "iris_px": cal.iris_px,
        "face_width_px": med_w,
        "noise_floor_mm": disp_floor,
        "noise_floor_by_signal_mm": floors,
        "refined_fraction": float(np.nanmean(cols["refined_fraction"][valid])),
        "refinement": "lucas-kanade" if config.refine else "none",
        "warnings": warnings,
    }
    head_motion = _head_summary(cols, valid)
    peaks = {}
    for name in ("mouth_corner", "cheek", "nasolabial"):
        for side in lm.SIDES:
            d = np.hypot(cols[f"{name}_{side}_x_mm"], cols[f"{name}_{side}_y_mm"])[valid]
            d = d[np.isfinite(d)]
            # 95th percentile: the largest sustained movement, not one noisy frame
            peaks[f"{name}_{side}_mm"] = float(np.percentile(d, 95)) if len(d) else None
    return Analysis(video=video, quality=quality, head_motion=head_motion, signals=table, calibration=cal,
                    reference_t_s=reference_t_s, peaks=peaks)


def _head_summary(cols: dict[str, np.ndarray], valid: np.ndarray) -> dict:
    """Spread of the rigid head motion: RMS about the mean and range, per component."""
    out: dict[str, float | None] = {}
    for name in ("head_x_mm", "head_y_mm", "head_roll_deg", "head_yaw_deg", "head_pitch_deg", "head_scale"):
        v = cols[name][valid]
        v = v[np.isfinite(v)]
        stem, _, unit = name.rpartition("_")
        if name == "head_scale":
            stem, unit = name, ""
        suffix = f"_{unit}" if unit else ""
        out[f"{stem}_rms{suffix}"] = float(np.sqrt(np.mean((v - v.mean()) ** 2))) if len(v) else None
        out[f"{stem}_range{suffix}"] = float(np.ptp(v)) if len(v) else None
    return out
