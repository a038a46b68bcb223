"""A real video as another camera or app would have given it: smaller, mirrored, at a lower or
uneven frame rate, noisier, held at a tilt, re-encoded (H.264, repeatably: the same call writes
the same file).

The labelled real videos come from a few sources at one size and rate each; people will film
with phones and webcams at others, and a selfie app may store the mirror image. A measure
that holds on the original must hold on these, and a call that changes with them (a side named
on the original and the other side, or none, on the copy; an alarm that appears at 3/4 size)
rests on something other than the face. Timestamps are kept from the source (frames dropped
leave gaps, as a phone's variable frame rate or a busy webcam does).
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from smilescope.testing.synth import h264_stream, zeroed_allocations


def recapture(src: str | Path, dst: str | Path, *, scale: float = 1.0, mirror: bool = False, keep_every: int = 1,
              crf: int = 18, noise_sd: float = 0.0, drop_fraction: float = 0.0, tilt_deg: float = 0.0,
              seed: int = 0) -> Path:
    """Write ``src`` again into ``dst``: each frame resized by ``scale`` (area interpolation),
    flipped left-right when ``mirror``, only every ``keep_every``-th frame kept (timestamps
    unchanged, so 30 fps becomes 15 fps with ``keep_every=2``), H.264 at ``crf``.

    ``noise_sd`` adds a camera sensor's noise (grey levels, new in every frame: small sensors in
    dim light give 2-6); ``drop_fraction`` drops that share of the frames at random (at most
    two in a row, never the first), leaving uneven gaps in time; ``tilt_deg`` turns the picture
    about its centre (positive: anticlockwise, as a phone held tilted; edges replicated). Random
    choices come from ``seed``, so the same call writes the same file.
    """
    dst = Path(dst)
    rng = np.random.default_rng(seed)
    with av.open(str(src)) as ic, zeroed_allocations():
        ist = ic.streams.video[0]
        w, h = ist.codec_context.width, ist.codec_context.height
        w, h = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
        oc = av.open(str(dst), "w")
        try:
            ost = h264_stream(oc, width=w, height=h, rate=ist.average_rate, time_base=ist.time_base, crf=crf)
            if ist.sample_aspect_ratio is not None and ist.sample_aspect_ratio > 0:
                # the copy keeps the source's pixel shape (an app re-encoding a clip keeps its aspect)
                ost.codec_context.sample_aspect_ratio = ist.sample_aspect_ratio
            dropped = 0
            for i, frame in enumerate(ic.decode(ist)):
                if i % keep_every:
                    continue
                drop = drop_fraction > 0 and rng.random() < drop_fraction  # drawn for every frame kept so far
                if i > 0 and drop and dropped < 2:
                    dropped += 1
                    continue
                dropped = 0
                img = frame.to_ndarray(format="rgb24")
                if mirror:
                    img = img[:, ::-1]
                if (w, h) != (img.shape[1], img.shape[0]):
                    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
                if tilt_deg:
                    m = cv2.getRotationMatrix2D((w / 2, h / 2), tilt_deg, 1.0)
                    img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                if noise_sd > 0:
                    img = np.clip(np.rint(img + rng.normal(0.0, noise_sd, img.shape)), 0, 255).astype(np.uint8)
                out = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
                out.pts, out.time_base = frame.pts, frame.time_base
                for packet in ost.encode(out):
                    oc.mux(packet)
            for packet in ost.encode():
                oc.mux(packet)
        finally:
            oc.close()
    return dst
