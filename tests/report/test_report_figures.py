"""Figures as PNG bytes from the typed blocks of a real analysis."""

from __future__ import annotations

import dataclasses
import json

import pytest

from smilescope.report import figures
from smilescope.results import Analysis
from smilescope.signals import SignalTable

from report_data import analysis_folder

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = analysis_folder(tmp_path_factory)
    analysis = Analysis.from_dict(json.loads((folder / "analysis.json").read_text()))
    table = SignalTable.read_csv(folder / "signals.csv")
    return analysis, table


def test_each_figure_is_png_bytes(drawn):
    a, table = drawn
    for png in (figures.smile_png(table, a.smile), figures.spectrum_png(table, a.shake),
                figures.twitch_raster_png(table, a.twitches, blinks=a.blinks), figures.twitch_raster_png(table, a.twitches)):
        assert png.startswith(PNG_MAGIC) and len(png) > 2000


def test_figures_draw_around_missing_times(drawn):
    """A read-back block may hold None for an unmeasured time or size: it is left out, not a crash."""
    a, table = drawn
    smile = dataclasses.replace(a.smile, episodes=[dataclasses.replace(e, start_s=None) for e in a.smile.episodes])
    twitches = dataclasses.replace(a.twitches, twitches=[dataclasses.replace(t, peak_mm=None) for t in a.twitches.twitches])
    assert figures.smile_png(table, smile).startswith(PNG_MAGIC)
    assert figures.twitch_raster_png(table, twitches).startswith(PNG_MAGIC)


# --- what the figures say (issue 12 item 22) ---------------------------------------------------

@pytest.fixture
def last_figure(monkeypatch):
    """The matplotlib figure most recently saved (its texts, legend and axes can be read)."""
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def keep(self, *a, **k):
        saved.append(self)
        return original(self, *a, **k)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text") and callable(o.get_text)))


def test_spectrum_says_which_peaks_count_and_why_not(drawn, last_figure):
    a, table = drawn
    figures.spectrum_png(table, a.shake, noise_floor_mm=a.quality.noise_floor_mm)
    text = _texts(last_figure[-1])
    assert "A rhythm counts as tremor only when" in text
    shown = [p for p in a.shake.tremor.by_region if p.frequency_hz is not None]
    assert shown
    for p in shown:
        verdict = "counts" if p.detected else "no: "
        assert f"{p.side} {p.frequency_hz:.1f} Hz: {verdict}" in text


def test_twitch_raster_has_a_legend_for_side_and_size(drawn, last_figure):
    a, table = drawn
    from smilescope.measures.twitch import Twitch

    big = Twitch(t_s=float(table.t_s[len(table.t_s) // 2]), duration_s=0.1, side="left", region="eye", peak_mm=2.5)
    tw = dataclasses.replace(a.twitches, twitches=[big])
    figures.twitch_raster_png(table, tw, blinks=a.blinks)
    legend = last_figure[-1].axes[0].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[:2] == ["right (person's)", "left (person's)"]
    assert {"0.5 mm", "1 mm", "2 mm", "4 mm", "blink or wink"} <= set(labels)
    assert "size = movement" in legend.get_title().get_text()
    assert "2.5" in _texts(last_figure[-1])  # the size of a large twitch in numbers


def test_twitch_raster_reads_top_down_like_the_face_and_its_title_fits(drawn, last_figure):
    """Rows from the top: eye, brow, mouth, each right then left (the order used everywhere
    else); the title, with a long reason why twitches were not judged, lies inside the picture
    (one unwrapped line was cut off at both sides)."""
    a, table = drawn
    unjudged = dataclasses.replace(a.twitches, twitches=[], quiet_s=1.0)
    assert len(unjudged.not_judged) > 150
    figures.twitch_raster_png(table, unjudged, blinks=a.blinks)
    fig = last_figure[-1]
    ax = fig.axes[0]
    labels = sorted(((t.get_position()[1], t.get_text()) for t in ax.get_yticklabels()), key=lambda p: p[0])
    top_first = [text for _, text in labels] if ax.yaxis_inverted() else [text for _, text in labels[::-1]]
    assert top_first == ["eye right", "eye left", "brow right", "brow left", "mouth right", "mouth left"]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the figure was closed once saved: a canvas to measure it on
    canvas.draw()
    box = ax.title.get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height, (box, fig.bbox)


def test_history_plot_has_dates_on_x_and_starts_at_zero(last_figure):
    import matplotlib.dates as mdates
    import numpy as np
    import pandas as pd

    from smilescope.store.figures import history_png

    t = pd.to_datetime(["2024-05-01 09:00", "2024-05-08 09:00", "2024-05-20 09:00"])
    history = pd.DataFrame({"t": t, "excursion_right_mm": [10.0, 10.5, 10.2], "excursion_left_mm": [9.0, 9.4, 9.1],
                            "asymmetry_pct": [10.0, 11.0, 10.5], "tremor_amplitude_mm": [0.2, 0.25, 0.22],
                            "twitch_rate_per_min": [1.0, 2.0, 1.5]})
    diary = pd.DataFrame({"day": [pd.Timestamp("1990-01-01").date(), pd.Timestamp("2024-05-02").date()],
                          "caffeine_cups": [2.0, 3.0], "sleep_hours": [7.0, 6.0], "stress_0_10": [3.0, 4.0],
                          "water_glasses": [5.0, 6.0]})
    history_png(history, diary)
    fig = last_figure[-1]
    for ax in fig.axes:
        lo, hi = (mdates.num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
        assert pd.Timestamp("2024-04-29") <= lo <= pd.Timestamp("2024-05-01")  # not from the 1990 diary entry
        assert hi <= pd.Timestamp("2024-05-22")
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
        assert ax.get_ylim()[0] == 0
    assert np.isfinite(fig.axes[0].get_ylim()).all()


def test_history_plot_says_a_measure_was_never_judged(last_figure):
    import numpy as np
    import pandas as pd

    from smilescope.store.figures import history_png

    nan = np.nan
    history = pd.DataFrame({"t": pd.to_datetime(["2024-05-01 09:00", "2024-05-08 09:00"]),
                            "excursion_right_mm": [nan, nan], "excursion_left_mm": [nan, nan],
                            "asymmetry_pct": [nan, nan], "tremor_amplitude_mm": [0.2, 0.25],
                            "twitch_rate_per_min": [nan, nan]})
    history_png(history, pd.DataFrame(columns=["day", "caffeine_cups", "sleep_hours", "stress_0_10", "water_glasses"]))
    smile, asym, shake = last_figure[-1].axes[:3]
    assert "not judged in any of these analyses" in _texts_of(smile) and "not judged in any of these analyses" in _texts_of(asym)
    assert "not judged in any of these analyses" not in _texts_of(shake)  # tremor was measured
    assert "twitches per minute (not judged)" in [t.get_text() for t in shake.get_legend().get_texts()]


def _texts_of(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def test_spectrum_draws_what_the_measure_judged_and_says_where_nothing_was(drawn, last_figure):
    """The eye and brow spectra leave blinks out, as the tremor measure does (a blink is not an
    eyelid tremor); a region with no judged rhythm on a side says why instead of standing bare."""
    import numpy as np

    from smilescope.measures.shake import EYES_OPEN_REGIONS, MIN_HZ, REGIONS, region_spectrum
    from smilescope.measures.twitch import closure_mask

    a, table = drawn
    figures.spectrum_png(table, a.shake, noise_floor_mm=a.quality.noise_floor_mm)
    fig = last_figure[-1]
    text = " ".join(_texts(fig).split())
    open_eyes = ~closure_mask(table)
    assert not open_eyes.all(), "the fixture should hold blinks"
    listed = {(p.region, p.side) for p in a.shake.tremor.by_region}
    for ax, (region, cols) in zip(fig.axes, REGIONS.items()):
        assert ax.get_title() == region
        frames = open_eyes if region in EYES_OPEN_REGIONS else None
        for side, line in zip(("right", "left"), [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]):
            spec = region_spectrum(table, tuple(c.format(side=side) for c in cols), frames)[0]
            band = spec.freq_hz >= MIN_HZ
            np.testing.assert_allclose(line.get_ydata(), spec.psd_mm2_per_hz[band])
        for side in ("right", "left"):
            if (region, side) not in listed:
                assert f"{side}: not judged" in text or f"{side}: no rhythmic peak" in text or "both sides: " in text
