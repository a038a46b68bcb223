"""The magnifying mirror: the face's outlines with every movement from the relaxed face drawn
``gain`` times larger, so that a 1 mm return of movement shows as 3 mm on the screen.

Each frame's outlines are brought into the relaxed face's position with a similarity fitted on
the points expressions hardly move (``landmarks.STABLE``), so head motion is not magnified;
then ``relaxed + gain x (now - relaxed)``. Coordinates are sent as fractions of the relaxed
face's box (x to the image right, y down), for any canvas size. The browser mirrors the
drawing like the camera preview; the points themselves are never mirrored.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from smilescope import landmarks as lm
from smilescope.geometry.align import fit_similarity

_IDX = sorted({i for line in lm.OUTLINES for i in line})
_POS = {i: k for k, i in enumerate(_IDX)}
_LIPS = np.array([_POS[i] for i in sorted(set(lm.OUTER_LIP) | set(lm.INNER_LIP))])


def _corrected(pts: np.ndarray, corners_px: dict[str, np.ndarray]) -> np.ndarray:
    """Outline points with the lips moved so that the corners are at ``corners_px``."""
    out = pts.copy()
    c = {s: _POS[lm.MOUTH_CORNER[s]] for s in lm.SIDES}
    sigma = 0.25 * float(np.linalg.norm(pts[c["left"]] - pts[c["right"]]))
    if not np.isfinite(sigma) or sigma <= 0:
        return out
    lips = pts[_LIPS]
    for s in lm.SIDES:
        target = np.asarray(corners_px.get(s, (np.nan, np.nan)), dtype=float)
        if not np.isfinite(target).all():
            continue
        shift = target - pts[c[s]]
        w = np.exp(-0.5 * (np.linalg.norm(lips - pts[c[s]], axis=1) / sigma) ** 2)
        out[_LIPS] += w[:, None] * shift
    return out


class Magnifier:
    """Keeps the last few seconds of outlines; once told which frames were the relaxed face
    (:meth:`relax`), magnifies each frame's movement from them."""

    def __init__(self, gain: float = 3.0, *, keep_frames: int = 600) -> None:
        self.gain = float(gain)
        self._ref_stable: np.ndarray | None = None
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=keep_frames)
        self.relaxed: np.ndarray | None = None
        self._box: tuple[np.ndarray, float] | None = None

    def relax(self, span_s: tuple[float, float]) -> None:
        """The relaxed outlines: the median of the kept frames within ``span_s`` (s)."""
        pts = [p for t, p in self._recent if span_s[0] <= t <= span_s[1]]
        if not pts:
            return
        self.relaxed = np.median(np.stack(pts), axis=0)
        lo, hi = self.relaxed.min(axis=0), self.relaxed.max(axis=0)
        self._box = (lo, float((hi - lo).max()))

    @property
    def has_reference(self) -> bool:
        return self._ref_stable is not None

    def set_reference(self, stable_px: np.ndarray) -> None:
        """Align to these positions of ``landmarks.STABLE`` (default: the first frame's)."""
        self._ref_stable = np.asarray(stable_px, dtype=float)[:, :2].copy()

    def _aligned(self, landmarks_px: np.ndarray) -> np.ndarray:
        stable = landmarks_px[list(lm.STABLE), :2]
        if self._ref_stable is None:
            self._ref_stable = stable.copy()
        sim = fit_similarity(self._ref_stable, stable)
        return sim.invert(landmarks_px[_IDX, :2])

    def push(self, landmarks_px: np.ndarray, t_s: float, *, corners_px: dict[str, np.ndarray] | None = None) -> dict | None:
        """One frame's landmarks (478, 2+) at ``t_s``; ``{"gain", "lines"}`` once the relaxed
        outlines exist, else None.

        ``corners_px``: the mouth corners as the measures tracked them (optical flow, in the
        reference frame's pixels). The landmark model pulls a one-sided movement towards
        symmetry (a still corner "moves" 1-1.4 mm when the other side smiles), and the mirror
        must not show a weak side moving that does not: the lip outline is moved so that its
        corners sit where the measures put them, the correction fading with distance from
        each corner (Gaussian, a quarter of the mouth's width).
        """
        pts = self._aligned(landmarks_px)
        if corners_px is not None:
            pts = _corrected(pts, corners_px)
        self._recent.append((t_s, pts))
        if self.relaxed is None:
            return None
        shown = self.relaxed + self.gain * (pts - self.relaxed)
        lo, size = self._box
        frac = (shown - lo) / size
        lines = [[[round(float(frac[_POS[i], 0]), 4), round(float(frac[_POS[i], 1]), 4)] for i in line] for line in lm.OUTLINES]
        return {"gain": self.gain, "lines": lines}
