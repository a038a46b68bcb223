"""Static facial-palsy measures from one photo: per side and as a difference, in millimetres.

Everything is measured in a frame set by the eyes' corners: x along the line joining the centres
of the two eye openings (each the midpoint of its inner and outer canthus; + towards the
person's left), y perpendicular to it (+ up), origin midway between them. The canthi are used
rather than the irises because an iris found on a closed lid tilts the line (Emotrics' errors on
closed-eye photos came from exactly that: ~6 degrees), while the canthi stay where they are.

The side that looks affected is the side whose mouth corner sits lower, when the two differ by
at least :data:`SIDE_MIN_MM` (2 mm: the difference people notice, Hohman 2014; a healthy face's
static difference is smaller) plus :data:`SIDE_MARGIN_PX` of the picture, and the head faces the
camera; for an eye-closure photo, the eye that closes less, by the same margin.

Facing the camera means turned sideways by at most :data:`MAX_YAW_DEG`: a turn brings one
mouth corner nearer the camera than the other and, beyond it, the cheek begins to hide the far
one. A nod (pitch) moves both corners alike: the line through the mouth corners and the line
through the eyes are both left-right lines of the face, and a camera maps parallel lines to
parallel lines (nearly so at any usual distance), so each corner's height measured from the eye line
stays as it is. Pitch is
therefore only limited where the landmark model itself is not trusted (:data:`MAX_PITCH_DEG`,
as the video pipeline's limit); a 10-degree limit on it had refused 28 of 91 palsy photos of the
Palda set that looked frontal (their side agreed with the hand landmarks in 27 of 27 with a
2 mm difference). Pure functions over named points, so the same code reads
FaceMesh landmarks and hand-placed iBUG-68 points (``benchmarks/palda.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from smilescope import landmarks as lm
from smilescope.geometry import calibration
from smilescope.geometry.calibration import INTERCANTHAL_MM, MIN_IRIS_PX, Scale, iris_diameters_px  # noqa: F401 - re-exported
from smilescope.landmarks import SIDES
from smilescope.measures.smile import WEAKER_SIDE_MARGIN_PX, weaker_side_min_diff_mm

SIDE_MIN_MM = 2.0  # a side is named from here (noticed in eyelids from 2 mm, Hohman 2014); "moderate" under 3 mm
SIDE_SURE_MM = 3.0  # >= 3 mm is noticed > 90 % of the time (Hohman 2014): "high" confidence
MAX_YAW_DEG = 10.0  # beyond this sideways turn, one corner is seen nearer and foreshortened: no side is named
MAX_PITCH_DEG = 25.0  # beyond this nod the landmark model is not trusted (PipelineConfig.max_pitch_deg)
# A face on its side in the picture (a phone photo saved without its orientation) is not a head
# tilt: people tilt the head by some degrees, a camera held sideways turns the picture by 90. The
# landmark model is trained on upright faces (a healthy face turned 90 degrees read a 7.7 mm
# corner difference, upright 2.3 mm); halfway between the two, the photo is taken as turned.
MAX_ROLL_DEG = 45.0
# Where the picture puts each corner is itself off by about a pixel: a difference of a couple of
# pixels can be the landmarks' and not the face's (a 320 px Yale photo at 1.1 mm/px named a side
# on 2.2 mm = 2 px). The video rule's tracking margin, and its function, are used as they are.
SIDE_MARGIN_PX = WEAKER_SIDE_MARGIN_PX
EXPRESSIONS = ("rest", "brow_raise", "eye_closure", "smile", "snarl", "pucker", "unknown")


@dataclass(frozen=True)
class FacePoints:
    """The points the photo measures use, in image pixels (x right, y down); sides the person's own."""

    eye_inner: dict[str, np.ndarray]
    eye_outer: dict[str, np.ndarray]
    upper_lid: dict[str, np.ndarray]
    lower_lid: dict[str, np.ndarray]
    brow_mid: dict[str, np.ndarray]
    mouth_corner: dict[str, np.ndarray]
    upper_lip: np.ndarray
    lower_lip: np.ndarray

    @classmethod
    def from_facemesh(cls, lms_px: np.ndarray) -> "FacePoints":
        p = np.asarray(lms_px, dtype=float)[:, :2]
        return cls(eye_inner={s: p[lm.EYE_INNER[s]] for s in SIDES}, eye_outer={s: p[lm.EYE_OUTER[s]] for s in SIDES},
                   upper_lid={s: p[lm.UPPER_LID[s]] for s in SIDES}, lower_lid={s: p[lm.LOWER_LID[s]] for s in SIDES},
                   brow_mid={s: p[lm.BROW_MID[s]] for s in SIDES}, mouth_corner={s: p[lm.MOUTH_CORNER[s]] for s in SIDES},
                   upper_lip=p[lm.UPPER_LIP_CENTRE], lower_lip=p[lm.LOWER_LIP_CENTRE])

    @classmethod
    def from_ibug68(cls, pts_px: np.ndarray) -> "FacePoints":
        """iBUG-68 (0-based): the person's right eye is 36-41 (image left), the left 42-47."""
        p = np.asarray(pts_px, dtype=float)[:, :2]
        return cls(eye_inner={"right": p[39], "left": p[42]}, eye_outer={"right": p[36], "left": p[45]},
                   upper_lid={"right": (p[37] + p[38]) / 2, "left": (p[43] + p[44]) / 2},
                   lower_lid={"right": (p[40] + p[41]) / 2, "left": (p[46] + p[47]) / 2},
                   brow_mid={"right": p[19], "left": p[24]}, mouth_corner={"right": p[48], "left": p[54]},
                   upper_lip=p[51], lower_lip=p[57])


def photo_scale(lms_px: np.ndarray, pts: FacePoints) -> Scale:
    """The photo's scale from its landmarks (:func:`smilescope.geometry.calibration.photo_scale`)."""
    return calibration.photo_scale(iris_diameters_px(np.asarray(lms_px, dtype=float)),
                                   {s: float(np.linalg.norm(pts.upper_lid[s] - pts.lower_lid[s])) for s in SIDES},
                                   float(np.linalg.norm(pts.eye_inner["left"] - pts.eye_inner["right"])))


def eye_frame(pts: FacePoints) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, x towards the person's left, up) of the eye-corner frame, image pixels."""
    centre = {s: (pts.eye_inner[s] + pts.eye_outer[s]) / 2 for s in SIDES}
    x = centre["left"] - centre["right"]
    x = x / np.linalg.norm(x)
    up = np.array([x[1], -x[0]])  # image y points down
    origin = (centre["left"] + centre["right"]) / 2
    return origin, x, up


def static_measures(pts: FacePoints, mm_per_px: float) -> dict:
    """The static measures (mm, degrees); keys carry their units, sides the person's own.

    ``mouth_corner_below_eyes_mm``: how far each corner sits below the eye line;
    ``mouth_corner_difference_mm``: right minus left (+: the right corner is lower);
    ``brow_above_eyes_mm``; ``palpebral_fissure_height_mm`` / ``_width_mm``;
    ``philtrum_from_midline_mm`` and ``mouth_centre_from_midline_mm`` (+ towards the left);
    ``smile_angle_deg``: each corner's elevation from the lower lip's centre, against the eye line.
    """
    origin, x, up = eye_frame(pts)
    k = float(mm_per_px)

    def face(p):
        v = np.asarray(p, dtype=float) - origin
        return float(v @ x) * k, float(v @ up) * k

    below = {s: -face(pts.mouth_corner[s])[1] for s in SIDES}
    brow = {s: face(pts.brow_mid[s])[1] - (face(pts.eye_inner[s])[1] + face(pts.eye_outer[s])[1]) / 2 for s in SIDES}
    height = {s: max(0.0, float((pts.upper_lid[s] - pts.lower_lid[s]) @ up) * k) for s in SIDES}
    width = {s: float(np.linalg.norm(pts.eye_outer[s] - pts.eye_inner[s])) * k for s in SIDES}
    lower_lip = face(pts.lower_lip)
    angle = {}
    for s in SIDES:
        cx, cy = face(pts.mouth_corner[s])
        dx = abs(cx - lower_lip[0])
        angle[s] = math.degrees(math.atan2(cy - lower_lip[1], dx)) if dx > 0 else float("nan")
    mouth_centre = (face(pts.mouth_corner["right"])[0] + face(pts.mouth_corner["left"])[0]) / 2
    return {
        "mouth_corner_below_eyes_mm": below,
        "mouth_corner_difference_mm": below["right"] - below["left"],
        "brow_above_eyes_mm": brow,
        "palpebral_fissure_height_mm": height,
        "palpebral_fissure_width_mm": width,
        "philtrum_from_midline_mm": face(pts.upper_lip)[0],
        "mouth_centre_from_midline_mm": mouth_centre,
        "smile_angle_deg": angle,
    }


@dataclass(frozen=True)
class SideCall:
    """Which side looks affected: ``left``, ``right``, ``none`` or ``unknown``, and why."""

    side: str
    confidence: str  # "high", "moderate", "none"
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


def affected_side(static: dict, *, expression: str = "rest", yaw_deg: float = 0.0, pitch_deg: float = 0.0,
                  roll_deg: float = 0.0, mm_per_px: float | None = None) -> SideCall:
    """The side that looks affected in one photo (see the module docstring). ``mm_per_px``: the
    photo's scale, for the pixel margin (none when not given, as for hand-placed points)."""
    if not all(np.isfinite(v) for v in (yaw_deg, pitch_deg, roll_deg)):
        return SideCall("unknown", "none", "the head's pose could not be measured, so no side is named")
    if abs(roll_deg) > MAX_ROLL_DEG:
        return SideCall("unknown", "none", f"the face lies {abs(roll_deg):.0f} deg on its side in the picture (at most "
                                           f"{MAX_ROLL_DEG:g} deg): turn the photo upright, or save it with its "
                                           "orientation, and try again")
    if abs(yaw_deg) > MAX_YAW_DEG:
        return SideCall("unknown", "none", f"the head is turned {abs(yaw_deg):.0f} deg to the side (at most "
                                           f"{MAX_YAW_DEG:g} deg for a side to be named): take the photo facing the camera")
    if abs(pitch_deg) > MAX_PITCH_DEG:
        return SideCall("unknown", "none", f"the head is tilted {abs(pitch_deg):.0f} deg {'up' if pitch_deg > 0 else 'down'} "
                                           f"(at most {MAX_PITCH_DEG:g} deg for the face's points to be trusted): take the "
                                           "photo with the camera at eye height")
    if expression == "eye_closure":
        h = static["palpebral_fissure_height_mm"]
        diff, what = h["right"] - h["left"], "eye stays open"
        worse = "right" if diff > 0 else "left"
    elif expression in ("rest", "smile", "unknown", "snarl"):
        diff, what = static["mouth_corner_difference_mm"], "mouth corner sits lower"
        worse = "right" if diff > 0 else "left"
    else:
        return SideCall("unknown", "none", f"a {expression.replace('_', ' ')} photo alone does not show a side; "
                                           "compare it with a rest photo of the same person")
    if not np.isfinite(diff):
        which = "eye openings" if expression == "eye_closure" else "mouth corners"
        return SideCall("unknown", "none", f"the {which} could not both be measured, so no side is named")
    a = abs(diff)
    need_mm = weaker_side_min_diff_mm(mm_per_px, min_diff_mm=SIDE_MIN_MM)
    margin = need_mm - SIDE_MIN_MM
    if a < need_mm:
        need = (f"{need_mm:.1f} mm ({SIDE_MIN_MM:g} mm plus {margin:.1f} mm, the {SIDE_MARGIN_PX:g} px of this "
                "picture the landmarks can put between the sides)" if margin >= 0.05 else f"{SIDE_MIN_MM:g} mm")
        return SideCall("none", "none", f"the two sides differ by {a:.1f} mm, under the {need} from which a side "
                                        "is named (Hohman 2014: a difference of the eyelids is noticed from 2 mm, of a "
                                        "smile > 90 % of the time from 3 mm)")
    conf = "high" if a >= SIDE_SURE_MM else "moderate"
    # Hohman 2014's figures: a smile's difference is noticed > 90 % of the time from 3 mm; an
    # eyelid's from 2 mm (the same 3 mm sets "high" for both, but is quoted for what it is)
    noticed = ("a smile's difference noticed > 90 % of the time" if expression != "eye_closure"
               else "well past the 2 mm from which an eyelid difference is noticed" if conf == "high"
               else "past the 2 mm from which an eyelid difference is noticed")
    return SideCall(worse, conf, f"the {worse} {what} by {a:.1f} mm ({'at least' if conf == 'high' else 'under'} "
                                 f"{SIDE_SURE_MM:g} mm, {noticed})")


def dynamic_measures(rest: FacePoints, expr: FacePoints, mm_per_px: float, *, expression: str) -> dict:
    """An expression photo against the rest photo of the same person, per side (mm).

    ``expr`` must already be aligned to the rest photo (its points mapped into the rest photo's
    pixels by a similarity fitted on points expressions hardly move). ``excursion_mm``: each
    mouth corner's movement from rest; ``brow_lift_mm``: each brow's rise above the eye line;
    ``eye_closure``: the share of each eye's rest opening that closed (1 = fully closed); and
    eFACE-style dynamic items for the movement the expression tests, the smaller side over the
    larger x 100 (0-100; 100 = even) — **not clinically validated**.
    """
    k = float(mm_per_px)
    a, b = static_measures(rest, k), static_measures(expr, k)
    excursion = {s: float(np.linalg.norm(expr.mouth_corner[s] - rest.mouth_corner[s])) * k for s in SIDES}
    brow = {s: b["brow_above_eyes_mm"][s] - a["brow_above_eyes_mm"][s] for s in SIDES}
    closure = {s: (1.0 - b["palpebral_fissure_height_mm"][s] / a["palpebral_fissure_height_mm"][s])
               if a["palpebral_fissure_height_mm"][s] > 0 else float("nan") for s in SIDES}
    moved = {"smile": excursion, "snarl": excursion, "pucker": excursion, "brow_raise": brow, "eye_closure": closure}.get(expression)
    # the movement in mm (an eye's closure: the share of its rest opening that closed, times it)
    moved_mm = ({s: closure[s] * a["palpebral_fissure_height_mm"][s] for s in SIDES} if expression == "eye_closure"
                else moved)
    item, why = None, ""
    if moved is not None and not all(np.isfinite(v) for v in moved.values()):
        # a side whose movement is unknown (an eye shut in the rest photo has no opening to
        # close) is not a side that did not move: no item, rather than 0, "the most uneven"
        why = ("the movement of the " + " and ".join(s for s in SIDES if not np.isfinite(moved[s])) + " side cannot be "
               "measured (for an eye closure: the eye is not open in the rest photo), so the sides are not compared")
    elif moved is not None:
        lo, hi = sorted(max(0.0, v) for v in moved.values())
        need = min_item_movement_mm(k)
        if not max(max(0.0, v) for v in moved_mm.values()) >= need:
            # a ratio of two movements lost in the two photos' alignment is noise: the same
            # picture given twice scored 57 from 1e-5 mm
            why = (f"neither side moved {need:.1f} mm or more (the two photos are aligned to about 2 px, "
                   f"{2 * k:.2f} mm here): no movement to compare the sides on")
        else:
            item = round(100.0 * lo / hi, 1) if hi > 0 else None
    out = {"excursion_mm": excursion, "brow_lift_mm": brow, "eye_closure": closure,
           "eface_style_item": item, "eface_style_label": "eFACE-style, not clinically validated"}
    if why:
        out["eface_style_not_given"] = why
    return out


# what each expression's eFACE-style item scores (the eFACE's dynamic items: Banks et al. 2015)
EFACE_ITEM_NAMES = {"smile": "smile (mouth corner movement)", "snarl": "snarl (upper lip and corner movement)",
                    "pucker": "pucker (mouth corner movement)", "brow_raise": "brow elevation",
                    "eye_closure": "gentle eye closure"}
#: The sources of the photo measures' rules, by title, for the report.
PHOTO_SOURCES = (
    "Hohman MH et al., \"Determining the threshold for asymmetry detection in facial expressions\", The Laryngoscope "
    "2014: a 3 mm smile difference is noticed over 90 % of the time, an eyelid difference from 2 mm",
    "Banks CA et al., \"Clinician-Graded Electronic Facial Paralysis Assessment: The eFACE\", Plastic and Reconstructive "
    "Surgery 2015: the items scored here in its style (not clinically validated)",
    "MediaPipe Iris (Google, 2020): the visible iris is about 11.7 mm across in adults, the scale of every millimetre",
    "Farkas LG, \"Anthropometry of the Head and Face\" (1994): the adult inter-canthal width, about 32 mm, the scale "
    "where the iris cannot be used",
)

MOVED_LESS_MIN_MM = 3.0  # a movement's side, as a video's smile names one: 3 mm and 20 % of the larger
MOVED_LESS_MIN_SHARE = 0.2


def affected_side_from_movement(dynamic: dict, expression: str, mm_per_px: float) -> SideCall | None:
    """The side that looks affected in a brow-raise photo, from its movement against the rest
    photo (:func:`dynamic_measures`): the brow that rose clearly less, by the rule a video names a
    weaker side with (at least 3 mm and 20 % of the larger, plus the picture's 2 px); None for
    the other expressions (their own photo shows a side, or none is named from them).

    A brow raise alone shows no side (brows sit at different heights in healthy faces), but with
    a rest photo its movement does: forehead movement is spared in a central (stroke-type) palsy
    and lost on the affected side in a peripheral (Bell's-type) one."""
    if expression != "brow_raise":
        return None
    lift = dynamic.get("brow_lift_mm") or {}
    if not all(isinstance(lift.get(s), (int, float)) and np.isfinite(lift[s]) for s in SIDES):
        return SideCall("unknown", "none", "the brows' movement from the rest photo could not both be measured, so no "
                                           "side is named")
    hi_side = max(SIDES, key=lambda s: lift[s])
    lo_side = "left" if hi_side == "right" else "right"
    hi, lo = lift[hi_side], lift[lo_side]
    moved = min_item_movement_mm(mm_per_px)
    if hi < moved:
        return SideCall("none", "none", f"neither brow rose {moved:.1f} mm or more from the rest photo (right "
                                        f"{lift['right']:.1f}, left {lift['left']:.1f} mm): no movement to compare the sides on")
    need = max(weaker_side_min_diff_mm(mm_per_px, min_diff_mm=MOVED_LESS_MIN_MM), MOVED_LESS_MIN_SHARE * hi)
    if hi - lo < need:
        return SideCall("none", "none", f"the brows rose {lift['right']:.1f} mm (right) and {lift['left']:.1f} mm (left) "
                                        f"from the rest photo: {hi - lo:.1f} mm apart, under the {need:.1f} mm from which "
                                        "a side is named (3 mm and 20 % of the larger, plus 2 px of this picture)")
    return SideCall(lo_side, "moderate", f"the {lo_side} brow rose {lo:.1f} mm from the rest photo, the {hi_side} "
                                         f"{hi:.1f} mm: {hi - lo:.1f} mm less (at least {need:.1f} mm: 3 mm and 20 % "
                                         "of the larger, plus 2 px of this picture)")


def min_item_movement_mm(mm_per_px: float) -> float:
    """The smallest movement (mm) of the larger side for which an eFACE-style item is given:
    three times the two photos' alignment precision (about 2 px, the margin the side rule
    allows for where a point lands), and at least 1 mm (a movement a person sees)."""
    return max(1.0, 3 * 2 * float(mm_per_px))
