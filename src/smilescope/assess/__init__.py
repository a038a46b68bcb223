"""Guidance: questionnaire answers and measured flags -> an explained level of care.

The rules live in ``rules.yaml`` beside this module (the table clinicians review); this
package only loads, checks and applies them. Guidance never diagnoses.

Levels, highest first: emergency, urgent (same day), see_doctor, self_care, info.

Examples
--------
>>> from smilescope.assess import assess
>>> assess({"sudden_onset": True, "drooping": True}).level
'emergency'

Measured signs come from an analysis (``assess(answers, analysis)`` reads ``analysis.flags``)
or are given as flags:

>>> from smilescope.measures.flags import Flag
>>> assess({"sudden_onset": True}, flags=[Flag("uneven_smile", "left", "left corner moves less")]).level
'emergency'
"""

from smilescope.assess.engine import DISCLAIMER, Assessment, Match, assess, measured_flags
from smilescope.assess.questions import ANSWER_KEYS, FLAG_IDS, QUESTIONS, Question, usable_answers, validate_answers
from smilescope.assess.rules import LEVELS, Rule, RuleFileError, load_rules, parse_rules

__all__ = [
    "ANSWER_KEYS", "Assessment", "DISCLAIMER", "FLAG_IDS", "LEVELS", "Match", "QUESTIONS", "Question",
    "Rule", "RuleFileError", "assess", "load_rules", "measured_flags", "parse_rules", "usable_answers",
    "validate_answers",
]
