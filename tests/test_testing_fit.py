"""smilescope.testing.fit: the smile-score fit gives a model the runtime scorer reads."""

from __future__ import annotations

import numpy as np

from smilescope.measures.smile_score import FEATURES, score_from_features
from smilescope.testing.fit import fit_logistic


def test_fit_logistic_separates_two_groups_and_feeds_the_scorer():
    rng = np.random.default_rng(0)
    n, k = 400, len(FEATURES)
    y = (np.arange(n) % 2).astype(float)
    x = rng.normal(size=(n, k)) + 3.0 * y[:, None] * (np.arange(k) == 1)  # only feature 1 carries the label
    model = fit_logistic(x, y)
    assert model["features"] == list(FEATURES)
    assert np.argmax(np.abs(model["weights"])) == 1 and model["weights"][1] > 0
    acc = np.mean((score_from_features(x, model) >= 0.5) == (y == 1))
    assert acc > 0.9
