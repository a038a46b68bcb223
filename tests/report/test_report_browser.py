"""PDF and screenshot of the report in headless Chromium (skipped where no Chromium is installed)."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.report.browser import browser_command, find_chromium, html_to_pdf, isolation_prefix, screenshot
from smilescope.report.html import render_html
from smilescope.results import Analysis

from report_data import analysis_folder

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium found (/usr/bin/chromium, chromium, chromium-browser or "
                                       "google-chrome on PATH); install it, e.g. `apt-get install chromium`")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    import json

    from smilescope.signals import SignalTable

    folder = analysis_folder(tmp_path_factory)
    doc = json.loads((folder / "analysis.json").read_text())
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(Analysis.from_dict(doc), table=SignalTable.read_csv(folder / "signals.csv")))
    return path


def test_pdf(report_html, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    pdf = html_to_pdf(report_html, tmp_path / "r.pdf")
    assert list(home.iterdir()) == []  # the browser kept nothing in the person's home (it made ~/.config/chromium)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1024
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "r.pdf"]  # no temporary file left
    assert pdf.stat().st_mode & 0o777 == 0o600  # personal data: owner only (Chromium would leave it 0644)


def test_screenshot_is_not_blank(report_html, tmp_path):
    import matplotlib.image as mpimg

    png = screenshot(report_html, tmp_path / "shot.png", width=1000, height=1600)
    img = mpimg.imread(png)
    assert img.shape[:2] == (1600, 1000)
    gray = img[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # text, tables and figures, not an empty page
    assert (gray < 0.3).mean() > 0.005  # some dark ink (text)


def test_cli_pdf(tmp_path_factory, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(analysis_folder(tmp_path_factory), folder)
    r = CliRunner().invoke(app, ["report", str(folder / "analysis.json"), "--pdf"])
    assert r.exit_code == 0, r.output
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "report.html").is_file()


# --- nothing leaves the machine (issue 12, item 10) ------------------------------------------

_CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg|sendmmsg)\((\d+)(<[^,]*>)?(.*)$")
_ADDR = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def _peer(fd_info: str) -> str | None:
    """The peer address of a connected socket as ``strace -yy`` shows it: ``<UDP:[a:p->b:q]>``,
    ``<UDPv6:[[a]:p->[b]:q]>``."""
    if "->" not in fd_info:
        return None
    peer = fd_info.split("->", 1)[1].removesuffix(">").removesuffix("]")
    return peer[1:].split("]", 1)[0] if peer.startswith("[") else peer.rsplit(":", 1)[0]


def _off_machine(addr: str) -> bool:
    ip = ipaddress.ip_address(addr)
    return not (ip.is_loopback or ip.is_unspecified)


def network_calls_off_machine(trace: str) -> list[str]:
    """The traced calls (``strace -f -yy``) that could put a packet on the network: a TCP connect
    to an address off the machine, or any send to one (given in the call, or the peer of a
    connected socket). A UDP connect alone sends nothing (it only picks a route: Chromium's
    IPv6 reachability probe to 2001:4860:4860::8888 does this), so it counts only if data follows."""
    bad = []
    for line in trace.splitlines():
        m = _CALL.match(line.strip())
        if not m:
            continue
        call, fd_info, rest = m.group(1), m.group(3) or "", m.group(4)
        if "UNIX" in fd_info or "NETLINK" in fd_info:
            continue
        addrs = [a or b for a, b in _ADDR.findall(rest)]
        peer = _peer(fd_info)
        if call == "connect":
            if "UDP" not in fd_info and any(_off_machine(a) for a in addrs):
                bad.append(line.strip())
        elif any(_off_machine(a) for a in addrs) or (peer is not None and _off_machine(peer)):
            bad.append(line.strip())
    return bad


def test_the_trace_reader_sees_what_went_out():
    """The checker itself, on lines as strace writes them (from a run with the old flags)."""
    lines = [
        '12  sendto(20<UDP:[1234]>, "\\x12", 40, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("10.255.255.53")}, 16) = 40',
        '12  connect(21<TCP:[99]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("142.250.1.1")}, 16) = -1',
        '12  connect(22<UDPv6:[7]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        '12  sendmsg(9<UNIX-STREAM:[5->6]>, {msg_name=NULL}, MSG_NOSIGNAL) = 8',
        '12  connect(23<TCP:[8]>, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1',
        '12  sendto(24<UDP:[10.0.0.2:5353->8.8.8.8:53]>, "x", 1, 0, NULL, 0) = 1',
    ]
    bad = network_calls_off_machine("\n".join(lines))
    assert [b.split("(")[0].split()[-1] for b in bad] == ["sendto", "connect", "sendto"]


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is not installed (apt-get install strace); it traces the browser's connects and sends")
def test_pdf_print_sends_nothing_off_the_machine(report_html, tmp_path, monkeypatch):
    """The flags alone (no network namespace) keep Chromium off the network while it prints."""
    import smilescope.report.browser as browser

    log = tmp_path / "trace.txt"
    probe = subprocess.run(["strace", "-f", "-o", str(tmp_path / "probe.txt"), "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here (ptrace not permitted?): {probe.stderr.decode(errors='replace')[:200]}")
    wrapper = tmp_path / "traced-chromium"
    wrapper.write_text(f'#!/bin/sh\nexec strace -f -qq -yy -e trace=connect,sendto,sendmsg,sendmmsg '
                       f'-o "{log}" "{find_chromium()}" "$@"\n')
    wrapper.chmod(0o700)
    monkeypatch.setattr(browser, "find_chromium", lambda: str(wrapper))
    out = tmp_path / "out"
    pdf = html_to_pdf(report_html, out / "r.pdf", isolate=False)
    assert pdf.read_bytes().startswith(b"%PDF")
    trace = log.read_text()
    assert "connect(" in trace or "sendmsg(" in trace  # the trace did record the browser's calls
    assert network_calls_off_machine(trace) == []


def test_browser_runs_with_networking_off():
    cmd = browser_command("/usr/bin/chromium", "/tmp/p", ["file:///x.html"], isolate=False)
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9"):
        assert flag in cmd
    if isolation_prefix():  # where an empty network namespace can be made, it is used
        assert browser_command("/usr/bin/chromium", "/tmp/p", [])[:2] == [isolation_prefix()[0], "--net"]


@pytest.fixture
def small_disk(tmp_path):
    """A 160 KiB tmpfs (root with mount), too small for a report's PDF (about 250 kB)."""
    import os

    where = tmp_path / "disk"
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount") or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("a small tmpfs needs root and mount")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_a_pdf_cut_off_by_a_full_disk_is_refused_and_nothing_is_left(report_html, small_disk):
    """Chromium writing to a full disk left a PDF cut off before its trailer (180 of 252 kB) and
    exited 0: smilescope said "wrote report.pdf". Now the disk-full error, and no file."""
    from smilescope.errors import BadInputError

    with pytest.raises(BadInputError, match="disk is full") as e:
        html_to_pdf(report_html, small_disk / "r.pdf")
    assert "Free some space" in e.value.hint
    assert list(small_disk.iterdir()) == []


def test_a_pdf_named_as_a_folder_is_a_clear_error(report_html, tmp_path):
    from smilescope.errors import BadInputError

    (tmp_path / "r.pdf").mkdir()
    with pytest.raises(BadInputError, match="is a folder"):
        html_to_pdf(report_html, tmp_path / "r.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def test_only_a_whole_file_counts(tmp_path):
    from smilescope.report.browser import _whole

    whole = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"
    (tmp_path / "a.pdf").write_bytes(whole)
    (tmp_path / "b.pdf").write_bytes(whole[:3000])
    assert _whole(str(tmp_path / "a.pdf"), ".pdf") and not _whole(str(tmp_path / "b.pdf"), ".pdf")
