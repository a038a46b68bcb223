"""`smilescope batch`'s closing line: the counts add up (failed videos kept from an earlier run
were counted among the analysed ones: "5 videos: 3 analysed (5 kept from an earlier run)")."""

from __future__ import annotations

import pandas as pd

from smilescope.cli.batch import tally


def test_the_tally_counts_kept_videos_where_they_belong():
    rerun = pd.DataFrame({"status": ["ok", "ok", "ok", "failed", "failed"], "reused": [True] * 5})
    assert tally(rerun) == "5 videos: 3 analysed (3 kept from an earlier run), 2 failed (2 as in an earlier run)."
    first = pd.DataFrame({"status": ["ok", "failed"], "reused": [False, False]})
    assert tally(first) == "2 videos: 1 analysed, 1 failed."
