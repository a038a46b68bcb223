"""A generated month of diary entries and analyses, with or without a planted effect."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from smilescope.measures.shake import HeadTremor, ShakeResult, Speech, Tremor
from smilescope.measures.smile import Fatigue, SmileResult
from smilescope.measures.twitch import TwitchRates, TwitchResult
from smilescope.results import Analysis, QualityBlock, VideoBlock

START = date(2024, 3, 1)


def analysis(*, tremor_amplitude_mm: float | None, twitch_rate_per_min: float | None = 2.0,
             excursion_left_mm: float | None = 11.0, excursion_right_mm: float | None = 10.0) -> Analysis:
    """A small typed analysis: what the history reads, plus the blocks every analysis has.

    ``twitch_rate_per_min=None`` leaves twitches unmeasured (a file from before twitches).
    """
    video = VideoBlock(path="clip.mp4", fps=30.0, frames=300, duration_s=10.0, width_px=640, height_px=480)
    quality = QualityBlock(face_frames_ratio=1.0, valid_frames_ratio=1.0, invalid_reasons={}, mm_per_px=0.1,
                           mm_per_px_spread=0.0, iris_mm=11.7, iris_px=117.0, face_width_px=300.0, noise_floor_mm=0.05,
                           noise_floor_by_signal_mm={}, refined_fraction=None)
    sides = [x for x in (excursion_left_mm, excursion_right_mm) if x is not None]
    asymmetry = 100 * (max(sides) - min(sides)) / max(sides) if len(sides) == 2 else None
    smile = SmileResult(episodes=[], excursion_mm={"left": excursion_left_mm, "right": excursion_right_mm},
                        asymmetry_pct=asymmetry, weaker_side="none",
                        fatigue=Fatigue(0, None, None, None, None, None, False, note="needs at least 3 smiles"),
                        duchenne={})
    tremor = Tremor(detected=True, frequency_hz=5.0, amplitude_mm=tremor_amplitude_mm, side="both", region="mouth",
                    phase="rest", laterality_index=0.0)
    shake = ShakeResult(tremor=tremor, head=HeadTremor(tremor_detected=False), speech=Speech(detected=False))
    twitches = None
    if twitch_rate_per_min is not None:
        rates = TwitchRates(total=twitch_rate_per_min, right=twitch_rate_per_min / 2, left=twitch_rate_per_min / 2,
                            by_region={})
        twitches = TwitchResult(twitches=[], twitch_rate_per_min=rates, spread_eye_to_mouth=False, spread_side="none")
    return Analysis(video=video, quality=quality, head_motion=None, smile=smile, shake=shake, blinks=None,
                    twitches=twitches, synkinesis=None, flags=[], reference=None, peaks=None)


def analysis_doc(**kw) -> dict:
    """The analysis.json document of :func:`analysis` (what the store keeps; what migrations read)."""
    return analysis(**kw).to_dict()


def month(seed: int, *, caffeine_effect_mm: float, days: int = 30, noise_mm: float = 0.15):
    """Diary rows and (time, Analysis) pairs over ``days`` days.

    Tremor amplitude = 0.2 + ``caffeine_effect_mm`` × cups + Normal(0, ``noise_mm``) per analysis,
    at least 0 (an amplitude is never negative: the store refuses one); one or two analyses a day. Sleep, stress, water and twitches are independent noise.
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
            amp = max(0.0, 0.2 + caffeine_effect_mm * cups + rng.normal(0, noise_mm))
            a = analysis(tremor_amplitude_mm=amp, twitch_rate_per_min=float(rng.gamma(4.0, 0.5)),
                         excursion_left_mm=float(rng.normal(11, 1)), excursion_right_mm=float(rng.normal(10, 1)))
            analyses.append((datetime.combine(day, datetime.min.time()) + timedelta(hours=9 + 8 * k), a))
    return diary, analyses


def frames(diary, analyses) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The month as Store.history()/Store.diary() would return it (without a database)."""
    hist = pd.DataFrame([{"t": t, "day": t.date(), "tremor_amplitude_mm": a.shake.tremor.amplitude_mm,
                          "twitch_rate_per_min": a.twitches.twitch_rate_per_min.total} for t, a in analyses])
    return hist, pd.DataFrame(diary)


def load(store, diary, analyses) -> None:
    """Put the month into a Store."""
    for row in diary:
        store.set_diary(row["day"], **{k: v for k, v in row.items() if k != "day"})
    for t, a in analyses:
        store.add_analysis(a, source="clip.mp4", t=t)
