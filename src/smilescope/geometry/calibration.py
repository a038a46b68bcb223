"""Millimetre calibration from the visible iris: the one place that turns pixels into mm.

Four uses, one module: :class:`RunningScale` for live frames (the irises seen so far),
:func:`calibrate_frames` for a whole video (every usable frame), :func:`calibrate` for still
landmarks, :func:`photo_scale` for one photo (with the inter-canthal fallback);
:func:`good_for_iris` says which frames may be used, :func:`iris_mm_per_px` is the scale of one
iris (the tracker's window at the reference frame).

The horizontal visible iris diameter of adults is 11.7 ± 0.5 mm (MediaPipe Iris; Emotrics
uses 11.77 mm) and varies little between people, so it turns pixels into millimetres without
a ruler in the picture. Both eyes over many frames are averaged: a single iris is only a few
tens of pixels wide, and a coarse, integer-pixel radius put Emotrics' scale 10-23 % off.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from smilescope import landmarks as lm
from smilescope.errors import BadInputError

IRIS_DIAMETER_MM = 11.7
# Fallback scale of a photo whose iris cannot be used (eyes closed or too small): the adult
# inter-canthal width, about 32 mm (Farkas' anthropometric norms; range roughly 28-36 mm), so
# lengths can be 10 % off: flagged as less accurate.
INTERCANTHAL_MM = 32.0
MIN_IRIS_PX = 8.0  # under this the iris's edges are a pixel or two: the scale is unreliable
# The iris's outline is placed to about a pixel: under this many pixels across, that pixel is
# over 5 % of the scale (10 % at 10 px), as uncertain as the inter-canthal average; the iris is
# still used (it is the person's own), but the scale is not called accurate.
ACCURATE_IRIS_PX = 20.0


def iris_mm_per_px(iris_px: float) -> float:
    """Millimetres per pixel from one iris diameter (px)."""
    return IRIS_DIAMETER_MM / float(iris_px)


@dataclass(frozen=True)
class Scale:
    """Millimetres per pixel of one photo and where they came from."""

    mm_per_px: float
    source: str  # "iris" or "intercanthal"
    accurate: bool
    why: str


def photo_scale(iris_px, eye_opening_px: dict, intercanthal_px: float) -> Scale:
    """One photo's scale: the iris (11.7 mm) when both irises are usable, else the inter-canthal
    width (flagged as less accurate).

    Parameters
    ----------
    iris_px : array-like [shape=(2,)]
        (right, left) iris diameters (:func:`iris_diameters_px`).
    eye_opening_px : dict of side to float
        Each eye's lid-to-lid opening (px): a lid over half the iris hides its outline.
    intercanthal_px : float
        Distance between the inner eye corners (px).
    """
    iris = np.asarray(iris_px, dtype=float)
    d_iris = float(np.mean(iris))
    problem = None
    if not np.isfinite(d_iris) or d_iris < MIN_IRIS_PX:
        problem = f"the iris is only {d_iris:.0f} px across"
    elif min(eye_opening_px.values()) < 0.5 * d_iris:
        side = min(eye_opening_px, key=eye_opening_px.get)
        problem = (f"the {side} eye is open less than half an iris (closed, or narrowed), so the lids hide the iris's "
                   "outline and the one found may lie on a lid")
    elif abs(iris[0] - iris[1]) > 0.15 * d_iris:
        problem = "the two irises disagree by more than 15 %"
    if problem is None:
        if d_iris < ACCURATE_IRIS_PX:
            return Scale(iris_mm_per_px(d_iris), "iris", False,
                         f"iris {d_iris:.1f} px = {IRIS_DIAMETER_MM} mm; so small an iris puts each pixel at about "
                         f"{100 / d_iris:.0f} % of the scale, so lengths may be that much off (a closer or larger photo "
                         "is more accurate)")
        return Scale(iris_mm_per_px(d_iris), "iris", True, f"iris {d_iris:.1f} px = {IRIS_DIAMETER_MM} mm")
    icw = float(intercanthal_px)
    return Scale(INTERCANTHAL_MM / icw, "intercanthal", False,
                 f"{problem}: scale from the inter-canthal width ({icw:.0f} px taken as the adult average "
                 f"{INTERCANTHAL_MM:g} mm), so lengths may be about 10 % off")


def iris_diameters_px(landmarks_px: np.ndarray) -> np.ndarray:
    """Horizontal iris diameters (px) of the right and left eye for each frame.

    The diameter is the extent of the four iris-contour points along the line joining the two
    iris centres, so head roll does not shrink it.

    Parameters
    ----------
    landmarks_px : np.ndarray [shape=(..., 478, 2+)]

    Returns
    -------
    np.ndarray [shape=(..., 2)]
        (right, left) diameters in pixels.
    """
    p = np.asarray(landmarks_px, dtype=float)[..., :2]
    axis = p[..., lm.IRIS_CENTRE["left"], :] - p[..., lm.IRIS_CENTRE["right"], :]
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    out = []
    for side in lm.SIDES:
        contour = p[..., list(lm.IRIS_CONTOUR[side]), :]  # (..., 4, 2)
        proj = np.einsum("...kj,...j->...k", contour, axis)
        out.append(proj.max(axis=-1) - proj.min(axis=-1))
    return np.stack(out, axis=-1)


@dataclass(frozen=True)
class Calibration:
    """Pixel-to-millimetre scale of one video.

    Attributes
    ----------
    mm_per_px : float
        Millimetres per pixel at the face (median over frames and both eyes).
    mm_per_px_spread : float
        Relative spread (robust coefficient of variation, 1.4826 * MAD / median) of the
        per-frame estimates: a few per cent is normal; more means an unsteady iris fit.
    iris_px : float
        Median horizontal iris diameter in pixels.
    iris_mm : float
        The anatomical diameter assumed (mm).
    n_frames : int
        Frames that contributed.
    """

    mm_per_px: float
    mm_per_px_spread: float
    iris_px: float
    iris_mm: float
    n_frames: int


def calibrate(landmarks_px: np.ndarray, *, iris_mm: float = IRIS_DIAMETER_MM, valid=None) -> Calibration:
    """Calibrate millimetres per pixel from the iris over all valid frames.

    Parameters
    ----------
    landmarks_px : np.ndarray [shape=(n_frames, 478, 2+)] or [shape=(478, 2+)]
    iris_mm : float
        Anatomical horizontal iris diameter, mm.
    valid : np.ndarray [shape=(n_frames,)] of bool, optional
        Frames to use (face found, eyes open, frontal enough).
    """
    p = np.asarray(landmarks_px, dtype=float)
    if p.ndim == 2:
        p = p[None]
    if valid is not None:
        p = p[np.asarray(valid, dtype=bool)]
    if len(p) == 0:
        raise BadInputError("No frame could be used to measure the iris.", "Film the face from the front with both eyes open.")
    d = iris_diameters_px(p)  # (n, 2)
    per_frame = d.mean(axis=1)
    iris_px = float(np.median(per_frame))
    if not np.isfinite(iris_px) or iris_px <= 0:
        raise BadInputError("The iris could not be measured.", "Film the face from the front with both eyes open.")
    mmpp = iris_mm / per_frame
    med = float(np.median(mmpp))
    spread = float(1.4826 * np.median(np.abs(mmpp - med)) / med)
    return Calibration(mm_per_px=iris_mm / iris_px, mm_per_px_spread=spread, iris_px=iris_px, iris_mm=iris_mm, n_frames=len(p))


def good_for_iris(yaw_deg: float, pitch_deg: float, eye_open: float, open_ref: float) -> bool:
    """Frames whose iris size can be trusted for calibration.

    A turned eye shows a narrower iris, and lids narrowed by a smile or a squint cover its
    edge: on a real smile MediaPipe's iris shrinks by up to 25 %. Only frontal frames (|yaw|
    and |pitch| under 20 deg) with the eyes at least 90 % as open as in the wide-open
    reference count. ``eye_open`` and ``open_ref`` share a unit (any length).
    """
    return abs(yaw_deg) < 20 and abs(pitch_deg) < 20 and eye_open >= 0.9 * open_ref


class RunningScale:
    """Live millimetre scale: the median of the last ``maxlen`` iris diameters.

    Parameters
    ----------
    maxlen : int
        How many recent iris measurements to keep (a few per second are added).
    iris_mm : float
        Anatomical horizontal iris diameter (mm).
    """

    def __init__(self, *, maxlen: int = 300, iris_mm: float = IRIS_DIAMETER_MM) -> None:
        self._recent: deque[float] = deque(maxlen=maxlen)
        self.iris_mm = iris_mm

    def add(self, iris_px: float) -> None:
        """Add one iris diameter (px, both eyes' mean) measured in reference-frame pixels."""
        self._recent.append(float(iris_px))

    @property
    def mm_per_px(self) -> float:
        """mm per reference-frame pixel from the irises seen so far (NaN before the first)."""
        if not self._recent:
            return float("nan")
        return self.iris_mm / float(np.median(self._recent))


def calibrate_frames(iris_px: np.ndarray, *, iris_mm: float = IRIS_DIAMETER_MM) -> Calibration:
    """Calibration of a whole video from the iris diameters of its usable frames.

    The scale is the median of the per-frame scales (not the scale of the median iris, which
    differs for an even count).

    Parameters
    ----------
    iris_px : np.ndarray [shape=(n,)]
        Iris diameter (px, reference frame) of each frame chosen by :func:`good_for_iris`.
    """
    iris_px = np.asarray(iris_px, dtype=float)
    if not len(iris_px):
        raise BadInputError("The iris could not be measured in any frame, so millimetres cannot be calibrated.",
                            "Film the face from the front with both eyes open.")
    per_frame = iris_mm / iris_px
    mmpp = float(np.median(per_frame))
    return Calibration(
        mm_per_px=mmpp,
        mm_per_px_spread=float(1.4826 * np.median(np.abs(per_frame - mmpp)) / mmpp),
        iris_px=float(np.median(iris_px)),
        iris_mm=iris_mm,
        n_frames=int(len(iris_px)),
    )
