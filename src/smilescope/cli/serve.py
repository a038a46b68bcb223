"""``smilescope serve``: the coach, a local web app in the browser.

The app (:mod:`smilescope.web.app`) loads FastAPI, OpenCV and MediaPipe, so it is imported when
this command runs, not when the command line starts (``smilescope --help``, ``diary`` stay light).
"""

from __future__ import annotations

import socket
import threading
import webbrowser

import typer

from smilescope.cli.console import exit_on_bad_input, is_loopback, out
from smilescope.errors import BadInputError


def _check_free(host: str, port: int) -> None:
    """Refuse a port another program holds before starting (uvicorn would only log and exit 1)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            # as uvicorn binds: a port whose last connections still wait out TIME-WAIT (the coach
            # just stopped, a browser tab still open) is free to listen on
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        raise BadInputError(f"cannot listen on {host}:{port} ({e.strerror or e}); "
                            f"another program may be using it: try --port {port + 1}") from None


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on: this computer only (127.0.0.1, ::1 or localhost)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the browser."),
) -> None:
    """Start the coach: a local web app for daily smile practice with live feedback.

    Everything runs on this computer; camera pictures are measured and thrown away.

    Example:
      smilescope serve
    """
    with exit_on_bad_input(interrupted="stopped"):
        if not is_loopback(host):
            # the coach has no login: whoever reaches it can read (export) and delete everything,
            # and a Host or Origin header is only a browser's word, which a script need not keep
            raise BadInputError(f"--host {host} would let other computers reach the coach, which has no login: anyone "
                                "who can reach it could read and delete your data.",
                                "Leave out --host (127.0.0.1: this computer only), or give ::1 or localhost.")
        _check_free(host, port)
        import uvicorn  # noqa: PLC0415 - the web stack loads only for this command (see the module docstring)

        from smilescope.web.app import Settings, create_app  # noqa: PLC0415 - MediaPipe, OpenCV, FastAPI on demand

        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"  # an IPv6 address in brackets, as in any URL
        out.print(f"The coach is at {url}  (Ctrl-C to stop)", highlight=False)
        if not no_browser:
            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        uvicorn.run(create_app(Settings(host=host, port=port)), host=host, port=port, log_level="warning")
