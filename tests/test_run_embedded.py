"""The README's first command on a fresh instance: `python run.py` prepares the database,
prints the demo logins, serves the portal and runs queued work in-process."""
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from tests.live_server import LiveServer


@pytest.fixture
def served(tmp_path):
    server = LiveServer(tmp_path / "instance", fresh=True)
    yield server
    server.stop()


def test_first_start_prints_logins_that_work(served):
    assert "Muara is serving" in served.output, served.output
    password = served.password("admin")

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{served.url}/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"username": "admin", "password": password,
                                   "csrf_token": token}).encode()
    home = opener.open(f"{served.url}/login/", data=form).read().decode()
    assert "Signed in as <strong>admin</strong>" in home
    organizations = opener.open(f"{served.url}/organizationview/list/").read().decode()
    assert "DEMO-DIST" in organizations and "DEMO-PRIN" in organizations
