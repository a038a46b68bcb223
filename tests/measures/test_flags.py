"""Flags from known measurement blocks: each flag, its side, and none from a quiet face."""

from smilescope.measures.flags import derive_flags


def _tremor(side, phase):
    return {"detected": True, "frequency_hz": 6.0, "amplitude_mm": 0.5, "side": side, "region": "mouth", "phase": phase}


def _ids(**kw):
    base = dict(smile={}, shake={}, synkinesis={}, duration_s=60.0)
    base.update(kw)
    return {f.id: f.side for f in derive_flags(**base)}


def test_quiet_face_has_no_flags():
    quiet = {"tremor": {"detected": False}, "twitches": [], "spread_eye_to_mouth": False,
             "head": {"tremor_detected": False}, "blinks": {"rate_per_min": 15.0}}
    assert _ids(shake=quiet, smile={"weaker_side": "none"}, synkinesis={"detected": False}) == {}
    assert _ids() == {}  # empty blocks (an old file) raise nothing


def test_one_sided_tremor_at_rest():
    assert _ids(shake={"tremor": _tremor("left", "rest")}) == {"one_sided_shaking": "left", "shaking_at_rest": "left"}
    assert _ids(shake={"tremor": _tremor("both", "smile")}) == {}


def test_twitches_all_on_one_side_and_spread():
    tw = [{"t_s": t, "side": "right", "region": "eye"} for t in (1, 2, 3)]
    assert _ids(shake={"twitches": tw}) == {"one_sided_shaking": "right"}
    tw.append({"t_s": 4, "side": "left", "region": "mouth"})
    assert _ids(shake={"twitches": tw}) == {}
    assert _ids(shake={"spread_eye_to_mouth": True, "spread_side": "left"}) == {"eye_to_mouth_spread": "left"}


def test_head_synkinesis_blinks_and_smile():
    assert _ids(shake={"head": {"tremor_detected": True, "frequency_hz": 5.0, "amplitude_mm": 1.0}}) == {"head_tremor": "both"}
    assert _ids(synkinesis={"detected": True, "side": "right", "narrowing_pct": {"left": 20.0, "right": 35.0}}) == {"synkinesis": "right"}
    assert _ids(shake={"blinks": {"rate_per_min": 40.0}}) == {"frequent_eyelid_closure": "both"}
    assert _ids(shake={"blinks": {"rate_per_min": 40.0}}, duration_s=10.0) == {}  # too short for a rate
    assert _ids(smile={"weaker_side": "left", "excursion_mm": {"left": 3.0, "right": 9.0}}) == {"uneven_smile": "left"}


def test_no_flags_from_blocks_that_could_not_be_judged():
    tw = [{"t_s": t, "side": "right", "region": "eye"} for t in (1, 2, 3)]
    unjudged = {"twitches": tw, "spread_eye_to_mouth": True, "spread_side": "right", "judged": False}
    assert _ids(shake=unjudged) == {}
    assert _ids(shake={**unjudged, "judged": True}) == {"one_sided_shaking": "right", "eye_to_mouth_spread": "right"}
    assert _ids(shake={"tremor": {**_tremor("left", "rest"), "judged": False}}) == {}
