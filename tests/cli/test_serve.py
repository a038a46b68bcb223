"""``smilescope serve`` as the user runs it: a real server process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT

ENTRY = "from smilescope.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-c", ENTRY, "serve", "--no-browser", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_health(port: int, proc: subprocess.Popen, timeout_s: float = 120.0, host: str = "127.0.0.1") -> dict:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/api/health", timeout=2) as r:
                return json.loads(r.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not answer")


def test_serve_answers_health_on_loopback_and_stops_on_ctrl_c():
    port = _free_port()
    proc = _serve("--port", str(port))
    try:
        assert _wait_health(port, proc) == {"status": "ok"}
        # listening on loopback only: the port is not open on another address of this machine
        conns = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
        if conns.returncode == 0 and conns.stdout.strip():
            assert all("127.0.0.1:" in line for line in conns.stdout.strip().splitlines())
    finally:
        proc.send_signal(signal.SIGINT)
        out, errs = proc.communicate(timeout=30)
    assert "Traceback" not in errs
    assert f"http://127.0.0.1:{port}/" in out


def test_port_in_use_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _serve("--port", str(port))
        out, errs = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "cannot listen" in errs and f"--port {port + 1}" in errs


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "evil.example"])
def test_listening_beyond_this_computer_is_refused(host):
    """The coach has no login: on the network, a script could export and delete everything
    (the Host check stops browsers, not a forged header). Only this computer's addresses."""
    proc = _serve("--host", host, "--port", str(_free_port()))
    _, errs = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in errs
    assert "has no login" in " ".join(errs.split()) and "Leave out --host" in " ".join(errs.split())


def test_an_ipv6_loopback_is_served_at_a_url_in_brackets():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
    except OSError:
        pytest.skip("this machine has no IPv6 loopback (::1)")
    proc = _serve("--host", "::1", "--port", str(port))
    try:
        assert _wait_health(port, proc, host="[::1]") == {"status": "ok"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"http://[::1]:{port}/" in out  # it said http://::1:PORT/, which no browser opens


def test_a_port_left_in_time_wait_is_free_to_serve_again():
    """The coach just stopped with a browser tab connected: its port holds a TIME-WAIT connection
    for about a minute; starting again must not say another program is using it."""
    from smilescope.cli.serve import _check_free

    with socket.socket() as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = srv.accept()
        conn.close()  # the server closes first: its end of the connection waits in TIME-WAIT
        time.sleep(0.1)
        client.close()
    _check_free("127.0.0.1", port)  # raised "Address already in use"
