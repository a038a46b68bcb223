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
