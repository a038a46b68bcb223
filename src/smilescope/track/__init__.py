"""Landmark tracking: a detector behind a small Protocol, and optical-flow patch refinement."""

from smilescope.track.facemesh import FaceObservation, LandmarkDetector, MediaPipeFaceMesh, head_angles_deg
from smilescope.track.flow import PatchTracker

__all__ = ["FaceObservation", "LandmarkDetector", "MediaPipeFaceMesh", "PatchTracker", "head_angles_deg"]
