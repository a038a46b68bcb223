"""An iterator run ahead in a thread (decoding beside the work on the frames before)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator


def prefetch(it: Iterable, depth: int = 8) -> Iterator:
    """Run the iterator ``it`` ahead in a thread, at most ``depth`` items ahead.

    Errors raised in the thread reach the consumer; when the consumer stops early (an error,
    Ctrl-C), the thread is told to stop and is waited for, so no native call is left running
    on a closed resource.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work():
        try:
            for x in it:
                if stop.is_set():
                    return
                q.put(x)
            q.put(done)
        except BaseException as e:  # hand the error to the consumer
            q.put(e)

    th = threading.Thread(target=work, daemon=True)
    th.start()
    try:
        while True:
            x = q.get()
            if x is done:
                return
            if isinstance(x, BaseException):
                raise x
            yield x
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(0.05)
