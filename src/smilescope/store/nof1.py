"""n-of-1: does a diary factor go with more or less shaking, in this one person?

Method (chosen for being simple, deterministic and standard):

* **Pairing.** Each day with a diary value for the factor and at least one analysis is one
  pair; several analyses on a day are averaged. Days missing either are left out.
* **Effect size.** The standardised regression slope of the measure on the factor, which for
  one predictor equals Pearson's *r* (−1 … 1): the change in the measure, in its own standard
  deviations, per standard deviation of the factor. The raw slope (e.g. mm per cup) is given too.
* **95 % confidence interval.** Fisher's *z* transform: ``tanh(atanh(r) ± 1.96 / sqrt(n − 3))``.
  A link is *found* when the interval excludes 0. With no real link this happens on about
  1 day-history in 20 for each factor × measure pair checked.
* **Minimum.** Below :data:`MIN_DAYS` (14) paired days the answer is "not enough data yet":
  with fewer, the interval is so wide that only very strong links could show.

Limits, stated plainly: days are treated as independent, but habits and symptoms run in
streaks, which makes intervals too narrow; a link never shows what causes what (a third thing,
such as a stressful week, can drive both). Messages therefore never claim a cause.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

MIN_DAYS = 14
Z95 = 1.959963984540054

# (what "more" of the factor is called, unit for the slope)
FACTOR_WORDS = {
    "caffeine_cups": ("more coffee or other caffeine", "cup"),
    "sleep_hours": ("more sleep", "hour of sleep"),
    "stress_0_10": ("more stress", "point of stress"),
    "water_glasses": ("more water", "glass of water"),
}
# (name, unit, word for higher, word for lower)
MEASURE_WORDS = {
    "tremor_amplitude_mm": ("shaking (tremor amplitude)", "mm", "larger", "smaller"),
    "twitch_rate_per_min": ("twitching (twitches per minute)", "/min", "more frequent", "less frequent"),
}
MEASURES = tuple(MEASURE_WORDS)
NOT_A_CAUSE = "This shows a link, not a cause."


@dataclass(frozen=True)
class Effect:
    """The link between one diary factor and one measure, over paired days.

    ``effect`` is the standardised slope (= Pearson r) with its 95 % interval
    ``ci_low``…``ci_high``; ``slope_per_unit`` is the raw slope (measure unit per factor unit).
    They are ``None`` when there is not enough data or a series did not vary.
    """

    factor: str
    measure: str
    n_days: int
    enough_data: bool
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    found: bool
    message: str
    slope_per_unit: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def paired_days(history: pd.DataFrame, diary: pd.DataFrame, factor: str, measure: str) -> pd.DataFrame:
    """One row per day with both values: columns ``day``, ``x`` (factor), ``y`` (day's mean measure)."""
    if history.empty or diary.empty or measure not in history or factor not in diary:
        return pd.DataFrame({"day": [], "x": [], "y": []})
    y = (history[["day", measure]].dropna().astype({measure: float})
         .groupby("day", as_index=False)[measure].mean().rename(columns={measure: "y"}))
    x = diary[["day", factor]].dropna().astype({factor: float}).rename(columns={factor: "x"})
    return x.merge(y, on="day", how="inner").sort_values("day", ignore_index=True)


def relate(history: pd.DataFrame, diary: pd.DataFrame, factor: str, measure: str, *,
           min_days: int = MIN_DAYS) -> Effect:
    """How ``measure`` (from :meth:`Store.history`) goes with ``factor`` (from :meth:`Store.diary`).

    Parameters
    ----------
    history, diary : pandas.DataFrame
        With a ``day`` column (dates) and the measure / factor column.
    factor : str
        A diary column, e.g. ``"caffeine_cups"``.
    measure : str
        A history column, e.g. ``"tremor_amplitude_mm"``.
    min_days : int
        Fewest paired days for an answer (at least 4, for the interval to exist).
    """
    min_days = max(int(min_days), 4)
    pairs = paired_days(history, diary, factor, measure)
    n = len(pairs)
    more, per = FACTOR_WORDS.get(factor, (f"more {factor}", factor))
    name, unit, up, down = MEASURE_WORDS.get(measure, (measure, "", "higher", "lower"))

    def effect(message: str, **kw) -> Effect:
        return Effect(factor=factor, measure=measure, n_days=n, message=message,
                      **{"enough_data": True, "effect": None, "ci_low": None, "ci_high": None, "found": False, **kw})

    if n < min_days:
        return effect(f"Not enough data yet for {more} and {name}: {n} day(s) with both a diary entry and an "
                      f"analysis; at least {min_days} are needed.", enough_data=False)
    x, y = pairs["x"].to_numpy(float), pairs["y"].to_numpy(float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        which = factor if np.ptp(x) == 0 else measure
        return effect(f"{which} was the same on all {n} days, so no link with it can be estimated.")
    r = float(np.clip(np.corrcoef(x, y)[0, 1], -1 + 1e-12, 1 - 1e-12))
    half = Z95 / math.sqrt(n - 3)
    lo, hi = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
    slope = float(np.polyfit(x, y, 1)[0])
    found = lo > 0 or hi < 0
    numbers = f"r = {r:+.2f}, 95 % CI {lo:+.2f} to {hi:+.2f}, {n} days; about {slope:+.3g} {unit} per {per}"
    if found:
        text = f"On days with {more}, {name} was {up if r > 0 else down} ({numbers}). {NOT_A_CAUSE}"
    else:
        text = f"No clear link between {more} and {name} so far ({numbers})."
    return effect(text, effect=r, ci_low=lo, ci_high=hi, found=found, slope_per_unit=slope)
