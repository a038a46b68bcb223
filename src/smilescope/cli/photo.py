"""``smilescope photo``: one photo or a clinical set -> photo.json and an annotated picture of each."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from smilescope import photo as photo_set  # a plain function: it loads MediaPipe and OpenCV only when called
from smilescope.cli.console import err, exit_on_bad_input, interrupt_at_safe_points, out, safe
from smilescope.errors import BadInputError
from smilescope.output import check_out_dir, save_run
from smilescope.measures.photo import EFACE_ITEM_NAMES, EXPRESSIONS


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
        before = previous_photos(target)
        where = check_out_dir(target, kind="photo")  # refused before the work, not after; absolute
        # Ctrl-C and kill wait for a safe point while MediaPipe loads and each photo is read (one
        # raised inside an import was swallowed: the command went on, wrote its files and exited 0)
        with interrupt_at_safe_points() as check:
            done = photo_set(images, expressions=expression, mirrored=mirrored, progress=check)
        from smilescope.report.annotate import photo_files  # OpenCV drawing, loaded by the analysis already

        save_run(target, photo_files(done))
        results = done.photos
    for r, entry in zip(results, done.document["photos"]):
        s = r.static
        below = s["mouth_corner_below_eyes_mm"]
        diff = s["mouth_corner_difference_mm"]
        lower = "the right is" if diff > 0 else "the left is"
        out.print(f"[bold]{safe(Path(r.photo.path).name)}[/] ({r.expression}): mouth corners {below['right']:.1f} mm (right) and "
                  f"{below['left']:.1f} mm (left) below the eye line; "
                  + (f"{lower} {abs(diff):.1f} mm lower" if abs(diff) >= 0.05 else "level")
                  + f" (sides are the person's own). Scale: {r.scale.source}" + ("" if r.scale.accurate else " (less accurate)") + ".",
                  highlight=False)
        sure = f", {r.side.confidence} confidence" if r.side.side in ("left", "right") else ""
        out.print(f"  side that looks affected: {r.side.side}{sure}: {safe(r.side.why)}", highlight=False)
        if "dynamic" in entry:
            out.print(f"  {safe(movement_line(entry['dynamic'], r.expression))}", highlight=False)
        for w in r.warnings:
            err.print(f"  warning: {safe(w)}", highlight=False)
    now = [os.path.abspath(r.photo.path) for r in results]
    if before is not None and sorted(before) != sorted(now):
        # a default --out is named after the first photo: rest.jpg of another folder (or person) lands there too
        err.print(f"note: {safe(where)} held the analysis of {safe(', '.join(Path(b).name for b in before))}; it was "
                  "replaced by this one's (give --out to keep both).", highlight=False)
    out.print(f"wrote {safe(where / 'photo.json')} and the annotated pictures. These are measurements, not a diagnosis.",
              highlight=False)
    if any(r.side.side in ("left", "right") for r in results):
        out.print(STROKE_WARNING, highlight=False)


STROKE_WARNING = ("If the weakness came on suddenly (within hours or days), call emergency services now: it can be a "
                  "stroke. Otherwise see a doctor about a face that looks affected on one side.")


def previous_photos(folder: Path) -> list[str] | None:
    """The photos whose analysis ``folder`` holds now (its photo.json), if readable."""
    try:
        doc = json.loads((Path(folder).expanduser() / "photo.json").read_text(encoding="utf-8"))
        return [os.path.abspath(p["path"]) for p in doc["photos"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def movement_line(dyn: dict, expression: str) -> str:
    """An expression photo's movement from the rest photo, in one line (photo.json's ``dynamic``)."""
    def pair(d: dict, fmt) -> str:
        return ", ".join(f"{side} {fmt(d.get(side))}" for side in ("right", "left"))

    mm = lambda v: "not given" if v is None else f"{v:.1f} mm"  # noqa: E731
    pct = lambda v: "not given" if v is None else f"{100 * v:.0f} %"  # noqa: E731
    brow = lambda v: "not given" if v is None else f"rose {v:.1f} mm" if v >= 0 else f"lowered {-v:.1f} mm"  # noqa: E731
    parts = [f"from the rest photo: mouth corners moved {pair(dyn.get('excursion_mm') or {}, mm)}",
             f"brows: {pair(dyn.get('brow_lift_mm') or {}, brow)}"]
    if expression == "eye_closure":
        parts.append(f"eyes closed {pair(dyn.get('eye_closure') or {}, pct)} of their opening")
    item = dyn.get("eface_style_item")
    if item is not None:
        what = EFACE_ITEM_NAMES.get(expression)
        parts.append(f"eFACE-style item{' for the ' + what if what else ''} {item:.0f} of 100 "
                     f"({dyn.get('eface_style_label', 'not clinically validated')})")
    elif dyn.get("eface_style_not_given"):
        parts.append(f"no eFACE-style item: {dyn['eface_style_not_given']}")
    line = "; ".join(parts) + "."
    if dyn.get("not_judged"):
        line += f" Not given: {dyn['not_judged']}."
    return line
