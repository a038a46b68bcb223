"""The questionnaire contract: answer keys, their types and ranges, and the questions asked.

Every answer is optional. A yes/no answer is ``True``, ``False`` or ``None`` (don't know);
a number answer is a finite number in the range given here, or ``None``. The order of
:data:`QUESTIONS` is the order ``smilescope triage`` asks them: emergency signs first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from smilescope.errors import BadInputError
from smilescope.measures.flags import FLAG_IDS, FLAG_KINDS  # noqa: F401 - FLAG_IDS is re-exported by assess

# Flag ids the analysis layer writes into analysis.json "flags" (measured, not told): the one
# vocabulary lives with the measures.
FLAG_LABELS: dict[str, str] = {k.id: k.label for k in FLAG_KINDS.values()}

_WEAK = ("facial_weakness", "drooping")  # follow-up questions asked only after a "yes" to either


@dataclass(frozen=True)
class Question:
    """One answer key of the questionnaire.

    Parameters
    ----------
    key : str
        Answer key (the JSON name).
    kind : str
        ``"bool"`` (yes/no/don't know) or ``"number"``.
    text : str
        The question as asked in the terminal.
    label : str
        A few words naming the answer, used in the reason a rule matched.
    lo, hi : float
        Allowed range of a number answer (inclusive); unused for yes/no.
    unit : str
        Unit of a number answer, in words.
    ask_if : tuple of str
        Ask only when one of these answers is yes (empty: always ask).
    """

    key: str
    kind: str
    text: str
    label: str
    lo: float = 0.0
    hi: float = 0.0
    unit: str = ""
    ask_if: tuple[str, ...] = ()

    def allowed(self) -> str:
        """What values this key accepts, in words."""
        if self.kind == "bool":
            return "true, false or null (don't know)"
        return f"a number from {self.lo:g} to {self.hi:g} {self.unit} or null (don't know)".replace("  ", " ")


def _b(key: str, text: str, label: str, ask_if: tuple[str, ...] = ()) -> Question:
    return Question(key, "bool", text, label, ask_if=ask_if)


def _n(key: str, text: str, label: str, lo: float, hi: float, unit: str, ask_if: tuple[str, ...] = ()) -> Question:
    return Question(key, "number", text, label, lo, hi, unit, ask_if)


QUESTIONS: tuple[Question, ...] = (
    # --- emergency signs (BE-FAST) ---
    _b("facial_weakness", "Is part of your face weak, or can you not move one side as you usually can?", "facial weakness"),
    _b("drooping", "Is one side of your face (mouth, eyelid or cheek) drooping, or your smile newly uneven?", "drooping"),
    _b("sudden_onset", "Did the weakness, drooping or change in your smile come on suddenly, within minutes or hours?",
       "sudden onset"),
    _b("forehead_spared", "On the weak side, can you still raise the eyebrow and wrinkle the forehead?",
       "forehead still moves", ask_if=_WEAK),
    _b("arm_or_leg_weakness", "Is an arm or a leg suddenly weak or numb?", "arm or leg weakness"),
    _b("speech_difficulty", "Is your speech suddenly slurred or hard to get out, or hard to understand?", "speech difficulty"),
    _b("vision_or_balance_loss", "Have you suddenly lost your balance, or vision in one or both eyes?", "sudden balance or vision loss"),
    _b("severe_headache", "Do you have a sudden, severe headache?", "sudden severe headache"),
    # --- same-day signs ---
    _n("onset_hours_ago", "How many hours ago did the weakness start?", "hours since it started", 0, 24 * 365 * 100, "hours",
       ask_if=_WEAK),
    _b("ear_pain_or_blisters", "Do you have pain in or behind the ear, or blisters in or around the ear or mouth?",
       "ear pain or blisters"),
    _b("hearing_change", "Has your hearing changed, or do you have ringing or a spinning feeling (vertigo)?",
       "hearing change"),
    _b("eye_cannot_close", "Is there an eye you cannot close fully?", "eye cannot close"),
    _b("both_sides_weak", "Are both sides of your face weak?", "weakness on both sides", ask_if=_WEAK),
    _b("numbness", "Is any part of your face or body numb?", "numbness"),
    # --- shaking and twitching ---
    _b("one_sided", "Is the shaking or twitching on one side of your face only?", "one side only"),
    _b("starts_at_eye", "Does it start around the eye?", "starts at the eye"),
    _b("spreading", "Has it spread, for example from the eye to the cheek and mouth?", "spreading"),
    _b("at_rest", "Does it happen when your face is completely relaxed, not only when you smile?", "at rest"),
    _b("during_sleep", "Has anyone seen it happen while you sleep?", "during sleep"),
    _b("worsening", "Is it getting worse over time?", "worsening"),
    _n("duration_days", "For how many days have you had it?", "days so far", 0, 365 * 100, "days"),
    _b("ear_clicking", "Do you hear a clicking sound in the ear when it happens?", "clicking in the ear"),
    _b("dopamine_blocking_medication",
       "Do you take a medicine for psychosis, sickness or nausea (for example an antipsychotic, "
       "metoclopramide or prochlorperazine)?", "dopamine-blocking medicine"),
    # --- everyday factors ---
    _n("caffeine_cups_per_day", "How many cups of coffee, tea, cola or energy drinks do you have a day?",
       "caffeine cups a day", 0, 50, "cups"),
    _n("sleep_hours", "How many hours do you usually sleep a night?", "hours of sleep", 0, 24, "hours"),
    _n("stress_0_10", "How stressed do you feel, from 0 (not at all) to 10 (the most)?", "stress (0-10)", 0, 10, ""),
    _n("water_glasses_per_day", "How many glasses of water or other drinks do you have a day?",
       "glasses of fluid a day", 0, 50, "glasses"),
    _n("low_mood_weeks", "For how many weeks have you felt low, or lost the wish to smile? (0 if not)",
       "weeks of low mood", 0, 52 * 100, "weeks"),
)

BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}

#: The questionnaire contract: answer key -> what it accepts, in words.
ANSWER_KEYS: dict[str, str] = {q.key: q.allowed() for q in QUESTIONS}


def validate_answers(raw: Mapping | None) -> dict:
    """Check a questionnaire answer set and return it as a plain dict.

    Parameters
    ----------
    raw : Mapping or None
        Answer key -> value. Keys are those of :data:`ANSWER_KEYS`, all optional.

    Returns
    -------
    dict
        The same answers (``None`` kept: it means "don't know"); integers stay integers.

    Raises
    ------
    BadInputError
        ``raw`` is not a mapping, a key is unknown, or a value is of the wrong type or out of range.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BadInputError(f"The answers must be an object of key -> value, got {type(raw).__name__}.",
                            'Give a JSON object such as {"sudden_onset": false, "stress_0_10": 6}.')
    clean: dict = {}
    for key, value in raw.items():
        q = BY_KEY.get(key) if isinstance(key, str) else None
        if q is None:
            raise BadInputError(f"Unknown answer key {key!r}.", "Allowed keys: " + ", ".join(BY_KEY) + ".")
        if value is None:
            clean[key] = None
        elif q.kind == "bool":
            if not isinstance(value, bool):
                raise BadInputError(f"Invalid value for the answer {key!r}: got {value!r}.", f"Allowed: {q.allowed()}.")
            clean[key] = value
        else:
            if not _number_in(value, q.lo, q.hi):
                raise BadInputError(f"Invalid value for the answer {key!r}: got {value!r}.", f"Allowed: {q.allowed()}.")
            clean[key] = value
    return clean


def _number_in(value, lo: float, hi: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        x = float(value)
    except OverflowError:  # an int too large for a float
        return False
    return math.isfinite(x) and lo <= x <= hi
