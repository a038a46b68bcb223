"""The per-frame engine: one upright RGB frame in, one :class:`FrameResult` out.

A frame passes two stages, which :func:`smilescope.pipeline.analyze` runs in two threads, or
two processes (:mod:`smilescope.pipeline.stages`), so that they overlap across frames:

1. :meth:`FaceObserver.observe` — the landmark model (MediaPipe FaceMesh by default) and, about
   once a second, a look for a second face;
2. :meth:`FaceAnalyzer.measure` — what the frame gives alone (grey image, head angles, smile
   score, teeth shown), head alignment, optical-flow refinement of the facial points, the
   frame's signals in reference-frame pixels (``*_px``) and, a few times a second, a
   detection-mode iris measurement for the millimetre scale.

Decoding runs in stage 1's thread too, so what can wait for stage 2 does: on a 30 s 720p video,
with the frame's own values in stage 1, stage 2 found no frame waiting at 61 % of frames; moved
to stage 2, the two stages balance (no frame waiting at 15 %, the queue full at 35 %) and the
whole analysis took 0.45 s less.

:meth:`FaceAnalyzer.push` runs both for one frame (the live coach's path). Either way each stage
sees the same inputs in the same order, so the results are the same.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from smilescope import landmarks as lm
from smilescope.geometry.align import FaceFrame, Similarity, fit_similarity
from smilescope.geometry.calibration import IRIS_DIAMETER_MM, RunningScale, good_for_iris, iris_diameters_px, iris_mm_per_px
from smilescope.measures.smile_score import smile_score
from smilescope.pipeline.pixels import anchor_features, dental_show
from smilescope.signals import facial_signals_px, to_mm, tracked_landmarks
from smilescope.track.crops import CropBox
from smilescope.track.facemesh import FaceObservation, LandmarkDetector, MediaPipeFaceMesh, head_angles_deg
from smilescope.track.flow import PatchTracker
from smilescope.track.models import FaceModels
from smilescope.track.observer import FaceObserver, Observation


# Crop for the detection-mode iris pass on a small face: the face spans 40 % of it, as in
# SmallFaceFinder's following crop.
IRIS_CROP_MARGIN = 2.5
IRIS_CROP_PX = 256


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
        Narrower faces are too small to measure millimetres: the iris is then under about 7 px
        and one pixel 1.7 mm. (s13 of the shared videos, a 78 px face: two framings of the same
        frames, the whole picture and a fixed 360 px crop, disagreed by 1.5-2.5 mm rms on the
        mouth corners, and only one of them found the labelled faint smile.)
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
    small_face_search_interval_s : float
        When the full frame shows no face, how often (video time) to search enlarged windows
        of it for a small face (:class:`smilescope.track.crops.SmallFaceFinder`).
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
    small_face_search_interval_s: float = 0.5


def observer_settings(config: PipelineConfig) -> dict[str, float]:
    """What the landmark stage (:class:`~smilescope.track.observer.FaceObserver`) takes of ``config``."""
    return {"face_check_interval_s": config.face_check_interval_s,
            "small_face_search_interval_s": config.small_face_search_interval_s,
            # faces down to 3/4 of the measurable width are found, so that a video of a face
            # slightly too small is refused as such rather than as "no face"
            "min_face_px": 0.75 * config.min_face_width_px}


@dataclass(frozen=True)
class FrameValues:
    """What one frame gives from its own pixels and landmarks alone, needing no reference face."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    smile_score: float
    dental_show: float

    @classmethod
    def of(cls, rgb: np.ndarray, face: FaceObservation) -> "FrameValues":
        yaw, pitch, roll = head_angles_deg(face.landmarks_px)
        return cls(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll,
                   smile_score=smile_score(face.landmarks_px), dental_show=dental_show(rgb, face.landmarks_px[:, :2]))


@dataclass(frozen=True)
class FrameResult:
    """What one frame gave. Lengths are reference-frame pixels (``*_px``); angles in degrees.

    ``signals_px`` holds the facial signals (:data:`smilescope.signals.FACIAL_SIGNALS_PX`),
    ``head`` the rigid head motion (``head_x_px``, ``head_y_px``, ``head_roll_deg``,
    ``head_scale``, ``head_yaw_deg``, ``head_pitch_deg``). :meth:`FaceAnalyzer.to_mm` or the
    video's calibration turns them into millimetres.
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
    lip_gap_px: float = float("nan")  # inner lips apart (reference-frame px): mouth open or closed
    head: dict[str, float] = field(default_factory=dict)
    signals_px: dict[str, float] = field(default_factory=dict)

    @property
    def eye_open_px(self) -> float:
        """Mean eye opening of both eyes (px); NaN for a frame that was not measured."""
        if not self.signals_px:
            return float("nan")
        return eye_open_px(self.signals_px)


def eye_open_px(signals_px: dict[str, float]) -> float:
    return 0.5 * (signals_px["palpebral_right_height_px"] + signals_px["palpebral_left_height_px"])


def _grey_under(rgb: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """The grey picture of the part of ``rgb`` that an inverse-map affine warp ``m`` (output
    pixel -> input pixel) of an output of ``size`` (w, h) reads, and that part's top-left corner.

    Two pixels around the mapped corners cover the bilinear taps; the part is cut at the
    picture's edges, where the warp's border rule then sees the same edge as in the whole
    picture, so the warp of the part equals the warp of the whole.
    """
    w, h = size
    corners = np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]]) @ m[:, :2].T + m[:, 2]
    rows, cols = rgb.shape[:2]
    lo = np.floor(corners.min(axis=0)) - 2
    hi = np.ceil(corners.max(axis=0)) + 3
    sx0, sy0 = (int(np.clip(v, 0, n)) for v, n in zip(lo, (cols, rows)))
    sx1, sy1 = (int(np.clip(v, 0, n)) for v, n in zip(hi, (cols, rows)))
    if sx1 - sx0 < 1 or sy1 - sy0 < 1:  # the face left the picture: the warp reads only its border
        sx0, sy0, sx1, sy1 = 0, 0, cols, rows
    return cv2.cvtColor(rgb[sy0:sy1, sx0:sx1], cv2.COLOR_RGB2GRAY), (sx0, sy0)


def _same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Two frames with identical pixels (a sparse look first: most frames differ there already)."""
    return a.shape == b.shape and np.array_equal(a[::16, ::16], b[::16, ::16]) and np.array_equal(a, b)


class FaceAnalyzer:
    """Incremental pipeline: push one frame at a time, read its measures at once.

    The first valid, frontal frame becomes the reference (the neutral face); every later frame
    is aligned to it. Keep the face relaxed when the analysis starts.

    Parameters
    ----------
    detector : LandmarkDetector, optional
        The per-frame landmark model. Default: MediaPipe FaceMesh with iris refinement.
    iris_detector : LandmarkDetector, optional
        A detection-mode model for the calibration frames. Default: MediaPipe in static-image
        mode when ``detector`` is the default; with an injected ``detector`` and none given,
        the iris is read from the frame's own landmarks (:attr:`iris_from_tracking` is True).
    config : PipelineConfig
    count_faces : bool
        Look for a second person about once a second (``config.face_check_interval_s``) with
        MediaPipe's face detector; only with the default ``detector``, which can then switch
        to a several-face mesh.
    find_small_faces : bool
        When the full frame shows no face, search enlarged windows of it for a small face and
        follow it in a crop (:class:`smilescope.track.crops.SmallFaceFinder`); only with the
        default ``detector``. Frames where the full frame finds the face cost nothing more.
    models : FaceModels, optional
        Graphs to take (reset) instead of building new ones, and to leave open at
        :meth:`close`: a batch worker's, reused from one recording to the next. Only with the
        default ``detector``.
    observe_here : bool
        Run stage 1 here (:class:`FaceObserver`, default). ``False``: only :meth:`measure`
        works, on observations made elsewhere (another process:
        :class:`smilescope.pipeline.stages.ObservedElsewhere`); no tracking graph is built.
    """

    def __init__(self, *, detector: LandmarkDetector | None = None, iris_detector: LandmarkDetector | None = None,
                 config: PipelineConfig = PipelineConfig(), count_faces: bool = True,
                 find_small_faces: bool = True, models: FaceModels | None = None,
                 observe_here: bool = True) -> None:
        self.config = config
        self._models = models if detector is None else None
        self._own_iris = iris_detector is None and detector is None
        self._observer = (FaceObserver(detector=detector, count_faces=count_faces, find_small_faces=find_small_faces,
                                       models=self._models, **observer_settings(config))
                          if observe_here else None)
        self._iris_detector = ((self._models.still() if self._models else MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1))
                               if self._own_iris else iris_detector)
        self._last_calib_t = -math.inf
        self._points = tracked_landmarks()
        self._tracker: PatchTracker | None = None
        self._ref_px: np.ndarray | None = None
        self._ref_map: dict[int, np.ndarray] = {}
        self._anchors = np.zeros((0, 2))
        self._checked = np.zeros(0, bool)
        self._frame: FaceFrame | None = None
        self._scale = RunningScale()
        self._ref_open: float | None = None
        self._tracked_since: tuple[float, int] | None = None
        self._prev: tuple[np.ndarray, FrameResult | None] | None = None  # the last frame and its measures
        self.reference_t_s: float | None = None
        self.multi_face_frames = 0

    # -- public -----------------------------------------------------------------------------
    @property
    def iris_from_tracking(self) -> bool:
        """True when calibration reads the iris from the tracking landmarks (no detection pass)."""
        return self._iris_detector is None

    @property
    def multi_face_seen(self) -> bool:
        """A second face was seen, in a landmark frame or by this analyzer's periodic face check."""
        return (self._observer is not None and self._observer.multi_face_seen) or self.multi_face_frames > 0

    @property
    def small_face_searches(self) -> int:
        """How many times the frame was searched for a small face (the full frame showed none)."""
        return 0 if self._observer is None else self._observer.small_face_searches

    @property
    def mm_per_px(self) -> float:
        """Running calibration (mm per reference-frame pixel) from the irises seen so far."""
        return self._scale.mm_per_px

    @property
    def reference_points_px(self) -> dict[int, np.ndarray]:
        """The tracked landmarks of the reference (neutral) frame, in its pixels; empty until taken."""
        return dict(self._ref_map)

    @property
    def face_frame(self) -> FaceFrame | None:
        """Anatomical axes of the reference face (None until the reference is taken)."""
        return self._frame

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
        return {**to_mm(result.signals_px, k), **to_mm(result.head, k)}

    def push(self, rgb: np.ndarray, t_s: float) -> FrameResult:
        """Analyse one upright RGB frame (H, W, 3, uint8) taken at ``t_s`` seconds."""
        return self.measure(self.observe(rgb, t_s))

    def observe(self, rgb: np.ndarray, t_s: float) -> Observation:
        """Stage 1: landmarks of one frame (:meth:`FaceObserver.observe`)."""
        if self._observer is None:
            raise RuntimeError("this analyzer measures observations made elsewhere (observe_here=False)")
        return self._observer.observe(rgb, t_s)

    def measure(self, ob: Observation) -> FrameResult:
        """Stage 2: align, refine and measure one observed frame; frames must come in order.

        A frame identical to the one before (a camera or encoder repeating a frame) gets that
        frame's measures: the face did not move, and the landmark model's own frame-to-frame
        jitter must not read as movement.
        """
        i, t_s, rgb = ob.index, ob.t_s, ob.rgb
        prev, self._prev = self._prev, (rgb, None)
        if prev is not None and prev[1] is not None and _same_picture(prev[0], rgb):
            again = dataclasses.replace(prev[1], index=i, t_s=t_s, iris_ref_px=float("nan"))
            self._prev = (rgb, again)
            return again
        result = self._measure(ob)
        self._prev = (rgb, result)
        return result

    def _measure(self, ob: Observation) -> FrameResult:
        i, t_s, rgb, obs = ob.index, ob.t_s, ob.rgb, ob.face
        if obs is None:
            self._tracked_since = None
            return FrameResult(index=i, t_s=t_s, face_found=False, valid=False, reason="no face")
        if self._tracked_since is None:
            self._tracked_since = (t_s, i)
        if obs.n_faces > 1:
            self.multi_face_frames += 1
        v = FrameValues.of(rgb, obs)
        yaw, pitch = v.yaw_deg, v.pitch_deg
        width = obs.face_width_px
        base = dict(index=i, t_s=t_s, face_found=True, n_faces=obs.n_faces, face_width_px=width,
                    yaw_deg=yaw, pitch_deg=pitch, roll_deg=v.roll_deg, smile_score=v.smile_score)
        cfg = self.config
        if width < cfg.min_face_width_px:
            return FrameResult(**base, valid=False, reason="face too small")
        if abs(yaw) > cfg.max_yaw_deg or abs(pitch) > cfg.max_pitch_deg:
            return FrameResult(**base, valid=False, reason="head turned")
        lms = obs.landmarks_px[:, :2]
        if self._tracker is None:
            if max(abs(yaw), abs(pitch)) > cfg.reference_max_angle_deg:
                return FrameResult(**base, valid=False, reason="waiting for a frontal face")
            t0, i0 = self._tracked_since
            if t_s - t0 < cfg.settle_s or i - i0 < 2:
                return FrameResult(**base, valid=False, reason="settling")
            self._set_reference(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), lms, t_s)
        cur_lms = lms[list(self._points)]
        n_st = len(lm.STABLE)  # tracked_landmarks() puts the stable points first
        # 1. head motion from the landmarks' stable points (coarse)
        coarse = fit_similarity(self._ref_px[:n_st], cur_lms[:n_st])
        if cfg.refine:
            cur, ok, resid = self._refine(rgb, coarse.invert(cur_lms), coarse)
        else:
            cur, ok = coarse.invert(cur_lms), np.ones(len(cur_lms), bool)
            resid = fit_similarity(self._ref_px[:n_st], cur[:n_st])
        sim = coarse.compose(resid)  # reference -> this frame: the head motion
        aligned = resid.invert(cur)
        aligned_map = dict(zip(self._points, aligned))
        sig = facial_signals_px(aligned_px=aligned_map, ref_px=self._ref_map, frame=self._frame)
        eye_open = eye_open_px(sig)
        if self._ref_open is None:
            self._ref_open = eye_open
        iris_ref = float("nan")
        if good_for_iris(yaw, pitch, eye_open, self._ref_open) and t_s - self._last_calib_t >= cfg.calibration_interval_s:
            iris_ref = self._iris_px(rgb, lms) / sim.scale
            if np.isfinite(iris_ref):
                self._scale.add(iris_ref)
                self._last_calib_t = t_s
        origin = self._frame.origin_px
        moved = sim.apply(origin[None])[0] - origin
        hx, hy = self._frame.to_face(moved)
        head = {"head_x_px": float(hx), "head_y_px": float(hy), "head_roll_deg": sim.rotation_deg,
                "head_scale": sim.scale, "head_yaw_deg": yaw, "head_pitch_deg": pitch}
        return FrameResult(**base, valid=True, iris_ref_px=iris_ref, refined_fraction=float(ok.mean()),
                           dental_show=v.dental_show, head=head, signals_px=sig,
                           lip_gap_px=float(np.linalg.norm(lms[lm.INNER_LIP_CENTRE["upper"]] - lms[lm.INNER_LIP_CENTRE["lower"]])) / sim.scale)

    def close(self) -> None:
        if self._observer is not None:
            self._observer.close()
        if self._models is None and self._own_iris and self._iris_detector is not None:
            self._iris_detector.close()

    def __enter__(self) -> "FaceAnalyzer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------
    def _refine(self, rgb: np.ndarray, guess: np.ndarray, coarse: Similarity):
        """Re-measure the tracked points from the pixels.

        The face region is warped into the reference frame with the coarse head motion, so
        LK sees no rotation or scale, only facial movement and a small residual head motion;
        the residual is then fitted on the refined stable points and the skin anchors.

        Only the part of the frame the warp reads is turned grey (a face fills a fraction of
        the picture; the whole 720p frame cost 0.4 ms a frame, a third of this stage's work
        outside the flow itself).

        Returns the refined points (reference coordinates, residual not yet removed), their
        ok flags, and the residual similarity.
        """
        n_st = len(lm.STABLE)
        x0, y0, x1, y1 = self._tracker.roi
        m = coarse.matrix.copy()
        m[:, 2] += m[:, :2] @ np.array([x0, y0], dtype=float)  # dst (0, 0) is the roi corner
        gray, (sx0, sy0) = _grey_under(rgb, m, (x1 - x0, y1 - y0))
        m[:, 2] -= (sx0, sy0)
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
        if self._iris_detector is None:
            return float(iris_diameters_px(lms).mean())
        obs = self._iris_detector(rgb)
        if obs is None:
            # a small face the detector misses in the full frame: look where the landmarks are
            box = CropBox.around(lms, margin=IRIS_CROP_MARGIN, min_size_px=IRIS_CROP_PX)
            obs = box.observe(self._iris_detector, rgb)
        if obs is None:
            return float("nan")
        return float(iris_diameters_px(obs.landmarks_px).mean())

    def _set_reference(self, gray: np.ndarray, lms: np.ndarray, t_s: float) -> None:
        iris_px = float(iris_diameters_px(lms).mean())
        window_px = int(round(self.config.lk_window_mm / iris_mm_per_px(iris_px)))
        px_per_mm = iris_px / IRIS_DIAMETER_MM  # the same scale, inverted
        # margin: room for a broad smile (~15 mm) beyond the neutral positions
        self._tracker = PatchTracker(window_px=window_px, max_from_guess_px=max(8.0, 4.0 * px_per_mm),
                                     margin_px=15.0 * px_per_mm)
        self._ref_px = lms[list(self._points)].astype(float)
        self._anchors = anchor_features(gray, lms, min_distance_px=2.0 * px_per_mm)
        self._tracker.set_reference(gray, np.vstack([self._ref_px, self._anchors]))
        # facial measurement points get the full check; stable points and anchors only align
        self._checked = np.zeros(len(self._ref_px) + len(self._anchors), bool)
        self._checked[len(lm.STABLE):len(self._ref_px)] = True
        self._ref_map = dict(zip(self._points, self._ref_px))
        self._frame = FaceFrame.from_irises(lms[lm.IRIS_CENTRE["right"]], lms[lm.IRIS_CENTRE["left"]])
        self.reference_t_s = t_s
