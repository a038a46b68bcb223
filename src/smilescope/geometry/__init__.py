"""Geometry: millimetre calibration from the iris, rigid head pose, alignment to the neutral face."""

from smilescope.geometry.calibration import (
    IRIS_DIAMETER_MM,
    Calibration,
    RunningScale,
    calibrate,
    calibrate_frames,
    good_for_iris,
    iris_diameters_px,
)

__all__ = ["IRIS_DIAMETER_MM", "Calibration", "RunningScale", "calibrate", "calibrate_frames", "good_for_iris",
           "iris_diameters_px"]
