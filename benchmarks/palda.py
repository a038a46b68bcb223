"""Photos against hand-placed landmarks, and palsy against healthy faces (Palda set).

Part 1 (issue 14): ``smilescope photo``'s commissure height difference (right minus left corner
below the eye line, mm) against the same measure from the hand-placed iBUG-68 landmarks (same
formula, same mm scale: :mod:`smilescope.measures.photo`), on peripheral/ and central/: median
|difference|, Bland-Altman bias and 95 % limits; the lower-corner side agreement where the hand
landmarks differ by >= 2 mm (goal >= 90 %); Healthy/: share with no side called (goal >= 85 %).
The hand points of peripheral/ and central/ were clicked on a 900x900 copy of each photo
(SOURCES.md): they are scaled by W/900, H/900. How exact the reference itself is: two photographs
appear twice in peripheral/ (other crop, other size), each copy annotated by hand separately
(:data:`SAME_PHOTO_TWICE`): the measure from the two annotations, and from smilescope's two
readings, is printed per pair; and the same agreement against Healthy/'s landmarks, which are
machine-made (one consistent fit, no hand).

Part 3: rest/smile photo pairs of healthy people (Yale faces: normal vs happy, 15 subjects;
face-api.js: neutral vs happy): each side's corner movement (mm), the eFACE-style smile item,
and how often a rest photo names a side (for healthy faces it should not).

Part 2 (older): does a single photo's mouth asymmetry separate facial palsy from healthy faces?

For every photo in ../shared/data/images/palda/{peripheral,central,Healthy}, FaceMesh
landmarks give a static mouth-asymmetry index in inter-ocular units: the height difference of
the two mouth corners plus the difference of their distances to the facial midline (the line
through the nasal bridge perpendicular to the iris line). The ROC AUC of palsy (peripheral +
central) against healthy is printed (Mann-Whitney U / n1 n2). The set holds single photos,
mostly expressive (smiles, eye closure); it has no rest/smile pairs for the healthy faces.

A blind look at the mouth corners (which is nearer the commissure, smilescope's or the hand's)
is kept in ``palda_corners_judged.json`` and counted in Part 1; ``--blind-crops DIR`` makes the
pictures for another look.

    .venv/bin/python benchmarks/palda.py [--blind-crops DIR]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from scipy.stats import mannwhitneyu, theilslopes

from smilescope.measures.smile_score import mouth_asymmetry
from smilescope.track.facemesh import MediaPipeFaceMesh

ROOT = Path(__file__).resolve().parents[1]
PALDA = ROOT.parent / "shared" / "data" / "images" / "palda"
# The same photograph twice (another crop and size; found by the shapes of their FaceMesh
# landmarks, then looked at side by side), each copy with its own hand-placed landmarks.
SAME_PHOTO_TWICE = (("peripheral", "image0092.jpg", "image0522.jpg"), ("peripheral", "image079.jpg", "image081.jpg"))


def scores(folder: Path, det) -> list[float]:
    out = []
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() not in (".jpg", ".png"):
            continue
        img = cv2.imread(str(f))
        if img is None:
            continue
        obs = det(np.ascontiguousarray(img[:, :, ::-1]))
        if obs is not None:
            out.append(mouth_asymmetry(obs.landmarks_px))
    return out


def hand_points(npy: Path, photo, folder: str) -> np.ndarray:
    pts = np.load(npy).astype(float)
    if folder in ("peripheral", "central"):
        w, h = photo.original_size_px
        pts = pts * [w / 900.0, h / 900.0]
    return pts * photo.scale


def analysed(folders: tuple[str, ...]):
    """Each photo of ``folders`` as ``smilescope photo`` reads it: (folder, path, its PhotoResult,
    or the BadInputError that refused it)."""
    from smilescope.errors import BadInputError
    from smilescope.pipeline.photo import analyze_photo

    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4) as det:
        for folder in folders:
            for f in sorted((PALDA / folder).glob("*.jpg")) + sorted((PALDA / folder).glob("*.png")):
                try:
                    yield folder, f, analyze_photo(f, expression="unknown", detector=det)
                except BadInputError as e:
                    yield folder, f, e


def photo_agreement() -> None:
    from smilescope.errors import BadInputError
    from smilescope.measures.photo import SIDE_MIN_MM, FacePoints, affected_side, static_measures

    rows, healthy_calls, skipped, machine = [], [], [], []
    for folder, f, r in analysed(("peripheral", "central", "Healthy")):
        npy = f.with_suffix(".npy")
        if isinstance(r, BadInputError):
            skipped.append(f"{folder}/{f.name}: {r}")
            continue
        if folder == "Healthy":
            healthy_calls.append(r.side.side)  # with or without landmarks
        if not npy.exists():
            continue
        hand_pts = FacePoints.from_ibug68(hand_points(npy, r.photo, folder))
        hand = static_measures(hand_pts, r.scale.mm_per_px)
        if folder == "Healthy":
            machine.append(r.static["mouth_corner_difference_mm"] - hand["mouth_corner_difference_mm"])
            continue
        # the same measure with the hand corners on smilescope's eye line: what the eye line adds
        eyes_only = static_measures(replace(r.points, mouth_corner=hand_pts.mouth_corner), r.scale.mm_per_px)
        rows.append((folder, f.name, r.static["mouth_corner_difference_mm"], hand["mouth_corner_difference_mm"],
                     r.side.side, affected_side(hand, expression="unknown").side,
                     eyes_only["mouth_corner_difference_mm"], sum(c.refined for c in r.corners.values())))
    ss = np.array([r[2] for r in rows])
    hd = np.array([r[3] for r in rows])
    d = ss - hd
    print(f"Part 1 - commissure height difference (right - left, mm), smilescope vs hand landmarks, "
          f"{len(rows)} palsy photos ({len(skipped)} photos not analysed):")
    rng = np.random.default_rng(0)
    ci = np.percentile([np.median(np.abs(d[rng.integers(0, len(d), len(d))])) for _ in range(2000)], [2.5, 97.5])
    print(f"  median |smilescope - hand| {np.median(np.abs(d)):.2f} mm (goal <= 1; bootstrap 95 % {ci[0]:.2f} to {ci[1]:.2f}); "
          f"Bland-Altman bias {d.mean():+.2f} mm, "
          f"95 % limits {d.mean() - 1.96 * d.std(ddof=1):+.2f} to {d.mean() + 1.96 * d.std(ddof=1):+.2f} mm")
    e = np.array([r[6] for r in rows]) - hd
    print(f"  of which the eye line (hand corners on smilescope's eye line): median |difference| {np.median(np.abs(e)):.2f} mm; "
          f"mouth corners re-found in the pixels: {sum(r[7] for r in rows)} of {2 * len(rows)}")
    clear = np.abs(hd) >= SIDE_MIN_MM
    same = np.sign(ss[clear]) == np.sign(hd[clear])
    print(f"  lower-corner side the same as the hand landmarks' where they differ by >= {SIDE_MIN_MM:g} mm: "
          f"{same.sum()}/{clear.sum()} = {same.mean():.1%} (goal >= 90 %)")
    called = [r for r in rows if r[4] in ("left", "right")]
    agree = sum(1 for r in called if r[4] == r[5])
    print(f"  sides smilescope named (>= {SIDE_MIN_MM:g} mm, facing the camera): {len(called)}; the hand landmarks name the "
          f"same side for {agree}, no side for {sum(1 for r in called if r[5] == 'none')}, the other side for "
          f"{sum(1 for r in called if r[5] in ('left', 'right') and r[5] != r[4])}")
    none = sum(1 for c in healthy_calls if c in ("none", "unknown"))
    unknown = sum(1 for c in healthy_calls if c == "unknown")
    print(f"  healthy controls with no side called: {none}/{len(healthy_calls)} = {none / max(1, len(healthy_calls)):.1%} "
          f"(goal >= 85 %); of these, {unknown} not judged (head turned) rather than measured even")
    unknown_palsy = sum(1 for r in rows if r[4] == "unknown")
    print(f"  palsy photos not judged (head turned): {unknown_palsy}/{len(rows)}")
    print("  how exact the reference is:")
    by_name = {(r[0], r[1]): r for r in rows}
    for folder, a, b in SAME_PHOTO_TWICE:
        if (folder, a) in by_name and (folder, b) in by_name:
            ra, rb = by_name[folder, a], by_name[folder, b]
            print(f"    {folder}/{a} and {b}, the same photograph annotated twice: hand {ra[3]:+.2f} and {rb[3]:+.2f} mm "
                  f"(apart {abs(ra[3] - rb[3]):.2f}); smilescope {ra[2]:+.2f} and {rb[2]:+.2f} mm (apart {abs(ra[2] - rb[2]):.2f})")
    if machine:
        m = np.array(machine)
        print(f"    against Healthy/'s machine-made landmarks ({len(m)} photos): median |smilescope - landmarks| "
              f"{np.median(np.abs(m)):.2f} mm, bias {m.mean():+.2f} mm")
    two_instruments(ss, hd)
    judged_by_eye()
    for s in skipped:
        print("  not analysed:", s)


def _grubbs(ss: np.ndarray, hd: np.ndarray) -> tuple[float, float]:
    """Each instrument's error variance (smilescope, hand) by Grubbs' two-instrument method."""
    d = ss - hd
    mad = 1.4826 * np.median(np.abs(d - np.median(d)))
    keep = np.abs(d - np.median(d)) <= 3.0 * mad  # gross errors (a corner clicked inside the mouth) would rule the variances
    c = np.cov(ss[keep], hd[keep])
    return float(c[0, 0] - c[0, 1]), float(c[1, 1] - c[0, 1])


def two_instruments(ss: np.ndarray, hd: np.ndarray) -> None:
    """How much of the disagreement is each side's: Grubbs' method (1948, "On estimating precision
    of measuring instruments and product variability", J Am Stat Assoc 43:243-264). Two
    instruments read the same faces: var(one) = var(face) + its error variance, and their
    covariance is var(face) alone, so the difference of the two is each instrument's own error
    variance. It holds where the errors are independent and both read on one scale (the Theil-Sen
    slopes each way are printed: near 1 where they do). A perfect instrument would then be a
    median 0.674 sigma(hand) from the hand (normal errors)."""
    var_s, var_h = _grubbs(ss, hd)
    rng = np.random.default_rng(0)
    boot = np.array([_grubbs(ss[i], hd[i]) for i in (rng.integers(0, len(ss), len(ss)) for _ in range(2000))])
    lo, hi = np.percentile(0.6745 * np.sqrt(np.clip(boot[:, 1], 0.0, None)), [2.5, 97.5])
    print(f"    two instruments on one set of faces (Grubbs 1948; gross differences beyond 3 MAD left out; Theil-Sen slope "
          f"smilescope on hand {theilslopes(ss, hd)[0]:.2f}, hand on smilescope {theilslopes(hd, ss)[0]:.2f}): error SD "
          f"smilescope {np.sqrt(max(var_s, 0.0)):.2f} mm, hand {np.sqrt(max(var_h, 0.0)):.2f} mm; a perfect instrument would be "
          f"a median {0.6745 * np.sqrt(max(var_h, 0.0)):.2f} mm from the hand (bootstrap 95 % {lo:.2f} to {hi:.2f})")


JUDGED = Path(__file__).with_name("palda_corners_judged.json")


def judged_by_eye() -> None:
    """Which of the two corners a blind look found closer to the commissure (:data:`JUDGED`)."""
    if not JUDGED.exists():
        return
    apart = [c for c in json.loads(JUDGED.read_text())["corners"] if c["height_apart_mm"] >= 1.0]
    count = [{k: sum(c["closer"][i] == k for c in apart) for k in ("hand", "smilescope", "same", "unclear")} for i in (0, 1)]
    both = {k: sum(c["closer"] == [k, k] for c in apart) for k in ("hand", "smilescope")}
    print(f"    a blind look ({JUDGED.name}: crosses of random colour, judges not told which was which) at the "
          f"{len(apart)} corners 1 mm or more apart in height, closer to the commissure: "
          + "; ".join(f"pass {i + 1} hand {c['hand']}, smilescope {c['smilescope']}, the same {c['same']}, unclear {c['unclear']}"
                      for i, c in enumerate(count))
          + f"; both passes name the hand's {both['hand']}, smilescope's {both['smilescope']}, "
          f"opposite sources {sum(set(c['closer']) == {'hand', 'smilescope'} for c in apart)}")


def blind_crops(out: Path) -> None:
    """The pictures for such a look: each palsy photo's mouth, enlarged, clean and with smilescope's
    and the hand's corners as crosses of random colour (the key, which is which, in key.json)."""
    from smilescope.errors import BadInputError
    from smilescope.measures.photo import FacePoints

    out.mkdir(parents=True, exist_ok=True)
    rng, key = np.random.default_rng(37), {}
    for folder, f, r in analysed(("peripheral", "central")):
        if isinstance(r, BadInputError) or not f.with_suffix(".npy").exists():
            continue
        hand = FacePoints.from_ibug68(hand_points(f.with_suffix(".npy"), r.photo, folder)).mouth_corner
        ours = r.points.mouth_corner
        width = float(np.linalg.norm(ours["left"] - ours["right"]))
        c = np.mean([*hand.values(), *ours.values()], axis=0)
        img = np.ascontiguousarray(r.photo.rgb[:, :, ::-1])
        x0, y0 = (max(0, int(v)) for v in c - [0.85 * width, 0.47 * width])
        crop = img[y0:int(c[1] + 0.47 * width), x0:int(c[0] + 0.85 * width)]
        zoom = 560.0 / crop.shape[1]
        big = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        marked, hand_is_a = big.copy(), bool(rng.integers(0, 2))
        for points, colour in zip((hand, ours) if hand_is_a else (ours, hand), ((0, 255, 255), (255, 0, 255))):
            for p in points.values():
                cv2.drawMarker(marked, tuple(int(v) for v in (p - [x0, y0]) * zoom), colour, cv2.MARKER_CROSS, 22, 1)
        name = f"P{len(key):02d}"
        cv2.imwrite(str(out / f"{name}.png"), np.hstack([big, np.full((big.shape[0], 10, 3), 255, np.uint8), marked]))
        key[name] = {"photo": f"{folder}/{f.name}", "yellow": "hand" if hand_is_a else "smilescope",
                     "height_apart_mm": {s: abs(float(ours[s][1] - hand[s][1])) * r.scale.mm_per_px for s in ours}}
    (out / "key.json").write_text(json.dumps(key, indent=1))
    print(f"{len(key)} pictures in {out}: yellow and magenta crosses, the left half clean; which is which in key.json")


def healthy_pairs() -> None:
    from smilescope.errors import BadInputError
    from smilescope.pipeline.photo import analyze_photos

    images = PALDA.parent
    pairs = [(images / "yalefaces" / f"subject{i:02d}.normal.gif", images / "yalefaces" / f"subject{i:02d}.happy.gif")
             for i in range(1, 16)]
    pairs.append((images / "faceapi_js" / "neutral.jpg", images / "faceapi_js" / "happy.jpg"))
    rows, sides, failed = [], [], []
    for rest, smile in pairs:
        if not (rest.exists() and smile.exists()):
            continue
        try:
            doc, _ = analyze_photos([rest, smile], expressions=["rest", "smile"])
        except BadInputError as e:
            failed.append(f"{rest.name}: {e}")
            continue
        sides.append(doc["photos"][0]["affected_side"])
        dyn = doc["photos"][1]["dynamic"]
        if dyn.get("not_judged"):
            failed.append(f"{rest.name}: movement not judged: {dyn['not_judged']}")
            continue
        exc = dyn["excursion_mm"]
        rows.append((exc["right"], exc["left"], dyn["eface_style_item"]))
    r = np.array([x[0] for x in rows]); left = np.array([x[1] for x in rows])
    items = np.array([x[2] for x in rows if x[2] is not None])
    print(f"Part 3 - healthy rest/smile pairs: {len(rows)} measured ({len(failed)} not analysed or not judged)")
    print(f"  corner movement median right {np.median(r):.1f} mm, left {np.median(left):.1f} mm; "
          f"|right - left| median {np.median(np.abs(r - left)):.1f} mm; eFACE-style smile item median {np.median(items):.0f}")
    none = sum(1 for s in sides if s in ("none", "unknown"))
    print(f"  rest photos with no side named: {none}/{len(sides)}")
    for f in failed:
        print("  not analysed:", f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blind-crops", type=Path, metavar="DIR", help="write the pictures for a blind look at the mouth corners, and stop")
    args = ap.parse_args()
    if args.blind_crops:
        blind_crops(args.blind_crops)
        return
    photo_agreement()
    healthy_pairs()
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1) as det:
        palsy = scores(PALDA / "peripheral", det) + scores(PALDA / "central", det)
        healthy = scores(PALDA / "Healthy", det)
    u = mannwhitneyu(palsy, healthy, alternative="greater")
    auc = u.statistic / (len(palsy) * len(healthy))
    print(f"palsy n={len(palsy)} median {np.median(palsy):.3f}; healthy n={len(healthy)} median {np.median(healthy):.3f} (IOD units)")
    print(f"ROC AUC palsy vs healthy: {auc:.3f} (Mann-Whitney p = {u.pvalue:.2g})")


if __name__ == "__main__":
    main()
