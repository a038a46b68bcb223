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
  videos, so the difference is not corrected, only guarded against). A smile
  during which the head turned more than ``MAX_HEAD_TURN_DEG`` (2 deg, i.e. about 2 mm, two
  thirds of the 3 mm that makes a side weaker) from its rest position is measured and shown,
  but left out of the weaker-side decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.signals import SignalTable
from smilescope.timebase import frame_interval_s, seconds_to_frames, span_mask

MAX_HEAD_TURN_DEG = 2.0  # head yaw change from rest beyond which a smile's sides are not compared

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
    """

    t_s: np.ndarray
    lateral_mm: dict
    vertical_mm: dict
    length_mm: dict
    rest_mask: np.ndarray


def corner_excursion(xy_mm: np.ndarray, base_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One mouth corner's movement from its rest position: lateral, vertical and length (mm).

    Parameters
    ----------
    xy_mm : np.ndarray [shape=(n, 2)] or [shape=(2,)]
        The corner's (lateral, up) displacement per frame, as in signals.csv.
    base_mm : np.ndarray [shape=(2,)]
        Its rest position (e.g. the median over relaxed frames).
    """
    xy = np.asarray(xy_mm, dtype=float)
    lat = xy[..., 0] - base_mm[0]
    ver = xy[..., 1] - base_mm[1]
    return lat, ver, np.hypot(lat, ver)


def excursion(table: SignalTable, *, rest_mm: float = 1.0, start_s: float = 0.6) -> Excursion:
    """Mouth-corner excursion relative to the person's own rest frames.

    The rest baseline is found in two steps: a first guess from the opening ``start_s`` seconds
    of measured frames (recordings start with a relaxed face), then every frame in which both
    corners lie within ``rest_mm`` of that guess; the baseline is their median position. A
    person who relaxes between smiles thus contributes rest frames from the whole recording.

    Parameters
    ----------
    table : SignalTable
        Needs ``mouth_corner_{right,left}_{x,y}_mm``.
    rest_mm : float
        How close to the first guess a frame must be to count as rest (mm).
    start_s : float
        Length of the opening stretch used for the first guess (s).
    """
    t = table.t_s
    valid = table.valid
    xy = {s: np.stack([table.columns[f"mouth_corner_{s}_x_mm"], table.columns[f"mouth_corner_{s}_y_mm"]], axis=1)
          for s in SIDES}
    measured = np.flatnonzero(valid & np.isfinite(xy["right"]).all(1) & np.isfinite(xy["left"]).all(1))
    if len(measured) == 0:
        nan = np.full(len(t), np.nan)
        return Excursion(t, {s: nan for s in SIDES}, {s: nan for s in SIDES}, {s: nan for s in SIDES},
                         np.zeros(len(t), bool))
    first = measured[t[measured] <= t[measured[0]] + start_s]
    guess = {s: np.median(xy[s][first], axis=0) for s in SIDES}
    near = np.ones(len(t), bool)
    for s in SIDES:
        near &= np.linalg.norm(xy[s] - guess[s], axis=1) <= rest_mm
    rest = near & valid
    if rest.sum() < 3:
        rest = np.zeros(len(t), bool)
        rest[first] = True
    base = {s: np.median(xy[s][rest], axis=0) for s in SIDES}
    lat, ver, length = {}, {}, {}
    for s in SIDES:
        lat[s], ver[s], length[s] = corner_excursion(xy[s], base[s])
    for s in SIDES:
        for a in (lat[s], ver[s], length[s]):
            a[~valid] = np.nan
    return Excursion(t, lat, ver, length, rest)


# --- episodes -----------------------------------------------------------------------------


def smile_activation(exc: Excursion, side: str, *, angle_deg: float = 30.0) -> np.ndarray:
    """How far a corner has moved along the smile direction (mm, >= 0).

    The zygomaticus major pulls the commissure outwards and up, about 30-40 degrees above the
    horizontal; the projection of the movement on that direction is large for a smile and zero
    or negative for a pucker, a pout or a cheek puff (corners pulled inwards or down).
    """
    a = np.radians(angle_deg)
    return np.clip(exc.lateral_mm[side] * np.cos(a) + exc.vertical_mm[side] * np.sin(a), 0.0, None)



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
    weaker_side: str
    commissure_height_diff_mm: float | None  # left corner height minus right, at the apex (+: left higher)
    upper_lip_elevation_mm: float | None
    hold_steadiness_mm: float | None  # SD of the stronger side's excursion during the hold
    dental_show: float | None = float("nan")  # share of the mouth opening showing teeth at the apex (0-1)
    head_turn_deg: float | None = float("nan")  # |head yaw at the apex - at rest|; see MAX_HEAD_TURN_DEG

    @property
    def head_turned(self) -> bool:
        """The head turned too much during this smile for its sides to be compared."""
        return bool(self.head_turn_deg is not None and self.head_turn_deg > MAX_HEAD_TURN_DEG)

    def excursion_mm(self) -> dict:
        return {"left": self.left.excursion_mm, "right": self.right.excursion_mm}


def symmetry(left_mm: float, right_mm: float, *, min_diff_mm: float = 3.0, min_diff_pct: float = 20.0) -> tuple[float, str]:
    """``asymmetry_pct = |L - R| / max(L, R) * 100`` and the weaker side.

    ``weaker_side`` is ``"left"``/``"right"`` when the difference is at least ``min_diff_mm``
    (3 mm: noticed by most observers, Hohman 2014) and ``min_diff_pct`` per cent (20 %), else
    ``"none"`` (healthy smiles differ by up to 2-3 mm, Coulson 2002).
    """
    hi = max(left_mm, right_mm)
    if not np.isfinite(hi) or hi <= 0:
        return 0.0, "none"
    diff = abs(left_mm - right_mm)
    pct = diff / hi * 100.0
    if diff >= min_diff_mm and pct >= min_diff_pct:
        return float(pct), "left" if left_mm < right_mm else "right"
    return float(pct), "none"


def find_episodes(
    table: SignalTable,
    exc: Excursion | None = None,
    *,
    min_peak_mm: float | None = 1.5,
    noise_floor_mm: float | None = 0.0,
    min_duration_s: float | None = 0.4,
    merge_gap_s: float | None = 0.25,
    edge_fraction: float | None = 0.2,
    hold_fraction: float | None = 0.8,
    min_diff_mm: float | None = 3.0,
    min_diff_pct: float | None = 20.0,
    reference_points_mm: dict | None = None,
    smile_angle_deg: float | None = 30.0,
) -> list[Episode]:
    """Find every smile: where either corner moves out and up from rest and comes back.

    The activation is the larger of the two corners' movement *outwards and up* (see
    :func:`smile_activation`; a one-sided smile counts, a pucker or a cheek puff that pulls
    the corners inwards does not), median-filtered over 0.1 s to ignore single-frame glitches. A candidate is a stretch above
    ``max(min_peak_mm / 2, 4 x noise floor)``; it becomes an episode when its peak reaches
    ``min_peak_mm``, it lasts ``min_duration_s`` and the stronger corner moves outwards (a
    pucker or speech pulls corners inwards or only up and down). Onset and offset are where the
    activation crosses ``edge_fraction`` of the peak; the hold is the time spent above
    ``hold_fraction`` of it.
    """
    exc = exc if exc is not None else excursion(table)
    t = exc.t_s
    n = len(t)
    if n < 3:
        return []
    act = np.fmax(smile_activation(exc, "right", angle_deg=smile_angle_deg),
                  smile_activation(exc, "left", angle_deg=smile_angle_deg))
    act = np.where(np.isfinite(act), act, 0.0)
    act = scipy.ndimage.median_filter(act, size=seconds_to_frames(0.1, t) | 1, mode="nearest")
    thr = max(min_peak_mm / 2, 4 * noise_floor_mm)
    above = act > thr
    # runs of frames above threshold, with short gaps merged
    gap = seconds_to_frames(merge_gap_s, t)
    runs, i = [], 0
    while i < n:
        if above[i]:
            j = i
            while j + 1 < n and above[j + 1]:
                j += 1
            if runs and i - runs[-1][1] - 1 <= gap:
                runs[-1][1] = j
            else:
                runs.append([i, j])
            i = j + 1
        else:
            i += 1
    spans: list[list[int]] = []  # [onset, offset] frame indices
    for a, b in runs:
        k = a + int(np.argmax(act[a:b + 1]))
        peak = act[k]
        if peak < min_peak_mm:
            continue
        # onset/offset where the activation crosses edge_fraction of the peak
        lo = k
        while lo > 0 and act[lo - 1] > edge_fraction * peak:
            lo -= 1
        hi = k
        while hi < n - 1 and act[hi + 1] > edge_fraction * peak:
            hi += 1
        if spans and lo <= spans[-1][1]:  # widened into the previous smile: one smile
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    episodes = []
    for lo, hi in spans:
        k = lo + int(np.argmax(act[lo:hi + 1]))
        peak = act[k]
        if t[hi] - t[lo] < min_duration_s:
            continue
        plateau = np.arange(lo, hi + 1)[act[lo:hi + 1] >= 0.9 * peak]
        strong = "right" if np.nanmedian(exc.length_mm["right"][plateau]) >= np.nanmedian(exc.length_mm["left"][plateau]) else "left"
        if np.nanmedian(exc.lateral_mm[strong][plateau]) <= 0:
            continue  # corners pulled inwards: pucker or speech, not a smile
        hold = act[lo:hi + 1] >= hold_fraction * peak
        hold_idx = np.arange(lo, hi + 1)[hold]
        sides = {s: _side_measure(table, exc, s, plateau, rest=exc.rest_mask) for s in SIDES}
        pct, weaker = symmetry(sides["left"].excursion_mm, sides["right"].excursion_mm,
                               min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
        height = float("nan")
        if reference_points_mm and "mouth_corner_left" in reference_points_mm:
            yl = reference_points_mm["mouth_corner_left"][1] + np.nanmedian(table.columns["mouth_corner_left_y_mm"][plateau])
            yr = reference_points_mm["mouth_corner_right"][1] + np.nanmedian(table.columns["mouth_corner_right_y_mm"][plateau])
            height = float(yl - yr)
        yaw = table.columns.get("head_yaw_deg")
        turn = (float(abs(np.nanmedian(yaw[plateau]) - np.nanmedian(yaw[exc.rest_mask])))
                if yaw is not None and np.isfinite(yaw[plateau]).any() and np.isfinite(yaw[exc.rest_mask]).any()
                else float("nan"))
        lip = table.columns.get("upper_lip_y_mm")
        lip_el = float(np.nanmedian(lip[plateau]) - np.nanmedian(lip[exc.rest_mask])) if lip is not None else float("nan")
        episodes.append(Episode(
            start_s=float(t[lo]), apex_s=float(t[k]), end_s=float(t[hi]),
            hold_s=float(_duration(t, hold_idx)),
            right=sides["right"], left=sides["left"], asymmetry_pct=pct, weaker_side=weaker,
            commissure_height_diff_mm=height, upper_lip_elevation_mm=lip_el,
            hold_steadiness_mm=float(np.nanstd(exc.length_mm[strong][hold_idx])) if len(hold_idx) > 1 else float("nan"),
            dental_show=float(np.nanmedian(table.columns["dental_show"][plateau])) if "dental_show" in table.columns else float("nan"),
            head_turn_deg=turn,
        ))
    return episodes


def _duration(t: np.ndarray, idx: np.ndarray) -> float:
    """Time covered by frames ``idx`` (each frame counts until the next one)."""
    if len(idx) == 0:
        return 0.0
    dt = np.diff(t, append=t[-1] + frame_interval_s(t, default_s=0.0))
    return float(dt[idx].sum())


def _side_measure(table: SignalTable, exc: Excursion, side: str, plateau: np.ndarray, *, rest: np.ndarray) -> SideMeasure:
    lat = float(np.nanmedian(exc.lateral_mm[side][plateau]))
    ver = float(np.nanmedian(exc.vertical_mm[side][plateau]))
    cheek = table.columns[f"cheek_{side}_y_mm"]
    palp = table.columns[f"palpebral_{side}_height_mm"]
    palp_rest = float(np.nanmedian(palp[rest]))
    palp_apex = float(np.nanmedian(palp[plateau]))
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
    asymmetry_pct: float | None
    weaker_side: str
    fatigue: Fatigue
    duchenne: dict[str, dict[str, float | None]]  # per side: cheek raise (mm), eye narrowing (%)
    thresholds: dict[str, float | str | None] = field(default_factory=dict)

    def to_dict(self) -> dict:
        eps = []
        for e in self.episodes:
            d = asdict(e)
            d["excursion_mm"] = e.excursion_mm()
            d["head_turned"] = e.head_turned
            eps.append(d)
        return {
            "episodes": eps,
            "excursion_mm": self.excursion_mm,
            "asymmetry_pct": self.asymmetry_pct,
            "weaker_side": self.weaker_side,
            "fatigue": asdict(self.fatigue),
            "duchenne": self.duchenne,
            "thresholds": self.thresholds,
            "conventions": "sides are the person's own; excursion = movement of the mouth corner from rest (mm), "
                           "medians over the apex of each smile; overall values are medians over smiles",
        }


def analyze_smiles(table: SignalTable, *, noise_floor_mm: float = 0.0, reference_points_mm: dict | None = None,
                   min_diff_mm: float = 3.0, min_diff_pct: float = 20.0) -> tuple[SmileResult, Excursion]:
    """Episodes, overall excursion and symmetry (medians over episodes), eye involvement, fatigue."""
    exc = excursion(table)
    eps = find_episodes(table, exc, noise_floor_mm=noise_floor_mm, reference_points_mm=reference_points_mm,
                        min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
    if eps:
        # sides are compared over the smiles with the head still; if the head turned in every
        # smile, the values are still given but no side is called weaker
        steady = [e for e in eps if not e.head_turned] or eps
        overall = {s: float(np.median([getattr(e, s).excursion_mm for e in steady])) for s in ("left", "right")}
        pct, weaker = symmetry(overall["left"], overall["right"], min_diff_mm=min_diff_mm, min_diff_pct=min_diff_pct)
        if all(e.head_turned for e in eps):
            weaker = "none"
        duchenne = {s: {"cheek_raise_mm": float(np.median([getattr(e, s).cheek_raise_mm for e in eps])),
                        "palpebral_narrowing_pct": float(np.median([getattr(e, s).palpebral_narrowing_pct for e in eps]))}
                    for s in ("left", "right")}
    else:
        overall, pct, weaker, duchenne = {"left": None, "right": None}, None, "none", {}
    thresholds = {"weaker_side_min_diff_mm": min_diff_mm, "weaker_side_min_diff_pct": min_diff_pct,
                  "max_head_turn_deg": MAX_HEAD_TURN_DEG,
                  "sources": "Hohman 2014 (>= 3 mm noticed); Coulson 2002 (healthy sides differ by up to 2-3 mm); "
                             "a head turn shifts the corners' difference by about 1 mm per degree"}
    return SmileResult(eps, overall, pct, weaker, fatigue(eps), duchenne, thresholds), exc


def smile_columns(exc: Excursion, episodes: list[Episode]) -> dict[str, np.ndarray]:
    """``smile_*`` columns for signals.csv: excursion per side (mm) and the episode number (0 = none)."""
    active = np.zeros(len(exc.t_s))
    for k, e in enumerate(episodes, start=1):
        active[span_mask(exc.t_s, e.start_s, e.end_s)] = k
    return {"smile_excursion_right_mm": exc.length_mm["right"], "smile_excursion_left_mm": exc.length_mm["left"],
            "smile_episode": active}


def apex_plateau(exc: Excursion, episodes: list[Episode], *, fraction: float = 0.9) -> np.ndarray:
    """Frames of each smile where the stronger corner is within ``fraction`` of its peak."""
    out = np.zeros(len(exc.t_s), bool)
    for e in episodes:
        inside = span_mask(exc.t_s, e.start_s, e.end_s)
        act = np.fmax(exc.length_mm["right"], exc.length_mm["left"])
        peak = np.nanmax(np.where(inside, act, np.nan))
        out |= inside & (act >= fraction * peak)
    return out
