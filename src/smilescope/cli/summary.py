"""One-screen terminal summary of an :class:`~smilescope.results.Analysis` (Rich tables, for the CLI)."""

from __future__ import annotations

import math
import shlex
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from smilescope.measures.flags import MIN_RATE_S
from smilescope.report import words

if TYPE_CHECKING:  # annotations only
    from smilescope.results import Analysis

DASH = "—"


def _known(x) -> bool:
    """``x`` is a finite number (``None`` and NaN: not measured)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _fmt(x, spec: str = ".2f", unit: str = "") -> str:
    if not _known(x):
        return DASH
    return f"{x:{spec}}{unit}"


def _word(x) -> str:
    """A text or number as written, a dash when missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return DASH
    return str(x)


def render_summary(analysis: Analysis, *, json_path=None, csv_path=None, figures: bool = False,
                   overlay: bool = False) -> Group:
    """Build a rich renderable of ``analysis`` (a fresh result or one read back with
    :meth:`Analysis.from_dict`); a block that is ``None`` is left out, a missing number is "—"."""
    v, q, h = analysis.video, analysis.quality, analysis.head_motion
    parts = [Text(f"smilescope — {_word(v.path)}", style="bold")]
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="dim")
    t.add_column()
    t.add_row("video", f"{_word(v.width_px)}x{_word(v.height_px)}, {_word(v.frames)} frames, {_fmt(v.duration_s, '.1f', ' s')}, "
                       f"{_fmt(v.fps, '.1f', ' fps')}")
    t.add_row("sides", v.sides_convention())
    t.add_row("face found", f"{_fmt(q.face_frames_ratio, '.0%')} of frames (measured: {_fmt(q.valid_frames_ratio, '.0%')})")
    spread = q.mm_per_px_spread * 100 if _known(q.mm_per_px_spread) else None
    t.add_row("scale", f"{_fmt(q.mm_per_px, '.4f')} mm/px from the iris ({_word(q.iris_mm)} mm), "
                       f"spread {_fmt(spread, '.1f', ' %')}")
    t.add_row("noise floor", f"{_fmt(q.noise_floor_mm, '.3f', ' mm')} (frame-to-frame, 1 sigma)")
    x, y, roll, yaw = ((h.head_x_range_mm, h.head_y_range_mm, h.head_roll_range_deg, h.head_yaw_range_deg)
                       if h is not None else (None,) * 4)
    t.add_row("head motion", f"x {_fmt(x, '.1f', ' mm')}, y {_fmt(y, '.1f', ' mm')}, "
                             f"roll {_fmt(roll, '.1f', '°')}, yaw {_fmt(yaw, '.1f', '°')} (range)")
    parts.append(t)
    p = analysis.peaks
    # without a relaxed face the movement is from whatever the first frame showed (a wink, a
    # grin): per-side millimetres from it would read as a measure, so none are shown (as in the report)
    unrelaxed = analysis.smile is not None and analysis.smile.relaxed_face is False
    if p is not None and not unrelaxed:
        # not the smile's excursion (that is from the relaxed face, over the smiles only): a
        # pout or a grin moves a point too, so the sides here need not agree with the smile's
        m = Table(title="largest movement of each point from the first frame, any expression (mm)", title_justify="left", box=None)
        m.add_column("")
        m.add_column("right (person's)", justify="right")
        m.add_column("left (person's)", justify="right")
        for label, right, left in (("mouth corner", p.mouth_corner_right_mm, p.mouth_corner_left_mm),
                                   ("cheek", p.cheek_right_mm, p.cheek_left_mm),
                                   ("nasolabial", p.nasolabial_right_mm, p.nasolabial_left_mm)):
            m.add_row(label, _fmt(right, ".1f"), _fmt(left, ".1f"))
        parts.append(m)
    sm = analysis.smile
    if sm is not None and sm.relaxed_face is False:
        when = ", ".join(f"{e.start_s:.1f}-{e.end_s:.1f} s" for e in sm.episodes[:8] if _known(e.start_s) and _known(e.end_s))
        parts.append(Text((f"smiles: {len(sm.episodes)} found by the look of the face ({when}); " if sm.episodes else "no smile found; ")
                          + f"movement in mm and a weaker side not judged: {sm.not_judged}. Start with a few seconds of "
                          "relaxed face, looking at the camera, lips closed."))
    elif sm is not None and sm.episodes:
        ex = sm.excursion_mm or {}
        st = Table(title=f"smiles: {len(sm.episodes)} found (median over smiles)", title_justify="left", box=None)
        st.add_column("")
        st.add_column("right (person's)", justify="right")
        st.add_column("left (person's)", justify="right")
        st.add_row("mouth-corner excursion", _fmt(ex.get("right"), ".1f", " mm"), _fmt(ex.get("left"), ".1f", " mm"))
        for label, right, left in words.smile_face_rows(sm, analysis.synkinesis):
            st.add_row(label.lower(), right, left)
        parts.append(st)
        parts.append(Text(f"{words.asymmetry_label(sm)} {_fmt(sm.asymmetry_pct, '.0f', ' %')}. " + words.side_decision(sm)))
        if (note := words.negative_note(sm, analysis.synkinesis)) is not None:
            parts.append(Text(note))
        if (note := words.tremor_note(sm)) is not None:
            parts.append(Text(note))
        if (tired := words.fatigue_sentence(sm.fatigue)) is not None:
            parts.append(Text(tired))
    elif sm is not None:
        parts.append(Text("no smile found (corners never moved out and up by 1.5 mm or more, and no frame looked like a smile)"))
    if analysis.synkinesis is not None:
        parts.append(Text(words.eye_narrowing_sentence(analysis.synkinesis)))
    sh = analysis.shake
    if sh is not None:
        tr = sh.tremor
        parts.append(Text(
            f"shaking: {_fmt(tr.frequency_hz, '.1f', ' Hz')}, {_fmt(tr.amplitude_mm, '.2f', ' mm')}, {_word(tr.region)}, "
            f"side {_word(tr.side)}, at {_word(tr.phase)}" if tr.detected
            else ("shaking: no tremor found" if tr.judged else f"shaking: not judged ({tr.not_judged})")))
        if sh.head.tremor_detected:
            parts.append(Text(f"head: oscillates at {_fmt(sh.head.frequency_hz, '.1f', ' Hz')}, "
                              f"{_fmt(sh.head.amplitude_mm, '.2f', ' mm')}"))
    long_enough = _known(v.duration_s) and v.duration_s >= MIN_RATE_S  # no rates from a few seconds
    tw = analysis.twitches
    if tw is not None and not tw.judged:
        parts.append(Text(f"twitches: not judged ({tw.not_judged or words.TWITCHES_NOT_JUDGED})"))
    elif tw is not None:
        rate = tw.twitch_rate_per_min.total if long_enough else None
        quiet = f" in {_fmt(tw.quiet_s, '.0f', ' s')} of face at rest" if _known(tw.quiet_s) else ""
        parts.append(Text(f"twitches: {len(tw.twitches)}{quiet}" + (f" ({rate:.0f} per minute)" if _known(rate) and rate else "")
                          + ("; eye twitches spread to the mouth" if tw.spread_eye_to_mouth else "")))
    bl = analysis.blinks
    if bl is not None:
        rate = bl.rate_per_min if long_enough else None
        parts.append(Text(f"blinks: {_word(bl.count)}" + (f" ({rate:.0f} per minute; usual 8-21 at rest)"
                                                           if _known(rate) and rate else "")))
    for f in analysis.flags:
        parts.append(Text(f"worth noting: {f.id.replace('_', ' ')} ({f.side}): {f.why}", style="bold"))
    for w in q.warnings or []:
        parts.append(Text(f"! {w}", style="yellow"))
    if json_path is not None:
        drawn = [w for w, on in (("the figures (smile, spectrum, twitches)", figures),
                                 ("overlay.png (the tracked points on key frames)", overlay)) if on]
        drawn = f" and {' and '.join(drawn)} beside them" if drawn else ""
        parts.append(Text(f"wrote {json_path}, {csv_path}{drawn}; `smilescope report {shlex.quote(str(json_path))}` makes a readable "
                          "page of it with the plots", style="green"))
    parts.append(Text("These are measurements, not a diagnosis.", style="dim"))
    return Group(*parts)
