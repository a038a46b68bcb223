"""Figures for reports: matplotlib with the file-only Agg backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def smile_figure(table, smile: dict, path: str | Path, *, title: str = "") -> Path:
    """Left and right mouth-corner excursion over time, smile episodes shaded.

    Parameters
    ----------
    table : SignalTable
        Needs ``smile_excursion_{right,left}_mm``.
    smile : dict
        The ``smile`` block of analysis.json (episodes with ``start_s``/``end_s``).
    path : str or Path
        PNG file to write (written whole or not at all).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from smilescope.output import atomic_write_bytes

    t = table.t_s
    fig, ax = plt.subplots(figsize=(8, 3), dpi=110)
    for e in smile.get("episodes", []):
        ax.axvspan(e["start_s"], e["end_s"], color="#f3d36b", alpha=0.35, lw=0)
    ax.plot(t, table.columns["smile_excursion_right_mm"], color="#1f77b4", lw=1.5, label="right (person's)")
    ax.plot(t, table.columns["smile_excursion_left_mm"], color="#d62728", lw=1.5, label="left (person's)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mouth-corner movement (mm)")
    ax.set_xlim(t[0], t[-1] if len(t) > 1 else t[0] + 1)
    top = np.nanmax(np.r_[table.columns["smile_excursion_right_mm"], table.columns["smile_excursion_left_mm"], 1.0])
    ax.set_ylim(0, top * 1.1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_title(title or "Smile: movement of each mouth corner from rest (smiles shaded)", fontsize=9)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
