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

import glob
import os
import shutil
import subprocess
import tempfile
import time
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


# What a whole file of each kind ends with: Chromium writing to a full disk leaves a cut-off file
# (180 kB of 252 kB, no trailer) and still exits 0.
_ENDS = {".pdf": (b"%%EOF", 1024), ".png": (b"IEND\xaeB`\x82", 12)}
STALE_S = 3600.0  # a private print folder older than this belongs to no running print (a killed one's)


def _run(args: list[str], target: Path, *, timeout_s: float, isolate: bool = True) -> Path:
    """Run Chromium with ``args`` + an output flag writing a temporary file, check that the file is
    whole, then rename it to ``target``.

    The browser writes into a private (0700) temporary folder beside ``target``, so a file it
    finishes after smilescope was stopped is readable by the owner only and never takes
    ``target``'s place; it runs in its own process group, ended with smilescope (Ctrl-C, `kill`,
    an error; on Linux also when smilescope itself is killed)."""
    exe = find_chromium()
    if exe is None:
        raise BadInputError(f"No Chromium browser found, so {target.name} was not made.", INSTALL_HINT)
    target = Path(target)
    if target.is_dir():
        raise BadInputError(f"{target} is a folder, so {target.name} cannot be written there.",
                            f"Give a file name for the {target.suffix.lstrip('.').upper() or 'output'} (e.g. --pdf report.pdf).")
    private_folder(target.parent)  # a new folder for a report is the owner's only, as every folder smilescope makes
    _remove_stale(target)
    work = tempfile.mkdtemp(prefix=f".{target.name}.smilescope-print-", dir=target.parent)  # 0700
    tmp = os.path.join(work, target.name)
    try:
        with tempfile.TemporaryDirectory(prefix="smilescope-chromium-") as profile:
            cmd = browser_command(exe, profile, [a.replace("{out}", tmp) for a in args], isolate=isolate)
            # its own config and cache folders inside the throw-away profile: Chromium otherwise
            # makes ~/.config/chromium/Crash Reports and ~/.cache/dconf in the person's home
            env = {**os.environ, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
            proc = subprocess.Popen([*_die_with_parent(), *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, env=env, start_new_session=True)
            try:
                _, stderr = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired as e:
                raise BadInputError(f"Chromium did not finish {target.name} within {timeout_s:.0f} s.",
                                    "Try again, or open the HTML report in a browser and print it.") from e
            finally:
                _end(proc)
        size = os.path.getsize(tmp) if os.path.exists(tmp) else 0
        if proc.returncode != 0 or size == 0 or not _whole(tmp, target.suffix):
            tail = " / ".join((stderr or "").strip().splitlines()[-3:])
            if size and shutil.disk_usage(work).free < max(1 << 20, size):
                raise BadInputError(f"The disk is full: Chromium wrote only {size} bytes of {target.name}, so it was "
                                    "not kept.", "Free some space and run again.")
            raise BadInputError(f"Chromium ({exe}) could not write {target.name} whole (exit {proc.returncode}, "
                                f"{size} bytes){': ' + tail if tail else ''}.",
                                "Open the HTML report in a browser and print it instead.")
        os.chmod(tmp, 0o600)  # a report is personal data: owner only, like every file smilescope writes
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise BadInputError(f"Cannot write {target}: {e.strerror or e}.",
                                "Choose another file name or folder.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _die_with_parent() -> list[str]:
    """A prefix that has the browser killed when smilescope dies (util-linux ``setpriv
    --pdeathsig``, Linux), so a `kill -9` of smilescope does not leave the browser finishing the
    file on its own; ``[]`` where there is none (the file then stays in its private folder)."""
    exe = shutil.which("setpriv")
    return [exe, "--pdeathsig", "KILL"] if exe else []


def _end(proc: subprocess.Popen) -> None:
    """Stop the browser and every process it started (its own process group), if still running."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()


def _whole(path: str, suffix: str) -> bool:
    """The file ends as a whole file of its kind does (PDF: its %%EOF trailer; PNG: its IEND chunk)."""
    end, within = _ENDS.get(suffix.lower(), (b"", 0))
    if not end:
        return True
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - within))
        return end in fh.read()


def _remove_stale(target: Path) -> None:
    """Remove what a killed earlier print left: its private print folder beside ``target`` and its
    browser profile in the temporary folder (older than :data:`STALE_S`: a print running now is
    younger)."""
    now = time.time()
    leftovers = [*target.parent.glob(f".{glob.escape(target.name)}.smilescope-print-*"),
                 *Path(tempfile.gettempdir()).glob("smilescope-chromium-*")]  # a killed print's browser profile
    for old in leftovers:
        try:
            if old.is_dir() and now - old.stat().st_mtime > STALE_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


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
