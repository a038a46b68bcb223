"""The measure registry: every family in one list, and what adding one takes (one module, one Step)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smilescope.measures.registry import MEASURES, TYPED_BLOCKS, MeasureContext, Step, measure_all
from smilescope.results import Analysis
from smilescope.signals import FACIAL_SIGNALS, HEAD_SIGNALS, SignalTable
from smilescope.testing import synth

# the corners are exact (no noise) so the new family's speed has an exact truth; a perfectly flat
# stretch has peaks of zero prominence, which SciPy warns about
pytestmark = pytest.mark.filterwarnings("ignore:some peaks have a prominence of 0")

ANGLE = np.radians(35)  # the smile direction: out and up
RISE_S, RIGHT_MM, LEFT_MM = 0.5, 3.0, 8.0


def _smile_table(fps: float = 30.0) -> SignalTable:
    """A relaxed face, one smile (raised-cosine rise of RISE_S, right 3 mm, left 8 mm), relaxed again;
    0.02 mm of tracking noise on the other facial signals, as a still face gives."""
    t = np.arange(0, 6, 1 / fps)
    p = synth.smile_profile(t, onset_s=1.0, rise_s=RISE_S, hold_s=2.0, fall_s=RISE_S)
    cols = {name: np.zeros(len(t)) for name in (*FACIAL_SIGNALS, *HEAD_SIGNALS)}
    cols["head_scale"][:] = 1.0
    rng = np.random.default_rng(0)
    for name in FACIAL_SIGNALS:
        if not name.startswith("mouth_corner_"):  # the corners move exactly as set, for the speed's truth
            cols[name] = cols[name] + rng.normal(0.0, 0.02, len(t))
    cols["palpebral_right_height_mm"][:] = 10.0
    cols["palpebral_left_height_mm"][:] = 10.0
    for side, mm in (("right", RIGHT_MM), ("left", LEFT_MM)):
        cols[f"mouth_corner_{side}_x_mm"] += mm * np.cos(ANGLE) * p
        cols[f"mouth_corner_{side}_y_mm"] += mm * np.sin(ANGLE) * p
    return SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols)


def _peak_speed_mm_per_s(*, t_s: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray) -> float:
    """A new family's pure measure, as a contributor would write it: the corner's fastest movement."""
    return float(np.max(np.hypot(np.gradient(x_mm, t_s), np.gradient(y_mm, t_s))))


def _onset_speed(table, ctx, done):  # the Step's adapter: reads the table, calls the measure
    c = table.columns
    return {"onset_speed": {f"{side}_mm_per_s": _peak_speed_mm_per_s(
        t_s=table.t_s, x_mm=c[f"mouth_corner_{side}_x_mm"], y_mm=c[f"mouth_corner_{side}_y_mm"]) for side in ("right", "left")}}


def test_every_family_is_listed_once_and_gives_its_block():
    names = [s.name for s in MEASURES]
    assert len(names) == len(set(names))
    assert set(TYPED_BLOCKS) <= {n for s in MEASURES for n in s.result_names}
    m = measure_all(_smile_table(), MeasureContext())
    assert m.extra == {}
    assert m.smile.episodes and m.smile.weaker_side == "right"  # 3 against 8 mm


def test_the_given_table_is_left_as_it_was_and_the_result_holds_the_derived_columns():
    table = _smile_table()
    before = {k: v.copy() for k, v in table.columns.items()}
    m = measure_all(table, MeasureContext())
    assert table.columns.keys() == before.keys()
    assert all(np.array_equal(table.columns[k], before[k], equal_nan=True) for k in before)
    assert {"smile_activation_right_mm", "smile_activation_left_mm", "smile_episode"} <= set(m.table.columns)
    assert m.table.columns["smile_episode"].max() == 1


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_a_new_family_is_one_step_and_reaches_analysis_json_and_back(fps):
    m = measure_all(_smile_table(fps), MeasureContext(), steps=(*MEASURES, Step("onset_speed", _onset_speed)))
    # the raised-cosine rise of A mm over R s is fastest at its middle: A * pi / (2 R)
    for side, mm in (("right", RIGHT_MM), ("left", LEFT_MM)):
        assert m.extra["onset_speed"][f"{side}_mm_per_s"] == pytest.approx(mm * np.pi / (2 * RISE_S), rel=0.02)
    a = Analysis.from_dict(json.loads(json.dumps(_fresh_doc())), source="t")
    fresh = Analysis(**{**vars(a), "extra": m.extra, "smile": m.smile})
    doc = json.loads(fresh.to_json())
    assert doc["onset_speed"] == m.extra["onset_speed"]
    assert list(doc)[-1] == "signals"  # the new block sits among the measures, the column list stays last
    assert Analysis.from_dict(doc).extra == {"onset_speed": m.extra["onset_speed"]}


def test_a_step_that_forgets_its_block_or_reuses_a_name_is_stopped():
    table, ctx = _smile_table(), MeasureContext()
    with pytest.raises(ValueError, match="did not return onset_speed"):
        measure_all(table, ctx, steps=(*MEASURES, Step("onset_speed", lambda t, c, d: {"speed": 1.0})))
    with pytest.raises(ValueError, match="already taken"):
        measure_all(table, ctx, steps=(*MEASURES, Step("smile_again", lambda t, c, d: {"smile": 1, "smile_again": 2})))
    with pytest.raises(ValueError, match="no measure step gave flags"):
        measure_all(table, ctx, steps=MEASURES[:-1])
    with pytest.raises(ValueError, match="quality, a name already taken"):  # analysis.json's own block
        measure_all(table, ctx, steps=(*MEASURES, Step("quality", lambda t, c, d: {"quality": {"ok": True}})))


def test_a_step_listed_before_what_it_reads_is_stopped_with_what_is_missing():
    without_blinks = tuple(s for s in MEASURES if s.name != "blinks")
    with pytest.raises(ValueError, match="'smile' needs eyes_shut, which no earlier step gave"):
        measure_all(_smile_table(), MeasureContext(), steps=without_blinks)


def test_every_step_names_what_it_reads_from_the_steps_before_it():
    """A step reads from ``done`` only what it names in ``needs``: the list's order check is honest."""

    class Watched(dict):
        def __init__(self, done, allowed):
            super().__init__(done)
            self.allowed = allowed

        def __getitem__(self, k):
            assert k in self.allowed, f"read {k!r} without naming it in needs"
            return super().__getitem__(k)

    table, ctx, done = _smile_table(), MeasureContext(), {}
    for step in MEASURES:
        out = dict(step.run(table, ctx, Watched(done, step.needs)))
        out.pop("warnings", None)
        table.columns.update(out.pop("columns", {}))
        done.update(out)
    assert set(TYPED_BLOCKS) <= set(done)


def test_the_names_a_step_cannot_take_are_the_documents_own():
    from smilescope.measures.registry import DOCUMENT_NAMES, TYPED_BLOCKS
    from smilescope.results import DOCUMENT_KEYS

    # every top-level key of analysis.json is a measure's typed block or one of the document's own
    assert set(DOCUMENT_KEYS) <= set(TYPED_BLOCKS) | set(DOCUMENT_NAMES)
    assert not set(DOCUMENT_NAMES) & set(TYPED_BLOCKS)


def _fresh_doc() -> dict:
    from pathlib import Path
    return json.loads((Path(__file__).parents[1] / "data" / "golden" / "liveportrait_d0.json").read_text())
