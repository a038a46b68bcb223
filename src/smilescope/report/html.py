"""Self-contained HTML report of one analysis: plain words for the person, numbers for a clinician.

:func:`report_context` turns an analysis.json document (plus optional per-frame signals, stored
history and guidance) into plain data for the template; :func:`render_html` fills the Jinja2
template shipped in ``report/templates`` (autoescaped). Figures are embedded as base64 PNG data
URIs and the CSS is inline, so the file opens anywhere without a network.
Any block of the analysis may be empty and any number may be null: missing is shown as "—"
or "not measured", never as zero.
"""

from __future__ import annotations

import base64
import math
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from smilescope.measures.flags import FLAG_KINDS

DASH = "—"

REGIONS = {"eye": "around the eye", "brow": "at the eyebrow", "cheek": "in the cheek", "mouth": "around the mouth"}
PHASES = {"rest": "with the face at rest", "smile": "while smiling", "both": "both at rest and while smiling"}
FLAG_LABELS = {k.id: k.title for k in FLAG_KINDS.values()}  # the one vocabulary, with the measures
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


def side_words(side: str | None) -> str:
    return {"left": "the left side", "right": "the right side", "both": "both sides"}.get(side or "", "neither side")


def _get(d: Mapping | None, *keys, default=None):
    for k in keys:
        if not isinstance(d, Mapping):
            return default
        d = d.get(k)
    return default if d is None else d


# --- figures -----------------------------------------------------------------------------

def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _figure_uri(draw: Callable, *args) -> str:
    """Call a ``figures.*_figure(..., path)`` function into a temporary PNG and embed it."""
    with tempfile.TemporaryDirectory(prefix="smilescope-fig-") as tmp:
        path = Path(draw(*args, Path(tmp) / "fig.png"))
        return png_data_uri(path.read_bytes())


# --- sections ------------------------------------------------------------------------------

def _header(doc: Mapping, analysed_at: datetime | None) -> dict:
    v, q = doc.get("video") or {}, doc.get("quality") or {}
    name = Path(str(v.get("path") or "unknown video")).name
    facts = [
        ("Video", f"{name}: {num(v.get('duration_s'), '.1f', ' s')}, {num(v.get('fps'), '.0f', ' frames per second')}, "
                  f"{num(v.get('width'), 'd')}×{num(v.get('height'), 'd')} pixels"),
        ("Face found", f"in {num(_pct(q.get('face_frames_ratio')), '.0f', ' %')} of frames; "
                       f"measured in {num(_pct(q.get('valid_frames_ratio')), '.0f', ' %')}"),
        ("Scale", f"{num(q.get('mm_per_px'), '.3f', ' mm per pixel')}, from the size of the iris "
                  f"({num(q.get('iris_mm'), '.1f', ' mm')} across in adults)"),
        ("Noise level", f"{num(q.get('noise_floor_mm'), '.2f', ' mm')} (smaller movements cannot be told apart from noise)"),
    ]
    return {"video_name": name, "video_path": str(v.get("path") or ""), "facts": facts,
            "analysed_at": analysed_at.strftime("%Y-%m-%d %H:%M") if analysed_at else None,
            "made_at": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "warnings": [_sentence(w) for w in q.get("warnings") or []]}


def _sentence(text) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:]


def _pct(ratio):
    return None if ratio is None else 100 * ratio


def _smile(doc: Mapping) -> dict:
    sm = doc.get("smile") or {}
    eps = sm.get("episodes")
    out: dict = {"measured": eps is not None, "count": len(eps or []), "lines": [], "rows": [], "episodes": [],
                 "source": None, "more_episodes": 0}
    if not eps:
        return out
    ex = sm.get("excursion_mm") or {}
    th = sm.get("thresholds") or {}
    out["rows"] = [("Mouth-corner movement from rest", num(ex.get("right"), ".1f", " mm"), num(ex.get("left"), ".1f", " mm"))]
    du = sm.get("duchenne") or {}
    if du:
        out["rows"].append(("Cheek raise", num(_get(du, "right", "cheek_raise_mm"), ".1f", " mm"),
                            num(_get(du, "left", "cheek_raise_mm"), ".1f", " mm")))
    weaker = sm.get("weaker_side") or "none"
    lines = [f"The two sides differ by {num(sm.get('asymmetry_pct'), '.0f', ' %')} (0 % = perfectly even)."]
    if weaker in ("left", "right"):
        lines.append(f"The {weaker} side moves clearly less.")
    else:
        lines.append("Neither side is clearly weaker.")
    lines.append(f"A difference counts as clear when it is at least {num(th.get('weaker_side_min_diff_mm'), '.0f', ' mm')} "
                 f"and {num(th.get('weaker_side_min_diff_pct'), '.0f', ' %')}; healthy faces differ by up to 2–3 mm.")
    out["source"] = th.get("sources")
    fat = sm.get("fatigue") or {}
    if fat.get("decrement_pct_per_rep") is not None:
        trend = "the smile fades as it is repeated" if fat.get("fades") else "the smile holds up when repeated"
        lines.append(f"Over {num(fat.get('repetitions'), 'd')} smiles the movement changed by "
                     f"{num(fat['decrement_pct_per_rep'], '+.0f', ' %')} per smile: {trend}.")
    elif fat:
        lines.append(f"Tiring with repetition: not judged ({fat.get('note') or 'too few smiles'}).")
    out["lines"] = lines
    out["episodes"] = [(i + 1, num(e.get("start_s"), ".1f", " s"), num(e.get("hold_s"), ".1f", " s"),
                        num(_get(e, "right", "excursion_mm"), ".1f", " mm"), num(_get(e, "left", "excursion_mm"), ".1f", " mm"),
                        num(e.get("asymmetry_pct"), ".0f", " %"),
                        num(e.get("head_turn_deg"), ".1f", "°") + (" (sides not compared)" if e.get("head_turned") else ""))
                       for i, e in enumerate(eps[:30])]
    out["more_episodes"] = max(len(eps) - 30, 0)
    return out


def _tremor(sh: Mapping) -> dict:
    tr = sh.get("tremor")
    if not tr:
        return {"found": None, "text": "Tremor was not measured in this analysis."}
    if not tr.get("detected"):
        return {"found": False, "text": "No regular shaking (tremor) was found in the face."}
    where = REGIONS.get(tr.get("region"), f"in the {tr.get('region') or 'face'}")
    text = (f"A regular shaking was found {where}, on {side_words(tr.get('side'))}, "
            f"{PHASES.get(tr.get('phase'), '')}: about {num(tr.get('frequency_hz'), '.1f')} times a second "
            f"({num(tr.get('frequency_hz'), '.1f', ' Hz')}), moving about {num(tr.get('amplitude_mm'), '.1f', ' mm')}.")
    caveat = None
    if tr.get("region") == "mouth":
        caveat = "Talking moves the mouth 3–7 times a second and can look like tremor; film a silent face to be sure."
    rows = [(r.get("region") or DASH, r.get("side") or DASH, num(r.get("frequency_hz"), ".1f", " Hz"),
             num(r.get("amplitude_mm"), ".2f", " mm"), num(r.get("spatial_coherence"), ".2f"),
             "yes" if r.get("detected") else "no")
            for r in tr.get("by_region") or []]
    return {"found": True, "text": text, "caveat": caveat, "rows": rows}


def _twitches(sh: Mapping) -> dict:
    if "twitches" not in sh:
        return {"text": "Twitches were not measured in this analysis (it was made by an older version).", "rows": []}
    tw = sh.get("twitches") or []
    rate = sh.get("twitch_rate_per_min") or {}
    caveat = ("Brief movements while talking or changing expression can be counted too; for a fair count, "
              "film the face relaxed and silent for a minute.")
    if not tw:
        return {"text": "No twitches were found.", "rows": []}
    text = (f"{len(tw)} twitch{'es' if len(tw) != 1 else ''} found: {num(rate.get('total'), '.1f')} per minute "
            f"(right {num(rate.get('right'), '.1f')}, left {num(rate.get('left'), '.1f')} per minute).")
    if sh.get("spread_eye_to_mouth"):
        text += " Twitches around the eye were followed by twitches around the mouth on the same side."
    rows = [(num(t.get("t_s"), ".1f", " s"), num(t.get("duration_s"), ".2f", " s"), t.get("side") or DASH,
             t.get("region") or DASH, num(t.get("peak_mm"), ".1f", " mm")) for t in tw[:40]]
    return {"text": text, "rows": rows, "more": max(len(tw) - 40, 0), "caveat": caveat}


def _shake(doc: Mapping) -> dict:
    sh = doc.get("shake") or {}
    out = {"measured": bool(sh), "tremor": _tremor(sh), "twitches": _twitches(sh)}
    head = sh.get("head") or {}
    if not head:
        out["head"] = "Head tremor was not measured."
    elif head.get("tremor_detected"):
        out["head"] = (f"The head itself shakes at about {num(head.get('frequency_hz'), '.1f', ' Hz')}, "
                       f"by about {num(head.get('amplitude_mm'), '.1f', ' mm')}.")
    else:
        out["head"] = "No head tremor was found."
    bl = sh.get("blinks") or {}
    if bl:
        out["blinks"] = (f"{num(bl.get('count'), 'd')} blink{'s' if bl.get('count') != 1 else ''}: "
                         f"{num(bl.get('rate_per_min'), '.0f')} per minute"
                         + (f" (usual: {bl['reference']})." if bl.get("reference") else "."))
    else:
        out["blinks"] = "Blinks were not measured."
    syn = doc.get("synkinesis") or {}
    if syn:
        n = syn.get("narrowing_pct") or {}
        th = syn.get("thresholds") or {}
        s = (f"While smiling the eye narrowed by {num(n.get('right'), '.0f', ' %')} on the right and "
             f"{num(n.get('left'), '.0f', ' %')} on the left. ")
        if syn.get("detected"):
            s += (f"The eye on {side_words(syn.get('side'))} closes along with the smile more than expected: "
                  "this linked movement (synkinesis) is common after facial palsy.")
        else:
            s += "No linked eye movement (synkinesis) stood out."
        out["synkinesis"] = s
        out["synkinesis_source"] = th.get("sources")
    else:
        out["synkinesis"] = "Eye narrowing while smiling (synkinesis) was not measured."
        out["synkinesis_source"] = None
    return out


def _flags(doc: Mapping) -> list[dict]:
    flags = []
    for f in doc.get("flags") or []:
        if isinstance(f, str):
            f = {"id": f}
        fid = str(f.get("id", ""))
        side = f.get("side")
        flags.append({"label": FLAG_LABELS.get(fid, fid.replace("_", " ").capitalize()),
                      "side": {"left": "left side", "right": "right side", "both": "both sides"}.get(side, ""),
                      "why": str(f.get("why") or "")})
    return flags


def _history(history, diary) -> dict:
    n = 0 if history is None else len(history)
    if n < 2:
        return {"n": n, "figure": None, "rows": [],
                "text": f"{'One analysis is' if n == 1 else 'No analyses are'} stored so far; "
                        "trends over time appear here once two or more videos have been analysed."}
    rows = [(r.t.strftime("%Y-%m-%d %H:%M") if hasattr(r.t, "strftime") else str(r.t),
             num(_row(r, "excursion_right_mm"), ".1f", " mm"), num(_row(r, "excursion_left_mm"), ".1f", " mm"),
             num(_row(r, "asymmetry_pct"), ".0f", " %"), num(_row(r, "tremor_amplitude_mm"), ".2f", " mm"),
             num(_row(r, "twitch_rate_per_min"), ".1f"))
            for r in history.tail(12).itertuples()]
    import pandas as pd

    from smilescope.store.figures import history_figure

    diary = pd.DataFrame() if diary is None else diary
    return {"n": n, "figure": _figure_uri(history_figure, history, diary), "rows": rows,
            "text": f"{n} analyses are stored; the latest {len(rows)} are listed."}


def _row(r, name):
    x = getattr(r, name, None)
    return None if x is None or x != x else float(x)


def _guidance(assessment) -> dict | None:
    if assessment is None:
        return None
    d = assessment.to_dict() if hasattr(assessment, "to_dict") else dict(assessment)
    level = d.get("level") or "info"
    return {"level": level, "level_text": LEVEL_TEXT.get(level, level), "matches": d.get("matches") or [],
            "disclaimer": d.get("disclaimer") or ""}


def report_context(doc: Mapping, *, table=None, history=None, diary=None, assessment=None,
                   analysed_at: datetime | None = None, signals_note: str | None = None,
                   notes: list[str] | None = None) -> dict:
    """Everything the template shows, as plain strings, rows and data URIs.

    Parameters
    ----------
    doc : mapping
        An analysis.json document.
    table : SignalTable, optional
        Per-frame signals (signals.csv); without it there are no per-frame figures.
    history : pandas.DataFrame, optional
        ``Store.history()``; a trend figure when it has two rows or more.
    diary : pandas.DataFrame, optional
        ``Store.diary()``; its factors join the trend figure.
    assessment : smilescope.assess.Assessment or dict, optional
        Guidance for this analysis (and the questionnaire answers, if any).
    analysed_at : datetime, optional
    signals_note : str, optional
        Why there are no per-frame figures (shown in their place).
    notes : list of str, optional
        Other things left out and why (shown under the recording details).
    """
    from smilescope.report import figures

    ctx = {"header": _header(doc, analysed_at), "smile": _smile(doc), "shake": _shake(doc), "flags": _flags(doc),
           "history": _history(history, diary), "guidance": _guidance(assessment),
           "emergency": EMERGENCY, "emergency_source": EMERGENCY_SOURCE, "not_diagnosis": NOT_DIAGNOSIS,
           "figures": dict.fromkeys(("smile", "spectrum", "twitches")), "notes": list(notes or []), "signals_note": None}
    if table is None:
        ctx["signals_note"] = signals_note or "Plots over time need the signals.csv written beside analysis.json."
        return ctx
    sm, sh = doc.get("smile") or {}, doc.get("shake") or {}
    wanted = [("smile", figures.smile_figure, sm, sm.get("episodes") is not None),
              ("spectrum", figures.spectrum_figure, sh, bool(sh.get("tremor"))),
              ("twitches", figures.twitch_raster_figure, sh, "twitches" in sh)]
    for key, draw, block, show in wanted:
        if not show:
            continue
        try:
            ctx["figures"][key] = _figure_uri(draw, table, block)
        except KeyError as e:  # an older signals.csv without the column this figure needs
            ctx["notes"].append(f"The {key} plot needs the column {e} that this signals.csv lacks.")
    return ctx


def render_html(doc: Mapping, **kw) -> str:
    """The report as one HTML string (keywords as :func:`report_context`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("smilescope.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**report_context(doc, **kw))
