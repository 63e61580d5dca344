"""Each role's home page and a precondition's link, in a real browser (Debian's chromium
through Playwright) against the portal as `python run.py` serves it with its demo data
(issue 17 items 5 and 11)."""
from tests.live_server import SHOTS, log_in, needs_chromium

pytestmark = needs_chromium


def test_the_importers_home_offers_import_a_file(page, server):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    panel = page.locator("#home-importer")
    assert panel.is_visible()
    assert "Your organization's last files" in panel.inner_text()
    page.screenshot(path=SHOTS / "home-importer.png", full_page=True)
    page.click("#home-import")
    page.wait_for_selector("#drop-zone")
    assert page.url.endswith("/data-import/")


def test_the_organization_admins_home_lists_its_users_connections_and_keys(page, server):
    log_in(page, server, "orgadmin")
    panel = page.locator("#home-org-admin")
    assert panel.is_visible()
    users = page.inner_text("#home-users")
    for username in ("importer", "supervisor", "editor", "orgadmin"):
        assert username in users
    assert "admin (" not in users.replace("orgadmin (", "")  # never the platform Admin
    assert "principal" not in users  # another organization's login
    assert "DEMO-DIST → DEMO-PRIN (active)" in page.inner_text("#home-connections")
    assert page.locator("#home-importer").count() == 0  # not an Importer
    page.screenshot(path=SHOTS / "home-org-admin.png", full_page=True)
    page.click("text=Manage users")
    page.wait_for_url("**/users/list/")
    page.screenshot(path=SHOTS / "users-org-admin.png", full_page=True)
    rows = " ".join(page.locator("table tr").all_inner_texts())
    assert "importer" in rows and "principal" not in rows


def test_a_precondition_links_who_can_fix_it_to_the_screen(page, server):
    server.cli("connect", "DEMO-DIST", "DEMO-PRIN", "--inactive")
    try:
        log_in(page, server, "importer")
        page.goto("/data-import/")
        alert = page.locator(".precondition").first
        assert "An Organization Admin or the platform Admin can fix this." in alert.inner_text()
        assert alert.locator("a").count() == 0  # the Importer cannot fix it: no link

        page.goto("/logout/")
        page.click("#logout-button")
        log_in(page, server, "admin")
        page.goto("/data-import/")
        alert = page.locator(".precondition").first
        assert "has no active connection with a principal" in alert.inner_text()
        page.screenshot(path=SHOTS / "precondition-link.png", full_page=True)
        alert.locator("a.precondition-fix").click()
        page.wait_for_url("**/connectionview/add")
        assert page.locator("form").first.is_visible()
    finally:
        server.cli("connect", "DEMO-DIST", "DEMO-PRIN")
