"""A small face in a large picture (a phone held far away): found, followed and measured in
full-frame pixels; and told plainly when it is too small to measure."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.io import open_video
from smilescope.pipeline import FaceAnalyzer, PipelineConfig, analyze
from smilescope.testing import synth
from smilescope.track.facemesh import MediaPipeFaceMesh

from conftest import FACES, analyse_shared

HOLD = dict(onset_s=0.8, rise_s=0.4, hold_s=0.8, fall_s=0.3)


def far_away(face: synth.Face, *, face_width_px: float, canvas_wh: tuple[int, int], at_xy: tuple[int, int]) -> synth.Face:
    """The photo shrunk so its face is about ``face_width_px`` wide, pasted on a grey picture
    of ``canvas_wh`` (width, height) px with its top-left corner at ``at_xy``.

    The landmarks and the millimetre scale follow the shrinking exactly (``cv2.resize`` maps
    the photo's edges onto the small copy's edges).
    """
    h, w = face.rgb.shape[:2]
    k = face_width_px / np.ptp(face.landmarks_px[:, 0])
    nw, nh = 2 * int(round(w * k / 2)), 2 * int(round(h * k / 2))
    small = cv2.resize(np.asarray(face.rgb), (nw, nh), interpolation=cv2.INTER_AREA)
    canvas = np.full((canvas_wh[1], canvas_wh[0], 3), 128, np.uint8)
    x0, y0 = at_xy
    canvas[y0:y0 + nh, x0:x0 + nw] = small
    lms = face.landmarks_px * [nw / w, nh / h, nw / w] + [x0, y0, 0]
    return synth.Face(name=f"{face.name}_far", rgb=canvas, landmarks_px=lms, mm_per_px=face.mm_per_px * w / nw)


@pytest.fixture(scope="module")
def far_smile(tmp_path_factory):
    """A 720 x 1280 portrait video, 2.5 s at 25 fps, of a face 110 px wide smiling 6 mm."""
    face = far_away(synth.load_face(FACES / "faceapi_neutral.jpg"), face_width_px=110, canvas_wh=(720, 1280),
                    at_xy=(300, 260))
    path = tmp_path_factory.mktemp("far") / "far.mp4"
    motions = synth.smile_motions(face, right_mm=6.0, left_mm=6.0, **HOLD)
    synth.render(path, face=face, fps=25, duration_s=2.5, motions=motions, write_truth=False)
    return face, path


def test_the_full_frame_alone_misses_the_small_face(far_smile):
    face, _ = far_smile
    with MediaPipeFaceMesh(static_image_mode=True) as mesh:
        assert mesh(np.asarray(face.rgb)) is None


def test_a_small_face_far_away_is_found_and_measured(far_smile):
    face, path = far_smile
    res = analyze(path)
    q = res.quality
    assert q.face_frames_ratio == 1.0
    assert q.valid_frames_ratio > 0.9
    # widths and the millimetre scale are full-frame pixels
    assert q.face_width_px == pytest.approx(110, rel=0.05)
    assert q.mm_per_px == pytest.approx(face.mm_per_px, rel=0.1)
    t = res.signals.t_s
    hold = (t > HOLD["onset_s"] + HOLD["rise_s"] + 0.1) & (t < HOLD["onset_s"] + HOLD["rise_s"] + HOLD["hold_s"] - 0.1)
    for side in ("right", "left"):
        c = res.signals.columns
        d = np.hypot(c[f"mouth_corner_{side}_x_mm"], c[f"mouth_corner_{side}_y_mm"])
        assert np.nanmedian(d[hold]) == pytest.approx(6.0, abs=1.0), side
    assert len(res.smile.episodes) == 1


def test_a_face_too_small_to_measure_is_told_so_not_no_face(tmp_path):
    """A face the full frame misses and the search finds, but narrower than the measures need:
    the refusal gives its width in pixels and what to do, not "no face"."""
    face = far_away(synth.load_face(FACES / "yale01.jpg"), face_width_px=66, canvas_wh=(720, 1280), at_xy=(330, 300))
    path = tmp_path / "tiny.mp4"
    synth.render(path, face=face, fps=25, duration_s=1.0, write_truth=False)
    with pytest.raises(BadInputError, match=r"too small to measure: about 6\d px wide \(at least 80 px needed\).*closer"):
        analyze(path)


def test_a_face_the_full_frame_finds_costs_no_search(tmp_path):
    face = synth.load_face(FACES / "yale01.jpg")
    path = tmp_path / "near.mp4"
    synth.render(path, face=face, fps=30, duration_s=0.5, write_truth=False)
    with FaceAnalyzer() as fa, open_video(path) as src:
        found = [fa.push(f.rgb, f.t_s).face_found for f in src]
        assert all(found) and fa.small_face_searches == 0


def test_real_small_face_s13_is_found_and_refused_as_too_small(shared_data):
    """s13: a full-body dance clip, 720 x 1080, the face 77-78 px wide (the full frame alone
    finds it in none of the 103 frames). It is found, and refused for its size, which the
    message gives, with what to do."""
    got = analyse_shared(shared_data / "videos" / "liveportrait" / "s13.mp4")
    assert isinstance(got, BadInputError)
    assert re.search(r"too small to measure: about 7\d px wide \(at least 80 px needed\)\. Move the camera closer", str(got))


def test_real_small_face_s13_is_followed_throughout(shared_data):
    """With the limit lowered below its width, s13's face is followed in every frame, its
    millimetre scale gives an adult face width, and no smile is found outside the faint one
    labelled from 1.6 s to the end (low confidence)."""
    res = analyze(shared_data / "videos" / "liveportrait" / "s13.mp4", config=PipelineConfig(min_face_width_px=60.0))
    q = res.quality
    assert q.face_frames_ratio == 1.0 and q.valid_frames_ratio > 0.9
    assert 70 < q.face_width_px < 85
    assert 115 < q.face_width_px * q.mm_per_px < 165
    assert q.mm_per_px_spread < 0.05
    # the faint smile (low confidence) may or may not be read at this size; nothing else is
    assert all(e.start_s < 4.12 + 0.25 and e.end_s > 1.6 - 0.25 for e in res.smile.episodes)
