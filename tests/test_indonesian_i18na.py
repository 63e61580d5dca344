"""The import screens in Indonesian (issue 16): a user of an organization that speaks
"id" reads the Data Import form, the progress page, the file page, the Undo page and
their flashes in Indonesian, with none of the English sentences left."""
from tests.conftest import login
from tests.factories import drain, html, invoice_xlsx, speaks, upload, uploaded_id

ROWS = [["INV-1", "C001", "2025-01-31", 100, "PO-1", None],
        ["INV-2", "C404", "2025-02-01", 20, "PO-2", None]]


def test_the_data_import_form_in_indonesian(app, client, portal):
    speaks(app, "DIST-A")
    login(client, "imp_a")
    page = html(client.get(f"/data-import/?org={portal.a}"))
    for words in ("Modul apa yang akan Anda impor?", "Siapa yang dapat melihat berkas ini?",
                  "Periksa saja", "Letakkan berkas di sini, atau klik untuk memilihnya"):
        assert words in page
    for english in ("What module are you going to import?", "Who can view these files?",
                    ">Check only<", "Drop the file here", "One file per import"):
        assert english not in page


def test_check_progress_and_file_page_in_indonesian(app, client, portal):
    speaks(app, "DIST-A")
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(ROWS), org=str(portal.a), dry_run="1"))
    progress = html(client.get(f"/data-import/progress/{pk}"))
    assert "Memeriksa invoices.xlsx" in progress and "Impor sekarang" in progress
    assert "Checking invoices.xlsx" not in progress and "Import now<" not in progress
    drain(app)
    shown = html(client.get(f"/imports/show/{pk}"))
    assert "Berkas asli" in shown and "Log penolakan" in shown
    assert "Original file" not in shown and "Rejection log" not in shown

    queued = html(client.post(f"/imports/import-now/{pk}", follow_redirects=True))
    assert f"Impor #{pk} masuk antrean untuk diimpor" in queued
    assert "is queued to be imported" not in queued


def test_the_undo_page_in_indonesian(app, client, portal):
    speaks(app, "DIST-A")
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(ROWS[:1]), org=str(portal.a)))
    drain(app)
    login(client, "sup_a")
    page = html(client.get(f"/imports/undo/{pk}"))
    assert f"Batalkan impor #{pk}" in page and "Belum ada yang berubah" in page
    assert "Nothing has changed yet" not in page and "Undo this import" not in page
