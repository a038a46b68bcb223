"""MediaPipe FaceMesh (478 landmarks with iris) behind the :class:`LandmarkDetector` Protocol.

The model ships inside the ``mediapipe==0.10.21`` wheel; nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from smilescope import landmarks as lm

# MediaPipe aborts the whole process (an OpenCV assertion in its image transform) on a side of
# 32767 px or more; a clear error instead
MAX_IMAGE_SIDE_PX = 32766


@dataclass(frozen=True)
class FaceObservation:
    """One face in one frame.

    Attributes
    ----------
    landmarks_px : np.ndarray [shape=(478, 3)]
        x, y in pixels of the (upright) frame, z in pixels of relative depth (MediaPipe scale).
    n_faces : int
        How many faces the detector saw in this frame (the largest is kept).
    """

    landmarks_px: np.ndarray
    n_faces: int = 1

    @property
    def face_width_px(self) -> float:
        xy = self.landmarks_px[:, :2]
        return float(xy[:, 0].max() - xy[:, 0].min())


class LandmarkDetector(Protocol):
    """Anything that returns the subject's landmarks for one RGB frame, or ``None``."""

    def __call__(self, image_rgb: np.ndarray) -> FaceObservation | None: ...

    def close(self) -> None: ...


def head_angles_deg(landmarks_px: np.ndarray) -> tuple[float, float, float]:
    """Approximate head yaw, pitch and roll (degrees) from the 3-D landmarks.

    A face frame is built from the outer eye corners (x axis, towards the subject's left) and
    forehead-to-chin (y axis); the angles are its rotation relative to the camera. Positive yaw:
    the face turns towards the subject's right (the nose moves to the image left in an
    unmirrored video); positive roll: the face turns clockwise in the image. Pitch is
    reported with MediaPipe's depth axis and is used only to reject strongly nodding frames.

    Parameters
    ----------
    landmarks_px : np.ndarray [shape=(478, 3)]
    """
    p = np.asarray(landmarks_px, dtype=float)
    x = p[lm.EYE_OUTER["left"]] - p[lm.EYE_OUTER["right"]]
    x /= np.linalg.norm(x)
    down = p[lm.CHIN] - p[lm.FOREHEAD]
    y = down - x * (down @ x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)  # points away from the camera for a frontal face (image coords, z into screen)
    r = np.stack([x, y, z], axis=1)  # columns: face axes in camera coordinates
    yaw = np.degrees(np.arcsin(np.clip(-r[2, 0], -1, 1)))
    pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
    roll = np.degrees(np.arctan2(r[1, 0], r[0, 0]))
    return float(yaw), float(pitch), float(roll)


# MediaPipe's own log lines: absl/glog ("W0000 00:00:1796157448.48 21330 file.cc:114] ...") and
# TFLite's ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU."). Errors (E, F) are kept.
_MEDIAPIPE_LOG = re.compile(rb"^(?:[IW]\d{4} [\d:.]+ +\d+ [^\]\s]+:\d+\] |INFO: |"
                            rb"WARNING: All log messages before absl::InitializeLog\(\))")
_filter_lock = threading.Lock()
_filter_on = False


def silence_mediapipe_logs() -> None:
    """Drop MediaPipe's start-up chatter from the process's stderr; once per process.

    MediaPipe (TFLite, absl logging) writes its info and warning lines straight to file
    descriptor 2, from its own threads and some time after a graph is built, and no setting
    turns them off (GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL are not read). So fd 2 becomes a
    pipe read by a small thread that passes every other line on to where fd 2 pointed; Python's
    own ``sys.stderr`` (messages, warnings, tracebacks) is moved onto a copy of the original fd
    first, so it never waits on that thread. SMILESCOPE_DEBUG=1 keeps everything.
    """
    global _filter_on
    if os.environ.get("SMILESCOPE_DEBUG"):
        return
    with _filter_lock:
        if _filter_on:
            return
        try:
            target = os.dup(2)
            if sys.stderr is sys.__stderr__ and sys.stderr is not None and sys.stderr.fileno() == 2:
                sys.stderr.flush()
                sys.stderr = os.fdopen(os.dup(target), "w", buffering=1,
                                       encoding=sys.__stderr__.encoding or "utf-8", errors="backslashreplace")
            r, w = os.pipe()
            os.dup2(w, 2)
            os.close(w)
        except (OSError, ValueError, AttributeError):
            return  # no usable fd 2 (a service without a terminal): nothing to silence
        threading.Thread(target=_pass_on, args=(r, target), name="smilescope-stderr-filter", daemon=True).start()
        _filter_on = True


def _pass_on(r: int, target: int) -> None:
    with os.fdopen(r, "rb", buffering=0) as pipe:
        rest = b""
        while chunk := pipe.read(65536):
            *lines, rest = (rest + chunk).split(b"\n")
            out = b"".join(line + b"\n" for line in lines if not _MEDIAPIPE_LOG.match(line))
            if out:
                try:
                    os.write(target, out)
                except OSError:
                    pass


class MediaPipeFaceMesh:
    """FaceMesh with iris refinement; keeps the largest face when there are several.

    Parameters
    ----------
    static_image_mode : bool
        True for unrelated still images; False (default) tracks across video frames.
    max_num_faces : int
        Faces to look for. The pipeline asks for more than one once a second person is seen in
        the frame, so that the largest face is kept rather than whichever the mesh tracked.
    min_detection_confidence, min_tracking_confidence : float
        Passed to MediaPipe's FaceMesh unchanged.
    """

    def __init__(
        self,
        *,
        static_image_mode: bool = False,
        max_num_faces: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        import mediapipe as mp  # heavy import, kept local

        silence_mediapipe_logs()
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=static_image_mode,
            max_num_faces=max_num_faces,
            refine_landmarks=True,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def __call__(self, image_rgb: np.ndarray) -> FaceObservation | None:
        arrays = self.faces(image_rgb)
        if not arrays:
            return None
        return FaceObservation(landmarks_px=arrays[0], n_faces=len(arrays))

    def faces(self, image_rgb: np.ndarray) -> list[np.ndarray]:
        """Every face's landmarks (478, 3; pixels as in :class:`FaceObservation`), widest first."""
        h, w = image_rgb.shape[:2]
        if max(h, w) > MAX_IMAGE_SIDE_PX:  # the readers refuse or shrink such pictures first
            raise ValueError(f"a {w}x{h} px image is too large for the face model (at most {MAX_IMAGE_SIDE_PX} px a side)")
        res = self._mesh.process(image_rgb)
        arrays = []
        for face in res.multi_face_landmarks or []:
            a = np.array([(q.x, q.y, q.z) for q in face.landmark], dtype=np.float64)
            a *= (w, h, w)  # MediaPipe z uses the same scale as x
            arrays.append(a)
        return sorted(arrays, key=lambda a: -(a[:, 0].max() - a[:, 0].min()))

    def reset(self) -> None:
        """Start over as a new graph would: a video-mode mesh forgets the face it tracked."""
        self._mesh.reset()

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> "MediaPipeFaceMesh":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def face_boxes_px(image_rgb: np.ndarray, *, min_confidence: float = 0.5) -> list[tuple[float, float, float, float]]:
    """Boxes (x0, y0, x1, y1; pixels) of the faces MediaPipe's full-range face detector finds in
    one still: the check on a face mesh, whose own short-range detector sometimes fits a face to
    a patterned background (a building behind the person) in a still."""
    import mediapipe as mp  # heavy import, kept local

    silence_mediapipe_logs()
    h, w = image_rgb.shape[:2]
    with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_confidence) as det:
        res = det.process(image_rgb)
    boxes = []
    for d in res.detections or []:
        b = d.location_data.relative_bounding_box
        boxes.append((b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h))
    return boxes


def detect_still(image_rgb: np.ndarray) -> FaceObservation | None:
    """Landmarks of the largest of up to 4 faces in one still image (static mode); ``None`` if none."""
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4) as det:
        return det(image_rgb)
