"""The one place that flattens results into files: analysis.json and signals.csv.

It writes files and draws nothing: figures are drawn by :mod:`smilescope.report.figures` and
handed over as bytes by whoever wants them on disk.

Single files (:func:`atomic_write`) go to a temporary name in the same folder and are renamed
into place. The files of one run (:func:`save_run`: analysis.json, signals.csv, figures) must
never mix with another run's, so they are written into a fresh sibling folder, flushed to disk,
and swapped with the output folder as a whole (one atomic ``renameat2(RENAME_EXCHANGE)`` on
Linux; two renames elsewhere, repaired by the next run if a kill falls between them). A full
disk, a kill or Ctrl-C at any moment leaves the output folder holding exactly one run's complete
set (the old one or the new one), and the next run removes what a killed run left behind.
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import IO, Any, Union

import numpy as np

from smilescope.errors import BadInputError, InterruptedAfterWriting

try:  # POSIX only: on other systems two runs into one parent folder are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The files smilescope writes into an output folder (``analyze``, ``grade``, ``report``). A run
#: replaces the whole folder, so it refuses a folder holding anything else: it never deletes a
#: file it did not write.
OUTPUT_NAMES = frozenset({"analysis.json", "signals.csv", "smile.png", "spectrum.png", "twitches.png",
                          "grading.json", "report.html", "report.pdf", "overlay.png", "photo.json",
                          "signals.parquet", "batch.json"})  # the last two: a batch's per-video folder
# ``smilescope photo``'s pictures: NN_<photo name>_annotated.png
_ANNOTATED = re.compile(r"\d{2,}_.+_annotated\.png")  # 01_..., 100_... (``photo``)
# A temporary that a killed single-file write left (``atomic_write``: .NAME.XXXXXXXX.tmp; Chromium
# printing report.pdf: .report.pdf.XXXXXXXX.pdf): smilescope's own, replaced with the folder.
_OWN_TEMP = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.(?:tmp|pdf)")
NAME_MAX_BYTES = 255  # a file name's limit on the usual file systems (ext4, APFS, NTFS in UTF-16 units)
# What file managers drop into any folder they show; harmless to replace with the folder.
_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# Sibling temporaries of an output folder OUT: .OUT.smilescope-new-XXXX (a run being written) and
# .OUT.smilescope-old-XXXX (the previous set, between the two renames of the fallback swap).
_MARK = ".smilescope-"

#: What :func:`save_run` accepts per file name: bytes, text, or a function writing to a text file.
FileContent = Union[bytes, str, Callable[[IO[str]], Any]]


def plain(x: Any) -> Any:
    """JSON-ready Python: dataclasses (their ``to_dict`` when they have one) become dicts, numpy
    arrays lists, numpy scalars plain numbers, NaN and infinity ``None`` (JSON has no NaN)."""
    if hasattr(x, "to_dict") and is_dataclass(x):
        return plain(x.to_dict())
    if is_dataclass(x) and not isinstance(x, type):
        return {f.name: plain(getattr(x, f.name)) for f in fields(x)}
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    return x


def dumps(doc: dict, *, indent: int | None = 2) -> str:
    """JSON text with NaN/inf as ``null`` and numpy scalars as plain numbers."""
    return json.dumps(plain(doc), indent=indent, allow_nan=False)


def private_folder(folder: str | Path) -> Path:
    """Create ``folder`` and any missing parents readable by the owner only (0700).

    Folders that already exist are left as they are: they may be the user's own (a home
    folder, a shared drive), chosen by them.
    """
    folder = Path(folder)
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        try:
            p.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process
            pass
    return folder


def atomic_write(path: str | Path, write, *, binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary text file beside ``path``, then rename it into place.

    Raises
    ------
    BadInputError
        The disk is full or the folder is not writable (nothing is left half-written).
    """
    path = Path(path)
    try:
        if os.path.islink(path):
            try:
                os.stat(path)
            except FileNotFoundError:  # a link to nothing: replaced, as a missing file would be created
                pass  # (a link loop, ELOOP, is refused below, as every command refuses it, not replaced)
        private_folder(path.parent)  # what it creates is the owner's only: the files hold personal data
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _os_error(e, path) from e
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise _os_error(e, path) from e
    except BaseException:
        _unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: fh.write(data), binary=True)


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _os_error(e: OSError, path: Path) -> BadInputError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = "The disk is full" if e.errno == errno.ENOSPC else (
            "Your disk quota is used up" if e.errno == errno.EDQUOT else "A file size limit was reached")
        return BadInputError(f"{why}: could not write {path}; nothing was half-written and earlier results "
                             "there are unchanged.", "Free some space or choose another folder (--out, or the path given).")
    if e.errno == errno.EROFS:
        return BadInputError(f"Cannot write to {path.parent}: it is on a read-only file system.",
                             "Choose a folder you can write to (--out, or the path given).")
    if e.errno in (errno.EACCES, errno.EPERM):
        return BadInputError(f"Cannot write to {path.parent}: permission denied.",
                             "Choose a folder you can write to (--out, or the path given).")
    if e.errno == errno.ELOOP:
        return BadInputError(f"Cannot write {path}: a symbolic link on the way points back at itself (a link loop).",
                             "Remove or fix the link, or choose another folder (--out, or the path given).")
    return BadInputError(f"Could not write {path}: {e.strerror}.", "Choose another folder (--out, or the path given).")


# --------------------------------------------------------------------------- one run's set of files


def check_out_dir(out_dir: str | Path, *, kind: str | None = None) -> Path:
    """The folder a run's files will replace, checked before any work is done.

    Refused with what to do: a path that is a file (or a link to one), a link loop, a link to
    nothing, a folder holding files smilescope did not write (a run replaces the folder as a
    whole and never deletes what it did not write), a place that cannot be written; with
    ``kind`` ("video" or "photo"), a folder holding the other kind's result (``analyze x.mp4`` and
    ``photo x.jpg`` both default to ``out/x``: one would silently replace the other).

    Returns
    -------
    Path
        Absolute; a link to a folder is followed (the folder itself is replaced, the link stays).

    Raises
    ------
    BadInputError
    """
    given = Path(out_dir)
    p = Path(os.path.abspath(given))
    if p.parent == p:
        raise BadInputError(f"--out {given} is the root of the file system.", "Choose a folder for the results, e.g. --out out/NAME.")
    # the new set is written beside it as .NAME.smilescope-new-XXXXXXXX first: a name that fits
    # alone but not so failed only after the whole analysis ("File name too long")
    room = NAME_MAX_BYTES - len(f".{_MARK}new-XXXXXXXX.")
    if len(os.fsencode(p.name)) > room:
        raise BadInputError(f"The folder name {p.name[:40]}… is {len(os.fsencode(p.name))} bytes long; at most {room} "
                            "can be used (its results are written beside it under a longer temporary name first).",
                            "Choose a shorter folder name with --out, e.g. --out out/NAME.")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise BadInputError(f"--out {given} is a symbolic link loop: a link on the way points back at itself.",
                                "Remove or fix the link, or choose another folder with --out.") from None
        if e.errno == errno.ENOTDIR:
            raise BadInputError(f"--out {given}: a part of the path is a file, not a folder.",
                                "Choose a folder (it is created if missing), e.g. --out out/NAME.") from None
        raise _os_error(e, p / "analysis.json") from None
    if st is None:
        if os.path.islink(p):
            raise BadInputError(f"--out {given} is a link to {os.readlink(p)}, which does not exist.",
                                "Remove the link, create its target folder, or choose another folder with --out.")
        _check_can_create(p, given)
        return p
    if not os.path.isdir(p):
        raise BadInputError(f"--out {given} is a file, not a folder: the results are several files.",
                            "Give a folder (created if missing), e.g. --out out/NAME; the file is left as it is.")
    if os.path.islink(p):
        p = p.resolve()
    foreign = sorted(n for n in os.listdir(p) if n not in OUTPUT_NAMES and n not in _CLUTTER and not _ANNOTATED.fullmatch(n)
                     and not ((m := _OWN_TEMP.fullmatch(n)) and m["name"] in OUTPUT_NAMES))
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise BadInputError(
            f"The folder {given} holds files smilescope did not write ({', '.join(foreign[:3])}{more}); each run "
            "replaces its results folder as a whole, so it writes only into a new or empty folder or one of its own.",
            "Choose another folder with --out, e.g. --out out/NAME.")
    other = {"video": ("photo.json", "a photo analysis"), "photo": ("analysis.json", "a video analysis")}.get(kind or "")
    if other and os.path.exists(p / other[0]):
        raise BadInputError(f"The folder {given} holds {other[1]} ({other[0]}); this {kind} run would replace it.",
                            f"Choose another folder with --out, e.g. --out {given}-{kind}.")
    if os.path.ismount(p):
        raise BadInputError(f"--out {given} is a mount point (a drive or volume): the results folder is replaced as a whole "
                            "by renaming, which a mount point cannot be.", f"Give a folder inside it, e.g. --out {given}/NAME.")
    if not os.access(p.parent, os.W_OK | os.X_OK):
        raise BadInputError(f"Cannot write to {p.parent}: permission denied (the results folder is replaced as a whole).",
                            "Choose another folder with --out.")
    return p


def _check_can_create(p: Path, given: Path) -> None:
    """The nearest existing folder above ``p`` must be a writable folder."""
    up = p.parent
    while not os.path.lexists(up) and up.parent != up:
        up = up.parent
    if not os.path.isdir(up):
        raise BadInputError(f"--out {given}: {up} is a file, not a folder.",
                            "Choose a folder (it is created if missing), e.g. --out out/NAME.")
    if not os.access(up, os.W_OK | os.X_OK):
        raise BadInputError(f"Cannot write to {up}: permission denied.", "Choose another folder with --out.")


def save_run(out_dir: str | Path, files: Mapping[str, FileContent]) -> Path:
    """Replace the contents of ``out_dir`` by ``files``, as a whole.

    Each file is written into a fresh sibling folder (mode 0700, files 0600) and flushed to disk;
    then that folder and ``out_dir`` swap places and the previous set is removed. Leftovers of a
    run that was killed are removed first.

    Parameters
    ----------
    out_dir : str or Path
        The results folder (see :func:`check_out_dir`); created if missing.
    files : mapping of str to bytes, str or callable
        File name -> content; a callable is given a text file to write into.

    Returns
    -------
    Path
        The folder, now holding exactly ``files``.

    Raises
    ------
    BadInputError
        A refused folder (:func:`check_out_dir`), a full disk or an unwritable place; the
        previous contents of ``out_dir`` are then unchanged.
    """
    out = check_out_dir(out_dir)
    parent = out.parent
    try:
        _private_parents(parent)
    except OSError as e:
        raise _os_error(e, out / next(iter(files), "analysis.json")) from e
    swapped: list[bool] = []  # set in the same held-signals step as the swap itself
    try:
        with _locked(parent):
            _recover(out)
            new = None
            try:
                new = Path(tempfile.mkdtemp(prefix=f".{out.name}{_MARK}new-", dir=parent))
                for name, content in files.items():
                    _write_file(new / name, content)
                    _checkpoint("file-written")
                _fsync(new)
                _checkpoint("before-swap")
                new = _swap(new, out, swapped)
                _fsync(parent)
            except OSError as e:
                raise _os_error(e, out / getattr(e, "_smilescope_name", "")) from e
            finally:
                if new is not None:
                    with _signals_held():  # a set is removed whole, never half (an interrupt waits)
                        _remove(new)
    except KeyboardInterrupt:
        if swapped:  # the new set is in place, whole: say so, not "nothing was written"
            raise InterruptedAfterWriting(out) from None
        raise
    return out


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and `kill` (SIGTERM) wait until the block is done (then act as usual), on the main
    thread; elsewhere signals do not arrive anyway."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _private_parents(folder: Path) -> None:
    """Create ``folder`` and any missing parents owner-only (0700), like every folder smilescope
    makes for personal data (``mkdir(parents=True)`` would leave the parents 0755)."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for q in reversed(missing):
        q.mkdir(mode=0o700, exist_ok=True)


def _write_file(path: Path, content: FileContent) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                fh.write(content) if isinstance(content, str) else content(fh)
                fh.flush()
                os.fsync(fh.fileno())
    except OSError as e:
        e._smilescope_name = path.name  # type: ignore[attr-defined]  # named in the message
        raise


def _swap(new: Path, out: Path, swapped: list[bool]) -> Path | None:
    """Put ``new`` in the place of ``out``; return what is left to remove (the old set), if
    anything. ``swapped`` gets True in the same step (signals held) as the rename that puts the
    new set in place, so an interrupt is known to have come before or after it."""
    if not os.path.lexists(out):
        with _signals_held():
            os.rename(new, out)
            swapped.append(True)
        _checkpoint("after-swap")
        return None
    with _signals_held():
        exchanged = _exchange(new, out)  # one atomic step: no moment without a complete folder
        if exchanged:
            swapped.append(True)
    if exchanged:
        _checkpoint("after-swap")
        return new
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}{_MARK}old-", dir=out.parent))
    os.rename(out, old)  # replaces the empty placeholder folder
    try:
        _checkpoint("between-renames")
        with _signals_held():
            os.rename(new, out)
            swapped.append(True)
    except BaseException:  # an error or Ctrl-C between the renames: the previous set goes back
        if not swapped:
            os.rename(old, out)
        raise
    _checkpoint("after-swap")
    return old


def _recover(out: Path) -> None:
    """Remove what killed runs left beside ``out``; if one was killed between the two renames of
    the fallback swap (``out`` missing, the previous set aside), put the previous set back —
    the run that was killed did not finish, so its results do not count."""
    prefix = f".{out.name}{_MARK}"
    try:
        stale = [out.parent / n for n in os.listdir(out.parent) if n.startswith(prefix)]
    except OSError:
        return
    olds = sorted((p for p in stale if p.name.startswith(prefix + "old-") and p.is_dir() and not p.is_symlink()),
                  key=lambda p: p.stat().st_mtime)
    if olds and not os.path.lexists(out):
        os.rename(olds[-1], out)
        stale.remove(olds[-1])
    for p in stale:
        _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        _unlink(p)


def _fsync(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the renames are atomic all the same
    finally:
        os.close(fd)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (runs writing beside each other take turns, so a
    run never mistakes another's folder in progress for a killed run's leftovers)."""
    fd = None
    if fcntl is not None:
        try:
            fd = os.open(folder, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False  # a C library without renameat2 (glibc < 2.28, musl < 1.2.?)
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _checkpoint(point: str) -> None:
    """A named moment of :func:`save_run` ("file-written", "before-swap", "between-renames",
    "after-swap"); does nothing. Fault-injection tests replace it to kill the process there."""


def save_analysis(analysis, out_dir: str | Path, *, extra: Mapping[str, FileContent] | None = None) -> tuple[Path, Path]:
    """Replace the contents of ``out_dir`` by this analysis: ``analysis.json``, ``signals.csv`` and
    ``extra`` files (figures, drawn by the caller: this module writes and never draws), as one
    set (:func:`save_run`); return the paths of the first two.
    """
    text = analysis.to_json()
    files: dict[str, FileContent] = {"analysis.json": text + "\n", "signals.csv": analysis.signals.write_csv}
    files.update(extra or {})
    out = save_run(out_dir, files)
    return out / "analysis.json", out / "signals.csv"
