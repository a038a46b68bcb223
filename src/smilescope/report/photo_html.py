"""The report of a photo analysis (``photo.json`` and the annotated pictures beside it): the same
look as the video report (the shared stylesheet), the annotated pictures inside, every measure
per side with its unit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from smilescope.errors import BadInputError
from smilescope.measures.photo import EFACE_ITEM_NAMES, PHOTO_SOURCES
from smilescope.report.html import EMERGENCY, png_data_uri

NOT_DIAGNOSIS = ("smilescope measures the face in photos; this report is not a diagnosis and does not replace a "
                 "doctor. The side that looks affected is read from the photo's geometry only, and the eFACE-style "
                 "items are not clinically validated.")
HINT = "Give the photo.json that `smilescope photo` wrote (the annotated pictures beside it)."

_STATIC = (("mouth_corner_below_eyes_mm", "Mouth corner below the eye line", "mm"),
           ("brow_above_eyes_mm", "Brow above the eye line", "mm"),
           ("palpebral_fissure_height_mm", "Eye opening (height)", "mm"),
           ("palpebral_fissure_width_mm", "Eye opening (width)", "mm"),
           ("smile_angle_deg", "Mouth corner angle from the lower lip", "°"))


def _num(v, unit: str, signed: bool = False) -> str:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:
        return "—"
    v = round(v, 1) + 0.0  # + 0.0: no "-0.0"
    return f"{v:+.1f} {unit}" if signed and v != 0 else f"{v:.1f} {unit}"


def _diff(r, l):
    """Right - left of the values as shown (rounded to 0.1 first: 58.1 and 57.2 differ by 0.9)."""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in (r, l)):
        return None
    return round(r, 1) - round(l, 1)


def _rows(static: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    for key, label, unit in _STATIC:
        d = static.get(key)
        if not isinstance(d, dict):
            continue
        r, l = d.get("right"), d.get("left")
        rows.append((label, _num(r, unit), _num(l, unit), _num(_diff(r, l), unit, signed=True)))
    # the nasolabial fold: a flattened fold on one side is a sign of facial palsy
    contrast, visible = static.get("nasolabial_fold_contrast"), static.get("nasolabial_fold_visible_mm")
    if isinstance(contrast, dict):
        pct = {s: v * 100 if isinstance(v, (int, float)) and not isinstance(v, bool) else None for s, v in contrast.items()}
        # a difference of two percentages is in percentage points
        rows.append(("Nasolabial fold, darker than the cheek", _num(pct.get("right"), "%"), _num(pct.get("left"), "%"),
                     _num(_diff(pct.get("right"), pct.get("left")), "points", signed=True)))
    if isinstance(visible, dict):
        r, l = visible.get("right"), visible.get("left")
        seen = static.get("nasolabial_fold_visible") or {}
        faint = {s: " (faint)" if seen.get(s) is False and _num(v, "mm") != "—" else "" for s, v in (("right", r), ("left", l))}
        rows.append(("Nasolabial fold, visible length", _num(r, "mm") + faint["right"], _num(l, "mm") + faint["left"],
                     _num(_diff(r, l), "mm", signed=True)))
    for key, label in (("philtrum_from_midline_mm", "Philtrum from the midline (+: towards the left)"),
                       ("mouth_centre_from_midline_mm", "Mouth centre from the midline (+: towards the left)")):
        rows.append((label, "", "", _num(static.get(key), "mm", signed=True)))
    return rows


def _fold_notes(folds) -> list[str]:
    """Why a side's nasolabial fold has no value (a "—" in the table), in the person's sides."""
    if not isinstance(folds, dict):
        return []
    notes = []
    for side in ("right", "left"):
        f = folds.get(side)
        if isinstance(f, dict) and f.get("contrast") is None and f.get("why"):
            why = str(f["why"])
            notes.append(f"{side.capitalize()} nasolabial fold not measured: {why}")
    return notes


def photo_report_html(doc: dict, folder: Path) -> str:
    """The HTML of the photo report for a ``photo.json`` document read from ``folder``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined  # noqa: PLC0415 - as report.html

    photos = doc.get("photos") if isinstance(doc, dict) else None
    if not isinstance(photos, list) or not photos or not all(isinstance(p, dict) for p in photos):
        raise BadInputError("This is not a smilescope photo analysis (no 'photos' list).", HINT)
    shown = []
    for p in photos:
        static = p.get("static")
        if not isinstance(static, dict):
            raise BadInputError(f"A photo entry has no 'static' measures: {str(p.get('path'))[:80]}.", HINT)
        image = None
        name = p.get("annotated")
        notes = _fold_notes(p.get("nasolabial_folds"))
        if isinstance(p.get("image"), dict) and p["image"].get("mirrored") is True:
            notes.insert(0, "The photo was given as a mirror image (--mirrored) and flipped back before measuring: "
                            "sides are the person's own.")
        if isinstance(name, str) and Path(name).name == name and (folder / name).is_file():
            try:
                image = png_data_uri((folder / name).read_bytes())
            except OSError as e:  # unreadable (permissions): the report goes on without the picture
                notes.append(f"The annotated picture {name} could not be read ({e.strerror or type(e).__name__}), so it is "
                             "not shown.")
        elif isinstance(name, str) and name:
            # photo.json copied without its pictures: say so, rather than a page silently without them
            notes.append(f"The annotated picture {Path(name).name} is not beside photo.json, so it is not shown (keep "
                         "the folder smilescope photo wrote together).")
        scale = p.get("scale") or {}
        dyn = p.get("dynamic")
        dynamic = []
        if isinstance(dyn, dict):
            for key, label, unit in (("excursion_mm", "Mouth corner movement", "mm"), ("brow_lift_mm", "Brow lift", "mm")):
                d = dyn.get(key) or {}
                dynamic.append((label, _num(d.get("right"), unit), _num(d.get("left"), unit)))
            c = dyn.get("eye_closure") or {}
            dynamic.append(("Eye closure (share of the rest opening)", _num(100 * c["right"], "%") if isinstance(c.get("right"), (int, float)) else "—",
                            _num(100 * c["left"], "%") if isinstance(c.get("left"), (int, float)) else "—"))
        item = dyn.get("eface_style_item") if isinstance(dyn, dict) else None
        dyn_note = str(dyn["not_judged"]) if isinstance(dyn, dict) and dyn.get("not_judged") else None
        shown.append({
            "name": Path(str(p.get("path", "photo"))).name, "expression": str(p.get("expression", "rest")).replace("_", " "),
            "side": p.get("affected_side", "unknown"), "confidence": p.get("confidence", "none"), "why": p.get("why", ""),
            "image": image, "rows": _rows(static), "dynamic": dynamic,
            "eface": (f"eFACE-style item for the {EFACE_ITEM_NAMES.get(p.get('expression'), 'movement')}: {item:.0f} of 100 "
                      "(the smaller side's movement over the larger's; 100 = both sides move alike, whichever side looks "
                      "affected at rest); not clinically validated."
                      if isinstance(item, (int, float)) else
                      f"No eFACE-style item for this movement: {dyn['eface_style_not_given']}."
                      if isinstance(dyn, dict) and isinstance(dyn.get("eface_style_not_given"), str) else None),
            "scale": (f"{scale.get('source', '?')} ({scale.get('why', '')})"), "warnings": [str(w)[:1].upper() + str(w)[1:] for w in p.get("warnings", [])
                                                                           if str(w) != scale.get("why")],  # said with the scale
            "notes": notes,
            "dynamic_note": dyn_note[:1].upper() + dyn_note[1:] if dyn_note else None,
        })
    env = Environment(loader=PackageLoader("smilescope.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("photo_report.html.j2").render(
        photos=shown, made_at=datetime.now().strftime("%Y-%m-%d %H:%M"), emergency=EMERGENCY, not_diagnosis=NOT_DIAGNOSIS,
        sources=PHOTO_SOURCES)
