"""Sync settings in words and local time, and "Create key" on the API Keys screen, in a
real browser (issue 17.7): the Admin sets an integration to sync at 22:00, reads it back
in words with the zone, makes a key, sees it once with a copy button, and the key works."""
import json
import re
import urllib.request
from pathlib import Path

import pytest

from tests.live_server import CHROMIUM, SHOTS, log_in

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium (`apt-get install chromium`; .ci/run installs it)")


def test_admin_sets_a_local_sync_time_and_creates_a_key_shown_once(page, server):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "admin")
    page.goto("/integrationview/list/?_flt_0_name=External")
    page.click("a[href*='/integrationview/edit/']")
    form = page.inner_text("form")
    assert "local time, WIB" in form and "Synchronize on register shift closing" in form
    assert "shift_closing" not in form and "realtime" not in form
    page.select_option("#sync_mode", label="Sync on scheduled time")
    page.fill("#sync_time", "22:00")
    page.screenshot(path=SHOTS / "sync-settings-1-edit.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector(".alert")

    page.goto("/sync-status/")
    page.click("a[href*='/sync-status/integration/']")
    page.wait_for_selector("#sync-settings")
    assert page.inner_text("#sync-mode") == "Sync on scheduled time"
    settings = page.inner_text("#sync-settings")
    assert "at 22:00 WIB" in settings and "UTC" not in settings and "scheduled;" not in settings
    page.screenshot(path=SHOTS / "sync-settings-2-panel.png", full_page=True)

    page.goto("/api-keys/list/")
    page.click("#create-key")
    page.select_option("#integration", label="DEMO-DIST · External")
    page.screenshot(path=SHOTS / "api-key-1-create.png", full_page=True)
    page.click("#create-key-submit")
    page.wait_for_selector("#api-key")
    key = page.input_value("#api-key")
    assert re.fullmatch(r"mk_[\w-]{40,}", key)
    assert "shown this once" in page.inner_text("#key-once")
    page.click("#copy-key")
    # A function, as the other waits: a bare expression that is not true at once is
    # polled through eval, which the page's Content Security Policy refuses.
    page.wait_for_function(
        "() => document.getElementById('copy-hint').textContent.includes('Copied')")
    page.screenshot(path=SHOTS / "api-key-2-shown-once.png", full_page=True)

    # Never shown again: the list has its first characters only.
    page.goto("/api-keys/list/")
    listing = page.content()
    assert key[:10] in listing and key not in listing

    # The key works against the API.
    request = urllib.request.Request(
        f"{server.url}/api/v1/integration/documents", method="POST",
        data=json.dumps({"documents": [{"kind": "customer", "reference": "C-NEW",
                                        "date": "2026-01-05", "name": "Toko Baru"}]}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
