"""Headless Chromium for PDF export and screenshots of the HTML report.

The report itself is plain HTML; a browser is only needed to turn it into a PDF (or a PNG for
checking how it looks). Chromium runs with networking features off and a throw-away profile,
so nothing is fetched or remembered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from smilescope.errors import BadInputError

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--hide-scrollbars", "--mute-audio",
)
INSTALL_HINT = ("Install Chromium (for example `sudo apt-get install chromium`), "
                "or open the HTML report in any browser and print it to PDF.")


def find_chromium() -> str | None:
    """Path of a Chromium-family browser: ``/usr/bin/chromium``, else the first on PATH; None if none."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], target: Path, *, timeout_s: float) -> Path:
    """Run Chromium with ``args`` + an output flag writing a temporary file, then rename it to ``target``."""
    exe = find_chromium()
    if exe is None:
        raise BadInputError(f"No Chromium browser found, so {target.name} was not made.", INSTALL_HINT)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # Chromium creates the file itself; an empty one would look like success
    try:
        with tempfile.TemporaryDirectory(prefix="smilescope-chromium-") as profile:
            cmd = [exe, *_FLAGS, f"--user-data-dir={profile}", *(a.replace("{out}", tmp) for a in args)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
            except subprocess.TimeoutExpired as e:
                raise BadInputError(f"Chromium did not finish {target.name} within {timeout_s:.0f} s.",
                                    "Try again, or open the HTML report in a browser and print it.") from e
        if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise BadInputError(f"Chromium ({exe}) could not write {target.name} (exit {proc.returncode}): "
                                + " / ".join(tail), "Open the HTML report in a browser and print it instead.")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout_s: float = 90.0) -> Path:
    """Print an HTML file to PDF (A4 by the page's CSS, no browser header or footer).

    Raises
    ------
    BadInputError
        No Chromium is installed, or it failed or timed out (the message says what to do).
    """
    url = Path(html_path).resolve().as_uri()
    return _run(["--no-pdf-header-footer", "--print-to-pdf={out}", url], Path(pdf_path), timeout_s=timeout_s)


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1000, height: int = 3000,
               *, timeout_s: float = 90.0) -> Path:
    """Render an HTML file into a ``width`` x ``height`` PNG (pixels), as a browser window shows it."""
    url = Path(html_path).resolve().as_uri()
    return _run([f"--window-size={int(width)},{int(height)}", "--screenshot={out}", url], Path(png_path),
                timeout_s=timeout_s)
