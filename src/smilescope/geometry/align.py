"""Rigid head motion and alignment of every frame to the subject's neutral (reference) frame.

A similarity transform (rotation, uniform scale, translation) is fitted from the reference
positions of points that expressions hardly move (``smilescope.landmarks.STABLE``) to their
positions in the current frame. Its inverse carries every facial point back into the
reference frame, so what remains is facial movement; the transform itself is the head
motion, kept as a signal because head tremor is a finding too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Similarity:
    """x' = s R x + t, in pixels. ``matrix`` is the 2x3 forward map (reference -> frame)."""

    matrix: np.ndarray

    @property
    def scale(self) -> float:
        return float(np.hypot(self.matrix[0, 0], self.matrix[1, 0]))

    @property
    def rotation_deg(self) -> float:
        # image y points down, so a positive angle here turns the picture clockwise
        return float(np.degrees(np.arctan2(self.matrix[1, 0], self.matrix[0, 0])))

    def apply(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, dtype=float)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def invert(self, pts: np.ndarray) -> np.ndarray:
        """Map frame points (n, 2) back into the reference frame."""
        (a, b), (c, d) = self.matrix[:, :2]
        # the 2x2 inverse written out: np.linalg.inv goes through LAPACK, whose OpenBLAS worker
        # threads wake for every call (milliseconds per frame spent spinning in the frame loop)
        inv = np.array([[d, -b], [-c, a]]) / (a * d - b * c)
        return (np.asarray(pts, dtype=float) - self.matrix[:, 2]) @ inv.T

    def compose(self, inner: "Similarity") -> "Similarity":
        """The transform ``x -> self(inner(x))``."""
        a = self.matrix[:, :2] @ inner.matrix[:, :2]
        t = self.matrix[:, :2] @ inner.matrix[:, 2] + self.matrix[:, 2]
        return Similarity(np.hstack([a, t[:, None]]))

    @classmethod
    def identity(cls) -> "Similarity":
        return cls(np.array([[1.0, 0, 0], [0, 1.0, 0]]))


def fit_similarity(ref_px: np.ndarray, cur_px: np.ndarray, *, weights=None) -> Similarity:
    """Least-squares similarity from ``ref_px`` (n, 2) to ``cur_px`` (n, 2), robust to outliers.

    OpenCV's LMedS fit finds the inliers (a point dragged by a frown or a failed patch), and a
    Levenberg-Marquardt refinement on them gives the final transform.
    """
    ref = np.asarray(ref_px, dtype=np.float32).reshape(-1, 1, 2)
    cur = np.asarray(cur_px, dtype=np.float32).reshape(-1, 1, 2)
    if weights is not None:
        keep = np.asarray(weights, dtype=bool)
        if keep.sum() >= 3:
            ref, cur = ref[keep], cur[keep]
    import cv2  # OpenCV loads on the first fit: the signal tables and results that readers use need none of it

    m, _ = cv2.estimateAffinePartial2D(ref, cur, method=cv2.LMEDS, refineIters=20)
    if m is None:
        return Similarity.identity()
    return Similarity(m.astype(np.float64))


@dataclass(frozen=True)
class FaceFrame:
    """Anatomical axes of the reference face, in reference-frame pixels.

    ``x`` points towards the subject's left (image right in an unmirrored video) along the line
    joining the iris centres; ``up`` points to the forehead. ``origin`` is the midpoint between
    the iris centres.
    """

    origin_px: np.ndarray
    x: np.ndarray
    up: np.ndarray

    @classmethod
    def from_irises(cls, right_iris_px: np.ndarray, left_iris_px: np.ndarray) -> "FaceFrame":
        r = np.asarray(right_iris_px, dtype=float)[:2]
        l = np.asarray(left_iris_px, dtype=float)[:2]
        x = (l - r) / np.linalg.norm(l - r)
        up = np.array([x[1], -x[0]])  # rotate x by -90 degrees in image coords (y down)
        return cls(origin_px=(r + l) / 2, x=x, up=up)

    def to_face(self, vec_px: np.ndarray) -> np.ndarray:
        """Express image-plane vectors (..., 2) as (towards subject's left, up) components."""
        v = np.asarray(vec_px, dtype=float)
        return np.stack([v @ self.x, v @ self.up], axis=-1)
