"""Small faces: find a face the full frame misses in enlarged windows, then follow it in a crop.

MediaPipe FaceMesh finds a face with the short-range BlazeFace detector, which sees the whole
frame letterboxed into 128 x 128 pixels. A face 80 px wide in a 1080 px tall phone video is
then 9 px across, too small for the detector, although the landmark model, which works on its
own 192 x 192 crop around the face, handles it. Once the face is located, its landmarks are as
good as those of any face of the same pixel count.

:class:`SmallFaceFinder` is the second chance for frames where the full frame gives no face:

1. **Search** (at most every ``search_interval_s`` of video time, so a video without any face
   does not pay for it on every frame): overlapping square windows of the frame
   (:func:`search_windows`), largest first, each resized to ``window_size_px`` and given to a
   still-image FaceMesh, until one holds a face. The detector finds a face spanning about
   1/10 to 1/2 of its input (measured on the test faces and on a real 77 px face), so the
   smallest windows are 6 times ``min_face_px`` and each level doubles them.
2. **Follow**: a video-mode FaceMesh on a square crop around the last face (``margin`` times
   the face's extent), enlarged to at least ``crop_size_px``, re-centred on every frame; lost
   when that mesh loses the face.

A :class:`CropBox` maps crop landmarks back to full-frame pixels exactly, so face width, iris
diameter and every later measure stay in full-frame pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from smilescope.track.facemesh import FaceObservation, LandmarkDetector, MediaPipeFaceMesh


@dataclass(frozen=True)
class CropBox:
    """A square window of the frame and the size it is resized to.

    Coordinates follow MediaPipe's: a landmark at normalised ``x`` lies at ``x * width`` pixels,
    so 0 is the left edge of the first pixel. The crop's edges map onto the output's edges,
    as ``cv2.resize`` does; a landmark at ``u`` output pixels lies at
    ``x0_px + u * side_px / size_px`` frame pixels.

    Attributes
    ----------
    x0_px, y0_px : int
        Top-left corner in frame pixels; may lie outside the frame (the outside is black, as
        MediaPipe pads its own crops).
    side_px : int
        Width and height of the window in frame pixels.
    size_px : int
        Width and height of the resized window given to the landmark model.
    """

    x0_px: int
    y0_px: int
    side_px: int
    size_px: int

    @property
    def scale(self) -> float:
        """Output pixels per frame pixel (> 1: enlarged)."""
        return self.size_px / self.side_px

    @classmethod
    def around(cls, landmarks_px: np.ndarray, *, margin: float, min_size_px: int) -> "CropBox":
        """The square centred on the landmarks' bounding box, ``margin`` times its larger side.

        Parameters
        ----------
        landmarks_px : np.ndarray [shape=(n, 2) or (n, 3)]
            Frame pixels (only x and y are used).
        margin : float
            Side of the crop over the larger side of the landmarks' box (> 1).
        min_size_px : int
            A smaller crop is enlarged to this size; a larger one keeps its own (it is never
            shrunk, which would lose detail the landmark model could use).
        """
        xy = np.asarray(landmarks_px, dtype=float)[:, :2]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        side = max(int(math.ceil(margin * float((hi - lo).max()))), 2)
        c = 0.5 * (lo + hi)
        return cls(int(round(c[0] - side / 2)), int(round(c[1] - side / 2)), side, max(side, int(min_size_px)))

    def cut(self, image_rgb: np.ndarray) -> np.ndarray:
        """The window, padded black outside the frame and resized.

        Parameters
        ----------
        image_rgb : np.ndarray [shape=(H, W, 3), dtype=uint8]

        Returns
        -------
        np.ndarray [shape=(size_px, size_px, 3), dtype=uint8]
        """
        h, w = image_rgb.shape[:2]
        x0, y0, s = self.x0_px, self.y0_px, self.side_px
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
        if (xa, ya, xb, yb) == (x0, y0, x0 + s, y0 + s):
            crop = image_rgb[ya:yb, xa:xb]
        else:
            crop = np.zeros((s, s, 3), np.uint8)
            if xb > xa and yb > ya:
                crop[ya - y0:yb - y0, xa - x0:xb - x0] = image_rgb[ya:yb, xa:xb]
        n = self.size_px
        if n == s:
            return np.ascontiguousarray(crop)
        # enlarging: bilinear; shrinking: pixel areas (bilinear would alias)
        interp = cv2.INTER_LINEAR if n > s else cv2.INTER_AREA
        return cv2.resize(crop, (n, n), interpolation=interp)

    def to_frame(self, landmarks_px: np.ndarray) -> np.ndarray:
        """Landmarks of the resized window -> frame pixels.

        Parameters
        ----------
        landmarks_px : np.ndarray [shape=(n, 3)]
            x, y, z in output pixels (MediaPipe's z has the scale of x).

        Returns
        -------
        np.ndarray [shape=(n, 3)]
            x, y in frame pixels; z in frame pixels of relative depth.
        """
        out = np.asarray(landmarks_px, dtype=np.float64) / self.scale
        out[:, 0] += self.x0_px
        out[:, 1] += self.y0_px
        return out

    def observe(self, detector: LandmarkDetector, image_rgb: np.ndarray) -> FaceObservation | None:
        """Run ``detector`` on this window of ``image_rgb``; landmarks in frame pixels."""
        obs = detector(self.cut(image_rgb))
        if obs is None:
            return None
        return FaceObservation(landmarks_px=self.to_frame(obs.landmarks_px), n_faces=obs.n_faces)


def search_windows(width_px: int, height_px: int, *, min_face_px: float, size_px: int,
                   face_fraction: float = 1 / 6) -> list[CropBox]:
    """Overlapping square windows of a frame, for a search for small faces.

    The smallest windows have side ``min_face_px / face_fraction``; each further level doubles
    the side, up to the first level at least half the frame's longer side (larger faces are
    the full frame's). Within a level the windows are placed every half window, the last row
    and column flush with the frame's edges, so a face smaller than a quarter window lies
    wholly inside some window and, away from the frame's edges, at most a quarter window off
    its centre.

    Parameters
    ----------
    width_px, height_px : int
        Frame size.
    min_face_px : float
        Smallest face width (frame pixels) the search must find.
    size_px : int
        Side of the resized windows.
    face_fraction : float
        Smallest face width over window side at which the detector is trusted. It found faces
        down to about 1/10 of the window (test faces pasted on grey, a real 77 px face in its
        video); 1/6 leaves a margin.

    Returns
    -------
    list of CropBox
        Level by level, the largest windows first (larger faces are the likelier subject),
        each level row by row.
    """
    if not min_face_px > 0:
        raise ValueError(f"min_face_px must be positive, got {min_face_px!r}")
    sides = [min_face_px / face_fraction]
    while sides[-1] < max(width_px, height_px) / 2:
        sides.append(2 * sides[-1])
    boxes: list[CropBox] = []
    for side in reversed(sides):
        s = int(round(side))
        boxes += [CropBox(x0, y0, s, size_px) for y0 in _starts(height_px, s) for x0 in _starts(width_px, s)]
    return boxes


def _starts(length_px: int, side_px: int) -> list[int]:
    """Window starts along one axis: every half window, the last flush with the far edge; one
    centred window when the axis is shorter than a window."""
    if length_px <= side_px:
        return [(length_px - side_px) // 2]
    step = side_px / 2
    n = math.ceil((length_px - side_px) / step) + 1
    return [int(round(i * (length_px - side_px) / (n - 1))) for i in range(n)]


class SmallFaceFinder:
    """Find and follow a face that the full-frame FaceMesh misses (see the module notes).

    Call it with a frame and its time only when the full frame gave no face; call
    :meth:`reset` when the full frame has the face again.

    Parameters
    ----------
    search_interval_s : float
        Least video time between two searches of the whole frame.
    min_face_px : float
        Smallest face width (frame pixels) the search looks for. Narrower faces cannot be
        measured anyway; the pipeline asks for 3/4 of its limit (60 px, the default here), so
        that a face slightly too small is refused as such rather than as "no face". Halving it
        adds a level with about 4 times the windows of the smallest one (a search costs about
        3 ms a window: 24 windows on 1280 x 720 at 60 px).
    margin : float
        Side of the following crop over the face's larger extent. The face then spans about
        40 % of the crop: the size at which the detector finds it surely, with room for a
        fast head movement between two frames.
    crop_size_px, window_size_px : int
        Sides of the resized crop and search windows; twice the detector's 128 px input, so
        that a small face is enlarged rather than shrunk.
    finder, follower_factory : optional
        Still-image and video-mode landmark models (default: MediaPipe FaceMesh, one face).
        The follower is made afresh for each new find, so that its tracking starts from the
        new crop.
    """

    def __init__(self, *, search_interval_s: float = 0.5, min_face_px: float = 60.0, margin: float = 2.5,
                 crop_size_px: int = 256, window_size_px: int = 256, finder: LandmarkDetector | None = None,
                 follower_factory: Callable[[], LandmarkDetector] | None = None) -> None:
        self.search_interval_s = float(search_interval_s)
        self.min_face_px = float(min_face_px)
        self.margin = float(margin)
        self.crop_size_px = int(crop_size_px)
        self.window_size_px = int(window_size_px)
        self._own_finder = finder is None
        self._finder = finder if finder is not None else MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1)
        self._new_follower = follower_factory if follower_factory is not None else MediaPipeFaceMesh
        self._follower: LandmarkDetector | None = None
        self._box: CropBox | None = None
        self._last_search_t = -math.inf
        self._windows: dict[tuple[int, int], list[CropBox]] = {}
        self.searches = 0
        self.windows_tried = 0

    @property
    def following(self) -> bool:
        """A face is being followed in a crop."""
        return self._box is not None

    def __call__(self, image_rgb: np.ndarray, t_s: float) -> FaceObservation | None:
        """The face of a frame where the full frame found none, or ``None``.

        Parameters
        ----------
        image_rgb : np.ndarray [shape=(H, W, 3), dtype=uint8]
        t_s : float
            Time of the frame (s); searches are spaced by video time, not frame counts.
        """
        if self._box is not None:
            obs = self._follow(image_rgb)
            if obs is not None:
                return obs
            self.reset()
        if t_s - self._last_search_t < self.search_interval_s:
            return None
        self._last_search_t = t_s
        found = self._search(image_rgb)
        if found is None:
            return None
        self._start_following()
        self._box = self._box_around(found.landmarks_px)
        obs = self._follow(image_rgb)
        # the follower missed a face the search saw: keep the search's landmarks for this frame
        # and try the follower again on the next one
        return obs if obs is not None else found

    def reset(self) -> None:
        """Stop following (the face was lost, or the full frame sees it again)."""
        self._box = None
        if self._follower is not None:
            self._follower.close()
            self._follower = None

    def close(self) -> None:
        self.reset()
        if self._own_finder:
            self._finder.close()

    def __enter__(self) -> "SmallFaceFinder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------
    def _box_around(self, landmarks_px: np.ndarray) -> CropBox:
        return CropBox.around(landmarks_px, margin=self.margin, min_size_px=self.crop_size_px)

    def _start_following(self) -> None:
        if self._follower is not None:
            self._follower.close()
        self._follower = self._new_follower()

    def _follow(self, image_rgb: np.ndarray) -> FaceObservation | None:
        obs = self._box.observe(self._follower, image_rgb)
        if obs is not None:
            self._box = self._box_around(obs.landmarks_px)  # re-centred for the next frame
        return obs

    def _search(self, image_rgb: np.ndarray) -> FaceObservation | None:
        self.searches += 1
        h, w = image_rgb.shape[:2]
        windows = self._windows.get((w, h))
        if windows is None:
            windows = self._windows[(w, h)] = search_windows(w, h, min_face_px=self.min_face_px,
                                                             size_px=self.window_size_px)
        for box in windows:
            self.windows_tried += 1
            obs = box.observe(self._finder, image_rgb)
            if obs is not None:
                return obs
        return None
