"""Regenerate the golden analysis.json of every shared video (``tests/test_golden.py``).

Run only when a change of behaviour is intended, and say so in the commit:

    .venv/bin/python tests/data/golden/make_golden.py
"""

from __future__ import annotations

from pathlib import Path

import smilescope
from smilescope.output import dumps

HERE = Path(__file__).resolve().parent
SHARED_VIDEOS = HERE.parents[3] / "shared" / "data" / "videos"


def golden_name(video: Path) -> str:
    return f"{video.parent.name}_{video.stem}"


def document(video: Path) -> dict:
    """The analysis.json document of ``video``, or ``{"error": message}`` for bad input."""
    try:
        return smilescope.analyze(video).to_dict()
    except smilescope.BadInputError as e:
        return {"error": str(e)}


def main() -> None:
    for video in sorted(SHARED_VIDEOS.glob("*/*.mp4")):
        (HERE / f"{golden_name(video)}.json").write_text(dumps(document(video)) + "\n")
        print(golden_name(video), flush=True)


if __name__ == "__main__":
    main()
