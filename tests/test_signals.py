import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope import landmarks as lm
from smilescope.geometry.align import FaceFrame
from smilescope.signals import (
    FACIAL_SIGNALS,
    SignalTable,
    facial_signals_px,
    noise_floor_mm,
    px_name,
    tracked_landmarks,
    unit_of,
)


@pytest.mark.parametrize("sigma", [0.02, 0.1, 0.3])
def test_noise_floor_reads_white_noise_under_slow_motion(sigma):
    rng = np.random.default_rng(7)
    t = np.arange(0, 10, 1 / 30)
    smile = 6.0 * np.clip(np.sin(2 * np.pi * 0.2 * t), 0, None)  # slow movement, several mm
    x = smile + sigma * rng.standard_normal(len(t))
    assert noise_floor_mm(x) == pytest.approx(sigma, rel=0.15)


def test_noise_floor_skips_invalid_frames():
    rng = np.random.default_rng(2)
    x = 0.05 * rng.standard_normal(300)
    valid = np.ones(300, bool)
    x[100:120] = 50.0  # garbage where the face was lost
    valid[100:120] = False
    assert noise_floor_mm(x, valid) == pytest.approx(0.05, rel=0.2)


def _ref_points():
    rng = np.random.default_rng(0)
    pts = {i: rng.uniform(100, 300, 2) for i in tracked_landmarks()}
    pts[lm.IRIS_CENTRE["right"]] = np.array([150.0, 150.0])
    pts[lm.IRIS_CENTRE["left"]] = np.array([250.0, 150.0])
    return pts


def test_sides_and_directions_of_mouth_corner_displacement():
    ref = _ref_points()
    frame = FaceFrame.from_irises(ref[lm.IRIS_CENTRE["right"]], ref[lm.IRIS_CENTRE["left"]])
    aligned = dict(ref)
    # subject's right corner (image left) moves 3 px towards image left and 2 px up:
    aligned[lm.MOUTH_CORNER["right"]] = ref[lm.MOUTH_CORNER["right"]] + (-3.0, -2.0)
    # subject's left corner (image right) moves 1 px towards image right, 0.5 px down
    aligned[lm.MOUTH_CORNER["left"]] = ref[lm.MOUTH_CORNER["left"]] + (1.0, 0.5)
    s = facial_signals_px(aligned_px=aligned, ref_px=ref, frame=frame)
    assert list(s) == [px_name(n) for n in FACIAL_SIGNALS]  # pixels until calibrated
    assert s["mouth_corner_right_x_px"] == pytest.approx(3.0)  # lateral
    assert s["mouth_corner_right_y_px"] == pytest.approx(2.0)  # up
    assert s["mouth_corner_left_x_px"] == pytest.approx(1.0)
    assert s["mouth_corner_left_y_px"] == pytest.approx(-0.5)
    assert s["cheek_left_x_px"] == 0 and s["nasolabial_right_y_px"] == 0


def test_eye_opening_and_brow_height():
    ref = _ref_points()
    frame = FaceFrame.from_irises(ref[lm.IRIS_CENTRE["right"]], ref[lm.IRIS_CENTRE["left"]])
    a = dict(ref)
    a[lm.UPPER_LID["left"]] = np.array([250.0, 145.0])
    a[lm.LOWER_LID["left"]] = np.array([250.0, 155.0])
    a[lm.EYE_INNER["right"]] = np.array([170.0, 150.0])
    a[lm.EYE_OUTER["right"]] = np.array([130.0, 152.0])
    a[lm.BROW_MID["right"]] = np.array([150.0, 121.0])
    s = facial_signals_px(aligned_px=a, ref_px=ref, frame=frame)
    assert s["palpebral_left_height_px"] == pytest.approx(10.0)
    assert s["brow_right_height_px"] == pytest.approx(30.0)
    # a closed eye never reads negative
    a[lm.UPPER_LID["left"]] = np.array([250.0, 156.0])
    assert facial_signals_px(aligned_px=a, ref_px=ref, frame=frame)["palpebral_left_height_px"] == 0.0


def test_table_series_and_csv(tmp_path):
    t = np.array([0.0, 0.033, 0.07])
    tab = SignalTable(t_s=t, valid=np.array([True, False, True]),
                      columns={"mouth_corner_left_x_mm": np.array([0.0, np.nan, 1.25]), "head_roll_deg": np.zeros(3)})
    s = tab.series("mouth_corner_left_x_mm")
    assert s.unit == "mm" and tab.series("head_roll_deg").unit == "deg"
    assert s.valid.tolist() == [True, False, True]
    p = tmp_path / "s.csv"
    with open(p, "w", newline="") as fh:
        tab.write_csv(fh)
    lines = p.read_text().splitlines()
    assert lines[0] == "frame,t_s,valid,mouth_corner_left_x_mm,head_roll_deg"
    assert lines[2].startswith("1,0.033000,0,,")
    with pytest.raises(KeyError, match="available"):
        tab.series("nope")


def test_a_batch_parquet_reads_back_as_the_same_table(tmp_path):
    tab = SignalTable(t_s=np.array([0.0, 0.033, 0.07]), valid=np.array([True, False, True]),
                      columns={"mouth_corner_left_x_mm": np.array([0.0, np.nan, 1.25]), "smile_episode": np.array([0, 1, 1])})
    tab.to_frame().to_parquet(tmp_path / "signals.parquet")
    back = SignalTable.read_parquet(tmp_path / "signals.parquet")
    np.testing.assert_array_equal(back.t_s, tab.t_s)
    assert back.valid.tolist() == [True, False, True] and back.names == tab.names
    np.testing.assert_array_equal(back.columns["mouth_corner_left_x_mm"], tab.columns["mouth_corner_left_x_mm"])
    (tmp_path / "other.parquet").write_bytes(b"not parquet")
    with pytest.raises(BadInputError, match="Cannot read the signals file"):
        SignalTable.read_parquet(tmp_path / "other.parquet")


def test_an_episode_number_is_written_as_a_whole_number(tmp_path):
    tab = SignalTable(t_s=np.array([0.0, 0.033]), valid=np.array([True, True]),
                      columns={"smile_excursion_left_mm": np.array([0.0, 2.5]),
                               "smile_episode": np.array([0, 1], dtype=np.int64)})
    p = tmp_path / "s.csv"
    with open(p, "w", newline="") as fh:
        tab.write_csv(fh)
    assert p.read_text().splitlines()[1:] == ["0,0.000000,1,0.0000,0", "1,0.033000,1,2.5000,1"]
    back = SignalTable.read_csv(p)
    assert back.columns["smile_episode"].tolist() == [0.0, 1.0]


def test_table_to_pandas():
    tab = SignalTable(t_s=np.array([0.0, 0.04]), valid=np.array([True, False]),
                      columns={"mouth_corner_left_x_mm": np.array([0.5, np.nan])})
    df = tab.to_frame()
    assert list(df.columns) == ["t_s", "valid", "mouth_corner_left_x_mm"]
    assert df["mouth_corner_left_x_mm"].iloc[0] == 0.5 and df["valid"].tolist() == [True, False]


# --- one-frame tracking jumps ----------------------------------------------------------------

def _jump_columns(t, corner_x, near_x):
    from smilescope.signals import FACIAL_SIGNALS

    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    cols["mouth_corner_left_x_mm"] = corner_x.copy()
    cols["mouth_near_left_x_mm"] = near_x.copy()
    return cols


def test_a_one_frame_leap_of_a_point_whose_neighbour_stays_is_mended():
    """A 6 mm one-frame leap of the left mouth corner during a slow smile, its neighbour on
    the lip following only the smile: mended to the straight line through its neighbours."""
    from smilescope.signals import mend_tracking_jumps

    t = np.arange(0, 2, 1 / 30)
    smile = 5.0 * np.clip((t - 0.5) / 0.5, 0, 1)
    corner = smile.copy()
    corner[24] += 6.0  # mid-rise, where the smile is a straight line
    cols = _jump_columns(t, corner, 0.6 * smile)
    n = mend_tracking_jumps(cols, np.ones(len(t), bool), {})
    assert n == 1
    np.testing.assert_allclose(cols["mouth_corner_left_x_mm"], smile, atol=1e-9)


def test_twitches_and_movements_of_the_whole_region_are_not_jumps():
    """A 1.2 mm twitch lasting 100 ms (its one-frame departure is ~0.6 mm), and a 4 mm one-frame
    jerk that the neighbour shares (the region moved), are left as they are."""
    from smilescope.signals import mend_tracking_jumps
    from smilescope.testing import synth

    t = np.arange(0, 2, 1 / 30)
    twitch = 1.2 * synth.twitch_profile(t, times_s=[1.0], duration_s=0.1)
    cols = _jump_columns(t, twitch, 0.2 * twitch)
    assert mend_tracking_jumps(cols, np.ones(len(t), bool), {}) == 0
    np.testing.assert_array_equal(cols["mouth_corner_left_x_mm"], twitch)
    jerk = np.zeros(len(t))
    jerk[20] = 4.0
    cols = _jump_columns(t, jerk, 0.7 * jerk)
    assert mend_tracking_jumps(cols, np.ones(len(t), bool), {}) == 0


@pytest.mark.parametrize("name,unit", [("mouth_corner_right_x_mm", "mm"), ("head_yaw_deg", "deg"), ("t_s", "s"),
                                       ("mouth_corner_right_speed_mm_per_s", "mm/s"), ("head_yaw_speed_deg_per_s", "deg/s"),
                                       ("blink_rate_per_min", "1/min"), ("iris_px", "px"), ("tremor_hz", "Hz"),
                                       ("head_scale", "1")])
def test_unit_of_reads_rates_as_rates(name, unit):
    assert unit_of(name) == unit
