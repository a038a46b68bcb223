"""Fitting the smile-score model: used by ``benchmarks/genki4k.py``, which wrote
``smilescope/measures/smile_score.json``; the product only reads that file."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from smilescope.measures.smile_score import FEATURES


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-2) -> dict:
    """L2-regularised logistic regression on standardised features (scipy.optimize).

    Parameters
    ----------
    x : np.ndarray [shape=(n, len(FEATURES))]
        Features of each photo (:func:`smilescope.measures.smile_score.features`).
    y : np.ndarray [shape=(n,)]
        1 for a smile, 0 for none.
    l2 : float
        Weight of the L2 penalty on the (standardised) coefficients; the bias is not penalised.

    Returns
    -------
    dict
        The model as :func:`smilescope.measures.smile_score.score_from_features` reads it
        (``features``, ``mean``, ``scale``, ``weights``, ``bias``).
    """
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mu) / sd
    zb = np.hstack([z, np.ones((len(z), 1))])

    def loss(w):
        s = zb @ w
        ll = np.logaddexp(0, s) - y * s
        return ll.mean() + l2 * (w[:-1] @ w[:-1])

    def grad(w):
        s = zb @ w
        g = zb.T @ (1 / (1 + np.exp(-s)) - y) / len(y)
        g[:-1] += 2 * l2 * w[:-1]
        return g

    w = minimize(loss, np.zeros(zb.shape[1]), jac=grad, method="L-BFGS-B").x
    return {"features": list(FEATURES), "mean": mu.tolist(), "scale": sd.tolist(), "weights": w[:-1].tolist(),
            "bias": float(w[-1])}
