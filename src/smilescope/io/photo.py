"""Read a face photo: upright (EXIF orientation honoured), RGB, at most ``max_side_px`` on its
longer side, without ever holding a huge image at full size.

JPEGs are decoded at a reduced scale straight away (libjpeg's DCT scaling, ``Image.draft``), so
an 8000 x 8000 photo never becomes 192 MB of pixels; other formats are decoded once and shrunk.
FaceMesh works on a 192-pixel face crop, so ~2400 px is far more than the landmarks need, while
the iris (the millimetre scale) keeps 30+ px on any face that fills a fifth of the picture.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from smilescope.errors import BadInputError

MAX_SIDE_PX = 2400
# Refuse absurd pixel counts before decoding (a decompression bomb): 400 MP is beyond any camera.
Image.MAX_IMAGE_PIXELS = 400_000_000


@dataclass(frozen=True)
class Photo:
    """One upright RGB photo (H, W, 3, uint8) and how it was read."""

    path: str
    rgb: np.ndarray
    original_size_px: tuple[int, int]  # (width, height) as stored, before orientation and shrinking
    scale: float  # shown pixels per original pixel (1 = full size)
    exif_orientation: int  # the EXIF orientation tag that was applied (1 = none)
    frames: int = 1  # pictures in the file (an animated GIF or WebP: its first is read)


def read_photo(path: str | Path, *, max_side_px: int = MAX_SIDE_PX) -> Photo:
    """Read ``path`` as an upright RGB photo (see the module docstring).

    Raises
    ------
    BadInputError
        Missing, unreadable, not an image, or absurdly large.
    """
    p = Path(path)
    if not p.exists():
        raise BadInputError(f"No photo found at '{p}'.", "Check the spelling and the current directory.")
    if p.is_dir():
        raise BadInputError(f"'{p}' is a folder, not a photo.", "Give the photo files themselves (JPEG, PNG, ...).")
    if not p.is_file():  # a named pipe would wait for a writer for ever; a device never ends
        raise BadInputError(f"'{p}' is not a regular file (a pipe or a device), so it cannot be read as a photo.",
                            "Save the photo to a file and give that file.")
    try:
        with warnings.catch_warnings(), Image.open(p) as img:
            # past MAX_IMAGE_PIXELS Pillow only warns (up to twice it): refused here, as beyond
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            frames = int(getattr(img, "n_frames", 1) or 1)
            size = img.size
            orientation = int(img.getexif().get(0x0112, 1) or 1)
            if img.format == "JPEG":
                img.draft("RGB", (max_side_px, max_side_px))  # decode at 1/2, 1/4 or 1/8 scale when large
            img.load()
            if max(img.size) > max_side_px:  # shrink first, so every later copy is small
                img.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
            upright = _eight_bit(ImageOps.exif_transpose(img))
            rgb = upright.convert("RGB")  # greyscale, palette, CMYK and alpha all become RGB
            arr = np.asarray(rgb, dtype=np.uint8).copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadInputError(f"'{p}' is too large to be a photo ({e}).", "Use a camera photo of normal size.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise BadInputError(f"'{p}' could not be read as an image ({type(e).__name__}: {e}).",
                            "Give a JPEG, PNG, WebP or TIFF photo of the face.") from None
    upright_w = size[1] if orientation in (5, 6, 7, 8) else size[0]
    return Photo(path=str(p), rgb=arr, original_size_px=size, scale=arr.shape[1] / upright_w,
                 exif_orientation=orientation, frames=frames)


def is_still_photo(path: str | Path) -> bool:
    """Whether ``path`` is a file holding one still picture (a JPEG, PNG, ... or a one-frame GIF),
    read from its header only; False for videos, animations, folders and anything unreadable."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with Image.open(p) as img:
            return int(getattr(img, "n_frames", 1) or 1) == 1
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False


def _eight_bit(img: Image.Image) -> Image.Image:
    """A 16- or 32-bit greyscale picture (PNG, TIFF) as 8-bit grey: Pillow's own conversion to RGB
    clips every value above 255, which turns a 16-bit photo almost white."""
    if img.mode not in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return img
    a = np.asarray(img, dtype=np.float64)
    top = 65535.0 if img.mode.startswith("I;16") or (img.mode == "I" and a.max(initial=0) > 255) else 255.0
    if img.mode == "F" and a.max(initial=0) <= 1.0:
        top = 1.0  # a floating-point picture in 0-1
    return Image.fromarray(np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
