"""On the real videos labelled by eye (../shared/data/labels): the figures that already meet the
validity targets (issue 11) must keep meeting them. Scored by ``smilescope.testing.labels``,
the rules of the labels' README; the analyses are shared with the golden test (one run each)."""

from __future__ import annotations

import pytest

from smilescope.testing.labels import TARGETS, aggregate, load_label_dir, score_video

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
