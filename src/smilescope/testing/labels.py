"""Labels of real videos made by eye, and the scoring of an analysis against them.

The labels (``../shared/data/labels/*.json``, one file per video) and the scoring rules are
defined in that folder's ``README.md``; this module reads the files (validated at the
boundary: a malformed file is a :class:`~smilescope.errors.BadInputError` that names the file
and the places that are wrong) and scores a typed :class:`~smilescope.results.Analysis`
against them. Everything here is pure: no video is read, nothing is written
(``benchmarks/real_labels.py`` does both).

The rules, as implemented (all times in seconds)
------------------------------------------------
* Two intervals **match** when they overlap, allowing :data:`MATCH_ALLOWANCE_S` (0.25 s) at
  either end: ``a.start <= b.end + allowance and b.start <= a.end + allowance``. An episode
  whose start or end is missing stands on its apex; one with no time at all matches nothing.
  Matching is not one-to-one: one episode may match two labelled smiles and the reverse.
* **Smile recall**: labelled smiles of high or medium confidence matched by at least one
  reported episode, over all such smiles. A video that the analysis refused reports nothing,
  so its smiles are missed.
* **Smile precision**: reported episodes that match any labelled smile (any confidence),
  over all reported episodes.
* **Side**: a labelled smile *names a weaker side* when ``sides`` is left/right (the other
  corner is the weaker) or, for a two-sided smile, ``dominant`` is left/right (the other side
  is the weaker). Matching for sides uses :data:`SIDE_ALLOWANCE_S` (0.1 s). Episodes marked
  not comparable (``head_turned``) take no part in the side rules.

  - *Side eligible*: labelled smiles of high or medium confidence that name a weaker side,
    except those matched (0.1 s) only by not-comparable episodes (counted apart as
    ``side_not_comparable``). A missed smile stays eligible and is not right.
  - *Side right*: the comparable episode that matches the smile best (largest overlap, then
    nearest apex) reports the labelled weaker side.
  - *Wrong side*: each comparable episode that reports a weaker side is paired with the
    labelled smile it matches best (0.1 s). It is wrong when that smile names the opposite
    weaker side (any confidence), when that smile is high-confidence symmetric (``sides``
    both, ``dominant`` none), or when the episode matches no labelled smile at all (the
    0.25 s rule of precision). An episode within 0.25 s but not 0.1 s of a smile is not
    counted either way.
* **Alarm flags**: flags with an id in :data:`ALARM_FLAGS` on a video labelled
  ``visible_shaking: false`` (each flag counts once).
* **Twitches per minute**: reported twitches over the total duration of the analysed videos
  labelled with no twitch (``twitches`` empty), times 60. The duration is the analysis's
  (``video.duration_s``; the label's when it has none). Refused videos and analyses without a
  twitch block measured nothing and are left out.
* **Implausible values**: each side's smile excursion above :data:`MAX_EXCURSION_MM` (30 mm)
  counts one, each twitch above :data:`MAX_TWITCH_MM` (15 mm) one.
* **Blink recall**: labelled blinks with a reported blink or wink within
  :data:`BLINK_ALLOWANCE_S` (0.3 s), over all labelled blinks. A reported event spans
  ``t_s`` (its start) to ``t_s + duration_s``; the distance is from the labelled time to that
  span (0 inside it). Labelled winks are not scored.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Iterable, Literal

import pydantic

from smilescope.errors import BadInputError
from smilescope.measures.smile import Episode
from smilescope.results import Analysis

MATCH_ALLOWANCE_S = 0.25  # smiles: overlap allowing this much at either end
SIDE_ALLOWANCE_S = 0.1  # sides: the episode that matches a smile this closely
BLINK_ALLOWANCE_S = 0.3  # a reported blink or wink this close to a labelled blink
MAX_EXCURSION_MM = 30.0  # a smile excursion above this is implausible
MAX_TWITCH_MM = 15.0  # a twitch above this is implausible
TIME_SLACK_S = 0.1  # label times may pass the file's end by this much (they are good to ~0.1 s)
RECALLED_CONFIDENCE = ("high", "medium")
ALARM_FLAGS = ("one_sided_shaking", "shaking_at_rest", "eye_to_mouth_spread", "synkinesis", "head_tremor")

# The targets (issue 11): figure -> (comparison, value); see :func:`meets_targets`.
TARGETS: dict[str, tuple[str, float]] = {
    "smile_recall": (">=", 0.85),
    "smile_precision": (">=", 0.85),
    "wrong_side": ("<=", 0),
    "alarm_flags": ("<=", 0),
    "twitches_per_min": ("<=", 2.0),
    "implausible": ("<=", 0),
    "blink_recall": (">=", 0.85),
}

# --- the label files ----------------------------------------------------------------------

_Num = Annotated[float, pydantic.Strict()]  # JSON numbers only (an int is a float); no "1.5"
_Str = Annotated[str, pydantic.Strict()]
_FORBID = pydantic.ConfigDict(extra="forbid")  # a misspelt field is an error, not a silent default


@dataclass(frozen=True)
class LabelledSmile:
    """One smile seen by eye; ``sides``/``dominant`` are the person's own."""

    __pydantic_config__ = _FORBID

    start_s: _Num
    end_s: _Num
    apex_s: _Num
    sides: Literal["both", "left", "right"]  # which corners visibly pull up and out
    dominant: Literal["none", "left", "right"]  # for a two-sided smile, the side that moves clearly more
    mouth: Literal["closed", "open", "teeth"]
    confidence: Literal["high", "medium", "low"]

    @property
    def weaker_side(self) -> str:
        """The side the label implies is weaker: ``left``/``right``, or ``none``."""
        strong = self.sides if self.sides != "both" else self.dominant
        return {"left": "right", "right": "left"}.get(strong, "none")

    @property
    def symmetric(self) -> bool:
        return self.sides == "both" and self.dominant == "none"


@dataclass(frozen=True)
class NotSmile:
    """An expression that stretches the lips but is not a smile."""

    __pydantic_config__ = _FORBID

    start_s: _Num
    end_s: _Num
    what: _Str


@dataclass(frozen=True)
class Wink:
    """One eye closing alone."""

    __pydantic_config__ = _FORBID

    t_s: _Num
    side: Literal["left", "right"]


@dataclass(frozen=True)
class VideoLabels:
    """The labels of one video (one file of ``../shared/data/labels``); times in seconds."""

    __pydantic_config__ = _FORBID

    video: _Str  # relative to the data set's videos/ folder
    duration_s: _Num
    how: _Str
    rest: list[tuple[_Num, _Num]]
    smiles: list[LabelledSmile]
    not_smiles: list[NotSmile]
    talking: list[tuple[_Num, _Num]]
    blinks: list[_Num]
    winks: list[Wink]
    eye_closures: list[tuple[_Num, _Num]]
    head_turns: list[tuple[_Num, _Num, _Str]]
    visible_shaking: Annotated[bool, pydantic.Strict()]
    twitches: list[_Num]
    notes: _Str
    name: str = ""  # the file's stem; set by the loader, not in the file

    @property
    def recalled_smiles(self) -> list[LabelledSmile]:
        """Smiles of high or medium confidence: those smile recall counts."""
        return [s for s in self.smiles if s.confidence in RECALLED_CONFIDENCE]


_OTHER_SIDE = {"left": "right", "right": "left"}


def mirrored(labels: VideoLabels) -> VideoLabels:
    """The labels of the same video mirrored left-right (a selfie app's copy): every side swapped."""
    def swap(side):
        return _OTHER_SIDE.get(side, side)  # "both" and "none" stay

    return dataclasses.replace(
        labels,
        smiles=[dataclasses.replace(s, sides=swap(s.sides), dominant=swap(s.dominant)) for s in labels.smiles],
        winks=[dataclasses.replace(w, side=swap(w.side)) for w in labels.winks])


@functools.cache
def _labels_adapter() -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(VideoLabels)


def _time_problems(lab: VideoLabels) -> list[str]:
    """Times out of order or outside the video (pydantic checks only the types)."""
    end = lab.duration_s + TIME_SLACK_S
    out = [] if lab.duration_s > 0 else [f"duration_s: expected a positive number, got {lab.duration_s}"]

    def span(where: str, a: float, b: float) -> None:
        if not (0 <= a <= b <= end):
            out.append(f"{where}: expected 0 <= start <= end <= duration_s ({lab.duration_s}), got [{a}, {b}]")

    def at(where: str, t: float) -> None:
        if not (0 <= t <= end):
            out.append(f"{where}: expected a time in [0, duration_s ({lab.duration_s})], got {t}")

    for i, s in enumerate(lab.smiles):
        span(f"smiles.{i}", s.start_s, s.end_s)
        if not (s.start_s <= s.apex_s <= s.end_s):
            out.append(f"smiles.{i}: apex_s {s.apex_s} is outside [start_s, end_s] = [{s.start_s}, {s.end_s}]")
        if s.sides != "both" and s.dominant not in ("none", s.sides):
            out.append(f"smiles.{i}: sides {s.sides!r} contradicts dominant {s.dominant!r}")
    for i, n in enumerate(lab.not_smiles):
        span(f"not_smiles.{i}", n.start_s, n.end_s)
    for key in ("rest", "talking", "eye_closures", "head_turns"):
        for i, iv in enumerate(getattr(lab, key)):
            span(f"{key}.{i}", iv[0], iv[1])
    for i, t in enumerate(lab.blinks):
        at(f"blinks.{i}", t)
    for i, w in enumerate(lab.winks):
        at(f"winks.{i}", w.t_s)
    for i, t in enumerate(lab.twitches):
        at(f"twitches.{i}", t)
    if lab.twitches and not lab.visible_shaking:
        out.append("twitches: twitches are listed but visible_shaking is false")
    return out


def labels_from_dict(doc: object, *, name: str = "", source: str = "the labels") -> VideoLabels:
    """Validate one label document (the parsed JSON of one file).

    Parameters
    ----------
    doc : object
        The parsed JSON.
    name : str
        The video's short name (the file's stem, e.g. ``liveportrait_d0``).
    source : str
        What to call the document in an error message (the file's path).

    Raises
    ------
    BadInputError
        Not an object with exactly the README's fields, a field of the wrong type or value, or
        times out of order; the message names the first places that are wrong.
    """
    if not isinstance(doc, dict):
        raise BadInputError(f"{source} is not a label file: expected a JSON object, got {type(doc).__name__}.",
                            "See ../shared/data/labels/README.md for the fields.")
    try:
        lab = _labels_adapter().validate_python({**doc, "name": name})
    except pydantic.ValidationError as e:
        where = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5])
        raise BadInputError(f"{source} is not a valid label file ({_problems(e.error_count())}: {where}).",
                            "See ../shared/data/labels/README.md for the fields.") from None
    problems = _time_problems(lab)
    if problems:
        raise BadInputError(f"{source} is not a valid label file ({_problems(len(problems))}: {'; '.join(problems[:5])}).",
                            "See ../shared/data/labels/README.md for the fields.")
    return lab


def _problems(n: int) -> str:
    return f"{n} problem{'s' * (n != 1)}"


def load_labels(path: str | Path) -> VideoLabels:
    """Read and validate one label file; its stem becomes :attr:`VideoLabels.name`.

    Raises
    ------
    BadInputError
        The file cannot be read, is not JSON, or is not a valid label file.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInputError(f"Cannot read the label file {path}: {e.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInputError(f"{path} is not valid JSON ({e}).", "Fix or re-export the label file.") from None
    return labels_from_dict(doc, name=path.stem, source=str(path))


def load_label_dir(folder: str | Path) -> list[VideoLabels]:
    """Every ``*.json`` label file in ``folder``, sorted by name."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise BadInputError(f"No label files (*.json) in {folder}.", "Give the folder ../shared/data/labels.")
    return [load_labels(f) for f in files]


# --- matching -----------------------------------------------------------------------------


def intervals_match(a: tuple[float, float], b: tuple[float, float], *, allowance_s: float = MATCH_ALLOWANCE_S) -> bool:
    """Whether ``a = (start_s, end_s)`` and ``b`` overlap, allowing ``allowance_s`` at either end."""
    return a[0] <= b[1] + allowance_s and b[0] <= a[1] + allowance_s


def episode_span(ep: Episode) -> tuple[float, float] | None:
    """An episode's ``(start_s, end_s)``; a missing end stands on the apex; None without any time."""
    def ok(x):
        return x is not None and math.isfinite(x)

    times = [t if ok(t) else None for t in (ep.start_s, ep.apex_s, ep.end_s)]
    start = next((t for t in times if t is not None), None)
    end = next((t for t in reversed(times) if t is not None), None)
    return None if start is None else (start, end)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Length of the overlap (negative: the gap between them)."""
    return min(a[1], b[1]) - max(a[0], b[0])


def _best(candidates: list, span, target: tuple[float, float], apex: float | None):
    """The candidate whose span overlaps ``target`` most (ties: apex nearest ``apex``)."""
    def key(c):
        ap = getattr(c, "apex_s", None)
        far = abs(ap - apex) if ap is not None and apex is not None and math.isfinite(ap) else math.inf
        return (-_overlap(span(c), target), far)

    return min(candidates, key=key) if candidates else None


# --- scores -------------------------------------------------------------------------------


def _ratio(n: float, d: float) -> float | None:
    return n / d if d > 0 else None


class _Ratios:
    """The ratios of a score's counts (None where the denominator is 0), for one video or all."""

    @property
    def smile_recall(self) -> float | None:
        return _ratio(self.smiles_recalled, self.smiles_labelled)

    @property
    def smile_precision(self) -> float | None:
        return _ratio(self.episodes_matched, self.episodes)

    @property
    def twitches_per_min(self) -> float | None:
        return _ratio(self.twitches, self.twitch_minutes)

    @property
    def blink_recall(self) -> float | None:
        return _ratio(self.blinks_recalled, self.blinks_labelled)


@dataclass(frozen=True)
class VideoScore(_Ratios):
    """One video scored against its labels (counts; the rates are properties).

    ``refused`` holds the analysis's message when it refused the video (nothing was reported;
    the labelled smiles and blinks count as missed). ``details`` says in words what was missed
    or wrong, for reading beside the table.
    """

    name: str
    refused: str | None
    duration_s: float | None  # the analysis's (the label's when it has none)
    smiles_labelled: int  # high + medium confidence
    smiles_recalled: int
    episodes: int
    episodes_matched: int  # match any labelled smile
    side_eligible: int
    side_right: int
    side_not_comparable: int  # labelled side smiles matched only by head-turned episodes
    wrong_side: int
    alarm_flags: int
    twitches: int
    twitch_minutes: float  # time over which the twitches count (0: not counted)
    implausible: int
    blinks_labelled: int
    blinks_recalled: int
    blinks_reported: int  # blink and wink events reported
    details: tuple[str, ...] = ()

    @property
    def analysed(self) -> bool:
        return self.refused is None



def score_video(labels: VideoLabels, analysis: Analysis | BadInputError) -> VideoScore:
    """Score one analysis against its video's labels by the README's rules (module docstring).

    Parameters
    ----------
    labels : VideoLabels
        From :func:`load_labels`.
    analysis : Analysis or BadInputError
        A fresh ``smilescope.analyze(path)``, one read back with ``Analysis.from_dict``, or the
        error with which the analysis refused the video (scored as not analysed).
    """
    recalled = labels.recalled_smiles
    if isinstance(analysis, BadInputError):
        return VideoScore(
            name=labels.name, refused=str(analysis), duration_s=labels.duration_s,
            smiles_labelled=len(recalled), smiles_recalled=0, episodes=0, episodes_matched=0,
            side_eligible=sum(s.weaker_side != "none" for s in recalled), side_right=0, side_not_comparable=0,
            wrong_side=0, alarm_flags=0, twitches=0, twitch_minutes=0.0, implausible=0,
            blinks_labelled=len(labels.blinks), blinks_recalled=0, blinks_reported=0,
            details=(f"not analysed: {analysis}",))
    if not isinstance(analysis, Analysis):
        raise BadInputError(f"Invalid value for the 'analysis' parameter: expected an Analysis or a BadInputError, "
                            f"got {type(analysis).__name__} instead.")

    details: list[str] = []
    episodes = list(analysis.smile.episodes) if analysis.smile is not None else []
    spans = {id(e): episode_span(e) for e in episodes}
    timed = [e for e in episodes if spans[id(e)] is not None]

    def lspan(s: LabelledSmile) -> tuple[float, float]:
        return (s.start_s, s.end_s)

    def matching(s: LabelledSmile, allowance: float) -> list[Episode]:
        return [e for e in timed if intervals_match(spans[id(e)], lspan(s), allowance_s=allowance)]

    # recall and precision
    n_recalled = 0
    for s in recalled:
        if matching(s, MATCH_ALLOWANCE_S):
            n_recalled += 1
        else:
            details.append(f"missed smile {s.start_s:.2f}-{s.end_s:.2f} s ({s.confidence})")
    matched_eps = [e for e in timed if any(intervals_match(spans[id(e)], lspan(s)) for s in labels.smiles)]
    for e in episodes:
        if not any(e is m for m in matched_eps):
            details.append(f"episode {_when(e)} matches no labelled smile")

    # side right
    eligible = right = not_comparable = 0
    for s in recalled:
        if s.weaker_side == "none":
            continue
        near = matching(s, SIDE_ALLOWANCE_S)
        comparable = [e for e in near if not e.head_turned]
        if near and not comparable:
            not_comparable += 1
            continue
        eligible += 1
        best = _best(comparable, lambda e: spans[id(e)], lspan(s), s.apex_s)
        if best is not None and best.weaker_side == s.weaker_side:
            right += 1
        else:
            said = "missed" if best is None else f"episode {_when(best)} says weaker {best.weaker_side}"
            details.append(f"side: smile {s.start_s:.2f}-{s.end_s:.2f} s has weaker {s.weaker_side}; {said}")

    # wrong side
    wrong = 0
    for e in timed:
        if e.head_turned or e.weaker_side not in ("left", "right"):
            continue
        near = [s for s in labels.smiles if intervals_match(spans[id(e)], lspan(s), allowance_s=SIDE_ALLOWANCE_S)]
        best = _best(near, lspan, spans[id(e)], e.apex_s)
        if best is not None:
            bad = best.weaker_side == _other(e.weaker_side) or (best.symmetric and best.confidence == "high")
            why = f"labelled smile {best.start_s:.2f}-{best.end_s:.2f} s ({best.confidence}) has weaker {best.weaker_side}"
        else:
            bad = not any(e is m for m in matched_eps)
            why = "it matches no labelled smile"
        if bad:
            wrong += 1
            details.append(f"wrong side: episode {_when(e)} says weaker {e.weaker_side}; {why}")

    # alarm flags
    alarms = [f for f in analysis.flags if f.id in ALARM_FLAGS] if not labels.visible_shaking else []
    details += [f"alarm flag {f.id} ({f.side})" for f in alarms]

    # twitches
    twitch_list = list(analysis.twitches.twitches) if analysis.twitches is not None else []
    duration = analysis.video.duration_s
    duration = duration if duration is not None and math.isfinite(duration) and duration > 0 else labels.duration_s
    counted = analysis.twitches is not None and not labels.twitches
    minutes = duration / 60.0 if counted else 0.0

    # implausible values
    implausible = 0
    for e in episodes:
        for side in ("left", "right"):
            x = getattr(e, side).excursion_mm
            if x is not None and x > MAX_EXCURSION_MM:
                implausible += 1
                details.append(f"implausible: {side} excursion {x:.1f} mm in episode {_when(e)}")
    for t in twitch_list:
        if t.peak_mm is not None and t.peak_mm > MAX_TWITCH_MM:
            implausible += 1
            details.append(f"implausible: twitch of {t.peak_mm:.1f} mm at {t.t_s:.2f} s")

    # blinks
    events = list(analysis.blinks.events) if analysis.blinks is not None else []
    spans_ev = [(ev.t_s, ev.t_s + (ev.duration_s or 0.0)) for ev in events
                if ev.kind in ("blink", "wink") and ev.t_s is not None]
    n_blinks = 0
    for t in labels.blinks:
        if any(a - BLINK_ALLOWANCE_S <= t <= b + BLINK_ALLOWANCE_S for a, b in spans_ev):
            n_blinks += 1
        else:
            details.append(f"missed blink at {t:.2f} s")

    return VideoScore(
        name=labels.name, refused=None, duration_s=duration,
        smiles_labelled=len(recalled), smiles_recalled=n_recalled,
        episodes=len(episodes), episodes_matched=len(matched_eps),
        side_eligible=eligible, side_right=right, side_not_comparable=not_comparable, wrong_side=wrong,
        alarm_flags=len(alarms), twitches=len(twitch_list) if counted else 0, twitch_minutes=minutes,
        implausible=implausible, blinks_labelled=len(labels.blinks), blinks_recalled=n_blinks,
        blinks_reported=len(spans_ev), details=tuple(details))


def _other(side: str) -> str:
    return _OTHER_SIDE.get(side, "none")


def _when(e: Episode) -> str:
    span = episode_span(e)
    return "(no time)" if span is None else f"{span[0]:.2f}-{span[1]:.2f} s"


@dataclass(frozen=True)
class OverallScore(_Ratios):
    """The README's overall figures over a set of videos (sums of counts, then ratios)."""

    videos: int
    not_analysed: int
    smiles_labelled: int
    smiles_recalled: int
    episodes: int
    episodes_matched: int
    side_eligible: int
    side_right: int
    side_not_comparable: int
    wrong_side: int
    alarm_flags: int
    twitches: int
    twitch_minutes: float
    implausible: int
    blinks_labelled: int
    blinks_recalled: int
    scores: tuple[VideoScore, ...] = field(default=(), repr=False)



def aggregate(scores: Iterable[VideoScore]) -> OverallScore:
    """The overall figures: every count summed over the videos, the ratios taken of the sums."""
    scores = tuple(scores)
    counts = ("smiles_labelled", "smiles_recalled", "episodes", "episodes_matched", "side_eligible", "side_right",
              "side_not_comparable", "wrong_side", "alarm_flags", "twitches", "twitch_minutes", "implausible",
              "blinks_labelled", "blinks_recalled")
    return OverallScore(videos=len(scores), not_analysed=sum(not s.analysed for s in scores),
                        **{c: sum(getattr(s, c) for s in scores) for c in counts}, scores=scores)


def meets_targets(overall: OverallScore) -> dict[str, bool | None]:
    """For each figure of :data:`TARGETS`, whether it meets the issue's target (None: no figure)."""
    out: dict[str, bool | None] = {}
    for name, (op, value) in TARGETS.items():
        x = getattr(overall, name)
        out[name] = None if x is None else (x >= value if op == ">=" else x <= value)
    return out
