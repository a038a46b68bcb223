"""Sub-pixel refinement of landmark positions with pyramidal Lucas-Kanade optical flow.

The landmark model pulls one-sided movement towards symmetry (a paralysed corner still
"moves" 1-1.4 mm when the other side smiles), so the positions that carry facial motion are
re-measured from the pixels: each point's patch in the reference (neutral) frame is matched
directly in the current frame. Matching against the reference rather than the previous frame
means errors do not accumulate over a long video.

The current frame is first warped into the reference frame's coordinates with the head
motion estimated from the landmarks (see ``pipeline``): LK models a patch as translated, not
rotated or scaled, and a head tilted by 8 degrees biased it by up to 2 px.
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
        Refined positions (px, reference coordinates) where ``ok``; the guesses elsewhere.
    ok : np.ndarray [shape=(n,)] of bool
        The flow converged, passed the forward-backward check and stayed near the guess.
    """

    points_px: np.ndarray
    ok: np.ndarray


class PatchTracker:
    """Match landmark-anchored patches of a reference frame in later (aligned) frames.

    Parameters
    ----------
    window_px : int
        Side of the square LK window (px), odd; about 6 mm of face works well.
    max_level : int
        Pyramid levels above the full image.
    fb_max_px : float
        Largest forward-backward disagreement (px) accepted.
    max_from_guess_px : float
        Largest distance (px) between the refined point and its guess; further means the
        patch was lost (blink, occlusion) and the guess is kept.
    margin_px : float
        Room around the points for the movement of the face (px).
    """

    def __init__(self, *, window_px: int, max_level: int = 1, fb_max_px: float = 0.5,
                 max_from_guess_px: float = 8.0, margin_px: float = 40.0) -> None:
        w = max(int(window_px) | 1, 9)
        self.win = (w, w)
        self.wide = (2 * w + 1, 2 * w + 1)
        self.max_level = int(max_level)
        self.fb_max_px = float(fb_max_px)
        self.max_from_guess_px = float(max_from_guess_px)
        self.margin_px = float(margin_px)
        self._criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.01)
        self._ref: np.ndarray | None = None
        self._ref_pts: np.ndarray | None = None
        self.roi: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in reference coordinates

    def set_reference(self, gray: np.ndarray, points_px: np.ndarray) -> None:
        """Store the reference frame (uint8 grey, H x W) and the points (n, 2) to follow.

        Only a box around the points is kept (``roi``): later frames are cropped to the same
        box of reference coordinates after warping.
        """
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        m = self.wide[0] * (2 ** self.max_level) // 2 + self.margin_px
        h, w = gray.shape[:2]
        x0 = max(int(np.floor(pts[:, 0].min() - m)), 0)
        y0 = max(int(np.floor(pts[:, 1].min() - m)), 0)
        x1 = min(int(np.ceil(pts[:, 0].max() + m)), w)
        y1 = min(int(np.ceil(pts[:, 1].max() + m)), h)
        self.roi = (x0, y0, x1, y1)
        self._ref = np.ascontiguousarray(gray[y0:y1, x0:x1])
        self._ref_pts = pts

    def track(self, crop: np.ndarray, guess_px: np.ndarray, *, checked: np.ndarray | None = None) -> FlowResult:
        """Find the reference patches in ``crop`` (the current frame, warped into reference
        coordinates and cut to ``roi``), starting from ``guess_px`` (n, 2, reference coordinates).

        Points marked in ``checked`` (n,) bool (default all) carry measurements: they get a
        forward-backward check, and those that fail with the base window (smooth skin: too
        little texture for a 6 mm patch) are tried once more with a window twice as wide. The
        other points (alignment points, whose outliers a robust fit rejects anyway) get a
        single forward pass, which keeps the cost per frame low.
        """
        if self._ref is None:
            raise RuntimeError("set_reference() must be called first")
        if crop.shape != self._ref.shape:
            raise ValueError(f"crop is {crop.shape}, reference region is {self._ref.shape}")
        guess = np.asarray(guess_px, dtype=np.float64).reshape(-1, 2)
        checked = np.ones(len(guess), bool) if checked is None else np.asarray(checked, dtype=bool)
        res = self._track(crop, guess, self.win, checked)
        bad = ~res.ok & checked
        if not bad.any():
            return res
        again = self._track(crop, guess[bad], self.wide, np.ones(int(bad.sum()), bool), sel=bad)
        pts, ok = res.points_px.copy(), res.ok.copy()
        pts[bad], ok[bad] = again.points_px, again.ok
        return FlowResult(points_px=pts, ok=ok)

    def _track(self, crop: np.ndarray, guess: np.ndarray, win: tuple[int, int], checked: np.ndarray,
               sel: np.ndarray | None = None) -> FlowResult:
        off = np.array(self.roi[:2], dtype=np.float64)
        ref_pts = self._ref_pts if sel is None else self._ref_pts[sel]
        p0 = (ref_pts - off).astype(np.float32).reshape(-1, 1, 2)
        g = (guess - off).astype(np.float32).reshape(-1, 1, 2)
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
        fwd, st, _ = cv2.calcOpticalFlowPyrLK(self._ref, crop, p0, g.copy(), winSize=win, maxLevel=self.max_level,
                                              criteria=self._criteria, flags=flags)
        ok = st.ravel() == 1
        if checked.any():
            back, st2, _ = cv2.calcOpticalFlowPyrLK(crop, self._ref, fwd[checked], p0[checked].copy(), winSize=win,
                                                    maxLevel=self.max_level, criteria=self._criteria, flags=flags)
            fb = np.linalg.norm(back.reshape(-1, 2) - p0[checked].reshape(-1, 2), axis=1)
            ok[checked] &= (st2.ravel() == 1) & (fb <= self.fb_max_px)
        fwd = fwd.reshape(-1, 2).astype(np.float64) + off
        ok &= (np.linalg.norm(fwd - guess, axis=1) <= self.max_from_guess_px) & np.isfinite(fwd).all(axis=1)
        return FlowResult(points_px=np.where(ok[:, None], fwd, guess), ok=ok)
