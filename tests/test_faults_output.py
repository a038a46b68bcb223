"""Fault injection for the output swap (issue 12, item 2): kills and a full disk never mix two runs.

A folder holding the complete results of one video (A) is analysed over with another (B) by
``smilescope analyze --figures`` in a subprocess that is killed (SIGKILL) at a named moment of
:func:`smilescope.output.save_run` (its ``_checkpoint`` hook, replaced in the subprocess), or
that runs on a nearly full disk (a small tmpfs when we are root, else RLIMIT_FSIZE). After each
case the folder must hold exactly one run's complete set, byte for byte the set that video gives
(analysis.json, signals.csv and figures of the same video); after the next run, the B set and no
leftovers. ``python benchmarks/faults_output.py`` runs the same cases and prints tried / passed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from smilescope.testing import synth

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
EXAMPLE = ROOT / "examples" / "d0.mp4"

# Runs the CLI as the console script does; argv: kill point ('' for none), swap ('exchange' or
# 'renames': the two-rename fallback of systems without renameat2), a cache file of the video's
# analysis (written by the first run, reused by the others: the swap is under test here, not the
# measures, and each case runs in a second instead of five), then the CLI arguments.
DRIVER = """
import os, pickle, signal, sys
import smilescope.output as o
import smilescope.pipeline as pipeline
point, swap, cache = sys.argv[1], sys.argv[2], sys.argv[3]
real = pipeline.analyze
def analyze(*a, **k):
    if os.path.exists(cache):
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    result = real(*a, **k)
    with open(cache, "wb") as fh:
        pickle.dump(result, fh)
    return result
pipeline.analyze = analyze
if swap == "renames":
    o._exchange = lambda a, b: False
if point:
    name, _, nth = point.partition("#")
    seen = [0]
    def checkpoint(p):
        if p == name:
            seen[0] += 1
            if seen[0] >= int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)
    o._checkpoint = checkpoint
sys.argv = ["smilescope", *sys.argv[4:]]
from smilescope.cli import main
main()
"""


@dataclass(frozen=True)
class Case:
    name: str
    point: str = ""  # kill point ("name#n": the n-th time it is reached)
    swap: str = "exchange"
    previous: bool = True  # the folder holds A's results before the run
    free_share: float | None = None  # a full disk: space left, as a share of the new set's size


KILLS = [
    Case("kill after the first file", "file-written#1"),
    Case("kill after the fourth file", "file-written#4"),
    Case("kill before the swap", "before-swap"),
    Case("kill after the swap", "after-swap"),
    Case("kill before the swap (two renames)", "before-swap", "renames"),
    Case("kill between the two renames", "between-renames", "renames"),
    Case("kill after the swap (two renames)", "after-swap", "renames"),
    Case("kill before the first rename (no previous results)", "before-swap", previous=False),
    Case("kill after the first rename (no previous results)", "after-swap", previous=False),
]
DISK = [Case(f"full disk, {share:.0%} of the new set's size left", free_share=share) for share in (0.0, 0.1, 0.5, 0.9)]
CASES = KILLS + DISK


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


class Bench:
    """Reference sets of the two videos, and the helpers every case uses."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.b_video = work / "b.mp4"
        face = synth.load_face(FACES / "yale01.jpg")
        synth.render(self.b_video, face=face, fps=30, duration_s=1.5, write_truth=False)
        self.videos = {"a": EXAMPLE, "b": self.b_video}
        self.ref: dict[str, Path] = {}
        self.sets: dict[str, dict[str, str]] = {}
        for key, video in self.videos.items():
            folder = work / f"ref-{key}"
            r = self.run(video, folder)
            assert r.returncode == 0, r.stderr
            self.ref[key], self.sets[key] = folder, digest(folder)

    def run(self, video: Path, out: Path, *, point: str = "", swap: str = "exchange", preexec=None):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SMILESCOPE_DB": "off"}
        cache = self.work / f"{Path(video).stem}.analysis.pickle"
        return subprocess.run([sys.executable, "-c", DRIVER, point, swap, str(cache), "analyze", str(video), "--out", str(out),
                               "--figures", "--no-save", "-q"],
                              capture_output=True, text=True, timeout=600, env=env, preexec_fn=preexec)

    def size(self, key: str) -> int:
        return sum(p.stat().st_size for p in self.ref[key].iterdir())

    def which_set(self, out: Path) -> str | None:
        """'a' or 'b' when ``out`` holds exactly that video's complete set; else None."""
        if not out.is_dir():
            return None
        got = digest(out)
        return next((k for k, s in self.sets.items() if got == s), None)

    @staticmethod
    def leftovers(out: Path) -> list[str]:
        return sorted(n for n in os.listdir(out.parent) if n.startswith(f".{out.name}."))


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def run_case(bench: Bench, case: Case, work: Path) -> None:
    """One case; raises AssertionError with what went wrong."""
    work.mkdir(parents=True, exist_ok=True)
    if case.free_share is None:
        out = work / "res"
        if case.previous:
            shutil.copytree(bench.ref["a"], out)
        r = bench.run(bench.b_video, out, point=case.point, swap=case.swap)
        assert r.returncode == -signal.SIGKILL, f"not killed at {case.point}: rc {r.returncode} {r.stderr[-500:]}"
        held = bench.which_set(out)
        if case.point == "between-renames":
            # the one moment of the two-rename fallback (systems without renameat2) with no folder:
            # the previous set waits complete beside it, and the next run puts it back first
            aside = [out.parent / n for n in bench.leftovers(out) if ".smilescope-old-" in n]
            assert held is None and len(aside) == 1 and bench.which_set(aside[0]) == "a", bench.leftovers(out)
        elif case.previous:
            assert held in ("a", "b"), f"after the kill the folder holds no complete set: {sorted(os.listdir(out)) if out.is_dir() else 'no folder'}"
        else:
            assert held == "b" or not out.exists(), f"a partial first set: {sorted(os.listdir(out))}"
    else:
        disk = work / "disk"
        mounted = _mount_tmpfs(disk, "2m")
        try:
            out = disk / "res"
            if not mounted:
                disk.mkdir(parents=True, exist_ok=True)
            shutil.copytree(bench.ref["a"], out)
            if mounted:
                st = os.statvfs(disk)
                fill = max(st.f_bavail * st.f_frsize - int(case.free_share * bench.size("b")), 0)
                with open(disk / "filler", "wb") as fh:
                    fh.write(b"\0" * fill)
                preexec = None
            else:  # not root: a file size limit stands in for the full disk (EFBIG instead of ENOSPC)
                import resource

                limit = max(int(case.free_share * max(p.stat().st_size for p in bench.ref["b"].iterdir())), 1024)

                def preexec():
                    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            r = bench.run(bench.b_video, out, preexec=preexec)
            said = " ".join(r.stderr.split())
            assert r.returncode == 2, f"rc {r.returncode}: {r.stderr[-800:]}"
            assert ("disk is full" in said or "size limit" in said) and "Free some space" in said, said
            assert "Traceback" not in r.stderr
            assert bench.which_set(out) == "a", f"the previous set was touched: {sorted(os.listdir(out))}"
            assert bench.leftovers(out) == [], f"a failed run left {bench.leftovers(out)}"
            if mounted:
                (disk / "filler").unlink()
        finally:
            if mounted:
                # the next run, with space again, on the same disk
                r = bench.run(bench.b_video, disk / "res")
                ok = r.returncode == 0 and bench.which_set(disk / "res") == "b" and bench.leftovers(disk / "res") == []
                subprocess.run(["umount", str(disk)], capture_output=True)
                assert ok, f"the run after the full disk: rc {r.returncode} {r.stderr[-500:]}"
        if mounted:
            return
    # the next run, undisturbed: B's set alone, and nothing left of the killed run
    r = bench.run(bench.b_video, out)
    assert r.returncode == 0, r.stderr
    assert bench.which_set(out) == "b"
    assert bench.leftovers(out) == [], f"left behind: {bench.leftovers(out)}"
    assert oct(out.stat().st_mode & 0o777) == "0o700"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return Bench(tmp_path_factory.mktemp("faults"))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_output_folder_holds_one_complete_set(bench, case, tmp_path):
    run_case(bench, case, tmp_path)
