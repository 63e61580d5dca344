"""The main paths in Bahasa Indonesia in a real browser (issue 16): an Importer switches
to Indonesian, imports a file and watches its progress, opens Files and the Rejection
Log, finds the invoice of 5 November 2026 on Open Invoices by typing 05/11/2026; the
principal presses Sync All; the Importer opens Synchronization Status. On every page the
visible text (and the title, placeholder and aria-label attributes, and the confirmation
dialogs) must hold no English string of Muara's or the framework's catalogue that has
an Indonesian translation of its own."""
import re
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po

from app.i18n.catalogues import catalogue_sources
from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
# Words that are the same in both languages' pages or are names of data, not sentences:
# the demo users' names (Importer Demo, Principal Demo) and the integration's name.
DATA_WORDS = {"Importer", "Principal", "Supervisor", "Editor", "Admin", "Demo", "External"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The portal on a fresh instance; its first start (schema, demo data, catalogues)
    is given time on a loaded machine."""
    from tests.live_server import LiveServer
    live = LiveServer(tmp_path_factory.mktemp("indonesian") / "instance", start_timeout=300)
    yield live
    live.stop()


def english_phrases():
    """Every English msgid (or, for one with placeholders, each longer piece of it
    between them) whose Indonesian differs; too short or ambiguous ones left out."""
    phrases = set()
    for source in catalogue_sources():
        if source.parts[-4] not in ("framework", "muara") or source.parts[-3] != "id":
            continue
        with source.open("rb") as handle:
            catalogue = read_po(handle)
        for message in catalogue:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = (message.string if isinstance(message.string, tuple)
                       else (message.string,))
            for english in ids:
                if not english or english in strings:
                    continue
                pieces = PLACEHOLDER.split(english)
                for piece in pieces:
                    piece = " ".join(piece.split()).strip(" .,:;()—-·")
                    if len(pieces) > 1 and (len(piece) < 12 or " " not in piece):
                        continue
                    if len(piece) < 4 or not re.search(r"[a-z]", piece):
                        continue
                    if piece in DATA_WORDS:
                        continue
                    phrases.add(piece)
    return phrases


PHRASES = None


def english_on(text):
    global PHRASES
    if PHRASES is None:
        PHRASES = [(phrase, re.compile(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])"))
                   for phrase in sorted(english_phrases(), key=len, reverse=True)]
    text = " ".join(text.split())
    return sorted({phrase for phrase, pattern in PHRASES if pattern.search(text)})


VISIBLE = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[title], [placeholder], [aria-label]")) {
    for (const name of ["title", "placeholder", "aria-label"]) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const el of document.querySelectorAll("input[type=submit], input[type=button]")) {
    parts.push(el.value);
  }
  return parts.join("\\n");
}"""


class Walk:
    """The pages seen and the English found on each."""

    def __init__(self, page):
        self.page = page
        self.found = {}
        self.dialogs = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        english = english_on(dialog.message)
        if english:
            self.found[f"dialog: {dialog.message}"] = english
        dialog.accept()

    def look(self, name, data=()):
        self.page.wait_for_load_state()
        self.page.wait_for_selector("body")
        text = self.page.evaluate(VISIBLE)
        for value in data:
            text = text.replace(value, " ")
        english = english_on(text)
        if english:
            self.found[f"{name} ({self.page.url})"] = english
        self.page.screenshot(path=SHOTS / f"id-{name}.png", full_page=True)
        return text


def invoices_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["No. Faktur", "Kode Pelanggan", "Tanggal Faktur", "Saldo Faktur",
                  "No. PO Pelanggan", "Kode Lokasi"])
    sheet.append(["INV-ID1", "C001", "2026-11-05", 150000.5, "PO-1", "JKT"])
    sheet.append(["INV-ID2", "C001", "2026-11-10", 2500, "PO-2", "JKT"])
    sheet.append(["INV-ID3", "C999", "2026-11-05", 10, "PO-3", "JKT"])  # unknown customer
    workbook.save(path)
    return path


def orders_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["No. Pesanan", "Tanggal Pesanan", "Kode Pelanggan", "Kode Produk",
                  "Kuantitas", "Harga Satuan", "Kode Lokasi"])
    sheet.append(["SO-ID1", "2026-11-05", "C001", "P001", 12, 3500, "JKT"])
    workbook.save(path)
    return path


def import_file(walk, module, path, name):
    page = walk.page
    page.goto("/data-import/")
    page.select_option("#module", module)
    drop_file(page, "#drop-zone", path, XLSX)
    # The templates' names are the organization's data (the demo's: "Default Open Invoices").
    walk.look(f"{name}-form", data=[Path(path).name, *template_names(page)])
    page.click("#import-button")
    page.wait_for_url("**/data-import/progress/*")
    page.wait_for_selector("#result", state="visible", timeout=60000)
    walk.look(f"{name}-progress", data=[Path(path).name])
    return page.inner_text("#result-alert")


def template_names(page):
    return sorted(page.locator("#template option").all_inner_texts(), key=len, reverse=True)


def test_the_main_paths_show_no_english(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    assert len(english_on("Logout and Open Invoices")) == 2  # the check itself sees English
    walk = Walk(page)
    log_in(page, server, "importer", language="id")
    walk.look("home")

    result = import_file(walk, "open_invoices", invoices_file(tmp_path / "faktur.xlsx"),
                         "import")
    assert "3" in result and "1" in result, result
    import_file(walk, "sales_orders", orders_file(tmp_path / "pesanan.xlsx"), "orders")

    page.goto("/imports/list/")
    walk.look("files", data=["faktur.xlsx", "pesanan.xlsx"])
    with page.expect_navigation():
        page.click("a[href*='/imports/show/'] >> nth=0")
    walk.look("file", data=["faktur.xlsx", "pesanan.xlsx", '"Sheet"',
                            "Default Open Invoices", "Default Sales Orders"])

    page.goto("/rejections/list/")
    text = walk.look("rejections", data=["faktur.xlsx"])
    assert "C999" in text

    page.goto("/openinvoiceview/list/")
    page.click("a.accordion-toggle[href='#accordion1_href']")
    page.click("#filter_form .dropdown-toggle")
    page.click("a.filter[name=invoice_date]")
    date_input = page.locator("#filter_form input[name$=_invoice_date] >> nth=-1")
    date_input.fill("05/11/2026")
    page.keyboard.press("Escape")
    walk.look("invoices-filter", data=["No Carrier"])
    page.click("#filter_form button[type=submit], #filter_form input[type=submit]")
    page.wait_for_url(re.compile(r"_flt_\d+_invoice_date="))
    text = walk.look("invoices-found", data=["No Carrier"])  # the invoices' stored carrier
    assert "INV-ID1" in text and "INV-ID2" not in text
    assert "05/11/2026" in text and "150.000,5" in text

    page.goto("/sync-status/")
    walk.look("sync-status")
    with page.expect_navigation():
        page.click("a[href*='/sync-status/integration/'] >> nth=0")
    walk.look("sync-panel")

    page.goto("/logout/")
    walk.look("logout")
    page.click("#logout-button")
    walk.look("login")
    log_in(page, server, "principal", language="id")
    page.goto("/sync-all/")
    walk.look("sync-all")
    page.click("#sync-all-button")
    page.wait_for_selector("#sync-result.alert-success, #sync-result.alert-warning",
                           timeout=60000)
    walk.look("sync-all-result")
    assert walk.dialogs, "Sync All asks for a confirmation"
    assert walk.found == {}, "\n".join(f"{where}: {english}"
                                       for where, english in walk.found.items())
