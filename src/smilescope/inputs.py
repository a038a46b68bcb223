"""The JSON documents a person hands smilescope, read and checked at the boundary.

Three kinds come in: questionnaire answers (``triage --answers``, ``report --answers``), an
``analysis.json`` (``report FILE``, ``triage --analysis``) and the segments of a movement-set
video (``grade --segments``). Each goes through :func:`read_json`, then through its schema:

* answers: :func:`smilescope.assess.validate_answers` (a pydantic model built from the
  questionnaire, :data:`smilescope.assess.QUESTIONS`);
* analysis: :meth:`smilescope.results.Analysis.from_dict` (pydantic over the typed result
  blocks, so the schema is written once, in the result types);
* segments: :data:`SEGMENTS` below (pydantic).

:func:`read_json` accepts a UTF-8 byte-order mark (Windows editors write one) and refuses a
document nested deeper than :data:`MAX_DEPTH` *before* parsing it: Python's ``json`` parser
recurses once per level, so a file of 100 000 ``[`` would otherwise end in ``RecursionError``.
Every problem is a :class:`~smilescope.errors.BadInputError` saying where (the file, and the
path of the bad field), what was expected, and what to do; the command line turns it into
exit status 2.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import pydantic

from smilescope.assess import validate_answers
from smilescope.errors import BadInputError
from smilescope.results import Analysis

#: Deepest nesting accepted. Real documents nest 5 levels (analysis.json), 2 (segments) or 1
#: (answers); the bound only has to stay well below Python's recursion limit (1000 frames, some
#: already used by the command line) so that the parser and the schema check never run out of it.
MAX_DEPTH = 512

ANSWERS_HINT = ('Give a JSON object of questionnaire answers such as {"sudden_onset": false, "stress_0_10": 6}; '
                "`smilescope triage --help` lists the keys.")
ANALYSIS_HINT = "Give the analysis.json that `smilescope analyze VIDEO --out DIR` wrote, unedited."
SEGMENTS_HINT = 'Give a JSON object of movement -> [start_s, end_s], such as {"rest": [0, 2], "smile": [5, 8]}.'

# A JSON string (with its escapes); what is inside a string never counts towards the depth.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects, counted without parsing (no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def read_json(source: str | Path, *, what: str, hint: str) -> Any:
    """The JSON document in the file ``source`` (``"-"``: standard input).

    Parameters
    ----------
    source : str or Path
        The file, or ``"-"`` for standard input.
    what : str
        What the file holds, in words ("answers file"), for the messages.
    hint : str
        What to do when it is wrong.

    Raises
    ------
    BadInputError
        The file cannot be read, is not UTF-8, is empty, nests deeper than :data:`MAX_DEPTH`
        or is not JSON.
    """
    name = _name(source)
    if str(source) == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as e:
            raise BadInputError(f"Cannot read the {what} from standard input: {e}.", hint) from e
    else:
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError as e:
            raise BadInputError(f"Cannot read the {what} {name}: it does not exist.", hint) from e
        except OSError as e:
            raise BadInputError(f"Cannot read the {what} {name}: {e.strerror or e}.", hint) from e
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadInputError(f"The {what} {name} is not UTF-8 text ({e.reason} at byte {e.start}).",
                                "Save it as UTF-8 (plain JSON text). " + hint) from e
    text = text.removeprefix("\ufeff")  # a byte-order mark is not JSON, but editors write one
    if not text.strip():
        raise BadInputError(f"The {what} {name} is empty.", hint)
    depth = json_depth(text)
    if depth > MAX_DEPTH:
        raise BadInputError(f"The {what} {name} is nested too deeply ({depth} levels of [ or {{; at most {MAX_DEPTH} "
                            "are read).", hint)
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)
    except _RepeatedKey as e:
        raise BadInputError(f"The {what} {name} gives {e.key!r} twice (JSON keeps only the last, silently).",
                            "Give each name once. " + hint) from None
    except ValueError as e:
        raise BadInputError(f"The {what} {name} is not valid JSON: {e}.", hint) from e


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _RepeatedKey(k)
        out[k] = v
    return out


def _object(doc: Any, what: str, name: str, hint: str) -> dict:
    if not isinstance(doc, dict):
        raise BadInputError(f"The {what} {name} must be a JSON object {{...}}, got {_json_type(doc)}.", hint)
    return doc


def read_answers_doc(source: str | Path) -> dict:
    """The answers file in ``source`` as a JSON object, not yet checked (:func:`check_answers`)."""
    return _object(read_json(source, what="answers file", hint=ANSWERS_HINT), "answers file", _name(source), ANSWERS_HINT)


def check_answers(doc: dict, source: str | Path) -> dict:
    """An answers document checked (:func:`smilescope.assess.validate_answers`); an error names the file."""
    try:
        return validate_answers(doc)
    except BadInputError as e:
        raise BadInputError(f"In the answers file {_name(source)}: {e.what}", e.hint) from None


def load_answers(source: str | Path) -> dict:
    """Questionnaire answers from a JSON file, checked (:func:`smilescope.assess.validate_answers`)."""
    return check_answers(read_answers_doc(source), source)


def read_analysis_doc(source: str | Path) -> dict:
    """The ``analysis.json`` document in ``source`` as a JSON object, not yet checked against the schema
    (:meth:`Analysis.from_dict` does that; :func:`load_analysis` does both)."""
    doc = _object(read_json(source, what="analysis file", hint=ANALYSIS_HINT), "analysis file", _name(source), ANALYSIS_HINT)
    if "schema_version" not in doc and "video" not in doc:
        raise BadInputError(f"{_name(source)} is not a smilescope analysis (it has no 'schema_version' and no 'video').",
                            ANALYSIS_HINT)
    return doc


def load_analysis(source: str | Path) -> Analysis:
    """An ``analysis.json`` read back and checked against the typed result blocks."""
    doc = read_analysis_doc(source)
    if isinstance(doc, dict) and "photos" in doc and "video" not in doc:
        raise BadInputError(f"{_name(source)} is a photo analysis (photo.json), not a video's analysis.json.",
                            "Give the analysis.json that `smilescope analyze VIDEO` wrote; a photo analysis "
                            "makes a report with `smilescope report photo.json`.")
    return Analysis.from_dict(doc, source=f"The analysis file {_name(source)}")


# --- segments ---------------------------------------------------------------------------------

_Seconds = Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False, strict=True)]  # strict: no "5" or true


def _ordered(span: tuple[float, float]) -> tuple[float, float]:
    if not span[1] > span[0]:
        raise ValueError(f"the end ({span[1]:g} s) must come after the start ({span[0]:g} s)")
    return span


_Span = Annotated[tuple[_Seconds, _Seconds], pydantic.AfterValidator(_ordered)]
#: The segments schema: movement name -> [start_s, end_s], seconds from the start of the video.
SEGMENTS = pydantic.TypeAdapter(dict[str, _Span])


def load_segments(source: str | Path, *, names: Sequence[str] | None = None,
                  duration_s: float | None = None) -> dict[str, tuple[float, float]]:
    """The segments of a movement-set video: movement name -> (start_s, end_s).

    Parameters
    ----------
    source : str or Path
        The JSON file.
    names : sequence of str, optional
        The movement names allowed (e.g. ``smilescope.measures.grading.MOVEMENTS``).
    duration_s : float, optional
        Length of the video (s): a stretch that starts after it is refused.

    Raises
    ------
    BadInputError
        Not a JSON object of name -> [start_s, end_s] with 0 <= start < end, an unknown name,
        or a stretch past the end of the video; the message names each bad entry.
    """
    name = _name(source)
    doc = _object(read_json(source, what="segments file", hint=SEGMENTS_HINT), "segments file", name, SEGMENTS_HINT)
    problems = []
    if names is not None:
        problems += [f"{k!r}: unknown movement (allowed: {', '.join(names)})" for k in doc if k not in names]
    try:
        spans = SEGMENTS.validate_python({k: v for k, v in doc.items() if names is None or k in names})
    except pydantic.ValidationError as e:
        problems += describe(e)
        spans = {}
    if duration_s is not None and math.isfinite(duration_s):
        problems += [f"{k!r}: starts at {a:g} s, after the end of the video ({duration_s:.1f} s)"
                     for k, (a, _) in spans.items() if a >= duration_s]
    if problems:
        raise BadInputError(f"The segments file {name} has {len(problems)} problem(s): " + "; ".join(problems[:6]) + ".",
                            SEGMENTS_HINT)
    return spans


# --- messages ---------------------------------------------------------------------------------


def describe(error: pydantic.ValidationError, *, limit: int = 6) -> list[str]:
    """Each problem of a pydantic validation as ``path: what was expected (got ...)``."""
    out = []
    for err in error.errors()[:limit]:
        path = ".".join(str(p) for p in err["loc"]) or "(the whole document)"
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {json.dumps(got) if _plain(got) else type(got).__name__})"
        out.append(f"{path}: {msg}{shown}")
    return out


def _plain(x) -> bool:
    return x is None or isinstance(x, (bool, int, float, str)) and len(str(x)) < 40


def _json_type(doc: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(doc), "a number")


def _name(source: str | Path) -> str:
    return "on standard input" if str(source) == "-" else str(source)
