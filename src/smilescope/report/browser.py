"""Headless Chromium for PDF export and screenshots of the HTML report.

The report itself is plain HTML; a browser is only needed to turn it into a PDF (or a PNG for
checking how it looks). Nothing may leave the machine, and a stock Chromium talks to Google
on its own (component and safe-browsing updates, sync, metrics, an IPv6 reachability probe,
DNS look-ups for accounts.google.com and update.googleapis.com), so it is shut off in two
layers:

1. Flags (:data:`NO_NETWORK_FLAGS`): the background services are switched off one by one, every
   host name resolves to "not found" (``--host-resolver-rules``) and every request that would
   still go out is sent to a proxy on a closed local port (``--proxy-server``), so it fails on
   the machine. The report is a local file with everything inline; it needs no network.
2. Where the system allows an unprivileged network namespace (``unshare --net``), Chromium runs
   in an empty one, with no interface but a loopback that is down: even a request the flags
   missed has nowhere to go. Where it is not allowed (some distributions restrict user
   namespaces) the flags alone apply.

``tests/report/test_report_browser.py`` traces the browser's connects and sends (strace) and
checks that none goes to an address off the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from smilescope.errors import BadInputError
from smilescope.output import private_folder

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
          "--disable-extensions", "--hide-scrollbars", "--mute-audio")
# Spellings from Chromium's switch lists (chrome-launcher's "Chrome flags for tools").
NO_NETWORK_FLAGS = (
    "--disable-background-networking",  # extension and safe-browsing updates, translate, metrics upload
    "--disable-component-update",  # update.googleapis.com
    "--disable-sync",  # accounts.google.com, clients*.google.com
    "--disable-default-apps",
    "--disable-domain-reliability",  # error beacons to Google
    "--metrics-recording-only",  # metrics are never reported
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",  # no crash reports
    "--no-pings",  # no hyperlink auditing pings
    "--dns-prefetch-disable",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # every host name: not found (no DNS query leaves)
    "--proxy-server=http://127.0.0.1:9",  # anything still sent goes to a closed local port (discard)
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
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


_NETNS: list[str] | None = None


def isolation_prefix() -> list[str]:
    """``["unshare", "--net", "--map-root-user"]`` when this system lets us make an empty network
    namespace (tried once per process), else ``[]`` (the flags alone keep the browser off the network)."""
    global _NETNS
    if _NETNS is None:
        exe = shutil.which("unshare")
        cmd = [exe, "--net", "--map-root-user"] if exe else []
        ok = False
        if cmd:
            try:
                ok = subprocess.run([*cmd, "true"], capture_output=True, timeout=10, check=False).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _NETNS = cmd if ok else []
    return list(_NETNS)


def browser_command(exe: str, profile: str, args: list[str], *, isolate: bool = True) -> list[str]:
    """The full command line: the isolation prefix (when ``isolate`` and available), the browser,
    its flags (networking off), a throw-away profile, then ``args``."""
    prefix = isolation_prefix() if isolate else []
    return [*prefix, exe, *_FLAGS, *NO_NETWORK_FLAGS, f"--user-data-dir={profile}", *args]


def _run(args: list[str], target: Path, *, timeout_s: float, isolate: bool = True) -> Path:
    """Run Chromium with ``args`` + an output flag writing a temporary file, then rename it to ``target``."""
    exe = find_chromium()
    if exe is None:
        raise BadInputError(f"No Chromium browser found, so {target.name} was not made.", INSTALL_HINT)
    target = Path(target)
    private_folder(target.parent)  # a new folder for a report is the owner's only, as every folder smilescope makes
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # Chromium creates the file itself; an empty one would look like success
    try:
        with tempfile.TemporaryDirectory(prefix="smilescope-chromium-") as profile:
            cmd = browser_command(exe, profile, [a.replace("{out}", tmp) for a in args], isolate=isolate)
            try:
                # its own config and cache folders inside the throw-away profile: Chromium otherwise
                # makes ~/.config/chromium/Crash Reports and ~/.cache/dconf in the person's home
                env = {**os.environ, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False, env=env)
            except subprocess.TimeoutExpired as e:
                raise BadInputError(f"Chromium did not finish {target.name} within {timeout_s:.0f} s.",
                                    "Try again, or open the HTML report in a browser and print it.") from e
        if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise BadInputError(f"Chromium ({exe}) could not write {target.name} (exit {proc.returncode}): "
                                + " / ".join(tail), "Open the HTML report in a browser and print it instead.")
        os.chmod(tmp, 0o600)  # a report is personal data: owner only, like every file smilescope writes
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout_s: float = 90.0, isolate: bool = True) -> Path:
    """Print an HTML file to PDF (A4 by the page's CSS, no browser header or footer).

    ``isolate`` False leaves out the empty network namespace (the flags still apply); tests use
    it to check that the flags alone keep everything on the machine.

    Raises
    ------
    BadInputError
        No Chromium is installed, or it failed or timed out (the message says what to do).
    """
    url = Path(html_path).resolve().as_uri()
    return _run(["--no-pdf-header-footer", "--print-to-pdf={out}", url], Path(pdf_path), timeout_s=timeout_s,
                isolate=isolate)


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1000, height: int = 3000,
               *, timeout_s: float = 90.0) -> Path:
    """Render an HTML file into a ``width`` x ``height`` PNG (pixels), as a browser window shows it."""
    url = Path(html_path).resolve().as_uri()
    return _run([f"--window-size={int(width)},{int(height)}", "--screenshot={out}", url], Path(png_path),
                timeout_s=timeout_s)
