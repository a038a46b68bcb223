"""smilescope.testing.labels: the label files' validation and the scoring rules, on small
hand-made cases with known answers (no shared data needed, but one test that reads it)."""

from __future__ import annotations

import json
import math

import pytest

from smilescope.errors import BadInputError
from smilescope.measures.expressivity import BlinkResult, EyeEvent
from smilescope.measures.flags import Flag
from smilescope.measures.smile import Episode, Fatigue, SideMeasure, SmileResult
from smilescope.measures.twitch import Twitch, TwitchRates, TwitchResult
from smilescope.results import Analysis, QualityBlock, VideoBlock
from smilescope.testing.labels import (
    TARGETS,
    aggregate,
    intervals_match,
    labels_from_dict,
    load_label_dir,
    load_labels,
    meets_targets,
    mirrored,
    score_video,
)

# --- hand-made labels and analyses -----------------------------------------------------------


def smile(start, end, *, sides="both", dominant="none", confidence="high", apex=None):
    return {"start_s": start, "end_s": end, "apex_s": (start + end) / 2 if apex is None else apex,
            "sides": sides, "dominant": dominant, "mouth": "open", "confidence": confidence}


def label_doc(**fields) -> dict:
    doc = {"video": "x/v.mp4", "duration_s": 60.0, "how": "by hand", "rest": [[0.0, 1.0]], "smiles": [],
           "not_smiles": [], "talking": [], "blinks": [], "winks": [], "eye_closures": [], "head_turns": [],
           "visible_shaking": False, "twitches": [], "notes": ""}
    doc.update(fields)
    return doc


def labels(**fields):
    return labels_from_dict(label_doc(**fields), name="v")


def episode(start, end, *, weaker="none", turn_deg=0.0, left_mm=5.0, right_mm=5.0) -> Episode:
    def side(mm):
        return SideMeasure(mm, mm, 0.0, 0.0, 0.0, 0.0)

    return Episode(start_s=start, apex_s=(start + end) / 2, end_s=end, hold_s=0.2, right=side(right_mm),
                   left=side(left_mm), asymmetry_pct=0.0, weaker_side=weaker, commissure_height_diff_mm=0.0,
                   upper_lip_elevation_mm=0.0, hold_steadiness_mm=0.0, dental_show=0.0, head_turn_deg=turn_deg)


def analysis(*, episodes=(), twitches=(), events=(), flags=(), duration_s=60.0) -> Analysis:
    video = VideoBlock(path="v.mp4", fps=30.0, frames=int(duration_s * 30), duration_s=duration_s, width_px=640, height_px=480)
    quality = QualityBlock(*([None] * 2), {}, *([None] * 6), {}, None)
    smile_result = SmileResult(list(episodes), {"left": None, "right": None}, None, "none",
                               Fatigue(len(episodes), None, None, None, None, None, False), {})
    twitch_result = TwitchResult([Twitch(t, 0.1, "left", "eye", mm) for t, mm in twitches],
                                 TwitchRates(None, None, None, {}), False, "none")
    blinks = BlinkResult(count=None, rate_per_min=None, winks=None, events=[EyeEvent(*e) for e in events])
    return Analysis(video=video, quality=quality, head_motion=None, smile=smile_result, shake=None, blinks=blinks,
                    twitches=twitch_result, synkinesis=None, flags=[Flag(i, "left", "") for i in flags],
                    reference=None, peaks=None)


# --- matching and smiles -------------------------------------------------------------------------


def test_intervals_match_with_a_quarter_second_at_either_end():
    assert intervals_match((1.0, 2.0), (1.5, 3.0))  # overlap
    assert intervals_match((1.0, 2.0), (2.24, 3.0)) and not intervals_match((1.0, 2.0), (2.26, 3.0))  # after
    assert intervals_match((1.0, 2.0), (0.2, 0.76)) and not intervals_match((1.0, 2.0), (0.2, 0.74))  # before
    assert intervals_match((1.0, 2.0), (1.2, 1.4)) and intervals_match((1.2, 1.4), (1.0, 2.0))  # inside, either way
    assert not intervals_match((1.0, 2.0), (2.15, 3.0), allowance_s=0.1)


def test_recall_counts_high_and_medium_smiles_precision_any_labelled_smile():
    lab = labels(smiles=[smile(1.0, 2.0), smile(5.0, 6.0, confidence="medium"), smile(10.0, 11.0, confidence="low"),
                         smile(20.0, 21.0, confidence="medium")])
    eps = [episode(2.2, 3.0),  # 0.2 s after the first smile: matches
           episode(10.5, 12.0),  # on the low-confidence smile: matches for precision only
           episode(30.0, 31.0),  # on no smile
           episode(21.3, 22.0)]  # 0.3 s after the last: too late
    s = score_video(lab, analysis(episodes=eps))
    assert (s.smiles_labelled, s.smiles_recalled) == (3, 1)  # the low one is not counted
    assert (s.episodes, s.episodes_matched) == (4, 2)
    assert s.smile_recall == pytest.approx(1 / 3) and s.smile_precision == pytest.approx(0.5)
    # one episode over two smiles matches both
    both = score_video(lab, analysis(episodes=[episode(1.5, 5.5)]))
    assert both.smiles_recalled == 2 and both.episodes_matched == 1


def test_no_episodes_and_no_smiles_give_no_ratio():
    s = score_video(labels(), analysis())
    assert s.smile_recall is None and s.smile_precision is None and s.blink_recall is None


# --- sides ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label, reported, right, wrong", [
    (dict(sides="right", confidence="medium"), "left", 1, 0),  # only the right corner pulls: left is weaker
    (dict(sides="right", confidence="medium"), "right", 0, 1),  # opposite to the label
    (dict(sides="right", confidence="medium"), "none", 0, 0),  # not called: not right, not wrong
    (dict(dominant="left"), "right", 1, 0),  # the left moves more: right is weaker
    (dict(dominant="left"), "left", 0, 1),
])
def test_side_right_and_wrong_on_a_labelled_side(label, reported, right, wrong):
    s = score_video(labels(smiles=[smile(1.0, 2.0, **label)]), analysis(episodes=[episode(1.05, 2.1, weaker=reported)]))
    assert (s.side_right, s.side_eligible, s.wrong_side) == (right, 1, wrong)


def test_side_eligible_only_for_high_and_medium_but_wrong_side_for_any_confidence():
    lab = labels(smiles=[smile(1.0, 2.0, dominant="left", confidence="low")])
    s = score_video(lab, analysis(episodes=[episode(1.0, 2.0, weaker="left")]))
    assert (s.side_right, s.side_eligible, s.wrong_side) == (0, 0, 1)


def test_side_needs_the_episode_within_a_tenth_of_a_second():
    lab = labels(smiles=[smile(1.0, 2.0, sides="right")])
    s = score_video(lab, analysis(episodes=[episode(2.2, 3.0, weaker="right")]))  # 0.2 s late, says the wrong side
    assert s.smiles_recalled == 1  # matched for recall (0.25 s) ...
    assert (s.side_right, s.side_eligible, s.wrong_side) == (0, 1, 0)  # ... but not for sides, either way


def test_missed_side_smile_stays_eligible():
    s = score_video(labels(smiles=[smile(1.0, 2.0, sides="left")]), analysis())
    assert (s.side_right, s.side_eligible) == (0, 1)


def test_best_matching_episode_decides_the_side():
    lab = labels(smiles=[smile(1.0, 3.0, sides="right", apex=2.0)])
    eps = [episode(0.95, 1.2, weaker="right"), episode(1.3, 3.0, weaker="left")]  # the second overlaps most
    s = score_video(lab, analysis(episodes=eps))
    assert (s.side_right, s.side_eligible, s.wrong_side) == (1, 1, 1)  # the first still says the opposite side


def test_wrong_side_on_high_confidence_symmetric_smile_and_on_unmatched_episode():
    lab = labels(smiles=[smile(1.0, 2.0), smile(5.0, 6.0, confidence="medium")])
    eps = [episode(1.0, 2.0, weaker="left"),  # symmetric, high: wrong
           episode(5.0, 6.0, weaker="left"),  # symmetric, medium: not counted
           episode(20.0, 21.0, weaker="right"),  # matches no smile: wrong
           episode(30.0, 31.0)]  # matches no smile but calls no side: only precision suffers
    s = score_video(lab, analysis(episodes=eps))
    assert s.wrong_side == 2 and s.side_eligible == 0
    assert s.episodes_matched == 2


def test_head_turned_episodes_are_not_counted_either_way():
    lab = labels(smiles=[smile(1.0, 2.0, sides="right"), smile(5.0, 6.0)])
    # turned beyond MAX_LIFT_TURN_DEG: the analysis marks them not comparable (head_turned)
    eps = [episode(1.0, 2.0, weaker="right", turn_deg=12.0),  # opposite to the label, but head turned
           episode(5.0, 6.0, weaker="left", turn_deg=12.0),  # side on a symmetric smile, head turned
           episode(20.0, 21.0, weaker="left", turn_deg=12.0)]  # side on no smile, head turned
    s = score_video(lab, analysis(episodes=eps))
    assert (s.side_right, s.side_eligible, s.side_not_comparable, s.wrong_side) == (0, 0, 1, 0)
    # a comparable episode beside the turned one is still judged
    s = score_video(lab, analysis(episodes=[*eps, episode(1.0, 1.5, weaker="left")]))
    assert (s.side_right, s.side_eligible, s.side_not_comparable) == (1, 1, 0)
    # turned less, the sides were compared on the lift: counted both ways
    s = score_video(lab, analysis(episodes=[episode(1.0, 2.0, weaker="left", turn_deg=5.0),
                                            episode(5.0, 6.0, weaker="left", turn_deg=5.0)]))
    assert (s.side_right, s.side_eligible, s.side_not_comparable, s.wrong_side) == (1, 1, 0, 1)


# --- flags, twitches, implausible values, blinks -----------------------------------------------


def test_alarm_flags_only_on_videos_without_visible_shaking():
    flags = ["one_sided_shaking", "head_tremor", "uneven_smile", "frequent_eyelid_closure", "synkinesis"]
    assert score_video(labels(), analysis(flags=flags)).alarm_flags == 3  # uneven smile, eyelid closure: no alarm
    assert score_video(labels(visible_shaking=True), analysis(flags=flags)).alarm_flags == 0


def test_twitches_per_minute_over_videos_without_visible_twitching():
    quiet = score_video(labels(), analysis(twitches=[(1.0, 0.5), (2.0, 0.5)], duration_s=60.0))
    assert quiet.twitches_per_min == pytest.approx(2.0)
    twitchy = score_video(labels(visible_shaking=True, twitches=[3.0]), analysis(twitches=[(3.0, 1.0)] * 5))
    assert twitchy.twitches == 0 and twitchy.twitches_per_min is None  # labelled twitching: not counted
    short = score_video(labels(duration_s=30.0), analysis(twitches=[(1.0, 0.5)], duration_s=30.0))
    overall = aggregate([quiet, twitchy, short])
    assert overall.twitches == 3 and overall.twitch_minutes == pytest.approx(1.5)
    assert overall.twitches_per_min == pytest.approx(2.0)


def test_implausible_excursions_and_twitches():
    eps = [episode(1.0, 2.0, left_mm=31.0, right_mm=30.0), episode(5.0, 6.0, left_mm=40.0, right_mm=35.0)]
    s = score_video(labels(), analysis(episodes=eps, twitches=[(1.0, 15.0), (2.0, 16.0)]))
    assert s.implausible == 3 + 1  # 31, 40 and 35 mm; 30 mm is not above 30; the 16 mm twitch


def test_blink_recall_within_three_tenths_of_a_second_of_a_blink_or_wink():
    lab = labels(blinks=[2.0, 10.0, 20.0, 30.0])
    events = [("blink", 1.6, 0.15, "both"),  # ends at 1.75: 0.25 s before 2.0
              ("wink", 10.2, 0.1, "left"),  # a wink counts
              ("blink", 20.35, 0.1, "both"),  # starts 0.35 s after 20.0: too late
              ("blink", 29.4, 0.2, "both")]  # ends at 29.6: 0.4 s before 30.0
    s = score_video(lab, analysis(events=events))
    assert (s.blinks_labelled, s.blinks_recalled, s.blinks_reported) == (4, 2, 4)
    assert s.blink_recall == pytest.approx(0.5)


# --- a refused video, the aggregate, a read-back analysis ----------------------------------------


def test_refused_video_is_not_analysed_and_its_smiles_and_blinks_are_missed():
    lab = labels(smiles=[smile(1.0, 2.0), smile(3.0, 4.0, confidence="low")], blinks=[5.0, 8.0])
    s = score_video(lab, BadInputError("The face is too small.", "Film closer."))
    assert not s.analysed and "too small" in s.refused
    assert (s.smiles_labelled, s.smiles_recalled, s.blinks_labelled, s.blinks_recalled) == (1, 0, 2, 0)
    assert s.twitch_minutes == 0 and s.twitches_per_min is None
    good = score_video(lab, analysis(episodes=[episode(1.0, 2.0)], events=[("blink", 5.0, 0.1, "both"),
                                                                            ("blink", 8.0, 0.1, "both")]))
    overall = aggregate([good, s])
    assert overall.videos == 2 and overall.not_analysed == 1
    assert overall.smile_recall == pytest.approx(0.5) and overall.blink_recall == pytest.approx(0.5)
    assert overall.smile_precision == pytest.approx(1.0)


def test_score_video_rejects_anything_else():
    with pytest.raises(BadInputError, match="'analysis' parameter"):
        score_video(labels(), {"smile": {}})


def test_targets():
    perfect = aggregate([score_video(labels(smiles=[smile(1.0, 2.0)], blinks=[5.0]),
                                     analysis(episodes=[episode(1.0, 2.0)], events=[("blink", 5.0, 0.1, "both")]))])
    assert set(meets_targets(perfect)) == set(TARGETS) and all(meets_targets(perfect).values())
    poor = aggregate([score_video(labels(smiles=[smile(1.0, 2.0)]), analysis(episodes=[episode(9.0, 10.0, weaker="left")],
                                                                             twitches=[(1.0, 20.0)] * 3))])
    ok = meets_targets(poor)
    assert not ok["smile_recall"] and not ok["smile_precision"] and not ok["wrong_side"]
    assert not ok["twitches_per_min"] and not ok["implausible"] and ok["alarm_flags"] and ok["blink_recall"] is None


def test_an_analysis_read_back_from_json_scores_the_same():
    lab = labels(smiles=[smile(1.0, 2.0, sides="right")], blinks=[5.0])
    fresh = analysis(episodes=[episode(1.0, 2.0, weaker="left"), episode(7.0, 8.0, weaker="right", turn_deg=3.0)],
                     twitches=[(3.0, 0.5)], events=[("blink", 5.0, 0.1, "both")], flags=["head_tremor"])
    back = Analysis.from_dict(json.loads(fresh.to_json()))
    assert score_video(lab, back) == score_video(lab, fresh)


def test_episode_without_times_matches_nothing():
    ep = episode(1.0, 2.0)
    ep = Episode(**{**ep.__dict__, "start_s": None, "apex_s": math.nan, "end_s": None})
    s = score_video(labels(smiles=[smile(1.0, 2.0)]), analysis(episodes=[ep]))
    assert (s.episodes, s.episodes_matched, s.smiles_recalled) == (1, 0, 0)


# --- the label files -------------------------------------------------------------------------------


def test_a_good_label_document_loads():
    lab = labels(smiles=[smile(1.0, 2.0, sides="left")], winks=[{"t_s": 3.0, "side": "left"}],
                 head_turns=[[4.0, 5.0, "to the left"]])
    assert lab.smiles[0].weaker_side == "right" and lab.winks[0].side == "left"
    assert lab.head_turns == [(4.0, 5.0, "to the left")]


@pytest.mark.parametrize("change, message", [
    (dict(smiles=[smile(1.0, 2.0, confidence="sure")]), r"smiles\.0\.confidence"),
    (dict(blinks=["1.5"]), r"blinks\.0"),
    (dict(visible_shaking="no"), r"visible_shaking"),
    (dict(rest=[[1.0]]), r"rest\.0"),
    (dict(colour="red"), r"colour"),
    (dict(smiles=[smile(2.0, 1.0)]), r"smiles\.0: expected 0 <= start <= end"),
    (dict(smiles=[smile(1.0, 2.0, apex=3.0)]), r"apex_s 3\.0 is outside"),
    (dict(smiles=[smile(1.0, 2.0, sides="left", dominant="right")]), r"contradicts"),
    (dict(blinks=[75.0]), r"blinks\.0: expected a time in \[0, duration_s"),
    (dict(twitches=[3.0]), r"visible_shaking is false"),
])
def test_a_malformed_label_document_is_a_clear_error(change, message):
    with pytest.raises(BadInputError, match=rf"bad\.json is not a valid label file \(\d+ problems?: .*{message}"):
        labels_from_dict(label_doc(**change), source="bad.json")


def test_a_missing_field_and_a_file_that_is_not_json(tmp_path):
    doc = label_doc()
    del doc["notes"]
    with pytest.raises(BadInputError, match=r"notes: Field required"):
        labels_from_dict(doc)
    with pytest.raises(BadInputError, match="expected a JSON object, got list"):
        labels_from_dict([])
    bad = tmp_path / "v.json"
    bad.write_text("{not json")
    with pytest.raises(BadInputError, match="is not valid JSON"):
        load_labels(bad)
    with pytest.raises(BadInputError, match="No label files"):
        load_label_dir(tmp_path / "empty")


def test_load_labels_names_the_video_by_the_file(tmp_path):
    (tmp_path / "liveportrait_d0.json").write_text(json.dumps(label_doc()))
    assert load_labels(tmp_path / "liveportrait_d0.json").name == "liveportrait_d0"


def test_every_shared_label_file_loads(shared_data):
    folder = shared_data / "labels"
    assert folder.is_dir(), f"the shared data at {shared_data} has no labels/ folder"
    labs = load_label_dir(folder)
    assert len(labs) >= 15
    for lab in labs:
        assert (shared_data / "videos" / lab.video).is_file(), f"{lab.name}: {lab.video} not found"


# --- mirrored copies -----------------------------------------------------------------------------

def test_mirrored_labels_swap_every_side_and_keep_the_rest():
    lab = labels(smiles=[smile(1, 2, sides="left", dominant="none"), smile(3, 4, sides="both", dominant="right")],
                 winks=[{"t_s": 5.0, "side": "right"}], blinks=[6.0])
    m = mirrored(lab)
    assert [(s.sides, s.dominant) for s in m.smiles] == [("right", "none"), ("both", "left")]
    assert [s.weaker_side for s in m.smiles] == ["left", "right"]  # were right and left
    assert [(w.t_s, w.side) for w in m.winks] == [(5.0, "left")]
    assert m.blinks == lab.blinks and m.name == lab.name and mirrored(m) == lab
