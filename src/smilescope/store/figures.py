"""The history figure: measures per stored analysis over time, with the diary factors.

:func:`history_png` returns the PNG bytes; the caller writes them to a file or embeds them.
"""

from __future__ import annotations

import io
from datetime import datetime, time

import pandas as pd

_FACTOR_STYLE = {"caffeine_cups": ("caffeine (cups)", "#8c564b"), "sleep_hours": ("sleep (h)", "#1f77b4"),
                 "stress_0_10": ("stress (0-10)", "#d62728"), "water_glasses": ("water (glasses)", "#17becf")}


def history_png(history: pd.DataFrame, diary: pd.DataFrame) -> bytes:
    """A PNG of the trends: smile excursion per side, asymmetry, shaking, diary factors.

    Parameters
    ----------
    history : pandas.DataFrame
        From :meth:`Store.history` (``t`` and the measure columns).
    diary : pandas.DataFrame
        From :meth:`Store.diary`; a panel of its factors is drawn when it has entries.

    Returns
    -------
    bytes
        The PNG file.
    """
    import matplotlib  # heavy (about a second): loaded only when a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    panels = 4 if not diary.empty else 3
    fig, axes = plt.subplots(panels, 1, figsize=(8, 2.2 * panels), dpi=110, sharex=True)
    t = pd.to_datetime(history["t"])
    style = dict(marker="o", ms=3, lw=1)
    ax = axes[0]
    ax.plot(t, history["excursion_right_mm"], color="#1f77b4", label="right (person's)", **style)
    ax.plot(t, history["excursion_left_mm"], color="#d62728", label="left (person's)", **style)
    ax.set_ylabel("smile excursion\n(mm)")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.set_title("History: one point per analysed video", fontsize=9)
    axes[1].plot(t, history["asymmetry_pct"], color="#9467bd", **style)
    axes[1].set_ylabel("smile asymmetry\n(%)")
    ax = axes[2]
    ax.plot(t, history["tremor_amplitude_mm"], color="#ff7f0e", label="tremor amplitude (mm)", **style)
    ax.set_ylabel("tremor amplitude\n(mm)")
    twin = ax.twinx()
    judged = history["twitch_rate_per_min"].notna().any()
    twin.plot(t, history["twitch_rate_per_min"], color="#2ca02c", ls="--",
              label="twitches per minute" + ("" if judged else " (not judged)"), **style)
    twin.set_ylabel("twitches\n(/min)")
    ax.legend(handles=ax.get_lines() + twin.get_lines(), loc="upper left", frameon=False, fontsize=8)
    if panels == 4:
        ax = axes[3]
        noon = [datetime.combine(d, time(12)) for d in diary["day"]]
        for col, (label, color) in _FACTOR_STYLE.items():
            ax.plot(noon, diary[col], color=color, label=label, **style)
        ax.set_ylabel("diary")
        ax.legend(loc="upper left", frameon=False, fontsize=8, ncol=4)
    # x: calendar dates over the span of the analyses (a day either side), so an old diary entry
    # does not squeeze them into a corner; y: from zero, so a small change does not look large
    lo, hi = t.min() - pd.Timedelta(days=1), t.max() + pd.Timedelta(days=1)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in (*axes, twin):
        ax.set_ylim(bottom=0)
    # a measure no analysis could judge (talking, head turned, no relaxed face) is said so, not
    # left as an empty panel that reads like a missing figure
    for ax, cols in ((axes[0], ("excursion_right_mm", "excursion_left_mm")), (axes[1], ("asymmetry_pct",)),
                     (axes[2], ("tremor_amplitude_mm", "twitch_rate_per_min"))):
        if not history[list(cols)].notna().to_numpy().any():
            ax.text(0.5, 0.5, "not judged in any of these analyses", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="#555555")
    axes[-1].set_xlabel("date")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
