import numpy as np
import pytest

from smilescope.measures.expressivity import eye_events
from smilescope.pipeline import analyze
from smilescope.signals import FACIAL_SIGNALS, SignalTable

from conftest import EXAMPLE


def _eyes(t, right, left):
    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    cols["palpebral_right_height_mm"] = right
    cols["palpebral_left_height_mm"] = left
    return SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols)


def test_blinks_winks_and_closures_on_a_known_table():
    t = np.arange(0, 10, 1 / 30)
    open_ = np.full(len(t), 10.0)
    r, l = open_.copy(), open_.copy()

    def close(arr, t0, dur):
        arr[(t >= t0) & (t < t0 + dur)] = 1.0

    close(r, 1.0, 0.15); close(l, 1.0, 0.15)    # blink
    close(r, 3.0, 0.2); close(l, 3.03, 0.2)     # blink, eyes a frame apart
    close(l, 5.0, 0.6)                          # wink, left eye
    close(r, 7.0, 2.0); close(l, 7.0, 2.0)      # deliberate closure: not a blink
    ev = eye_events(_eyes(t, r, l))
    kinds = [(e.kind, e.side, round(e.t_s, 1)) for e in ev]
    assert kinds == [("blink", "both", 1.0), ("blink", "both", 3.0), ("wink", "left", 5.0)]
    assert ev[0].duration_s == pytest.approx(0.15, abs=1 / 30)


def test_example_blink_is_found():
    """d0: one blink at about 2.6-2.7 s (seen in the frames)."""
    b = analyze(EXAMPLE).blinks
    assert b.count == 1
    assert 2.5 <= b.events[0].t_s <= 2.75
