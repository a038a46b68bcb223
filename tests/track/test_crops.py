"""Small faces: crops map back to full-frame pixels exactly, and a face too small for the
full-frame detector is found in enlarged windows and followed at the right place."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from smilescope.testing.synth import load_face
from smilescope.track.crops import CropBox, SmallFaceFinder, search_windows
from smilescope.track.facemesh import FaceObservation, MediaPipeFaceMesh

from conftest import FACES


@pytest.fixture(scope="module")
def still_mesh():
    with MediaPipeFaceMesh(static_image_mode=True) as m:
        yield m


def shrink_into_canvas(face, *, face_width_px: float, canvas_hw: tuple[int, int], at_xy: tuple[int, int]):
    """The photo shrunk so its face is about ``face_width_px`` wide, pasted on grey.

    Returns the canvas (H, W, 3) and the photo's landmarks moved to it (n, 3), px. Edges are
    aligned (as ``cv2.resize`` maps them), so a photo pixel corner x lands at ``x * k + x0``.
    """
    h, w = face.rgb.shape[:2]
    k = face_width_px / np.ptp(face.landmarks_px[:, 0])
    nw, nh = int(round(w * k)), int(round(h * k))
    small = cv2.resize(face.rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    canvas = np.full((*canvas_hw, 3), 128, np.uint8)
    x0, y0 = at_xy
    canvas[y0:y0 + nh, x0:x0 + nw] = small
    lms = face.landmarks_px * [nw / w, nh / h, nw / w] + [x0, y0, 0]
    return canvas, lms


@pytest.mark.parametrize("box", [CropBox(57, 41, 90, 256), CropBox(10, 20, 120, 120), CropBox(101, 33, 180, 96),
                                 CropBox(-40, 150, 200, 512)], ids=["x2.8", "x1", "x0.53", "padded"])
def test_a_crop_maps_back_to_frame_pixels_exactly(box):
    """A bright blob at a known sub-pixel place: its centroid in the cut, mapped by ``to_frame``,
    is where it was drawn. Positions follow MediaPipe's convention (x * width: pixel i spans
    [i, i + 1)); a half-pixel slip would show as 0.5 * (1 - 1/scale) px."""
    h, w = 300, 400
    checked = 0
    for xy in ([101.3, 87.8], [140.55, 120.2], [30.0, 230.7]):
        lo, hi = np.array([box.x0_px, box.y0_px]) + 15, np.array([box.x0_px, box.y0_px]) + box.side_px - 15
        if not ((lo < xy) & (xy < hi)).all():  # the blob must lie well inside the crop
            continue
        ii, jj = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)  # pixel centres
        blob = 250 * np.exp(-((ii - xy[0]) ** 2 + (jj - xy[1]) ** 2) / (2 * 3.0 ** 2))
        img = np.repeat(np.rint(blob)[..., None], 3, axis=2).astype(np.uint8)
        cut = box.cut(img)[..., 0].astype(float)
        assert cut.shape == (box.size_px, box.size_px)
        u, v = np.meshgrid(np.arange(box.size_px) + 0.5, np.arange(box.size_px) + 0.5)
        centroid = np.array([[(u * cut).sum() / cut.sum(), (v * cut).sum() / cut.sum(), 0.0]])
        g = img[..., 0].astype(float)
        drawn = np.array([(ii * g).sum(), (jj * g).sum()]) / g.sum()  # the rounded blob's own centroid
        np.testing.assert_allclose(box.to_frame(centroid)[0, :2], drawn, atol=0.03)
        checked += 1
    assert checked >= 1


def test_a_crop_outside_the_frame_is_padded_black():
    img = np.full((100, 100, 3), 200, np.uint8)
    cut = CropBox(-50, -50, 100, 100).cut(img)
    assert (cut[:50, :] == 0).all() and (cut[:, :50] == 0).all() and (cut[50:, 50:] == 200).all()


def test_landmarks_through_an_enlarging_crop_agree_with_the_full_frame(still_mesh):
    """On a face large enough for both paths (~240 px), landmarks from a crop enlarged 1.5x and
    mapped back agree with the full frame's within about a pixel, with no offset or scale error
    beyond FaceMesh's own variation with its input: merely padding the photo with black (an
    integer shift, nothing resized) moves its landmarks by a median 0.6-1.1 px and their mean
    by up to 1 px (these faces; 1.9 px and 1.3 px on yale05), as the detector's box and with
    it the landmark model's crop change."""
    for name in ("faceapi_neutral", "yale01", "astronaut"):
        face = load_face(FACES / f"{name}.jpg")
        full = face.landmarks_px[:, :2]
        box = CropBox.around(full, margin=2.5, min_size_px=1024)
        assert box.scale > 1.3
        got = box.observe(still_mesh, face.rgb).landmarks_px[:, :2]
        d = np.linalg.norm(got - full, axis=1)
        assert np.median(d) < 1.5, name
        assert np.linalg.norm((got - full).mean(axis=0)) < 1.0, name  # no shift
        spread = lambda p: np.linalg.norm(p - p.mean(axis=0), axis=1).mean()  # noqa: E731
        assert spread(got) / spread(full) == pytest.approx(1.0, abs=0.005), name  # no scale error


@pytest.mark.parametrize("name", ["faceapi_neutral", "yale01", "takeo"])
@pytest.mark.parametrize("canvas_hw,face_px", [((1280, 720), 90), ((1080, 1920), 110)])
def test_a_small_face_in_a_large_frame_is_found_where_it_is(still_mesh, name, canvas_hw, face_px):
    face = load_face(FACES / f"{name}.jpg")
    canvas, truth = shrink_into_canvas(face, face_width_px=face_px, canvas_hw=canvas_hw,
                                       at_xy=(canvas_hw[1] // 2 - 37, canvas_hw[0] // 4 + 11))
    assert still_mesh(canvas) is None  # too small for the full-frame detector
    with SmallFaceFinder() as finder:
        for t in (0.0, 1 / 30, 2 / 30):  # the search, then following in the crop
            obs = finder(canvas, t)
            assert obs is not None and finder.following
            d = np.linalg.norm(obs.landmarks_px[:, :2] - truth[:, :2], axis=1)
            # the photo's landmarks scaled down, against landmarks of the shrunk face: ~1 % of its width
            assert np.median(d) < 0.015 * face_px and d.max() < 0.05 * face_px, (t, np.median(d), d.max())
            assert obs.face_width_px == pytest.approx(np.ptp(truth[:, 0]), rel=0.03)
        assert finder.searches == 1


class _Counting:
    """A landmark model that never finds a face, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, image_rgb: np.ndarray) -> FaceObservation | None:
        self.calls += 1
        return None

    def close(self) -> None:
        pass


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_without_a_face_the_search_is_retried_by_video_time(fps):
    finder = _Counting()
    frame = np.zeros((720, 1280, 3), np.uint8)
    n_windows = len(search_windows(1280, 720, min_face_px=60.0, size_px=256))
    with SmallFaceFinder(search_interval_s=0.5, min_face_px=60.0, finder=finder, follower_factory=_Counting) as f:
        t = np.arange(int(round(2.0 * fps))) / fps  # 2 s of video
        assert all(f(frame, float(ti)) is None for ti in t)
    assert f.searches == 4  # at 0, 0.5, 1.0 and 1.5 s, whatever the frame rate
    assert finder.calls == 4 * n_windows


@pytest.mark.parametrize("wh", [(720, 1080), (1920, 1080), (640, 480), (320, 240)])
def test_every_small_face_lies_inside_a_window_of_the_right_size(wh):
    """A face ``min_face_px`` wide anywhere in the frame is wholly inside one of the smallest
    windows; away from the frame's edges, within a quarter window of its centre."""
    w, h = wh
    boxes = search_windows(w, h, min_face_px=60.0, size_px=256)
    smallest = min(b.side_px for b in boxes)
    assert smallest == 360 and max(b.side_px for b in boxes) >= max(w, h) / 2
    level = [b for b in boxes if b.side_px == smallest]
    rng = np.random.default_rng(0)
    for x, y in rng.uniform([0, 0], [w - 60, h - 60], size=(200, 2)):
        inside = [b for b in level if b.x0_px <= x and x + 60 <= b.x0_px + b.side_px
                  and b.y0_px <= y and y + 60 <= b.y0_px + b.side_px]
        if smallest <= min(w, h):
            assert inside, (x, y)
            cx, cy = x + 30, y + 30
            if smallest / 2 <= cx <= w - smallest / 2 and smallest / 2 <= cy <= h - smallest / 2:  # away from the edges
                off = min(max(abs(cx - b.x0_px - b.side_px / 2), abs(cy - b.y0_px - b.side_px / 2)) for b in inside)
                assert off <= smallest / 4 + 1
        else:  # a frame smaller than the window: one centred window holds all of it
            assert len(level) == 1 and inside


def test_min_face_must_be_positive():
    with pytest.raises(ValueError, match="min_face_px"):
        search_windows(640, 480, min_face_px=0.0, size_px=256)
