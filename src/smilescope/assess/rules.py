"""The guidance rule table: load ``rules.yaml``, check it, and evaluate its conditions.

The condition language is described at the top of ``rules.yaml``. Every answer key, flag id
and operator is checked at load time, so a typo in the table is a :class:`RuleFileError`
naming the rule, never a rule that silently never matches.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from smilescope.assess.questions import BY_KEY, FLAG_IDS

#: Guidance levels, highest first.
LEVELS: tuple[str, ...] = ("emergency", "urgent", "see_doctor", "self_care", "info")
RANK: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}  # 0 = highest

_CMP = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
_FIELDS = {"id", "level", "when", "message", "action", "source", "reason"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class RuleFileError(ValueError):
    """The rule table is malformed; the message names the file and the rule."""


# --- conditions -------------------------------------------------------------------------
# Each condition's ``why(answers, flags)`` returns the list of plain-words facts that make it
# hold (never empty when it holds), or None when it does not hold.


@dataclass(frozen=True)
class AnswerIs:
    key: str
    value: bool

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        if answers.get(self.key) is self.value:
            return [f"{BY_KEY[self.key].label}: {'yes' if self.value else 'no'}"]
        return None


@dataclass(frozen=True)
class AnswerCmp:
    key: str
    op: str
    bound: float

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        x = answers.get(self.key)
        if x is not None and _CMP[self.op](x, self.bound):
            q = BY_KEY[self.key]
            days = f" ({fmt_value(round(x / 24, 1))} days)" if q.unit == "hours" and q.hi > 24 and x >= 48 else ""
            return [f"{q.label}: {fmt_value(x)}{days}"]
        return None


@dataclass(frozen=True)
class AnswerKnown:
    """``known: false``: the person said "don't know" or did not answer (``known: true``: any answer)."""

    key: str
    known: bool

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        if (answers.get(self.key) is not None) is self.known:
            return [f"{BY_KEY[self.key].label}: {fmt_value(answers[self.key]) if self.known else 'not known'}"]
        return None


@dataclass(frozen=True)
class Flag:
    id: str

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        if self.id in flags:
            return [f"measured: {flags[self.id]}"]
        return None


@dataclass(frozen=True)
class All:
    items: tuple

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        out: list[str] = []
        for c in self.items:
            w = c.why(answers, flags)
            if w is None:
                return None
            out += w
        return _unique(out)


@dataclass(frozen=True)
class Any:
    items: tuple

    def why(self, answers: Mapping, flags: Mapping) -> list[str] | None:
        # every branch that holds is named, not only the first
        hits = [w for c in self.items if (w := c.why(answers, flags)) is not None]
        return _unique([x for w in hits for x in w]) if hits else None


def _unique(xs: list[str]) -> list[str]:
    return list(dict.fromkeys(xs))


def fmt_value(x) -> str:
    """An answer value in words: yes/no/don't know, or a number without a spurious ``.0``."""
    if x is None:
        return "don't know"
    if isinstance(x, bool):
        return "yes" if x else "no"
    return format(x, ".10g")


# --- rules ------------------------------------------------------------------------------

#: ``when: nothing_given``: the rule that stands in for ``otherwise`` when no question was
#: answered (all unanswered or "don't know") and no measurement was given: "nothing worrying
#: was found" would then claim more than was looked at.
NOTHING_GIVEN = "nothing_given"


@dataclass(frozen=True)
class Rule:
    """One row of the rule table. ``when`` is None for an ``otherwise`` rule and
    :data:`NOTHING_GIVEN` for a ``nothing_given`` one."""

    id: str
    level: str
    when: object | None
    message: str
    action: str
    source: str
    reason: str = "{matched}"

    def reason_text(self, matched: list[str], answers: Mapping) -> str:
        """Fill the reason template: ``{matched}`` and ``{KEY}`` (an answer, in words)."""
        values = {k: fmt_value(answers.get(k)) for k in BY_KEY}
        return self.reason.format_map({**values, "matched": "; ".join(matched)})


def _parse_condition(node, where: str):
    if not isinstance(node, Mapping):
        raise RuleFileError(f"{where}: a condition must be a mapping such as "
                            f"{{answer: KEY, is: true}}, {{flag: ID}}, {{all: [...]}} or {{any: [...]}}; got {node!r}.")
    keys = set(node)
    for group, cls in (("all", All), ("any", Any)):
        if group in keys:
            if keys != {group}:
                raise RuleFileError(f"{where}: '{group}' must stand alone in its condition; also found {sorted(keys - {group})}.")
            items = node[group]
            if not isinstance(items, list) or not items:
                raise RuleFileError(f"{where}: '{group}' needs a non-empty list of conditions.")
            return cls(tuple(_parse_condition(c, f"{where} > {group}[{i}]") for i, c in enumerate(items)))
    if "flag" in keys:
        if keys != {"flag"}:
            raise RuleFileError(f"{where}: a flag condition has only 'flag'; also found {sorted(keys - {'flag'})}.")
        if node["flag"] not in FLAG_IDS:
            raise RuleFileError(f"{where}: unknown flag {node['flag']!r}; known flags: {', '.join(FLAG_IDS)}.")
        return Flag(node["flag"])
    if "answer" in keys:
        key = node["answer"]
        q = BY_KEY.get(key) if isinstance(key, str) else None
        if q is None:
            raise RuleFileError(f"{where}: unknown answer key {key!r}; known keys: {', '.join(BY_KEY)}.")
        ops = keys - {"answer"}
        if len(ops) != 1:
            raise RuleFileError(f"{where}: the answer condition on {key!r} needs exactly one of "
                                f"is, known, gt, gte, lt, lte; found {sorted(ops) or 'none'}.")
        op = ops.pop()
        value = node[op]
        if op == "known":
            if not isinstance(value, bool):
                raise RuleFileError(f"{where}: 'known' takes true or false.")
            return AnswerKnown(key, value)
        if q.kind == "bool":
            if op != "is" or not isinstance(value, bool):
                raise RuleFileError(f"{where}: {key!r} is a yes/no answer: use 'is: true' or 'is: false'.")
            return AnswerIs(key, value)
        if op not in _CMP or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RuleFileError(f"{where}: {key!r} is a number answer: use one of gt, gte, lt, lte with a number.")
        return AnswerCmp(key, op, value)
    raise RuleFileError(f"{where}: cannot read the condition {dict(node)!r}; it needs one of all, any, answer, flag.")


def _parse_rule(raw, index: int, seen: set[str]) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleFileError(f"rule #{index + 1}: expected a mapping with id, level, when, message, action, source.")
    rid = raw.get("id")
    name = f"rule {rid!r}" if isinstance(rid, str) else f"rule #{index + 1}"
    missing = sorted({"id", "level", "when", "message", "action", "source"} - set(raw))
    if missing:
        raise RuleFileError(f"{name}: missing {', '.join(missing)}.")
    extra = sorted(set(raw) - _FIELDS)
    if extra:
        raise RuleFileError(f"{name}: unknown field(s) {', '.join(map(str, extra))}; allowed: {', '.join(sorted(_FIELDS))}.")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RuleFileError(f"{name}: the id must be snake_case text.")
    if rid in seen:
        raise RuleFileError(f"{name}: the id is used twice.")
    if raw["level"] not in RANK:
        raise RuleFileError(f"{name}: unknown level {raw['level']!r}; allowed: {', '.join(LEVELS)}.")
    for field in ("message", "action", "source", "reason"):
        if field in raw and (not isinstance(raw[field], str) or not raw[field].strip()):
            raise RuleFileError(f"{name}: '{field}' must be non-empty text.")
    reason = raw.get("reason", "{matched}")
    try:
        parts = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(reason) if f is not None]
    except ValueError as e:
        raise RuleFileError(f"{name}: cannot read the reason template: {e}.") from e
    for f, spec, conv in parts:
        if spec or conv or (f != "matched" and f not in BY_KEY):
            raise RuleFileError(f"{name}: the reason template has {{{f}{'!' + conv if conv else ''}"
                                f"{':' + spec if spec else ''}}}; use plain {{matched}} or {{ANSWER_KEY}}.")
    when = (None if raw["when"] == "otherwise" else NOTHING_GIVEN if raw["when"] == NOTHING_GIVEN
            else _parse_condition(raw["when"], f"{name}, when"))
    return Rule(rid, raw["level"], when, raw["message"].strip(), raw["action"].strip(), raw["source"].strip(), reason)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _strict_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise RuleFileError(f"line {key_node.start_mark.line + 1}: the key {key!r} is given twice.")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def parse_rules(text: str, *, origin: str = "rules.yaml") -> tuple[Rule, ...]:
    """Parse and check a rule table given as YAML text.

    Raises
    ------
    RuleFileError
        The YAML is unreadable or a rule is malformed; the message starts with ``origin``.
    """
    try:
        try:
            doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as e:
            raise RuleFileError(f"not valid YAML: {e}") from e
        if not isinstance(doc, Mapping) or not isinstance(doc.get("rules"), list) or not doc["rules"]:
            raise RuleFileError("expected a top-level 'rules:' list (and optionally 'shared:').")
        extra = sorted(set(doc) - {"rules", "shared"})
        if extra:
            raise RuleFileError(f"unknown top-level key(s) {extra}; allowed: rules, shared.")
        seen: set[str] = set()
        rules = []
        for i, raw in enumerate(doc["rules"]):
            rule = _parse_rule(raw, i, seen)
            seen.add(rule.id)
            rules.append(rule)
        if not any(r.when is None for r in rules):
            raise RuleFileError("no 'when: otherwise' rule: a person must always get a message.")
    except RuleFileError as e:
        raise RuleFileError(f"{origin}: {e}") from e.__cause__
    return tuple(rules)


def load_rules(path: str | Path | None = None) -> tuple[Rule, ...]:
    """The rule table from ``path``, or the one shipped in the package (read once, cached)."""
    if path is None:
        return _packaged_rules()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise RuleFileError(f"{path}: cannot read the rule file: {e}") from e
    return parse_rules(text, origin=str(path))


@lru_cache(maxsize=1)
def _packaged_rules() -> tuple[Rule, ...]:
    text = resources.files("smilescope.assess").joinpath("rules.yaml").read_text(encoding="utf-8")
    return parse_rules(text, origin="smilescope/assess/rules.yaml")
