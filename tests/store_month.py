"""A generated month of diary entries and analyses, with or without a planted effect."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

START = date(2024, 3, 1)


def analysis_doc(*, tremor_amplitude_mm: float, twitch_rate_per_min: float | None = 2.0,
                 excursion_left_mm: float = 11.0, excursion_right_mm: float = 10.0) -> dict:
    """A minimal dict shaped like analysis.json (only what the history reads, plus a little)."""
    shake = {"tremor": {"detected": True, "frequency_hz": 5.0, "amplitude_mm": tremor_amplitude_mm,
                        "side": "both", "region": "mouth", "phase": "rest"}}
    if twitch_rate_per_min is not None:
        shake["twitch_rate_per_min"] = {"total": twitch_rate_per_min, "left": twitch_rate_per_min / 2,
                                        "right": twitch_rate_per_min / 2}
    hi, lo = max(excursion_left_mm, excursion_right_mm), min(excursion_left_mm, excursion_right_mm)
    return {"schema_version": 1, "video": {"path": "clip.mp4", "fps": 30.0},
            "smile": {"excursion_mm": {"left": excursion_left_mm, "right": excursion_right_mm},
                      "asymmetry_pct": 100 * (hi - lo) / hi, "weaker_side": "none"},
            "shake": shake, "flags": []}


def month(seed: int, *, caffeine_effect_mm: float, days: int = 30, noise_mm: float = 0.15):
    """Diary rows and (time, doc) analyses over ``days`` days.

    Tremor amplitude = 0.2 + ``caffeine_effect_mm`` × cups + Normal(0, ``noise_mm``) per analysis;
    one or two analyses a day. Sleep, stress, water and twitches are independent noise.
    """
    rng = np.random.default_rng(seed)
    diary, analyses = [], []
    for i in range(days):
        day = START + timedelta(days=i)
        cups = int(rng.integers(0, 6))
        diary.append({"day": day, "caffeine_cups": float(cups), "sleep_hours": round(float(rng.uniform(5, 9)), 1),
                      "stress_0_10": float(rng.integers(0, 11)), "water_glasses": float(rng.integers(2, 10)),
                      "note": None})
        for k in range(int(rng.integers(1, 3))):
            amp = 0.2 + caffeine_effect_mm * cups + rng.normal(0, noise_mm)
            doc = analysis_doc(tremor_amplitude_mm=amp, twitch_rate_per_min=float(rng.gamma(4.0, 0.5)),
                               excursion_left_mm=float(rng.normal(11, 1)), excursion_right_mm=float(rng.normal(10, 1)))
            analyses.append((datetime.combine(day, datetime.min.time()) + timedelta(hours=9 + 8 * k), doc))
    return diary, analyses


def frames(diary, analyses) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The month as Store.history()/Store.diary() would return it (without a database)."""
    hist = pd.DataFrame([{"t": t, "day": t.date(), "tremor_amplitude_mm": d["shake"]["tremor"]["amplitude_mm"],
                          "twitch_rate_per_min": d["shake"]["twitch_rate_per_min"]["total"]} for t, d in analyses])
    return hist, pd.DataFrame(diary)


def load(store, diary, analyses) -> None:
    """Put the month into a Store."""
    for row in diary:
        store.set_diary(row["day"], **{k: v for k, v in row.items() if k != "day"})
    for t, doc in analyses:
        store.add_analysis(doc, source="clip.mp4", t=t)
