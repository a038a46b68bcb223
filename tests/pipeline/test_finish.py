"""Finishing a recording: what a photo or a clip too short for a reference is told."""

from __future__ import annotations

import shutil

import pytest

from smilescope.errors import BadInputError
from smilescope.pipeline import analyze
from smilescope.testing import synth

from conftest import FACES


def test_a_single_photo_is_told_it_needs_a_video(tmp_path):
    photo = tmp_path / "face.jpg"
    shutil.copy(FACES / "yale01.jpg", photo)
    with pytest.raises(BadInputError, match=r"Only one frame.*single picture.*needs a video.*Record a video"):
        analyze(photo)


@pytest.mark.parametrize("duration_s", [0.07, 0.15])
def test_a_clip_too_short_for_a_reference_says_so(tmp_path, duration_s):
    """2 and 5 frames at 30 fps: the face is seen, but never long enough (0.2 s, 3 frames) for
    the relaxed reference to be taken."""
    face = synth.load_face(FACES / "yale01.jpg")
    path = tmp_path / "short.mp4"
    synth.render(path, face=face, fps=30, duration_s=duration_s, write_truth=False)
    with pytest.raises(BadInputError, match=r"too short to measure: the face is seen for 0\.\d+ s in \d frames"):
        analyze(path)


def test_a_clip_just_long_enough_is_measured(tmp_path):
    face = synth.load_face(FACES / "yale01.jpg")
    path = tmp_path / "half.mp4"
    synth.render(path, face=face, fps=30, duration_s=0.5, write_truth=False)
    res = analyze(path)
    assert res.signals.valid.sum() >= 3
