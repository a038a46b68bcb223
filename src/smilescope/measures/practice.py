"""Practice repetitions: find each repetition of a smile exercise in the live read-out and score it.

The coach's exercises follow the facial-palsy therapists' advice: small, slow, even movements
at low effort, the eyes kept open. So a repetition is scored on how it was done, never on its
size: left/right **balance**, **timing** (was the hold held), **steadiness** (no shaking from
effort) and **eye closure** while smiling (synkinesis, which forcing makes worse). A strain
warning says when a repetition looks forced.

Input is a stream of per-frame values (seconds and millimetres, sides the person's own) from
:class:`smilescope.pipeline.live.LiveMeasures`; :class:`RepCounter` takes them one frame at a
time and hands back each repetition as it ends. Pure: no clock, no screen.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from smilescope.landmarks import SIDES
from smilescope.measures.expressivity import brief_closures
from smilescope.timebase import frame_interval_s

# A repetition starts when the corners' mean excursion passes this: about three times the
# frame-to-frame noise of a webcam face at arm's length (0.2-0.4 mm), so jitter never starts
# one, while the 1 mm a recovering corner first regains is counted.
START_MM = 1.0
# ... and ends when the excursion has fallen back under half of that, or under a quarter of the
# repetition's own peak (most of the way back to rest: a broad smile's relaxation is not held up
# by a millimetre of webcam jitter), for this long (hysteresis: a wobble at the top of a small
# smile does not split it in two).
END_FRACTION = 0.5
RETURN_FRACTION = 0.25
END_HOLD_S = 0.2
# The hold: frames at or above this share of the repetition's peak.
HOLD_FRACTION = 0.7
# Shorter movements are not an exercise repetition (a twitch, a swallow).
MIN_REP_S = 0.4
# Steadiness (tremor-band amplitude, mm) that is plainly effort: physiological tremor of a
# relaxed face is well under 0.2 mm at this scale; 0.6 mm is visible shaking.
STEADY_GOOD_MM, STEADY_BAD_MM = 0.2, 0.6
# Eye narrowing while smiling (share of the relaxed eye opening): a relaxed smile narrows the eye
# a little (the cheek rises, up to ~10 %); beyond 40 % the eye is closing with the mouth.
NARROW_GOOD, NARROW_BAD = 0.10, 0.40
# A repetition is "forced" when it shakes or closes the eye beyond the bad ends above.

# Gentle eye closure. A repetition starts when the eyes are 30 % closed (their mean share of the
# relaxed opening lost) and lasts at least MIN_REP_S, so a spontaneous blink (0.1-0.4 s) is not
# one. Scored on completeness (an eye that does not close is what a weak orbicularis oculi
# shows: 90 % closed is full marks, 50 % none), balance between the eyes, timing, and a still
# mouth: the mouth corners pulling with the eyes is oral synkinesis (1 mm is within what a
# relaxed face shows, 3 mm is a visible pull).
EYE_START = 0.3
EYE_END = 0.15
CLOSED_GOOD, CLOSED_BAD = 0.9, 0.5
MOUTH_GOOD_MM, MOUTH_BAD_MM = 1.0, 3.0
EYE_REST_S = 1 / 3  # open eyes seen this long before the first closure give each eye's relaxed opening (10 frames at 30 fps)

# The other exercises: each side's movement from the relaxed face (mm, + in the exercise's
# direction), from the live read-out's ``movement_mm``; a repetition starts at START_MM like a
# smile's and is scored the same way (balance, timing, steadiness, eyes kept open).
SIDED_MOVEMENTS: dict[str, tuple[str, str, float]] = {  # kind -> (column pattern, words, sign)
    "brow_raise": ("brow_{side}_height_mm", "brow raise", 1.0),  # the brow lifts
    "pucker": ("mouth_corner_{side}_x_mm", "pucker", -1.0),  # the corners move in, towards the midline
    "snarl": ("nasolabial_{side}_y_mm", "snarl", 1.0),  # the upper lip and the side of the nose lift
    "cheek_puff": ("cheek_{side}_x_mm", "cheek puff", 1.0),  # the cheeks move out
}
KINDS = ("smile", "eye_closure", *SIDED_MOVEMENTS)


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to do, for how long, how many times."""

    key: str
    title: str
    instructions: str
    hold_s: float
    reps: int
    measured: str  # what the live read-out follows: a RepCounter kind, or "baseline" / "steadiness"

    def to_dict(self) -> dict:
        return asdict(self)


EXERCISES: tuple[Exercise, ...] = (
    Exercise("baseline", "Relaxed face", "Let your face go soft: lips together, jaw loose, eyes open. Hold still while your baseline is taken.", 1.0, 1, "baseline"),
    Exercise("rest_awareness", "Notice your resting face", "Close your lips gently, let your cheeks and forehead soften, and notice where you hold tension.", 10.0, 1, "steadiness"),
    Exercise("micro_smile", "Micro-smile", "A very small smile, just the corners of the mouth, even on both sides. Hold it softly, then let go.", 3.0, 5, "smile"),
    Exercise("smile_hold", "Gentle smile hold", "A gentle, closed-lip smile at low effort. Keep your eyes open and soft. Hold, then relax fully.", 7.0, 3, "smile"),
    Exercise("brow_raise", "Brow raise", "Lift both eyebrows gently, as if surprised, then relax.", 3.0, 3, "brow_raise"),
    Exercise("eye_closure", "Gentle eye closure", "Close your eyes slowly and gently, as if falling asleep; no squeezing. Open slowly.", 3.0, 3, "eye_closure"),
    Exercise("cheek_puff", "Cheek puff", "Lips together, fill your cheeks with air gently, hold, release.", 3.0, 3, "cheek_puff"),
    Exercise("pucker", "Pucker", "Push your lips forward into a small kiss, slowly, then relax.", 3.0, 3, "pucker"),
    Exercise("snarl", "Snarl", "Wrinkle your nose and lift your upper lip a little, then relax.", 3.0, 3, "snarl"),
)
BY_KEY = {e.key: e for e in EXERCISES}


@dataclass(frozen=True)
class Rep:
    """One finished repetition, its measures and its 0-100 scores (higher is better)."""

    start_s: float
    end_s: float
    hold_s: float
    peak_mm: dict[str, float]
    hold_mm: dict[str, float]
    balance: float  # weaker side's hold excursion over the stronger's (1 = even)
    steadiness_mm: float | None
    eye_narrowing: dict[str, float | None]  # share of the relaxed eye opening lost during the hold
    scores: dict[str, int]
    score: int
    forced: bool
    advice: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: a value that could not be measured is None, never NaN."""
        return _finite(asdict(self))


def _finite(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def _scale(value: float, good: float, bad: float) -> float:
    """1 at or better than ``good``, 0 at or worse than ``bad``, linear between."""
    if not math.isfinite(value):
        return float("nan")
    return float(np.clip((bad - value) / (bad - good), 0.0, 1.0))


def _hold(t_s: np.ndarray, per_side: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """The hold of a repetition: the frames where the sides' mean movement is at least
    HOLD_FRACTION of its peak, and how long they span (s, one frame interval included)."""
    move = np.nanmean(np.stack([per_side[s] for s in SIDES]), axis=0)
    hold = move >= HOLD_FRACTION * float(np.nanmax(move))
    idx = np.flatnonzero(hold)
    dt = frame_interval_s(t_s, default_s=0.0)
    return hold, (float(t_s[idx[-1]] - t_s[idx[0]] + dt) if len(idx) else 0.0)


def score_rep(t_s: np.ndarray, excursion_mm: dict[str, np.ndarray], eye_mm: dict[str, np.ndarray],
              steadiness_mm: np.ndarray, *, eye_rest_mm: dict[str, float], target_hold_s: float,
              movement: str = "smile") -> Rep:
    """Score one repetition from its frames (arrays over the repetition, in time order):
    ``excursion_mm`` is each side's movement of the exercise (for a smile, the corners')."""
    hold, hold_s = _hold(t_s, excursion_mm)
    hold_mm = {s: float(np.nanmedian(excursion_mm[s][hold])) for s in SIDES}
    peak_mm = {s: float(np.nanmax(excursion_mm[s])) for s in SIDES}
    strong = max(hold_mm.values())
    # a side pulled the wrong way (a palsied side dragged by the other) moved nothing of the
    # exercise: balance 0, not below (it read -38 for a brow raise whose left brow fell 1.5 mm)
    balance = float(max(0.0, min(hold_mm.values())) / strong) if strong > 0 else float("nan")
    steady = steadiness_mm[hold]
    steady_mm = float(np.nanmedian(steady)) if np.isfinite(steady).any() else None
    narrowing: dict[str, float | None] = {}
    # a blink during the hold is not the smile closing the eye: over a brief hold (0.3 s held,
    # a beginner's micro-smile) a 0.3 s blink covered most of the held frames and read as 48 %
    # narrowing, "forced"; both eyes shut for longer than a blink (a squeeze) still count
    blink = brief_closures(t_s, eye_mm, eye_rest_mm)
    for s in SIDES:
        rest = eye_rest_mm.get(s, float("nan"))
        e = eye_mm[s][hold & ~blink]
        narrowing[s] = float(1.0 - np.nanmedian(e) / rest) if rest and math.isfinite(rest) and np.isfinite(e).any() else None
    worst_narrowing = max((n for n in narrowing.values() if n is not None), default=float("nan"))
    scores_f = {
        "balance": balance,
        "timing": min(1.0, hold_s / target_hold_s) if target_hold_s > 0 else float("nan"),
        "steadiness": _scale(steady_mm if steady_mm is not None else float("nan"), STEADY_GOOD_MM, STEADY_BAD_MM),
        "eyes": _scale(worst_narrowing, NARROW_GOOD, NARROW_BAD),
    }
    scores = {k: int(round(100 * v)) for k, v in scores_f.items() if math.isfinite(v)}
    forced = (steady_mm is not None and steady_mm >= STEADY_BAD_MM) or (math.isfinite(worst_narrowing) and worst_narrowing >= NARROW_BAD)
    advice = []
    if forced:
        advice.append(f"That looked forced: try a smaller, softer {movement}. Effort makes shaking and eye closing worse.")
    elif scores.get("eyes", 100) < 50:
        advice.append(f"Keep your eyes open and soft during the {movement}.")
    if scores.get("timing", 100) < 70:
        advice.append(f"Try to hold it gently for {target_hold_s:g} s.")
    return Rep(start_s=float(t_s[0]), end_s=float(t_s[-1]), hold_s=round(hold_s, 2), peak_mm=peak_mm, hold_mm=hold_mm,
               balance=round(balance, 3) if math.isfinite(balance) else float("nan"), steadiness_mm=steady_mm,
               eye_narrowing=narrowing, scores=scores,
               score=int(round(np.mean(list(scores.values())))) if scores else 0, forced=forced, advice=advice)


def score_eye_rep(t_s: np.ndarray, excursion_mm: dict[str, np.ndarray], eye_mm: dict[str, np.ndarray],
                  steadiness_mm: np.ndarray, *, eye_rest_mm: dict[str, float], target_hold_s: float) -> Rep:
    """Score one gentle eye closure from its frames (see the constants above)."""
    closure = {s: 1.0 - eye_mm[s] / eye_rest_mm[s] for s in SIDES}
    hold, hold_s = _hold(t_s, closure)
    closed = {s: float(np.clip(np.nanmedian(closure[s][hold]), 0.0, 1.0)) for s in SIDES}
    mouth = {s: float(np.nanmedian(np.abs(excursion_mm[s][hold]))) for s in SIDES}
    strong = max(closed.values())
    balance = float(min(closed.values()) / strong) if strong > 0 else float("nan")
    steady = steadiness_mm[hold]
    steady_mm = float(np.nanmedian(steady)) if np.isfinite(steady).any() else None
    worst_mouth = max(mouth.values())
    scores_f = {
        "closure": _scale(1.0 - min(closed.values()), 1.0 - CLOSED_GOOD, 1.0 - CLOSED_BAD),
        "balance": balance,
        "timing": min(1.0, hold_s / target_hold_s) if target_hold_s > 0 else float("nan"),
        "mouth_still": _scale(worst_mouth, MOUTH_GOOD_MM, MOUTH_BAD_MM),
    }
    scores = {k: int(round(100 * v)) for k, v in scores_f.items() if math.isfinite(v)}
    forced = worst_mouth >= MOUTH_BAD_MM
    advice = []
    if forced:
        advice.append("Your mouth pulled as your eyes closed: close them more slowly and softly, mouth relaxed.")
    if scores.get("closure", 100) < 50:
        weak = min(closed, key=closed.get)
        advice.append(f"Your {weak} eye did not close fully: close slowly and let the lids meet, without squeezing.")
    if scores.get("timing", 100) < 70:
        advice.append(f"Try to keep them closed gently for {target_hold_s:g} s.")
    return Rep(start_s=float(t_s[0]), end_s=float(t_s[-1]), hold_s=round(hold_s, 2),
               peak_mm={s: float(np.nanmax(np.abs(excursion_mm[s]))) for s in SIDES}, hold_mm=mouth,
               balance=round(balance, 3) if math.isfinite(balance) else float("nan"), steadiness_mm=steady_mm,
               eye_narrowing=closed, scores=scores,
               score=int(round(np.mean(list(scores.values())))) if scores else 0, forced=forced, advice=advice)


class RepCounter:
    """Finds repetitions of an exercise in a stream of frames and scores each as it ends.

    Parameters
    ----------
    target_hold_s : float
        How long the exercise asks to hold (the timing score's full mark).
    eye_rest_mm : dict, optional
        Each eye's relaxed opening (mm); default: the median over the frames before the first
        repetition.
    kind : one of :data:`KINDS`
        A smile follows the mouth corners' excursion (mm); a gentle eye closure follows how much
        of their relaxed opening the eyes have lost (for an eye closure, ``hold_mm`` is the
        mouth's movement meanwhile and ``eye_narrowing`` each eye's closure); the others follow
        each side's movement named in :data:`SIDED_MOVEMENTS` (``movement_mm`` of
        :meth:`push`).
    """

    def __init__(self, *, target_hold_s: float, eye_rest_mm: dict[str, float] | None = None, kind: str = "smile") -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self.kind = kind
        self.target_hold_s = float(target_hold_s)
        self._eye_rest = dict(eye_rest_mm) if eye_rest_mm else None
        self._before: list[dict[str, float]] = []
        self._before_from_s: float | None = None  # when the eyes were first seen, for the relaxed opening
        self._frames: list[tuple[float, dict[str, float], dict[str, float], float]] = []
        self._below_since: float | None = None
        self._peak = 0.0
        self.reps: list[Rep] = []

    @property
    def in_rep(self) -> bool:
        return bool(self._frames)

    def push(self, t_s: float, excursion_mm: dict[str, float | None], eye_mm: dict[str, float | None],
             steadiness_mm: float | None, movement_mm: dict[str, float | None] | None = None) -> Rep | None:
        """One frame's read-out; returns the repetition that this frame ended, if any."""
        if self.kind in SIDED_MOVEMENTS:
            pattern, _, sign = SIDED_MOVEMENTS[self.kind]
            got = {s: (movement_mm or {}).get(pattern.format(side=s)) for s in SIDES}
            excursion_mm = {s: None if v is None else sign * v for s, v in got.items()}
        exc = {s: excursion_mm.get(s) for s in SIDES}
        if any(v is None or not math.isfinite(v) for v in exc.values()):
            return None  # not measured (no baseline, no face): neither starts nor ends a repetition
        eye = {s: (eye_mm.get(s) if eye_mm.get(s) is not None else float("nan")) for s in SIDES}
        steady = steadiness_mm if steadiness_mm is not None else float("nan")
        if self.kind != "eye_closure":
            move, start, end = float(np.mean(list(exc.values()))), START_MM, END_FRACTION * START_MM
        else:
            if self._eye_rest is None and not self._frames:
                if self._before_from_s is None:
                    self._before_from_s = t_s
                if t_s - self._before_from_s < EYE_REST_S or not self._before:
                    self._before.append(eye)
                    return None
                self._eye_rest = {s: float(np.nanmedian([e[s] for e in self._before])) for s in SIDES}
            move = float(np.nanmean([1.0 - eye[s] / self._eye_rest[s] for s in SIDES]))
            start, end = EYE_START, EYE_END
        if not self._frames:
            if move >= start:
                self._frames.append((t_s, exc, eye, steady))
                self._peak = move
            else:
                self._before.append(eye)
            return None
        self._frames.append((t_s, exc, eye, steady))
        self._peak = max(self._peak, move)
        if move >= max(end, RETURN_FRACTION * self._peak):
            self._below_since = None
            return None
        if self._below_since is None:
            self._below_since = t_s
        if t_s - self._below_since < END_HOLD_S:
            return None
        frames, ended_at, self._frames, self._below_since = self._frames, self._below_since, [], None
        if ended_at - frames[0][0] < MIN_REP_S:  # how long it lasted before relaxing began
            return None
        if self._eye_rest is None:
            self._eye_rest = {s: float(np.nanmedian([e[s] for e in self._before])) if self._before else float("nan")
                              for s in SIDES}
        t = np.array([f[0] for f in frames])
        score = score_eye_rep if self.kind == "eye_closure" else functools.partial(
            score_rep, movement=SIDED_MOVEMENTS[self.kind][1] if self.kind in SIDED_MOVEMENTS else "smile")
        rep = score(t, {s: np.array([f[1][s] for f in frames]) for s in SIDES},
                        {s: np.array([f[2][s] for f in frames]) for s in SIDES}, np.array([f[3] for f in frames]),
                        eye_rest_mm=self._eye_rest, target_hold_s=self.target_hold_s)
        self.reps.append(rep)
        return rep


# A daily plan of 5-10 minutes, in the order the first article and facial-palsy therapists give:
# notice the resting face, then small movements growing longer, gentle holds, the other
# movements at low effort. (exercise key, repetitions)
DAILY_PLAN: tuple[tuple[str, int], ...] = (
    ("baseline", 1), ("rest_awareness", 1), ("micro_smile", 10), ("smile_hold", 5),
    ("eye_closure", 5), ("brow_raise", 5), ("pucker", 5), ("cheek_puff", 3),
)


def plan_minutes(plan: tuple[tuple[str, int], ...] = DAILY_PLAN, *, rest_between_s: float = 5.0) -> float:
    """How long a plan takes (min): each repetition's hold, a relaxed pause after each, and the
    countdown of 3 s before each exercise."""
    total = sum(BY_KEY[k].hold_s * n + rest_between_s * n + 3.0 for k, n in plan)
    return total / 60.0


def streak_days(days: list, today) -> int:
    """Consecutive days with practice, ending today (or yesterday: today's may still come)."""
    have = set(days)
    day = today if today in have else today.fromordinal(today.toordinal() - 1)
    n = 0
    while day in have:
        n += 1
        day = day.fromordinal(day.toordinal() - 1)
    return n


def weekly_progress(reps: list[dict]) -> list[dict]:
    """Practice by ISO week and exercise, against the person's own first week.

    ``reps``: repetitions with ``day`` (a date), ``exercise``, ``hold_mm`` {right, left},
    ``balance`` and ``score``. Returns one row per (week, exercise) in time order: how many
    repetitions, the medians, and the change in each side's hold (mm) and in balance since that
    exercise's first week (the person's own reference, never a norm).
    """
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in reps:
        y, w, _ = r["day"].isocalendar()
        groups.setdefault((f"{y}-W{w:02d}", r["exercise"]), []).append(r)

    def med(rows, get):
        vals = [v for v in (get(r) for r in rows) if v is not None and math.isfinite(v)]
        return float(np.median(vals)) if vals else None

    first: dict[str, dict] = {}
    out = []
    for (week, ex), rows in sorted(groups.items()):
        row = {"week": week, "exercise": ex, "reps": len(rows),
               "hold_mm": {s: med(rows, lambda r, s=s: (r.get("hold_mm") or {}).get(s)) for s in SIDES},
               "balance": med(rows, lambda r: r.get("balance")), "score": med(rows, lambda r: r.get("score"))}
        base = first.setdefault(ex, row)
        row["change_since_first_week"] = {
            "hold_mm": {s: (None if row["hold_mm"][s] is None or base["hold_mm"][s] is None
                            else round(row["hold_mm"][s] - base["hold_mm"][s], 2)) for s in SIDES},
            "balance": None if row["balance"] is None or base["balance"] is None else round(row["balance"] - base["balance"], 3),
        }
        out.append(row)
    return out


# Micro-smiles start at 3 s and grow with progress (the first article: "micro-smiles of a few
# seconds that grow longer"): each day on which every micro-smile held its full time (timing
# 100) adds a second, up to the 10 s of a gentle smile hold; a day with a short hold adds none.
MICRO_SMILE_START_S, MICRO_SMILE_MAX_S, MICRO_SMILE_STEP_S = 3.0, 10.0, 1.0


def micro_smile_hold_s(reps: list[dict]) -> float:
    """Today's micro-smile hold (s) from the stored micro-smile repetitions (``day`` and ``scores``)."""
    days: dict = {}
    for r in reps:
        days.setdefault(r["day"], []).append((r.get("scores") or {}).get("timing"))
    full_days = sum(1 for timings in days.values() if timings and all(t is not None and t >= 100 for t in timings))
    return min(MICRO_SMILE_MAX_S, MICRO_SMILE_START_S + MICRO_SMILE_STEP_S * full_days)
