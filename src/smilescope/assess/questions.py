"""The questionnaire contract: answer keys, their types and ranges, and the questions asked.

Every answer is optional. A yes/no answer is ``True``, ``False`` or ``None`` (don't know);
a number answer is a finite number in the range given here, or ``None``. The order of
:data:`QUESTIONS` is the order ``smilescope triage`` asks them: emergency signs first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import pydantic

from smilescope.errors import BadInputError
from smilescope.measures.flags import FLAG_IDS, FLAG_KINDS  # noqa: F401 - FLAG_IDS is re-exported by assess

# Flag ids the analysis layer writes into analysis.json "flags" (measured, not told): the one
# vocabulary lives with the measures.
FLAG_LABELS: dict[str, str] = {k.id: k.label for k in FLAG_KINDS.values()}

_WEAK = ("facial_weakness", "drooping")  # follow-up questions asked only after a "yes" to either
_SHAKING = ("any_shaking",)  # the shaking questions, asked only after a "yes"


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
    # --- emergency signs (BE-FAST), and when they started ---
    _b("facial_weakness", "Is part of your face weak, or can you not move one side as you usually can?", "facial weakness"),
    _b("drooping", "Is one side of your face (mouth, eyelid or cheek) drooping, or your smile newly uneven?", "drooping"),
    # asked before "sudden?": whether sudden weakness is an emergency depends on how long ago it began
    _n("onset_hours_ago", "How long ago did the weakness or drooping start? (for example 5 hours, 3 days, 2 weeks)",
       "hours since it started", 0, 24 * 365 * 100, "hours", ask_if=_WEAK),
    _b("sudden_onset", "Did the weakness, drooping or change in your smile come on suddenly, within minutes or hours?",
       "sudden onset"),
    _b("forehead_spared", "On the weak side, can you still raise the eyebrow and wrinkle the forehead?",
       "forehead still moves", ask_if=_WEAK),
    _b("doctor_examined", "Has a doctor already examined this weakness since it started?",
       "already examined by a doctor", ask_if=_WEAK),
    _b("arm_or_leg_weakness", "Is an arm or a leg suddenly weak or numb?", "arm or leg weakness"),
    _b("speech_difficulty", "Is your speech suddenly slurred or hard to get out, or hard to understand?", "speech difficulty"),
    _b("vision_or_balance_loss", "Have you suddenly lost your balance, or vision in one or both eyes?", "sudden balance or vision loss"),
    _b("severe_headache", "Do you have a sudden, severe headache?", "sudden severe headache"),
    # --- same-day signs ---
    _b("ear_pain_or_blisters", "Do you have pain in or behind the ear, or blisters in or around the ear or mouth?",
       "ear pain or blisters"),
    _b("hearing_change", "Has your hearing changed, or do you have ringing or a spinning feeling (vertigo)?",
       "hearing change"),
    _b("eye_cannot_close", "Is there an eye you cannot close fully?", "eye cannot close"),
    _b("both_sides_weak", "Are both sides of your face weak?", "weakness on both sides", ask_if=_WEAK),
    _b("numbness", "Is any part of your face or body numb?", "numbness"),
    # --- shaking and twitching: asked only after a "yes" to any_shaking ---
    _b("any_shaking", "Does your face shake, tremble or twitch, or make movements you do not mean to make?",
       "shaking or twitching"),
    _b("one_sided", "Is the shaking or twitching on one side of your face only?", "shaking on one side only",
       ask_if=_SHAKING),
    _b("starts_at_eye", "Does it start around the eye?", "starts at the eye", ask_if=_SHAKING),
    _b("spreading", "Has it spread, for example from the eye to the cheek and mouth?", "spreading", ask_if=_SHAKING),
    _b("at_rest", "Does it happen when your face is completely relaxed, not only when you smile?", "at rest",
       ask_if=_SHAKING),
    _b("during_sleep", "Has anyone seen it happen while you sleep?", "during sleep", ask_if=_SHAKING),
    _b("worsening", "Is the weakness or the shaking getting worse over time?", "worsening", ask_if=(*_SHAKING, *_WEAK)),
    _n("duration_days", "How long have you had the shaking or twitching? (days, or for example 3 weeks)",
       "days of shaking so far", 0, 365 * 100, "days", ask_if=_SHAKING),
    _b("ear_clicking", "Do you hear a clicking sound in the ear when it happens?", "clicking in the ear", ask_if=_SHAKING),
    _b("dopamine_blocking_medication",
       "Do you take a medicine for psychosis, sickness or nausea (for example an antipsychotic, "
       "metoclopramide or prochlorperazine)?", "dopamine-blocking medicine", ask_if=_SHAKING),
    # --- everyday factors that bring on twitching (their tips are about twitching) ---
    # the same bounds as the diary's (store.core.LIMITS): 30 cups is about 3 g of caffeine, over seven
    # times EFSA's safe 400 mg a day; 40 glasses is about 10 litres, more than kidneys pass in a day
    _n("caffeine_cups_per_day", "How many cups of coffee, tea, cola or energy drinks do you have a day?",
       "caffeine cups a day", 0, 30, "cups", ask_if=_SHAKING),
    _n("sleep_hours", "How many hours do you usually sleep a night?", "hours of sleep", 0, 24, "hours", ask_if=_SHAKING),
    _n("stress_0_10", "How stressed do you feel, from 0 (not at all) to 10 (the most)?", "stress (0-10)", 0, 10, "",
       ask_if=_SHAKING),
    _n("water_glasses_per_day", "How many glasses or cups of drinks do you have a day (water, tea, coffee, milk and "
       "other drinks all count)?", "glasses or cups of drinks a day", 0, 40, "glasses", ask_if=_SHAKING),
    # --- mood ---
    _n("low_mood_weeks", "For how many weeks have you felt low, or lost the wish to smile? (0 if not)",
       "weeks of low mood", 0, 52 * 100, "weeks"),
)

BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}

#: The questionnaire contract: answer key -> what it accepts, in words.
ANSWER_KEYS: dict[str, str] = {q.key: q.allowed() for q in QUESTIONS}

#: Other units accepted in an answers file: key -> (the key it stands for, factor to that key's unit).
#: The rules read ``onset_hours_ago`` only; a person may know the onset in days or weeks.
ANSWER_ALIASES: dict[str, tuple[str, float]] = {"onset_days_ago": ("onset_hours_ago", 24.0),
                                                "onset_weeks_ago": ("onset_hours_ago", 24.0 * 7)}

#: Answers that describe a shaking: given as "yes" they contradict ``any_shaking: false``.
SHAKING_SIGNS: tuple[str, ...] = tuple(q.key for q in QUESTIONS if q.ask_if == _SHAKING and q.kind == "bool"
                                       and q.key != "dopamine_blocking_medication")

# Units a duration answer may be typed in (the terminal questionnaire), in hours.
_UNIT_HOURS = {"h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
               "d": 24.0, "day": 24.0, "days": 24.0, "w": 168.0, "wk": 168.0, "wks": 168.0, "week": 168.0, "weeks": 168.0}
_DURATION = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-z]*)\s*$")


def parse_duration(text: str, unit: str) -> float:
    """A typed duration ("36", "5 hours", "3 days", "2 weeks", "1,5 d") in ``unit`` (hours, days or weeks).

    A number without a unit is in ``unit``.

    Raises
    ------
    ValueError
        Not a number with an optional unit of hours, days or weeks.
    """
    m = _DURATION.match(text.lower())
    if m is None or (m.group(2) and m.group(2) not in _UNIT_HOURS):
        raise ValueError(f"cannot read {text!r} as a duration: give a number and hours, days or weeks")
    value = float(m.group(1).replace(",", "."))
    if not m.group(2):
        return value
    return value * _UNIT_HOURS[m.group(2)] / _UNIT_HOURS[unit]


def _field(q: Question):
    if q.kind == "bool":
        return (pydantic.StrictBool | None, None)
    number = Annotated[pydantic.StrictInt | pydantic.StrictFloat,
                       pydantic.Field(ge=q.lo, le=q.hi, allow_inf_nan=False)]
    return (number | None, None)


def _alias_field(key: str):
    target, factor = ANSWER_ALIASES[key]
    q = BY_KEY[target]
    return _field(Question(key, "number", "", "", q.lo, q.hi / factor))


# The answers schema, built from QUESTIONS (one source): every key optional, nothing else allowed.
_AnswersModel = pydantic.create_model(
    "Answers", __config__=pydantic.ConfigDict(extra="forbid"),
    **{q.key: _field(q) for q in QUESTIONS}, **{k: _alias_field(k) for k in ANSWER_ALIASES})


def _allowed(key: str) -> str:
    if key in ANSWER_ALIASES:
        target, factor = ANSWER_ALIASES[key]
        q = BY_KEY[target]
        unit = key.removeprefix("onset_").removesuffix("_ago")
        return f"a number from 0 to {q.hi / factor:g} {unit} or null (don't know)"
    return BY_KEY[key].allowed()


def validate_answers(raw: Mapping | None) -> dict:
    """Check a questionnaire answer set and return it as a plain dict.

    Parameters
    ----------
    raw : Mapping or None
        Answer key -> value. Keys are those of :data:`ANSWER_KEYS`, all optional, or an
        alias of :data:`ANSWER_ALIASES` (``onset_days_ago``, ``onset_weeks_ago``).

    Returns
    -------
    dict
        The same answers (``None`` kept: it means "don't know"); integers stay integers; an
        onset given in days or weeks comes back as ``onset_hours_ago``.

    Raises
    ------
    BadInputError
        ``raw`` is not a mapping, a key is unknown, a value is of the wrong type or out of
        range, the onset is given twice, or a shaking is described after ``any_shaking: false``.
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BadInputError(f"The answers must be an object of key -> value, got {type(raw).__name__}.",
                            'Give a JSON object such as {"sudden_onset": false, "stress_0_10": 6}.')
    for key in raw:
        if key not in BY_KEY and key not in ANSWER_ALIASES:
            raise BadInputError(f"Unknown answer key {key!r}.",
                                "Allowed keys: " + ", ".join([*BY_KEY, *ANSWER_ALIASES]) + ".")
    try:
        model = _AnswersModel.model_validate(dict(raw))
    except pydantic.ValidationError as e:
        bad = []
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            if key not in [k for k, _ in bad]:
                bad.append((key, raw.get(key)))
        if len(bad) == 1:
            key, value = bad[0]
            raise BadInputError(f"Invalid value for the answer {key!r}: got {_shown(value)}.",
                                f"Allowed: {_allowed(key)}.") from None
        raise BadInputError("Invalid values for the answers " + "; ".join(
            f"{key!r}: got {_shown(value)} (allowed: {_allowed(key)})" for key, value in bad[:6]) + ".",
            "Correct them, or use null for don't know.") from None
    clean = {k: getattr(model, k) for k in raw}
    given = [k for k in ("onset_hours_ago", *ANSWER_ALIASES) if clean.get(k) is not None]
    if len(given) > 1:
        raise BadInputError(f"The onset is given more than once ({', '.join(given)}).", "Give one of them.")
    for key, (target, factor) in ANSWER_ALIASES.items():
        if key in clean:
            value = clean.pop(key)
            if value is not None or target not in clean:
                clean[target] = None if value is None else value * factor
    if clean.get("any_shaking") is False:
        said = [k for k in SHAKING_SIGNS if clean.get(k) is True]
        if said:
            raise BadInputError(f"The answers say there is no shaking or twitching (any_shaking: false) but also "
                                f"describe one ({', '.join(f'{k}: true' for k in said)}).",
                                "Set any_shaking to true, or leave out the shaking answers.")
    return clean


def usable_answers(raw: Mapping) -> dict:
    """The answers of a set that :func:`validate_answers` refused which are right on their own.

    Each key is checked alone; what cannot be used is left out: an unknown key, a wrong value,
    an onset given more than once (left out: a time not known counts as inside the stroke
    window), and the shaking answers that contradict ``any_shaking: false``. For a safety read
    of a faulty answers file only: sudden facial weakness within the stroke window in the
    answers is an emergency whatever mistake sits beside it, so the emergency message must not
    wait for the file to be mended.
    """
    clean: dict = {}
    for key, value in raw.items():
        try:
            clean.update(validate_answers({key: value}))
        except BadInputError:
            continue
    onsets = [k for k in ("onset_hours_ago", *ANSWER_ALIASES) if k in raw and raw[k] is not None]
    if len(onsets) > 1:
        clean.pop("onset_hours_ago", None)
    if clean.get("any_shaking") is False:
        clean = {k: v for k, v in clean.items() if not (k in SHAKING_SIGNS and v is True)}
    return clean


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
