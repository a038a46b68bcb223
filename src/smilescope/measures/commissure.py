"""Mouth corners (commissures) and nasolabial folds re-found in the pixels of one still photo.

FaceMesh puts its mouth corners (61, 291) on its lip contour, often 1-3 mm inside the
commissure, the point where the upper and lower lip meet; on a palsied face the drooping side's
error differs from the healthy side's, so it does not cancel in the corner height difference.
Here the commissure is taken as the lateral end of the oral fissure, the dark line where the lips
meet:

1. A strip is sampled along the lip line from :data:`FISSURE_MEDIAL_MM` inside FaceMesh's corner
   to :data:`REACH_MM` beyond it, :data:`STRIP_HALF_MM` either side (grey levels, lightly
   smoothed: :data:`BLUR_MM`, about the fissure's own width).
2. In each column, each sample's *valley contrast*: the darker of the brightest points within
   :data:`FLANK_MM` above and below it, minus itself (a line darker than both sides; an edge, such
   as the vermilion border, scores nothing). The fissure is the path of greatest total contrast
   through the strip that moves at most one sample across per sample along (dynamic programming),
   so it follows a drooping or smiling lip line but does not jump to another line.
3. Along that path the contrast drops from the fissure's (median over the medial part, where the
   lips surely meet) to the skin's (median over the last 2 mm of the strip). A line that ends,
   blurred by the lens, falls to half its contrast at its end: the commissure is the last point at
   or above the half level before the contrast stays under it for :data:`GAP_MM`. Its height comes
   from a line fitted to the path's last 2 mm, so one noisy sample does not set it.

FaceMesh's corner is kept, with the reason, where the face is too small for the fissure to be
resolved (under :data:`MIN_PX_PER_MM`) or the fissure is not clearly darker than the skin (its
contrast under twice the skin's, or under :data:`MIN_CONTRAST_GREY` grey levels: JPEG noise).

The nasolabial fold is the same kind of feature, a line darker than the skin either side,
running from beside the nose's ala to lateral of the mouth corner; a flattened fold on one side is
a classic sign of facial palsy (Sunnybrook rest item). :func:`nasolabial_fold` traces it the same
way and reports its Weber contrast (a depth proxy, independent of the exposure) and the length
over which it is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import map_coordinates, maximum_filter1d

from smilescope.landmarks import SIDES

FISSURE_MEDIAL_MM = 3.0  # inside FaceMesh's corner the lips of a closed or smiling mouth meet
REACH_MM = 6.0  # beyond FaceMesh's corner: its errors on these photos are mostly under 5 mm
STRIP_HALF_MM = 2.5  # across the lip line: a lip near the corner is about this thick
FLANK_MM = 1.2  # the fissure is under a millimetre wide; its flanks are the lips (or skin) beside it
BLUR_MM = 0.15  # smoothing before sampling: about the fissure's width, so JPEG noise is not a valley
GAP_MM = 1.0  # a break shorter than this (a glint on the lip) does not end the fissure
FIT_MM = 2.0  # the corner's height: a line through the fissure's last 2 mm
MIN_PX_PER_MM = 1.0  # coarser than this the fissure (under 1 mm wide) covers less than a pixel
MIN_CONTRAST_GREY = 4.0  # grey levels (of 255): under this a valley is JPEG quantisation, not a line
SAMPLE_MM = 0.1  # strip sampling step (at least half a pixel)


@dataclass(frozen=True)
class CornerFit:
    """One mouth corner: the point used (image px) and whether it came from the pixels."""

    point_px: np.ndarray
    facemesh_px: np.ndarray
    refined: bool
    why: str
    fissure_contrast_grey: float | None = None  # valley contrast of the fissure (grey levels)
    skin_contrast_grey: float | None = None

    @property
    def moved_px(self) -> float:
        return float(np.linalg.norm(self.point_px - self.facemesh_px))

    def to_dict(self, mm_per_px: float) -> dict:
        return {"refined": self.refined, "why": self.why,
                "x_px": float(self.point_px[0]), "y_px": float(self.point_px[1]),
                "facemesh_x_px": float(self.facemesh_px[0]), "facemesh_y_px": float(self.facemesh_px[1]),
                "moved_mm": self.moved_px * float(mm_per_px),
                "fissure_contrast_grey": self.fissure_contrast_grey, "skin_contrast_grey": self.skin_contrast_grey}


def smoothed_grey(rgb: np.ndarray, *, px_per_mm: float) -> np.ndarray:
    """Grey levels (float32, 0-255) smoothed by :data:`BLUR_MM` (at least half a pixel).

    Parameters
    ----------
    rgb : np.ndarray [shape=(H, W, 3), uint8]
    """
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return cv2.GaussianBlur(grey, (0, 0), max(0.5, BLUR_MM * float(px_per_mm)))


def sample_strip(grey: np.ndarray, *, start_px: np.ndarray, along: np.ndarray, s_px: np.ndarray,
                 t_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey levels on the grid ``start + s * along + t * across`` (bilinear; edges repeated).

    Returns
    -------
    points_px : np.ndarray [shape=(len(s), len(t), 2)]
    values : np.ndarray [shape=(len(s), len(t))]
    """
    across = np.array([-along[1], along[0]])
    pts = start_px[None, None, :] + s_px[:, None, None] * along + t_px[None, :, None] * across
    vals = map_coordinates(grey, [pts[..., 1], pts[..., 0]], order=1, mode="nearest")
    return pts, vals


def valley_contrast(values: np.ndarray, flank: int) -> np.ndarray:
    """Per sample of each row: min(brightest within ``flank`` samples before, after) - itself.

    Samples whose flank would leave the row score 0 (a valley needs both sides seen).
    """
    before = maximum_filter1d(values, size=flank + 1, axis=1, origin=flank // 2)
    after = maximum_filter1d(values, size=flank + 1, axis=1, origin=-(flank // 2))
    c = np.minimum(before, after) - values
    c[:, :flank] = 0.0
    c[:, -flank:] = 0.0
    return c


def best_path(contrast: np.ndarray, *, step_cost: float) -> np.ndarray:
    """Index across the strip, per row, of the path of greatest total contrast that moves at most
    one sample across per row (``step_cost`` for each move)."""
    n_rows, n_cols = contrast.shape
    score = contrast[0].astype(float)
    back = np.zeros((n_rows, n_cols), dtype=np.int8)
    cols = np.arange(n_cols)
    for i in range(1, n_rows):
        cand = np.stack([np.r_[-np.inf, score[:-1]] - step_cost, score, np.r_[score[1:], -np.inf] - step_cost])
        k = np.argmax(cand, axis=0)
        back[i] = k - 1
        score = cand[k, cols] + contrast[i]
    path = np.empty(n_rows, dtype=int)
    path[-1] = int(np.argmax(score))
    for i in range(n_rows - 1, 0, -1):
        path[i - 1] = path[i] + back[i, path[i]]
    return path


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else None


def refine_commissure(grey: np.ndarray, *, corner_px: np.ndarray, toward_px: np.ndarray, px_per_mm: float) -> CornerFit:
    """One commissure as the lateral end of the oral fissure (see the module docstring).

    Parameters
    ----------
    grey : np.ndarray [shape=(H, W)]
        :func:`smoothed_grey` of the photo.
    corner_px : np.ndarray [shape=(2,)]
        FaceMesh's mouth corner (px).
    toward_px : np.ndarray [shape=(2,)]
        A point on the lip line inside the mouth (px): the lip line runs from it to the corner.
    px_per_mm : float
        The photo's scale at the face.
    """
    corner = np.asarray(corner_px, dtype=float)
    keep = dict(point_px=corner, facemesh_px=corner, refined=False)
    ppm = float(px_per_mm)
    if not np.isfinite(ppm) or ppm < MIN_PX_PER_MM:
        return CornerFit(**keep, why=f"the face is too small ({ppm:.1f} px per mm, at least {MIN_PX_PER_MM:g} needed to "
                                     "see where the lips meet): FaceMesh's corner is used")
    along = _unit(corner - np.asarray(toward_px, dtype=float))
    if along is None:
        return CornerFit(**keep, why="the lip line's direction is undefined: FaceMesh's corner is used")
    step = max(0.5, SAMPLE_MM * ppm)
    s = np.arange(-FISSURE_MEDIAL_MM * ppm, REACH_MM * ppm + 1e-9, step)
    t = np.arange(-STRIP_HALF_MM * ppm, STRIP_HALF_MM * ppm + 1e-9, step)
    pts, vals = sample_strip(grey, start_px=corner, along=along, s_px=s, t_px=t)
    flank = max(2, int(round(FLANK_MM * ppm / step)))
    contrast = valley_contrast(vals, flank)
    # a move across costs half the typical grey step between neighbours: the path bends where the line does
    path = best_path(contrast, step_cost=0.5 * float(np.median(np.abs(np.diff(vals, axis=1)))))
    c = contrast[np.arange(len(s)), path]
    medial = s < -0.5 * ppm
    fissure = float(np.median(c[medial]))
    skin = float(np.median(c[s > (REACH_MM - 2.0) * ppm]))
    if fissure < max(2.0 * skin, MIN_CONTRAST_GREY):
        return CornerFit(**keep, why=f"no fissure clearly darker than the skin where the lips meet (contrast {fissure:.1f} "
                                     f"grey levels against the skin's {skin:.1f}): FaceMesh's corner is used",
                         fissure_contrast_grey=fissure, skin_contrast_grey=skin)
    half = 0.5 * (fissure + skin)
    gap = int(round(GAP_MM * ppm / step))
    end, run = int(np.flatnonzero(medial)[-1]), 0
    for i in range(len(s)):
        if c[i] >= half:
            end, run = i, 0
        elif not medial[i]:
            run += 1
            if run > gap:
                break
    lo = max(0, end - int(round(FIT_MM * ppm / step)))
    slope, offset = np.polyfit(s[lo:end + 1], t[path[lo:end + 1]], 1)
    across = np.array([-along[1], along[0]])
    point = corner + s[end] * along + (slope * s[end] + offset) * across
    return CornerFit(point_px=point, facemesh_px=corner, refined=True,
                     why=f"the lateral end of the fissure where the lips meet (contrast {fissure:.0f} grey levels, "
                         f"skin {skin:.0f})", fissure_contrast_grey=fissure, skin_contrast_grey=skin)


def refine_commissures(grey: np.ndarray, *, corner_px: dict, toward_px: dict, px_per_mm: float) -> dict[str, CornerFit]:
    """:func:`refine_commissure` for both sides (dicts keyed ``right`` / ``left``)."""
    return {side: refine_commissure(grey, corner_px=corner_px[side], toward_px=toward_px[side], px_per_mm=px_per_mm)
            for side in SIDES}


# Nasolabial fold: from beside the ala to lateral of the mouth corner.
FOLD_BEYOND_CORNER_MM = 8.0  # the fold ends about a centimetre lateral to the commissure
FOLD_HALF_MM = 5.0  # the fold's place varies by a few mm between faces and with the smile
FOLD_FLANK_MM = 2.5  # a crease is shaded over a few millimetres, wider than the lip fissure
FOLD_ENDS_SKIPPED = 0.15  # the ends meet the alar groove and the lips, which are lines too
VISIBLE_WEBER = 0.02  # a line 2 % darker than its surround is at the threshold of seeing it (Weber fraction)
MIN_SKIN_GREY, MAX_SKIN_GREY = 40.0, 245.0  # too dark to see a shade in, or burnt out


@dataclass(frozen=True)
class FoldFit:
    """One nasolabial fold: Weber contrast (0-1, a depth proxy) and visible length (mm), or why not."""

    contrast: float | None
    visible_mm: float | None
    visible: bool | None
    why: str
    path_px: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {"contrast": self.contrast, "visible_mm": self.visible_mm, "visible": self.visible, "why": self.why}


def nasolabial_fold(grey: np.ndarray, *, ala_px: np.ndarray, corner_px: np.ndarray, mouth_centre_px: np.ndarray,
                    px_per_mm: float) -> FoldFit:
    """One nasolabial fold (see the module docstring): the darkest continuous line between the
    ala and a point :data:`FOLD_BEYOND_CORNER_MM` lateral to the mouth corner.

    ``contrast`` is the median Weber contrast (valley depth / flank brightness) along the middle
    of the fold; ``visible_mm`` the length over which it is at least :data:`VISIBLE_WEBER`;
    ``visible`` whether that is at least half the fold's length.
    """
    ppm = float(px_per_mm)
    if not np.isfinite(ppm) or ppm < MIN_PX_PER_MM:
        return FoldFit(None, None, None, f"the face is too small ({ppm:.1f} px per mm) to see the fold")
    lateral = _unit(np.asarray(corner_px, float) - np.asarray(mouth_centre_px, float))
    if lateral is None:
        return FoldFit(None, None, None, "the mouth's direction is undefined")
    a = np.asarray(ala_px, float)
    b = np.asarray(corner_px, float) + FOLD_BEYOND_CORNER_MM * ppm * lateral
    along = _unit(b - a)
    length = float(np.linalg.norm(b - a))
    if along is None:
        return FoldFit(None, None, None, "the fold's ends coincide")
    h, w = grey.shape
    reach = FOLD_HALF_MM * ppm
    if min(a.min(), b.min()) < reach or a[0] > w - reach or b[0] > w - reach or a[1] > h - reach or b[1] > h - reach:
        return FoldFit(None, None, None, "the fold is too close to the photo's edge")
    step = max(0.5, SAMPLE_MM * ppm)
    s = np.arange(0.0, length + 1e-9, step)
    t = np.arange(-reach, reach + 1e-9, step)
    pts, vals = sample_strip(grey, start_px=a, along=along, s_px=s, t_px=t)
    skin = float(np.median(vals))
    if not MIN_SKIN_GREY <= skin <= MAX_SKIN_GREY:
        return FoldFit(None, None, None, f"the cheek is {'too dark' if skin < MIN_SKIN_GREY else 'burnt out'} "
                                         f"(grey {skin:.0f} of 255) to see a fold")
    flank = max(2, int(round(FOLD_FLANK_MM * ppm / step)))
    contrast = valley_contrast(vals, flank)
    path = best_path(contrast, step_cost=0.5 * float(np.median(np.abs(np.diff(vals, axis=1)))))
    rows = np.arange(len(s))
    depth = contrast[rows, path]
    weber = depth / np.maximum(vals[rows, path] + depth, 1.0)
    middle = (s >= FOLD_ENDS_SKIPPED * length) & (s <= (1 - FOLD_ENDS_SKIPPED) * length)
    c = float(np.median(weber[middle]))
    seen_mm = float(np.sum(weber[middle] >= VISIBLE_WEBER) * step / ppm)
    mid_mm = float(np.sum(middle) * step / ppm)
    visible = seen_mm >= 0.5 * mid_mm
    return FoldFit(c, seen_mm, bool(visible),
                   f"{'visible' if visible else 'faint or flat'}: {100 * c:.1f} % darker than the skin beside it, "
                   f"over {seen_mm:.0f} of {mid_mm:.0f} mm", path_px=pts[rows, path])
