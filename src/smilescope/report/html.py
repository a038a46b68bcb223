"""Self-contained HTML report of one analysis: plain words for the person, numbers for a clinician.

:func:`report_context` turns an :class:`~smilescope.results.Analysis` (plus optional per-frame
signals, stored history and guidance) into plain data for the template; :func:`render_html`
fills the Jinja2 template shipped in ``report/templates`` (autoescaped). Figures are embedded as
base64 PNG data URIs and the CSS is inline, so the file opens anywhere without a network.
Any block of the analysis may be ``None`` (not measured, e.g. in an older file) and any number
``None`` or NaN: missing is shown as "—" or "not measured", never as zero.
"""

from __future__ import annotations

import base64
import math
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Mapping

from smilescope.assess.engine import MEASURED_ONLY_REASON, NOT_JUDGED_LEAD
from smilescope.measures.flags import FLAG_KINDS, MIN_RATE_S, Flag
from smilescope.report import figures, words

if TYPE_CHECKING:  # annotations only: smilescope.results loads OpenCV, which a report does not need
    from smilescope.measures.shake import ShakeResult
    from smilescope.measures.smile import SmileResult
    from smilescope.measures.synkinesis import SynkinesisResult
    from smilescope.measures.twitch import TwitchResult
    from smilescope.results import Analysis

DASH = "—"

REGIONS = {"eye": "around the eye", "brow": "at the eyebrow", "cheek": "in the cheek", "mouth": "around the mouth"}
PHASES = {"rest": "with the face at rest", "smile": "while smiling", "both": "both at rest and while smiling"}
LEVEL_TEXT = {
    "emergency": "Emergency: call emergency services now",
    "urgent": "Urgent: see a doctor today",
    "see_doctor": "See a doctor (make an appointment)",
    "self_care": "Self-care: look after yourself and keep watching",
    "info": "For information",
}
EMERGENCY = ("Sudden facial weakness or drooping, an uneven smile that appears suddenly, arm or leg weakness, "
             "or trouble speaking can be a stroke: call emergency services at once and note the time, "
             "even if it passes, whatever these measurements say.")
EMERGENCY_SOURCE = "NHS FAST / BE-FAST stroke warning signs"
NOT_DIAGNOSIS = ("smilescope measures movement from a video; this report is not a diagnosis and does not "
                 "replace an examination by a doctor.")


# --- small formatting helpers (None stays visible as a dash) ------------------------------

def num(x: Any, spec: str = ".1f", unit: str = "") -> str:
    """Format a number with its unit; ``None``, NaN and infinity become a dash."""
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return DASH
    if spec.endswith("d"):
        x = int(round(x))
    return f"{x:{spec}}{unit}"


def known(x: Any) -> bool:
    """``x`` is a finite number (``None`` and NaN: not measured)."""
    return num(x) != DASH


def side_words(side: str | None) -> str:
    return {"left": "the left side", "right": "the right side", "both": "both sides"}.get(side or "", "neither side")


def writable_text(text: str) -> str:
    """``text`` with every lone surrogate (a file name that was not UTF-8, read back from JSON)
    replaced by U+FFFD, so it can be written as UTF-8."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --- figures -----------------------------------------------------------------------------

def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


# --- sections ------------------------------------------------------------------------------

def _header(analysis: Analysis, analysed_at: datetime | None) -> dict:
    v, q = analysis.video, analysis.quality
    name = Path(str(v.path or "unknown video")).name
    facts = [
        ("Video", f"{name}: {num(v.duration_s, '.1f', ' s')}, {num(v.fps, '.0f', ' frames per second')}, "
                  f"{num(v.width_px, 'd')}×{num(v.height_px, 'd')} pixels"),
        ("Face found", f"in {num(_pct(q.face_frames_ratio), '.0f', ' %')} of frames; "
                       f"measured in {num(_pct(q.valid_frames_ratio), '.0f', ' %')}"),
        ("Scale", f"{num(q.mm_per_px, '.3f', ' mm per pixel')}, from the size of the iris "
                  f"({num(q.iris_mm, '.1f', ' mm')} across in adults)"),
        ("Noise level", f"{num(q.noise_floor_mm, '.2f', ' mm')}: how much the still face's points jitter from one frame "
                        f"to the next; a shaking is counted from 3 times this "
                        f"({num(3 * q.noise_floor_mm if isinstance(q.noise_floor_mm, (int, float)) else None, '.2f', ' mm')}), "
                        f"a smile's movement from 4 times"),
    ]
    return {"video_name": name, "video_path": str(v.path or ""), "facts": facts,
            "analysed_at": analysed_at.strftime("%Y-%m-%d %H:%M") if analysed_at else None,
            "made_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "warnings": [_sentence(w) for w in q.warnings or []]}


def _sentence(text) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:]


def _pct(ratio):
    return None if ratio is None else 100 * ratio


def _smile(sm: SmileResult | None, syn: SynkinesisResult | None = None) -> dict:
    eps = sm.episodes if sm is not None else []
    out: dict = {"measured": sm is not None, "count": len(eps), "lines": [], "rows": [], "episodes": [],
                 "source": None, "more_episodes": 0, "not_judged": ""}
    out["not_judged"] = sm.not_judged if sm is not None and sm.relaxed_face is False else ""
    if not eps:
        return out
    ex = sm.excursion_mm or {}
    th = sm.thresholds or {}
    if out["not_judged"]:
        out["lines"] = [f"How far the mouth corners moved, and whether one side is weaker, was not judged: {sm.not_judged}. "
                        "Start a recording with a few seconds of relaxed face, looking at the camera, lips closed."]
        out["episodes"] = [(i + 1, num(e.start_s, ".1f", " s"), num(e.end_s - e.start_s, ".1f", " s") if known(e.start_s) and known(e.end_s) else "—",
                            "—", "—", "—", "—") for i, e in enumerate(eps[:30])]
        out["more_episodes"] = max(len(eps) - 30, 0)
        return out
    out["rows"] = [("Mouth-corner movement from rest", num(ex.get("right"), ".1f", " mm"), num(ex.get("left"), ".1f", " mm")),
                   *words.smile_face_rows(sm, syn)]
    what = "The two corners' rise differs" if sm.sides_compared_on == "lift" else "The two sides differ"
    lines = [f"{what} by {num(sm.asymmetry_pct, '.0f', ' %')} (0 % = perfectly even).",
             words.side_decision(sm)]
    if (note := words.negative_note(sm, syn)) is not None:
        lines.append(note)
    if (note := words.tremor_note(sm)) is not None:
        lines.append(note)
    out["source"] = th.get("sources")
    if (tired := words.fatigue_sentence(sm.fatigue)) is not None:
        lines.append(tired)
    out["lines"] = lines
    def sides(e):
        """Each side's movement as the smile's sides were compared: the whole movement, or (the
        head turned a little) how far each corner rose, which the difference is then taken of;
        with the head turned more, no difference (the turn's own would be in it)."""
        if e.sides_compared_on == "lift":
            return (num(e.right.vertical_mm, ".1f", " mm rise"), num(e.left.vertical_mm, ".1f", " mm rise"),
                    num(e.asymmetry_pct, ".0f", " %"))
        return (num(e.right.excursion_mm, ".1f", " mm"), num(e.left.excursion_mm, ".1f", " mm"),
                "—" if e.head_turned else num(e.asymmetry_pct, ".0f", " %"))

    out["episodes"] = [(i + 1, num(e.start_s, ".1f", " s"), num(e.hold_s, ".1f", " s"), *sides(e),
                        num(e.head_turn_deg, ".1f", "°") + (" (sides not compared)" if e.head_turned else
                                                           " (sides compared on the lift)" if e.sides_compared_on == "lift" else ""))
                       for i, e in enumerate(eps[:30])]
    out["more_episodes"] = max(len(eps) - 30, 0)
    return out


def _peak_rows(tr, noise_floor_mm) -> list[tuple]:
    """One row per region and side: its strongest rhythm and whether it counts as tremor, and why not."""
    return [(p.region or DASH, p.side or DASH, num(p.frequency_hz, ".1f", " Hz"), num(p.amplitude_mm, ".2f", " mm"),
             num(p.spatial_coherence, ".2f"),
             "yes" if p.detected else "no — " + "; ".join(words.peak_reasons(p, noise_floor_mm=noise_floor_mm)))
            for p in tr.by_region]


def _tremor(sh: ShakeResult | None, noise_floor_mm: float | None = None) -> dict:
    if sh is None:
        return {"found": None, "text": "Tremor was not measured in this analysis."}
    tr = sh.tremor
    if not tr.detected and not tr.judged:
        # no rows: a table of rhythms and millimetres beside "could not be judged" reads as a
        # measured shaking (d9's deliberate lip movements were listed as 3.5 mm at 3.3 Hz)
        return {"found": None, "text": f"Regular shaking (tremor) could not be judged: {tr.not_judged}.", "rows": []}
    if not tr.detected:
        return {"found": False, "text": "No regular shaking (tremor) was found in the face.",
                "rows": _peak_rows(tr, noise_floor_mm)}
    where = REGIONS.get(tr.region, f"in the {tr.region or 'face'}")
    text = (f"A regular shaking was found {where}, on {side_words(tr.side)}, "
            f"{PHASES.get(tr.phase, '')}: about {num(tr.frequency_hz, '.1f')} times a second "
            f"({num(tr.frequency_hz, '.1f', ' Hz')}), moving about {num(tr.amplitude_mm, '.1f', ' mm')}.")
    caveat = None
    if tr.region == "mouth":
        caveat = "Talking moves the mouth 3–7 times a second and can look like tremor; film a silent face to be sure."
    return {"found": True, "text": text, "caveat": caveat, "rows": _peak_rows(tr, noise_floor_mm)}


def _twitches(tw: TwitchResult | None) -> dict:
    if tw is None:
        return {"text": "Twitches were not measured in this analysis (it was made by an older version).", "rows": []}
    events, rate = tw.twitches, tw.twitch_rate_per_min
    caveat = ("Twitches are looked for only while the face is relaxed and silent (not talking, not smiling); "
              "for a fair count, film the face relaxed and silent for a minute.")
    if not tw.judged:
        return {"text": f"Twitches could not be judged: {tw.not_judged or words.TWITCHES_NOT_JUDGED}. A brief "
                        "twitch cannot be told apart from talking or an expression: film the face relaxed and silent for a minute.",
                "rows": []}
    if not events:
        return {"text": "No twitches were found" + (f" in {num(tw.quiet_s, '.0f', ' s')} of quiet face (not talking, no expression changing)."
                                                    if tw.quiet_s is not None else "."), "rows": []}
    found = f"{len(events)} twitch{'es' if len(events) != 1 else ''} found"
    if rate.total is None:  # under MIN_RATE_S of quiet face: a count, not a rate
        quiet = f" in {num(tw.quiet_s, '.0f', ' s')} of quiet face" if tw.quiet_s is not None else ""
        text = (f"{found}{quiet} (right {sum(t.side == 'right' for t in events)}, left {sum(t.side == 'left' for t in events)}); "
                f"too short a time for a rate per minute.")
    else:
        text = (f"{found}: {num(rate.total, '.1f')} per minute "
                f"(right {num(rate.right, '.1f')}, left {num(rate.left, '.1f')} per minute).")
    if tw.spread_eye_to_mouth:
        text += " Twitches around the eye were followed by twitches around the mouth on the same side."
    rows = [(num(t.t_s, ".1f", " s"), num(t.duration_s, ".2f", " s"), t.side or DASH,
             t.region or DASH, num(t.peak_mm, ".1f", " mm")) for t in events[:40]]
    return {"text": text, "rows": rows, "more": max(len(events) - 40, 0), "caveat": caveat}


def _shake(analysis: Analysis) -> dict:
    sh, bl, syn = analysis.shake, analysis.blinks, analysis.synkinesis
    # in analysis.json blinks and twitches sit inside the shake block: any of the three counts
    measured = any(b is not None for b in (sh, bl, analysis.twitches))
    out = {"measured": measured, "tremor": _tremor(sh, analysis.quality.noise_floor_mm), "twitches": _twitches(analysis.twitches)}
    if sh is None:
        out["head"] = "Head tremor was not measured."
    elif sh.head.tremor_detected:
        out["head"] = (f"The head itself shakes at about {num(sh.head.frequency_hz, '.1f', ' Hz')}, "
                       f"by about {num(sh.head.amplitude_mm, '.1f', ' mm')}.")
    elif not sh.head.judged:
        out["head"] = f"Head tremor was not judged: {sh.head.not_judged}."
    elif not sh.tremor.judged and sh.tremor.not_judged.startswith("too short"):  # a file from before the head's own reason
        out["head"] = f"Head tremor was not judged: {sh.tremor.not_judged}."
    else:
        out["head"] = "No head tremor was found."
    duration = analysis.video.duration_s
    if bl is not None and not (known(duration) and duration >= MIN_RATE_S):  # no rate from a few seconds
        out["blinks"] = (f"{num(bl.count, 'd')} blink{'s' if bl.count != 1 else ''} in {num(duration, '.0f', ' s')}; "
                         f"no rate per minute from under {MIN_RATE_S:.0f} s of video (at the usual 8-21 a minute, "
                         "that is only a few blinks).")
    elif bl is not None:
        out["blinks"] = (f"{num(bl.count, 'd')} blink{'s' if bl.count != 1 else ''}: "
                         f"{num(bl.rate_per_min, '.0f')} per minute"
                         + (f" (usual: {bl.reference})." if bl.reference else "."))
    else:
        out["blinks"] = "Blinks were not measured."
    out["synkinesis"] = words.eye_narrowing_sentence(syn)
    out["synkinesis_source"] = (syn.thresholds or {}).get("sources") if syn is not None and syn.judged is not False else None
    return out


def _flags(flags: list[Flag]) -> list[dict]:
    out = []
    for f in flags:
        kind = FLAG_KINDS.get(f.id)  # the one vocabulary, with the measures; an unknown id is shown as written
        out.append({"label": kind.title if kind else str(f.id).replace("_", " ").capitalize(),
                    "side": {"left": "left side", "right": "right side", "both": "both sides"}.get(f.side, ""),
                    "why": str(f.why or "")})
    return out


def _history(history, diary) -> dict:
    if history is None:  # the store was switched off (--no-save, --db off) or could not be read
        return {"n": 0, "figure": None, "rows": [],
                "text": "No history is shown: this report was made without the store of past analyses "
                        "(saving switched off, or the store could not be read)."}
    n = len(history)
    if n < 2:
        return {"n": n, "figure": None, "rows": [],
                "text": f"{'One analysis is' if n == 1 else 'No analyses are'} stored so far; "
                        "trends over time appear here once two or more videos have been analysed."}
    rows = [(r.t.strftime("%Y-%m-%d %H:%M") if hasattr(r.t, "strftime") else str(r.t), _which(r),
             num(_row(r, "excursion_right_mm"), ".1f", " mm"), num(_row(r, "excursion_left_mm"), ".1f", " mm"),
             num(_row(r, "asymmetry_pct"), ".0f", " %"), num(_row(r, "tremor_amplitude_mm"), ".2f", " mm"),
             num(_row(r, "twitch_rate_per_min"), ".1f"))
            for r in history.tail(12).itertuples()]
    import pandas as pd  # pandas and Matplotlib: only when a history is shown

    from smilescope.store.figures import history_png  # Matplotlib (and pandas), only for a history figure

    diary = pd.DataFrame() if diary is None else diary
    return {"n": n, "figure": png_data_uri(history_png(history, diary)), "rows": rows,
            "text": f"{n} analyses are stored; the latest {len(rows)} are listed."}


def _which(r) -> str:
    """Which recording a history row is: the video's file name, with who and what it was, when
    stored (several people and sessions can share one history)."""
    parts = []
    for name in ("video", "subject", "label"):
        v = getattr(r, name, None)
        if isinstance(v, str) and v.strip():
            parts.append(PurePath(v).name if name == "video" else v.strip())
    return " · ".join(parts) or "—"


def _row(r, name):
    x = getattr(r, name, None)
    return None if x is None or x != x else float(x)


MEASURED_ONLY = ("No warning sign stood out in these measurements. No questionnaire answers were given for this "
                 "report, so this covers the video alone, not how the face changed or how you feel.")


MEASURED_ONLY_SAVED = ("No warning sign stood out in these measurements. This part covers the video alone; your "
                       "latest saved questionnaire result is shown above.")


# the reason of "nothing found" (assess/rules.yaml), and what it says when no answers were given
MEASURED_REASON_FROM = "no warning sign among the answers and measured flags"
MEASURED_REASON_TO = "no warning sign among the measured flags (no answers were given for this report)"


def _matches(raw) -> list[dict]:
    """The rule matches of a guidance result, as the template shows them (malformed ones skipped)."""
    return [{k: str(m.get(k) or "") for k in ("rule_id", "message", "action", "reason", "source")}
            for m in (raw if isinstance(raw, list) else []) if isinstance(m, Mapping)]


def _ago(then: datetime, now: datetime) -> str:
    days = (now.date() - then.date()).days
    return "today" if days <= 0 else ("yesterday" if days == 1 else f"{days} days ago")


def _guidance(assessment, saved_triage: Mapping | None = None, answers_given: bool = False) -> dict | None:
    """The "What to do" section: the latest saved triage result with its date (so a saved
    emergency or urgent result is never hidden behind "nothing worrying"), and the guidance from
    this report's measurements (and answers, when given). ``lead`` is the more pressing of the two."""
    saved = None
    if saved_triage:
        result = saved_triage.get("result") if isinstance(saved_triage.get("result"), Mapping) else {}
        level = str(saved_triage.get("level") or result.get("level") or "info")
        when = saved_triage.get("created_at")
        saved = {"level": level, "level_text": LEVEL_TEXT.get(level, level), "matches": _matches(result.get("matches")),
                 "when": when.strftime("%Y-%m-%d %H:%M") if isinstance(when, datetime) else str(when or "an unknown date"),
                 "ago": _ago(when, datetime.now()) if isinstance(when, datetime) else ""}
    now = None
    if assessment is not None:
        d = assessment.to_dict() if hasattr(assessment, "to_dict") else dict(assessment)
        level = d.get("level") or "info"
        matches = _matches(d.get("matches"))
        if not answers_given:  # "nothing worrying in what you told us" would claim answers nobody gave
            for m in matches:
                if m["rule_id"] in ("nothing_found", "nothing_answered"):
                    msg = m["message"]  # what the video could not show stays said
                    tail = msg[msg.index(NOT_JUDGED_LEAD):] if NOT_JUDGED_LEAD in msg else ""
                    m["message"] = (MEASURED_ONLY if saved is None else MEASURED_ONLY_SAVED) + tail
                    # and its reason speaks of the measurements alone ("among the answers and
                    # measured flags" sat beside an urgent result from answers given before)
                    for said in (MEASURED_REASON_FROM, MEASURED_ONLY_REASON):  # the engine's own, for a video alone
                        m["reason"] = m["reason"].replace(said, MEASURED_REASON_TO, 1)
        now = {"level": level, "level_text": LEVEL_TEXT.get(level, level), "matches": matches,
               "disclaimer": d.get("disclaimer") or "", "answers_given": answers_given}
    if saved is None and now is None:
        return None
    rank = {lv: i for i, lv in enumerate(LEVEL_TEXT)}
    lead = min((g for g in (saved, now) if g is not None), key=lambda g: rank.get(g["level"], len(rank)))
    return {"saved": saved, "now": now, "lead": {"level": lead["level"], "level_text": lead["level_text"],
                                                  "from_saved": lead is saved}}


def report_context(analysis: Analysis, *, table=None, history=None, diary=None, assessment=None,
                   answers_given: bool = False, saved_triage: Mapping | None = None, analysed_at: datetime | None = None, signals_note: str | None = None,
                   notes: list[str] | None = None) -> dict:
    """Everything the template shows, as plain strings, rows and data URIs.

    Parameters
    ----------
    analysis : Analysis
        A fresh result, or one read back with :meth:`Analysis.from_dict`; a block that is
        ``None`` is shown as not measured.
    table : SignalTable, optional
        Per-frame signals (signals.csv); without it there are no per-frame figures.
    history : pandas.DataFrame, optional
        ``Store.history()``; a trend figure when it has two rows or more.
    diary : pandas.DataFrame, optional
        ``Store.diary()``; its factors join the trend figure.
    assessment : smilescope.assess.Assessment or dict, optional
        Guidance for this analysis (and the questionnaire answers, if any).
    answers_given : bool
        ``assessment`` used questionnaire answers.
    saved_triage : mapping, optional
        The latest saved triage result (``Store.last_triage()``), shown with its date.
    analysed_at : datetime, optional
    signals_note : str, optional
        Why there are no per-frame figures (shown in their place).
    notes : list of str, optional
        Other things left out and why (shown under the recording details).
    """
    ctx = {"header": _header(analysis, analysed_at), "smile": _smile(analysis.smile, analysis.synkinesis), "shake": _shake(analysis),
           "flags": _flags(analysis.flags), "history": _history(history, diary), "guidance": _guidance(assessment, saved_triage, answers_given),
           "emergency": EMERGENCY, "emergency_source": EMERGENCY_SOURCE, "tremor_rule": words.TREMOR_RULE, "not_diagnosis": NOT_DIAGNOSIS,
           "figures": dict.fromkeys(("smile", "spectrum", "twitches")), "notes": list(notes or []), "signals_note": None}
    if table is None:
        ctx["signals_note"] = signals_note or "Plots over time need the signals.csv written beside analysis.json."
        return ctx
    a = analysis
    wanted = [("smile", a.smile is not None, lambda: figures.smile_png(table, a.smile)),
              ("spectrum", a.shake is not None, lambda: figures.spectrum_png(table, a.shake, noise_floor_mm=a.quality.noise_floor_mm,
                                                                          rule=False)),  # the rule is in the text
              ("twitches", a.twitches is not None and a.twitches.judged,  # an empty raster would read as "none found"
              lambda: figures.twitch_raster_png(table, a.twitches, blinks=a.blinks))]
    for key, show, draw in wanted:
        if not show:
            continue
        try:
            ctx["figures"][key] = png_data_uri(draw())
        except KeyError as e:  # an older signals.csv without the column this figure needs
            ctx["notes"].append(f"The {key} plot needs the column {e} that this signals.csv lacks.")
    return ctx


def render_html(analysis: Analysis, **kw) -> str:
    """The report as one HTML string (keywords as :func:`report_context`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("smilescope.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**report_context(analysis, **kw))
