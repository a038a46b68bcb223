"""Photos: one still (or a clinical set) -> landmarks -> the static measures, the affected side,
and the points to draw. Reads the photos and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from smilescope.errors import BadInputError
from smilescope.io.photo import Photo, read_photo
from smilescope import landmarks as lm
from smilescope.geometry.align import fit_similarity
from smilescope.measures.commissure import CornerFit, FoldFit, nasolabial_fold, refine_commissures, smoothed_grey
from smilescope.measures.photo import (
    EXPRESSIONS,
    MAX_PITCH_DEG,
    MAX_ROLL_DEG,
    MAX_YAW_DEG,
    FacePoints,
    Scale,
    SideCall,
    affected_side,
    affected_side_from_movement,
    dynamic_measures,
    eye_frame,
    photo_scale,
    static_measures,
)
from smilescope.measures.smile import REST_MAX_SMILE_SCORE
from smilescope.measures.smile_score import smile_score
from smilescope.track.crops import SmallFaceFinder
from smilescope.pipeline.pixels import anchor_features
from smilescope.results import PHOTO_SCHEMA_VERSION
from smilescope.track.flow import PatchTracker
from smilescope.track.facemesh import FaceObservation, MediaPipeFaceMesh, face_boxes_px, head_angles_deg

MIN_FACE_PX = 80.0  # as for videos: a narrower face has an iris of a few pixels (PipelineConfig.min_face_width_px)


@dataclass
class PhotoResult:
    """One photo's analysis; ``landmarks_px`` are in the photo as read (``photo.rgb``)."""

    photo: Photo
    expression: str
    landmarks_px: np.ndarray
    scale: Scale
    static: dict
    side: SideCall
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    face_width_px: float
    warnings: list[str] = field(default_factory=list)
    points: FacePoints | None = None  # the points measured: the halves' fit (else the whole face's, its mouth corners re-found in the pixels)
    corners: dict[str, CornerFit] = field(default_factory=dict)
    folds: dict[str, FoldFit] = field(default_factory=dict)
    mirrored: bool = False  # flipped back before measuring (--mirrored): recorded so a reader knows
    whole_face_px: np.ndarray | None = None  # FaceMesh's fit to the whole face, where landmarks_px are its halves' (_fitted_by_halves)

    def to_dict(self) -> dict:
        return {"path": self.photo.path, "expression": self.expression,
                "image": {"width_px": int(self.photo.rgb.shape[1]), "height_px": int(self.photo.rgb.shape[0]),
                          "original_size_px": list(self.photo.original_size_px), "scale": self.photo.scale,
                          "exif_orientation": self.photo.exif_orientation, "mirrored": self.mirrored},
                "scale": {"mm_per_px": self.scale.mm_per_px, "source": self.scale.source,
                          "accurate": self.scale.accurate, "why": self.scale.why},
                "head": {"yaw_deg": self.yaw_deg, "pitch_deg": self.pitch_deg, "roll_deg": self.roll_deg},
                "face_width_px": self.face_width_px,
                "static": self.static,
                "mouth_corners": {s: c.to_dict(self.scale.mm_per_px) for s, c in self.corners.items()},
                "nasolabial_folds": {s: f.to_dict() for s, f in self.folds.items()},
                "affected_side": self.side.side, "confidence": self.side.confidence, "why": self.side.why,
                "warnings": list(self.warnings)}


def _find_face(rgb: np.ndarray, det: MediaPipeFaceMesh) -> tuple[FaceObservation | None, int]:
    """The widest face the face detector confirms (else the widest face mesh), and how many
    face meshes the detector did not confirm (a background fitted as a face)."""
    meshes = det.faces(rgb)
    if not meshes:  # a small face in a large picture: search enlarged windows of it
        with SmallFaceFinder(min_face_px=0.75 * MIN_FACE_PX) as finder:
            return finder(rgb, 0.0), 0
    boxes = face_boxes_px(rgb)

    def confirmed(m: np.ndarray) -> bool:
        cx, cy = m[lm.NOSE_TIP, 0], m[lm.NOSE_TIP, 1]
        return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes)

    real = [m for m in meshes if confirmed(m)]
    if not real:  # the detector confirms none: keep them all, widest first
        return FaceObservation(landmarks_px=meshes[0], n_faces=max(len(meshes), len(boxes))), 0
    # the detector may see more faces than the mesh was fitted to (a smaller face beside): counted
    return FaceObservation(landmarks_px=real[0], n_faces=max(len(real), len(boxes))), len(meshes) - len(real)


def analyze_photo(path: str | Path, *, expression: str = "rest", mirrored: bool = False,
                  detector: MediaPipeFaceMesh | None = None) -> PhotoResult:
    """Analyse one photo of ``expression`` (one of :data:`~smilescope.measures.photo.EXPRESSIONS`).

    ``mirrored``: the photo is a mirror image (many phones save selfies so); it is flipped back so
    that sides stay the person's own.

    Raises
    ------
    BadInputError
        Unreadable photo, no face, a face too small, an unknown expression.
    """
    if expression not in EXPRESSIONS:
        raise BadInputError(f"Unknown expression {expression!r}.", f"Use one of: {', '.join(EXPRESSIONS)}.")
    photo = read_photo(path)
    if mirrored:
        photo = replace(photo, rgb=np.ascontiguousarray(photo.rgb[:, ::-1]))
    own = detector is None
    det = detector or MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4)
    try:
        return _analyze(photo, expression, det, mirrored)
    finally:
        if own:
            det.close()


def _analyze(photo: Photo, expression: str, det: MediaPipeFaceMesh, mirrored: bool) -> PhotoResult:
    obs, not_faces = _find_face(photo.rgb, det)
    if obs is None:
        raise BadInputError(f"No face found in '{photo.path}'.",
                            "Use a photo of the face from the front, well lit, not cut off at the edges.")
    width = float(obs.face_width_px)
    if width < MIN_FACE_PX:
        raise BadInputError(f"The face in '{photo.path}' is only {width:.0f} px wide (at least {MIN_FACE_PX:g} px is needed "
                            "to measure millimetres).", "Use a closer or larger photo of the face.")
    warnings = []
    if photo.frames > 1:
        warnings.append(f"the file holds {photo.frames} pictures (an animation): the first was measured")
    if obs.n_faces > 1:
        warnings.append(f"{obs.n_faces} faces in the photo: the largest was measured")
    if not_faces:
        warnings.append(f"{not_faces} face-like pattern{'s' if not_faces > 1 else ''} elsewhere in the photo "
                        f"{'were' if not_faces > 1 else 'was'} not taken for a face (the face detector did not confirm "
                        f"{'them' if not_faces > 1 else 'it'})")
    lms = np.asarray(obs.landmarks_px, dtype=float)
    if expression == "rest" and (score := smile_score(lms)) >= REST_MAX_SMILE_SCORE:
        warnings.append(f"this photo looks like a smile (smile score {score:.2f}), not a relaxed face: its measures "
                        "describe the smile, not the face at rest; take a relaxed photo as the rest photo, and give this "
                        "one as the smile photo (--expression smile)")
    yaw, pitch, roll = head_angles_deg(lms)
    if abs(roll) > MAX_ROLL_DEG:
        # every measure here is taken against the eye line and the picture's vertical: lying on its
        # side the face's numbers are wrong (a healthy face read a 7.7 mm corner difference for 2.3)
        raise BadInputError(f"The face in '{photo.path}' lies {abs(roll):.0f} deg on its side (at most {MAX_ROLL_DEG:g} deg "
                            "can be measured): the photo was probably saved turned, without its orientation tag.",
                            "Turn the photo upright (rotate it in a photo viewer and save it) and run again.")
    whole_face = None
    if abs(yaw) <= MAX_YAW_DEG and (halves := _fitted_by_halves(photo.rgb, lms, det)) is not None:
        whole_face, lms = lms, halves  # the head pose and the smile score above are the whole face's
    pts = FacePoints.from_facemesh(lms)
    scale = photo_scale(lms, pts)
    if not scale.accurate:
        warnings.append(scale.why)
    px_per_mm = 1.0 / scale.mm_per_px
    grey = smoothed_grey(photo.rgb, px_per_mm=px_per_mm)
    if whole_face is None:
        # FaceMesh's corners from the whole face sit on its lip contour, often 1-3 mm inside where the lips meet
        corners = refine_commissures(grey, corner_px=pts.mouth_corner, px_per_mm=px_per_mm,
                                     toward_px={s: lms[list(lm.INNER_LIP_NEAR_CORNER[s]), :2].mean(axis=0) for s in lm.SIDES})
    else:
        corners = {s: CornerFit(point_px=pts.mouth_corner[s], facemesh_px=pts.mouth_corner[s], refined=False, why=HALVES_CORNER)
                   for s in lm.SIDES}
    pts = replace(pts, mouth_corner={s: corners[s].point_px for s in lm.SIDES})
    mouth_centre = lms[[lm.INNER_LIP_CENTRE["upper"], lm.INNER_LIP_CENTRE["lower"]], :2].mean(axis=0)
    folds = {s: nasolabial_fold(grey, ala_px=lms[lm.ALA[s], :2], corner_px=pts.mouth_corner[s], mouth_centre_px=mouth_centre,
                                px_per_mm=px_per_mm) for s in lm.SIDES}
    static = static_measures(pts, scale.mm_per_px)
    static["nasolabial_fold_contrast"] = {s: folds[s].contrast for s in lm.SIDES}
    static["nasolabial_fold_visible_mm"] = {s: folds[s].visible_mm for s in lm.SIDES}
    static["nasolabial_fold_visible"] = {s: folds[s].visible for s in lm.SIDES}
    side = affected_side(static, expression=expression, yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll,
                         mm_per_px=scale.mm_per_px)
    return PhotoResult(photo=photo, expression=expression, landmarks_px=lms, scale=scale, static=static, side=side,
                       yaw_deg=float(yaw), pitch_deg=float(pitch), roll_deg=float(roll), face_width_px=width,
                       warnings=warnings, points=pts, corners=corners, folds=folds, mirrored=bool(mirrored),
                       whole_face_px=whole_face)


class PhotoSet(NamedTuple):
    """A photo set's analysis: ``document`` is photo.json's document (``schema_version``,
    ``photos``: one entry per photo, with ``dynamic`` for an expression photo against the rest
    photo), ``photos`` the typed result of each photo, in the order given."""

    document: dict
    photos: list[PhotoResult]


HALVES_CORNER = ("the face model's corner, fitted to each half of the face on its own: on palsy photos these agreed with "
                 "hand-placed corners better than corners re-found in the pixels")
MIDLINE_FRACTION = 0.03  # of the outer canthi's distance (about 3 mm): points this near the midline belong to both halves
# Where the midline runs is known to a few millimetres and about a degree, and a half-face fit moves
# with it (Palda: one photo's corner difference by 0.36 mm at the median, 1.7 mm at the 90th
# percentile, when the line turns by 1 deg); so the fits of five lines within that are averaged
# (0.21 and 1.05 mm). (shift across, in outer-canthi distances; turn, degrees)
MIDLINES = ((0.0, 0.0), (-0.02, 0.0), (0.02, 0.0), (0.0, -1.0), (0.0, 1.0))


def _fitted_by_halves(rgb: np.ndarray, lms: np.ndarray, det: MediaPipeFaceMesh) -> np.ndarray | None:
    """The landmarks fitted to each half of the face on its own, or None where a half is not
    found as a face.

    FaceMesh fits a shape model learnt from faces that are nearly symmetric, so it pulls a
    one-sided droop or smile towards the other side: on the Palda palsy photos its mouth corners'
    height difference came out about 0.7 of the hand-placed landmarks'. Here each half of the
    face is mirrored about the facial midline (through the middle of the eyes, perpendicular to
    the eye line) into a whole, symmetric face, which the model fits without that pull; each
    side's points are taken from its own half's fit (points on the midline: the mean of both),
    averaged over :data:`MIDLINES`.
    """
    pts = FacePoints.from_facemesh(lms)
    origin, x, up = eye_frame(pts)
    eyes_px = float(np.linalg.norm(pts.eye_outer["left"] - pts.eye_outer["right"]))
    across = (lms[:, :2] - origin) @ x
    near = MIDLINE_FRACTION * eyes_px
    h, w = rgb.shape[:2]
    ys, xs = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]  # broadcast, not h x w grids
    fits = []
    for shift, turn_deg in MIDLINES:
        c, s = np.cos(np.radians(turn_deg)), np.sin(np.radians(turn_deg))
        u = np.array([c * up[0] - s * up[1], s * up[0] + c * up[1]])  # the line's direction
        o = origin + shift * eyes_px * x
        reflect = 2.0 * np.outer(u, u) - np.eye(2)  # about the line through o along u: its own inverse
        mirror = cv2.warpAffine(rgb, np.hstack([reflect, (o - reflect @ o)[:, None]]), (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        on_right = ((ys - o[1]) * u[0] - (xs - o[0]) * u[1] < 0)[..., None]  # (-u[1], u[0]) points to the person's left
        half = {}
        for side, keep in (("right", on_right), ("left", ~on_right)):
            meshes = det.faces(np.ascontiguousarray(np.where(keep, rgb, mirror)))
            off = [float(np.linalg.norm(a[lm.NOSE_TIP, :2] - lms[lm.NOSE_TIP, :2])) for a in meshes]
            # the mirrored face is the same face, its nose on the midline: a fit whose nose is a
            # quarter of the eyes' width away (a face at the picture's edge filled with smeared
            # border) is not that face
            if not meshes or min(off) > 0.25 * eyes_px:
                return None
            half[side] = meshes[int(np.argmin(off))]
        fit = (half["right"] + half["left"]) / 2.0
        fit[across < -near] = half["right"][across < -near]
        fit[across > near] = half["left"][across > near]
        fits.append(fit)
    return np.mean(fits, axis=0)


def analyze_photos(paths, *, expressions=None, mirrored: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> PhotoSet:
    """Several photos of one person: ``photo.json``'s document and the per-photo results (a
    :class:`PhotoSet`, which unpacks as ``doc, results``), with one face-mesh graph for all;
    ``progress(done, total)`` is called after each photo."""
    paths = list(paths)
    expressions = list(expressions or [])
    if expressions and len(expressions) not in (1, len(paths)):
        raise BadInputError(f"{len(expressions)} expression{'s' if len(expressions) != 1 else ''} for {len(paths)} "
                            f"photo{'s' if len(paths) != 1 else ''}.",
                            "Give one --expression per photo, in the same order; one for all the photos; or none (all rest).")
    if len(expressions) == 1 and len(paths) > 1:
        expressions = expressions * len(paths)
    results = []
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4) as det:
        for i, p in enumerate(paths):
            results.append(analyze_photo(p, expression=expressions[i] if expressions else "rest", mirrored=mirrored,
                                         detector=det))
            if progress is not None:
                progress(i + 1, len(paths))
    seen: dict[bytes, int] = {}
    sizes = [Path(p).stat().st_size for p in paths]
    for i, p in enumerate(paths):  # the same picture twice (by content): a movement between them is nil by force
        if sizes.count(sizes[i]) < 2:
            continue  # no other file of its size: not the same picture, and no need to read it again
        key = hashlib.sha256(Path(p).read_bytes()).digest()
        if key in seen:
            results[i].warnings.append(f"this is the same picture as photo {seen[key] + 1}, so it shows no movement against "
                                       "it: give a separate photo for each expression")
        seen.setdefault(key, i)
    rest = next((r for r in results if r.expression == "rest"), None)
    if rest is None:  # e.g. one --expression given for several photos: nothing to measure movement from
        for r in results:
            if r.expression != "unknown":
                r.warnings.append("no rest photo was given, so this photo's movement could not be measured: give the "
                                  "relaxed photo with --expression rest (one --expression per photo, in order)")
    if rest is not None:
        results = [r if r is rest else on_rest_scale(rest, r) for r in results]
        rest = next(r for r in results if r.expression == "rest")
    moves: dict[int, dict] = {}
    if rest is not None:
        for i, r in enumerate(results):
            if r is not rest:
                moves[i] = dynamic_against(rest, r)
                # a brow raise shows its side in its movement from the rest photo
                if (call := affected_side_from_movement(moves[i], r.expression, rest.scale.mm_per_px)) is not None:
                    results[i] = replace(r, side=call)
    doc = {"schema_version": PHOTO_SCHEMA_VERSION, "photos": [r.to_dict() for r in results]}
    for i, dyn in moves.items():
        doc["photos"][i]["dynamic"] = dyn
    return PhotoSet(doc, results)


def on_rest_scale(rest: PhotoResult, r: PhotoResult) -> PhotoResult:
    """``r`` (another photo of the same person) measured in millimetres at the rest photo's scale,
    carried over by the similarity that maps ``r``'s stable points (nasal bridge, inner eye
    corners, upper forehead: bone and cartilage, which no expression moves) onto the rest photo's.

    Each photo's own scale may come from another source: an eye-closure photo hides the iris and
    falls back to the inter-canthal width, and the same camera then read a 25 % larger face than
    the rest photo's iris did; the brows of the static table and of the movement disagreed. One
    scale for the set keeps every millimetre of it comparable; the photo's own is named in ``why``."""
    rest_lms, r_lms = _same_fit(rest, r)
    sim = fit_similarity(r_lms[list(lm.STABLE), :2], rest_lms[list(lm.STABLE), :2])
    k = rest.scale.mm_per_px * sim.scale
    if not (np.isfinite(k) and k > 0 and r.points is not None):
        return r
    static = {**r.static, **static_measures(r.points, k)}
    ratio = k / r.scale.mm_per_px
    static["nasolabial_fold_visible_mm"] = {s: (v * ratio if v is not None and np.isfinite(v) else v)
                                            for s, v in r.static["nasolabial_fold_visible_mm"].items()}
    side = affected_side(static, expression=r.expression, yaw_deg=r.yaw_deg, pitch_deg=r.pitch_deg, roll_deg=r.roll_deg,
                         mm_per_px=k)
    scale = Scale(k, "rest photo", rest.scale.accurate,
                  f"the rest photo's scale ({rest.scale.source}: {rest.scale.why}), carried over by aligning the stable "
                  f"points (nasal bridge, inner eye corners, forehead); this photo's own would be {r.scale.mm_per_px:.3f} "
                  f"mm/px from the {r.scale.source}")
    warnings = [w for w in r.warnings if w != r.scale.why]  # the photo's own scale is no longer used
    return replace(r, scale=scale, static=static, side=side, warnings=warnings)


def dynamic_against(rest: PhotoResult, r: PhotoResult) -> dict:
    """``r``'s movement from the rest photo: its landmarks are mapped onto the rest photo by a
    similarity fitted on the stable points (bone and cartilage: nasal bridge, inner canthi, upper
    forehead), so a change of distance or tilt between the photos is not read as movement.

    Both photos' points come from the same fit (:func:`_same_fit`)."""
    rest_lms, r_lms = _same_fit(rest, r)
    sim = fit_similarity(r_lms[list(lm.STABLE), :2], rest_lms[list(lm.STABLE), :2])
    aligned = r_lms.copy()
    aligned[:, :2] = sim.apply(r_lms[:, :2])
    refined = _refine_from_rest(rest, rest_lms, r, sim, aligned)
    dyn = dynamic_measures(FacePoints.from_facemesh(rest_lms), FacePoints.from_facemesh(refined),
                           rest.scale.mm_per_px, expression=r.expression)
    # a turn between the photos brings one mouth corner nearer the camera: each degree moves the
    # left-right difference of the corners' movement by about 1 mm (as in a video), so beyond
    # the photo rule's sideways limit the corners' movements and their eFACE-style item are not given
    turn = max(abs(r.yaw_deg), abs(rest.yaw_deg), abs(r.yaw_deg - rest.yaw_deg))
    if turn > MAX_YAW_DEG:
        dyn["excursion_mm"] = {s: None for s in lm.SIDES}
        if r.expression in ("smile", "snarl", "pucker"):
            dyn["eface_style_item"] = None
        # name what is over the limit (a photo's own turn, or the turn between them), not a list
        # in which the limit sits beside a figure that passes
        over = [f"{what} is turned {deg:.0f} deg" for what, deg in (("the head in this photo", abs(r.yaw_deg)),
                                                                    ("the head in the rest photo", abs(rest.yaw_deg)),
                                                                    ("the head between the two photos", abs(r.yaw_deg - rest.yaw_deg)))
                if deg > MAX_YAW_DEG]
        dyn["not_judged"] = (f"{' and '.join(over)} (at most {MAX_YAW_DEG:g} deg): a turn changes each mouth corner's "
                             "movement differently (about 1 mm per degree), so the corners' movement is not given; take "
                             "both photos facing the camera")
    nod = max(abs(r.pitch_deg), abs(rest.pitch_deg))
    if nod > MAX_PITCH_DEG:
        # beyond it the landmark model is not trusted (as for one photo's side): no movement at all
        for key in ("excursion_mm", "brow_lift_mm", "eye_closure"):
            dyn[key] = {s: None for s in lm.SIDES}
        dyn["eface_style_item"] = None
        dyn["not_judged"] = (f"the head is tilted {nod:.0f} deg up or down in {'this photo' if abs(r.pitch_deg) >= abs(rest.pitch_deg) else 'the rest photo'} "
                             f"(at most {MAX_PITCH_DEG:g} deg for the face's points to be trusted): no movement is given; "
                             "take both photos with the camera at eye height")
    return dyn


def _same_fit(rest: PhotoResult, r: PhotoResult) -> tuple[np.ndarray, np.ndarray]:
    """The two photos' landmarks from one kind of fit: each half's own (where both photos have
    it) or else the whole face's for both. The two fits place points differently (the whole
    face's pulls a one-sided droop towards symmetry), and a movement between points of
    different fits is partly that difference: the same picture, fitted by halves as the rest
    photo and whole as the expression photo, read a brow "lift" of -0.6 mm and an eye
    "closure" of -7 %."""
    if (rest.whole_face_px is None) == (r.whole_face_px is None):
        return rest.landmarks_px, r.landmarks_px
    whole = [p.landmarks_px if p.whole_face_px is None else p.whole_face_px for p in (rest, r)]
    return whole[0], whole[1]


# The points whose movement a pair measures, re-found from the pixels as the video pipeline does.
_REFINED = tuple(lm.MOUTH_CORNER[s] for s in lm.SIDES) + tuple(lm.BROW_MID[s] for s in lm.SIDES)


def _refine_from_rest(rest: PhotoResult, rest_lms: np.ndarray, r: PhotoResult, sim, aligned: np.ndarray) -> np.ndarray:
    """The landmark model pulls a one-sided movement towards symmetry (a still corner "moves"
    1-1.4 mm when the other side smiles), so, as in a video, each measured point's patch in the
    rest photo is found again in the expression photo (warped onto the rest photo first), by
    Lucas-Kanade optical flow with a forward-backward check; a point not found keeps its landmark."""
    gray_rest = cv2.cvtColor(rest.photo.rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray_rest.shape
    warped = cv2.warpAffine(cv2.cvtColor(r.photo.rgb, cv2.COLOR_RGB2GRAY), sim.matrix, (w, h),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    px_per_mm = 1.0 / rest.scale.mm_per_px
    tracker = PatchTracker(window_px=int(round(6.0 * px_per_mm)), max_level=3,
                           max_from_guess_px=max(8.0, 4.0 * px_per_mm), margin_px=20.0 * px_per_mm)
    # the stable points and textured skin (forehead, nasal bridge) fix the residual head motion
    # that the landmark fit left (a fraction of a degree is most of a millimetre at the mouth)
    anchors = anchor_features(gray_rest, rest_lms[:, :2], min_distance_px=2.0 * px_per_mm)
    stable = rest_lms[list(lm.STABLE), :2]
    ref_pts = np.vstack([rest_lms[list(_REFINED), :2], stable, anchors])
    guess = np.vstack([aligned[list(_REFINED), :2], aligned[list(lm.STABLE), :2], anchors])
    tracker.set_reference(gray_rest, ref_pts)
    x0, y0, x1, y1 = tracker.roi
    found = tracker.track(warped[y0:y1, x0:x1], guess)
    n = len(_REFINED)
    keep = found.ok[n:]
    out = aligned.copy()
    if keep.sum() < 3:
        return out
    residual = fit_similarity(ref_pts[n:][keep], found.points_px[n:][keep])  # rest -> warped, what is left
    out[:, :2] = residual.invert(aligned[:, :2])  # every landmark, with the residual head motion removed
    points = residual.invert(found.points_px[:n])
    for i, idx in enumerate(_REFINED):
        if found.ok[i]:
            out[idx, :2] = points[i]
    return out
