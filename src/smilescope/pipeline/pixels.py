"""Measures read from the pixels of one frame, beside the landmarks: textured skin anchors for
the alignment, and how much of the mouth opening shows teeth."""

from __future__ import annotations

import cv2
import numpy as np

from smilescope import landmarks as lm


def anchor_features(gray: np.ndarray, lms: np.ndarray, *, min_distance_px: float, max_corners: int = 32) -> np.ndarray:
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
