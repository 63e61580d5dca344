"""Issues 17.1, 17.12 and 17.14 in a real browser, on the portal as `python run.py`
serves it with mail on and no mail server (the embedded default): the Importer's file
ends while they are elsewhere and a notice tells them on their next page; the file page
says the e-mail was kept; the Admin reads it in the outbox and opens the operations
pages; a long import shows its speed and the time left while it runs."""
import re

import pytest

from tests.live_server import SHOTS, LiveServer, drop_file, log_in, needs_chromium

pytestmark = needs_chromium
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("outbox") / "instance",
                      extra_env={"MAIL_ENABLED": "true", "MAIL_SERVER": "",
                                 "MUARA_PUBLIC_URL": "", "MUARA_IMPORT_BATCH_SIZE": "2000"})
    yield live
    live.stop()


def invoices_file(path, rows):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def invoices_csv(path, count):
    lines = ["Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,Location Code"]
    lines += [f"INV-{n},C00{n % 5 + 1},2025-01-31,{n}.5,PO-{n},JKT" for n in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def log_out(page):
    page.goto("/logout/")
    page.click("#logout-button")  # logout is a POST (issue 18)


def test_the_result_reaches_the_importer_and_the_admins_outbox(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    # The importer does not watch the progress page: the upload is sent, but the
    # redirect to its progress page is not followed, so only the notice can tell them.
    held = {}

    def upload_without_progress(route):
        response = route.fetch(max_redirects=0)
        held["location"] = response.headers["location"]
        route.fulfill(status=200, content_type="text/html", body="<p id='held'>away</p>")
    page.route("**/data-import/upload", upload_without_progress)
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_file(tmp_path / "march.xlsx", [
        ["INV-M1", "C001", "2025-03-31", 100, "PO-1", "JKT"],
        ["INV-M2", "C999", "2025-03-31", 10, "PO-2", "JKT"]]), XLSX)
    page.click("#import-button")  # sent by XHR (issue 14): its answer is held here
    for _ in range(600):
        if "location" in held:
            break
        page.wait_for_timeout(100)
    pk = int(re.search(r"/progress/(\d+)", held["location"])[1])
    page.unroute("**/data-import/upload")

    notice = page.locator(".alert", has_text=f"Import #{pk} march.xlsx")
    for _ in range(60):
        page.goto("/imports/list/")
        if notice.count():
            break
        page.wait_for_timeout(500)
    assert "1 row was not imported, 1 accepted." in notice.inner_text()
    assert "alert-warning" in notice.get_attribute("class")
    recent = page.inner_text("#recent-results")
    assert f"#{pk} march.xlsx" in recent
    page.screenshot(path=SHOTS / "outbox-1-notice-and-recent-results.png", full_page=True)
    page.reload()
    assert page.locator(".alert", has_text=f"Import #{pk}").count() == 0, "shown twice"

    page.goto(f"/imports/show/{pk}")
    assert "E-mail is not configured: the result was kept in the outbox" in \
        page.inner_text("#mail-note")
    page.screenshot(path=SHOTS / "outbox-2-file-page.png", full_page=True)

    log_out(page)
    log_in(page, server, "admin")
    page.click("text=Operations")
    page.click("a:has-text('Outbox')")
    page.wait_for_selector("text=importer@demo.muara.local")
    assert "Kept in the outbox (no mail server)" in page.inner_text("body")
    page.screenshot(path=SHOTS / "outbox-3-list.png", full_page=True)
    page.click("a[href^='/outbox/show/']")
    body = page.inner_text(".mail-body")
    assert "1 of 2 records could not be imported" in body
    assert f"{server.url}/rejections/list/?_flt_0_import_file={pk}" in body.split()
    page.screenshot(path=SHOTS / "outbox-4-message.png", full_page=True)

    page.goto("/operations/")
    assert "Embedded queue" in page.inner_text("#queue-mode")
    assert "1 of 2 rows rejected: 50.0%." in page.inner_text("#rejection-rate")
    page.screenshot(path=SHOTS / "outbox-5-figures.png", full_page=True)

    blocked = []
    page.on("pageerror", lambda error: blocked.append(str(error)))
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.click("#dashboard-link")
    page.wait_for_selector("td >> text=muara")  # the queue, listed by the dashboard's script
    page.screenshot(path=SHOTS / "outbox-6-rq-dashboard.png", full_page=True)
    assert blocked == []


def test_a_long_import_shows_its_speed_and_the_time_left(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_csv(tmp_path / "big.csv", 30_000), "text/csv")
    page.click("#import-button")
    text = ""
    for _ in range(600):  # the page's own poll updates the line (no eval: the CSP)
        text = page.inner_text("#progress-text")
        if "rows per second" in text or page.is_visible("#result"):
            break
        page.wait_for_timeout(100)
    assert re.search(r"[\d,]+ rows per second · (about \d+ minutes?|less than a minute|"
                     r"a few seconds) left", text), text
    page.screenshot(path=SHOTS / "outbox-7-progress-speed.png", full_page=True)
    page.wait_for_selector("#result", state="visible", timeout=300_000)
    assert "rows per second" not in page.inner_text("#progress-text")
