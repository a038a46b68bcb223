"""The annotated pictures of a photo run and the folder they go in (``report.annotate``)."""

from __future__ import annotations

import json

from smilescope.measures.photo import SideCall
from smilescope.pipeline.photo import analyze_photos
from smilescope.report.annotate import photo_files, side_caption

from conftest import FACES


def test_the_picture_tells_no_clear_difference_from_side_not_judged_and_says_why():
    """Both read "no side named" on the annotated picture, while photo.json said "none" for one
    and "unknown" (head turned) for the other. "Sides even" misled on an eye that stayed open
    2.9 mm more than the other on a coarse photo (under the 3.8 mm its resolution can tell
    apart); "see photo.json" sent a person at home to a JSON file."""
    from smilescope.measures.photo import affected_side

    assert side_caption(SideCall("left", "high", "")) == "looks affected: left (high)"
    assert side_caption(SideCall("none", "none", "")) == "no side named: the sides do not differ clearly"
    static = {"mouth_corner_difference_mm": 4.0, "palpebral_fissure_height_mm": {"right": 1.0, "left": 1.0}}
    assert side_caption(affected_side(static, yaw_deg=20.0)) == "side not judged: the head is turned"
    assert side_caption(affected_side(static, pitch_deg=30.0)) == "side not judged: the head is tilted"
    assert side_caption(affected_side(static, expression="brow_raise")) == "side not judged from this expression alone"
    assert "even" not in side_caption(affected_side(
        {**static, "palpebral_fissure_height_mm": {"right": 0.24, "left": 3.17}}, expression="eye_closure", mm_per_px=0.9))


def test_a_control_character_in_a_photo_name_gives_a_one_line_picture_name():
    from smilescope.report.annotate import short_stem

    assert short_stem("a\nb\tc") == "a_b_c" and short_stem("笑顔") == "笑顔"


def test_photo_files_name_a_picture_per_photo_in_order_and_photo_json_names_them():
    result = analyze_photos([FACES / "yale01.jpg", FACES / "astronaut.jpg"], expressions=["rest", "smile"])
    files = photo_files(result)
    assert list(files) == ["photo.json", "01_yale01_annotated.png", "02_astronaut_annotated.png"]
    doc = json.loads(files["photo.json"])
    assert [p["annotated"] for p in doc["photos"]] == ["01_yale01_annotated.png", "02_astronaut_annotated.png"]
    assert doc == json.loads(json.dumps(result.document))  # the document handed back names them too
    assert all(files[n].startswith(b"\x89PNG") for n in list(files)[1:])


def test_an_eye_closure_picture_draws_each_eyes_opening():
    """The eye-closure picture showed only the mouth corners' distances, not the eyes it is
    judged on: each eye's opening is drawn, lid to lid, with its value."""
    import cv2
    import numpy as np

    from smilescope.report.annotate import MIN_WIDTH_PX, YELLOW, annotated_png

    (r,) = analyze_photos([FACES / "yale01.jpg"], expressions=["eye_closure"]).photos
    f = max(1.0, MIN_WIDTH_PX / r.photo.rgb.shape[1])

    def picture(expression):
        png = annotated_png(r.photo.rgb, r.points, r.static, "x", expression=expression)
        return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    closure, rest = picture("eye_closure"), picture("rest")
    for s in ("right", "left"):
        lid = r.points.upper_lid[s] * 0.25 + r.points.lower_lid[s] * 0.75  # on the lid-to-lid line, off the eye line
        x, y = np.round(lid * f).astype(int)
        assert np.abs(closure[y, x].astype(int) - YELLOW).max() < 60, s
        assert np.abs(rest[y, x].astype(int) - YELLOW).max() >= 60, s
