"""A real video as another camera or app would have given it: smaller, mirrored, or at a lower
frame rate, re-encoded (H.264, repeatably: the same call writes the same file).

The labelled real videos come from a few sources at one size and rate each; people will film
with phones and webcams at others, and a selfie app may store the mirror image. A measure
that holds on the original must hold on these, and a call that changes with them (a side named
on the original and the other side, or none, on the copy; an alarm that appears at 3/4 size)
rests on something other than the face. Timestamps are kept from the source.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np

from smilescope.testing.synth import h264_stream, zeroed_allocations


def recapture(src: str | Path, dst: str | Path, *, scale: float = 1.0, mirror: bool = False, keep_every: int = 1,
              crf: int = 18) -> Path:
    """Write ``src`` again into ``dst``: each frame resized by ``scale`` (area interpolation),
    flipped left-right when ``mirror``, only every ``keep_every``-th frame kept (timestamps
    unchanged, so 30 fps becomes 15 fps with ``keep_every=2``), H.264 at ``crf``."""
    dst = Path(dst)
    with av.open(str(src)) as ic, zeroed_allocations():
        ist = ic.streams.video[0]
        w, h = ist.codec_context.width, ist.codec_context.height
        w, h = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
        oc = av.open(str(dst), "w")
        try:
            ost = h264_stream(oc, width=w, height=h, rate=ist.average_rate, time_base=ist.time_base, crf=crf)
            for i, frame in enumerate(ic.decode(ist)):
                if i % keep_every:
                    continue
                img = frame.to_ndarray(format="rgb24")
                if mirror:
                    img = img[:, ::-1]
                if (w, h) != (img.shape[1], img.shape[0]):
                    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
                out = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
                out.pts, out.time_base = frame.pts, frame.time_base
                for packet in ost.encode(out):
                    oc.mux(packet)
            for packet in ost.encode():
                oc.mux(packet)
        finally:
            oc.close()
    return dst
