"""Reading photos: EXIF orientation, greyscale, huge images without huge memory, bad files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from smilescope.errors import BadInputError
from smilescope.io.photo import MAX_SIDE_PX, read_photo

from conftest import FACES, ROOT


def test_exif_orientation_is_honoured(tmp_path):
    src = Image.open(FACES / "yale01.jpg").convert("RGB")
    # stored turned a quarter (as a phone held sideways saves it) with the tag that says so
    turned = src.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    turned.save(tmp_path / "turned.jpg", exif=exif, quality=95)
    p = read_photo(tmp_path / "turned.jpg")
    assert p.exif_orientation == 6 and p.rgb.shape[:2] == (src.height, src.width)
    diff = np.abs(p.rgb.astype(int) - np.asarray(src, dtype=int)).mean()
    assert diff < 6  # the same picture, upright (JPEG noise only)


def test_greyscale_and_palette_become_rgb(tmp_path):
    Image.open(FACES / "yale01.jpg").convert("L").save(tmp_path / "g.png")
    Image.open(FACES / "yale01.jpg").convert("P").save(tmp_path / "p.png")
    for name in ("g.png", "p.png"):
        p = read_photo(tmp_path / name)
        assert p.rgb.ndim == 3 and p.rgb.shape[2] == 3 and p.rgb.dtype == np.uint8


def test_huge_photo_is_read_small_without_gigabytes(tmp_path):
    """An 8000 x 8000 JPEG (192 MB as RGB) is decoded at a reduced scale: the process stays far
    below that, and the picture comes out at most MAX_SIDE_PX wide."""
    big = tmp_path / "big.jpg"
    Image.new("RGB", (8000, 8000), (120, 90, 80)).save(big, quality=80)
    probe = (f"import resource, sys; sys.path.insert(0, {str(ROOT / 'src')!r})\n"
             "from smilescope.io.photo import read_photo\n"
             "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
             f"p = read_photo({str(big)!r})\n"
             "print(p.rgb.shape[0], p.rgb.shape[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - base)")
    h, w, grew_mb = map(int, subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split())
    assert max(h, w) <= MAX_SIDE_PX
    # the full-size picture alone would take 192 MB; decoding at half scale takes a quarter of it
    assert grew_mb < 192, f"reading grew the process by {grew_mb} MB"


@pytest.mark.parametrize("content, said", [(b"not an image", "could not be read"), (b"", "could not be read")])
def test_not_an_image(tmp_path, content, said):
    f = tmp_path / "x.jpg"
    f.write_bytes(content)
    with pytest.raises(BadInputError, match=said):
        read_photo(f)


def test_missing_and_folder(tmp_path):
    with pytest.raises(BadInputError, match="No photo found"):
        read_photo(tmp_path / "nope.jpg")
    with pytest.raises(BadInputError, match="is a folder"):
        read_photo(tmp_path)


def test_a_named_pipe_is_refused_at_once(tmp_path):
    import os

    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    with pytest.raises(BadInputError, match="not a regular file"):
        read_photo(fifo)


def test_an_animation_says_its_first_picture_is_read_and_a_bomb_is_refused_without_a_raw_warning(tmp_path, monkeypatch):
    """An animated GIF was read as its first frame without a word; a picture just over the pixel
    limit printed Pillow's raw DecompressionBombWarning and was decoded in full (1.8 GB)."""
    import warnings

    from smilescope.io import photo as io_photo

    face = Image.open(FACES / "yale01.jpg").convert("RGB")
    face.save(tmp_path / "anim.gif", save_all=True, append_images=[face.transpose(Image.Transpose.FLIP_LEFT_RIGHT), face.rotate(5)])
    assert read_photo(tmp_path / "anim.gif").frames == 3 and read_photo(FACES / "yale01.jpg").frames == 1
    from smilescope.pipeline.photo import analyze_photo

    assert any("holds 3 pictures" in w for w in analyze_photo(tmp_path / "anim.gif").warnings)

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", face.width * face.height - 1)  # this photo is now "just over"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning reaching the user fails the test
        with pytest.raises(BadInputError, match="too large to be a photo"):
            io_photo.read_photo(FACES / "yale01.jpg")
