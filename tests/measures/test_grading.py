import numpy as np
import pytest

from smilescope.testing import synth
from smilescope.errors import BadInputError
from smilescope.measures.expressivity import EyeEvent
from smilescope.measures.grading import LABEL, check_segments, eface_style
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
    narrowing = res["ocular_narrowing_pct"]["during_smile"]
    assert narrowing["left"] == pytest.approx(20.0, abs=1.0)  # 2 mm of 10 mm
    assert narrowing["right"] == pytest.approx(5.0, abs=1.0)


def test_segments_are_validated():
    tab = _movement_set()
    with pytest.raises(BadInputError, match="no 'rest'"):
        eface_style(tab, {"smile": [6, 7]})
    with pytest.raises(BadInputError, match="Unknown movement.*frown"):
        eface_style(tab, {"rest": [0, 1], "frown": [2, 3]})


def test_blinks_are_left_out_of_ocular_narrowing():
    """A blink during the smile closes both eyes for 0.2 s: it is not synkinesis (issue 12 item 20)."""
    tab = _movement_set("right", 0.5)
    blink_t = 6.8
    closed = (tab.t_s >= blink_t) & (tab.t_s < blink_t + 0.2)
    for side in ("right", "left"):
        tab.columns[f"palpebral_{side}_height_mm"][closed] = 1.0
    with_blink = eface_style(tab, SEGMENTS)
    # not told of the blink: the narrowing is the median at the smile's apex, which a 0.2 s blink does not move
    assert with_blink["ocular_narrowing_pct"]["during_smile"]["right"] == pytest.approx(5.0, abs=1.0)
    res = eface_style(tab, SEGMENTS, blinks=[EyeEvent("blink", blink_t, 0.2, "both")])
    assert res["ocular_narrowing_pct"]["during_smile"]["left"] == pytest.approx(20.0, abs=1.0)
    assert res["ocular_narrowing_pct"]["during_smile"]["right"] == pytest.approx(5.0, abs=1.0)
    assert res["blinks_excluded"] == 1


def test_subtotals_total_and_ocular_items():
    res = eface_style(_movement_set("right", 0.5), SEGMENTS)
    assert res["subtotals"]["dynamic"] == pytest.approx(50.0, abs=1.0)
    assert res["subtotals"]["static"] == pytest.approx(100.0, abs=1.0)
    # affected (left) eye open 80 % of rest during the smile, healthy 95 %: 80 / 95
    assert res["synkinesis"]["ocular_during_smile"] == pytest.approx(100 * 80 / 95, abs=1.5)
    items = [*res["static"].values(), *res["dynamic"].values(), *res["synkinesis"].values()]
    assert res["total"] == pytest.approx(np.mean(items))
    assert res["missing"] == []


def test_missing_movements_are_named():
    seg = {k: SEGMENTS[k] for k in ("rest", "smile")}
    res = eface_style(_movement_set("right", 0.5), seg)
    assert res["missing"] == ["brow_raise", "eye_closure", "snarl", "pucker"]
    assert set(res["dynamic"]) == {"smile"}


def test_a_small_difference_names_no_affected_side():
    """Today's fault: a 2 % difference named a side. Below 3 mm and 20 % none is named, and the reason says so."""
    res = eface_style(_movement_set("right", 0.98), SEGMENTS)
    assert res["affected_side_basis"] == "not_clear"
    assert "no side is clearly affected" in res["affected_side_reason"]
    assert "3 mm and 20 %" in res["affected_side_reason"]
    clear = eface_style(_movement_set("right", 0.5), SEGMENTS)
    assert clear["affected_side_basis"] == "measured" and clear["affected_side"] == "left"
    assert "right and" in clear["affected_side_reason"] and "50 % apart" in clear["affected_side_reason"]


def test_the_affected_side_needs_the_tracking_margin_as_in_analyze():
    """A 3.4 mm smile difference (8 against 4.6 mm) names a side on its own, but not at a scale
    where the tracking can put 1 mm between the sides (2 px at 0.5 mm per px): analyze's rule."""
    bare = eface_style(_movement_set("right", 0.575), SEGMENTS)
    assert bare["affected_side_basis"] == "measured" and bare["affected_side"] == "left"
    coarse = eface_style(_movement_set("right", 0.575), SEGMENTS, mm_per_px=0.5)
    assert coarse["affected_side_basis"] == "not_clear"
    assert "under the 4.0 mm (3 mm people notice, Hohman 2014, plus 1.0 mm the tracking" in coarse["affected_side_reason"]


@pytest.mark.parametrize("seg,match", [
    ({"rest": [0, 1], "smile": [5, 20]}, "'smile' stretch .* past the end of the video \\(12.0 s\\)"),
    ({"rest": [0, 1], "smile": [13, 14]}, "past the end"),
    ({"rest": [0, 1], "smile": [5, 4]}, "not a range"),
    ({"rest": [-1, 1]}, "not a range"),
    ({"rest": [0, "a"]}, "two numbers"),
    ({"rest": [0, float("nan")]}, "two numbers"),
    ({"rest": [0, 1, 2]}, "two numbers"),
])
def test_segment_ranges_are_checked_against_the_video(seg, match):
    with pytest.raises(BadInputError, match=match):
        check_segments(seg, duration_s=12.0)


def test_segments_within_the_video_pass():
    assert check_segments(SEGMENTS, duration_s=12.0)["smile"] == (6.0, 7.5)
