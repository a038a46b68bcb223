"""The picture a clinician checks before trusting a number: the photo with the points used, the
eye line, the midline and the measured distances drawn on it, sides named as the person's own.
"""

from __future__ import annotations

import cv2
import numpy as np

from smilescope import landmarks as lm
from smilescope.landmarks import SIDES
from smilescope.measures.photo import FacePoints, eye_frame

GREEN, YELLOW, CYAN, WHITE, MAGENTA = (60, 200, 60), (240, 200, 0), (0, 200, 230), (255, 255, 255), (230, 60, 200)


def _pt(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _label(img, text: str, at, scale: float) -> None:
    """White text with a dark outline, moved inside the picture if it would run off an edge."""
    x, y = _pt(at)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, int(4 * scale * 1.5)))
    x = int(min(max(x, 4), img.shape[1] - tw - 4))
    y = int(min(max(y, th + 4), img.shape[0] - 4))
    for colour, thick in (((0, 0, 0), 4), (WHITE, 1)):
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, max(1, int(thick * scale * 1.5)), cv2.LINE_AA)


def annotated_png(rgb: np.ndarray, pts: FacePoints, static: dict, side_text: str, *, corners=None, folds=None) -> bytes:
    """PNG bytes of the photo with what was measured drawn on it; ``corners`` (side -> CornerFit):
    FaceMesh's own corner is ringed where the pixels moved it; ``folds`` (side -> FoldFit): the
    nasolabial fold traced."""
    img = np.ascontiguousarray(rgb).copy()
    h, w = img.shape[:2]
    origin, x, up = eye_frame(pts)
    size = float(np.linalg.norm(pts.eye_outer["left"] - pts.eye_outer["right"]))
    lw = max(1, int(round(size / 150)))
    fs = max(0.35, size / 350)
    # eye line and midline
    cv2.line(img, _pt(origin - 0.9 * size * x), _pt(origin + 0.9 * size * x), YELLOW, lw, cv2.LINE_AA)
    cv2.line(img, _pt(origin + 0.6 * size * up), _pt(origin - 1.6 * size * up), CYAN, lw, cv2.LINE_AA)
    for s in SIDES:
        for p in (pts.eye_inner[s], pts.eye_outer[s], pts.upper_lid[s], pts.lower_lid[s], pts.brow_mid[s], pts.mouth_corner[s]):
            cv2.circle(img, _pt(p), 2 * lw + 1, GREEN, -1, cv2.LINE_AA)
        corner = pts.mouth_corner[s]
        foot = origin + ((corner - origin) @ x) * x  # the corner's foot on the eye line
        cv2.line(img, _pt(foot), _pt(corner), GREEN, lw, cv2.LINE_AA)
        mm = static["mouth_corner_below_eyes_mm"][s]
        # the person's right is the image's left in an unmirrored photo: the label sits beside its corner
        off = -0.55 * size * x if s == "right" else 0.08 * size * x
        _label(img, f"{s}: {mm:.1f} mm", corner + off + 0.05 * size * up, fs)
        fit = (corners or {}).get(s)
        if fit is not None and fit.refined:
            cv2.circle(img, _pt(fit.facemesh_px), 2 * lw + 2, MAGENTA, max(1, lw // 2), cv2.LINE_AA)
        fold = (folds or {}).get(s)
        if fold is not None and fold.path_px is not None:
            cv2.polylines(img, [np.round(fold.path_px).astype(np.int32)], False, MAGENTA if fold.visible else WHITE,
                          max(1, lw // 2), cv2.LINE_AA)
    for p in (pts.upper_lip, pts.lower_lip):
        cv2.circle(img, _pt(p), 2 * lw + 1, GREEN, -1, cv2.LINE_AA)
    _label(img, side_text, (8, int(22 * fs / 0.5)), fs)
    legend = ["yellow: eye line, blue: midline", "green: points used (sides: the person's own)",
              "magenta ring: FaceMesh's corner before refining", "nasolabial fold: magenta, white if faint"]
    # one size for every line, small enough for the longest to fit the picture's width
    widest = max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1)[0][0] for t in legend)
    ls = min(fs * 0.8, (w - 16) / widest)
    step = int(cv2.getTextSize("Ag", cv2.FONT_HERSHEY_SIMPLEX, ls, 1)[0][1] * 1.8)
    for i, line in enumerate(legend):
        _label(img, line, (8, h - 8 - (len(legend) - 1 - i) * step), ls)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return buf.tobytes()


def contact_sheet_png(tiles, *, tile_h: int = 320, per_row: int = 4) -> bytes:
    """Key frames side by side, each with the face's outlines and the measured points drawn and
    its label: ``tiles`` is a list of (RGB frame, landmarks px or None, label)."""
    drawn = []
    measured = [lm.MOUTH_CORNER[s] for s in SIDES] + [lm.UPPER_LID[s] for s in SIDES] + [lm.BROW_MID[s] for s in SIDES] \
        + [lm.CHEEK[s] for s in SIDES]
    for rgb, lms, label in tiles:
        img = np.ascontiguousarray(rgb).copy()
        scale = tile_h / img.shape[0]
        img = cv2.resize(img, (max(1, int(round(img.shape[1] * scale))), tile_h), interpolation=cv2.INTER_AREA)
        if lms is None:
            _label(img, "no face found here", (8, tile_h // 2), 0.5)
        else:
            p = np.asarray(lms, dtype=float)[:, :2] * scale
            for line in lm.OUTLINES:
                cv2.polylines(img, [np.round(p[list(line)]).astype(np.int32)], False, CYAN, 1, cv2.LINE_AA)
            for i in measured:
                cv2.circle(img, _pt(p[i]), 3, GREEN, -1, cv2.LINE_AA)
        _label(img, label, (6, 18), 0.45)
        drawn.append(img)
    rows = []
    width = max(t.shape[1] for t in drawn)
    for k in range(0, len(drawn), per_row):
        row = [np.pad(t, ((0, 0), (0, width - t.shape[1]), (0, 0))) for t in drawn[k:k + per_row]]
        row += [np.zeros_like(row[0])] * (per_row - len(row)) if len(drawn) > per_row else []
        rows.append(np.hstack(row))
    sheet = np.vstack([np.pad(r, ((0, 0), (0, max(x.shape[1] for x in rows) - r.shape[1]), (0, 0))) for r in rows])
    ok, buf = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return buf.tobytes()
