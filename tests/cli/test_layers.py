"""The command line is one layer on top: light commands start without the video stack, and the
library's packages import nothing from the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(code: str) -> set[str]:
    """Names of the modules loaded by running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint('\\nMODULES', *sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return set(done.stdout.splitlines()[-1].split()[1:])


@pytest.mark.parametrize("args", [["--help"], ["report", "--help"], ["diary", "list", "--db", "DB"]])
def test_light_commands_start_without_mediapipe_or_opencv(args, tmp_path):
    argv = ["smilescope", *(f"sqlite:///{tmp_path}/x.db" if a == "DB" else a for a in args)]
    loaded = _loaded_after(f"import sys\nsys.argv = {argv!r}\nfrom smilescope.cli import main\n"
                           "try:\n    main()\nexcept SystemExit:\n    pass")
    assert "smilescope.cli.store" in loaded  # the command ran
    assert "mediapipe" not in loaded and "cv2" not in loaded


def test_the_library_imports_nothing_from_the_command_line():
    loaded = _loaded_after("import smilescope.assess, smilescope.output, smilescope.report.figures, smilescope.report.make, "
                           "smilescope.store, smilescope.store.figures")
    assert "smilescope.report.make" in loaded
    assert not any(m == "smilescope.cli" or m.startswith("smilescope.cli.") for m in loaded)
