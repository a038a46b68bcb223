"""n-of-1: a planted link is found with the right sign, no link is rarely "found", and too few
days say "not enough data yet". Data come from store_month with fixed seeds."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from smilescope.store.nof1 import MIN_DAYS, NOT_A_CAUSE, paired_days, relate

from store_month import frames, month

TRUE_SLOPE_MM_PER_CUP = 0.08


def _caffeine_tremor(seed, effect, **kw):
    return relate(*frames(*month(seed, caffeine_effect_mm=effect, **kw)), "caffeine_cups", "tremor_amplitude_mm")


def test_planted_effect_is_found_with_the_right_sign_and_non_causal_words():
    e = _caffeine_tremor(0, TRUE_SLOPE_MM_PER_CUP)
    assert e.enough_data and e.n_days == 30
    assert e.found and 0 < e.ci_low < e.effect < e.ci_high <= 1
    assert e.message.startswith("On days with more coffee or other caffeine, shaking (tremor amplitude) was larger")
    assert NOT_A_CAUSE in e.message
    assert "cause" not in e.message.replace(NOT_A_CAUSE, "")


def test_no_planted_effect_is_not_found():
    e = _caffeine_tremor(0, 0.0)
    assert e.enough_data and not e.found and e.ci_low < 0 < e.ci_high
    assert e.message.startswith("No clear link")


@pytest.mark.parametrize("days", [0, 5, MIN_DAYS - 1])
def test_fewer_days_than_the_minimum_say_not_enough_data(days):
    e = _caffeine_tremor(1, TRUE_SLOPE_MM_PER_CUP, days=days)
    assert not e.enough_data and not e.found and e.effect is None and e.n_days == days
    assert e.message.startswith("Not enough data yet") and f"at least {MIN_DAYS}" in e.message


def test_rates_across_seeds():
    seeds = range(40)
    planted = [_caffeine_tremor(s, TRUE_SLOPE_MM_PER_CUP) for s in seeds]
    null = [_caffeine_tremor(s, 0.0) for s in seeds]
    # Other factors and twitches have no planted link in either month.
    others = [relate(*frames(*month(s, caffeine_effect_mm=TRUE_SLOPE_MM_PER_CUP)), f, m) for s in seeds
              for f, m in (("sleep_hours", "tremor_amplitude_mm"), ("caffeine_cups", "twitch_rate_per_min"))]
    assert np.mean([e.found and e.effect > 0 for e in planted]) >= 0.9
    assert np.mean([e.found for e in null]) <= 0.2
    assert np.mean([e.found for e in others]) <= 0.2
    # The raw slope estimates the planted one without bias (mean over seeds, known truth).
    assert np.mean([e.slope_per_unit for e in planted]) == pytest.approx(TRUE_SLOPE_MM_PER_CUP, abs=0.01)
    # The 95 % interval covers the true r about 95 % of the time; with no link the truth is 0.
    assert np.mean([e.ci_low <= 0 <= e.ci_high for e in null]) >= 0.8


def test_several_analyses_on_a_day_are_averaged_and_unpaired_days_left_out():
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(3)]
    hist = pd.DataFrame({"day": [days[0], days[0], days[1], days[2]], "tremor_amplitude_mm": [0.2, 0.4, 0.5, np.nan]})
    diary = pd.DataFrame({"day": days, "caffeine_cups": [1.0, 2.0, 3.0]})
    pairs = paired_days(hist, diary, "caffeine_cups", "tremor_amplitude_mm")
    assert pairs["day"].tolist() == days[:2] and pairs["y"].tolist() == pytest.approx([0.3, 0.5])


def test_a_factor_that_never_changes_gives_no_estimate():
    hist, diary = frames(*month(2, caffeine_effect_mm=0.0))
    e = relate(hist, diary.assign(caffeine_cups=2.0), "caffeine_cups", "tremor_amplitude_mm")
    assert e.enough_data and not e.found and e.effect is None and "same on all" in e.message


def test_empty_inputs_are_not_enough_data():
    empty = pd.DataFrame({"day": []})
    e = relate(empty, empty, "caffeine_cups", "tremor_amplitude_mm")
    assert not e.enough_data and e.n_days == 0
