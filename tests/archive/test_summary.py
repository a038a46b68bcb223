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
