"""Read a face video (or a folder of frames) as upright RGB frames with true timestamps.

Video files are decoded with PyAV (FFmpeg in a wheel) rather than ``cv2.VideoCapture``:

* phones record variable frame rate, so every frame carries its own presentation
  timestamp from the container (``index / fps`` was off by up to 440 ms on a test file and
  would distort velocities and spectra; OpenCV 4.11's ``CAP_PROP_POS_MSEC`` did read those
  timestamps correctly, see ``benchmarks/decode.py``);
* portrait clips are stored landscape plus a display matrix, which PyAV exposes per frame
  and OpenCV's default read ignores;
* truncated and damaged files can be detected and reported precisely;
* decoding is as fast as OpenCV's (multi-threaded FFmpeg + one swscale conversion to RGB).

Image sequences (a folder of images, or a glob pattern) are read with OpenCV, at a frame
rate given by the caller.

Every problem caused by the input raises :class:`~smilescope.errors.BadInputError`, whose
message says what was wrong and what to do; recoverable problems (a truncated tail, a few
damaged packets, repeated timestamps) are reported in :attr:`VideoSource.warnings` instead.
"""

from __future__ import annotations

import errno
import glob
import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

from smilescope.errors import BadInputError, check_positive

#: Suffixes read as still images (case-insensitive); anything else goes to FFmpeg.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
#: Common video suffixes, used only to word hints (FFmpeg decides what it can open).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")

DEFAULT_SEQUENCE_FPS = 30.0
# Frames larger than 8K video (7680 x 4320) are refused: the face model aborts the whole process
# on a side over 32767 px, and a face needs nowhere near this many pixels.
MAX_FRAME_SIDE_PX = 8192
# Give up after this many damaged packets in a row: the rest of the file is not video data.
_MAX_CONSECUTIVE_BAD_PACKETS = 100
_GLOB_CHARS = "*?["


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a video before decoding it.

    Attributes
    ----------
    path : str
        The path (or glob pattern) as given.
    fps : float
        Average (nominal) frame rate in frames/s. For variable-frame-rate video this is
        frames / duration; use :attr:`Frame.t_s` for timing, never ``index / fps``.
    frames : int
        Number of frames, as counted or estimated from the container; 0 when unknown.
    duration_s : float
        Duration in seconds from the container; 0.0 when unknown.
    width, height : int
        Size in pixels of the *upright* frames (after rotation).
    rotation_deg : int
        Clockwise rotation in degrees (0, 90, 180 or 270) applied to the stored frames to make
        them upright; the convention of the legacy ``rotate`` tag and of exiftool's
        ``Rotation`` (a portrait phone clip usually reads 90).
    codec : str
        FFmpeg codec name (``"h264"``, ``"hevc"``, ...), or the image suffix for sequences.
    is_image_sequence : bool
        True for a folder of images or a glob pattern.
    mirrored : bool
        The video plays as a mirror image of the person (a selfie view: their right on the
        right of the picture); its frames are flipped back, so the frames yielded are always
        the camera's view and sides stay the person's own.
    mirrored_by : str
        How that was decided: ``"option"`` (the caller said so), ``"container"`` (the file's
        display matrix mirrors the picture) or ``"default"`` (nothing said so: not mirrored).
    """

    path: str
    fps: float
    frames: int
    duration_s: float
    width: int
    height: int
    rotation_deg: int
    codec: str
    is_image_sequence: bool
    mirrored: bool = False
    mirrored_by: str = "default"


# eq=False: comparing or hashing frames by their pixel arrays makes no sense (and would raise).
@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        0-based position among the frames yielded (contiguous, even when frames were dropped).
    t_s : float
        Presentation time in seconds from the first frame (0.0), strictly increasing.
    rgb : np.ndarray [shape=(H, W, 3), dtype=uint8]
        Upright RGB image, C-contiguous.
    """

    index: int
    t_s: float
    rgb: np.ndarray


def rotate_upright(rgb: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Rotate a stored frame clockwise by ``rotation_deg`` so that it is upright.

    Parameters
    ----------
    rgb : np.ndarray [shape=(H, W, C)]
    rotation_deg : int
        Clockwise rotation in degrees, a multiple of 90 (see :attr:`VideoInfo.rotation_deg`).

    Returns
    -------
    np.ndarray [shape=(H, W, C) or (W, H, C)]
        C-contiguous (downstream models want contiguous buffers); ``rgb`` itself when
        ``rotation_deg`` is 0.
    """
    k = (-int(rotation_deg) // 90) % 4  # np.rot90 turns counter-clockwise for positive k
    if k == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k))


class VideoSource:
    """An opened video or image sequence; iterate it for :class:`Frame` objects.

    Use as a context manager (``with open_video(p) as src: ...``) or call :meth:`close`.
    Iterating again starts again from the first frame (and ends any unfinished iteration).
    Frames are decoded lazily, one at a time: memory stays flat however long the video.

    Attributes
    ----------
    info : VideoInfo
    warnings : list of str
        Human-readable notes collected while opening and reading (truncated file, assumed
        frame rate, dropped frames, ...). Notes from reading appear once iteration ends.
    """

    def __init__(self, info: VideoInfo, open_warnings: list[str]) -> None:
        if max(info.width, info.height) > MAX_FRAME_SIDE_PX:
            raise BadInputError(f"The frames of '{info.path}' are {info.width}x{info.height} px, larger than "
                                f"{MAX_FRAME_SIDE_PX} px a side.",
                                f"Resize them to at most {MAX_FRAME_SIDE_PX} px a side (1920x1080 is plenty for a face).")
        self.info = info
        self._open_warnings = list(open_warnings)
        self.warnings: list[str] = list(open_warnings)
        self._active: Iterator[Frame] | None = None

    def __iter__(self) -> Iterator[Frame]:
        self._close_active()
        self.warnings[:] = self._open_warnings
        self._active = self._frames()
        return self._active

    def _frames(self) -> Iterator[Frame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close_active(self) -> None:
        if self._active is not None:
            self._active.close()  # runs the generator's ``finally``: closes the container
            self._active = None

    def close(self) -> None:
        """Release the file (safe to call twice)."""
        self._close_active()

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.info!r})"


def open_video(path: str | os.PathLike, *, fps: float | None = None, mirrored: bool | None = None,
               threaded_decode: bool = True) -> VideoSource:
    """Open a video file, a folder of images, or a glob pattern of images.

    The file is probed at once (container, video stream, first frame), so unreadable input
    fails here rather than halfway through an analysis.

    Parameters
    ----------
    path : str or path-like
        A video file (.mp4 .mov .avi .webm .mkv, or anything FFmpeg opens), a single image, a
        folder of images (.png .jpg .jpeg .bmp .tif, in natural name order: ``f2`` before
        ``f10``), or a glob pattern such as ``"frames/*.png"``.
    fps : float, optional
        Frame rate in frames/s of an image sequence (default 30.0, with a warning). For video
        files the container's own timestamps always win; ``fps`` is used only for frames that
        carry no timestamp.
    mirrored : bool, optional
        True: the video plays as a mirror image of the person (a selfie recording), so its
        frames are flipped left-right before they are yielded; False: it does not. ``None``
        (default): mirrored when the file's display matrix mirrors the picture (some phone apps
        store a selfie that way), else not. Either way :attr:`VideoInfo.mirrored` and
        ``mirrored_by`` say what was decided.
    threaded_decode : bool
        FFmpeg decodes with slice and frame threads (default), to stay ahead of the landmark
        model; False decodes on the calling thread, for a process that has one core to itself
        (a batch worker). The frames are the same.

    Returns
    -------
    VideoSource

    Raises
    ------
    BadInputError
        Missing path, a folder or pattern without images, a file that is not a video, a
        video without a video stream, or no decodable frame.
    """
    if fps is not None:
        check_positive("fps", fps)
        fps = float(fps)
    text = os.fspath(path)
    p = Path(text)
    _check_links(p, text)
    if p.is_dir():
        return _ImageSequenceSource(text, _images_in_folder(p), fps, mirrored)
    if p.is_file():
        if p.suffix.lower() in IMAGE_SUFFIXES:
            return _ImageSequenceSource(text, [p], fps, mirrored)
        return _AvVideoSource(text, fps, mirrored, threaded=threaded_decode)
    if any(ch in text for ch in _GLOB_CHARS):
        return _ImageSequenceSource(text, _images_matching(text), fps, mirrored)
    if p.exists():
        raise BadInputError(
            f"'{text}' is neither a regular file nor a folder.",
            "Pass a video file or a folder of images.",
        )
    parent = p.parent
    hint = "Check the spelling and the current directory"
    if not parent.is_dir():
        hint += f" (the folder '{parent}' does not exist either)"
    raise BadInputError(f"No file or folder found at '{text}'.", hint + ".")


def _check_links(p: Path, text: str) -> None:
    """A symbolic link loop, or a link to nothing, said as such (not "no file found")."""
    try:
        os.stat(p)
        return
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise BadInputError(
                f"'{text}' is a symbolic link loop: a link on the way points back at itself, so it leads to no file.",
                "Fix or remove the link, or pass the video file itself.",
            ) from None
    if os.path.islink(p):
        raise BadInputError(
            f"'{text}' is a symbolic link to '{os.readlink(p)}', which does not exist.",
            "Fix or remove the link, or pass the video file itself.",
        )


def mirror_decision(mirrored: bool | None, container_mirrored: bool) -> tuple[bool, str]:
    """(mirrored, how it was decided): the caller's word wins, else the container's, else not mirrored."""
    if mirrored is not None:
        return bool(mirrored), "option"
    if container_mirrored:
        return True, "container"
    return False, "default"


def display_orientation(matrix) -> tuple[float, bool]:
    """Clockwise rotation (degrees) and mirroring of an FFmpeg display matrix.

    Parameters
    ----------
    matrix : sequence of 9 int
        ``AV_PKT_DATA_DISPLAYMATRIX``: row-major ``[a b u; c d v; x y w]``, a stored pixel
        ``(p, q)`` displayed at ``(a p + c q + x, b p + d q + y)`` (16.16 fixed point).

    Returns
    -------
    rotation_cw_deg : float
        The turn that makes the stored frame upright, clockwise, in (-180, 180].
    mirrored : bool
        The matrix also mirrors the picture left-right (a negative determinant): the display is
        the upright frame flipped left-right.
    """
    a, b, _, c, d = (float(v) for v in list(matrix)[:5])
    mirrored = a * d - b * c < 0
    if mirrored:  # undo the mirror in display x: what is left is a turn
        a, c = -a, -c
    return math.degrees(math.atan2(b, a)), mirrored


def _flip_lr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, ::-1])


# --------------------------------------------------------------------------- video files


class _AvVideoSource(VideoSource):
    """A video file decoded by PyAV."""

    def __init__(self, path: str, fps: float | None, mirrored: bool | None = None, *, threaded: bool = True) -> None:
        self._path = path
        self._threaded = threaded
        warnings: list[str] = []
        container = _open_container(path)
        try:
            stream = _pick_video_stream(container, path)
            self._stream_index = stream.index
            tb = stream.time_base
            first = _first_frame(container, stream, path)
            self._has_pts = first.pts is not None

            nominal = (
                _rate(stream.average_rate) or _rate(stream.guessed_rate) or _rate(stream.base_rate)
            )
            if not self._has_pts:
                # Raw elementary streams (.h264) carry no timestamps; FFmpeg's average_rate is
                # then a default guess (25), guessed_rate comes from the bitstream's timing info.
                nominal = fps or _rate(stream.guessed_rate) or nominal
                if nominal:
                    src = "the fps argument" if fps else "the stream header"
                    warnings.append(
                        f"the video carries no timestamps; times are frame index / {nominal:g} fps "
                        f"(rate from {src}): pass fps=... if that is not the capture rate."
                    )
                else:
                    nominal = DEFAULT_SEQUENCE_FPS
                    warnings.append(
                        f"the video carries neither timestamps nor a frame rate; assuming "
                        f"{nominal:g} fps: pass fps=... with the capture rate."
                    )
            elif fps is not None:
                warnings.append(
                    f"fps={fps:g} was ignored: the video's own timestamps are used "
                    "(fps applies to image sequences and to videos without timestamps)."
                )
            if not nominal:
                nominal = fps or DEFAULT_SEQUENCE_FPS
            self._fallback_fps = fps or nominal

            if stream.duration is not None and tb is not None:
                duration_s = float(stream.duration * tb)
            elif container.duration is not None:
                duration_s = container.duration / av.time_base
            else:
                duration_s = 0.0
            frames = int(stream.frames or 0)
            if frames == 0 and duration_s > 0:
                frames = int(round(duration_s * nominal))  # mkv/webm store no frame count
            if frames > 0 and duration_s == 0.0:
                duration_s = frames / nominal
            self._expected_frames = int(stream.frames or 0)

            # PyAV's frame.rotation is counter-clockwise (FFmpeg's display-matrix angle); checked
            # against OpenCV's CAP_PROP_ORIENTATION_AUTO: a portrait phone clip reads -90. It
            # ignores a mirror in the matrix (a left-right flip reads as -180), so the matrix itself
            # is read when the frame carries one.
            matrix = _display_matrix(first)
            if matrix is not None:
                rotation_cw, container_mirrored = display_orientation(matrix)
            else:
                rotation_cw, container_mirrored = -float(first.rotation or 0), False
            self._mirrored, mirrored_by = mirror_decision(mirrored, container_mirrored)
            # the frames yielded are the camera's view: a mirror the container asks for and the
            # mirror the video is said to have cancel out
            self._flip = self._mirrored != container_mirrored
            quarter_turns = round(rotation_cw / 90.0)
            rotation_deg = int(quarter_turns * 90) % 360
            if abs(rotation_cw - 90 * quarter_turns) > 1:
                warnings.append(
                    f"the video asks for a {rotation_cw:g}° rotation; it was rounded to "
                    f"{rotation_deg}°."
                )
            self._rotation_deg = rotation_deg
            w, h = first.width, first.height
            self._square: tuple[int, int] | None = None
            sar = stream.sample_aspect_ratio
            if sar is not None and sar.numerator > 0 and sar != 1:
                # a pixel stored sar wide per 1 high: the frames are resampled to square pixels
                # (the smaller dimension enlarged, so no detail is lost), or horizontal and
                # vertical millimetres would differ by the aspect (the iris sets the scale across)
                w, h = (round(w * sar), h) if sar > 1 else (w, round(h / sar))
                self._square = (int(w), int(h))
                warnings.append(
                    f"the video has non-square pixels (aspect {sar.numerator}:{sar.denominator}); its frames were "
                    f"resampled to square pixels ({w}x{h}) before measuring."
                )
            if rotation_deg in (90, 270):
                w, h = h, w
            info = VideoInfo(
                path=path,
                fps=float(nominal),
                frames=frames,
                duration_s=duration_s,
                width=int(w),
                height=int(h),
                rotation_deg=rotation_deg,
                codec=stream.codec_context.name,
                is_image_sequence=False,
                mirrored=self._mirrored,
                mirrored_by=mirrored_by,
            )
        finally:
            container.close()
        super().__init__(info, warnings)

    def _frames(self) -> Iterator[Frame]:
        path = self._path
        container = _open_container(path)
        try:
            stream = container.streams[self._stream_index]
            # Slice + frame threads: decoding must stay well ahead of the landmark model.
            stream.thread_type = "AUTO" if self._threaded else "NONE"
            tb = stream.time_base
            fps = self._fallback_fps
            rot = self._rotation_deg
            stats = _DecodeStats()
            first_pts: int | None = None
            last_t_s = -math.inf
            n_out = 0
            n_decoded = 0
            n_no_pts = 0
            dropped: list[tuple[int, float]] = []  # (decoded index, t_s) of repeated timestamps

            for frame in _decode(container, stream, stats):
                i = n_decoded
                n_decoded += 1
                pts = frame.pts
                if self._has_pts and pts is not None:
                    if first_pts is None:
                        first_pts = pts
                    t_s = float((pts - first_pts) * (frame.time_base or tb))
                elif self._has_pts:
                    # A frame without pts inside a timed stream: one nominal interval on.
                    n_no_pts += 1
                    t_s = (last_t_s if n_out else 0.0) + (1.0 / fps if n_out else 0.0)
                else:
                    t_s = i / fps
                if t_s <= last_t_s:
                    dropped.append((i, t_s))
                    continue
                last_t_s = t_s
                if self._square is None:
                    rgb = rotate_upright(frame.to_ndarray(format="rgb24"), rot)
                else:
                    rgb = rotate_upright(frame.to_ndarray(format="rgb24", width=self._square[0], height=self._square[1]), rot)
                yield Frame(n_out, t_s, _flip_lr(rgb) if self._flip else rgb)
                n_out += 1
        finally:
            container.close()

        if n_out == 0:
            raise BadInputError(
                f"No frame of '{path}' could be decoded ({stats.describe()}).",
                "The file is damaged; re-export or copy it again from the camera.",
            )
        if n_no_pts:
            self.warnings.append(
                f"{n_no_pts} frame(s) had no timestamp; each was placed one frame interval "
                f"(1/{fps:g} s) after the previous frame."
            )
        if dropped:
            i0, t0 = dropped[0]
            self.warnings.append(
                f"dropped {len(dropped)} frame(s) whose timestamp repeated or preceded an earlier "
                f"frame's (the first at decoded frame {i0}, t = {t0:.3f} s); times stay strictly "
                "increasing."
            )
        self._report_shortfall(n_decoded, last_t_s, stats)

    def _report_shortfall(self, n_decoded: int, last_t_s: float, stats: "_DecodeStats") -> None:
        """Warn when fewer frames came out than the container announced (truncated file)."""
        info = self.info
        expected = self._expected_frames
        if expected > 0:
            # MP4/MOV/AVI count their frames; an edit list may hide a few, a cut-off file more.
            short = n_decoded < expected - max(3, round(0.02 * expected))
            why = "the container announces more frames than it holds"
        elif info.duration_s > 0:
            # No frame count (mkv, webm): compare the time covered with the announced duration,
            # leaving room for an audio track that outlasts the video a little.
            expected = info.frames
            short = last_t_s + 1.0 / info.fps < 0.9 * info.duration_s - 0.1
            why = "the frames end before the announced duration"
        else:
            short = stats.ended_early
            why = ""
        if short:
            about = f" of ~{expected}" if expected else ""
            of_s = f" of {info.duration_s:.1f} s" if info.duration_s else ""
            self.warnings.append(
                f"decoding stopped at frame {n_decoded}{about}: the file looks truncated or "
                f"damaged ({stats.describe(why)}); results cover the first "
                f"{max(last_t_s, 0.0):.1f} s{of_s}."
            )
        elif stats.bad_packets or stats.demux_error:
            self.warnings.append(
                f"some of the file could not be read ({stats.describe()}); a few frames may be "
                "missing or show artefacts."
            )


class _DecodeStats:
    """What went wrong while demuxing/decoding, for warnings and error messages."""

    def __init__(self) -> None:
        self.bad_packets = 0
        self.demux_error: str | None = None
        self.last_error: str | None = None
        self.gave_up = False
        self.bad_at_end = False  # the last packets before EOF were damaged: a cut-off tail

    @property
    def ended_early(self) -> bool:
        return self.demux_error is not None or self.gave_up or self.bad_at_end

    def describe(self, default: str = "no decoding error was reported") -> str:
        parts = []
        if self.demux_error:
            parts.append(f"reading stopped: {self.demux_error}")
        if self.bad_packets:
            parts.append(f"{self.bad_packets} damaged packet(s): {self.last_error}")
        return "; ".join(parts) or default


def _decode(container, stream, stats: _DecodeStats) -> Iterator[av.VideoFrame]:
    """Decode ``stream``, skipping damaged packets instead of aborting on the first one.

    A truncated file typically ends with a partial packet the decoder rejects; frames still
    buffered in the (threaded) decoder are then recovered by flushing it.
    """
    packets = container.demux(stream)
    consecutive_bad = 0
    flushed = False
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.error.FFmpegError as exc:
            stats.demux_error = _short(exc)
            break
        if packet.size == 0:
            flushed = True  # PyAV's final empty packet drains the decoder
        try:
            frames = stream.decode(packet)
        except av.error.FFmpegError as exc:
            stats.bad_packets += 1
            stats.last_error = _short(exc)
            consecutive_bad += 1
            if consecutive_bad >= _MAX_CONSECUTIVE_BAD_PACKETS:
                stats.gave_up = True
                break
            continue
        if packet.size:
            consecutive_bad = 0
        yield from frames
    stats.bad_at_end = consecutive_bad > 0
    if not flushed:
        try:
            yield from stream.decode(None)
        except av.error.FFmpegError:
            pass


def _short(exc: BaseException) -> str:
    """FFmpeg's message without the errno prefix and the path."""
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).strip()


def _rate(r: Fraction | None) -> float:
    try:
        return float(r) if r is not None and r > 0 else 0.0
    except (TypeError, ZeroDivisionError):
        return 0.0


def _open_container(path: str):
    """``av.open`` with every failure turned into a :class:`BadInputError`."""
    try:
        # metadata_errors: some cameras write non-UTF-8 tags; they must not stop decoding.
        return av.open(path, metadata_errors="replace")
    except FileNotFoundError:
        raise BadInputError(f"No file found at '{path}'.", "Check the path.") from None
    except PermissionError:
        raise BadInputError(
            f"'{path}' cannot be read: permission denied.",
            "Copy the file somewhere readable or fix its permissions.",
        ) from None
    except (av.error.FFmpegError, OSError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: str, exc: BaseException) -> BadInputError:
    """Explain why FFmpeg could not open ``path``: empty, cut-off MP4/MOV, or not a video."""
    size = os.path.getsize(path) if os.path.exists(path) else -1
    if size == 0:
        return BadInputError(
            f"'{path}' is empty (0 bytes).",
            "Copy or export the video again; the copy may have been interrupted.",
        )
    if _mp4_without_index(path):
        return BadInputError(
            f"'{path}' is an incomplete MP4/MOV: it looks truncated (the index that locates the "
            "frames, the 'moov' atom, is missing), so no frame can be read.",
            "Copy the file again in full, or re-export it from the camera or app; a recording "
            "that was cut off before it was stopped needs a repair tool such as untrunc.",
        )
    return BadInputError(
        f"'{path}' is not a video that FFmpeg can read ({_short(exc)}).",
        "Pass a video file (.mp4 .mov .avi .webm .mkv) or a folder of images; if it should be a "
        "video, it may be damaged or only partly downloaded: copy or export it again.",
    )


def _mp4_without_index(path: str) -> bool:
    """True for an ISO-BMFF file (MP4/MOV) whose top-level boxes include no 'moov'.

    Walks the box headers only (a few reads), so it is cheap even for large files.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            pos, seen = 0, []
            while pos + 8 <= size and len(seen) < 1000:
                f.seek(pos)
                head = f.read(16)
                box_size = int.from_bytes(head[:4], "big")
                kind = head[4:8]
                if not re.fullmatch(rb"[a-zA-Z0-9 ]{4}", kind):
                    break
                seen.append(kind)
                if box_size == 1 and len(head) >= 16:
                    box_size = int.from_bytes(head[8:16], "big")
                elif box_size == 0:
                    box_size = size - pos
                if box_size < 8:
                    break
                pos += box_size
    except OSError:
        return False
    return bool(seen) and seen[0] in (b"ftyp", b"mdat", b"wide", b"free") and b"moov" not in seen


def _pick_video_stream(container, path: str):
    """The main video stream, skipping cover art (attached pictures)."""
    attached = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not (s.disposition & attached)]
    if not videos:
        kinds = sorted({s.type for s in container.streams})
        has_art = bool(container.streams.video)
        what = "only a still cover picture" if has_art else (
            f"only {', '.join(kinds)} streams" if kinds else "no streams at all"
        )
        raise BadInputError(
            f"'{path}' has no video stream ({what}).",
            "Pass the video recording itself, not an audio file or an export without picture.",
        )
    best = container.streams.best("video")
    return best if best in videos else videos[0]


def _display_matrix(frame) -> np.ndarray | None:
    """The frame's display matrix (9 int32), or ``None`` when it carries none."""
    for sd in frame.side_data:
        if getattr(sd.type, "name", "") == "DISPLAYMATRIX" and len(bytes(sd)) >= 36:
            return np.frombuffer(bytes(sd)[:36], dtype=np.int32)
    return None


def _first_frame(container, stream, path: str) -> av.VideoFrame:
    """Decode the first frame (for rotation and to fail early), or raise BadInputError."""
    stats = _DecodeStats()
    for frame in _decode(container, stream, stats):
        try:
            frame.to_ndarray(format="rgb24")
        except (ValueError, av.error.FFmpegError) as exc:
            raise BadInputError(
                f"The frames of '{path}' (pixel format {frame.format.name}) cannot be converted "
                f"to RGB ({_short(exc)}).",
                "Re-encode the video to H.264 (yuv420p), e.g. by exporting it again.",
            ) from None
        return frame
    raise BadInputError(
        f"No frame of '{path}' could be decoded ({stats.describe()}).",
        "The file is damaged, truncated or empty; re-export or copy it again from the camera.",
    )


# --------------------------------------------------------------------------- image sequences


def _natural_key(path: Path) -> list:
    """Sort key that orders ``frame2`` before ``frame10`` (case-insensitive)."""
    return [int(tok) if tok.isdigit() else tok.casefold() for tok in re.split(r"(\d+)", str(path))]


def _is_image(p: Path) -> bool:
    # Hidden files include macOS '._name.png' resource forks, which are not images.
    return p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()


def _images_in_folder(folder: Path) -> list[Path]:
    images = sorted((p for p in folder.iterdir() if _is_image(p)), key=_natural_key)
    if images:
        return images
    videos = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    hint = (
        f"It holds video file(s) ({', '.join(videos[:3])}): pass the file itself."
        if videos
        else "Pass a video file, or a folder of frames named in order (frame_0001.png, ...)."
    )
    raise BadInputError(
        f"The folder '{folder}' contains no images (looked for {' '.join(IMAGE_SUFFIXES)}).", hint
    )


def _images_matching(pattern: str) -> list[Path]:
    matches = [Path(m) for m in glob.glob(pattern, recursive=True)]
    images = sorted((p for p in matches if _is_image(p)), key=_natural_key)
    if images:
        return images
    what = (
        f"The pattern '{pattern}' matches {len(matches)} file(s) but no images "
        f"({' '.join(IMAGE_SUFFIXES)})."
        if matches
        else f"No file matches '{pattern}'."
    )
    raise BadInputError(
        what, "Check the pattern (quote it so the shell does not expand it), or pass a folder."
    )


def _read_image(path: Path, index: int) -> np.ndarray:
    """One image of a sequence (``index`` from 0; the message counts from 1, as people do)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)  # also applies JPEG EXIF orientation
    if bgr is None:
        raise BadInputError(
            f"Image {index + 1} of the sequence, '{path}', cannot be read as an image.",
            "Replace or remove that file (it may be damaged or not an image).",
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class _ImageSequenceSource(VideoSource):
    """Numbered still images, timed ``index / fps``."""

    def __init__(self, path: str, images: list[Path], fps: float | None, mirrored: bool | None = None) -> None:
        warnings = []
        self._mirrored, mirrored_by = mirror_decision(mirrored, False)
        if fps is None:
            fps = DEFAULT_SEQUENCE_FPS
            if len(images) > 1:
                warnings.append(
                    f"no frame rate given for the image sequence; assuming {fps:g} fps "
                    "(pass fps=... / --fps with the capture rate, or times will be wrong)."
                )
        self._images = images
        self._fps = fps
        first = _read_image(images[0], 0)
        h, w = first.shape[:2]
        info = VideoInfo(
            path=path,
            fps=fps,
            frames=len(images),
            duration_s=len(images) / fps,
            width=w,
            height=h,
            rotation_deg=0,
            codec=images[0].suffix.lower().lstrip("."),
            is_image_sequence=True,
            mirrored=self._mirrored,
            mirrored_by=mirrored_by,
        )
        super().__init__(info, warnings)

    def _frames(self) -> Iterator[Frame]:
        size = (self.info.height, self.info.width)
        for i, p in enumerate(self._images):
            rgb = _read_image(p, i)
            if rgb.shape[:2] != size:
                raise BadInputError(
                    f"Image {i + 1} of the sequence, '{p}', is {rgb.shape[1]}x{rgb.shape[0]} px but "
                    f"the first is {size[1]}x{size[0]} px.",
                    "All frames of a sequence must have the same size; remove or resize the odd "
                    "ones.",
                )
            yield Frame(i, i / self._fps, _flip_lr(rgb) if self._mirrored else rgb)
