"""Input: video files and image sequences as upright RGB frames with container timestamps."""

from smilescope.io.video import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    Frame,
    VideoInfo,
    VideoSource,
    open_video,
    rotate_upright,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Frame",
    "VideoInfo",
    "VideoSource",
    "open_video",
    "rotate_upright",
]
