import numpy as np
import pytest

from smilescope.testing import synth
from smilescope.errors import BadInputError
from smilescope.measures.grading import LABEL, eface_style
from smilescope.signals import FACIAL_SIGNALS, SignalTable

SEGMENTS = {"rest": [0.0, 1.5], "brow_raise": [2.0, 3.5], "eye_closure": [4.0, 5.5], "smile": [6.0, 7.5],
            "snarl": [8.0, 9.5], "pucker": [10.0, 11.5]}


def _movement_set(healthy="right", factor=0.5):
    """A table in which every movement of the affected side reaches ``factor`` of the healthy one."""
    t = np.arange(0, 12, 1 / 30)
    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    for side in ("right", "left"):
        k = 1.0 if side == healthy else factor

        def bump(span):
            return synth.smile_profile(t, onset_s=span[0], rise_s=0.3, hold_s=span[1] - span[0] - 0.6, fall_s=0.3)

        cols[f"brow_{side}_height_mm"] = 25.0 + k * 6.0 * bump(SEGMENTS["brow_raise"])
        cols[f"palpebral_{side}_height_mm"] = 10.0 - k * 8.0 * bump(SEGMENTS["eye_closure"]) - (2.0 if side != healthy else 0.5) * bump(SEGMENTS["smile"])
        a = np.radians(35)
        cols[f"mouth_corner_{side}_x_mm"] = k * 8.0 * np.cos(a) * bump(SEGMENTS["smile"]) - k * 5.0 * bump(SEGMENTS["pucker"])
        cols[f"mouth_corner_{side}_y_mm"] = k * 8.0 * np.sin(a) * bump(SEGMENTS["smile"])
        cols[f"nasolabial_{side}_y_mm"] = k * 4.0 * bump(SEGMENTS["snarl"])
    return SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols)


@pytest.mark.parametrize("healthy,factor", [("right", 0.5), ("left", 0.25), ("right", 1.0)])
def test_dynamic_items_are_the_ratio_of_movements(healthy, factor):
    res = eface_style(_movement_set(healthy, factor), SEGMENTS, affected_side=None if factor < 1 else "left")
    assert res["label"] == LABEL
    if factor < 1:
        assert res["affected_side"] == ("left" if healthy == "right" else "right")
    for item in ("brow_raise", "eye_closure", "smile", "snarl", "pucker"):
        assert res["dynamic"][item] == pytest.approx(100 * factor, abs=1.0), item
    assert res["static"]["brow_at_rest"] == pytest.approx(100.0)


def test_ocular_synkinesis_shows_on_the_affected_side():
    res = eface_style(_movement_set("right", 0.5), SEGMENTS)
    narrowing = res["synkinesis"]["ocular_narrowing_during_smile_pct"]
    assert narrowing["left"] == pytest.approx(20.0, abs=1.0)  # 2 mm of 10 mm
    assert narrowing["right"] == pytest.approx(5.0, abs=1.0)


def test_segments_are_validated():
    tab = _movement_set()
    with pytest.raises(BadInputError, match="no 'rest'"):
        eface_style(tab, {"smile": [6, 7]})
    with pytest.raises(BadInputError, match="Unknown movement.*frown"):
        eface_style(tab, {"rest": [0, 1], "frown": [2, 3]})
