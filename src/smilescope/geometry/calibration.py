"""Millimetre calibration from the visible iris.

The horizontal visible iris diameter of adults is 11.7 ± 0.5 mm (MediaPipe Iris; Emotrics
uses 11.77 mm) and varies little between people, so it turns pixels into millimetres without
a ruler in the picture. Both eyes over many frames are averaged: a single iris is only a few
tens of pixels wide, and a coarse, integer-pixel radius put Emotrics' scale 10-23 % off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smilescope import landmarks as lm
from smilescope.errors import BadInputError

IRIS_DIAMETER_MM = 11.7


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
