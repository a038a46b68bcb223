"""Typed, unit-carrying facial signals.

A :class:`Series` is one signal over time (``t_s``, ``values``, ``valid``); a
:class:`SignalTable` holds every signal of one video on a shared time base and flattens to
CSV rows or a pandas DataFrame. :func:`facial_signals_px` computes one frame's signals from
aligned points; all lengths are computed in reference-frame pixels (named ``*_px``) and scaled
to millimetres once, by the iris calibration (:func:`px_name` gives a signal's pixel name).

Conventions (anatomical, never mirrored):

* ``right`` / ``left`` are the subject's sides (image left / image right when unmirrored).
* ``*_x_mm`` displacements are *lateral*: positive away from the face midline on either side,
  so a smile is +x, +y on both sides and the two sides compare directly.
* ``*_y_mm`` displacements are *superior*: positive towards the forehead.
* Displacements are relative to the reference (neutral) frame, after head alignment.
* ``upper_lip_y_mm`` / ``lower_lip_y_mm``: vertical movement of the lip centres (landmarks 0
  and 17), + up.
* ``*_near_*``: the second point of a region (``landmarks.NEAR``, 4-14 mm from its main point),
  for the spatial coherence of a tremor.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from smilescope import landmarks as lm
from smilescope.errors import BadInputError
from smilescope.geometry.align import FaceFrame


@dataclass(frozen=True)
class Series:
    """One signal over time.

    Attributes
    ----------
    name : str
        Column name; carries the unit (``mouth_corner_left_x_mm``).
    unit : str
        ``mm``, ``deg``, ``1`` ...
    t_s : np.ndarray [shape=(n,)]
        Frame times (s) from the container.
    values : np.ndarray [shape=(n,)]
        NaN where not measured.
    valid : np.ndarray [shape=(n,)] of bool

    Unpacks as the three arrays: ``t_s, values, valid = table.series("mouth_corner_left_x_mm")``
    (name and unit stay attributes).
    """

    name: str
    unit: str
    t_s: np.ndarray
    values: np.ndarray
    valid: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if len(self.values) != n or len(self.valid) != n:
            raise ValueError(f"Series {self.name!r}: t_s, values and valid must have the same length")

    def __iter__(self) -> Iterator[np.ndarray]:
        """``t_s``, ``values``, ``valid``: what the README unpacks."""
        return iter((self.t_s, self.values, self.valid))


UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    # rates first: "_mm_per_s" is a speed, not a time
    ("_mm_per_s", "mm/s"), ("_deg_per_s", "deg/s"), ("_px_per_s", "px/s"), ("_per_min", "1/min"), ("_per_s", "1/s"),
    ("_mm", "mm"), ("_deg", "deg"), ("_s", "s"), ("_px", "px"), ("_hz", "Hz"),
)


def unit_of(name: str) -> str:
    """The unit a signal's name ends in (see :data:`UNIT_SUFFIXES`); "1" for a plain number."""
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return "1"


@dataclass
class SignalTable:
    """All per-frame signals of one video on one time base.

    Attributes
    ----------
    t_s : np.ndarray [shape=(n,)]
    valid : np.ndarray [shape=(n,)] of bool
        Frame usable for facial measures (face found, big enough, frontal enough, aligned).
    columns : dict of str to np.ndarray [shape=(n,)]
        Every other column, in insertion order; the unit is in the name.
    """

    t_s: np.ndarray
    valid: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t_s)

    def series(self, name: str) -> Series:
        if name not in self.columns:
            raise KeyError(f"no signal {name!r}; available: {', '.join(self.columns)}")
        v = self.columns[name]
        return Series(name=name, unit=unit_of(name), t_s=self.t_s, values=v, valid=self.valid & np.isfinite(v))

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def to_frame(self):
        """A pandas DataFrame, one row per frame."""
        import pandas as pd  # heavy (~0.3 s): loaded only when a DataFrame is asked for

        return pd.DataFrame({"t_s": self.t_s, "valid": self.valid, **self.columns})

    def write_csv(self, fh) -> None:
        """Write one row per frame to an open text file: measures with 4 decimals (empty: not
        measured), whole-number columns (an episode number) as whole numbers."""
        w = csv.writer(fh)
        names = self.names
        w.writerow(["frame", "t_s", "valid", *names])
        cols = [self.columns[k] for k in names]
        whole = [np.issubdtype(c.dtype, np.integer) for c in cols]
        for i in range(len(self.t_s)):
            row = [i, f"{self.t_s[i]:.6f}", int(bool(self.valid[i]))]
            for c, is_whole in zip(cols, whole):
                x = c[i]
                row.append(str(int(x)) if is_whole else "" if not np.isfinite(x) else f"{x:.4f}")
            w.writerow(row)

    @classmethod
    def read_csv(cls, path) -> "SignalTable":
        """Read back a ``signals.csv`` written by :meth:`write_csv` (empty cells are NaN)."""
        import pandas as pd  # heavy (~0.3 s): loaded only when a CSV is read back

        try:
            df = pd.read_csv(path)
        except (OSError, ValueError) as e:
            raise BadInputError(f"Cannot read the signals file {path}: {e}.",
                                "Give the signals.csv that `smilescope analyze` wrote beside analysis.json.") from e
        return cls._from_frame(df, path)

    @classmethod
    def read_parquet(cls, path) -> "SignalTable":
        """Read back a ``signals.parquet`` written by a batch (:meth:`to_frame`, one row per frame)."""
        import pandas as pd  # heavy (~0.3 s): loaded only when a file is read back

        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError, ImportError) as e:
            raise BadInputError(f"Cannot read the signals file {path}: {e}.",
                                "Give the signals.parquet that `smilescope batch` wrote beside analysis.json.") from e
        return cls._from_frame(df, path)

    @classmethod
    def _from_frame(cls, df, path) -> "SignalTable":
        if "t_s" not in df or "valid" not in df:
            raise BadInputError(f"{path} has no t_s/valid columns; it is not a smilescope signals file.",
                                "Give the signals.csv that `smilescope analyze` wrote (or a batch's signals.parquet).")
        hint = "Give the signals file smilescope wrote beside analysis.json, unedited (or analyse the video again)."
        cols = {}
        for c in df.columns:
            try:
                values = df[c].to_numpy(dtype=float)
            except (TypeError, ValueError):
                bad = next((v for v in df[c] if not _is_number(v)), None)
                raise BadInputError(f"{path}: the column {c!r} holds {str(bad)[:40]!r}, which is not a number.", hint) from None
            cols[c] = values
        t_s = cols.pop("t_s")
        cols.pop("frame", None)
        valid = cols.pop("valid").astype(bool)
        if not (np.isfinite(t_s).all() and (np.diff(t_s) > 0).all()):
            raise BadInputError(f"{path}: its times (t_s) are not finite and increasing from frame to frame.", hint)
        return cls(t_s=t_s, valid=valid, columns=cols)


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


# --- which landmarks each facial signal reads --------------------------------------------

def tracked_landmarks() -> tuple[int, ...]:
    """Every landmark refined by optical flow: the stable set first, then the facial points."""
    facial: list[int] = []
    for side in lm.SIDES:
        facial += [lm.MOUTH_CORNER[side], lm.CHEEK[side], *lm.NASOLABIAL[side], lm.BROW_MID[side],
                   lm.UPPER_LID[side], lm.LOWER_LID[side], lm.EYE_OUTER[side],
                   *(near[side] for near in lm.NEAR.values())]
    facial += [lm.UPPER_LIP_CENTRE, lm.LOWER_LIP_CENTRE]
    out = list(lm.STABLE)
    out += [i for i in facial if i not in out]
    return tuple(out)


FACIAL_SIGNALS: tuple[str, ...] = tuple(
    f"{name}_{side}_{comp}"
    for side in lm.SIDES
    for name, comps in (
        ("mouth_corner", ("x_mm", "y_mm")),
        ("cheek", ("x_mm", "y_mm")),
        ("nasolabial", ("x_mm", "y_mm")),
        ("brow", ("height_mm",)),
        ("palpebral", ("height_mm",)),
        ("upper_lid", ("y_mm",)),
    )
    for comp in comps
) + ("upper_lip_y_mm", "lower_lip_y_mm")

# Each region's second point (``landmarks.NEAR``), for the spatial coherence of a tremor: the
# same components as the region's main point, as displacements from the neutral face.
NEAR_SIGNALS: dict[str, tuple[str, ...]] = {
    "mouth": ("mouth_near_{side}_x_mm", "mouth_near_{side}_y_mm"),
    "cheek": ("cheek_near_{side}_x_mm", "cheek_near_{side}_y_mm"),
    "eye": ("upper_lid_near_{side}_y_mm",),
    "brow": ("brow_near_{side}_y_mm",),
}
FACIAL_SIGNALS += tuple(c.format(side=side) for side in lm.SIDES for cols in NEAR_SIGNALS.values() for c in cols)

# Rigid head motion per frame: position (mm, relative to the reference), roll, scale, yaw, pitch.
HEAD_SIGNALS: tuple[str, ...] = ("head_x_mm", "head_y_mm", "head_roll_deg", "head_scale", "head_yaw_deg", "head_pitch_deg")


def px_name(mm_name: str) -> str:
    """The pixel name of a length signal: ``mouth_corner_left_x_mm`` -> ``mouth_corner_left_x_px``."""
    if not mm_name.endswith("_mm"):
        raise ValueError(f"{mm_name!r} is not a length in mm")
    return mm_name[:-3] + "_px"


FACIAL_SIGNALS_PX: tuple[str, ...] = tuple(px_name(n) for n in FACIAL_SIGNALS)


def to_mm(values_px: dict[str, float], mm_per_px: float) -> dict[str, float]:
    """Lengths named ``*_px`` scaled to ``*_mm``; other values (deg, scale) pass unchanged."""
    return {(k[:-3] + "_mm" if k.endswith("_px") else k): (v * mm_per_px if k.endswith("_px") else v)
            for k, v in values_px.items()}


# Signals that are displacements from the neutral face (the rest are absolute sizes); the
# near points are left out so that they do not change the video's noise floor.
DISPLACEMENT_SIGNALS: tuple[str, ...] = tuple(
    s for s in FACIAL_SIGNALS if s.endswith(("_x_mm", "_y_mm")) and s.startswith(("mouth_corner", "cheek_", "nasolabial"))
    and "_near_" not in s
)


def _signal_plan() -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each facial signal as one linear combination of landmark positions, read along one face axis.

    A signal is ``sign * axis . (sum_j a_j aligned_j - sum_j r_j ref_j)``: a displacement from
    the neutral face (a point, or the mean of a region's points, minus the same in the
    reference), or a distance within this frame (brow above the eye's centre, upper lid above
    the lower). Returns the landmark indices, the weights on this frame's points and on the
    reference points (signals x points), whether each signal reads the lateral axis (else
    the vertical one), its sign, and whether it is an opening that cannot be negative.
    """
    rows: dict[str, tuple[dict[int, float], dict[int, float], bool, float]] = {}

    def disp(name: str, idx: tuple[int, ...], side: str | None, axis: str) -> None:
        w = {i: 1.0 / len(idx) for i in idx}
        # the face frame's x points to the subject's left: lateral is +x on the left, -x on the right
        sign = -1.0 if (axis == "x" and side == "right") else 1.0
        rows[name] = (w, w, axis == "x", sign)

    for side in lm.SIDES:
        for name, idx in (("mouth_corner", (lm.MOUTH_CORNER[side],)), ("cheek", (lm.CHEEK[side],)),
                          ("nasolabial", lm.NASOLABIAL[side])):
            disp(f"{name}_{side}_x_mm", idx, side, "x")
            disp(f"{name}_{side}_y_mm", idx, side, "up")
        rows[f"brow_{side}_height_mm"] = ({lm.BROW_MID[side]: 1.0, lm.EYE_INNER[side]: -0.5, lm.EYE_OUTER[side]: -0.5},
                                          {}, False, 1.0)
        rows[f"palpebral_{side}_height_mm"] = ({lm.UPPER_LID[side]: 1.0, lm.LOWER_LID[side]: -1.0}, {}, False, 1.0)
        disp(f"upper_lid_{side}_y_mm", (lm.UPPER_LID[side],), side, "up")  # lid tremor, twitches, blinks
        for region, cols in NEAR_SIGNALS.items():  # the regions' second points
            for c in cols:
                disp(c.format(side=side), (lm.NEAR[region][side],), side, "x" if c.endswith("_x_mm") else "up")
    # lip centres on the midline: vertical movement only (+ up); smiles raise the upper lip
    disp("upper_lip_y_mm", (lm.UPPER_LIP_CENTRE,), None, "up")
    disp("lower_lip_y_mm", (lm.LOWER_LIP_CENTRE,), None, "up")
    points = tuple(sorted({i for a, r, _, _ in rows.values() for i in (*a, *r)}))
    col = {p: j for j, p in enumerate(points)}
    w_aligned = np.zeros((len(FACIAL_SIGNALS), len(points)))
    w_ref = np.zeros_like(w_aligned)
    for k, name in enumerate(FACIAL_SIGNALS):
        a, r, _, _ = rows[name]
        for i, w in a.items():
            w_aligned[k, col[i]] = w
        for i, w in r.items():
            w_ref[k, col[i]] = w
    lateral = np.array([rows[n][2] for n in FACIAL_SIGNALS])
    sign = np.array([rows[n][3] for n in FACIAL_SIGNALS])
    opening = np.array([n.startswith("palpebral_") for n in FACIAL_SIGNALS])
    return points, w_aligned, w_ref, lateral, sign, opening


_PLAN = _signal_plan()


def facial_signals_px(
    *, aligned_px: dict[int, np.ndarray], ref_px: dict[int, np.ndarray], frame: FaceFrame
) -> dict[str, float]:
    """One frame's facial signals in reference-frame pixels, named ``*_px`` (:data:`FACIAL_SIGNALS_PX`);
    multiply by mm/px for the ``*_mm`` columns.

    Parameters
    ----------
    aligned_px : dict of int to np.ndarray [shape=(2,)]
        Landmark positions of this frame mapped into the reference frame (head motion removed).
    ref_px : dict of int to np.ndarray [shape=(2,)]
        The same landmarks in the reference frame.
    frame : FaceFrame
        Anatomical axes of the reference face.
    """
    points, w_aligned, w_ref, lateral, sign, opening = _PLAN
    a = np.array([aligned_px[i] for i in points], dtype=float)
    r = np.array([ref_px[i] if i in ref_px else (np.nan, np.nan) for i in points], dtype=float)
    used_a, used_r = w_aligned != 0, w_ref != 0
    missing = (used_a @ ~np.isfinite(a).all(axis=1)) | (used_r @ ~np.isfinite(r).all(axis=1))
    d = w_aligned @ np.nan_to_num(a) - w_ref @ np.nan_to_num(r)  # (signals, 2) image-plane vectors
    face = frame.to_face(d)
    v = sign * np.where(lateral, face[:, 0], face[:, 1])
    # a closed eye can put the lid landmarks a hair past each other: the opening is then 0
    v = np.where(opening, np.maximum(v, 0.0), v)
    v[missing] = np.nan
    # keep the declared order; lengths are still pixels here
    return dict(zip(FACIAL_SIGNALS_PX, v.tolist()))


# Each tracked point with its neighbour in the same region (``landmarks.NEAR``): the signal
# components a one-frame tracking jump is checked on.
JUMP_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (main.format(side=side, c=c), near.format(side=side, c=c))
    for side in lm.SIDES
    for main, near, comps in (("mouth_corner_{side}_{c}_mm", "mouth_near_{side}_{c}_mm", "xy"),
                              ("cheek_{side}_{c}_mm", "cheek_near_{side}_{c}_mm", "xy"),
                              ("upper_lid_{side}_{c}_mm", "upper_lid_near_{side}_{c}_mm", "y"))
    for c in comps
)


def mend_tracking_jumps(columns: dict[str, np.ndarray], valid: np.ndarray, floors_mm: dict[str, float], *,
                        min_jump_mm: float = 2.0, k_noise: float = 8.0, near_fraction: float = 1 / 3) -> int:
    """Mend one-frame tracking jumps in place; returns how many point-frames were mended.

    Skin is continuous: a point of the lip, cheek or lid cannot leap several millimetres for a
    single frame and come back while its neighbour in the same region, a few millimetres away
    (``landmarks.NEAR``), stays put. A frame is a jump of a point when its value departs from
    the mean of the two frames around it by at least ``max(min_jump_mm, k_noise x that
    signal's noise floor)`` while the neighbour's same component departs by at most
    ``near_fraction`` of that. (A real twitch of 50-500 ms spans several frames and moves the
    neighbourhood with it; at 30 fps the one-frame departure of a 100 ms, 1.2 mm twitch is
    about 0.6 mm.) The point's components at such frames are replaced by straight-line
    interpolation from the nearest frames that are not jumps.

    Parameters
    ----------
    columns : dict of str to np.ndarray [shape=(n,)]
        The signal table's columns (mm); changed in place.
    valid : np.ndarray [shape=(n,)] of bool
    floors_mm : dict of str to float
        Noise floor of each signal (:func:`noise_floor_mm`).
    """
    n = len(valid)
    if n < 3:
        return 0
    mended = 0
    by_point: dict[str, np.ndarray] = {}
    for main, near in JUMP_PAIRS:
        if main not in columns or near not in columns:
            continue
        a, b = columns[main], columns[near]
        ra = a[1:-1] - (a[:-2] + a[2:]) / 2
        rb = b[1:-1] - (b[:-2] + b[2:]) / 2
        floor = floors_mm.get(main, float("nan"))
        limit = max(min_jump_mm, k_noise * floor) if np.isfinite(floor) else min_jump_mm
        ok = valid[1:-1] & valid[:-2] & valid[2:] & np.isfinite(ra) & np.isfinite(rb)
        size = np.abs(np.nan_to_num(ra))
        peak = size >= np.maximum(np.r_[0.0, size[:-1]], np.r_[size[1:], 0.0])  # not the frames beside a leap
        jump = np.zeros(n, bool)
        jump[1:-1] = ok & peak & (size >= limit) & (np.abs(rb) <= near_fraction * size)
        point = main.rsplit("_", 2)[0]  # e.g. mouth_corner_right: mend both of its components
        by_point[point] = by_point.get(point, np.zeros(n, bool)) | jump
    for point, jump in by_point.items():
        if not jump.any():
            continue
        keep = valid & ~jump
        idx = np.arange(n)
        for name in [k for k in columns if k.startswith(point + "_") and k.endswith("_mm") and "_near_" not in k]:
            v = columns[name]
            good = keep & np.isfinite(v)
            if good.sum() >= 2:
                v[jump] = np.interp(idx[jump], idx[good], v[good])
        mended += int(jump.sum())
    return mended


def noise_floor_mm(values: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Noise floor (mm, 1 sigma) of a signal estimated from the video itself.

    Slow facial movement (a smile rises over ~0.5 s) is nearly linear over three frames, so the
    second difference is dominated by frame-to-frame measurement noise: for white noise of
    standard deviation sigma its standard deviation is sigma * sqrt(6). A median-absolute-
    deviation estimate ignores the few frames where real movement accelerates.

    Parameters
    ----------
    values : np.ndarray [shape=(n,)]
    valid : np.ndarray [shape=(n,)] of bool, optional
    """
    v = np.asarray(values, dtype=float).copy()
    if valid is not None:
        v[~np.asarray(valid, dtype=bool)] = np.nan
    d2 = v[2:] - 2 * v[1:-1] + v[:-2]
    d2 = d2[np.isfinite(d2)]
    if len(d2) < 5:
        return float("nan")
    mad = np.median(np.abs(d2 - np.median(d2)))
    return float(1.4826 * mad / np.sqrt(6))
