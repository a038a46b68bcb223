"""The summary table: every column in order, typed, and storable whatever the file names."""

from __future__ import annotations

import os

import pandas as pd

from smilescope.archive.summary import COLUMNS, to_frame, write_summary


def test_a_failed_only_summary_still_has_every_column_typed_and_a_non_utf8_name_survives_parquet(tmp_path):
    name = os.fsdecode(b"caf\xe9.mp4")  # a file name that is not valid UTF-8 (a surrogate escape)
    rows = [{"name": "caf", "path": name, "status": "failed", "error_kind": "bad input", "error": f"{name} is broken",
             "reused": False}]
    frame = to_frame(rows)
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["excursion_left_mm"].dtype) == "Float64" and str(frame["smile_episodes"].dtype) == "Int64"
    assert frame["path"].iloc[0] == "caf\\xe9.mp4"
    parquet, csv_path = write_summary(frame, tmp_path)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), frame)
    assert (parquet.stat().st_mode & 0o077) == 0 and (csv_path.stat().st_mode & 0o077) == 0


def test_what_was_not_judged_is_empty_not_false_or_none():
    """A researcher's table must not read "no tremor" or "no weaker side" where the recording
    could not show one: those cells are empty (not_judged says why), and no rate comes from a
    few seconds of video."""
    import json
    from pathlib import Path

    from smilescope.archive.summary import summary_row
    from smilescope.results import Analysis

    golden = Path(__file__).resolve().parents[1] / "data" / "golden"
    d10 = summary_row(Analysis.from_dict(json.loads((golden / "liveportrait_d10.json").read_text())))  # talking, no rest
    assert d10["tremor_detected"] is None and d10["tremor_side"] == "" and d10["weaker_side"] == ""
    assert d10["synkinesis_side"] == "" and "shaking (tremor): talking" in d10["not_judged"]
    assert d10["blinks_per_min"] is None and d10["twitches_per_min"] is None  # 15 s: under the 30 s a rate needs
    d0 = summary_row(Analysis.from_dict(json.loads((golden / "liveportrait_d0.json").read_text())))
    assert d0["weaker_side"] == "none" and d0["synkinesis_side"] in ("none", "left", "right", "both")
    # in the table, a side not judged is NA (isna() finds it), not an empty string
    frame = to_frame([{**d10, "name": "d10", "status": "ok"}, {**d0, "name": "d0", "status": "ok"}])
    assert frame["weaker_side"].isna().tolist() == [True, False] and frame["tremor_side"].isna().iloc[0]


def test_sides_not_compared_say_why():
    """Smiles measured from a relaxed face but the head turned beyond the lift comparison's
    range in every one: no weaker side, and not_judged says why (it named only other blocks)."""
    import dataclasses
    import json
    from pathlib import Path

    from smilescope.archive.summary import summary_row
    from smilescope.results import Analysis

    golden = Path(__file__).resolve().parents[1] / "data" / "golden"
    a = Analysis.from_dict(json.loads((golden / "liveportrait_d0.json").read_text()))
    turned = dataclasses.replace(a, smile=dataclasses.replace(a.smile, sides_compared_on="", asymmetry_pct=None))
    row = summary_row(turned)
    assert row["weaker_side"] == "" and "smile sides: the head turned more than 10° in every smile" in row["not_judged"]
    assert "smile sides" not in summary_row(a)["not_judged"]
