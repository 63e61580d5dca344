"""The README's first command on a fresh instance: `python run.py` prepares the database,
prints the demo logins, serves the portal and runs queued work in-process."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(MUARA_INSTANCE=str(tmp_path / "instance"), MUARA_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Muara is serving" in line:
            break
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield proc, port, "".join(lines)
    proc.terminate()
    proc.wait(timeout=30)


def test_first_start_prints_logins_that_work(served):
    proc, port, output = served
    assert "Muara is serving" in output, output
    match = re.search(r"^Admin\s+admin\s+(\S+)$", output, re.M)
    assert match, output
    password = match.group(1)

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    login_page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"username": "admin", "password": password,
                                   "csrf_token": token}).encode()
    home = opener.open(f"{base}/login/", data=form).read().decode()
    assert "Signed in as <strong>admin</strong>" in home
    organizations = opener.open(f"{base}/organizationview/list/").read().decode()
    assert "DEMO-DIST" in organizations and "DEMO-PRIN" in organizations
