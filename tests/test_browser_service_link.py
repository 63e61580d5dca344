"""OAuth re-integration end to end in a real browser: `python run.py` with its Accurate
settings pointing at the fake provider (a real HTTP server on a free port); an Admin
connects, picks one of two branches, syncs master data and sees the customers arrive."""
from pathlib import Path

import pytest

from tests.fake_accurate import CLIENT_ID, CLIENT_SECRET, FakeAccurate
from tests.live_server import CHROMIUM, SHOTS, LiveServer, log_in

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Debian's chromium (`apt-get install chromium`; .ci/run installs it)")


@pytest.fixture(scope="module")
def fake():
    server = FakeAccurate(databases=[{"id": 1156, "alias": "PT Demo Jakarta"},
                                     {"id": 1157, "alias": "PT Demo Surabaya"}]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, fake):
    live = LiveServer(tmp_path_factory.mktemp("oauth-browser") / "instance", extra_env={
        "ACCURATE_CLIENT_ID": CLIENT_ID, "ACCURATE_CLIENT_SECRET": CLIENT_SECRET,
        "ACCURATE_ACCOUNT_URL": fake.url, "ACCURATE_PAGE_SIZE": "2"})
    live.cli("integration", "add", "DEMO-DIST", "Accurate", "--kind", "accurate")
    yield live
    live.stop()


def test_admin_connects_accurate_picks_a_branch_and_syncs_master_data(page, server, fake):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "admin")
    page.goto("/integrationview/list/?_flt_0_name=Accurate")
    page.click("a[href*='/integrationview/show/']")
    page.click("#service-link-button")
    assert "Pesanan Penjualan" in page.inner_text("#required-rights")
    page.screenshot(path=SHOTS / "oauth-1-prerequisites.png", full_page=True)

    page.click("#connect-service")          # -> the provider approves -> back to Muara
    page.wait_for_selector("#branch-form")
    assert page.url.endswith("/branch")
    page.select_option("#branch", label="PT Demo Surabaya")
    page.screenshot(path=SHOTS / "oauth-2-select-branch.png", full_page=True)
    page.click("#branch-submit")

    page.wait_for_selector("#sync-master_data")
    assert page.inner_text("#service-status") == "Connected"
    assert page.inner_text("#service-branch") == "PT Demo Surabaya"
    page.click("#sync-master_data")
    # The page follows the queued run until it finishes.
    page.wait_for_selector("#sync-runs tr.finished-run")
    runs = page.inner_text("#sync-runs")
    assert "Sync Master Data" in runs and "16" in runs
    records = page.inner_text("#sync-records")
    assert "Customer\t101" in records and "Success" in records
    page.screenshot(path=SHOTS / "oauth-3-synced.png", full_page=True)

    page.goto("/customerview/list/?_flt_0_code=C00")
    customers = page.inner_text("body")
    for code in ("C001", "C002", "C003", "C004", "C005"):
        assert code in customers
