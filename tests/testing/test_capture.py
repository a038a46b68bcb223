"""smilescope.testing.capture: a real video's copy as another camera gives it, checked against
the source frame by frame (known answers: the same pixels resized, flipped, or every other frame)."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from smilescope.testing.capture import recapture

from conftest import EXAMPLE as EXAMPLE_VIDEO


def _frames(path):
    with av.open(str(path)) as c:
        return [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def source():
    return _frames(EXAMPLE_VIDEO)


def test_a_copy_keeps_the_timestamps_and_the_pictures(tmp_path, source):
    copy = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "c.mp4"))
    assert [t for t, _ in copy] == pytest.approx([t for t, _ in source], abs=1e-6)
    err = np.mean([np.abs(a.astype(float) - b).mean() for (_, a), (_, b) in zip(copy, source)])
    assert err < 2.0  # grey levels: CRF 18 is close to the source


def test_mirrored_smaller_and_fewer_frames(tmp_path, source):
    copy = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "m.mp4", scale=0.5, mirror=True, keep_every=2))
    assert [t for t, _ in copy] == pytest.approx([t for t, _ in source[::2]], abs=1e-6)
    h, w = source[0][1].shape[:2]
    want = cv2.resize(source[0][1][:, ::-1], (copy[0][1].shape[1], copy[0][1].shape[0]), interpolation=cv2.INTER_AREA)
    assert copy[0][1].shape[:2] == (h // 2 // 2 * 2, w // 2 // 2 * 2)
    assert np.abs(copy[0][1].astype(float) - want).mean() < 3.0
    assert np.abs(copy[0][1].astype(float) - want[:, ::-1]).mean() > 3 * np.abs(copy[0][1].astype(float) - want).mean()


def test_the_same_call_writes_the_same_file(tmp_path):
    a = recapture(EXAMPLE_VIDEO, tmp_path / "a.mp4", scale=0.75).read_bytes()
    b = recapture(EXAMPLE_VIDEO, tmp_path / "b.mp4", scale=0.75).read_bytes()
    assert a == b


def test_dropped_frames_leave_uneven_gaps_and_keep_their_times(tmp_path, source):
    copy = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "d.mp4", drop_fraction=0.3))
    times = [t for t, _ in source]
    kept = [times.index(min(times, key=lambda s: abs(s - t))) for t, _ in copy]
    assert kept[0] == 0 and kept == sorted(set(kept))  # the first frame, each once, in order
    assert max(np.diff(kept)) <= 3  # at most two missing in a row
    assert 0.15 <= 1 - len(kept) / len(times) <= 0.35  # about the share asked (78 frames: 0.3 +- 2 SD)
    for (t, img), k in zip(copy, kept):  # the pictures are the source's at those times
        assert t == pytest.approx(times[k], abs=1e-6)
    assert np.abs(copy[-1][1].astype(float) - source[kept[-1]][1]).mean() < 2.0


def test_sensor_noise_has_the_spread_asked_and_is_repeatable(tmp_path, source):
    """The noise is added to R, G and B independently; the video keeps the grey level (luma) at
    full resolution, where it has 0.67 of the spread (the root of 0.299² + 0.587² + 0.114²)."""
    a = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "n.mp4", noise_sd=6.0, crf=0))
    clean = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "c.mp4", crf=0))  # the same conversions, no noise
    src, out = (cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_RGB2GRAY).astype(float) for x in (clean[10][1], a[10][1]))
    unclipped = (source[10][1].min(axis=2) > 20) & (source[10][1].max(axis=2) < 235)
    diff = (out - src)[unclipped]
    assert diff.std() == pytest.approx(6.0 * 0.668, rel=0.2) and abs(diff.mean()) < 0.5
    assert recapture(EXAMPLE_VIDEO, tmp_path / "n1.mp4", noise_sd=6.0).read_bytes() == \
        recapture(EXAMPLE_VIDEO, tmp_path / "n2.mp4", noise_sd=6.0).read_bytes()


def test_a_tilted_copy_is_the_picture_turned_about_its_centre(tmp_path, source):
    copy = _frames(recapture(EXAMPLE_VIDEO, tmp_path / "t.mp4", tilt_deg=12.0))
    h, w = source[0][1].shape[:2]
    turned = cv2.warpAffine(source[0][1], cv2.getRotationMatrix2D((w / 2, h / 2), 12.0, 1.0), (w, h),
                            borderMode=cv2.BORDER_REPLICATE)
    other = cv2.warpAffine(source[0][1], cv2.getRotationMatrix2D((w / 2, h / 2), -12.0, 1.0), (w, h),
                           borderMode=cv2.BORDER_REPLICATE)
    err = np.abs(copy[0][1].astype(float) - turned).mean()
    assert err < 3.0 and np.abs(copy[0][1].astype(float) - other).mean() > 2 * err


def test_a_copy_keeps_the_pixel_shape_of_its_source(tmp_path):
    """A source with non-square pixels (SAR 3:4) gives a copy with the same pixel shape: without
    it, the copy would show the face squeezed and measure differently for that reason alone."""
    from fractions import Fraction

    src = tmp_path / "sar.mp4"
    with av.open(str(src), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.sample_aspect_ratio = Fraction(3, 4)
        for i in range(3):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 100, np.uint8), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with av.open(str(recapture(src, tmp_path / "c.mp4", scale=0.5))) as c:
        assert c.streams.video[0].sample_aspect_ratio == Fraction(3, 4)
