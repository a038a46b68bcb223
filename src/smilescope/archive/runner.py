"""Batch analysis on Dask: every video of an archive analysed as ``smilescope analyze`` does.

The client (:func:`batch`) lists the videos (:mod:`.manifest`), sends one task per video to a
Dask ``distributed`` cluster — a :class:`~distributed.LocalCluster` of single-threaded worker
processes, or a running scheduler given by address — and collects one summary row per video
(:mod:`.summary`) as the tasks finish.

Each task (:func:`analyse_one`) runs in a worker process and writes that video's folder
``OUT/<name>/`` as one set (:func:`smilescope.output.save_run`: a hidden sibling folder swapped
into place), so an interrupt or a killed worker leaves the previous set or none, never half of
one:

* ``analysis.json`` and ``signals.parquet`` (one row per frame), as ``analyze`` computes them;
* ``batch.json``: the video's content hash, the settings, and its summary row (for a failed
  video, the error and only this file).

A rerun reads ``batch.json`` first: the same bytes (SHA-256) analysed with the same settings
and the same smilescope are not analysed again; a changed setting or file is. A video that
failed as bad input (a truncated file, no face) is not retried on the same bytes and settings
either, as it would fail the same way; one that failed with an internal error is.

Workers keep their MediaPipe graphs from one video to the next
(:func:`smilescope.track.models.process_models`) and read frames one at a time, so a worker's
memory does not grow with the length of a video beyond the per-frame numbers (see
``benchmarks/batch.py`` for the figures). With one thread per worker and a worker per core, a
worker runs its stages one after the other and decodes on its own thread
(``analyze(one_core=True)``): the cores are already busy with the other workers' videos.

With ``scheduler=ADDRESS`` the workers are someone else's processes, possibly on other
machines: they need smilescope installed, and the videos and the output folder at the same
paths as here (a shared file system). The client checks that it can see what they wrote.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import resource
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path

import pydantic

from smilescope._version import __version__
from smilescope.archive.manifest import BatchItem, read_inputs
from smilescope.archive.summary import parquet_bytes, summary_row, to_frame, write_summary
from smilescope.errors import BadInputError, check_positive
from smilescope.output import check_out_dir, save_run

#: batch.json's layout; a change makes earlier records unreadable as "done" (they are redone).
RECORD_SCHEMA = 1
RECORD = "batch.json"
#: A long batch rewrites its summary after each video measured anew, and at least this often (s)
#: while it keeps earlier results, so a kill loses at most this much of it.
SUMMARY_EVERY_S = 60.0
#: What a worker needs for a long video (MB): 430-510 MB measured (benchmarks/batch.py), +7 MB
#: per minute of video; with room for a 30-minute recording.
WORKER_MB = 1024


class OutputError(BadInputError):
    """The batch's output cannot be written (a full disk, no permission): every further video
    would fail the same way, so the batch stops; what is finished stays."""


@dataclass(frozen=True)
class BatchSettings:
    """What changes the numbers, and so decides whether an earlier result can be kept.

    Attributes
    ----------
    fps : float or None
        Frame rate of image sequences (video files carry their own timestamps).
    mirrored : bool or None
        Every video plays as a mirror image (None: as each file says).
    refine : bool
        Optical-flow refinement of the landmarks (``analyze --no-refine`` turns it off).
    """

    fps: float | None = None
    mirrored: bool | None = None
    refine: bool = True

    def for_item(self, path: Path) -> "BatchSettings":
        """The settings that apply to one input: a video file carries its own timestamps, so
        ``fps`` (for folders of images) neither reaches its analysis nor redoes it when changed."""
        return dataclasses.replace(self, fps=None) if Path(path).is_file() else self

    def fingerprint(self) -> str:
        """SHA-256 of the settings, the pipeline's configuration, the versions of smilescope
        and the libraries whose numbers it reports, and smilescope's own code (computed where the
        work runs: a worker of another installation gets its own)."""
        from smilescope.pipeline import PipelineConfig  # noqa: PLC0415 - MediaPipe: only in workers

        cfg = dataclasses.asdict(PipelineConfig(refine=self.refine))
        doc = {"settings": dataclasses.asdict(self), "config": cfg, "versions": _versions(),
               "record_schema": RECORD_SCHEMA}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str | None]:
    """smilescope's version and those of the libraries that make its numbers (read once per process)."""
    from importlib import metadata

    out: dict[str, str | None] = {"smilescope": __version__, "smilescope_code_sha256": code_sha256()}
    for dist in ("mediapipe", "av", "opencv-contrib-python", "opencv-python", "numpy", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


@functools.lru_cache(maxsize=4)
def code_sha256(root: Path | None = None) -> str:
    """SHA-256 of smilescope's own code and data (every file of the installed package but its
    caches and the web app's pages), read once per process.

    The version number alone does not show a change: a fix pulled into a checkout, or a newer
    build under the same number, measures differently, and a batch must then redo its videos
    rather than keep numbers the code no longer gives. ``root``: the package folder (default:
    this installation's)."""
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root).as_posix()
        if not f.is_file() or "__pycache__" in f.parts or rel.startswith("web/") or f.suffix in (".pyc", ".pyo"):
            continue
        h.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands, after each finished video."""

    done: int  # finished, whether analysed, kept from an earlier run or failed
    failed: int
    reused: int
    total: int
    elapsed_s: float
    last: str  # the name of the video that just finished


# -- one video (runs in a worker) ----------------------------------------------------------

def content_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, or of the images a folder of frames is read from (names and
    bytes, in name order: :data:`smilescope.io.IMAGE_SUFFIXES`, not hidden, not in sub-folders)."""
    from smilescope.io import IMAGE_SUFFIXES  # noqa: PLC0415 - PyAV: only in workers

    if not path.exists():
        raise FileNotFoundError(path)
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(
        p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES)
    for f in files:
        if f is not path:
            h.update(os.fsencode(f.name) + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


class _Record(pydantic.BaseModel):
    """batch.json as read back (a kept validator: a damaged file counts as no record)."""

    model_config = pydantic.ConfigDict(extra="ignore")
    record_schema: int
    content_sha256: str
    settings_sha256: str
    row: dict


def _read_record(folder: Path) -> _Record | None:
    try:
        rec = _Record.model_validate_json((folder / RECORD).read_bytes())
    except (OSError, ValueError):
        return None
    return rec if rec.record_schema == RECORD_SCHEMA else None


def _peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)


def analyse_one(item: BatchItem, out_root: str, settings: BatchSettings, *, pin: bool = False) -> dict:
    """Analyse one video into ``out_root/<item.name>/`` (or keep an earlier result) and return
    its summary row. Bad input and internal errors become a failed row; only an output that
    cannot be written raises (:class:`OutputError`).

    ``pin``: keep this worker process on one core of its own (our local cluster, a worker per
    core; see :func:`_one_core`)."""
    t0 = time.perf_counter()
    settings = settings.for_item(item.path)
    fingerprint = settings.fingerprint()
    folder = Path(out_root) / item.name
    row = {"name": item.name, "path": _text(item.path), "subject": item.subject, "session": item.session,
           "label": item.label, "reused": False}
    try:
        digest = content_sha256(item.path)
    except FileNotFoundError:
        return _failed(row, folder, None, settings, fingerprint, t0, "bad input",
                       f"{item.path} does not exist. Check the path (a manifest's relative paths start at its own folder).")
    except OSError as e:
        return _failed(row, folder, None, settings, fingerprint, t0, "bad input", f"Cannot read {item.path}: {e.strerror or e}.")
    row["content_sha256"] = digest
    rec = _read_record(folder)
    if rec is not None and rec.content_sha256 == digest and rec.settings_sha256 == fingerprint:
        kept = rec.row.get("status") == "ok" and (folder / "analysis.json").is_file()
        if kept or rec.row.get("error_kind") == "bad input":
            return {**rec.row, **{k: row[k] for k in ("name", "path", "subject", "session", "label")}, "reused": True}
    from smilescope.pipeline import PipelineConfig, analyze  # noqa: PLC0415 - MediaPipe: in workers, not the client
    from smilescope.track.models import process_models  # noqa: PLC0415 - as above

    _one_core(pin)
    t1 = time.perf_counter()
    try:
        result = analyze(item.path, fps=settings.fps, mirrored=settings.mirrored,
                         config=PipelineConfig(refine=settings.refine), models=process_models(), one_core=True)
    except BadInputError as e:
        return _failed(row, folder, digest, settings, fingerprint, t0, "bad input", str(e))
    except Exception as e:  # noqa: BLE001 - recorded with its traceback; the batch goes on
        return _failed(row, folder, digest, settings, fingerprint, t0, "internal error", f"{type(e).__name__}: {e}",
                       trace=traceback.format_exc())
    t2 = time.perf_counter()
    row.update(summary_row(result), status="ok", error_kind="", error="")
    files = {"analysis.json": result.to_json() + "\n", "signals.parquet": parquet_bytes(result.signals.to_frame())}
    row.update(processing_s=time.perf_counter() - t0, worker_peak_mb=_peak_mb())
    timing = {"hash_s": t1 - t0, "analyse_s": t2 - t1, "serialise_s": time.perf_counter() - t2}
    _save(folder, {**files, RECORD: _record(row, digest, fingerprint, settings, timing=timing)})
    return row


def _one_core(pin: bool = False) -> None:
    """Set a worker process up for this work, once: OpenCV on one thread (its pool's workers
    spin while they wait, taking CPU from the other workers' videos for no gain), glibc's
    allocator back to keeping frame-sized buffers, and with ``pin`` every thread of the
    process on the core numbered by the worker's name (0, 1, ... in our local cluster).

    Pinning: MediaPipe hands each frame between its own threads several times; with two
    workers on two cores, those threads otherwise wander between the cores and wait behind
    the other worker's, which cost 20 % per video (4.6 s -> 5.5 s for a 10 s clip, measured);
    pinned, the two workers ran 1.73-1.81 times one worker's rate.

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes
    glibc's mmap threshold at 128 kB: every frame buffer (2.7 MB at 1280x720) is then mapped
    and unmapped for each frame, and the page faults doubled the analysis's CPU time (4.6 s ->
    9.2 s for a 10 s video, measured). Our own cluster starts workers without it
    (:class:`_client`); a worker of someone else's cluster is set right here.
    """
    import cv2  # noqa: PLC0415 - OpenCV: in workers, not the client

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") and sys.platform.startswith("linux") and not _MALLOC_SET:
        import ctypes  # noqa: PLC0415 - only under a nanny's malloc setting

        try:
            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's own ceiling for its dynamic threshold
            libc.mallopt(M_TRIM_THRESHOLD, 64 << 20)
        except (OSError, AttributeError):  # not glibc: nothing to undo
            pass
        _MALLOC_SET.append(True)
    if pin and not _PINNED and hasattr(os, "sched_setaffinity"):
        _PINNED.append(True)
        try:
            from distributed import get_worker  # noqa: PLC0415 - Dask: only for a batch

            cores = sorted(os.sched_getaffinity(0))
            core = cores[int(get_worker().name) % len(cores)]
        except (ValueError, TypeError, OSError):  # not one of our numbered workers: leave it
            return
        for tid in os.listdir("/proc/self/task"):  # threads made later inherit it
            try:
                os.sched_setaffinity(int(tid), {core})
            except OSError:
                pass


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_MALLOC_SET: list = []
_PINNED: list = []


def _record(row: dict, digest: str | None, fingerprint: str, settings: BatchSettings, trace: str = "",
            timing: dict | None = None) -> str:
    doc = {"record_schema": RECORD_SCHEMA, "smilescope": __version__, "worker_host": socket.gethostname(),
           "worker_pid": os.getpid(), "content_sha256": digest or "",
           "settings_sha256": fingerprint, "settings": dataclasses.asdict(settings), "row": row}
    if trace:
        doc["traceback"] = trace
    if timing:
        doc["timing"] = timing  # seconds: hashing the file, the analysis, making the files
    return json.dumps(doc, indent=2, default=str) + "\n"


def _failed(row: dict, folder: Path, digest: str | None, settings: BatchSettings, fingerprint: str, t0: float,
            kind: str, error: str, trace: str = "") -> dict:
    row = {**row, "status": "failed", "error_kind": kind, "error": error, "processing_s": time.perf_counter() - t0,
           "worker_peak_mb": _peak_mb()}
    if digest is not None:  # a file that could not be read at all leaves no folder behind
        _save(folder, {RECORD: _record(row, digest, fingerprint, settings, trace)})
    return row


def _save(folder: Path, files: dict) -> None:
    try:
        save_run(folder, files)
    except BadInputError as e:
        raise OutputError(e.what, e.hint) from None


# -- the batch (runs in the client) ----------------------------------------------------------

def batch(
    source,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    fps: float | None = None,
    mirrored: bool | None = None,
    refine: bool = True,
    progress: Callable[[BatchProgress], None] | None = None,
    notes: list[str] | None = None,
):
    """Analyse every video of ``source`` on Dask and return the summary (one row per video).

    Parameters
    ----------
    source : folder, manifest CSV, list of paths, or pandas DataFrame
        See :func:`smilescope.archive.manifest.read_inputs`. A manifest's ``subject``,
        ``session`` and ``label`` columns are carried into the summary.
    out : str or Path
        The batch's output folder: ``<name>/analysis.json``, ``<name>/signals.parquet`` and
        ``<name>/batch.json`` per video, ``summary.parquet`` and ``summary.csv`` for all.
    workers : int, optional
        Worker processes of the local cluster (default: the cores). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``): its workers do the work.
    fps, mirrored, refine
        As for :func:`smilescope.analyze`, for every video.
    progress : callable(BatchProgress), optional
        Called after each video.
    notes : list, optional
        Receives what the user should know that is not an error (files not taken, columns not
        carried).

    Returns
    -------
    pandas.DataFrame
        The summary, also written to ``out/summary.parquet`` and ``out/summary.csv``, in the
        order of the inputs; columns in :data:`smilescope.archive.summary.COLUMNS`.

    Raises
    ------
    BadInputError
        Nothing to analyse, an unreadable manifest, an output folder that cannot be used, a
        scheduler that cannot be reached, a full disk (the finished videos are kept).
    KeyboardInterrupt
        After writing the summary of the videos finished so far.
    """
    out = Path(out).expanduser()
    if workers is not None and workers < 1:
        raise BadInputError(f"The number of workers must be 1 or more (got {workers}).", "Leave it out (--workers) to use every core.")
    if fps is not None:
        check_positive("fps", fps)
    inputs = read_inputs(source, out_dir=out)
    if notes is not None:
        notes.extend(inputs.notes)
    _check_out(out)
    settings = BatchSettings(fps=fps, mirrored=mirrored, refine=refine)
    items = keep_earlier_names(inputs.items, out)
    files = sum(Path(it.path).is_file() for it in items)
    if fps is not None and files and notes is not None:
        notes.append(f"the frame rate given ({fps:g} fps) applies to folders of images only: the {files} video "
                     f"file{'s' if files > 1 else ''} use{'' if files > 1 else 's'} {'their' if files > 1 else 'its'} "
                     "own timestamps")
    rows: dict[str, dict] = {}
    t0 = time.perf_counter()
    started_at = time.time()  # wall clock: a record written since then is this run's
    failed = reused = 0
    stopped = False
    try:
        with _client(workers, scheduler, len(items)) as cluster:
            client = cluster.client
            from distributed import as_completed  # noqa: PLC0415 - Dask: only for a batch

            # a key of this run only: on a shared scheduler another batch's task of the same
            # name must not be taken for ours
            run = uuid.uuid4().hex[:12]
            pin = cluster.pin
            futures = {client.submit(analyse_one, it, str(out.resolve()), settings, pin=pin, pure=False,
                                     key=f"smilescope-{run}-{i}"): it
                       for i, it in enumerate(items)}
            last_summary = time.monotonic()
            try:
                for fut in as_completed(futures):
                    it = futures[fut]
                    row = _collect(fut, it, out)
                    rows[it.name] = row
                    # a video measured anew: the summary on disk may still hold its earlier row
                    # (a rerun after it changed), which a kill must not leave standing; and a long
                    # batch of kept results: what is done so far
                    if not row.get("reused") or time.monotonic() - last_summary > SUMMARY_EVERY_S:
                        write_summary(to_frame([rows[x.name] for x in items if x.name in rows]), out)
                        last_summary = time.monotonic()
                    failed += row.get("status") != "ok"
                    reused += bool(row.get("reused"))
                    if progress is not None:
                        progress(BatchProgress(done=len(rows), failed=failed, reused=reused, total=len(items),
                                               elapsed_s=time.perf_counter() - t0, last=it.name))
            except BaseException:
                # rows that finished while the loop was stopping are kept in this run's summary
                # (they were on disk but missing from it), then the rest is cancelled
                for fut, it in futures.items():
                    if it.name not in rows and fut.status == "finished":
                        try:
                            rows[it.name] = _collect(fut, it, out)
                        except Exception:  # noqa: BLE001 - stopping anyway: the rerun reads it from disk
                            pass
                client.cancel(list(futures))
                stopped = True
                raise
    finally:
        if stopped:
            # read from disk once the cluster is closed: a video whose worker was still writing
            # while the batch stopped finishes its (atomic) write during the shutdown
            rows.update(written_since(items, out, rows, settings=settings, since=started_at))
        if rows:  # what is finished is summarised, also when the batch stops early
            frame = to_frame([rows[it.name] for it in items if it.name in rows])
            write_summary(frame, out)
    return frame


def written_since(items, out: Path, rows: dict, *, settings: BatchSettings, since: float) -> dict[str, dict]:
    """Rows of videos a worker finished writing but whose result had not reached this process
    when the batch stopped (Ctrl-C, a full disk): their folder's record was written after
    ``since`` (the run's start, wall clock) with this run's settings. Read from disk, no hashing,
    so stopping stays quick."""
    found = {}
    fingerprints: dict[bool, str] = {}  # by "a video file": the two settings an input can have
    for it in items:
        if it.name in rows:
            continue
        is_file = Path(it.path).is_file()
        if is_file not in fingerprints:
            fingerprints[is_file] = settings.for_item(it.path).fingerprint()
        fingerprint = fingerprints[is_file]
        folder = out / it.name
        try:
            fresh = (folder / RECORD).stat().st_mtime >= since
        except OSError:
            continue
        rec = _read_record(folder) if fresh else None
        if rec is None or rec.settings_sha256 != fingerprint:
            continue
        if rec.row.get("status") == "ok" and not (folder / "analysis.json").is_file():
            continue
        found[it.name] = {**rec.row, "name": it.name, "path": _text(it.path), "subject": it.subject,
                          "session": it.session, "label": it.label, "reused": False}
    return found


def _cores() -> set[int]:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))


def _collect(fut, item: BatchItem, out: Path) -> dict:
    """A finished task's row; a task that died (its worker killed, a crash in native code)
    becomes a failed row rather than stopping the batch."""
    try:
        row = fut.result()
    except OutputError:
        raise
    except CancelledError:
        raise BadInputError("The batch lost its Dask scheduler (its tasks were cancelled).",
                            "Check that the scheduler still runs, then run the same command again: finished videos are kept.") from None
    except Exception as e:  # noqa: BLE001 - KilledWorker (a worker died in native code or out of memory), ...
        return {"name": item.name, "path": _text(item.path), "subject": item.subject, "session": item.session,
                "label": item.label, "reused": False, "status": "failed", "error_kind": "internal error",
                "error": f"the worker analysing it stopped ({type(e).__name__}: {e})"}
    if row.get("status") == "ok" and not (out / item.name / "analysis.json").is_file():
        raise OutputError(f"The workers wrote {item.name}'s results where this computer cannot see them "
                          f"({out / item.name}).",
                          "With --scheduler, give an output folder on a file system the workers share, at the same path.")
    return row


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BadInputError(f"{out} is a file; the batch's output is a folder.", "Give a folder for the output (--out).")
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise BadInputError(f"Cannot create the output folder {out}: {e.strerror or e}.", "Choose another output folder (--out).") from e
    check_out_dir(out / ".smilescope-check")  # writable, not a link loop (the name is never created)


class _client:
    """A Dask client on a local cluster of one-thread worker processes, or on ``scheduler``.

    ``pin``: whether the workers may each keep to a core (our cluster, a worker per core).
    """

    def __init__(self, workers: int | None, scheduler: str | None, n_items: int) -> None:
        self.workers, self.scheduler, self.n_items = workers, scheduler, n_items
        self.cluster = self.client = None
        self.pin = False

    def __enter__(self) -> "_client":
        from distributed import Client, LocalCluster  # noqa: PLC0415 - Dask: only for a batch

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as e:
                raise BadInputError(f"Cannot reach the Dask scheduler at {self.scheduler}: {e}.",
                                    "Give its address as tcp://HOST:8786 (not the dashboard's http:// address); start it "
                                    "with `dask scheduler` and `dask worker ADDRESS` on each machine, or leave out "
                                    "--scheduler to use this computer's cores.") from None
            self._check_workers()
            return self
        cores = len(_cores())
        n = min(self.workers or cores, self.n_items)
        total_mb = _memory_mb()
        if self.workers is None and total_mb:
            n = max(1, min(n, total_mb // WORKER_MB))  # a worker per core, as memory allows
        elif total_mb and n * WORKER_MB > total_mb:
            raise BadInputError(f"{n} workers need about {n * WORKER_MB} MB of memory; this computer has {total_mb} MB.",
                                f"Use {max(1, total_mb // WORKER_MB)} workers or fewer (--workers).")
        self.pin = n == cores
        # One thread per worker: MediaPipe and the per-frame steps are not shared between
        # videos, and a core per worker is what the workers are counted in. No dashboard, and
        # the scheduler's small HTTP service on a free port of 127.0.0.1 (not 8787: two batches
        # at once must not meet there). Workers without Dask's malloc setting (see _one_core)
        # and without its statistical profiler (every 10 ms, for the dashboard we do not show:
        # it cost 8 % of a video's time).
        import dask  # noqa: PLC0415 - as above

        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.worker.profile.enabled": False}):
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                        silence_logs=logging.ERROR, memory_limit=max(total_mb // n, WORKER_MB) << 20 if total_mb else "auto",
                                        env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
        self.client = Client(self.cluster)
        return self

    def _check_workers(self) -> None:
        """Someone else's cluster: it has workers, and they run this smilescope."""
        try:
            self.client.wait_for_workers(1, timeout=30)
        except TimeoutError:
            raise BadInputError(f"The Dask scheduler at {self.scheduler} has no workers.",
                                "Start one on each machine: dask worker " + str(self.scheduler)) from None
        try:
            found = self.client.run(_worker_version)
        except Exception as e:  # noqa: BLE001 - whatever a worker raised: it cannot do the work
            raise BadInputError(f"The workers of {self.scheduler} cannot run smilescope ({type(e).__name__}: {e}).",
                                f"Install smilescope {__version__} on every worker machine.") from None
        other = sorted({v for v in found.values() if v != __version__})
        if other:
            raise BadInputError(f"The workers of {self.scheduler} run smilescope {', '.join(other)}, this is {__version__}.",
                                f"Install smilescope {__version__} on every worker machine, so all videos are measured alike.")

    def __exit__(self, exc_type, *exc) -> None:
        # after Ctrl-C the cluster's shutdown cancels tasks mid-flight, and Dask logs that at
        # ERROR level with a traceback (a nanny's CancelledError): the user asked to stop, and
        # the batch says so itself, so only a CRITICAL message may show while it closes
        quiet = _Quiet("distributed") if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) else None
        try:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            if quiet is not None:
                quiet.restore()


class _Quiet:
    """Raise every logger under ``prefix`` to CRITICAL until :meth:`restore`."""

    def __init__(self, prefix: str) -> None:
        names = [n for n in logging.root.manager.loggerDict if n == prefix or n.startswith(prefix + ".")]
        self._levels = {n: logging.getLogger(n).level for n in names}
        for n in names:
            logging.getLogger(n).setLevel(logging.CRITICAL)

    def restore(self) -> None:
        for n, level in self._levels.items():
            logging.getLogger(n).setLevel(level)


def _worker_version() -> str:
    from smilescope._version import __version__ as there  # noqa: PLC0415 - runs in a worker: is smilescope installed there?

    return there


def _memory_mb() -> int:
    """This computer's memory (MB), 0 when unknown."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20))
    except (ValueError, OSError, AttributeError):
        return 0


def keep_earlier_names(items: tuple[BatchItem, ...], out: Path) -> tuple[BatchItem, ...]:
    """Each video keeps the results folder an earlier run of ``out`` gave it.

    Folder names are worked out from the whole set of videos (two named ``d18`` get their
    suffixes), so a file added later could rename a finished video's folder: it would then be
    analysed again and its old folder left outside the summary. A video whose path an earlier
    ``batch.json`` records keeps that folder's name, unless another video of this run already
    has it.
    """
    if not out.is_dir():
        return items
    earlier: dict[str, str] = {}
    for rec_file in out.glob(f"*/{RECORD}"):
        rec = _read_record(rec_file.parent)
        if rec is not None and isinstance(rec.row.get("path"), str):
            earlier.setdefault(rec.row["path"], rec_file.parent.name)
    wanted = [earlier.get(_text(it.path), it.name) for it in items]
    if len({n.lower() for n in wanted}) < len(wanted):
        return items  # an earlier name is now another video's: this run's names, as a fresh batch
    return tuple(it if n == it.name else dataclasses.replace(it, name=n) for it, n in zip(items, wanted))


def _text(p: Path) -> str:
    """A path as text for the summary: a name that is not valid UTF-8 keeps its bytes as \\x.. escapes."""
    return os.fsencode(str(p)).decode("utf-8", "backslashreplace")
