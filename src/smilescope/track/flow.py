"""Sub-pixel refinement of landmark positions with pyramidal Lucas-Kanade optical flow.

The landmark model pulls one-sided movement towards symmetry (a paralysed corner still
"moves" 1-1.4 mm when the other side smiles), so the positions that carry facial motion are
re-measured from the pixels: each point's patch in the reference (neutral) frame is matched
directly in the current frame, starting from the landmark position. Matching against the
reference rather than the previous frame means errors do not accumulate over a long video.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FlowResult:
    """Refined positions for one frame.

    Attributes
    ----------
    points_px : np.ndarray [shape=(n, 2)]
        Refined positions (px) where ``ok``; the landmark guesses elsewhere.
    ok : np.ndarray [shape=(n,)] of bool
        The flow converged, passed the forward-backward check and stayed near the landmark.
    """

    points_px: np.ndarray
    ok: np.ndarray


class PatchTracker:
    """Match landmark-anchored patches of a reference frame in later frames.

    Parameters
    ----------
    window_px : int
        Side of the square LK window (px), odd; about 6 mm of face works well.
    max_level : int
        Pyramid levels above the full image.
    fb_max_px : float
        Largest forward-backward disagreement (px) accepted.
    max_from_guess_px : float
        Largest distance (px) between the refined point and its landmark guess; further means
        the patch was lost (blink, occlusion), and the landmark is kept.
    """

    def __init__(self, *, window_px: int, max_level: int = 3, fb_max_px: float = 0.5, max_from_guess_px: float = 8.0) -> None:
        w = int(window_px) | 1
        self.win = (max(w, 9), max(w, 9))
        self.max_level = int(max_level)
        self.fb_max_px = float(fb_max_px)
        self.max_from_guess_px = float(max_from_guess_px)
        self._criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.005)
        self._ref = None
        self._ref_pts = None

    def set_reference(self, gray: np.ndarray, points_px: np.ndarray) -> None:
        """Store the reference frame (uint8 grey, H x W) and the points (n, 2) to follow."""
        self._ref = np.ascontiguousarray(gray)
        self._ref_pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)

    @property
    def has_reference(self) -> bool:
        return self._ref is not None

    def _roi(self, shape, *pts: np.ndarray) -> tuple[int, int, int, int]:
        # Only the face region matters: crop both images to the same box around the points,
        # with room for the window at the coarsest pyramid level.
        allp = np.concatenate(pts)
        m = self.win[0] * (2 ** self.max_level) // 2 + 2
        x0 = max(int(np.floor(allp[:, 0].min())) - m, 0)
        y0 = max(int(np.floor(allp[:, 1].min())) - m, 0)
        x1 = min(int(np.ceil(allp[:, 0].max())) + m, shape[1])
        y1 = min(int(np.ceil(allp[:, 1].max())) + m, shape[0])
        return x0, y0, x1, y1

    def track(self, gray: np.ndarray, guess_px: np.ndarray) -> FlowResult:
        """Find the reference patches in ``gray``, starting from ``guess_px`` (n, 2)."""
        if self._ref is None:
            raise RuntimeError("set_reference() must be called first")
        guess = np.asarray(guess_px, dtype=np.float64).reshape(-1, 2)
        if gray.shape != self._ref.shape:
            raise ValueError(f"frame size changed from {self._ref.shape} to {gray.shape}")
        x0, y0, x1, y1 = self._roi(gray.shape, self._ref_pts, guess)
        off = np.array([x0, y0], dtype=np.float64)
        ref = np.ascontiguousarray(self._ref[y0:y1, x0:x1])
        cur = np.ascontiguousarray(gray[y0:y1, x0:x1])
        p0 = (self._ref_pts - off).astype(np.float32).reshape(-1, 1, 2)
        g = (guess - off).astype(np.float32).reshape(-1, 1, 2)
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
        fwd, st1, _ = cv2.calcOpticalFlowPyrLK(ref, cur, p0, g.copy(), winSize=self.win, maxLevel=self.max_level,
                                               criteria=self._criteria, flags=flags)
        back, st2, _ = cv2.calcOpticalFlowPyrLK(cur, ref, fwd, p0.copy(), winSize=self.win, maxLevel=self.max_level,
                                                criteria=self._criteria, flags=flags)
        fwd = fwd.reshape(-1, 2).astype(np.float64) + off
        fb = np.linalg.norm(back.reshape(-1, 2) - p0.reshape(-1, 2), axis=1)
        near = np.linalg.norm(fwd - guess, axis=1) <= self.max_from_guess_px
        ok = (st1.ravel() == 1) & (st2.ravel() == 1) & (fb <= self.fb_max_px) & near & np.isfinite(fwd).all(axis=1)
        pts = np.where(ok[:, None], fwd, guess)
        return FlowResult(points_px=pts, ok=ok)
