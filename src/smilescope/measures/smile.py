"""Smile measures: episodes, excursion of each mouth corner, symmetry, eye involvement, fatigue.

Everything here is a pure function of a :class:`~smilescope.signals.SignalTable` (mouth
corners already refined from the pixels and aligned to the head, in mm) and returns small
dataclasses; :func:`analyze_smiles` gives the :class:`SmileResult` whose ``to_dict`` is the
``smile`` block of analysis.json.

Sources of the thresholds (all are keyword parameters):

* ``weaker_side``: people notice a smile asymmetry of 3 mm or more more than 90 % of the time
  (Hohman et al. 2014); healthy smiles differ between sides by up to about 2-3 mm (Coulson
  et al. 2002: 0.5-2.3 mm; limits of agreement -3.9 to +2.7 mm). So a side is called weaker
  only when it moves at least 3 mm *and* 20 % less than the other.
* Tracking margin: those 3 mm are a difference between the faces; the measured difference also
  carries where the tracking put each corner, an error in pixels of the picture. The same real
  videos given as other cameras would give them (``benchmarks/real_labels.py --capture``:
  re-encoded, smaller, noisier, with frames dropped, tilted, mirrored, compressed) moved a
  smile's left-right difference by at most 2.9 px between the original and the copy in 23 of
  the 26 pairs that kept the same relaxed face (median 1.5 px), so one copy is off by about
  2.9 / sqrt(2) = 2 px. A side is therefore called weaker only when the difference reaches 3 mm
  plus ``WEAKER_SIDE_MARGIN_PX`` (2 px) in mm: 1.0-1.3 mm more for a face filling a phone's
  picture, 2 mm for a small webcam face (there a healthy smile read 3.9 mm apart, against
  1.9 mm in the original video). The other three pairs moved 5.6 px (a mirrored copy) and
  9.7-11.4 px (CRF 35 with the head turned), nearly all sideways: a corner lies at the end of
  the horizontal line where the lips meet, and a patch on a line is held across it, not along
  it, so the corners' lateral movement is the less certain part.
* Episode: a spontaneous smile rises in about 0.5 s; an episode must last at least 0.4 s and
  move a corner at least 1.5 mm (about the 1.5 mm minimal detectable change of a posed
  smile), well above the noise floor.
* Head turn: aligning the face in the picture (a 2-D similarity on the nose bridge and
  forehead) cannot undo a turn of the head. The mouth corners lie some 25-30 mm behind those
  points, so a turn of the head by an angle a moves both corners sideways in the picture by
  about 30 mm x sin(a): away from the midline on one side and towards it on the other. The
  left-right difference therefore changes by about 2 x 30 mm x sin(1 deg) = 1 mm per degree
  (1.1 mm per degree measured on OpenDBM's subj02 video, ``benchmarks/opendbm.py``; 0.9-1.3 on the
  LivePortrait videos d9, d10 and d18, over their rest frames; the sign differed between
  videos). So a smile is compared with the relaxed face seen at the same head pose: the
  relaxed face is kept for every pose the person rested at (:attr:`Baseline.poses`, a pose
  being a yaw more than ``MAX_HEAD_TURN_DEG`` from the others; a head still turning is not at
  rest), and each frame is measured from the nearest. A smile more than ``MAX_HEAD_TURN_DEG``
  (2 deg, i.e. about 2 mm, two thirds of the 3 mm that makes a side weaker) from every relaxed
  pose has its excursions measured and shown but not compared, and there the geometry alone
  does not call a smile (only the classifier does). Correcting the parallax from FaceMesh's
  3-D landmarks instead was tried and not kept: on the real videos it made the left-right
  difference over rest frames steadier on two (OpenDBM subj02: SD 1.6 -> 0.7 mm; LivePortrait
  d3) and less steady on four (LivePortrait s20: 3.0 -> 3.9 mm).
* Sides of a turned smile: a turn about the vertical axis moves points sideways in the
  picture, not up or down, and a nod moves both corners alike (they lie at about the same
  depth), so the left-right difference of how far each corner *rises* survives a turn that
  spoils the excursion's. What is left is perspective: the corner turned towards the camera
  comes nearer and its drop below the nose bridge (about 70 mm, where the alignment holds the
  face) looks larger, the other smaller: a difference of about 2 x 70 mm x 25 mm x sin(a) / D
  for a corner 25 mm from the midline and a camera D away, 2 mm at 10 deg with a phone held
  close (D = 300 mm), the same 2 mm the excursion is allowed at ``MAX_HEAD_TURN_DEG``. So a
  smile between ``MAX_HEAD_TURN_DEG`` and ``MAX_LIFT_TURN_DEG`` (10 deg) from every relaxed
  pose has its sides compared on the corners' lift, with the same 3 mm and 20 % rule; beyond,
  not at all (:attr:`Episode.head_turned`). On the real videos, over closed-mouth frames at
  5-15 deg of yaw (LivePortrait s20), the lateral difference moved 0.9 mm per degree and the
  vertical one 0.1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.measures.speech import lip_rhythm
from smilescope.signals import SignalTable
from smilescope.timebase import frame_interval_s, frame_rate_hz, mask_runs, seconds_to_frames, span_mask

MAX_HEAD_TURN_DEG = 2.0  # head yaw change from rest beyond which a smile's excursions are not compared
MAX_LIFT_TURN_DEG = 10.0  # ... and beyond which its corners' lifts are not compared either (module notes)
MAX_REST_POSES = 8  # relaxed faces kept at different head poses (a smile is measured from the nearest)
WEAKER_SIDE_MARGIN_PX = 2.0  # what tracking can put into the left-right difference (px; module notes)
# The largest full-smile movement of a mouth corner reported in healthy adults is about 22 mm
# (7-22 mm, Paletz / Manktelow); a third beyond that is not a smile but a tracking failure or
# a baseline that was not at rest, and is not reported as a measurement.
MAX_PLAUSIBLE_EXCURSION_MM = 30.0

# --- per-frame excursion ----------------------------------------------------------------


@dataclass(frozen=True)
class Excursion:
    """Mouth-corner movement from the person's rest position, per frame.

    Attributes
    ----------
    t_s : np.ndarray [shape=(n,)]
    lateral_mm, vertical_mm, length_mm : dict of side to np.ndarray [shape=(n,)]
        Lateral (+ away from the midline), vertical (+ up) and vector length, NaN where the
        frame was not measured.
    rest_mask : np.ndarray [shape=(n,)] of bool
        Frames taken as the rest (neutral) baseline.
    baseline : Baseline
        How the rest was found (or why not).
    turn_deg : np.ndarray [shape=(n,)]
        How far the head is turned (yaw, degrees) from the relaxed pose each frame is measured
        from (:attr:`Baseline.poses`); NaN where the head's yaw is not known.
    """

    t_s: np.ndarray
    lateral_mm: dict
    vertical_mm: dict
    length_mm: dict
    rest_mask: np.ndarray
    baseline: "Baseline"
    turn_deg: np.ndarray | None = None


def corner_excursion(xy_mm: np.ndarray, base_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One mouth corner's movement from its rest position: lateral, vertical and length (mm).

    Parameters
    ----------
    xy_mm : np.ndarray [shape=(n, 2)] or [shape=(2,)]
        The corner's (lateral, up) displacement per frame, as in signals.csv.
    base_mm : np.ndarray [shape=(2,)] or [shape=(2, n)]
        Its rest position (e.g. the median over relaxed frames), or one per frame.
    """
    xy = np.asarray(xy_mm, dtype=float)
    base = np.asarray(base_mm, dtype=float)
    lat = xy[..., 0] - base[0]
    ver = xy[..., 1] - base[1]
    return lat, ver, np.hypot(lat, ver)


@dataclass(frozen=True)
class Baseline:
    """The person's relaxed face, found in the recording (not assumed at its start).

    Attributes
    ----------
    found : bool
        False when no stretch of the recording shows a relaxed face; ``reason`` says why.
    rest_mask : np.ndarray [shape=(n,)] of bool
        The frames taken as relaxed.
    position_mm : dict of side to np.ndarray [shape=(2,)]
        Each mouth corner's rest position (lateral, up), as in the signal columns.
    yaw_deg, pitch_deg : float
        Head pose at rest (NaN when the table has no head angles).
    rest_s : float
        Time covered by the relaxed frames.
    reason : str
        Why no relaxed face was found ("" when found).
    poses : tuple of RestPose
        The relaxed face at each head pose where it was seen, the first one (``position_mm``,
        ``yaw_deg``) first. A smile is measured from the relaxed face seen at the nearest pose.
    """

    found: bool
    rest_mask: np.ndarray
    position_mm: dict
    yaw_deg: float = float("nan")
    pitch_deg: float = float("nan")
    rest_s: float = 0.0
    reason: str = ""
    poses: tuple["RestPose", ...] = ()


@dataclass(frozen=True)
class RestPose:
    """The relaxed face at one head pose: where each mouth corner rests (lateral, up; mm, as in
    the signal columns), the head's yaw there (degrees) and the frames it was seen in."""

    yaw_deg: float
    position_mm: dict
    mask: np.ndarray


# What a relaxed face is (each a keyword of find_baseline):
REST_MAX_LIP_GAP_MM = 10.0  # mouth not opened: speech vowels, surprise, yawns and laughs part the lips 10-30 mm
REST_MAX_ANGLE_DEG = 15.0  # facing the camera: the pipeline measures up to 30 deg, but parallax grows with the angle
REST_EYES_OPEN = 0.6  # both eyes at least 60 % of their usual opening: no blink, wink or squint
REST_MAX_SMILE_SCORE = 0.7  # the classifier does not read a smile with confidence (0.5-0.7: a neutral face can read so)
REST_STILL_S = 0.3  # the face holds still over this window (an expression changing is not rest) ...
REST_STILL_MM = 1.5  # ... moving less than the smallest smile counted (max - min within the window)
# the face rests this long at a stretch at least once; with the still window around each frame
# that is half a second without movement (less is a pause within movement)
REST_MIN_S = 0.2


def _odds_times_e(p: float) -> float:
    """The probability whose odds are e times those of ``p`` (kept off 0 and 1): how much more
    a smile must read than rest, and how much more than usual rest may read."""
    p = float(np.clip(p, 1e-6, 1 - 1e-6))
    return float(1 / (1 + np.exp(-(np.log(p / (1 - p)) + 1.0))))


def _still(table: SignalTable, cols: tuple[str, ...], *, window_s: float, tol_mm: float) -> np.ndarray:
    """Frames where each of ``cols`` varies by at most ``tol_mm`` (max - min) over ``window_s`` around them."""
    ok = np.ones(len(table.t_s), bool)
    for c in cols:
        ok &= _holds(table.columns[c], table.t_s, window_s=window_s, tol=tol_mm)
    return ok


def without_tremor(table: SignalTable, tremor_hz: float) -> SignalTable:
    """The table with a tremor of the mouth corners at ``tremor_hz`` taken out of their position.

    A rest tremor of the lips (Parkinson's: 4-6 Hz, often 1-2 mm) oscillates about where the
    corners rest. Left in, it breaks every stretch of still face the relaxed face is found from
    (a 1 mm tremor at 5 Hz left a rendered face with no relaxed face at all) and adds its own
    amplitude to each smile's peak. The smile is the slow movement: each corner's position is
    low-passed at two-thirds of the tremor's frequency (:func:`_slow_part`, which keeps under
    4 % of the tremor and over 90 % of a movement at half its frequency). The tremor itself is
    measured by :mod:`smilescope.measures.shake` from the table as it was.
    """
    cols = dict(table.columns)
    for s in SIDES:
        for c in "xy":
            name = f"mouth_corner_{s}_{c}_mm"
            cols[name] = _slow_part(cols[name], table.t_s, table.valid, cutoff_hz=tremor_hz / 1.5)
    return SignalTable(table.t_s, table.valid, cols)


def _slow_part(v: np.ndarray, t: np.ndarray, valid: np.ndarray, *, cutoff_hz: float) -> np.ndarray:
    """``v`` without what oscillates faster than ``cutoff_hz``: a 4th-order Butterworth
    low-pass run forwards and backwards (no delay; half power at the cutoff), over each stretch
    of measured frames long enough for it. Shorter stretches, and a frame rate that cannot show
    the cutoff, are left as they are."""
    v = np.asarray(v, dtype=float)
    seen = np.isfinite(v) & np.asarray(valid, dtype=bool)
    if seen.sum() < 2:
        return v
    fs = frame_rate_hz(t, seen)
    if not (np.isfinite(fs) and fs > 2.2 * cutoff_hz):
        return v
    sos = scipy.signal.butter(4, cutoff_hz, fs=fs, output="sos")
    out = v.copy()
    for a, b in mask_runs(seen):
        if b - a + 1 > 3 * (2 * len(sos) + 1):  # longer than sosfiltfilt's padding
            out[a:b + 1] = scipy.signal.sosfiltfilt(sos, v[a:b + 1])
    return out


def _holds(v: np.ndarray, t: np.ndarray, *, window_s: float, tol: float) -> np.ndarray:
    """Frames where ``v`` varies by at most ``tol`` (max - min) over ``window_s`` around them."""
    size = seconds_to_frames(window_s, t) | 1
    # frames not measured are left out of the window (they neither make nor break stillness)
    hi = scipy.ndimage.maximum_filter1d(np.where(np.isfinite(v), v, -np.inf), size, mode="nearest")
    lo = scipy.ndimage.minimum_filter1d(np.where(np.isfinite(v), v, np.inf), size, mode="nearest")
    return (hi - lo) <= tol


def find_baseline(
    table: SignalTable,
    *,
    noise_floor_mm: float = 0.0,
    max_lip_gap_mm: float = REST_MAX_LIP_GAP_MM,
    max_angle_deg: float = REST_MAX_ANGLE_DEG,
    eyes_open: float = REST_EYES_OPEN,
    max_smile_score: float = REST_MAX_SMILE_SCORE,
    still_s: float = REST_STILL_S,
    still_mm: float = REST_STILL_MM,
    min_rest_s: float = REST_MIN_S,
    max_turn_deg: float = MAX_HEAD_TURN_DEG,
) -> Baseline:
    """The relaxed face: frames anywhere in the recording with the mouth not opened, both eyes
    open, the head facing the camera, the face holding still and the classifier reading no
    smile.

    The first stretch of such frames lasting ``min_rest_s`` fixes the rest position; every
    such frame with both corners within ``max(1 mm, 2 x noise floor)`` of it joins the
    baseline, so the person relaxing between smiles adds rest from the whole recording, while
    a faint expression held for long (the hold of an exercise) is not taken for rest. Columns
    the table lacks (older tables: no lip gap, no smile score) are not used.
    """
    t, valid = table.t_s, table.valid
    n = len(t)
    xy = {s: np.stack([table.columns[f"mouth_corner_{s}_x_mm"], table.columns[f"mouth_corner_{s}_y_mm"]], axis=1)
          for s in SIDES}
    cand = valid & np.isfinite(xy["right"]).all(1) & np.isfinite(xy["left"]).all(1)
    none = {s: np.full(2, np.nan) for s in SIDES}
    if not cand.any():
        return Baseline(False, np.zeros(n, bool), none, reason="no frame with both mouth corners measured")
    cols = table.columns
    if "lip_gap_mm" in cols:
        cand &= np.nan_to_num(cols["lip_gap_mm"], nan=np.inf) <= max_lip_gap_mm
    eyes = np.fmin(cols["palpebral_right_height_mm"], cols["palpebral_left_height_mm"])
    usual = np.nanpercentile(eyes[valid], 90) if np.isfinite(eyes[valid]).any() else np.nan
    # the conditions a frame fails in the order they are applied, kept to say which one left no
    # relaxed face when the mouth did hold still somewhere (below)
    also = {"eyes": np.ones(n, bool), "pose": np.ones(n, bool), "score": np.ones(n, bool)}
    if np.isfinite(usual):
        also["eyes"] = np.nan_to_num(eyes, nan=0.0) >= eyes_open * usual
    for name in ("head_yaw_deg", "head_pitch_deg"):
        if name in cols:
            also["pose"] &= np.abs(np.nan_to_num(cols[name], nan=np.inf)) <= max_angle_deg
    mouth_ok = cand.copy()
    cand &= also["eyes"] & also["pose"]
    if not cand.any():
        return Baseline(False, np.zeros(n, bool), none,
                        reason="the face was never relaxed and facing the camera with the eyes open and the mouth closed")
    if "smile_score" in cols:
        score = scipy.ndimage.median_filter(np.nan_to_num(cols["smile_score"], nan=1.0),
                                            size=seconds_to_frames(still_s, t) | 1, mode="nearest")
        # Above the classifier's decision boundary, up to max_smile_score, only for a face it
        # reads so as a rule (takeo's neutral photo: 0.55): the reading must be within e times
        # the odds of the recording's typical (median) reading, as a smile must read e times
        # the odds of rest. On a face usually read lower, 0.5-0.7 is a smile, and a "rest"
        # taken there would measure the next smiles from a smile.
        limit = float(np.clip(_odds_times_e(np.nanmedian(score[valid])), MIN_SMILE_SCORE, max_smile_score))
        also["score"] = score < limit
        cand &= also["score"]
        if not cand.any():
            return Baseline(False, np.zeros(n, bool), none, reason="the face shows a smile throughout")
    def unsteady() -> str:
        """The picture too unsteady to show a still mouth, as the reason where it is the reason.

        Over a window of about ten frames, noise alone spans about three times its frame-to-frame
        level: with that at the stillness limit, a face however still passes only by chance. But
        talking raises the measured frame-to-frame "noise" too (the lips move between frames), so
        where the person talks, talking is the reason given (as the tremor's reasons put it first).
        """
        if 3 * noise_floor_mm < still_mm or lip_rhythm(table).detected:
            return ""
        return (f"the mouth never held still within {still_mm:g} mm for {still_s:.1f} s at a stretch, and the picture is too "
                f"unsteady to show it (frame-to-frame noise {noise_floor_mm:.2f} mm: a face too small or too far, poor light, "
                "or much movement)")

    still = [f"mouth_corner_{s}_{c}_mm" for s in SIDES for c in "xy"] + (["lip_gap_mm"] if "lip_gap_mm" in cols else [])
    held = _still(table, tuple(still), window_s=still_s, tol_mm=still_mm)
    cand &= held
    if not cand.any():
        if why := unsteady():  # first: in such a picture a mouth passes as still only by chance
            return Baseline(False, np.zeros(n, bool), none, reason=why)
        # the mouth closed and still somewhere, but never with the eyes open, facing the camera or
        # reading no smile: that condition is the reason (it, not talking, is what the user can change)
        but = {"eyes": f"the eyes were narrowed or closed (under {eyes_open:.0%} of their usual opening) whenever the "
                       "mouth was closed and still",
               "pose": f"the head was turned or tilted (over {max_angle_deg:g} deg) whenever the mouth was closed and still",
               "score": "the face read as smiling whenever the mouth was closed and still"}
        for name, why in but.items():
            if (mouth_ok & held & np.all([m for k, m in also.items() if k != name], axis=0)).any():
                return Baseline(False, np.zeros(n, bool), none, reason=why)
        return Baseline(False, np.zeros(n, bool), none,
                        reason=f"the mouth never held still for {still_s:.1f} s (talking, or the expression changing throughout)")
    yaw = _smooth_yaw(table)
    if yaw is not None:
        # the head holds still too: a slow turn keeps each corner within still_mm over the window
        # but carries the face through poses whose parallax differs (MAX_HEAD_TURN_DEG's note)
        cand &= _holds(yaw, t, window_s=still_s, tol=max_turn_deg / 2)
    if not cand.any():
        return Baseline(False, np.zeros(n, bool), none, reason="the head was turning whenever the mouth was still")
    dt = frame_interval_s(t, default_s=0.0)
    stretches = [(a, b) for a, b in _runs(cand, t, merge_gap_s=0.0, min_duration_s=0.0) if t[b] - t[a] + dt >= min_rest_s]
    if not stretches:
        return Baseline(False, np.zeros(n, bool), none, rest_s=_duration(t, np.flatnonzero(cand)),
                        reason=unsteady() or f"the face was never relaxed and still for {min_rest_s:.1f} s at a stretch")
    pts = np.hstack([xy["right"], xy["left"]])
    radius = max(1.0, 2 * noise_floor_mm)
    yaw_known = yaw if yaw is not None else np.full(n, np.nan)

    def pose_from(members: np.ndarray) -> RestPose:
        # the frames at this pose whose corners sit within radius of where they first rested:
        # the larger of the two corners' distances from that position
        centre = np.median(pts[members], axis=0)
        dist = np.maximum(np.linalg.norm(pts[:, :2] - centre[:2], axis=1), np.linalg.norm(pts[:, 2:] - centre[2:], axis=1))
        y = float(np.nanmedian(yaw_known[members])) if np.isfinite(yaw_known[members]).any() else float("nan")
        same = np.abs(yaw_known - y) <= max_turn_deg if np.isfinite(y) else np.ones(n, bool)
        mask = cand & (dist <= radius) & (same | ~np.isfinite(yaw_known))
        return RestPose(y, {s: np.median(xy[s][mask], axis=0) for s in SIDES}, mask)

    a, b = stretches[0]
    poses = [pose_from(np.arange(a, b + 1))]
    # the relaxed face at other head poses, each first seen resting for min_rest_s at a yaw more
    # than max_turn_deg from every pose found before (a stretch at a pose already found whose
    # corners sit elsewhere is a faint expression held, not rest)
    while yaw is not None and len(poses) < MAX_REST_POSES:
        taken = np.any([p.mask for p in poses], axis=0)
        known = np.array([p.yaw_deg for p in poses])
        new = None
        for a, b in _runs(cand & ~taken, t, merge_gap_s=0.0, min_duration_s=0.0):
            idx = np.arange(a, b + 1)
            if t[b] - t[a] + dt < min_rest_s or not np.isfinite(yaw[idx]).any():
                continue
            if np.all(np.abs(np.nanmedian(yaw[idx]) - known) > max_turn_deg):
                new = idx
                break
        if new is None:
            break
        poses.append(pose_from(new))
    rest = np.any([p.mask for p in poses], axis=0)
    first = poses[0].mask
    rest_s = _duration(t, np.flatnonzero(rest))
    pitch = cols.get("head_pitch_deg")
    pitch_deg = float(np.nanmedian(pitch[first])) if pitch is not None and np.isfinite(pitch[first]).any() else float("nan")
    yaw_deg = (float(np.nanmedian(cols["head_yaw_deg"][first]))
               if "head_yaw_deg" in cols and np.isfinite(cols["head_yaw_deg"][first]).any() else float("nan"))
    return Baseline(True, rest, poses[0].position_mm, yaw_deg=yaw_deg, pitch_deg=pitch_deg, rest_s=rest_s,
                    poses=tuple(poses))


def _smooth_yaw(table: SignalTable, *, window_s: float = 0.1) -> np.ndarray | None:
    """The head's yaw (degrees) with the landmark model's frame-to-frame jitter taken out (a
    running median over ``window_s``); None when the table has no yaw."""
    yaw = table.columns.get("head_yaw_deg")
    if yaw is None:
        return None
    ok = np.isfinite(yaw)
    out = np.full(len(yaw), np.nan)
    if ok.any():
        out[ok] = scipy.ndimage.median_filter(yaw[ok], size=seconds_to_frames(window_s, table.t_s) | 1, mode="nearest")
    return out


def pose_index(table: SignalTable, baseline: Baseline) -> tuple[np.ndarray, np.ndarray]:
    """For each frame, which relaxed pose (:attr:`Baseline.poses`) it is measured from (the one
    nearest in yaw; the first where the yaw is not known) and how far the head is turned from it
    (degrees, NaN where not known)."""
    n = len(table.t_s)
    yaw = _smooth_yaw(table)
    if not baseline.poses or yaw is None:
        return np.zeros(n, int), np.full(n, np.nan)
    anchors = np.array([p.yaw_deg for p in baseline.poses])
    diff = np.abs(yaw[:, None] - anchors[None, :])
    known = np.isfinite(diff).any(axis=1)
    idx = np.where(known, np.argmin(np.where(np.isfinite(diff), diff, np.inf), axis=1), 0)
    turn = np.where(known, diff[np.arange(n), idx], np.nan)
    return idx, turn


def excursion(table: SignalTable, baseline: Baseline | None = None, *, noise_floor_mm: float = 0.0) -> Excursion:
    """Mouth-corner excursion relative to the person's relaxed face (:func:`find_baseline`).

    All NaN when the recording has no relaxed face: a movement from an expression is not an
    excursion.
    """
    base = baseline if baseline is not None else find_baseline(table, noise_floor_mm=noise_floor_mm)
    t, valid = table.t_s, table.valid
    idx, turn = pose_index(table, base)
    lat, ver, length = {}, {}, {}
    for s in SIDES:
        xy = np.stack([table.columns[f"mouth_corner_{s}_x_mm"], table.columns[f"mouth_corner_{s}_y_mm"]], axis=1)
        # each frame against the relaxed face at the nearest head pose
        rest = (np.array([p.position_mm[s] for p in base.poses])[idx] if base.poses
                else np.broadcast_to(base.position_mm[s], xy.shape))
        lat[s], ver[s], length[s] = corner_excursion(xy, rest.T)
        for a in (lat[s], ver[s], length[s]):
            a[~valid] = np.nan
    return Excursion(t, lat, ver, length, base.rest_mask, base, turn)


# --- episodes -----------------------------------------------------------------------------


def smile_activation(exc: Excursion, side: str, *, angle_deg: float = 30.0) -> np.ndarray:
    """How far a corner has moved along the smile direction (mm, signed: + out and up).

    The zygomaticus major pulls the commissure outwards and up, about 30-40 degrees above the
    horizontal; the projection of the movement on that direction is large for a smile and zero
    or negative for a pucker, a pout or a cheek puff (corners pulled inwards or down).
    """
    a = np.radians(angle_deg)
    return exc.lateral_mm[side] * np.cos(a) + exc.vertical_mm[side] * np.sin(a)


@dataclass(frozen=True)
class SideMeasure:
    """One side of one smile at its apex plateau (medians over the frames >= 90 % of the peak).

    Numbers are NaN when not measurable, and ``None`` when read back from analysis.json.
    """

    excursion_mm: float | None
    lateral_mm: float | None
    vertical_mm: float | None
    angle_deg: float | None  # direction of the corner's movement above the horizontal
    cheek_raise_mm: float | None
    palpebral_narrowing_pct: float | None


@dataclass(frozen=True)
class Episode:
    """One smile: times in seconds, sides anatomical."""

    start_s: float | None
    apex_s: float | None
    end_s: float | None
    hold_s: float | None
    right: SideMeasure
    left: SideMeasure
    asymmetry_pct: float | None
    weaker_side: str | None  # left / right / none; None: the sides were not compared (``not_judged``, a head turned)
    commissure_height_diff_mm: float | None  # left corner height minus right, at the apex (+: left higher)
    upper_lip_elevation_mm: float | None
    hold_steadiness_mm: float | None  # SD of the stronger side's excursion during the hold
    dental_show: float | None = float("nan")  # share of the mouth opening showing teeth at the apex (0-1)
    head_turn_deg: float | None = float("nan")  # |head yaw at the apex - at the nearest relaxed pose|; see MAX_HEAD_TURN_DEG
    not_judged: str = ""  # why this smile's movement is not given ("" when it is)

    @property
    def head_turned(self) -> bool:
        """The head turned too much during this smile for its sides to be compared."""
        return self.sides_compared_on == ""

    @property
    def sides_compared_on(self) -> str:
        """What the weaker side is judged on: ``"excursion"`` (the head within
        ``MAX_HEAD_TURN_DEG`` of a relaxed pose, or its yaw not known), ``"lift"`` (the
        corners' rise alone, up to ``MAX_LIFT_TURN_DEG``: module notes), ``""`` (turned further:
        not compared)."""
        return compared_on(self.head_turn_deg)

    def excursion_mm(self) -> dict:
        return {"left": self.left.excursion_mm, "right": self.right.excursion_mm}


def compared_on(head_turn_deg: float | None) -> str:
    """What a smile's sides can be compared on with the head turned ``head_turn_deg`` from the
    relaxed pose it is measured from (:attr:`Episode.sides_compared_on`)."""
    if head_turn_deg is None or not head_turn_deg > MAX_HEAD_TURN_DEG:  # NaN: yaw not known
        return "excursion"
    return "lift" if head_turn_deg <= MAX_LIFT_TURN_DEG else ""


def lift_symmetry(left_mm: float, right_mm: float, **rule) -> tuple[float, str | None]:
    """:func:`symmetry` of the corners' lift (mm up; a corner that drops has not lifted)."""
    if not (np.isfinite(left_mm) and np.isfinite(right_mm)):
        return float("nan"), None
    return symmetry(max(left_mm, 0.0), max(right_mm, 0.0), **rule)


def symmetry(left_mm: float, right_mm: float, *, min_diff_mm: float = 3.0,
             min_diff_pct: float = 20.0) -> tuple[float, str | None]:
    """``asymmetry_pct = |L - R| / max(L, R) * 100`` and the weaker side.

    ``weaker_side`` is ``"left"``/``"right"`` when the difference is at least ``min_diff_mm``
    (3 mm: noticed by most observers, Hohman 2014) and ``min_diff_pct`` per cent (20 %), else
    ``"none"`` (healthy smiles differ by up to 2-3 mm, Coulson 2002); None (and NaN) when a
    side's movement is not known: nothing can be said of the sides.
    """
    if not (np.isfinite(left_mm) and np.isfinite(right_mm)):
        return float("nan"), None
    hi = max(left_mm, right_mm)
    if hi <= 0:
        return 0.0, "none"
    diff = abs(left_mm - right_mm)
    pct = diff / hi * 100.0
    if diff >= min_diff_mm and pct >= min_diff_pct:
        return float(pct), "left" if left_mm < right_mm else "right"
    return float(pct), "none"


MIN_SMILE_SCORE = 0.5  # the single-frame classifier reads a smile
MIN_SMILE_ANGLE_DEG = 15.0  # the zygomaticus pulls 30-40 deg above horizontal; the risorius (a grimace) about 0
MAX_LIP_PARTING_MM = 5.0  # lips parting this much beyond rest: a jaw or lip movement (speech, surprise)


def _runs(mask: np.ndarray, t: np.ndarray, *, merge_gap_s: float, min_duration_s: float) -> list[tuple[int, int]]:
    """Stretches of ``mask`` (first, last frame), gaps up to ``merge_gap_s`` bridged, at least ``min_duration_s`` long."""
    runs: list[list[int]] = []
    for a, b in mask_runs(mask):
        if runs and t[a] - t[runs[-1][1]] <= merge_gap_s:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs if t[b] - t[a] >= min_duration_s]


def smile_evidence(
    table: SignalTable,
    exc: Excursion,
    *,
    min_peak_mm: float = 1.5,
    noise_floor_mm: float = 0.0,
    min_score: float = MIN_SMILE_SCORE,
    score_window_s: float = 0.3,
    smile_angle_deg: float = 30.0,
    max_lip_parting_mm: float = MAX_LIP_PARTING_MM,
    min_angle_deg: float = MIN_SMILE_ANGLE_DEG,
    merge_gap_s: float = 0.25,
    min_duration_s: float = 0.4,
    max_head_turn_deg: float = MAX_HEAD_TURN_DEG,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames that show a smile by either of two readings, the signed activation (mm), and the
    frames the classifier alone reads as a smile.

    * The classifier: the single-frame smile score, median over ``score_window_s`` (a glitch
      or a syllable is shorter), reaches ``min_score`` (and, for a face it reads as half
      smiling even at rest, odds of a smile e times those of the relaxed face). It needs no baseline and tells a smile
      from talking, a pucker, a grimace or surprise by the shape of the whole mouth and eyes.
    * The geometry, when the recording has a relaxed face: a mouth corner has moved out and up
      (:func:`smile_activation`, median over 0.1 s; its height read against the lower lip's
      centre, and at least ``min_angle_deg`` above horizontal) by ``min_peak_mm`` and four
      times the noise floor, with the head within ``max_head_turn_deg`` of a relaxed pose
      (beyond, a turn's parallax moves the corners as a smile would). This finds the weak or
      one-sided smiles of a palsy that a classifier trained on healthy smiles may not read. A
      movement that only the geometry reads and that parts the lips by more than
      ``max_lip_parting_mm`` beyond rest is a jaw or lip movement (speech, surprise), not a
      smile: only the classifier can judge an open mouth.
    """
    t = table.t_s
    n = len(t)
    smiling = np.zeros(n, bool)
    if "smile_score" in table.columns:
        score = scipy.ndimage.median_filter(np.nan_to_num(table.columns["smile_score"], nan=0.0),
                                            size=seconds_to_frames(score_window_s, t) | 1, mode="nearest")
        floor = min_score
        if exc.baseline.found:
            # a face the classifier already reads as half smiling at rest (takeo's neutral photo:
            # 0.55) must read clearly more: odds of a smile at least e times those at rest
            floor = max(min_score, _odds_times_e(np.nanmedian(table.columns["smile_score"][exc.rest_mask])))
        smiling = table.valid & (score >= floor)
    read = smiling.copy()
    act = np.fmax(smile_activation(exc, "right", angle_deg=smile_angle_deg),
                  smile_activation(exc, "left", angle_deg=smile_angle_deg))
    if not exc.baseline.found:
        return smiling, act, read
    # the geometry reads the corners against the lower lip: a lip press or a chin raise lifts the
    # whole mouth, a smile lifts the corners above the lip centre; and a smile pulls up and out
    # (zygomaticus major), not straight sideways (risorius, a grimace)
    lower = table.columns.get("lower_lip_y_mm")
    lift = (np.fmax(lower - np.nanmedian(lower[exc.rest_mask]), 0.0) if lower is not None and np.isfinite(lower[exc.rest_mask]).any()
            else np.zeros(len(t)))
    a = np.radians(smile_angle_deg)
    geo = table.valid.copy()
    reading = np.full(len(t), -np.inf)
    for s in SIDES:
        up = exc.vertical_mm[s] - lift
        side_act = exc.lateral_mm[s] * np.cos(a) + up * np.sin(a)
        angle = np.degrees(np.arctan2(up, exc.lateral_mm[s]))
        side_act = np.where((angle >= min_angle_deg) & (angle <= 90.0), side_act, -np.inf)
        reading = np.fmax(reading, np.nan_to_num(side_act, nan=-np.inf))
    act_f = scipy.ndimage.median_filter(np.where(np.isfinite(reading), reading, -1e9), size=seconds_to_frames(0.1, t) | 1,
                                        mode="nearest")
    geo &= act_f >= max(min_peak_mm, 4 * noise_floor_mm)
    # A turn of the head moves the corners in the aligned picture as a smile would (one out,
    # one in, by about 1 mm per degree each: the parallax of MAX_HEAD_TURN_DEG's note), so where
    # the head has turned from its rest pose by more than the guard, the geometry cannot tell a
    # smile from the turn: only the classifier, which reads the shape of the mouth within the
    # frame, judges there.
    if exc.turn_deg is not None:
        geo &= ~(exc.turn_deg > max_head_turn_deg)  # NaN (yaw unknown): not held against the geometry
    gap = table.columns.get("lip_gap_mm")
    if gap is not None and np.isfinite(gap[exc.rest_mask]).any():
        parted = gap - np.nanmedian(gap[exc.rest_mask]) > max_lip_parting_mm
        for a, b in _runs(geo, t, merge_gap_s=merge_gap_s, min_duration_s=0.0):
            if parted[a:b + 1].any() and not smiling[a:b + 1].any():
                geo[a:b + 1] = False
    return smiling | geo, act, read


def find_episodes(
    table: SignalTable,
    exc: Excursion | None = None,
    *,
    min_peak_mm: float | None = 1.5,
    noise_floor_mm: float | None = 0.0,
    min_duration_s: float | None = 0.4,
    merge_gap_s: float | None = 0.25,
    hold_fraction: float | None = 0.8,
    min_diff_mm: float | None = 3.0,
    min_diff_pct: float | None = 20.0,
    reference_points_mm: dict | None = None,
    smile_angle_deg: float | None = 30.0,
    min_score: float = MIN_SMILE_SCORE,
    edge_fraction: float = 0.2,
    max_edge_s: float = 0.5,
    eyes_shut: np.ndarray | None = None,
) -> list[Episode]:
    """Find every smile: a stretch of at least ``min_duration_s`` that the classifier or the
    geometry reads as a smile (:func:`smile_evidence`), gaps up to ``merge_gap_s`` bridged.

    With a relaxed baseline the onset and offset are where the activation crosses
    ``edge_fraction`` of the peak, at most ``max_edge_s`` (a smile's rise time) outside the
    stretch read as a smile, so a following expression does not lengthen the smile. Each side is measured at the apex plateau (frames within 90 % of
    the activation's peak) and the hold is the time above ``hold_fraction`` of it; a stretch
    whose stronger corner moves inwards (a pucker, speech) or sideways (a grimace) at the apex,
    less than ``MIN_SMILE_ANGLE_DEG`` above horizontal, is not a smile unless the classifier
    reads one. Without one, the episode still gives its timing (apex: the classifier's peak), the height difference of the
    corners and the upper lip, but no excursion and no weaker side. ``eyes_shut`` (n,) bool:
    frames within a blink or wink, left out of the eyes' narrowing.
    """
    exc = exc if exc is not None else excursion(table, noise_floor_mm=noise_floor_mm or 0.0)
    t = exc.t_s
    if len(t) < 3:
        return []
    smiling, act, read = smile_evidence(table, exc, min_peak_mm=min_peak_mm, noise_floor_mm=noise_floor_mm or 0.0,
                                  min_score=min_score, smile_angle_deg=smile_angle_deg,
                                  merge_gap_s=merge_gap_s, min_duration_s=min_duration_s)
    relaxed = exc.baseline.found
    level = np.nan_to_num(act if relaxed else table.columns.get("smile_score", np.zeros(len(t))), nan=-np.inf)
    spans: list[list[int]] = []
    for lo, hi in _runs(smiling, t, merge_gap_s=merge_gap_s, min_duration_s=min_duration_s):
        if relaxed:  # onset and offset where the activation crosses edge_fraction of the peak, within a rise time
            edge = edge_fraction * np.max(level[lo:hi + 1])
            t0, t1 = t[lo], t[hi]
            while lo > 0 and level[lo - 1] > edge and t0 - t[lo - 1] <= max_edge_s:
                lo -= 1
            while hi < len(t) - 1 and level[hi + 1] > edge and t[hi + 1] - t1 <= max_edge_s:
                hi += 1
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    episodes = []
    for lo, hi in spans:
        implausible = ""
        k = lo + int(np.argmax(level[lo:hi + 1]))
        peak = level[k]
        plateau = np.arange(lo, hi + 1)[level[lo:hi + 1] >= (0.9 * peak if peak > 0 else peak)]
        hold_idx = np.arange(lo, hi + 1)[level[lo:hi + 1] >= (hold_fraction * peak if peak > 0 else peak)]
        turn = _turn_at(exc, plateau) if relaxed else float("nan")
        if relaxed:
            strong = "right" if np.nanmedian(exc.length_mm["right"][plateau]) >= np.nanmedian(exc.length_mm["left"][plateau]) else "left"
            lat, up = np.nanmedian(exc.lateral_mm[strong][plateau]), np.nanmedian(exc.vertical_mm[strong][plateau])
            if not read[lo:hi + 1].any() and (lat <= 0 or np.degrees(np.arctan2(up, lat)) < MIN_SMILE_ANGLE_DEG):
                # no smile read, and at the apex the stronger corner is pulled inwards (a pucker,
                # speech) or sideways rather than up and out (a grimace; a lip stretched on a
                # turn): only some frames of the stretch read up and out
                continue
            sides = {s: _side_measure(table, exc, s, plateau, rest=exc.rest_mask, eyes_shut=eyes_shut) for s in SIDES}
            pct, weaker = symmetry(sides["left"].excursion_mm, sides["right"].excursion_mm,
                                   min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
            on = compared_on(turn)
            if on == "lift":
                pct, weaker = lift_symmetry(sides["left"].vertical_mm, sides["right"].vertical_mm,
                                            min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
            elif not on:
                weaker = None
            steadiness = float(np.nanstd(exc.length_mm[strong][hold_idx])) if len(hold_idx) > 1 else float("nan")
            biggest = max(sides["left"].excursion_mm, sides["right"].excursion_mm)
            if biggest > MAX_PLAUSIBLE_EXCURSION_MM:
                nan = float("nan")
                sides = {s: SideMeasure(nan, nan, nan, nan, nan, nan) for s in SIDES}
                pct, weaker, steadiness = nan, None, nan
                implausible = (f"a mouth corner seemed to move {biggest:.0f} mm, more than any smile "
                               f"(at most about 22 mm): a tracking failure, not measured")
        else:
            nan = float("nan")
            sides = {s: SideMeasure(nan, nan, nan, nan, nan, nan) for s in SIDES}
            pct, weaker, steadiness = nan, None, nan
        height = float("nan")
        if reference_points_mm and "mouth_corner_left" in reference_points_mm:
            yl = reference_points_mm["mouth_corner_left"][1] + np.nanmedian(table.columns["mouth_corner_left_y_mm"][plateau])
            yr = reference_points_mm["mouth_corner_right"][1] + np.nanmedian(table.columns["mouth_corner_right_y_mm"][plateau])
            height = float(yl - yr)
        lip = table.columns.get("upper_lip_y_mm")
        lip_el = (float(np.nanmedian(lip[plateau]) - np.nanmedian(lip[exc.rest_mask]))
                  if relaxed and lip is not None else float("nan"))
        episodes.append(Episode(
            start_s=float(t[lo]), apex_s=float(t[k]), end_s=float(t[hi]),
            hold_s=float(_duration(t, hold_idx)),
            right=sides["right"], left=sides["left"], asymmetry_pct=pct, weaker_side=weaker,
            commissure_height_diff_mm=height, upper_lip_elevation_mm=lip_el,
            hold_steadiness_mm=steadiness,
            dental_show=float(np.nanmedian(table.columns["dental_show"][plateau])) if "dental_show" in table.columns else float("nan"),
            head_turn_deg=turn,
            not_judged=implausible,
        ))
    return episodes


def _turn_at(exc: Excursion, plateau: np.ndarray) -> float:
    """How far the head is turned from the relaxed pose over ``plateau`` (median, degrees; NaN
    where the yaw is not known)."""
    if exc.turn_deg is None or not np.isfinite(exc.turn_deg[plateau]).any():
        return float("nan")
    return float(np.nanmedian(exc.turn_deg[plateau]))


def _duration(t: np.ndarray, idx: np.ndarray) -> float:
    """Time covered by frames ``idx`` (each frame counts until the next one)."""
    if len(idx) == 0:
        return 0.0
    dt = np.diff(t, append=t[-1] + frame_interval_s(t, default_s=0.0))
    return float(dt[idx].sum())


def _side_measure(table: SignalTable, exc: Excursion, side: str, plateau: np.ndarray, *, rest: np.ndarray,
                  eyes_shut: np.ndarray | None = None) -> SideMeasure:
    """One side's movement at the apex ``plateau`` (frame indices). The eye's narrowing leaves
    out the frames in ``eyes_shut`` (blinks and winks); NaN when the eye was shut throughout."""
    lat = float(np.nanmedian(exc.lateral_mm[side][plateau]))
    ver = float(np.nanmedian(exc.vertical_mm[side][plateau]))
    cheek = table.columns[f"cheek_{side}_y_mm"]
    palp = table.columns[f"palpebral_{side}_height_mm"]
    palp_rest = float(np.nanmedian(palp[rest]))
    open_apex = plateau if eyes_shut is None else plateau[~eyes_shut[plateau]]
    palp_apex = float(np.nanmedian(palp[open_apex])) if len(open_apex) else float("nan")
    return SideMeasure(
        excursion_mm=float(np.nanmedian(exc.length_mm[side][plateau])),
        lateral_mm=lat,
        vertical_mm=ver,
        angle_deg=float(np.degrees(np.arctan2(ver, lat))),
        cheek_raise_mm=float(np.nanmedian(cheek[plateau]) - np.nanmedian(cheek[rest])),
        palpebral_narrowing_pct=float((1 - palp_apex / palp_rest) * 100) if palp_rest > 0 else float("nan"),
    )


# --- fatigue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fatigue:
    """Does the smile fade with repetition? (myasthenia gravis weakens with use)."""

    repetitions: int | None
    decrement_pct_per_rep: float | None  # slope of a line through the excursions, % of the first
    r_squared: float | None
    first_mm: float | None
    last_mm: float | None
    hold_steadiness_mm: float | None  # median over episodes
    fades: bool
    note: str = ""


def fatigue(episodes: list[Episode], *, min_reps: int = 3, fade_pct_per_rep: float = 5.0, min_r2: float = 0.5) -> Fatigue:
    """Excursion decrement across repetitions, from a least-squares line (scipy.stats.linregress).

    ``fades`` when there are at least ``min_reps`` smiles, the line falls by at least
    ``fade_pct_per_rep`` per cent of the first smile per repetition and explains at least
    ``min_r2`` of the variance. The excursion of a smile is the mean of its two sides, so a
    palsied side does not hide the fading of the healthy one.
    """
    steadiness = [e.hold_steadiness_mm for e in episodes if np.isfinite(e.hold_steadiness_mm)]
    steady = float(np.median(steadiness)) if steadiness else None
    if len(episodes) < min_reps:
        return Fatigue(len(episodes), None, None, None, None, steady, False,
                       note=f"needs at least {min_reps} smiles")
    y = np.array([(e.left.excursion_mm + e.right.excursion_mm) / 2 for e in episodes])
    x = np.arange(len(y))
    fit = scipy.stats.linregress(x, y)
    first = float(fit.intercept)
    slope_pct = float(fit.slope / first * 100) if first > 0 else float("nan")
    r2 = float(fit.rvalue ** 2)
    fades = bool(slope_pct <= -fade_pct_per_rep and r2 >= min_r2)
    return Fatigue(len(y), slope_pct, r2, float(y[0]), float(y[-1]), steady, fades)


# --- summary for analysis.json --------------------------------------------------------------


@dataclass
class SmileResult:
    """The ``smile`` block: every smile, the medians over them (per side), fatigue, Duchenne cues."""

    episodes: list[Episode]
    excursion_mm: dict[str, float | None]  # per side: median over the smiles with the head still
    asymmetry_pct: float | None  # of what the sides were compared on: the excursions, or the lifts
    weaker_side: str | None  # left / right / none; None when the sides were not compared (sides_compared_on "")
    fatigue: Fatigue
    duchenne: dict[str, dict[str, float | None]]  # per side: cheek raise (mm), eye narrowing (%)
    thresholds: dict[str, float | str | None] = field(default_factory=dict)
    relaxed_face: bool | None = None  # a relaxed face was found to measure from (None: older file)
    relaxed_s: float | None = None  # time the face was relaxed and still (s)
    not_judged: str = ""  # why excursions and sides could not be judged ("" when they could)
    # what the weaker side was judged on: the excursions (smiles with the head still), the
    # corners' lift (every smile turned, none beyond MAX_LIFT_TURN_DEG), "" (not judged)
    sides_compared_on: str = "excursion"
    lift_mm: dict[str, float | None] | None = None  # per side, median rise over the smiles compared on it
    side_note: str = ""  # why no side is weaker although the medians differ enough (a side seen moving fully)

    def to_dict(self) -> dict:
        eps = []
        for e in self.episodes:
            d = asdict(e)
            d["excursion_mm"] = e.excursion_mm()
            d["head_turned"] = e.head_turned
            d["sides_compared_on"] = e.sides_compared_on
            eps.append(d)
        return {
            "episodes": eps,
            "excursion_mm": self.excursion_mm,
            "asymmetry_pct": self.asymmetry_pct,
            "weaker_side": self.weaker_side,
            "fatigue": asdict(self.fatigue),
            "duchenne": self.duchenne,
            "thresholds": self.thresholds,
            "relaxed_face": self.relaxed_face,
            "relaxed_s": self.relaxed_s,
            "not_judged": self.not_judged,
            "sides_compared_on": self.sides_compared_on,
            "lift_mm": self.lift_mm,
            "side_note": self.side_note,
            "conventions": "sides are the person's own; excursion = movement of the mouth corner from rest (mm), "
                           "medians over the apex of each smile; overall values are medians over smiles; asymmetry_pct "
                           "compares what sides_compared_on names (the excursions, or the corners' lift)",
        }


def weaker_side_min_diff_mm(mm_per_px: float | None, *, min_diff_mm: float = 3.0) -> float:
    """The smallest left-right difference that names a weaker side (mm): ``min_diff_mm`` plus
    :data:`WEAKER_SIDE_MARGIN_PX` at the recording's scale (just ``min_diff_mm`` when unknown)."""
    if mm_per_px is None or not np.isfinite(mm_per_px) or mm_per_px <= 0:
        return float(min_diff_mm)
    return float(min_diff_mm + WEAKER_SIDE_MARGIN_PX * mm_per_px)


def analyze_smiles(table: SignalTable, *, noise_floor_mm: float = 0.0, reference_points_mm: dict | None = None,
                   min_diff_mm: float = 3.0, min_diff_pct: float = 20.0,
                   mm_per_px: float | None = None, tremor_hz: float | None = None,
                   eyes_shut: np.ndarray | None = None) -> tuple[SmileResult, Excursion]:
    """Episodes, overall excursion and symmetry (medians over episodes), eye involvement, fatigue.

    Without a relaxed face (:func:`find_baseline`) the smiles are still found (by the
    classifier) and timed, but excursions, sides and fatigue are not judged: ``not_judged``
    says why. A smile whose corner seems to move more than :data:`MAX_PLAUSIBLE_EXCURSION_MM`
    is listed with its reason but left out of the medians, the sides and fatigue. A side is
    weaker when it moves ``min_diff_mm`` plus the tracking margin at ``mm_per_px`` (the
    recording's scale; no margin when not given) and ``min_diff_pct`` less. ``tremor_hz``: a
    tremor of the mouth at that frequency, taken out of the corners' position first
    (:func:`without_tremor`). ``eyes_shut``: frames within a blink or wink
    (:func:`smilescope.measures.expressivity.eyes_shut_mask`), left out of the eyes' narrowing.
    """
    if tremor_hz is not None:
        table = without_tremor(table, tremor_hz)
    noticed_mm, min_diff_mm = min_diff_mm, weaker_side_min_diff_mm(mm_per_px, min_diff_mm=min_diff_mm)
    base = find_baseline(table, noise_floor_mm=noise_floor_mm)
    exc = excursion(table, base)
    eps = find_episodes(table, exc, noise_floor_mm=noise_floor_mm, reference_points_mm=reference_points_mm,
                        min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct, eyes_shut=eyes_shut)
    not_judged = "" if base.found else f"no relaxed face to measure from: {base.reason}"
    measured = [e for e in eps if not e.not_judged]
    on, lift, side_note = "", None, ""
    if measured and base.found:
        # sides are compared over the smiles with the head still; if the head turned in every
        # smile, on the corners' lift in those turned less than MAX_LIFT_TURN_DEG; turned more in
        # every smile, the values are still given but no side is called weaker
        still = [e for e in measured if e.sides_compared_on == "excursion"]
        lifted = [e for e in measured if e.sides_compared_on == "lift"]
        overall = {s: float(np.median([getattr(e, s).excursion_mm for e in still or measured])) for s in ("left", "right")}
        pct, weaker = symmetry(overall["left"], overall["right"], min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
        if still:
            on = "excursion"
        elif lifted:
            on = "lift"
            lift = {s: float(np.median([getattr(e, s).vertical_mm for e in lifted])) for s in ("left", "right")}
            pct, weaker = lift_symmetry(lift["left"], lift["right"], min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
        else:  # turned beyond MAX_LIFT_TURN_DEG in every smile: the excursions' difference is the turn's too
            pct, weaker = None, None
        if weaker in ("left", "right"):
            weaker, side_note = _weak_or_held_back(still if on == "excursion" else lifted, weaker, on)
        duchenne = {s: {"cheek_raise_mm": float(np.median([getattr(e, s).cheek_raise_mm for e in measured])),
                        "palpebral_narrowing_pct": _median_of_measured([getattr(e, s).palpebral_narrowing_pct for e in measured])}
                    for s in ("left", "right")}
    else:
        overall, pct, weaker, duchenne = {"left": None, "right": None}, None, None, {}
    thresholds = {"weaker_side_min_diff_mm": min_diff_mm, "weaker_side_min_diff_pct": min_diff_pct,
                  "weaker_side_noticed_mm": noticed_mm,
                  "weaker_side_margin_px": WEAKER_SIDE_MARGIN_PX if min_diff_mm > noticed_mm else 0.0,
                  "max_head_turn_deg": MAX_HEAD_TURN_DEG, "max_lift_turn_deg": MAX_LIFT_TURN_DEG,
                  "sources": "Hohman 2014 (>= 3 mm noticed); Coulson 2002 (healthy sides differ by up to 2-3 mm); "
                             "tracking moves the difference by up to 2 px of the picture (the labelled real videos "
                             "as other cameras give them); "
                             "a head turn shifts the corners' difference by about 1 mm per degree, their lifts' "
                             "by perspective alone (2 mm at 10 degrees with the camera 30 cm away)"}
    if tremor_hz is not None:
        thresholds["tremor_taken_out_hz"] = float(tremor_hz)
    tired = fatigue(measured) if base.found else fatigue([])
    return SmileResult(eps, overall, pct, weaker, tired, duchenne, thresholds, relaxed_face=base.found,
                       relaxed_s=base.rest_s, not_judged=not_judged, sides_compared_on=on, lift_mm=lift,
                       side_note=side_note), exc


def _median_of_measured(values: list[float]) -> float:
    """Median of the finite values (NaN when none): an eye shut through one smile's apex leaves
    that smile out of the eye's narrowing, not the others."""
    v = np.asarray(values, dtype=float)
    return float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")


def _weak_or_held_back(episodes: list[Episode], weaker: str, on: str) -> tuple[str, str]:
    """The recording's weaker side, kept only if it never moved as far as the other side usually
    does in a smile that was not itself lopsided against it: a weak side cannot, so a side seen
    reaching it in such a smile moves fully, and its lesser movement in the others (a lopsided
    smile made on purpose, an expression) is not weakness.
    Returns the side (or "none") and, when withdrawn, why."""
    strong = "left" if weaker == "right" else "right"

    def value(e: Episode, side: str) -> float:
        m = getattr(e, side)
        return m.excursion_mm if on == "excursion" else max(m.vertical_mm, 0.0)

    strong_values = [v for v in (value(e, strong) for e in episodes) if np.isfinite(v)]
    # only a smile that is not itself lopsided against the side can show it moving fully: a
    # partly weak side moves more with more effort, and reaches the other side's usual
    # movement in a big smile while still lagging in that very smile
    fair = [e for e in episodes if e.weaker_side != weaker and np.isfinite(value(e, weaker))]
    if len(episodes) < 2 or not fair or not strong_values:
        return weaker, ""
    typical = float(np.median(strong_values))
    best = max(fair, key=lambda e: value(e, weaker))
    if not value(best, weaker) >= typical:
        return weaker, ""
    how = "moved" if on == "excursion" else "rose"
    return "none", (f"the {weaker} side {how} less over the smiles, but in the smile at {best.apex_s:.1f} s it {how} "
                    f"{value(best, weaker):.1f} mm, as far as the {strong} side usually does ({typical:.1f} mm): it can "
                    f"move fully, so the smiles where it {how} less were uneven by expression, not by a weaker side")


def smile_columns(exc: Excursion, episodes: list[Episode]) -> dict[str, np.ndarray]:
    """``smile_*`` columns for signals.csv: excursion per side (mm), the signed smile activation
    per side (mm along the smile direction: + out and up, - in or down), and the episode number
    (0 = none). All NaN without a relaxed face."""
    active = np.zeros(len(exc.t_s), dtype=np.int64)
    for k, e in enumerate(episodes, start=1):
        active[span_mask(exc.t_s, e.start_s, e.end_s)] = k
    return {"smile_excursion_right_mm": exc.length_mm["right"], "smile_excursion_left_mm": exc.length_mm["left"],
            "smile_activation_right_mm": smile_activation(exc, "right"), "smile_activation_left_mm": smile_activation(exc, "left"),
            "smile_episode": active}


def apex_plateau(exc: Excursion, episodes: list[Episode], *, fraction: float = 0.9) -> np.ndarray:
    """Frames of each smile where the stronger corner is within ``fraction`` of its peak (none
    without a relaxed face)."""
    out = np.zeros(len(exc.t_s), bool)
    if not exc.baseline.found:
        return out
    for e in episodes:
        inside = span_mask(exc.t_s, e.start_s, e.end_s)
        act = np.fmax(exc.length_mm["right"], exc.length_mm["left"])
        peak = np.nanmax(np.where(inside, act, np.nan))
        out |= inside & (act >= fraction * peak)
    return out
