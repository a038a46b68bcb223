"""The magnifying mirror: the face's outlines with every movement from the relaxed face drawn
``gain`` times larger, so that a 1 mm return of movement shows as 3 mm on the screen.

Each frame's outlines are brought into the relaxed face's position with a similarity fitted on
the points expressions hardly move (``landmarks.STABLE``), so head motion is not magnified;
then ``relaxed + gain x (now - relaxed)``. Coordinates are sent as fractions of the relaxed
face's box (x to the image right, y down), for any canvas size. The browser mirrors the
drawing like the camera preview; the points themselves are never mirrored.
"""

from __future__ import annotations

import numpy as np

from smilescope import landmarks as lm
from smilescope.geometry.align import fit_similarity

_IDX = sorted({i for line in lm.OUTLINES for i in line})
_POS = {i: k for k, i in enumerate(_IDX)}
_STABLE = [_IDX.index(i) if i in _POS else None for i in lm.STABLE]


class Magnifier:
    """Collects the relaxed face's outlines, then magnifies each frame's movement from it."""

    def __init__(self, gain: float = 3.0) -> None:
        self.gain = float(gain)
        self._ref_stable: np.ndarray | None = None
        self._collect: list[np.ndarray] = []
        self.relaxed: np.ndarray | None = None
        self._box: tuple[np.ndarray, float] | None = None

    def reset(self) -> None:
        """Take the relaxed outlines again (a new baseline)."""
        self._collect, self.relaxed, self._box = [], None, None

    def _aligned(self, landmarks_px: np.ndarray) -> np.ndarray:
        stable = landmarks_px[list(lm.STABLE), :2]
        if self._ref_stable is None:
            self._ref_stable = stable.copy()
        sim = fit_similarity(self._ref_stable, stable)
        return sim.invert(landmarks_px[_IDX, :2])

    def push(self, landmarks_px: np.ndarray, *, relaxed_frame: bool) -> dict | None:
        """One frame's landmarks (478, 2+); ``relaxed_frame``: part of the baseline being taken.

        Returns ``{"gain", "lines"}`` once the relaxed outlines exist, else None.
        """
        pts = self._aligned(landmarks_px)
        if relaxed_frame:
            self._collect.append(pts)
            return None
        if self.relaxed is None:
            if not self._collect:
                return None
            self.relaxed = np.median(np.stack(self._collect), axis=0)
            lo, hi = self.relaxed.min(axis=0), self.relaxed.max(axis=0)
            self._box = (lo, float((hi - lo).max()))
        shown = self.relaxed + self.gain * (pts - self.relaxed)
        lo, size = self._box
        frac = (shown - lo) / size
        lines = [[[round(float(frac[_POS[i], 0]), 4), round(float(frac[_POS[i], 1]), 4)] for i in line] for line in lm.OUTLINES]
        return {"gain": self.gain, "lines": lines}
