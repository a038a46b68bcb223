"""MediaPipe graphs kept for the life of a process and reset for each recording.

Building the FaceMesh, iris and face-detection graphs (and the first inference that sets up
TFLite's XNNPACK delegate) costs a process some hundred milliseconds and some tens of MB each
time. A batch worker analyses video after video, so it builds each graph once
(:func:`process_models`) and resets it before each recording: a reset restarts the graph run,
so a tracking graph starts from no face exactly as a new one does, and the numbers are those
of a fresh graph.
"""

from __future__ import annotations

import threading

from smilescope.track.facemesh import MediaPipeFaceMesh
from smilescope.track.multiface import FaceCounter


class FaceModels:
    """The landmark graphs one analysis at a time uses, made on first use and then reused.

    Not for two analyses at once: one set per thread (:func:`process_models`).
    """

    def __init__(self) -> None:
        self._trackers: dict[int, MediaPipeFaceMesh] = {}
        self._still: MediaPipeFaceMesh | None = None
        self._counter: FaceCounter | None = None

    def tracker(self, max_num_faces: int = 1) -> MediaPipeFaceMesh:
        """A video-mode FaceMesh for ``max_num_faces`` faces, reset to its starting state."""
        mesh = self._trackers.get(max_num_faces)
        if mesh is None:
            mesh = self._trackers[max_num_faces] = MediaPipeFaceMesh(max_num_faces=max_num_faces)
        else:
            mesh.reset()
        return mesh

    def still(self) -> MediaPipeFaceMesh:
        """A still-image FaceMesh for one face (it keeps no state between images)."""
        if self._still is None:
            self._still = MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1)
        return self._still

    def counter(self) -> FaceCounter:
        """The face detector that counts faces (no state between images)."""
        if self._counter is None:
            self._counter = FaceCounter()
        return self._counter

    def close(self) -> None:
        for mesh in self._trackers.values():
            mesh.close()
        self._trackers.clear()
        if self._still is not None:
            self._still.close()
            self._still = None
        if self._counter is not None:
            self._counter.close()
            self._counter = None


_local = threading.local()


def process_models() -> FaceModels:
    """This thread's :class:`FaceModels` (one per worker thread, so one per single-threaded
    worker process), kept until the process ends."""
    models = getattr(_local, "models", None)
    if models is None:
        models = _local.models = FaceModels()
    return models
