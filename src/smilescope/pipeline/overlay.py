"""Key frames of an analysed video with their landmarks, so a user can see that the tracking held:
the relaxed reference, each smile's apex and each twitch (at most :data:`MAX_FRAMES`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smilescope.io import open_video
from smilescope.results import Analysis
from smilescope.track.facemesh import MediaPipeFaceMesh

MAX_FRAMES = 8


def key_times(result: Analysis) -> list[tuple[float, str]]:
    """(time in s, label) of the frames worth a look, in time order."""
    out: list[tuple[float, str]] = []
    if result.reference is not None and result.reference.t_s is not None:
        out.append((float(result.reference.t_s), "relaxed reference"))
    for i, ep in enumerate(result.smile.episodes if result.smile is not None else []):
        if ep.apex_s is not None:
            out.append((float(ep.apex_s), f"smile {i + 1} apex"))
    for tw in (result.twitches.twitches if result.twitches is not None else []):
        if tw.t_s is not None:
            out.append((float(tw.t_s), f"twitch ({tw.side} {tw.region})"))
    out.sort()
    return out[:MAX_FRAMES]


def key_frames(path: str | Path, result: Analysis, *, fps: float | None = None,
               mirrored: bool = False) -> list[tuple[np.ndarray, np.ndarray | None, str]]:
    """(RGB frame, landmarks px or None, label) for each of :func:`key_times`, read again from
    the video (frames are never kept by the analysis)."""
    wanted = key_times(result)
    if not wanted:
        return []
    best: dict[int, tuple[float, np.ndarray]] = {}
    with open_video(path, fps=fps, mirrored=mirrored) as src:
        for f in src:
            for i, (t, _) in enumerate(wanted):
                if i not in best or abs(f.t_s - t) < abs(best[i][0] - t):
                    best[i] = (f.t_s, f.rgb)
            if f.t_s > wanted[-1][0] + 1.0:
                break
    out = []
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1) as det:
        for i, (t, label) in enumerate(wanted):
            t_f, rgb = best[i]
            obs = det(rgb)
            out.append((rgb, None if obs is None else obs.landmarks_px, f"{label}, {t_f:.2f} s"))
    return out
