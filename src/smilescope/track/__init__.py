"""Landmark tracking: a detector behind a small Protocol, and optical-flow patch refinement."""

from smilescope.track.crops import CropBox, SmallFaceFinder, search_windows
from smilescope.track.facemesh import FaceObservation, LandmarkDetector, MediaPipeFaceMesh, head_angles_deg
from smilescope.track.flow import PatchTracker

__all__ = ["CropBox", "FaceObservation", "LandmarkDetector", "MediaPipeFaceMesh", "PatchTracker", "SmallFaceFinder",
           "head_angles_deg", "search_windows"]
