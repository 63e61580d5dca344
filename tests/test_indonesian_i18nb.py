"""Two complete languages (issue 16, i18nb): the words of the import rules and results
in Indonesian for an Indonesian organization (file states, rejection reasons, the
preconditions, the help page) and the result e-mail in the uploader's language, while
English readers, the CLI and the API keep the English words."""

from app.extensions import db
from app.models import ImportFile
from app.security import roles
from app.services import preconditions
from app.services.directory import get_org
from tests.conftest import login
from tests.factories import html, invoice_xlsx, mailed_import, make_distributor, speaks


def test_the_help_page_explains_states_and_reasons_in_indonesian(app, client, world):
    world.org("D1")
    world.user("ina", roles.IMPORTER, "D1")
    speaks(app, "D1", "id")
    page = html(login(client, "ina").get("/help/"))
    for words in ("Bantuan: berkas dan statusnya", "Perlu ditinjau", "Diarsipkan",
                  "Sedang dibaca atau dikonsolidasikan.", "Pelanggan tidak dikenal",
                  "Nilai wajib kosong", "Baris yang ditolak", "Kode dalam ekspor",
                  "<strong>Log Penolakan</strong>"):
        assert words in page, words
    for english in ("Help: files and their states", "Needs attention", "Unknown customer",
                    "Being read or consolidated now.", "What it means", "Rejected rows",
                    "Each module has one default template"):
        assert english not in page, english
    assert "<code>unknown_customer</code>" in page  # the code in exports stays the code


def test_the_files_tabs_read_the_states_in_indonesian(app, client, world):
    world.org("D1")
    world.user("ina", roles.IMPORTER, "D1")
    speaks(app, "D1", "id")
    page = html(login(client, "ina").get("/imports/list/"))
    tabs = page[page.index('id="status-tabs"'):]
    tabs = tabs[:tabs.index("</ul>")]
    assert ">Perlu ditinjau</a>" in tabs and ">Diarsipkan</a>" in tabs
    assert "Needs attention" not in tabs and ">Archived<" not in tabs


def test_a_precondition_reads_in_indonesian_on_the_screen_and_in_english_for_the_cli(
        app, client, world):
    world.org("D1")  # no connection, no integration
    world.user("ina", roles.IMPORTER, "D1")
    speaks(app, "D1", "id")
    page = html(login(client, "ina").get("/data-import/"))
    assert "D1 belum memiliki koneksi aktif dengan prinsipal" in page
    assert "Admin Organisasi atau Admin platform dapat memperbaikinya." in page
    assert "has no active connection" not in page
    with app.app_context():
        words = str(preconditions.no_connection(get_org("D1")))
    assert words == ("D1 has no active connection with a principal: a connection is needed "
                     "before importing. An Organization Admin or the platform Admin can "
                     "fix this.")


def imported_mail(app, monkeypatch, language):
    """Upload one good and one bad row as the D1 importer; the result e-mail kept in the
    outbox (no mail server)."""
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    make_distributor(app, "D1")
    speaks(app, "D1", language)
    content = invoice_xlsx([["INV-1", "C001", "2025-01-31", 10, "PO-1", "JKT"],
                            ["INV-2", "C404", "2025-02-01", 20, "PO-2", "JKT"]])
    pk, subject, body = mailed_import(app, "januari.xlsx", content)
    with app.app_context():
        assert db.session.get(ImportFile, pk).rejected == 1
    return subject, body


def test_an_indonesian_uploaders_result_mail_is_in_indonesian(app, monkeypatch):
    subject, body = imported_mail(app, monkeypatch, "id")
    assert subject == "Muara: 1 data dari januari.xlsx tidak diimpor"
    assert "Anda mengunggah berkas Faktur Terbuka januari.xlsx (impor #" in body
    for words in ("tetapi 1 dari 2 data tidak dapat diimpor.", "Diimpor: 1\n",
                  "Ditolak: 1\n", "Tinjau alasannya di sini:",
                  "Status: Perlu ditinjau. Sudah diproses, tetapi beberapa baris ditolak"):
        assert words in body, words
    for english in ("Your ", "could not be imported", "Review the reasons", "State:",
                    "Needs attention"):
        assert english not in body, english


def test_an_english_uploaders_result_mail_is_unchanged(app, monkeypatch):
    subject, body = imported_mail(app, monkeypatch, "en")
    assert subject == "Muara: 1 record of januari.xlsx was not imported"
    assert body.startswith("Your Open Invoices file januari.xlsx (import #")
    assert ("was processed, but 1 of 2 records could not be imported.\n\n"
            "Imported: 1\nRejected: 1\n") in body
    assert "\nState: Needs attention. Processed, but some rows were rejected" in body
