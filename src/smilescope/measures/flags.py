"""Flags: the few measured findings that the guidance rules (``smilescope.assess``) act on.

Each flag is a :class:`Flag` (``id``, ``side``, ``why``): ``side`` is the person's own
(left/right/both/none) and ``why`` says in plain words which measurement raised it. Flags are
findings, not diagnoses; the rule table decides what they mean for the person.

:data:`FLAG_KINDS` is the one vocabulary of flags: the ids the measures write, the words the
questionnaire and the guidance use (``label``) and the report's headings (``title``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smilescope.timebase import MIN_RATE_S

if TYPE_CHECKING:  # type names only: the families load SciPy, which assess (FLAG_KINDS) must not wait for
    from smilescope.measures.expressivity import BlinkResult
    from smilescope.measures.shake import ShakeResult
    from smilescope.measures.smile import SmileResult
    from smilescope.measures.synkinesis import SynkinesisResult
    from smilescope.measures.twitch import TwitchResult


@dataclass(frozen=True)
class FlagKind:
    """One kind of flag: its id, a lower-case label for sentences, a title for headings."""

    id: str
    label: str
    title: str


FLAG_KINDS: dict[str, FlagKind] = {k.id: k for k in (
    FlagKind("one_sided_shaking", "shaking on one side", "Shaking on one side only"),
    FlagKind("shaking_at_rest", "shaking with the face at rest", "Shaking with the face at rest"),
    FlagKind("eye_to_mouth_spread", "twitching spreading from the eye to the mouth",
             "Twitching that spreads from the eye to the mouth"),
    FlagKind("head_tremor", "head tremor", "Head tremor"),
    FlagKind("synkinesis", "synkinesis (the eye narrows when smiling)", "The eye narrows along with the smile (synkinesis)"),
    FlagKind("frequent_eyelid_closure", "frequent eyelid closure", "Frequent eyelid closure"),
    FlagKind("uneven_smile", "uneven smile", "Uneven smile"),
)}
FLAG_IDS: tuple[str, ...] = tuple(FLAG_KINDS)


@dataclass(frozen=True)
class Flag:
    """One measured finding for the guidance rules (an id of :data:`FLAG_KINDS`)."""

    id: str
    side: str
    why: str

BLINK_RATE_HIGH_PER_MIN = 32.0  # above the 95 % range in conversation (10.5-32.5/min, Doughty 2001)
MIN_TWITCHES_ONE_SIDE = 3


def derive_flags(*, smile: SmileResult | None = None, shake: ShakeResult | None = None, blinks: BlinkResult | None = None,
                 twitches: TwitchResult | None = None, synkinesis: SynkinesisResult | None = None,
                 duration_s: float | None) -> list[Flag]:
    """Flags from one analysis's measure blocks (any may be ``None``: not measured).

    Parameters
    ----------
    smile, shake, blinks, twitches, synkinesis
        The measure families' typed results.
    duration_s : float or None
        Measured duration of the video (s); rates need at least ``MIN_RATE_S``.
    """
    flags: list[Flag] = []

    def add(fid: str, side: str, why: str) -> None:
        flags.append(Flag(id=fid, side=side, why=why))

    # flags come only from what could be judged: a block marked not judged raises none
    tr = shake.tremor if shake is not None else None
    if tr is not None and tr.detected and tr.judged:
        where = f"{tr.region} region, {tr.frequency_hz:.1f} Hz, {tr.amplitude_mm:.2f} mm"
        if tr.side in ("left", "right"):
            add("one_sided_shaking", tr.side, f"tremor on the {tr.side} side only ({where})")
        if tr.phase in ("rest", "both"):
            add("shaking_at_rest", tr.side, f"tremor with the face at rest ({where})")
    events = twitches.twitches if twitches is not None and twitches.judged else []
    per_side = {s: sum(e.side == s for e in events) for s in ("left", "right")}
    for s, o in (("left", "right"), ("right", "left")):
        if per_side[s] >= MIN_TWITCHES_ONE_SIDE and per_side[o] == 0 and not any(
                f.id == "one_sided_shaking" for f in flags):
            add("one_sided_shaking", s, f"{per_side[s]} twitches, all on the {s} side")
    if twitches is not None and twitches.judged and twitches.spread_eye_to_mouth:
        side = twitches.spread_side
        add("eye_to_mouth_spread", side, f"twitches around the {side} eye followed by twitches of the same side's mouth")
    head = shake.head if shake is not None else None
    if head is not None and head.tremor_detected:
        add("head_tremor", "both", f"the whole head oscillates at {head.frequency_hz:.1f} Hz, {head.amplitude_mm:.2f} mm")
    if synkinesis is not None and synkinesis.detected:
        n = synkinesis.narrowing_pct
        side = synkinesis.side
        add("synkinesis", side, f"the {side} eye narrows with mouth movements (smile narrowing left "
                                f"{_pct(n.get('left'))}, right {_pct(n.get('right'))})")
    rate = blinks.rate_per_min if blinks is not None else None
    if rate is not None and duration_s and duration_s >= MIN_RATE_S and rate > BLINK_RATE_HIGH_PER_MIN:
        add("frequent_eyelid_closure", "both", f"{rate:.0f} blinks per minute (usual: up to about 32 while talking)")
    if smile is not None and smile.weaker_side in ("left", "right"):
        side = smile.weaker_side
        if smile.sides_compared_on == "lift" and smile.lift_mm:
            lift = smile.lift_mm
            add("uneven_smile", side, f"the {side} mouth corner rises less (left {_mm(lift.get('left'))}, right "
                                      f"{_mm(lift.get('right'))}; compared on the rise, the head being turned a little)")
        else:
            exc = smile.excursion_mm
            add("uneven_smile", side, f"the {side} mouth corner moves less (left {_mm(exc.get('left'))}, right {_mm(exc.get('right'))})")
    return flags


def _pct(x) -> str:
    return "—" if x is None else f"{x:.0f} %"


def _mm(x) -> str:
    return "—" if x is None else f"{x:.1f} mm"
