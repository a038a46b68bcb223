"""Assess questionnaire answers and measured flags against the rule table.

The result is the highest level of any matching rule; every matching rule is listed, highest
level first, each with the reason it matched. Measured flags can only add matches, so they
raise a level and never lower one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from smilescope.assess.questions import FLAG_LABELS, validate_answers
from smilescope.assess.rules import RANK, Rule, load_rules
from smilescope.errors import BadInputError

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


def measured_flags(analysis: Mapping | None) -> dict[str, str]:
    """The flags an analysis raised, as flag id -> a short description for the reason.

    Parameters
    ----------
    analysis : Mapping or None
        An analysis document (analysis.json); only its ``"flags"`` list is read. Items are
        objects ``{"id", "side", "why"}`` or plain id strings. Missing or empty: no flags.
        Ids the rule table does not know are ignored (newer analysis files may carry more).

    Raises
    ------
    BadInputError
        ``analysis`` is not an object, ``flags`` is not a list, or an item has no text id.
    """
    if analysis is None:
        return {}
    if not isinstance(analysis, Mapping):
        raise BadInputError(f"The analysis must be a JSON object, got {type(analysis).__name__}.",
                            "Give the analysis.json written by `smilescope analyze`.")
    raw = analysis.get("flags")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadInputError(f"The analysis 'flags' must be a list, got {type(raw).__name__}.",
                            "Give the analysis.json written by `smilescope analyze`.")
    out: dict[str, str] = {}
    for item in raw:
        if isinstance(item, str):
            fid, side, why = item, None, None
        elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
            fid, side, why = item["id"], item.get("side"), item.get("why")
        else:
            raise BadInputError(f"Cannot read the analysis flag {item!r}.",
                                'Each flag is a text id or an object such as {"id": "one_sided_shaking", "side": "left"}.')
        if fid not in FLAG_LABELS:
            continue
        text = FLAG_LABELS[fid]
        if side in ("left", "right"):
            text += f", {side} side"
        elif side == "both":
            text += ", both sides"
        if isinstance(why, str) and why.strip():
            text += f" ({why.strip()})"
        out.setdefault(fid, text)
    return out


def assess(answers: Mapping | None = None, analysis: Mapping | None = None, *,
           rules: tuple[Rule, ...] | None = None) -> Assessment:
    """Guidance from questionnaire answers and the flags of an analysis.

    Parameters
    ----------
    answers : Mapping or None
        Questionnaire answers (see :data:`smilescope.assess.ANSWER_KEYS`); all optional.
    analysis : Mapping or None
        An analysis document; its ``"flags"`` are the measured signs.
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
        Unknown answer keys, bad values, or an unreadable ``flags`` list.
    """
    clean = validate_answers(answers)
    flags = measured_flags(analysis)
    table = load_rules() if rules is None else rules
    matches = []
    for rule in table:
        if rule.when is not None and (why := rule.when.why(clean, flags)) is not None:
            matches.append(_match(rule, why, clean))
    if not matches:
        matches = [_match(rule, [], clean) for rule in table if rule.when is None]
    matches.sort(key=lambda m: RANK[m.level])  # stable: table order within a level
    return Assessment(level=matches[0].level if matches else "info", matches=matches)


def _match(rule: Rule, why: list[str], answers: Mapping) -> Match:
    return Match(rule.id, rule.level, rule.message, rule.action, rule.source, rule.reason_text(why, answers))
