"""One-screen terminal summary of an analysis.json document."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from smilescope.measures.flags import MIN_RATE_S


def _fmt(x, spec: str = ".2f", unit: str = "") -> str:
    if x is None:
        return "—"
    return f"{x:{spec}}{unit}"


def render_summary(doc: dict, *, json_path=None, csv_path=None) -> Group:
    """Build a rich renderable from the analysis document (works on a loaded JSON too)."""
    v, q, h = doc["video"], doc["quality"], doc["head_motion"]
    parts = [Text(f"smilescope — {v['path']}", style="bold")]
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="dim")
    t.add_column()
    t.add_row("video", f"{v['width']}x{v['height']}, {v['frames']} frames, {_fmt(v['duration_s'], '.1f', ' s')}, "
                       f"{_fmt(v['fps'], '.1f', ' fps')}")
    t.add_row("face found", f"{q['face_frames_ratio']:.0%} of frames (measured: {q['valid_frames_ratio']:.0%})")
    t.add_row("scale", f"{_fmt(q['mm_per_px'], '.4f')} mm/px from the iris ({q['iris_mm']} mm), "
                       f"spread {_fmt(q['mm_per_px_spread'] * 100 if q['mm_per_px_spread'] is not None else None, '.1f', ' %')}")
    t.add_row("noise floor", f"{_fmt(q['noise_floor_mm'], '.3f', ' mm')} (frame-to-frame, 1 sigma)")
    t.add_row("head motion", f"x {_fmt(h.get('head_x_range_mm'), '.1f', ' mm')}, y {_fmt(h.get('head_y_range_mm'), '.1f', ' mm')}, "
                             f"roll {_fmt(h.get('head_roll_range_deg'), '.1f', '°')}, yaw {_fmt(h.get('head_yaw_range_deg'), '.1f', '°')} (range)")
    parts.append(t)
    peaks = doc.get("peaks") or {}
    if peaks:
        m = Table(title="largest movement from the relaxed face (mm)", title_justify="left", box=None)
        m.add_column("")
        m.add_column("right (person's)", justify="right")
        m.add_column("left (person's)", justify="right")
        for label, key in (("mouth corner", "mouth_corner"), ("cheek", "cheek"), ("nasolabial", "nasolabial")):
            m.add_row(label, _fmt(peaks.get(f"{key}_right_mm"), ".1f"), _fmt(peaks.get(f"{key}_left_mm"), ".1f"))
        parts.append(m)
    sm = doc.get("smile") or {}
    if sm.get("episodes"):
        ex = sm["excursion_mm"]
        st = Table(title=f"smiles: {len(sm['episodes'])} found (median over smiles)", title_justify="left", box=None)
        st.add_column("")
        st.add_column("right (person's)", justify="right")
        st.add_column("left (person's)", justify="right")
        st.add_row("mouth-corner excursion", _fmt(ex.get("right"), ".1f", " mm"), _fmt(ex.get("left"), ".1f", " mm"))
        du = sm.get("duchenne") or {}
        if du:
            st.add_row("cheek raise", _fmt(du["right"]["cheek_raise_mm"], ".1f", " mm"), _fmt(du["left"]["cheek_raise_mm"], ".1f", " mm"))
            st.add_row("eye narrowing", _fmt(du["right"]["palpebral_narrowing_pct"], ".0f", " %"),
                       _fmt(du["left"]["palpebral_narrowing_pct"], ".0f", " %"))
        parts.append(st)
        weaker = sm.get("weaker_side", "none")
        parts.append(Text(f"asymmetry {_fmt(sm.get('asymmetry_pct'), '.0f', ' %')}; "
                          + (f"the {weaker} side moves less" if weaker != "none" else "no side clearly weaker")
                          + " (a difference needs >= 3 mm and 20 % to count)"))
        fat = sm.get("fatigue") or {}
        if fat.get("decrement_pct_per_rep") is not None:
            parts.append(Text(f"over {fat['repetitions']} smiles: {fat['decrement_pct_per_rep']:+.0f} % per smile"
                              + (" — the smile fades with repetition" if fat.get("fades") else "")))
    elif "episodes" in sm:
        parts.append(Text("no smile found (corners never moved out and up by 1.5 mm or more)"))
    sh = doc.get("shake") or {}
    tr = sh.get("tremor") or {}
    if tr:
        parts.append(Text(
            f"shaking: {tr['frequency_hz']:.1f} Hz, {tr['amplitude_mm']:.2f} mm, {tr['region']}, side {tr['side']}, "
            f"at {tr['phase']}" if tr.get("detected") else "shaking: no tremor found"))
    if (sh.get("head") or {}).get("tremor_detected"):
        parts.append(Text(f"head: oscillates at {sh['head']['frequency_hz']:.1f} Hz, {sh['head']['amplitude_mm']:.2f} mm"))
    long_enough = ((doc.get("video") or {}).get("duration_s") or 0) >= MIN_RATE_S  # no rates from a few seconds
    if "twitches" in sh:
        rate = (sh.get("twitch_rate_per_min") or {}).get("total") if long_enough else None
        parts.append(Text(f"twitches: {len(sh['twitches'])}" + (f" ({rate:.0f} per minute)" if rate else "")
                          + ("; eye twitches spread to the mouth" if sh.get("spread_eye_to_mouth") else "")))
    bl = sh.get("blinks") or {}
    if bl:
        parts.append(Text(f"blinks: {bl.get('count', 0)}" + (f" ({bl['rate_per_min']:.0f} per minute; usual 8-21 at rest)"
                                                              if bl.get("rate_per_min") and long_enough else "")))
    for f in doc.get("flags") or []:
        parts.append(Text(f"worth noting: {f['id'].replace('_', ' ')} ({f['side']}): {f['why']}", style="bold"))
    for w in q.get("warnings", []):
        parts.append(Text(f"! {w}", style="yellow"))
    if json_path is not None:
        parts.append(Text(f"wrote {json_path}, {csv_path} and the figures (smile, spectrum, twitches) beside them; "
                          "`smilescope report` makes a readable page of it", style="green"))
    parts.append(Text("These are measurements, not a diagnosis.", style="dim"))
    return Group(*parts)
