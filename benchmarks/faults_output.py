"""Fault injection for the output swap: every case of tests/test_faults_output.py, with a tally.

    PYTHONPATH=src python benchmarks/faults_output.py

Kills (SIGKILL at each checkpoint of smilescope.output.save_run, with the atomic exchange and with
the two-rename fallback) and a full disk (a small tmpfs as root, else RLIMIT_FSIZE); after each,
the output folder must hold exactly one run's complete set and the next run must leave no
leftovers. Prints one line per case and "cases tried N / passed M"; exits 1 if any failed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_faults_output import CASES, Bench, run_case  # noqa: E402


def main() -> int:
    passed = 0
    with tempfile.TemporaryDirectory(prefix="smilescope-faults-") as tmp:
        (Path(tmp) / "bench").mkdir()
        bench = Bench(Path(tmp) / "bench")
        for i, case in enumerate(CASES):
            try:
                run_case(bench, case, Path(tmp) / f"case{i}")
                passed += 1
                print(f"pass  {case.name}", flush=True)
            except AssertionError as e:
                print(f"FAIL  {case.name}: {str(e).splitlines()[0]}", flush=True)
    print(f"cases tried {len(CASES)} / passed {passed}")
    return 0 if passed == len(CASES) else 1


if __name__ == "__main__":
    sys.exit(main())
