"""A smile score (0-1) from one frame, with no baseline: for still photos and spontaneous video.

The score is a logistic model over a few scale-free landmark features — mouth width, how far
the corners sit above the upper lip's centre, mouth opening, corner-to-eye and corner-to-nose
distances, eye opening — all divided by the distance between the iris centres. Its
coefficients were fitted on the GENKI-4K *train* folder only (``benchmarks/genki4k.py``) and
ship in ``smile_score.json`` beside this module (fitted with
:func:`smilescope.testing.fit.fit_logistic`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from smilescope import landmarks as lm

FEATURES = ("mouth_width", "corner_lift", "mouth_open", "corner_to_eye", "corner_to_nose", "eye_open", "lip_centre_lift")
COEF_FILE = Path(__file__).with_name("smile_score.json")


def features(landmarks_px: np.ndarray) -> np.ndarray:
    """Scale-free smile features of one face.

    Parameters
    ----------
    landmarks_px : np.ndarray [shape=(478, 2+)]

    Returns
    -------
    np.ndarray [shape=(len(FEATURES),)]
    """
    p = np.asarray(landmarks_px, dtype=float)[:, :2]
    r_iris, l_iris = p[lm.IRIS_CENTRE["right"]], p[lm.IRIS_CENTRE["left"]]
    iod = np.linalg.norm(l_iris - r_iris)
    x = (l_iris - r_iris) / iod
    up = np.array([x[1], -x[0]])

    def h(a, b):  # height of a above b, in inter-ocular units
        return float((p[a] - p[b]) @ up / iod)

    def d(a, b):
        return float(np.linalg.norm(p[a] - p[b]) / iod)

    rc, lc = lm.MOUTH_CORNER["right"], lm.MOUTH_CORNER["left"]
    # the corners' height above the upper lip's centre: the zygomaticus lifts them against the
    # upper jaw, while an opening jaw (surprise, speech) lowers them with the lower lip; read
    # against the middle of the two lips, a dropped jaw looked like lifted corners (an open
    # mouth in surprise scored as a smile)
    corner_lift = float(((p[rc] + p[lc]) / 2 - p[lm.UPPER_LIP_CENTRE]) @ up / iod)
    return np.array([
        d(rc, lc),
        corner_lift,
        d(13, 14),  # inner lip centres
        0.5 * (d(rc, lm.LOWER_LID["right"]) + d(lc, lm.LOWER_LID["left"])),
        0.5 * (d(rc, 98) + d(lc, 327)),  # nostril wings
        0.5 * (d(lm.UPPER_LID["right"], lm.LOWER_LID["right"]) + d(lm.UPPER_LID["left"], lm.LOWER_LID["left"])),
        h(lm.UPPER_LIP_CENTRE, lm.NOSE_TIP) * -1.0,  # upper lip drawn up towards the nose in a smile
    ])


def score_from_features(f: np.ndarray, model: dict) -> np.ndarray:
    z = (np.asarray(f, dtype=float) - np.array(model["mean"])) / np.array(model["scale"])
    return 1 / (1 + np.exp(-(z @ np.array(model["weights"]) + model["bias"])))


@lru_cache(maxsize=1)
def _model() -> dict:
    return json.loads(COEF_FILE.read_text())


def smile_score(landmarks_px: np.ndarray) -> float:
    """Probability-like smile score (0-1) of one face from its landmarks alone."""
    return float(score_from_features(features(landmarks_px), _model()))


def mouth_asymmetry(landmarks_px: np.ndarray) -> float:
    """Static mouth asymmetry of one face (inter-ocular units), for a single photo.

    The height difference of the two mouth corners plus the difference of their distances to
    the facial midline (through the nasal bridge, perpendicular to the iris line). On the Palda
    photos it separates facial palsy from healthy faces with ROC AUC 0.89
    (``benchmarks/palda.py``).
    """
    p = np.asarray(landmarks_px, dtype=float)[:, :2]
    r, l = p[lm.IRIS_CENTRE["right"]], p[lm.IRIS_CENTRE["left"]]
    iod = np.linalg.norm(l - r)
    x = (l - r) / iod
    up = np.array([x[1], -x[0]])
    mid = p[168]  # nasal bridge: on the midline, unmoved by the mouth
    rc, lc = p[lm.MOUTH_CORNER["right"]], p[lm.MOUTH_CORNER["left"]]
    height = abs((lc - rc) @ up)
    reach = abs(abs((lc - mid) @ x) - abs((rc - mid) @ x))
    return float((height + reach) / iod)
