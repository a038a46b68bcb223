"""Flags from known measure results: each flag, its side, and none from a quiet face."""

from dataclasses import replace

from smilescope.measures.expressivity import BlinkResult
from smilescope.measures.flags import derive_flags
from smilescope.measures.shake import HeadTremor, ShakeResult, Tremor
from smilescope.measures.smile import Fatigue, SmileResult
from smilescope.measures.speech import Speech
from smilescope.measures.synkinesis import SynkinesisResult
from smilescope.measures.twitch import MIN_QUIET_S, Twitch, TwitchRates, TwitchResult

NO_TREMOR = Tremor(detected=False, frequency_hz=None, amplitude_mm=None, side="none", region=None, phase=None,
                   laterality_index=None)
QUIET = ShakeResult(tremor=NO_TREMOR, head=HeadTremor(tremor_detected=False), speech=Speech(detected=False))
NO_TWITCHES = TwitchResult(twitches=[], twitch_rate_per_min=TwitchRates(0.0, 0.0, 0.0, {}), spread_eye_to_mouth=False,
                           spread_side="none", quiet_s=60.0, smallest_twitch_mm=0.5)
EVEN = SmileResult(episodes=[], excursion_mm={"left": 8.0, "right": 8.2}, asymmetry_pct=2.0, weaker_side="none",
                   fatigue=Fatigue(None, None, None, None, None, None, False), duchenne={})


def _tremor(side, phase):
    return replace(QUIET, tremor=replace(NO_TREMOR, detected=True, frequency_hz=6.0, amplitude_mm=0.5, side=side,
                                         region="mouth", phase=phase))


def _twitches(*sides, region="eye", **kw):
    events = [Twitch(t_s=float(i), duration_s=0.1, side=s, region=region, peak_mm=1.0) for i, s in enumerate(sides)]
    return replace(NO_TWITCHES, twitches=events, **kw)


def _ids(**kw):
    base = dict(duration_s=60.0)
    base.update(kw)
    return {f.id: f.side for f in derive_flags(**base)}


def test_quiet_face_has_no_flags():
    assert _ids(shake=QUIET, twitches=NO_TWITCHES, smile=EVEN, synkinesis=SynkinesisResult(),
                blinks=BlinkResult(count=15, rate_per_min=15.0, winks=0, events=[])) == {}
    assert _ids() == {}  # nothing measured raises nothing


def test_one_sided_tremor_at_rest():
    assert _ids(shake=_tremor("left", "rest")) == {"one_sided_shaking": "left", "shaking_at_rest": "left"}
    assert _ids(shake=_tremor("both", "smile")) == {}


def test_twitches_all_on_one_side_and_spread():
    assert _ids(twitches=_twitches("right", "right", "right")) == {"one_sided_shaking": "right"}
    assert _ids(twitches=_twitches("right", "right", "right", "left")) == {}
    assert _ids(twitches=replace(NO_TWITCHES, spread_eye_to_mouth=True, spread_side="left")) == {"eye_to_mouth_spread": "left"}


def test_head_synkinesis_blinks_and_smile():
    assert _ids(shake=replace(QUIET, head=HeadTremor(True, 5.0, 1.0))) == {"head_tremor": "both"}
    syn = SynkinesisResult(detected=True, side="right", narrowing_pct={"left": 20.0, "right": 35.0})
    assert _ids(synkinesis=syn) == {"synkinesis": "right"}
    many = BlinkResult(count=40, rate_per_min=40.0, winks=0, events=[])
    assert _ids(blinks=many) == {"frequent_eyelid_closure": "both"}
    assert _ids(blinks=many, duration_s=10.0) == {}  # too short for a rate
    assert _ids(smile=replace(EVEN, weaker_side="left", excursion_mm={"left": 3.0, "right": 9.0})) == {"uneven_smile": "left"}
    lift = replace(EVEN, weaker_side="right", sides_compared_on="lift", lift_mm={"left": 4.0, "right": 1.0})
    flag, = derive_flags(smile=lift, duration_s=60.0)
    assert (flag.id, flag.side) == ("uneven_smile", "right") and "rises less" in flag.why


def test_no_flags_from_blocks_that_could_not_be_judged():
    short = _twitches("right", "right", "right", spread_eye_to_mouth=True, spread_side="right", quiet_s=MIN_QUIET_S / 2)
    assert not short.judged
    assert _ids(twitches=short) == {}
    assert _ids(twitches=replace(short, quiet_s=60.0)) == {"one_sided_shaking": "right", "eye_to_mouth_spread": "right"}
    unjudged = _tremor("left", "rest")
    unjudged = replace(unjudged, tremor=replace(unjudged.tremor, not_judged="too short"))
    assert _ids(shake=unjudged) == {}
