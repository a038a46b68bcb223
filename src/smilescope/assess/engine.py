"""Assess questionnaire answers and measured flags against the rule table.

The result is the highest level of any matching rule; every matching rule is listed, highest
level first, each with the reason it matched. Measured flags can only add matches, so they
raise a level and never lower one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

from smilescope.assess.questions import FLAG_LABELS, validate_answers
from smilescope.assess.rules import NOTHING_GIVEN, RANK, Rule, load_rules
from smilescope.errors import BadInputError
from smilescope.measures.flags import Flag
from smilescope.results import Analysis

DISCLAIMER = (
    "smilescope gives general guidance from your answers and its measurements. It is not a "
    "diagnosis and does not replace a doctor. In an emergency (sudden weakness or drooping of "
    "the face, arm or leg, trouble speaking) call emergency services (999, 112, 911) at once."
)


@dataclass(frozen=True)
class Match:
    """One rule that matched, with the reason (the answers and flags that made it match)."""

    rule_id: str
    level: str
    message: str
    action: str
    source: str
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Assessment:
    """The guidance: overall ``level`` and every matching rule, highest level first."""

    level: str
    matches: list[Match] = field(default_factory=list)
    disclaimer: str = DISCLAIMER

    def to_dict(self) -> dict:
        return {"level": self.level, "matches": [m.to_dict() for m in self.matches], "disclaimer": self.disclaimer}


def measured_flags(flags: Iterable[Flag] | None) -> dict[str, str]:
    """The measured flags, as flag id -> a short description for the reason.

    Parameters
    ----------
    flags : iterable of Flag or None
        The flags of an analysis (``Analysis.flags``). ``None`` or empty: no flags. Ids the
        rule table does not know are ignored (newer analysis files may carry more).

    Raises
    ------
    BadInputError
        An item is not a :class:`~smilescope.measures.flags.Flag`.
    """
    out: dict[str, str] = {}
    for flag in flags or ():
        if not isinstance(flag, Flag):
            raise BadInputError(f"Invalid measured flag {flag!r}: expected a smilescope Flag, "
                                f"got {type(flag).__name__}.",
                                'Pass Analysis.flags, or Flag(id="one_sided_shaking", side="left", why="...") items.')
        if flag.id not in FLAG_LABELS:
            continue
        text = FLAG_LABELS[flag.id]
        if flag.side in ("left", "right"):
            text += f", {flag.side} side"
        elif flag.side == "both":
            text += ", both sides"
        if flag.why.strip():
            text += f" ({flag.why.strip()})"
        out.setdefault(flag.id, text)
    return out


def assess(answers: Mapping | None = None, analysis: Analysis | None = None, *,
           flags: Sequence[Flag] | None = None, rules: tuple[Rule, ...] | None = None) -> Assessment:
    """Guidance from questionnaire answers and measured flags.

    Parameters
    ----------
    answers : Mapping or None
        Questionnaire answers (see :data:`smilescope.assess.ANSWER_KEYS`); all optional.
    analysis : Analysis or None
        An analysis; its ``flags`` are the measured signs. A document read from a file is
        converted first with :meth:`Analysis.from_dict`.
    flags : sequence of Flag, optional
        The measured signs themselves, for a caller that has flags but no whole analysis.
        Give ``analysis`` or ``flags``, not both.
    rules : tuple of Rule, optional
        A rule table (default: the one shipped in the package).

    Returns
    -------
    Assessment
        ``level`` is the highest level among the matches; ``matches`` lists every matching
        rule, highest level first, then in rule-table order.

    Raises
    ------
    BadInputError
        Unknown answer keys or bad values; ``analysis`` not an Analysis, a flag not a Flag, or
        both ``analysis`` and ``flags`` given.
    """
    clean = validate_answers(answers)
    if analysis is not None:
        if not isinstance(analysis, Analysis):
            raise BadInputError(f"Invalid value for the 'analysis' parameter: expected a smilescope Analysis or None, "
                                f"got {type(analysis).__name__}.",
                                "Read an analysis.json document with smilescope.results.Analysis.from_dict first.")
        if flags is not None:
            raise BadInputError("Both 'analysis' and 'flags' were given to assess.",
                                "Give the analysis (its flags are read) or the flags alone.")
        flags = analysis.flags
    measured = measured_flags(flags)
    table = load_rules() if rules is None else rules
    matches = []
    for rule in table:
        if rule.when is not None and rule.when != NOTHING_GIVEN and (why := rule.when.why(clean, measured)) is not None:
            matches.append(_match(rule, why, clean))
    if not matches:
        given = analysis is not None or flags is not None or any(v is not None for v in clean.values())
        fallback = [rule for rule in table if rule.when == NOTHING_GIVEN] if not given else []
        matches = [_match(rule, [], clean) for rule in fallback or [rule for rule in table if rule.when is None]]
        if not fallback and not any(v is not None for v in clean.values()):
            # measured, nothing answered: "nothing worrying in what you told us" would claim answers nobody gave
            matches = [replace(m, message=MEASURED_ONLY, reason=MEASURED_ONLY_REASON) for m in matches]
        elif not fallback and analysis is None and flags is None:
            # answered, nothing measured: "... and what was measured" would claim a measurement nobody made
            matches = [replace(m, message=ANSWERED_ONLY, reason=ANSWERED_ONLY_REASON) for m in matches]
        if analysis is not None and not fallback:
            matches = [_with_not_judged(m, analysis.not_judged()) for m in matches]
    matches.sort(key=lambda m: RANK[m.level])  # stable: table order within a level
    return Assessment(level=matches[0].level if matches else "info", matches=matches)


#: "Nothing found" from measurements alone, with no question answered.
MEASURED_ONLY = ("No warning sign stood out in the measurements. No questions were answered, so this covers the "
                 "video alone, not how the face changed or how you feel. This is not a diagnosis.")
MEASURED_ONLY_REASON = "no warning sign among the measured flags (no questions were answered)"

#: "Nothing found" from answers alone, with nothing measured (no video analysis given).
ANSWERED_ONLY = ("Nothing worrying was found in what you told us. Nothing was measured here (no video was "
                 "analysed with these answers). This is not a diagnosis, and a questionnaire can miss things.")
ANSWERED_ONLY_REASON = "no warning sign among the answers (nothing was measured)"

#: How "nothing found" goes on when the video could not show everything (a reader may keep that part).
NOT_JUDGED_LEAD = " This video could not show everything:"


def _with_not_judged(m: Match, not_judged: list[tuple[str, str]]) -> Match:
    """"Nothing found" is true only of what the video could show: the parts it could not show
    are named (a person asking about a twitch must not read that none was found when twitches
    could not be looked for)."""
    if not not_judged:
        return m
    names = ", ".join(what for what, _ in not_judged)
    return replace(m, message=f"{m.message}{NOT_JUDGED_LEAD} {names} could not be judged, so nothing is said about them.",
                   reason=m.reason + "; not judged in the video: " + "; ".join(f"{w} ({why})" for w, why in not_judged))


def _match(rule: Rule, why: list[str], answers: Mapping) -> Match:
    return Match(rule.id, rule.level, rule.message, rule.action, rule.source, rule.reason_text(why, answers))
