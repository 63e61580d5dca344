"""The upload form in a real browser (issue 14): the file goes up by XHR with its
progress shown, then the import's own progress page opens; a refused upload (here a
duplicate) brings back the form with its message and still uploads; a file over the
limit is refused before a byte is sent, in the words of the 413 page."""
import openpyxl
import pytest

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.live_server import LiveServer
    live = LiveServer(tmp_path_factory.mktemp("upload") / "instance",
                      extra_env={"MUARA_MAX_UPLOAD_MB": "1"})
    yield live
    live.stop()


def invoices_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"])
    sheet.append(["INV-U1", "C001", "2025-01-31", 100.5, "PO-1", "JKT"])
    workbook.save(path)
    return path


def posts(page):
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.resource_type,
                                                    request.url.split("/", 3)[-1]))
            if request.method == "POST" else None)
    return sent


def test_the_upload_shows_its_progress_then_the_imports(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    sent = posts(page)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    path = invoices_file(tmp_path / "upload.xlsx")
    drop_file(page, "#drop-zone", path, XLSX)
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    page.wait_for_selector("#result", state="visible")
    assert ("POST", "xhr", "data-import/upload") in sent  # sent with progress, not a page load

    # The same file again: refused as a duplicate; the form comes back with the message,
    # and it still works (the drop zone, the tick box, the progress).
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", path, XLSX)
    page.click("#import-button")
    page.wait_for_selector("#import-error")
    assert "This file was already imported as import #" in page.inner_text("#import-error")
    page.screenshot(path=SHOTS / "upload-duplicate.png", full_page=True)
    page.check("#force")
    drop_file(page, "#drop-zone", path, XLSX)
    assert "upload.xlsx" in page.inner_text("#drop-label")
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    assert [s for s in sent if s[2] == "data-import/upload"] == \
        [("POST", "xhr", "data-import/upload")] * 3


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, server, tmp_path):
    sent = posts(page)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    big = tmp_path / "big.csv"
    big.write_bytes(b"Invoice #,Customer Code\n" + b"INV-1,C001\n" * 150_000)  # 1.6 MB
    drop_file(page, "#drop-zone", big, "text/csv")
    page.click("#import-button")
    page.wait_for_selector("text=larger than the upload limit")
    assert page.inner_text("#drop-label") == (
        "The file is larger than the upload limit of 1 MB. Split it into smaller files, "
        "or ask an administrator to raise the limit.")
    page.screenshot(path=SHOTS / "upload-too-large.png", full_page=True)
    assert not [s for s in sent if s[2] == "data-import/upload"]


def test_the_progress_of_a_slow_upload_is_shown_as_it_goes(page, server, tmp_path):
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    slow = page.context.new_cdp_session(page)
    slow.send("Network.enable")
    slow.send("Network.emulateNetworkConditions", {  # about 150 KB/s up
        "offline": False, "latency": 20, "downloadThroughput": -1,
        "uploadThroughput": 150 * 1024})
    path = tmp_path / "slow.csv"
    path.write_bytes(b"Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                     b"Location Code\n" + b"".join(
                         f"INV-S{n},C001,2025-01-31,{n},PO-{n},JKT\n".encode()
                         for n in range(20000)))  # about 860 KB
    drop_file(page, "#drop-zone", path, "text/csv")
    page.click("#import-button")
    page.wait_for_function("() => { const n = Number(document.getElementById('upload-bar')"
                           ".getAttribute('aria-valuenow')); return n > 0 && n < 100; }")
    assert page.inner_text("#upload-text").startswith("Uploading: ")
    assert " of 867 KB (" in page.inner_text("#upload-text")  # the body, file and fields
    assert page.is_disabled("#import-button")  # no second upload of the same file
    page.screenshot(path=SHOTS / "upload-progress.png", full_page=True)
    page.wait_for_url("**/data-import/progress/*", timeout=60000)
