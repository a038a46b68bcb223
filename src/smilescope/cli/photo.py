"""``smilescope photo``: one photo or a clinical set -> photo.json and an annotated picture of each."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from smilescope import photo as photo_set  # a plain function: it loads MediaPipe and OpenCV only when called
from smilescope.cli.console import err, exit_on_bad_input, out, safe
from smilescope.errors import BadInputError
from smilescope.output import check_out_dir
from smilescope.measures.photo import EXPRESSIONS


def photo(
    images: list[Path] = typer.Argument(..., help="Photo files (JPEG, PNG, WebP, TIFF): a rest photo, and optionally the expression set."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", show_default="out/<first photo name>",
                                           help="Folder for photo.json and the annotated pictures (replaced as a whole)."),
    expression: Optional[list[str]] = typer.Option(None, "--expression", "-e",
                                                   help="What each photo shows: -e once per photo, in order (-e rest -e smile), or once for all: rest, brow_raise, eye_closure, smile, snarl, pucker (default rest)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The photos are mirror images (a selfie saved as seen): flipped back so sides stay the person's own."),
) -> None:
    """Facial-palsy measures from photos: mouth corners, brows and eyes per side, in mm, the side
    that looks affected and why, and a picture of what was measured. Not a diagnosis.

    \b
    Example:
      smilescope photo rest.jpg --out out/photos
    """
    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        for p in images:  # "-e rest smile": the second expression was taken for a photo's name
            if p.name in EXPRESSIONS and not p.exists():
                raise BadInputError(f"'{p.name}' is an expression, not a photo.",
                                    f"Give -e before each expression, one per photo in order: -e rest -e {p.name}.")
        target = out_dir if out_dir is not None else Path("out") / (images[0].stem.lstrip(".") or "photo")
        results = photo_set(images, expressions=expression, mirrored=mirrored, out=target).photos
        where = check_out_dir(target)  # the folder as written (the user's ~ expanded)
    for r in results:
        s = r.static
        below = s["mouth_corner_below_eyes_mm"]
        out.print(f"[bold]{safe(Path(r.photo.path).name)}[/] ({r.expression}): mouth corners {below['right']:.1f} mm (right) and "
                  f"{below['left']:.1f} mm (left) below the eye line; difference {s['mouth_corner_difference_mm']:+.1f} mm "
                  f"(+: right lower). Scale: {r.scale.source}" + ("" if r.scale.accurate else " (less accurate)") + ".",
                  highlight=False)
        out.print(f"  side that looks affected: {r.side.side} ({r.side.confidence}): {safe(r.side.why)}", highlight=False)
        for w in r.warnings:
            err.print(f"  warning: {safe(w)}", highlight=False)
    out.print(f"wrote {safe(where / 'photo.json')} and the annotated pictures. These are measurements, not a diagnosis.",
              highlight=False)
