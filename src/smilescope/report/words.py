"""The sentences that explain a smile's measures, shared by the terminal summary and the report.

One computation and one wording for each: the terminal (:mod:`.summary`) and the HTML report
(:mod:`.html`) both call these functions, so they cannot disagree on a number or on what it
means. Every function takes the typed blocks of an :class:`~smilescope.results.Analysis` and
returns plain text; a missing number is a dash, never zero.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the measure modules load SciPy and OpenCV
    from smilescope.measures.smile import Fatigue, SmileResult
    from smilescope.measures.synkinesis import SynkinesisResult

DASH = "—"

# The defaults of smilescope.measures.smile (fatigue, MAX_HEAD_TURN_DEG), used when an older
# analysis.json does not carry its thresholds; tests/report/test_report_words.py checks they agree.
FADE_PCT_PER_REP = 5.0
MIN_R2 = 0.5
MIN_REPS = 3
MAX_HEAD_TURN_DEG = 2.0
MAX_LIFT_TURN_DEG = 10.0


# why twitches were not judged, for a file that does not say (older, without quiet_s)
TWITCHES_NOT_JUDGED = "too little quiet face: not talking, no expression changing"


def _known(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _f(x, spec: str = ".1f", unit: str = "") -> str:
    return f"{x:{spec}}{unit}" if _known(x) else DASH


# --- which side is weaker (item 17: the real reason is the one given) ----------------------

def asymmetry_label(sm: SmileResult) -> str:
    """What ``asymmetry_pct`` compares: the two corners' movement, or (the head turned in every
    smile) how far each rises."""
    return "asymmetry of the corners' rise" if sm.sides_compared_on == "lift" else "asymmetry"


def side_decision(sm: SmileResult) -> str:
    """Why a side is, or is not, called weaker: the numbers, the rule, and the real reason when
    the decision was withheld (the head turned in every smile)."""
    th = sm.thresholds or {}
    min_mm = th.get("weaker_side_min_diff_mm", 3.0)
    min_pct = th.get("weaker_side_min_diff_pct", 20.0)
    max_turn = th.get("max_head_turn_deg", MAX_HEAD_TURN_DEG)
    max_lift = th.get("max_lift_turn_deg", MAX_LIFT_TURN_DEG)
    ex = sm.excursion_mm or {}
    right, left = ex.get("right"), ex.get("left")
    measured = [e for e in sm.episodes if not e.not_judged]
    turned = [e for e in measured if e.head_turned]
    margin_px, noticed = th.get("weaker_side_margin_px") or 0.0, th.get("weaker_side_noticed_mm", 3.0)
    verb = "rises" if sm.sides_compared_on == "lift" else "moves"
    rule = (f"a side counts as weaker only when it {verb} at least {_f(min_mm, '.1f' if margin_px else '.0f', ' mm')} and "
            f"{_f(min_pct, '.0f', ' %')} less")
    if margin_px and _known(min_mm) and _known(noticed):
        rule += (f": {_f(noticed, '.0f', ' mm')}, a difference people notice, and {_f(min_mm - noticed, '.1f', ' mm')} "
                 f"({_f(margin_px, '.0f', ' px')} of the picture) that the tracking itself can put between the sides")
    parallax = (f"each degree of turn shifts the left-right difference of the movement by about 1 mm, so movements are "
                f"compared only where the head turns {_f(max_turn, '.0f', '°')} or less")
    # (an analysis from before the lift comparison says so by sides_compared_on alone)
    if measured and sm.relaxed_face is not False and (len(turned) == len(measured) or not sm.sides_compared_on):
        worst = max((e.head_turn_deg for e in measured if _known(e.head_turn_deg)), default=None)
        return (f"Which side is weaker was not judged: the head turned in every smile (by up to {_f(worst, '.1f', '°')}). "
                f"A turn changes the picture of the two mouth corners differently: {parallax}, and how far each corner "
                f"rises up to {_f(max_lift, '.0f', '°')}; so the "
                f"{_f(right, '.1f', ' mm')} (right) and {_f(left, '.1f', ' mm')} (left) above may differ because of the turn. "
                "Keep the head still and facing the camera while smiling.")
    if sm.side_note and sm.weaker_side not in ("left", "right"):
        how = (" The head turned in every smile, so the sides were compared on how far each corner rises."
               if sm.sides_compared_on == "lift" else "")
        return f"No side is weaker: {sm.side_note}.{how}"
    if sm.sides_compared_on == "lift" and sm.lift_mm:
        lr, ll = sm.lift_mm.get("right"), sm.lift_mm.get("left")
        worst = max((e.head_turn_deg for e in measured if _known(e.head_turn_deg)), default=None)
        how = (f"The head turned in every smile (by up to {_f(worst, '.1f', '°')}), and {parallax}; a turn does not "
               f"move the corners up or down, so the sides were compared on how far each corner rises: "
               f"{_f(lr, '.1f', ' mm')} (right) against {_f(ll, '.1f', ' mm')} (left)")
        far = [e for e in turned if _known(e.head_turn_deg) and e.head_turn_deg > max_lift]
        far_out = (f" {len(far)} smile{'s' if len(far) != 1 else ''} with the head turned more than "
                   f"{_f(max_lift, '.0f', '°')} {'were' if len(far) != 1 else 'was'} left out of this comparison."
                   if far else "")
        if sm.weaker_side in ("left", "right"):
            return f"{how}. The {sm.weaker_side} side rises clearly less; {rule}.{far_out}"
        return f"{how}. No side is clearly weaker; {rule}. Healthy smiles differ by up to 2–3 mm.{far_out}"
    if not (_known(right) and _known(left)):
        return "Which side is weaker was not judged: the movement of the mouth corners was not measured."
    diff = abs(right - left)
    off = [e for e in measured if _known(e.head_turn_deg) and e.head_turn_deg > max_turn]
    left_out = (f" {len(off)} smile{'s' if len(off) != 1 else ''} with the head turned more than "
                f"{_f(max_turn, '.0f', '°')} {'were' if len(off) != 1 else 'was'} left out of this comparison."
                if off else "")
    if sm.weaker_side in ("left", "right"):
        return (f"The {sm.weaker_side} side moves clearly less: {_f(right, '.1f', ' mm')} (right) against "
                f"{_f(left, '.1f', ' mm')} (left), {_f(diff, '.1f', ' mm')} and {_f(sm.asymmetry_pct, '.0f', ' %')} apart; "
                f"{rule}.{left_out}")
    return (f"No side is clearly weaker: the sides differ by {_f(diff, '.1f', ' mm')} and "
            f"{_f(sm.asymmetry_pct, '.0f', ' %')}, and {rule}. Healthy smiles differ by up to 2–3 mm.{left_out}")


# --- does the smile tire (item 18: "not consistent enough to tell" when the fit is weak) ---

def fatigue_sentence(fat: Fatigue | None) -> str | None:
    """Whether the smile fades with repetition, with the fit criterion and its reason; None
    when there is nothing to say (no fatigue block)."""
    if fat is None:
        return None
    slope, r2 = fat.decrement_pct_per_rep, fat.r_squared
    if not _known(slope):
        return f"Tiring with repetition: not judged ({fat.note or f'needs at least {MIN_REPS} smiles'})."
    n = fat.repetitions
    span = (f"Over {n} smiles the movement went from {_f(fat.first_mm, '.1f')} to {_f(fat.last_mm, '.1f', ' mm')}"
            if _known(fat.first_mm) and _known(fat.last_mm) else f"Over {n} smiles")
    fit = (f"a straight line through the smiles explains {_f(100 * r2 if _known(r2) else None, '.0f', ' %')} of how they vary "
           f"(R² {_f(r2, '.2f')})")
    if not _known(r2) or r2 < MIN_R2:
        return (f"{span}, {_f(slope, '+.0f', ' %')} per smile on a straight line, but the smiles are not consistent enough "
                f"to tell whether the smile tires: {fit}, and a trend is read only from R² {MIN_R2:.1f} up — below that "
                "the smiles differ more from one to the next than along any trend, so the change may be chance.")
    if fat.fades:
        return (f"{span}: it fell by {_f(-slope, '.0f', ' %')} per smile, steadily ({fit}): the smile fades as it is "
                f"repeated (a fall of {FADE_PCT_PER_REP:.0f} % per smile or more counts).")
    return (f"{span}: {_f(slope, '+.0f', ' %')} per smile, steadily ({fit}); a smile counts as fading from a fall of "
            f"{FADE_PCT_PER_REP:.0f} % per smile, so it holds up when repeated.")


# --- cheek raise and eye narrowing (item 19: one computation, one wording) ------------------

def eye_narrowing_pct(syn: SynkinesisResult | None) -> dict[str, float | None]:
    """Eye narrowing while smiling, per side (% of the eye opening at rest): the one number both
    outputs show. It is the synkinesis block's (median opening over all smile frames against
    the rest median), the one the eye-closing check and its cited norms use; the per-smile apex
    values in ``smile.duchenne`` are not shown, so two numbers with one name never appear."""
    if syn is None or syn.judged is False:
        return {"right": None, "left": None}
    n = syn.narrowing_pct or {}
    return {"right": n.get("right"), "left": n.get("left")}


def cheek_raise_mm(sm: SmileResult | None) -> dict[str, float | None]:
    """Cheek raise while smiling, per side (mm, median over the smiles)."""
    du = (sm.duchenne or {}) if sm is not None else {}
    return {s: (du.get(s) or {}).get("cheek_raise_mm") if isinstance(du.get(s), dict) else None for s in ("right", "left")}


def smile_face_rows(sm: SmileResult | None, syn: SynkinesisResult | None) -> list[tuple[str, str, str]]:
    """Rows (label, right, left) for the cheek and the eye during smiles, as both outputs print them."""
    cheek, eye = cheek_raise_mm(sm), eye_narrowing_pct(syn)
    rows = []
    if any(_known(v) for v in cheek.values()):
        rows.append(("Cheek raise", _f(cheek["right"], ".1f", " mm"), _f(cheek["left"], ".1f", " mm")))
    if any(_known(v) for v in eye.values()):
        rows.append(("Eye narrowing", _f(eye["right"], ".0f", " %"), _f(eye["left"], ".0f", " %")))
    return rows


#: What a negative eye narrowing means (``during``: "during the smiles", "during the smile segment").
NEGATIVE_EYE_NARROWING = ("a negative eye narrowing means the eye opened wider {during} than at rest "
                          "(raised eyebrows, or the head tilting back, open it)")


def negative_note(sm: SmileResult | None, syn: SynkinesisResult | None) -> str | None:
    """What a negative cheek raise or eye narrowing means (None when none is negative)."""
    cheek, eye = cheek_raise_mm(sm), eye_narrowing_pct(syn)
    parts = []
    if any(_known(v) and v < 0 for v in cheek.values()):
        parts.append("a negative cheek raise means the cheek sat lower during the smiles than at rest")
    if any(_known(v) and v < 0 for v in eye.values()):
        parts.append(NEGATIVE_EYE_NARROWING.format(during="during the smiles"))
    if not parts:
        return None
    text = "; ".join(parts)
    return (text[:1].upper() + text[1:] + ". Neither is a sign of weakness by itself: a smile usually lifts the "
            "cheek and narrows the eye a little, and small values either way are within what the video can tell apart.")


def tremor_note(sm: SmileResult | None) -> str | None:
    """That the mouth's tremor was taken out before the smiles were measured (None when not)."""
    hz = (sm.thresholds or {}).get("tremor_taken_out_hz") if sm is not None else None
    if not _known(hz):
        return None
    # "about": the frequency found over the whole recording, which may differ by a tenth from the
    # shaking measure's own (found with the smiles set apart)
    return (f"The mouth shook about {hz:.0f} times a second throughout, so the face never held still: that shaking was taken out of "
            "the mouth corners' movement before the relaxed face and the smiles were measured. The shaking itself is "
            "measured below, from the movement as it was.")


def eye_narrowing_sentence(syn: SynkinesisResult | None) -> str:
    """The eye-closing-with-the-smile (synkinesis) sentence, with the same numbers as the table."""
    if syn is None:
        return "Eye narrowing while smiling (synkinesis) was not measured."
    if syn.judged is False:
        return f"Eye narrowing while smiling (synkinesis): cannot tell — {syn.not_judged}."
    eye = eye_narrowing_pct(syn)
    s = (f"While smiling the eye narrowed by {_f(eye['right'], '.0f', ' %')} on the right and "
         f"{_f(eye['left'], '.0f', ' %')} on the left (of its opening at rest). ")
    if syn.detected:
        side = {"left": "the left side", "right": "the right side", "both": "both sides"}.get(syn.side, "one side")
        s += (f"The eye on {side} closes along with the smile more than expected: this linked movement "
              "(synkinesis) is common after facial palsy.")
    else:
        s += "No linked eye movement (synkinesis) stood out" + _why_no_synkinesis(syn, eye) + "."
    return s


def _why_no_synkinesis(syn: SynkinesisResult, eye: dict[str, float | None]) -> str:
    """Why sides this far apart were not called (the call's own rule, in words); "" where they were close.

    A reader who sees 19 % against 4 % and "no synkinesis" needs the rule that was not met."""
    th = syn.thresholds or {}
    diff, least, held = th.get("side_diff_pts"), th.get("smile_min_pct"), th.get("held_fraction")
    if not all(_known(v) for v in eye.values()) or not all(isinstance(x, (int, float)) for x in (diff, least, held)):
        return ""
    hi = max(("right", "left"), key=lambda k: eye[k])
    lo = "left" if hi == "right" else "right"
    if eye[hi] - eye[lo] < diff:
        return ""
    if eye[hi] < least:
        return (f": the {hi} eye narrowed more, but by {eye[hi]:.0f} %, within what healthy eyes do in a smile "
                f"(synkinesis is called from {least:.0f} %)")
    return (f": the {hi} eye narrowed more, but not through {held * 100:.0f} % of the smile's peak (a glance or a squint "
            "moves one lid for a moment; synkinesis lasts as long as the smile)")


# --- does a spectral peak count as tremor (item 22: the spectrum says why, in words) --------

# The gates of smilescope.measures.shake (tremor): checked against the module in
# tests/report/test_report_words.py.
TREMOR_SNR_MIN = 10.0
TREMOR_MIN_PRESENT_S = 2.0
TREMOR_COHERENCE_MIN = 0.5
TREMOR_CONSISTENCY_MIN = 1.0


def peak_reasons(pk, *, noise_floor_mm: float | None = None) -> list[str]:
    """Why a region's strongest rhythm (a ``TremorPeak``) does not count as tremor, in short words;
    empty when it counts (or no gate it failed can be named from the stored numbers)."""
    if pk.detected:
        return []
    out = []
    if pk.speech_like:
        out.append("talking (moves with the lips at a syllable rate)")
    if _known(pk.snr) and pk.snr < TREMOR_SNR_MIN:
        out.append(f"weak: {pk.snr:.0f}x the noise level ({TREMOR_SNR_MIN:.0f}x needed)")
    if _known(pk.present_s) and pk.present_s < TREMOR_MIN_PRESENT_S:
        out.append(f"brief: {pk.present_s:.1f} s ({TREMOR_MIN_PRESENT_S:.0f} s needed)")
    if _known(pk.consistency) and pk.consistency < TREMOR_CONSISTENCY_MIN:
        out.append("not in both halves of the time it is present")
    if _known(pk.spatial_coherence) and pk.spatial_coherence < TREMOR_COHERENCE_MIN:
        out.append(f"a second point does not move with it ({pk.spatial_coherence:.2f}, {TREMOR_COHERENCE_MIN} needed)")
    if _known(noise_floor_mm) and _known(pk.amplitude_mm) and pk.amplitude_mm < 3 * noise_floor_mm:
        out.append(f"smaller than 3x the video's noise ({3 * noise_floor_mm:.2f} mm)")
    return out or ["did not pass the tremor checks"]


TREMOR_RULE = (f"A rhythm counts as tremor only when its peak stands at least {TREMOR_SNR_MIN:.0f} times above the "
               f"spectrum's noise level, it lasts at least {TREMOR_MIN_PRESENT_S:.0f} s and shows in both halves of "
               "that time, a second point 4–14 mm away moves with it (a tremor moves the skin together; tracking noise "
               f"moves one point; coherence {TREMOR_COHERENCE_MIN} or more), it is larger than 3 times the video's "
               "noise, and it does not follow the lips' syllable rhythm (talking).")
