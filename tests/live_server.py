"""`python run.py` in a subprocess on a fresh instance: the portal as a newcomer gets it."""
import contextlib
import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_environment(instance_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # A walk signs in as several users in turn, faster than a person: the per-address
    # sign-in limit (10 a minute) is tested on its own in test_security_login.
    env.update(MUARA_INSTANCE=str(instance_dir), MAIL_ENABLED="false",
               MUARA_LOGIN_RATE_LIMIT="10000 per minute")
    return env


@functools.cache
def first_started_instance():
    """An instance folder as `python run.py`'s first start leaves it (schema, roles, demo
    data, logins), prepared once per test session by run.py's own preparation; each
    server but a `fresh` one starts on a copy of it (the first start took 15-50 s of
    every browser test module)."""
    folder = Path(tempfile.mkdtemp(prefix="muara-first-start-")) / "instance"
    subprocess.run([sys.executable, "-c", "import run; "
                    "run.prepare_and_print_logins(run.create_app())"],
                   cwd=ROOT, env=served_environment(folder), check=True,
                   capture_output=True, timeout=600)
    return folder


class LiveServer:
    def __init__(self, instance_dir, extra_env=None, start_timeout=90, fresh=False):
        """`fresh`: the server's first start prepares its instance itself (the first-start
        tests); otherwise it starts on a copy of first_started_instance()."""
        if not fresh:
            shutil.copytree(first_started_instance(), instance_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = served_environment(instance_dir)
        env.update(MUARA_PORT=str(self.port))
        env.update(extra_env or {})
        self.env = env
        self.process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env,
                                        text=True, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        self.output = self._wait_until_serving(timeout=start_timeout)
        # Keep reading what the server prints (a line per request): a full pipe would
        # block the server's next write, and with it the request being answered.
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line)

    def _wait_until_serving(self, timeout):
        lines = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Muara is serving" in line:
                break
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        return "".join(lines)

    def cli(self, *args):
        """A `flask --app run muara ...` command on this server's instance."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "run", "muara", *args],
                              cwd=ROOT, env=self.env, text=True, capture_output=True,
                              check=True, timeout=120)

    def password(self, username):
        match = re.search(rf"^\S.*?\s{re.escape(username)}\s+(\S+)$", self.output, re.M)
        assert match, f"no login for {username} in:\n{self.output}"
        return match.group(1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


# --- driving a browser (Debian's chromium through Playwright) ---------------------------

# `make test CHROMIUM=...` names another browser (scripts/check-browser.sh checks it first).
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium (`apt-get install chromium`; `make test` checks it first)")
SHOTS = Path("/tmp/muara-screens")


@contextlib.contextmanager
def browser_page(server, viewport=None, hide_scrollbars=False):
    """A chromium window on the live server (Debian's chromium, headless)."""
    from playwright.sync_api import sync_playwright
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=args + (["--hide-scrollbars"] if hide_scrollbars else []))
        options = {"viewport": viewport} if viewport else {}
        context = browser.new_context(accept_downloads=True, base_url=server.url, **options)
        page = context.new_page()
        page.set_default_timeout(30000)
        try:
            yield page
        finally:
            browser.close()


def log_in(page, server, username, language="en"):
    """Sign in as a demo user. The demo companies speak Indonesian; the tests read the
    language they ask for, chosen with the navigation bar's switch (kept per user)."""
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", server.password(username))
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_selector("#whoami")
    if language:
        page.goto(f"/lang/{language}")
        page.goto("/")
        page.wait_for_selector("#whoami")


def drop_file(page, selector, path, mime):
    """Drop a file on the drop zone as a person would drag it from their desktop."""
    data = list(Path(path).read_bytes())
    page.evaluate("""([selector, name, bytes, mime]) => {
        const file = new File([new Uint8Array(bytes)], name, {type: mime});
        const transfer = new DataTransfer();
        transfer.items.add(file);
        const zone = document.querySelector(selector);
        for (const type of ["dragenter", "dragover", "drop"]) {
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true,
                                                    cancelable: true}));
        }
    }""", [selector, Path(path).name, data, mime])


def wait_for_undo_result(page):
    """The file page reloaded until its undo (run by the server's worker) has a result;
    the result's text."""
    for _ in range(60):
        if page.locator("#undo-result").count() and "(under way)" not in page.inner_text(
                "#undo-result"):
            break
        page.wait_for_timeout(500)
        page.reload()
    return page.inner_text("#undo-result")
