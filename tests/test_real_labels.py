"""On the real videos labelled by eye (../shared/data/labels): the figures that already meet the
validity targets (issue 11) must keep meeting them. Scored by ``smilescope.testing.labels``,
the rules of the labels' README; the analyses are shared with the golden test (one run each)."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.testing.labels import BLINK_ALLOWANCE_S, TARGETS, aggregate, load_label_dir, score_video

from conftest import analyse_shared


@pytest.fixture(scope="module")
def overall(shared_data):
    labels = load_label_dir(shared_data / "labels")
    return aggregate(score_video(lab, analyse_shared(shared_data / "videos" / lab.video)) for lab in labels)


def test_no_alarm_flag_on_faces_that_do_not_shake(overall):
    """Labelled: no visible shaking on any of these faces. A flag sends a worried person to a doctor."""
    bad = {s.name: s.details for s in overall.scores if s.alarm_flags}
    assert overall.alarm_flags == 0, bad


def test_twitches_on_faces_that_do_not_twitch_stay_rare(overall):
    op, limit = TARGETS["twitches_per_min"]
    assert overall.twitches_per_min <= limit, {s.name: s.twitches for s in overall.scores if s.twitches}


def test_no_implausible_values(overall):
    assert overall.implausible == 0


# --- blinks, winks and speech (issue 11, deliverable 7) -----------------------------------------

@pytest.fixture(scope="module")
def analysed(shared_data):
    """(labels, analysis) of every labelled video the analysis does not refuse."""
    out = []
    for lab in load_label_dir(shared_data / "labels"):
        a = analyse_shared(shared_data / "videos" / lab.video)
        if not isinstance(a, BadInputError):
            out.append((lab, a))
    return out


def _labelled(lab, event) -> bool:
    """The event lies at a labelled blink or wink (0.3 s allowance) or overlaps a deliberate closure."""
    start, end = event.t_s - BLINK_ALLOWANCE_S, event.t_s + event.duration_s + BLINK_ALLOWANCE_S
    times = list(lab.blinks) + [w.t_s for w in lab.winks]
    return any(start <= t <= end for t in times) or any(lo <= end and start <= hi for lo, hi in lab.eye_closures)


def test_a_smile_s_eye_narrowing_is_never_a_blink_s(analysed):
    """A full healthy smile narrows the eyes by about 22 % (FACE software, Laryngoscope 2013); over
    half shut is a closure. A blink at a smile's apex shut the eyes there (d9's last smile read
    95 % with a 0.37 s blink at its apex): blinks and winks are left out of the eye measures, so
    a smile's narrowing over 50 % on both sides comes only from a labelled deliberate closure."""
    bad = []
    for lab, a in analysed:
        for e in a.smile.episodes:
            narrowing = [getattr(e, s).palpebral_narrowing_pct for s in ("left", "right")]
            if all(v is not None and np.isfinite(v) and v > 50 for v in narrowing) and not any(
                    lo <= e.end_s and e.start_s <= hi for lo, hi in lab.eye_closures):
                bad.append((lab.video, e.apex_s, narrowing))
    assert not bad


def test_blink_recall_meets_the_target(overall):
    op, target = TARGETS["blink_recall"]
    missed = {s.name: [d for d in s.details if d.startswith("missed blink")] for s in overall.scores}
    assert overall.blink_recall >= target, {k: v for k, v in missed.items() if v}


def test_blinks_and_winks_reported_are_there(analysed):
    """Every reported blink or wink lies at a labelled blink, wink or deliberate eye closure: at
    most one stray event in a video, two in all. d14's half-lidded down-glances (3.75-4.2,
    8.73-8.83, 16.0-17.87 s, pupils visible) and its 2.7 s closure are not blinks."""
    stray = {lab.name: [(e.kind, round(e.t_s, 2)) for e in analysis.blinks.events if not _labelled(lab, e)]
             for lab, analysis in analysed}
    stray = {k: v for k, v in stray.items() if v}
    assert all(len(v) <= 1 for v in stray.values()) and sum(map(len, stray.values())) <= 2, stray
    d14 = next(analysis for lab, analysis in analysed if lab.name == "liveportrait_d14")
    glances = [(3.75, 4.2), (8.73, 8.83), (16.0, 17.87)]
    assert not [e.t_s for e in d14.blinks.events if any(lo < e.t_s < hi for lo, hi in glances)]
    assert not [e.t_s for e in d14.blinks.events if 4.3 < e.t_s < 6.8]  # inside the deliberate closure


def test_winks_are_found_on_their_side_and_blinks_are_never_two_winks(analysed):
    """d3 winks with the person's left eye, then the right; no other video has a wink, so a
    both-eye blink reported as winks would show there."""
    for lab, analysis in analysed:
        winks = [e for e in analysis.blinks.events if e.kind == "wink"]
        if not lab.winks:
            assert winks == [], (lab.name, winks)
        for w in lab.winks:
            assert any(e.side == w.side and e.t_s - BLINK_ALLOWANCE_S <= w.t_s <= e.t_s + e.duration_s + BLINK_ALLOWANCE_S
                       for e in winks), (lab.name, w, winks)


def test_speech_over_talking_and_not_in_silent_grimaces(analysed):
    """Talking for most of the clip (the talking_* clips, d10's lip-sync acting): speech. Silent
    acting, grimaces, lip exercises and posed faces (d0, d3, d9, d14, d18, s18, s20, the OpenDBM
    clips; d9's two brief mouth openings are labelled talking for 0.75 s): no speech."""
    wrong = {}
    for lab, analysis in analysed:
        talking_s = sum(end - start for start, end in lab.talking)
        expected = True if talking_s >= 0.5 * lab.duration_s else False if talking_s <= 1.0 else None
        if expected is not None and analysis.shake.speech.detected != expected:
            wrong[lab.name] = (expected, analysis.shake.speech)
    assert not wrong, wrong


def test_no_weaker_side_called_against_the_labels(overall):
    """A weaker side opposite to the label, on a symmetric smile, or on something that is not a
    smile: each would tell a healthy person one side of the face is weak."""
    assert overall.wrong_side == 0, {s.name: s.details for s in overall.scores if s.wrong_side}


def test_the_weaker_side_of_a_one_sided_labelled_smile_is_named(overall):
    """d9's lopsided smile (the right corner up, the left barely; medium confidence) is smiled
    with the head turned about 3 degrees from its relaxed pose: compared on the corners' lift,
    the left is named weaker. Every such smile labelled counts, none is left out as turned."""
    assert overall.side_eligible >= 1 and overall.side_not_comparable == 0
    assert overall.side_right == overall.side_eligible, {s.name: s.details for s in overall.scores if s.side_eligible}


def test_smiles_are_not_found_in_talking_pouting_or_grimacing(overall):
    """Smile precision over the labelled videos meets issue 11's target (12 of 12 episodes match
    a labelled smile today; one more false episode would still meet it)."""
    op, target = TARGETS["smile_precision"]
    assert overall.smile_precision >= target, {s.name: s.details for s in overall.scores if s.episodes_matched < s.episodes}


def _frames_scored(analysed, pick) -> np.ndarray:
    """The smile score of every measured frame inside the labelled stretches ``pick(labels)``
    returns ((start_s, end_s), ...), over all the labelled videos."""
    scores = []
    for lab, a in analysed:
        t, score = a.signals.t_s, a.signals.columns["smile_score"]
        for lo, hi in pick(lab):
            inside = (t >= lo) & (t <= hi) & np.isfinite(score)
            scores.append(score[inside])
    return np.concatenate(scores) if scores else np.zeros(0)


def test_the_smile_score_reads_smiles_and_not_surprise_or_sadness(analysed):
    """The single-frame classifier (fitted on GENKI-4K photos only) on the labelled real frames:
    most frames in the middle of a labelled smile (high or medium confidence; the middle 60 %,
    away from onset and offset) read as a smile, and few frames of a labelled surprise (an
    open mouth, which GENKI's many open-mouthed smiles pull towards a smile) or of a sad face,
    frown or crying do."""
    def smiles(lab):
        return [(s.start_s + 0.2 * (s.end_s - s.start_s), s.end_s - 0.2 * (s.end_s - s.start_s))
                for s in lab.smiles if s.confidence in ("high", "medium")]

    def labelled(*words):
        return lambda lab: [(n.start_s, n.end_s) for n in lab.not_smiles if any(w in n.what for w in words)]

    smiling = _frames_scored(analysed, smiles)
    surprise = _frames_scored(analysed, labelled("surprise"))
    sad = _frames_scored(analysed, labelled("sad", "frown", "crying"))
    assert len(smiling) >= 100 and len(surprise) >= 50 and len(sad) >= 100
    assert (smiling >= 0.5).mean() >= 0.75
    assert (surprise >= 0.5).mean() <= 0.2
    assert (sad >= 0.5).mean() <= 0.05


# --- the same faces as another camera gives them -------------------------------------------------

# Healthy smiles, labelled without visible shaking: re-encoded at 3/4 size or mirrored (a selfie
# app's copy), they are the same faces, and a call that appears on the copy rests on something
# other than the face. (Before the synkinesis rule asked for a difference held through the smile,
# d0 at 3/4 size read its right eye narrowing 17 % vs 7 %, d9 mirrored 25 % vs 12 %: synkinesis.
# As a small noisy webcam gives it, d0's even smile read 14.3 / 10.4 mm and named the right weaker,
# before the side difference had to clear the tracking margin.)
CAPTURES = {"three_quarter_size": dict(scale=0.75), "mirrored": dict(mirror=True),
            "webcam": dict(scale=0.6, noise_sd=4.0, crf=26)}


@pytest.mark.parametrize("video", ["liveportrait/d0.mp4", "liveportrait/d9.mp4"])
@pytest.mark.parametrize("capture", sorted(CAPTURES))
def test_a_smaller_or_mirrored_copy_raises_no_alarm_and_names_no_wrong_side(shared_data, tmp_path, video, capture):
    from smilescope import analyze
    from smilescope.testing.capture import recapture
    from smilescope.testing.labels import mirrored

    labels = {lab.video: lab for lab in load_label_dir(shared_data / "labels")}[video]
    if CAPTURES[capture].get("mirror"):
        labels = mirrored(labels)
    copy = recapture(shared_data / "videos" / video, tmp_path / "copy.mp4", **CAPTURES[capture])
    s = score_video(labels, analyze(copy))
    assert s.analysed, s.details
    assert s.alarm_flags == 0 and s.wrong_side == 0, s.details
    if capture == "mirrored":  # the same picture flipped: d9's lopsided smile names its weak side, swapped
        assert s.side_right == s.side_eligible, s.details
    # a smaller copy may withhold it: at 3/4 size d9's lopsided smile rises 8.6 vs 4.9 mm, 3.7 mm
    # apart, inside the 3 mm + 2 px (4.5 mm at its 0.74 mm per px) that tracking can put between
    # the sides; withholding is allowed, naming the other side is not (wrong_side above)


# --- the relaxed face (issue 11, deliverable 2) -------------------------------------------------

def _rest_in_smiles(lab, analysis) -> list[float]:
    """Times of frames taken as the relaxed face that lie inside a labelled smile (any confidence)."""
    from smilescope.measures.smile import find_baseline

    table = analysis.signals
    base = find_baseline(table, noise_floor_mm=analysis.quality.noise_floor_mm)
    t = table.t_s[base.rest_mask]
    return [round(float(x), 2) for x in t if any(s.start_s <= x <= s.end_s for s in lab.smiles)]


def test_the_relaxed_face_is_never_taken_inside_a_labelled_smile(analysed):
    """A smile measured from a smile is the "65 mm smile" of a rest taken mid-expression."""
    inside = {lab.video: _rest_in_smiles(lab, a) for lab, a in analysed}
    assert not any(inside.values()), {k: v for k, v in inside.items() if v}


def test_a_mirrored_copy_does_not_take_its_relaxed_face_inside_a_smile(shared_data, tmp_path):
    """d14 (a beauty filter, pouts, never still for long) opens with a smile the classifier reads
    at 0.64-0.70, held still; mirrored, that stretch was taken as its relaxed face (the
    classifier allowed up to 0.7 at rest) and the smiles after it were lost. The face reads
    0.02-0.3 when pouting and relaxing, most of the time: a face usually read as not smiling,
    for which 0.65 is a smile."""
    from smilescope import analyze
    from smilescope.testing.capture import recapture
    from smilescope.testing.labels import mirrored

    video = "liveportrait/d14.mp4"
    lab = mirrored({lab.video: lab for lab in load_label_dir(shared_data / "labels")}[video])
    a = analyze(recapture(shared_data / "videos" / video, tmp_path / "copy.mp4", mirror=True))
    assert _rest_in_smiles(lab, a) == []
    s = score_video(lab, a)
    assert s.smiles_recalled >= 2 and s.episodes == s.episodes_matched, s.details  # the opening and the long smile, nothing else
