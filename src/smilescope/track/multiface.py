"""A cheap, periodic check for a second person in the picture.

FaceMesh asked for two faces runs its detector on every frame while it sees only one, which
costs about a quarter of the landmark time. Instead the full-range face detector (also
shipped inside the mediapipe wheel) looks for other faces about once a second; only when it
finds more than one does the tracker switch to a multi-face mesh that keeps the largest face.
"""

from __future__ import annotations

import numpy as np


class FaceCounter:
    """Count faces in a frame with MediaPipe's face detector (no landmarks)."""

    def __init__(self, *, min_confidence: float = 0.6) -> None:
        import mediapipe as mp

        # model_selection=1: the full-range model also sees faces a few metres away
        self._det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_confidence)

    def __call__(self, image_rgb: np.ndarray) -> int:
        res = self._det.process(image_rgb)
        return len(res.detections or ())

    def close(self) -> None:
        self._det.close()
