"""The help pages' pictures (issue 16): chromium walks each task the help explains, in
English and in Bahasa Indonesia, against the portal as `python run.py` serves it, and saves
the screenshots the help pages show (app/static/help/<language>/<topic>-<n>.png), so they
never go stale. Each picture is entered in app/static/help/manifest.json with its hash and
the test that took it; tests/test_help_pages.py checks every picture a help page shows is
there and came from here. On the way, each screen's title carries the "?" to its page."""
import hashlib
import json
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from tests.fake_accurate import CLIENT_ID, CLIENT_SECRET, FakeAccurate
from tests.live_server import (
    ROOT,
    LiveServer,
    browser_page,
    drop_file,
    log_in,
    needs_chromium,
)
from tests.returns_helpers import MINIMAL, detail, doc

pytestmark = needs_chromium

HELP = ROOT / "app" / "static" / "help"
MANIFEST = HELP / "manifest.json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LANGUAGES = ["en", "id"]
VIEWPORT = {"width": 1200, "height": 800}


@pytest.fixture(scope="module")
def fake():
    server = FakeAccurate(databases=[{"id": 1156, "alias": "PT Demo Jakarta"},
                                     {"id": 1157, "alias": "PT Demo Surabaya"}]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, fake):
    live = LiveServer(tmp_path_factory.mktemp("help-screens") / "instance", extra_env={
        "ACCURATE_CLIENT_ID": CLIENT_ID, "ACCURATE_CLIENT_SECRET": CLIENT_SECRET,
        "ACCURATE_ACCOUNT_URL": fake.url, "ACCURATE_PAGE_SIZE": "2"})
    live.cli("integration", "add", "DEMO-DIST", "Accurate", "--kind", "accurate")
    yield live
    live.stop()


@pytest.fixture
def page(server):
    """A browser window of the pictures' size."""
    with browser_page(server, viewport=VIEWPORT, hide_scrollbars=True) as page:
        yield page


class Pictures:
    """The screenshots of one topic in one language, numbered as they are taken."""

    def __init__(self, page, request, topic, language):
        self.page, self.topic, self.language = page, topic, language
        self.test = request.node.nodeid
        self.taken = []
        self.pending = Path(tempfile.mkdtemp(prefix=f"help-{language}-{topic}-"))

    def take(self, help_link=True, at=None):
        """Save what the window shows (scrolled to `at`, a selector, if given). A screen
        the topic explains must carry the "?" to it in its title."""
        # A selector waited for may show before the page's last scripts have run.
        self.page.wait_for_load_state("load")
        if help_link:
            link = self.page.locator("h2 #help-link, .panel-title #help-link")
            assert link.count() == 1, f"no ? in the title of {self.page.url}"
            assert link.get_attribute("href") == f"/help/{self.topic}"
        if at:
            self.page.locator(at).first.evaluate(
                "element => element.scrollIntoView({block: 'center'})")
        else:
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        name = f"{self.topic}-{len(self.taken) + 1}.png"
        # Kept aside until the whole walk passed (record): a failed walk changes nothing.
        self.pending.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.pending / name, animations="disabled", caret="hide")
        self.taken.append(name)

    def record(self):
        """Enter this run's pictures in the manifest, replacing the topic's previous ones
        (a picture no longer taken is removed with its entry)."""
        manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
        prefix = f"{self.language}/{self.topic}-"
        for old in [key for key in manifest if key.startswith(prefix)]:
            if old.split("/", 1)[1] not in self.taken:
                (HELP / old).unlink(missing_ok=True)
            del manifest[old]
        (HELP / self.language).mkdir(parents=True, exist_ok=True)
        for name in self.taken:
            shutil.move(self.pending / name, HELP / self.language / name)
            data = (HELP / self.language / name).read_bytes()
            manifest[f"{self.language}/{name}"] = {
                "sha256": hashlib.sha256(data).hexdigest(), "test": self.test}
        MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


@pytest.fixture
def pictures(page, request):
    """A test's pictures, entered in the manifest only when the whole walk passed (a
    failed walk leaves the pictures and the manifest as they were)."""
    made = []
    failed_before = request.session.testsfailed

    def start(topic, language):
        made.append(Pictures(page, request, topic, language))
        return made[-1]

    yield start
    if request.session.testsfailed == failed_before:
        for taken in made:
            taken.record()


def sign_out(page):
    page.goto("/logout/")
    page.click("#logout-button")


def workbook(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def orders_file(path, tag):
    return workbook(path, [
        ["Order Number", "Order Date", "Customer Code", "Product Code", "Quantity",
         "Unit Price", "Location Code"],
        [f"SO-{tag}1", "2026-11-05", "C001", "P001", 12, 3500, "JKT"],
        [f"SO-{tag}1", None, None, "P002", 24, 2500, None],
        [f"SO-{tag}2", "2026-11-05", "C002", "P003", 5, 18000, "SBY"]])


def upload(page, module, path, mime=XLSX):
    page.goto("/data-import/")
    page.select_option("#module", module)
    drop_file(page, "#drop-zone", path, mime)
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    page.wait_for_selector("#result", state="visible", timeout=60000)
    return int(re.search(r"/data-import/progress/(\d+)", page.url).group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_import_a_file(page, server, pictures, tmp_path, language):
    shots = pictures("import-file", language)
    log_in(page, server, "importer", language)
    page.goto("/data-import/")
    page.select_option("#module", "sales_orders")
    drop_file(page, "#drop-zone", orders_file(tmp_path / f"orders-{language}.xlsx",
                                              f"H{language.upper()}"), XLSX)
    shots.take()
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    page.wait_for_selector("#result", state="visible", timeout=60000)
    shots.take()
    page.goto("/imports/list/?_flt_0_status=imported")
    assert f"orders-{language}.xlsx" in page.inner_text("body")
    shots.take(help_link=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_write_or_propose_a_mapper_template(page, server, pictures, tmp_path, language):
    shots = pictures("mapper-templates", language)
    log_in(page, server, "editor", language)
    page.goto("/templateview/list/")
    shots.take()
    page.goto("/templateview/propose")
    page.select_option("#module", "open_invoices")
    sample = workbook(tmp_path / "faktur.xlsx", [
        ["No. Faktur", "Kode Pelanggan", "Tanggal Faktur", "Saldo Faktur", "No. PO Pelanggan",
         "Kode Gudang"],
        ["FK-001", "C001", "05/11/2026", 1500000, "PO-7", "JKT"],
        ["FK-002", "C002", "06/11/2026", 250000, "PO-8", "SBY"]])
    page.set_input_files("#file", str(sample))
    page.click("#template-propose-form button[type=submit]")
    page.wait_for_selector("#proposal-table")
    shots.take()
    page.goto("/template-files/")
    shots.take()


@pytest.mark.parametrize("language", LANGUAGES)
def test_review_and_fix_rejections(page, server, pictures, tmp_path, language):
    shots = pictures("rejections", language)
    log_in(page, server, "importer", language)
    tag = language.upper()
    file_id = upload(page, "open_invoices", workbook(tmp_path / f"invoices-{language}.xlsx", [
        ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
         "Location Code"],
        [f"INV-{tag}1", "C001", "2026-11-05", 150000.5, "PO-1", "JKT"],
        [f"INV-{tag}2", "C999", "2026-11-05", 10000, "PO-2", "JKT"],
        [f"INV-{tag}3", "C002", "2026-13-01", 20000, "PO-3", "SBY"]]))
    page.wait_for_selector("#rejections-link", state="visible")
    shots.take(help_link=False)
    sign_out(page)

    log_in(page, server, "supervisor", language)
    page.goto(f"/rejections/list/?_flt_0_import_file={file_id}")
    assert "C999" in page.inner_text("body")
    shots.take()
    page.goto(f"/imports/show/{file_id}")
    page.click("#fix-in-browser")
    page.wait_for_selector("#fix-grid")
    page.locator('#fix-grid tr[data-row="3"] td[data-col="1"] input').fill("C003")
    page.wait_for_selector('#fix-grid tr[data-row="3"][data-valid="yes"]')
    shots.take()


@pytest.mark.parametrize("language", LANGUAGES)
def test_sync_all_and_the_file_states(page, server, pictures, tmp_path, language):
    shots = pictures("sync-all", language)
    log_in(page, server, "importer", language)
    upload(page, "sales_orders", orders_file(tmp_path / f"sync-{language}.xlsx",
                                             f"S{language.upper()}"))
    sign_out(page)

    log_in(page, server, "principal", language)
    page.goto("/sync-all/")
    assert "DEMO-DIST" in page.inner_text("#waiting-files")
    shots.take()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#sync-all-button")
    page.wait_for_selector("#sync-result.alert-warning, #sync-result.alert-success",
                           timeout=60000)
    shots.take(help_link=False)
    sign_out(page)

    log_in(page, server, "importer", language)
    page.goto("/imports/list/?_flt_0_status=archived")
    assert f"sync-{language}.xlsx" in page.inner_text("body")
    shots.take()


def push_documents(page, server, documents):
    """Documents pushed to the External integration's API with a key made on screen."""
    page.goto("/api-keys/list/")
    page.click("#create-key")
    page.wait_for_selector("#integration")
    page.select_option("#integration", page.eval_on_selector(
        "#integration", "s => [...s.options].find(o => /External/.test(o.text)).value"))
    page.click("#create-key-submit")
    page.wait_for_selector("#api-key")
    request = urllib.request.Request(
        f"{server.url}/api/v1/integration/documents", method="POST",
        data=json.dumps({"documents": documents}).encode(),
        headers={"Authorization": f"Bearer {page.input_value('#api-key')}",
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


@pytest.mark.parametrize("language", LANGUAGES)
def test_sync_settings_and_the_status_panel(page, server, pictures, language):
    shots = pictures("sync-settings", language)
    log_in(page, server, "admin", language)
    page.goto("/integrationview/list/?_flt_0_name=External")
    page.click("a[href*='/integrationview/edit/']")
    page.wait_for_selector("#sync_mode")
    page.select_option("#sync_mode", page.eval_on_selector(
        "#sync_mode", "s => [...s.options].find(o => /scheduled/.test(o.value)).value"))
    page.fill("#sync_time", "22:00")
    shots.take(at="#sync_mode")
    page.click("button[type=submit]")
    page.wait_for_selector(".alert")
    # The outside system pushes a transfer out of an unknown product and the transfer in
    # that depends on it: both fail when synced, the first with its reason.
    tag = language.upper()
    push_documents(page, server, [
        {"kind": "transfer_out", "reference": f"OUT-{tag}", "date": "2026-11-05T09:00:00",
         "location": "JKT", "destination": "SBY",
         "lines": [{"product": f"NEW-{tag}", "quantity": "3"}]},
        {"kind": "transfer_in", "reference": f"IN-{tag}", "date": "2026-11-05T12:00:00",
         "location": "SBY", "transfer_out": f"OUT-{tag}",
         "lines": [{"product": "P001", "quantity": "3"}]}])
    page.goto("/sync-status/")
    shots.take()
    page.locator("#sync-integrations tr", has_text="External").locator(
        "a[href*='/sync-status/integration/']").first.click()
    page.wait_for_selector("#sync-settings")
    assert "22:00" in page.inner_text("#sync-settings")
    page.click("#sync-transfers")
    for _ in range(60):
        if f"IN-{tag}" in page.inner_text("#failed-records"):
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert f"OUT-{tag}" in page.inner_text("#failed-records")
    shots.take()


@pytest.mark.parametrize("language", LANGUAGES)
def test_reintegrate_an_accounting_service(page, server, pictures, language):
    shots = pictures("reintegrate-service", language)
    log_in(page, server, "admin", language)
    page.goto("/integrationview/list/?_flt_0_name=Accurate")
    page.click("a[href*='/integrationview/show/']")
    page.click("#service-link-button")
    page.wait_for_selector("#service-state")
    if not page.locator("#remove-service").count():  # never connected: once, first
        page.click("#connect-service")
        page.wait_for_selector("#branch-form")
        page.click("#branch-submit")
        page.wait_for_selector("#remove-service")
    shots.take()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#remove-service")
    page.wait_for_selector("#connect-service")
    shots.take(at="#connect-service")
    page.click("#connect-service")          # -> the provider approves -> back to Muara
    page.wait_for_selector("#branch-form")
    page.select_option("#branch", label="PT Demo Surabaya")
    shots.take()
    page.click("#branch-submit")
    page.wait_for_selector("#sync-master_data")
    page.click("#sync-master_data")
    page.wait_for_selector("#sync-runs tr.finished-run", timeout=60000)
    assert "PT Demo Surabaya" in page.inner_text("#service-branch")
    shots.take(at="#sync-runs")


@pytest.mark.parametrize("language", LANGUAGES)
def test_import_customer_returns(page, server, pictures, tmp_path, language):
    shots = pictures("customer-returns", language)
    log_in(page, server, "importer", language)
    tag = language.upper()
    xml = tmp_path / f"returns-{language}.xml"
    xml.write_text(doc(MINIMAL + f"<number>R-{tag}1</number>" + detail(),
                       MINIMAL + f"<number>R-{tag}2</number>" + detail(amount="3")),
                   encoding="utf-8")
    page.goto("/data-import/")
    page.select_option("#module", "customer_returns")
    drop_file(page, "#drop-zone", xml, "application/xml")
    shots.take(help_link=False)  # Data Import's "?" is the page on importing a file
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    page.wait_for_selector("#result", state="visible", timeout=60000)
    shots.take(help_link=False)
    page.goto("/customerreturnview/list/")
    assert f"R-{tag}1" in page.inner_text("body")
    shots.take()
