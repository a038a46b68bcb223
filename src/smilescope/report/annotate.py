"""The picture a clinician checks before trusting a number: the photo with the points used, the
eye line, the midline and the measured distances drawn on it, sides named as the person's own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from smilescope import landmarks as lm
from smilescope.landmarks import SIDES
from smilescope.measures.photo import FacePoints, eye_frame
from smilescope.output import dumps

if TYPE_CHECKING:  # the photo pipeline loads MediaPipe; drawing needs only its results
    from smilescope.pipeline.photo import PhotoSet

GREEN, YELLOW, CYAN, WHITE, MAGENTA = (60, 200, 60), (240, 200, 0), (0, 200, 230), (255, 255, 255), (230, 60, 200)


def _pt(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _text_size(text: str, scale: float) -> tuple[int, int, int]:
    """(width, height above the baseline, depth below it) of ``text`` in pixels."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, _stroke(scale))
    return tw, th, base


def _stroke(scale: float) -> int:
    return max(1, int(round(2 * scale)))


def _label(img, text: str, at, scale: float, *, avoid=(), margin_px: int = 0) -> None:
    """White text on a dark box (readable on any skin, hair or background), its baseline's left
    end at ``at``, moved inside the picture if it would run off an edge. Where that puts the box
    over a point of ``avoid`` (within ``margin_px``: a point the label describes, pushed under
    it on a face that fills the picture), the box goes above or below that point instead."""
    tw, th, base = _text_size(text, scale)
    pad = max(2, int(round(4 * scale)))

    def inside(x, y):
        return (int(min(max(x, pad), img.shape[1] - tw - pad)), int(min(max(y, th + pad), img.shape[0] - base - pad)))

    def covers(x, y):
        x0, y0, x1, y1 = x - pad - margin_px, y - th - pad - margin_px, x + tw + pad + margin_px, y + base + pad + margin_px
        return any(x0 <= px <= x1 and y0 <= py <= y1 for px, py in (_pt(p) for p in avoid))

    x, y = inside(*_pt(at))
    if covers(x, y):
        for p in avoid:
            px, py = _pt(p)
            for cand in (inside(x, py - margin_px - base - pad - 1), inside(x, py + margin_px + th + pad + 1)):
                if not covers(*cand):
                    x, y = cand
                    break
            else:
                continue
            break
    x0, y0, x1, y1 = x - pad, y - th - pad, x + tw + pad, y + base + pad
    box = img[max(y0, 0):y1, max(x0, 0):x1]
    box[:] = (0.25 * box).astype(img.dtype)  # darkened, not hidden: the face stays visible through it
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, WHITE, _stroke(scale), cv2.LINE_AA)


def annotated_png(rgb: np.ndarray, pts: FacePoints, static: dict, side_text: str, *, corners=None, folds=None,
                  expression: str = "rest") -> bytes:
    """PNG bytes of the photo with what was measured drawn on it; ``corners`` (side -> CornerFit):
    FaceMesh's own corner is ringed where the pixels moved it; ``folds`` (side -> FoldFit): the
    nasolabial fold traced.

    A photo narrower than :data:`MIN_WIDTH_PX` is drawn enlarged to it: on a 240 px photo the
    labels covered the cheeks and the side's caption the forehead."""
    img = np.ascontiguousarray(rgb).copy()
    h, w = img.shape[:2]
    if w < MIN_WIDTH_PX:
        f = MIN_WIDTH_PX / w
        img = cv2.resize(img, (MIN_WIDTH_PX, int(round(h * f))), interpolation=cv2.INTER_CUBIC)
        h, w = img.shape[:2]
        pts = FacePoints(**{k: ({s: v * f for s, v in val.items()} if isinstance(val, dict) else val * f)
                            for k, val in vars(pts).items()})
        corners = {s: replace(c, point_px=c.point_px * f, facemesh_px=c.facemesh_px * f) for s, c in (corners or {}).items()}
        folds = {s: (replace(fd, path_px=fd.path_px * f) if fd.path_px is not None else fd) for s, fd in (folds or {}).items()}
    origin, x, up = eye_frame(pts)
    size = float(np.linalg.norm(pts.eye_outer["left"] - pts.eye_outer["right"]))
    lw = max(1, int(round(size / 150)))
    fs = max(0.35, size / 350)
    # eye line and midline
    cv2.line(img, _pt(origin - 0.9 * size * x), _pt(origin + 0.9 * size * x), YELLOW, lw, cv2.LINE_AA)
    cv2.line(img, _pt(origin + 0.6 * size * up), _pt(origin - 1.6 * size * up), CYAN, lw, cv2.LINE_AA)
    labels = []  # drawn last, over the lines and traces (a fold's trace crossed the digits)
    for s in SIDES:
        for p in (pts.eye_inner[s], pts.eye_outer[s], pts.upper_lid[s], pts.lower_lid[s], pts.brow_mid[s], pts.mouth_corner[s]):
            cv2.circle(img, _pt(p), 2 * lw + 1, GREEN, -1, cv2.LINE_AA)
        corner = pts.mouth_corner[s]
        foot = origin + ((corner - origin) @ x) * x  # the corner's foot on the eye line
        cv2.line(img, _pt(foot), _pt(corner), GREEN, lw, cv2.LINE_AA)
        mm = static["mouth_corner_below_eyes_mm"][s]
        # beside its corner, on the outer side (the person's right is the image's left in an
        # unmirrored photo) and a little above it: neither the corner nor the lips are covered;
        # where the face fills the picture and the box is pushed back over the corner, above or below it
        text = f"{s}: {mm:.1f} mm"
        tw = _text_size(text, fs)[0]
        gap = 3 * lw + 8
        at = corner + 0.04 * size * up + (-(tw + gap) * x if s == "right" else gap * x)
        fit = (corners or {}).get(s)
        avoid = [corner] + ([fit.facemesh_px] if fit is not None and fit.refined else [])
        labels.append((text, at, avoid))
        if fit is not None and fit.refined:
            cv2.circle(img, _pt(fit.facemesh_px), 2 * lw + 2, MAGENTA, max(1, lw // 2), cv2.LINE_AA)
        fold = (folds or {}).get(s)
        if fold is not None and fold.path_px is not None:
            cv2.polylines(img, [np.round(fold.path_px).astype(np.int32)], False, MAGENTA if fold.visible else WHITE,
                          max(1, lw // 2), cv2.LINE_AA)
    if expression == "eye_closure":
        # what an eye-closure photo is judged on: each eye's remaining opening, lid to lid
        for s in SIDES:
            cv2.line(img, _pt(pts.upper_lid[s]), _pt(pts.lower_lid[s]), YELLOW, lw, cv2.LINE_AA)
            mm = static["palpebral_fissure_height_mm"][s]
            text = f"open {mm:.1f} mm"
            tw = _text_size(text, fs)[0]
            gap = 3 * lw + 8
            # beyond the eye's outer corner, on its own side, as the corners' labels are
            at = pts.eye_outer[s] + 0.02 * size * up + (-(tw + gap) * x if s == "right" else gap * x)
            labels.append((text, at, [pts.upper_lid[s], pts.lower_lid[s], pts.eye_outer[s]]))
    for p in (pts.upper_lip, pts.lower_lip):
        cv2.circle(img, _pt(p), 2 * lw + 1, GREEN, -1, cv2.LINE_AA)
    for s in SIDES:  # the measured corners on top of the rings and fold traces that end at them
        cv2.circle(img, _pt(pts.mouth_corner[s]), 2 * lw + 1, GREEN, -1, cv2.LINE_AA)
    for text, at, avoid in labels:
        _label(img, text, at, fs, avoid=avoid, margin_px=2 * lw + 3)
    _label(img, side_text, (8, int(22 * fs / 0.5)), fs)
    ringed = any(c.refined for c in (corners or {}).values())
    img = _with_legend(img, ["yellow: eye line, blue: midline", "green: points used (sides: the person's own)"]
                       + (["magenta ring: the corner as the face model put it, before it was re-found in the pixels"]
                          if ringed else [])
                       + ["nasolabial fold: magenta, white if faint"]
                       + (["yellow across each eye: its opening, lid to lid"] if expression == "eye_closure" else []))
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return buf.tobytes()


def _with_legend(img: np.ndarray, lines: list[str]) -> np.ndarray:
    """The picture with a dark band below it holding the legend (on the picture it covered the
    chin, and thin text on a light background could not be read)."""
    w = img.shape[1]
    widest = max(_text_size(t, 1.0)[0] for t in lines)
    ls = float(np.clip((w - 16) / widest, 0.35, 0.6))
    wrapped = []
    for line in lines:  # a narrow picture: the longer lines go on over two
        words, cur = line.split(), ""
        for word in words:
            if cur and _text_size(cur + " " + word, ls)[0] > w - 16:
                wrapped.append(cur)
                cur = "   " + word
            else:
                cur = f"{cur} {word}" if cur else word
        wrapped.append(cur)
    lines = wrapped
    step = int(_text_size("Ag", ls)[1] * 2.0)
    band = np.full((step * len(lines) + step // 2, w, 3), 30, img.dtype)
    for i, line in enumerate(lines):
        cv2.putText(band, line, (8, step * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, ls, WHITE, _stroke(ls), cv2.LINE_AA)
    return np.vstack([img, band])


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


MIN_WIDTH_PX = 800  # a smaller photo is drawn enlarged, so its labels and caption have room
NAME_BYTES = 200  # of a file name's 255 bytes (most file systems), leaving room for "NN_" and "_annotated.png"


def short_stem(stem: str) -> str:
    """``stem`` cut to :data:`NAME_BYTES` bytes (whole characters), so the annotated picture's name
    fits the file system however long the photo's name is; control characters (a newline in a
    file name) become ``_``, so every tool reads the name as one line."""
    stem = "".join("_" if unicodedata.category(ch) == "Cc" else ch for ch in stem)
    raw = stem.encode("utf-8", "surrogateescape")
    if len(raw) <= NAME_BYTES:
        return stem
    return raw[:NAME_BYTES].decode("utf-8", "ignore")  # a character cut in two is dropped


def side_caption(side) -> str:
    """The annotated picture's words for the side call: "none" (the sides were compared and do
    not differ clearly: under 2 mm, or under what the picture's resolution can tell apart) and
    "unknown" (they were not compared, and why) are not the same finding; neither says "even"."""
    if side.side in ("left", "right"):
        return f"looks affected: {side.side} ({side.confidence})"
    if side.side == "none":
        return "no side named: the sides do not differ clearly"
    why = side.why
    if "turned" in why:
        return "side not judged: the head is turned"
    if "tilted" in why:
        return "side not judged: the head is tilted"
    if "alone does not show a side" in why:
        return "side not judged from this expression alone"
    return "side not judged: " + why.split(",")[0].split(":")[0]


def photo_files(photos: "PhotoSet") -> dict[str, str | bytes]:
    """A photo run's folder as ``{name: content}``: ``photo.json`` (its entries name their
    pictures under ``annotated``) and an annotated picture of each photo,
    ``NN_<photo name>_annotated.png`` in the order given. ``photos.document`` gets the names too."""
    files: dict[str, str | bytes] = {}
    for i, r in enumerate(photos.photos):
        name = f"{i + 1:02d}_{short_stem(Path(r.photo.path).stem)}_annotated.png"
        files[name] = annotated_png(r.photo.rgb, r.points or FacePoints.from_facemesh(r.landmarks_px), r.static,
                                    side_caption(r.side), corners=r.corners, folds=r.folds, expression=r.expression)
        photos.document["photos"][i]["annotated"] = name
    return {"photo.json": dumps(photos.document) + "\n", **files}
