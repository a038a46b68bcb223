"""Tests for smilescope.io.video against videos written here with PyAV (known truth)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.io import Frame, VideoInfo, open_video, rotate_upright

W, H = 64, 48
ID_PERIOD = 28  # frame identity is encoded modulo this


def pattern(i: int, w: int = W, h: int = H) -> np.ndarray:
    """Frame ``i``: flat grey level 20 + 8 * (i % 28) (identifies the frame) plus a moving bar."""
    img = np.full((h, w, 3), 20 + 8 * (i % ID_PERIOD), np.uint8)
    x = (3 * i) % (w - 4)
    img[:, x : x + 4] = (255, 40, 40)
    return img


def frame_id(rgb: np.ndarray) -> int:
    """Invert :func:`pattern` modulo ID_PERIOD (median grey ignores the bar; lossy codecs keep
    flat areas within a few levels)."""
    return int(round((float(np.median(rgb[..., 1])) - 20) / 8))


def ids(n: int) -> list[int]:
    return [i % ID_PERIOD for i in range(n)]


def write_video(
    path: Path,
    n: int = 30,
    *,
    fps: int = 30,
    times_s: list[float] | None = None,
    codec: str = "libx264",
    size: tuple[int, int] = (W, H),
    rotation_ccw: int | None = None,
    hflip: bool = False,
    options: dict | None = None,
    frames: list[np.ndarray] | None = None,
) -> Path:
    """Write a small test video; ``times_s`` gives irregular presentation times (VFR)."""
    w, h = size
    with av.open(str(path), "w", options=options or {}) as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        tb = Fraction(1, 90000) if times_s is not None else Fraction(1, fps)
        s.codec_context.time_base = tb
        if times_s is not None:
            s.time_base = tb
        if rotation_ccw is not None or hflip:
            s.set_display_rotation(rotation_ccw or 0, hflip=hflip)
        if frames is None:
            frames = [pattern(i, w, h) for i in range(n if times_s is None else len(times_s))]
        imgs = frames
        for i, img in enumerate(imgs):
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = round(times_s[i] / tb) if times_s is not None else i
            f.time_base = tb
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def read_all(path, **kw) -> tuple[VideoInfo, list[Frame], list[str]]:
    with open_video(path, **kw) as src:
        frames = list(src)
        return src.info, frames, list(src.warnings)


# ----------------------------------------------------------------------------- timing


# Intervals alternating 1/30 and 1/20 s, plus one 0.75 s gap (a phone pausing its sensor).
VFR_TIMES_S = [0.0]
for _i in range(1, 40):
    _gap_s = (1 / 30 if _i % 2 else 1 / 20) + (0.75 if _i == 25 else 0.0)
    VFR_TIMES_S.append(VFR_TIMES_S[-1] + _gap_s)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])
def test_variable_frame_rate_timestamps_come_from_the_container(tmp_path, suffix):
    path = write_video(tmp_path / f"vfr{suffix}", times_s=VFR_TIMES_S)
    info, frames, warnings = read_all(path)
    t = np.array([f.t_s for f in frames])
    assert len(frames) == len(VFR_TIMES_S)
    np.testing.assert_allclose(t, VFR_TIMES_S, atol=1e-3)  # mkv stores whole milliseconds
    assert [f.index for f in frames] == list(range(len(frames)))
    assert [frame_id(f.rgb) for f in frames] == ids(len(frames))
    if suffix != ".mkv":
        # MP4/MOV: the nominal rate is frames / duration, not the spacing of any two frames.
        # (Matroska reports the rate declared at write time, 30 here: "nominal" indeed.)
        assert info.fps == pytest.approx(40 / info.duration_s, rel=0.05)
        assert info.frames == 40
    assert info.duration_s == pytest.approx(VFR_TIMES_S[-1] + 1 / 20, abs=0.06)
    assert np.ptp(np.diff(t)) > 0.7
    assert warnings == []


@pytest.mark.parametrize("fps", [30, 60])
def test_constant_frame_rate(tmp_path, fps):
    n = 2 * fps
    info, frames, warnings = read_all(write_video(tmp_path / f"c{fps}.mp4", n, fps=fps))
    assert info.frames == n and len(frames) == n
    assert info.fps == pytest.approx(fps)
    assert info.duration_s == pytest.approx(2.0, abs=1e-6)
    assert (info.width, info.height, info.rotation_deg) == (W, H, 0)
    assert info.codec == "h264" and not info.is_image_sequence
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(n) / fps, atol=1e-6)
    f0 = frames[0].rgb
    assert f0.shape == (H, W, 3) and f0.dtype == np.uint8 and f0.flags.c_contiguous
    assert [frame_id(f.rgb) for f in frames] == ids(n)
    assert warnings == []


def test_repeated_timestamps_are_dropped_with_a_warning(tmp_path):
    # Mux packets by hand so that packet 10 repeats packet 9's time (mkv accepts equal dts).
    path = tmp_path / "dup.mkv"
    tb = Fraction(1, 30)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30, options={"bf": "0"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.codec_context.time_base = tb
        packets = []
        for i in range(20):
            f = av.VideoFrame.from_ndarray(pattern(i), format="rgb24")
            f.pts, f.time_base = i, tb
            packets += s.encode(f)
        packets += s.encode()
        for j, p in enumerate(packets):
            p.pts = p.dts = j if j < 10 else j - 1
            p.time_base = tb
            c.mux(p)
    info, frames, warnings = read_all(path)
    t = np.array([f.t_s for f in frames])
    assert len(frames) == 19
    assert np.all(np.diff(t) > 0)
    assert [f.index for f in frames] == list(range(19))
    assert len(warnings) == 1 and "dropped 1 frame" in warnings[0] and "0.300 s" in warnings[0]


def test_stream_without_timestamps_uses_index_over_fps(tmp_path):
    # A raw H.264 elementary stream has no container, hence no pts at all.
    path = write_video(tmp_path / "raw.h264", 12)
    info, frames, warnings = read_all(path, fps=24)
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(12) / 24)
    assert info.fps == 24 and len(frames) == 12
    assert any("no timestamps" in w and "24 fps" in w for w in warnings)


def test_fps_argument_does_not_override_container_timestamps(tmp_path):
    info, frames, warnings = read_all(write_video(tmp_path / "c.mp4", 10), fps=10)
    assert info.fps == pytest.approx(30)
    assert frames[1].t_s == pytest.approx(1 / 30)
    assert any("fps=10 was ignored" in w for w in warnings)


# ----------------------------------------------------------------------------- rotation


def marker_frames(n: int = 5) -> list[np.ndarray]:
    """Frames with a white block in the top-left corner, so orientation is unambiguous."""
    img = np.full((H, W, 3), 60, np.uint8)
    img[:16, :16] = 255
    return [img] * n


@pytest.mark.parametrize(("rotation_ccw", "rotation_cw"), [(-90, 90), (90, 270), (180, 180)])
def test_rotation_metadata_gives_upright_frames(tmp_path, rotation_ccw, rotation_cw):
    # PyAV's set_display_rotation/frame.rotation are counter-clockwise (FFmpeg's display matrix);
    # a portrait phone clip reads -90 there, i.e. "rotate 90 clockwise to display".
    path = write_video(tmp_path / "rot.mp4", frames=marker_frames(), rotation_ccw=rotation_ccw)
    info, frames, _ = read_all(path)
    assert info.rotation_deg == rotation_cw
    expected = np.rot90(marker_frames(1)[0], k=-rotation_cw // 90)  # clockwise turn
    if rotation_cw in (90, 270):
        assert (info.width, info.height) == (H, W)
    else:
        assert (info.width, info.height) == (W, H)
    rgb = frames[0].rgb
    assert rgb.shape == expected.shape == (info.height, info.width, 3)
    assert np.abs(rgb.astype(int) - expected).mean() < 3
    # Independent check: OpenCV's own FFmpeg build, told to auto-orient, agrees pixel for pixel.
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = cap.read()
    cap.release()
    assert ok
    assert np.abs(bgr[..., ::-1].astype(int) - rgb).mean() < 1


@pytest.mark.parametrize("rotation_ccw", [0, -90, 90, 180])
def test_a_mirroring_display_matrix_is_detected_and_sides_kept(tmp_path, rotation_ccw):
    # a selfie clip stored as the camera saw it, with a display matrix that mirrors it on playback
    path = write_video(tmp_path / "selfie.mp4", frames=marker_frames(), rotation_ccw=rotation_ccw, hflip=True)
    rotation_cw = -rotation_ccw % 360
    camera_view = np.rot90(marker_frames(1)[0], k=-rotation_cw // 90)  # upright, not mirrored
    info, frames, _ = read_all(path)
    assert (info.rotation_deg, info.mirrored, info.mirrored_by) == (rotation_cw, True, "container")
    assert np.abs(frames[0].rgb.astype(int) - camera_view).mean() < 3  # the person's right stays on the left
    # told that the video as played is not mirrored: the frames are shown as the file displays them
    info, frames, _ = read_all(path, mirrored=False)
    assert (info.mirrored, info.mirrored_by) == (False, "option")
    assert np.abs(frames[0].rgb.astype(int) - camera_view[:, ::-1]).mean() < 3


def test_mirrored_option_flips_frames_of_videos_and_sequences(tmp_path):
    path = write_video(tmp_path / "plain.mp4", frames=marker_frames())
    info, frames, _ = read_all(path)
    assert (info.mirrored, info.mirrored_by) == (False, "default")
    plain = frames[0].rgb
    info, frames, _ = read_all(path, mirrored=True)
    assert (info.mirrored, info.mirrored_by) == (True, "option")
    np.testing.assert_array_equal(frames[0].rgb, plain[:, ::-1])
    assert frames[0].rgb.flags.c_contiguous
    folder = tmp_path / "seq"
    folder.mkdir()
    cv2.imwrite(str(folder / "f1.png"), marker_frames(1)[0])
    info, frames, _ = read_all(folder, mirrored=True)
    assert (info.mirrored, info.mirrored_by) == (True, "option")
    np.testing.assert_array_equal(frames[0].rgb, marker_frames(1)[0][:, ::-1])


@pytest.mark.parametrize(("matrix", "expected"), [
    ([65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30], (0.0, False)),
    ([-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30], (0.0, True)),  # a left-right flip, not a half turn
    ([0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30], (90.0, False)),  # portrait phone clip
    ([0, -65536, 0, -65536, 0, 0, 0, 0, 1 << 30], (-90.0, True)),
    ([65536, 0, 0, 0, -65536, 0, 0, 0, 1 << 30], (180.0, True)),  # upside-down flip = half turn + mirror
])
def test_display_orientation_reads_turn_and_mirror(matrix, expected):
    from smilescope.io.video import display_orientation

    rot, mirrored = display_orientation(matrix)
    assert (round(rot) % 360, mirrored) == (round(expected[0]) % 360, expected[1])


def test_link_loop_and_dangling_link_say_so(tmp_path):
    loop = tmp_path / "loop.mp4"
    loop.symlink_to(loop)
    with pytest.raises(BadInputError, match="symbolic link loop"):
        open_video(loop)
    dangling = tmp_path / "gone.mp4"
    dangling.symlink_to(tmp_path / "moved-away.mp4")
    with pytest.raises(BadInputError, match="link to .*moved-away.mp4.*does not exist"):
        open_video(dangling)


def test_rotate_upright_turns_clockwise():
    a = np.arange(6).reshape(2, 3)[..., None]  # [[0 1 2], [3 4 5]]
    assert rotate_upright(a, 0) is a
    np.testing.assert_array_equal(rotate_upright(a, 90)[..., 0], [[3, 0], [4, 1], [5, 2]])
    np.testing.assert_array_equal(rotate_upright(a, 180)[..., 0], [[5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(rotate_upright(a, 270)[..., 0], [[2, 5], [1, 4], [0, 3]])
    assert rotate_upright(a, 90).flags.c_contiguous


# ----------------------------------------------------------------------------- containers


@pytest.mark.parametrize(
    ("name", "codec", "codec_read"),
    [
        ("a.mkv", "libx264", "h264"),
        ("a.mov", "libx264", "h264"),
        ("a.avi", "mpeg4", "mpeg4"),
        ("a.webm", "libvpx-vp9", "vp9"),
        ("b.webm", "libvpx", "vp8"),
    ],
)
def test_other_containers(tmp_path, name, codec, codec_read):
    info, frames, warnings = read_all(write_video(tmp_path / name, 30, codec=codec))
    assert info.codec == codec_read
    assert len(frames) == 30 and info.frames == 30
    assert info.fps == pytest.approx(30) and info.duration_s == pytest.approx(1.0, abs=0.04)
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(30) / 30, atol=1e-3)
    assert [frame_id(f.rgb) for f in frames] == ids(30)
    assert frames[0].rgb.shape == (H, W, 3)
    assert warnings == []


def test_iterating_again_restarts_and_close_mid_way_is_safe(tmp_path):
    path = write_video(tmp_path / "c.mp4", 10)
    src = open_video(path)
    it = iter(src)
    next(it), next(it)
    again = [f.t_s for f in src]  # a second iteration starts from the first frame
    assert len(again) == 10 and again[0] == 0.0
    it2 = iter(src)
    next(it2)
    src.close()
    src.close()


# ----------------------------------------------------------------------------- image sequences


def write_images(folder: Path, n: int, suffix: str = ".png") -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    imgs = [pattern(i) for i in range(n)]
    for i, img in enumerate(imgs):  # unpadded numbers: natural order differs from plain sorting
        cv2.imwrite(str(folder / f"frame{i + 1}{suffix}"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return imgs


def test_image_folder_in_natural_order_with_fps(tmp_path):
    imgs = write_images(tmp_path / "seq", 12)
    (tmp_path / "seq" / "notes.txt").write_text("not an image")
    info, frames, warnings = read_all(tmp_path / "seq", fps=12.5)
    assert info.is_image_sequence and info.frames == 12 and info.fps == 12.5
    assert info.duration_s == pytest.approx(12 / 12.5)
    assert (info.width, info.height, info.codec) == (W, H, "png")
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(12) / 12.5)
    for f, img in zip(frames, imgs):
        np.testing.assert_array_equal(f.rgb, img)  # PNG is lossless, and RGB not BGR
    assert warnings == []


def test_image_glob_pattern_and_default_fps_warning(tmp_path):
    write_images(tmp_path / "seq", 11, ".jpg")
    write_images(tmp_path / "seq", 3, ".png")  # not matched by the pattern
    info, frames, warnings = read_all(str(tmp_path / "seq" / "frame*.jpg"))
    assert info.frames == 11 and info.fps == 30.0 and info.codec == "jpg"
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(11) / 30.0)
    assert [frame_id(f.rgb) for f in frames] == ids(11)
    assert any("assuming 30 fps" in w for w in warnings)


def test_single_image(tmp_path):
    write_images(tmp_path, 1)
    info, frames, warnings = read_all(tmp_path / "frame1.png")
    assert info.frames == 1 and len(frames) == 1 and frames[0].t_s == 0.0 and warnings == []


# ----------------------------------------------------------------------------- bad input


def test_missing_path(tmp_path):
    with pytest.raises(BadInputError, match=r"No file or folder found at .*nope\.mp4.*Check the"):
        open_video(tmp_path / "nope.mp4")


def test_folder_without_images(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(BadInputError, match=r"contains no images.*Pass a video file"):
        open_video(tmp_path)


def test_folder_holding_a_video_hints_at_the_file(tmp_path):
    write_video(tmp_path / "clip.mp4", 3)
    with pytest.raises(BadInputError, match=r"no images.*clip\.mp4.*pass the file itself"):
        open_video(tmp_path)


def test_glob_without_matches(tmp_path):
    with pytest.raises(BadInputError, match=r"No file matches .*\*\.png.*Check the pattern"):
        open_video(str(tmp_path / "*.png"))


def test_non_positive_fps(tmp_path):
    write_images(tmp_path, 2)
    with pytest.raises(BadInputError, match=r"'fps'.*positive"):
        open_video(tmp_path, fps=0)


def test_text_file_renamed_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("Shopping list: eggs, milk.\n" * 20)
    with pytest.raises(BadInputError, match=r"is not a video that FFmpeg can read.*Pass a video"):
        open_video(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mov"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match=r"is empty \(0 bytes\).*export the video again"):
        open_video(path)


def test_file_without_video_stream(tmp_path):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w") as c:
        a = c.add_stream("aac", rate=44100)
        for _ in range(10):
            silence = np.zeros((1, 1024), np.float32)
            fr = av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono")
            fr.sample_rate = 44100
            for p in a.encode(fr):
                c.mux(p)
        for p in a.encode():
            c.mux(p)
    with pytest.raises(BadInputError, match=r"has no video stream \(only audio streams\)\. Pass"):
        open_video(path)


def test_zero_decodable_frames(tmp_path):
    # Keep the container intact but blank out every coded frame.
    path = write_video(tmp_path / "blank.mp4", 30)
    data = bytearray(path.read_bytes())
    start, end = data.find(b"mdat") + 4, data.find(b"moov") - 4
    data[start:end] = bytes(end - start)
    path.write_bytes(bytes(data))
    with pytest.raises(BadInputError, match=r"No frame of .* could be decoded.*damaged"):
        with open_video(path) as src:
            list(src)


def truncate(path: Path, fraction: float) -> Path:
    out = path.with_name("cut_" + path.name)
    out.write_bytes(path.read_bytes()[: int(path.stat().st_size * fraction)])
    return out


def noisy_frames(n: int) -> list[np.ndarray]:
    # Noise keeps every frame large, so a byte cut maps onto a frame cut.
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(n)]


def test_truncated_mp4_with_index_at_the_end_cannot_be_opened(tmp_path):
    # Default MP4 layout writes the 'moov' index after the data: cutting the tail loses it.
    full = write_video(tmp_path / "rec.mp4", frames=noisy_frames(90))
    assert full.read_bytes().find(b"moov") > full.stat().st_size // 2
    with pytest.raises(BadInputError, match=r"incomplete MP4/MOV: it looks truncated.*moov.*Copy"):
        open_video(truncate(full, 0.6))


@pytest.mark.parametrize(
    ("name", "options"),
    [("fast.mp4", {"movflags": "faststart"}), ("rec.mkv", None), ("rec.webm", None)],
)
def test_truncated_file_with_index_first_yields_the_head_with_a_warning(tmp_path, name, options):
    codec = "libvpx-vp9" if name.endswith(".webm") else "libx264"
    full = write_video(tmp_path / name, frames=noisy_frames(90), codec=codec, options=options)
    if options:
        assert full.read_bytes().find(b"moov") < full.read_bytes().find(b"mdat")
    info, frames, warnings = read_all(truncate(full, 0.6))
    assert info.frames == 90  # the container still announces the full length
    assert 30 < len(frames) < 80
    np.testing.assert_allclose([f.t_s for f in frames], np.arange(len(frames)) / 30, atol=1e-3)
    assert len(warnings) == 1
    assert f"decoding stopped at frame {len(frames)} of ~90" in warnings[0]
    assert "looks truncated" in warnings[0] and "results cover the first" in warnings[0]


def test_truncated_to_almost_nothing(tmp_path):
    faststart = {"movflags": "faststart"}
    full = write_video(tmp_path / "fast.mp4", frames=noisy_frames(30), options=faststart)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.find(b"mdat") + 100])  # index intact, first frame cut off
    with pytest.raises(BadInputError, match=r"No frame of .* could be decoded.*truncated"):
        open_video(cut)


def test_unreadable_image_in_sequence_raises_during_iteration(tmp_path):
    write_images(tmp_path, 4)
    (tmp_path / "frame3.png").write_bytes(b"not a png")
    with open_video(tmp_path, fps=10) as src:
        it = iter(src)
        assert next(it).index == 0 and next(it).index == 1
        with pytest.raises(BadInputError, match=r"Image 3 .*frame3\.png.*cannot be read.*Replace"):
            next(it)


def test_images_of_different_sizes(tmp_path):
    write_images(tmp_path, 3)
    cv2.imwrite(str(tmp_path / "frame4.png"), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(BadInputError, match=r"frame4\.png.*is 10x10 px but the first is 64x48"):
        read_all(tmp_path, fps=10)


def test_non_square_pixels_are_resampled_square(tmp_path):
    """A disc stored with pixels 3/4 as wide as high (SAR 3:4) is an ellipse 4/3 as wide as high
    in the stored pixels; the frames come out resampled to square pixels (the smaller dimension
    enlarged), so the disc is round again and a millimetre is the same across and down."""
    import cv2

    w, h = 160, 96
    img = np.zeros((h, w, 3), np.uint8)
    cv2.ellipse(img, (80, 48), (40, 30), 0, 0, 360, (255, 255, 255), -1)  # 80 px wide, 60 high stored
    path = tmp_path / "sar.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.sample_aspect_ratio = Fraction(3, 4)
        for i in range(3):
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with open_video(path) as v:
        assert (v.info.width, v.info.height) == (160, 128)  # 96 px high * 4/3
        assert any("resampled to square pixels (160x128)" in m for m in v.warnings)
        rgb = next(iter(v)).rgb
    ys, xs = np.nonzero(rgb[..., 0] > 128)
    assert rgb.shape == (128, 160, 3)
    assert abs((xs.max() - xs.min()) - (ys.max() - ys.min())) <= 3  # round: 80 px across, 60 * 4/3 = 80 down


def test_an_odd_image_in_a_sequence_is_named_by_its_place_counted_from_one(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "a1.png"), np.zeros((60, 80, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "a2.png"), np.zeros((50, 80, 3), np.uint8))
    with pytest.raises(BadInputError, match=r"Image 2 of the sequence, '.*a2.png', is 80x50 px"):
        with open_video(tmp_path, fps=5) as src:
            list(src)


def test_frames_larger_than_8k_are_refused_before_the_face_model_sees_them(tmp_path):
    """MediaPipe aborts the whole process on an image side over 32767 px; a sequence of such
    frames (16 x 40000 px) once ended `analyze` with SIGABRT. Frames over MAX_FRAME_SIDE_PX are
    refused at opening, with what to do."""
    from smilescope.io.video import MAX_FRAME_SIDE_PX

    folder = tmp_path / "tall"
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f"f{i}.png"), np.full((MAX_FRAME_SIDE_PX + 1, 16, 3), 128, np.uint8))
    with pytest.raises(BadInputError, match=f"16x{MAX_FRAME_SIDE_PX + 1} px, larger than {MAX_FRAME_SIDE_PX} px a side"):
        open_video(folder, fps=10)
    cv2.imwrite(str(folder / "f0.png"), np.full((MAX_FRAME_SIDE_PX, 16, 3), 128, np.uint8))
    cv2.imwrite(str(folder / "f1.png"), np.full((MAX_FRAME_SIDE_PX, 16, 3), 128, np.uint8))
    with open_video(folder, fps=10) as src:
        assert src.info.height == MAX_FRAME_SIDE_PX  # the limit itself is allowed

