"""smilescope against the labels of 15 real videos made by eye (issue 11).

Analyses every video labelled in ``../shared/data/labels`` (see its README.md for the fields and
the scoring rules; :mod:`smilescope.testing.labels` implements them), writes each analysis to
``OUT/<name>/analysis.json`` (or ``OUT/<name>/refused.json`` with the message when the analysis
refuses the video), and prints one line per video and the overall figures beside the issue's
targets. ``--cached`` re-scores the files already in OUT without analysing again (a video with
nothing cached is analysed); ``--details`` lists what was missed or wrong in each video.

``--capture`` scores the same faces as another camera or app would give them
(:func:`smilescope.testing.capture.recapture`, written once into ``OUT/<capture>/videos``):
``reencoded`` (H.264 again at CRF 18, the control for the others), ``three_quarter`` (3/4 of the
size), ``mirrored`` (a selfie app's copy; the labels' sides are swapped to match), ``fps15``
(every other frame), ``crf35`` (heavy compression), ``webcam`` (0.6 of the size, sensor noise,
CRF 26), ``dropped`` (15 % of the frames missing: uneven timing) and ``tilted`` (the camera held
12 degrees off level). The rules and targets are the same.

    .venv/bin/python benchmarks/real_labels.py [--cached] [--out out/labels] [--details] [--capture mirrored]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import smilescope
from smilescope.output import atomic_write
from smilescope.results import Analysis
from smilescope.testing.capture import recapture
from smilescope.testing.labels import (
    TARGETS,
    OverallScore,
    VideoLabels,
    VideoScore,
    aggregate,
    load_label_dir,
    meets_targets,
    mirrored,
    score_video,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


CAPTURES = {"original": None, "reencoded": {}, "three_quarter": {"scale": 0.75}, "mirrored": {"mirror": True},
            "fps15": {"keep_every": 2}, "crf35": {"crf": 35},
            # a small webcam in a dim room: 0.6 of the size, sensor noise, more compression
            "webcam": {"scale": 0.6, "noise_sd": 4.0, "crf": 26},
            # a phone's uneven frame rate: 15 % of the frames missing, up to two in a row
            "dropped": {"drop_fraction": 0.15},
            # a phone held at a tilt
            "tilted": {"tilt_deg": 12.0}}


def captured(lab: VideoLabels, *, videos: Path, out: Path, capture: str) -> tuple[VideoLabels, Path]:
    """The labels and the video file as ``capture`` gives them (the original's, or a copy in ``out``)."""
    how = CAPTURES[capture]
    if how is None:
        return lab, videos
    copy = out / "videos" / lab.video
    if not copy.is_file():
        copy.parent.mkdir(parents=True, exist_ok=True)
        part = copy.with_name(copy.stem + ".part" + copy.suffix)
        recapture(videos / lab.video, part, **how)
        part.replace(copy)
    return (mirrored(lab) if how.get("mirror") else lab), out / "videos"


def cached_or_analysed(lab: VideoLabels, *, videos: Path, out: Path, cached: bool) -> Analysis | smilescope.BadInputError:
    """The video's analysis (or the refusal), read from ``out`` when ``cached`` and present there."""
    folder = out / lab.name
    done, refused = folder / "analysis.json", folder / "refused.json"
    if cached and done.is_file():
        return Analysis.from_dict(json.loads(done.read_text()), source=str(done))
    if cached and refused.is_file():
        return smilescope.BadInputError(json.loads(refused.read_text())["error"])
    t0 = time.perf_counter()
    try:
        result = smilescope.analyze(videos / lab.video)
    except smilescope.BadInputError as e:
        message = json.dumps({"error": str(e)})
        atomic_write(refused, lambda fh: fh.write(message + "\n"))
        done.unlink(missing_ok=True)
        result = e
    else:
        text = result.to_json()
        atomic_write(done, lambda fh: fh.write(text + "\n"))
        refused.unlink(missing_ok=True)
    print(f"  analysed {lab.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return result


def _r(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


COLUMNS = (("video", 5), ("smiles h+m/found", 16), ("episodes/matched", 16), ("precision", 9), ("side right/elig", 15),
           ("wrong side", 10), ("alarm flags", 11), ("twitch/min", 10), ("implaus.", 8), ("blinks lab/hit/rep", 18))


def row(s: VideoScore) -> list[str]:
    if not s.analysed:
        return [s.name, f"{s.smiles_labelled}/0", "-", "-", f"0/{s.side_eligible}", "-", "-", "-", "-",
                f"{s.blinks_labelled}/0/-"]
    return [s.name, f"{s.smiles_labelled}/{s.smiles_recalled}", f"{s.episodes}/{s.episodes_matched}", _r(s.smile_precision),
            f"{s.side_right}/{s.side_eligible}" + (f" ({s.side_not_comparable} n.c.)" if s.side_not_comparable else ""),
            str(s.wrong_side), str(s.alarm_flags), _r(s.twitches_per_min, ".1f"), str(s.implausible),
            f"{s.blinks_labelled}/{s.blinks_recalled}/{s.blinks_reported}"]


def print_table(overall: OverallScore, *, details: bool) -> None:
    widths = [max([w, *(len(row(s)[i]) for s in overall.scores)]) for i, (_, w) in enumerate(COLUMNS)]
    print("  ".join(f"{name:<{w}}" for (name, _), w in zip(COLUMNS, widths)).rstrip())
    for s in overall.scores:
        print("  ".join(f"{cell:<{w}}" for cell, w in zip(row(s), widths)).rstrip())
        if not s.analysed:
            print(f"    not analysed: {s.refused}")
        if details and s.analysed:
            for d in s.details:
                print(f"    {d}")
    print("  (smiles: labelled high+medium / matched by an episode; episodes: reported / matching any labelled smile; "
          "side: n.c. = matched only by head-turned episodes; blinks: labelled / recalled / blink+wink events reported)")


def print_overall(overall: OverallScore) -> None:
    ok = meets_targets(overall)

    def fig(name: str, value: str) -> str:
        op, target = TARGETS[name]
        mark = {True: "ok", False: "MISSED", None: "n/a"}[ok[name]]
        return f"{value} (target {op} {target:g}: {mark})"

    o = overall
    print(f"\nOverall, {o.videos} videos ({o.not_analysed} not analysed):")
    print(f"  smile recall      {o.smiles_recalled}/{o.smiles_labelled} = " + fig("smile_recall", _r(o.smile_recall)))
    print(f"  smile precision   {o.episodes_matched}/{o.episodes} = " + fig("smile_precision", _r(o.smile_precision)))
    print(f"  side right        {o.side_right}/{o.side_eligible} eligible"
          f" ({o.side_not_comparable} matched only by head-turned episodes, not counted)")
    print("  wrong side        " + fig("wrong_side", str(o.wrong_side)))
    print("  alarm flags       " + fig("alarm_flags", str(o.alarm_flags)))
    print(f"  twitches          {o.twitches} in {o.twitch_minutes:.2f} min = "
          + fig("twitches_per_min", _r(o.twitches_per_min, ".1f") + "/min"))
    print("  implausible       " + fig("implausible", str(o.implausible)))
    print(f"  blink recall      {o.blinks_recalled}/{o.blinks_labelled} = " + fig("blink_recall", _r(o.blink_recall)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cached", action="store_true", help="re-score the analyses already in --out")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "labels", help="where the analyses are kept")
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data set (labels/ and videos/)")
    ap.add_argument("--details", action="store_true", help="list what was missed or wrong in each video")
    ap.add_argument("--capture", choices=sorted(CAPTURES), default="original",
                    help="score a copy of each video as another camera or app gives it (see above)")
    args = ap.parse_args()
    out = args.out if args.capture == "original" else args.out / args.capture
    scores = []
    for lab in load_label_dir(args.data / "labels"):
        lab, videos = captured(lab, videos=args.data / "videos", out=out, capture=args.capture)
        scores.append(score_video(lab, cached_or_analysed(lab, videos=videos, out=out, cached=args.cached)))
    overall = aggregate(scores)
    print_table(overall, details=args.details)
    print_overall(overall)


if __name__ == "__main__":
    main()
