"""Figures of one analysis as PNG bytes, drawn with matplotlib's file-only Agg backend (no screen needed).

Each ``*_png`` function takes the typed blocks of an :class:`~smilescope.results.Analysis` it
draws, and returns the bytes; the caller decides where they go: a file beside analysis.json
(``smilescope analyze``), or a data URI in the HTML report.
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import TYPE_CHECKING

import numpy as np

from smilescope.report import words

if TYPE_CHECKING:  # annotations only
    from smilescope.measures.expressivity import BlinkResult
    from smilescope.measures.shake import ShakeResult
    from smilescope.measures.smile import SmileResult
    from smilescope.measures.twitch import TwitchResult


def _pyplot():
    """pyplot on the Agg backend."""
    import matplotlib  # heavy (about a second): loaded only when a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    """The PNG bytes of ``fig``, which is then closed."""
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


_SIDE_COLOURS = {"right": "#1f77b4", "left": "#d62728"}


def _known(*xs) -> bool:
    """Every value is a finite number (``None`` and NaN: not measured)."""
    return all(x is not None and math.isfinite(x) for x in xs)


def smile_png(table, smile: SmileResult, *, title: str = "") -> bytes:
    """Each mouth corner's signed smile activation over time, smile episodes shaded.

    The activation is the corner's movement from the relaxed face along the smile direction
    (out and 30 degrees up): positive in a smile, negative in a pucker, a pout or a frown, so
    these are not drawn as if they were smiles. Without a relaxed face nothing is measured from
    rest; the plot then shows the single-frame smile score instead, and says so.

    Parameters
    ----------
    table : SignalTable
        Needs ``smile_activation_{right,left}_mm`` (or, without a relaxed face, ``smile_score``).
    smile : SmileResult
        ``Analysis.smile``; its episodes (``start_s`` to ``end_s``) are shaded.
    title : str, optional
        Replaces the default title.

    Returns
    -------
    bytes
        The PNG file.
    """
    plt = _pyplot()
    t = table.t_s
    fig, ax = plt.subplots(figsize=(8, 3), dpi=110)
    for e in smile.episodes:
        if _known(e.start_s, e.end_s):
            ax.axvspan(e.start_s, e.end_s, color="#f3d36b", alpha=0.35, lw=0)
    cols = table.columns
    measured = smile.relaxed_face is not False and "smile_activation_right_mm" in cols
    if measured:
        right, left = cols["smile_activation_right_mm"], cols["smile_activation_left_mm"]
        ax.plot(t, right, color=_SIDE_COLOURS["right"], lw=1.5, label="right (person's)")
        ax.plot(t, left, color=_SIDE_COLOURS["left"], lw=1.5, label="left (person's)")
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_ylabel("smile activation (mm)\n+ out and up, − in or down", fontsize=8)
        vals = np.r_[right, left]
        vals = vals[np.isfinite(vals)]
        lo, hi = (min(float(vals.min()), -1.0), max(float(vals.max()), 1.0)) if len(vals) else (-1.0, 1.0)
        ax.set_ylim(lo * 1.1, hi * 1.1)
        default = "Smile: each mouth corner's movement along the smile direction, from the relaxed face (smiles shaded)"
    else:
        ax.plot(t, cols["smile_score"], color="0.3", lw=1.5, label="smile score (one frame)")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("smile score (0-1)")
        default = "Smile score per frame (smiles shaded); no relaxed face, so no movement in mm"
    ax.set_xlabel("time (s)")
    ax.set_xlim(t[0], t[-1] if len(t) > 1 else t[0] + 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_title(title or default, fontsize=9)
    fig.tight_layout()
    return _png(fig)





def spectrum_png(table, shake: ShakeResult, *, noise_floor_mm: float | None = None, rule: bool = True) -> bytes:
    """Movement spectrum of each region and side (whole recording), with the noise floor.

    One panel per region (mouth, cheek, eye, brow): the power spectral density of the
    person's left and right side from 3 Hz to Nyquist (log scale), each side's measured noise
    floor (the band's median level) dashed, and a called tremor marked.

    Parameters
    ----------
    table : SignalTable
        The per-frame signals (``analysis.signals`` or ``SignalTable.read_csv``).
    shake : ShakeResult
        ``Analysis.shake``; its tremor, when detected, is marked.
    noise_floor_mm : float, optional
        ``Analysis.quality.noise_floor_mm``, for the "smaller than the video's noise" reason.
    rule : bool
        Write the tremor rule under the plot (the report prints it as text beside the figure instead).

    Returns
    -------
    bytes
        The PNG file.
    """
    from smilescope.measures.shake import EYES_OPEN_REGIONS, MIN_HZ, REGIONS, region_spectrum  # SciPy: only when drawn
    from smilescope.measures.twitch import closure_mask  # SciPy: only when drawn

    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2), dpi=110, sharex=True)
    tremor = shake.tremor
    peaks = {(p.region, p.side): p for p in tremor.by_region}
    open_eyes = ~closure_mask(table)
    for ax, (region, cols) in zip(axes.ravel(), REGIONS.items()):
        said, drawn, unjudged = [], 0, {}
        # the frames the measure judged: a blink is not an eyelid tremor, so the eye and brow
        # spectra leave blinks out, as the measure does
        frames = open_eyes if region in EYES_OPEN_REGIONS else None
        for side, colour in _SIDE_COLOURS.items():
            names = tuple(c.format(side=side) for c in cols)
            if not all(n in table.columns for n in names):
                continue
            spec, _, _, _ = region_spectrum(table, names, frames)
            if not len(spec.freq_hz):
                continue
            drawn += 1
            band = spec.freq_hz >= MIN_HZ
            f, p = spec.freq_hz[band], spec.psd_mm2_per_hz[band]
            ax.semilogy(f, p, color=colour, lw=1.2, label=f"{side} (person's)")
            ax.axhline(spec.noise_mm2_per_hz, color=colour, lw=0.8, ls="--", alpha=0.7)
            pk = peaks.get((region, side))
            if pk is None:
                unjudged[side] = (colour, _why_no_peak(table, names, frames))
            if pk is not None and _known(pk.frequency_hz) and len(f):
                y = float(np.interp(pk.frequency_hz, f, p))
                ax.plot([pk.frequency_hz], [y], marker="v" if not pk.detected else "*", ms=7 if pk.detected else 5,
                        color=colour, mec="k", mew=0.5, ls="none")
                verdict = "counts" if pk.detected else "no: " + words.peak_reasons(pk, noise_floor_mm=noise_floor_mm)[0]
                said.append((colour, f"{side} {pk.frequency_hz:.1f} Hz: {verdict}"))
        reasons = {why for _, why in unjudged.values()}
        if len(unjudged) == 2 and len(reasons) == 1:
            said.append(("0.35", "both sides: " + reasons.pop()))
        else:
            said += [(colour, f"{side}: {why}") for side, (colour, why) in unjudged.items()]
        said = [(colour, "\n".join(textwrap.wrap(text, 60))) for colour, text in said]
        for k, (colour, text) in enumerate(said):
            ax.text(0.02, 0.04 + 0.1 * k, text, transform=ax.transAxes, fontsize=6.5, color=colour, va="bottom",
                    bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1))
        if not drawn:
            gap = " with the eyes open (blinks are left out)" if frames is not None else " with the face measured"
            ax.text(0.5, 0.5, "\n".join(textwrap.wrap(f"not judged: no stretch of 2 s or more{gap}", 34)),
                    transform=ax.transAxes, ha="center", va="center", fontsize=7.5, color="0.35")
        elif frames is not None:
            ax.text(0.98, 0.97, "blinks left out", transform=ax.transAxes, ha="right", va="top", fontsize=6.5, color="0.35")
        if tremor.detected and tremor.region == region and _known(tremor.frequency_hz):
            ax.axvline(tremor.frequency_hz, color="k", lw=0.8, ls=":")
            ax.text(tremor.frequency_hz, ax.get_ylim()[1], f" tremor {tremor.frequency_hz:.1f} Hz",
                    va="top", fontsize=7)
        ax.set_title(region, fontsize=9)
        ax.grid(alpha=0.3, which="both")
    for ax in axes[1]:
        ax.set_xlabel("frequency (Hz)")
    for ax in axes[:, 0]:
        ax.set_ylabel("power (mm²/Hz)")
    if axes[0, 0].get_legend_handles_labels()[0]:
        axes[0, 0].legend(loc="upper right", frameon=False, fontsize=7)
    fig.suptitle("Shaking: movement spectrum per region (dashed: measured noise floor; ▼ each side's strongest "
                 "rhythm, ★ one that counts as tremor)", fontsize=8.5)
    if rule:
        fig.text(0.5, 0.01, "\n".join(textwrap.wrap(words.TREMOR_RULE, 150)), ha="center", va="bottom", fontsize=6.5,
                 color="0.25")
    fig.tight_layout(rect=(0, 0.07 if rule else 0, 1, 1))
    return _png(fig)


def _why_no_peak(table, names: tuple[str, ...], frames) -> str:
    """Why a side's region has no judged rhythm: the measure judges the frames at rest and those
    within smiles apart (:func:`smilescope.measures.shake.tremor`), each needing a 2 s stretch."""
    from smilescope.measures.shake import region_spectrum  # SciPy: only when drawn

    smiling = table.columns["smile_episode"] > 0 if "smile_episode" in table.columns else np.zeros(len(table), bool)
    for phase in (~smiling, smiling):
        mask = phase if frames is None else phase & frames
        if len(region_spectrum(table, names, mask)[0].freq_hz):
            return "no rhythmic peak above 3 Hz"
    eyes = " with the eyes open" if frames is not None else ""
    return f"not judged: no 2 s stretch{eyes}, at rest or within one smile"


def _twitch_size(peak_mm) -> float:
    """Marker area (points²) of a twitch of ``peak_mm``: grows with the movement, capped at 5 mm."""
    return 15 + 45 * min(peak_mm, 5.0) if _known(peak_mm) else 15


def twitch_raster_png(table, twitches: TwitchResult, *, blinks: BlinkResult | None = None) -> bytes:
    """Twitch raster: one row per region and side, a dot at each twitch (area grows with its size in
    mm, the size written beside those of 1 mm or more), blinks and winks in grey, with a legend.

    Parameters
    ----------
    table : SignalTable
        For the time axis.
    twitches : TwitchResult
        ``Analysis.twitches``.
    blinks : BlinkResult, optional
        ``Analysis.blinks``; its blinks and winks are shaded grey (they are not twitches).

    Returns
    -------
    bytes
        The PNG file.
    """
    plt = _pyplot()
    rows = [(r, s) for r in ("eye", "brow", "mouth") for s in ("right", "left")]
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=110)
    for e in blinks.events if blinks is not None else []:
        if _known(e.t_s, e.duration_s):
            ax.axvspan(e.t_s, e.t_s + e.duration_s, color="#bbbbbb", alpha=0.5, lw=0)
    for k, (region, side) in enumerate(rows):
        ev = [e for e in twitches.twitches if e.region == region and e.side == side and _known(e.t_s)]
        if ev:
            ax.scatter([e.t_s for e in ev], [k] * len(ev), s=[_twitch_size(e.peak_mm) for e in ev],
                       color=_SIDE_COLOURS[side], alpha=0.75, edgecolors="k", linewidths=0.4)
            for e in ev:
                if _known(e.peak_mm) and e.peak_mm >= 1.0:  # the larger ones also in numbers
                    ax.annotate(f"{e.peak_mm:.1f}", (e.t_s, k), xytext=(0, 6), textcoords="offset points",
                                ha="center", fontsize=6)
    ax.set_yticks(range(len(rows)), [f"{r} {s}" for r, s in rows], fontsize=7)
    from matplotlib.lines import Line2D  # matplotlib is heavy: loaded only when a figure is drawn
    from matplotlib.patches import Patch

    handles = [Line2D([], [], ls="none", marker="o", color=_SIDE_COLOURS[s], label=f"{s} (person's)") for s in ("right", "left")]
    handles += [Line2D([], [], ls="none", marker="o", color="0.6", mec="k", mew=0.4, ms=math.sqrt(_twitch_size(mm)),
                       label=f"{mm:g} mm") for mm in (0.5, 1, 2, 4)]
    handles.append(Patch(color="#bbbbbb", alpha=0.5, label="blink or wink"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7,
              title="twitch: colour = side,\nsize = movement", title_fontsize=7)
    t = table.t_s
    ax.set_xlim(t[0], t[-1] if len(t) > 1 else t[0] + 1)
    ax.set_ylim(len(rows) - 0.3, -0.7)  # the first row on top: eye, brow, mouth as on the face, right before left
    ax.set_xlabel("time (s)")
    n = len(twitches.twitches)
    what = (f"not judged ({twitches.not_judged or words.TWITCHES_NOT_JUDGED})" if not twitches.judged
            else f"{n} brief one-sided movement{'s' if n != 1 else ''}")
    # wrapped: a reason why twitches were not judged runs to 200 characters, and one line was cut off
    ax.set_title(textwrap.fill(f"Twitches: {what} (grey: blinks and winks, not counted); sides are the person's own", 95),
                 fontsize=8)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return _png(fig)
