"""The annotated pictures of a photo run and the folder they go in (``report.annotate``)."""

from __future__ import annotations

import json

from smilescope.measures.photo import SideCall
from smilescope.pipeline.photo import analyze_photos
from smilescope.report.annotate import photo_files, side_caption

from conftest import FACES


def test_the_picture_tells_sides_even_from_side_not_judged():
    """Both read "no side named" on the annotated picture, while photo.json said "none" for one
    and "unknown" (head turned) for the other."""
    assert side_caption(SideCall("left", "high", "")) == "looks affected: left (high)"
    assert side_caption(SideCall("none", "none", "")) == "sides even: no side named"
    assert side_caption(SideCall("unknown", "none", "head turned")) == "side not judged (see photo.json)"


def test_photo_files_name_a_picture_per_photo_in_order_and_photo_json_names_them():
    result = analyze_photos([FACES / "yale01.jpg", FACES / "astronaut.jpg"], expressions=["rest", "smile"])
    files = photo_files(result)
    assert list(files) == ["photo.json", "01_yale01_annotated.png", "02_astronaut_annotated.png"]
    doc = json.loads(files["photo.json"])
    assert [p["annotated"] for p in doc["photos"]] == ["01_yale01_annotated.png", "02_astronaut_annotated.png"]
    assert doc == json.loads(json.dumps(result.document))  # the document handed back names them too
    assert all(files[n].startswith(b"\x89PNG") for n in list(files)[1:])
