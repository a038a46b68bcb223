"""``smilescope photo``: one photo or a clinical set -> photo.json and an annotated picture of each."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from smilescope.cli.console import err, exit_on_bad_input, out, safe
from smilescope.output import check_out_dir, dumps, save_run
from smilescope.errors import BadInputError
from smilescope.measures.photo import EXPRESSIONS, FacePoints


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
    from smilescope.pipeline.photo import analyze_photos  # noqa: PLC0415 - MediaPipe and OpenCV: only when a photo is analysed
    from smilescope.report.annotate import annotated_png  # noqa: PLC0415 - OpenCV drawing: only when a photo is analysed

    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        for p in images:  # "-e rest smile": the second expression was taken for a photo's name
            if p.name in EXPRESSIONS and not p.exists():
                raise BadInputError(f"'{p.name}' is an expression, not a photo.",
                                    f"Give -e before each expression, one per photo in order: -e rest -e {p.name}.")
        target = out_dir if out_dir is not None else Path("out") / (images[0].stem.lstrip(".") or "photo")
        check_out_dir(target, kind="photo")
        doc, results = analyze_photos(images, expressions=expression, mirrored=mirrored)
        files = {"photo.json": dumps(doc) + "\n"}
        for i, r in enumerate(results):
            name = f"{i + 1:02d}_{short_stem(Path(r.photo.path).stem)}_annotated.png"
            files[name] = annotated_png(r.photo.rgb, r.points or FacePoints.from_facemesh(r.landmarks_px), r.static, side_caption(r.side),
                                         corners=r.corners, folds=r.folds)
            doc["photos"][i]["annotated"] = name
        files["photo.json"] = dumps(doc) + "\n"
        where = save_run(target, files)
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


NAME_BYTES = 200  # of a file name's 255 bytes (most file systems), leaving room for "NN_" and "_annotated.png"


def short_stem(stem: str) -> str:
    """``stem`` cut to :data:`NAME_BYTES` bytes (whole characters), so the annotated picture's name
    fits the file system however long the photo's name is."""
    raw = stem.encode("utf-8", "surrogateescape")
    if len(raw) <= NAME_BYTES:
        return stem
    return raw[:NAME_BYTES].decode("utf-8", "ignore")  # a character cut in two is dropped


def side_caption(side) -> str:
    """The annotated picture's words for the side call: "none" (the sides were compared and came
    out even) and "unknown" (they were not compared) are not the same finding."""
    if side.side in ("left", "right"):
        return f"looks affected: {side.side} ({side.confidence})"
    return "sides even: no side named" if side.side == "none" else "side not judged (see photo.json)"
