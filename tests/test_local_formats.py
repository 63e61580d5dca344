"""Issue 16, local formats and messages in both languages: times in the organization's
time zone with its name, the invoice of 5 November 2026 found by typing its date either
way in either language, sizes and counts grouped the reader's way, a refused file's
reason on its page and in the e-mail, and the 403 and 413 pages, in Indonesian; English
readers keep English."""
import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.i18n import formats
from app.i18n.message_words import message_words
from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.models import ImportFile, OpenInvoice
from app.notifications import _count
from app.security import roles
from app.views.errors import readable_size
from app.views.wording import size_words
from tests.conftest import login, row_ids
from tests.factories import (
    html,
    invoice_file,
    mailed_import,
    make_distributor,
    run_import,
    speaks,
    upload,
)

STAMP = dt.datetime(2026, 11, 5, 7, 30, 12)  # UTC, as stored


@pytest.mark.parametrize("language, zone, shown", [
    ("id", "Asia/Jakarta", "05/11/2026 14:30 WIB"),
    ("en", "Asia/Jakarta", "2026-11-05 14:30 WIB"),
    ("id", "Asia/Makassar", "05/11/2026 15:30 WITA"),
    ("en", "Asia/Jayapura", "2026-11-05 16:30 WIT"),
    ("en", "Europe/Amsterdam", "2026-11-05 08:30 CET"),
])
def test_times_read_in_the_zone_with_its_name_in_both_languages(app, language, zone, shown):
    with app.test_request_context("/"), force_locale(language):
        g._muara_time_zone = zone  # what the viewer's organization says (app.i18n.choice)
        assert formats.datetime_text(STAMP) == shown
        assert formats.datetime_text(STAMP, seconds=True) == shown.replace(":30 ", ":30:12 ")
        assert formats.zone_now() == shown.rsplit(" ", 1)[1] or zone == "Europe/Amsterdam"


def test_a_file_page_shows_its_times_in_the_organizations_zone(app, client, world, runner,
                                                               tmp_path):
    make_distributor(app)
    speaks(app, "D1", "id", "Asia/Makassar")
    world.user("imp1", roles.IMPORTER, "D1")
    _, out = run_import(runner, invoice_file(tmp_path, [
        ["INV-1", "C001", "2026-11-05", 150000.5, "PO-1", None]]))
    with app.app_context():
        uploaded = db.session.get(ImportFile, out["import_id"]).uploaded_at
    login(client, "imp1")
    page = html(client.get(f"/imports/show/{out['import_id']}"))
    local = uploaded + dt.timedelta(hours=8)  # WITA, UTC+8
    assert f"{local:%d/%m/%Y %H:%M:%S} WITA" in page
    assert "WIB" not in page


# --- the date filter -------------------------------------------------------------------

def equal_to_filter(page):
    """The URL argument of Open Invoices' filter "invoice date is equal to" (its index in
    the framework's filter list, the same in both languages)."""
    lines = page[page.index("new AdminFilters("):].splitlines()
    labels, _, operations = (json.loads(line.strip().rstrip(",")) for line in lines[2:5])
    return f"_flt_{operations['invoice_date'].index('Equal to')}_invoice_date"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("typed", ["05/11/2026", "2026-11-05", "5/11/2026"])
def test_the_invoice_of_5_november_2026_is_found_typed_either_way(app, client, world, runner,
                                                                  tmp_path, language, typed):
    make_distributor(app)
    _, out = run_import(runner, invoice_file(tmp_path, [
        ["INV-5NOV", "C001", "2026-11-05", 150000.5, "PO-1", None],
        ["INV-11MAY", "C002", "2026-05-11", 10, "PO-2", None],
        ["INV-10NOV", "C001", "2026-11-10", 20, "PO-3", None]]))
    assert out["accepted"] == 3
    with app.app_context():
        wanted = db.session.execute(select(OpenInvoice.id)
                                    .filter_by(reference="INV-5NOV")).scalar_one()
    world.user("imp1", roles.IMPORTER, "D1")
    login(client, "imp1")
    argument = equal_to_filter(html(client.get("/lang/en", follow_redirects=True)
                                    and client.get("/openinvoiceview/list/")))
    client.get(f"/lang/{language}")
    page = html(client.get("/openinvoiceview/list/", query_string={argument: typed}))
    assert row_ids(page, "openinvoiceview") == [wanted]
    shown = {"id": ("05/11/2026", "150.000,5"), "en": ("2026-11-05", "150,000.5")}[language]
    for text in shown:
        assert text in page


# --- sizes, counts and messages ------------------------------------------------------------

def test_sizes_and_counts_are_grouped_the_readers_way(app):
    with app.test_request_context("/"):
        with force_locale("id"):
            assert (size_words(1536), readable_size(1572864), _count(1234567)) == \
                ("1,5 KB", "1,5 MB", "1.234.567")
            assert readable_size(500) == "500 byte"
        with force_locale("en"):
            assert (size_words(1536), readable_size(1572864), _count(1234567)) == \
                ("1.5 KB", "1.5 MB", "1,234,567")
            assert readable_size(500) == "500 bytes"


def zipped(*names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("content, name, indonesian", [
    (b"", "kosong.csv", "Berkas kosong."),
    (b"%PDF-1.7\n...", "faktur.xlsx", "Berkas ini dokumen PDF, bukan lembar kerja"),
    (zipped("xl/workbook.bin"), "faktur.xlsb", "Berkas ini buku kerja biner Excel (.xlsb)"),
    (zipped("word/document.xml"), "faktur.docx", "Berkas ini dokumen Word, bukan"),
])
def test_a_refused_files_reason_reads_in_indonesian(app, content, name, indonesian):
    """The reasons the file checks really give, as the screens and the e-mail show them."""
    with pytest.raises(FileRejected) as refusal:
        detect_format(content[:8192], name)
    message = refusal.value.message
    with app.test_request_context("/"):
        with force_locale("id"):
            translated = message_words(message)
        with force_locale("en"):
            assert message_words(message) == message
    assert translated.startswith(indonesian), translated


def failed_import(app, monkeypatch, language):
    """A workbook without a header row uploaded by an importer reading `language`: the
    file fails; its page and its e-mail (kept in the outbox) say why."""
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    make_distributor(app)
    speaks(app, "D1", language)
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    pk, _, body = mailed_import(app, "kosong.xlsx", buffer.getvalue())
    with app.app_context():
        assert db.session.get(ImportFile, pk).error_message == "The file has no header row."
    return pk, body


def test_a_failed_files_reason_in_indonesian_on_its_page_and_in_the_mail(app, client,
                                                                         monkeypatch):
    pk, body = failed_import(app, monkeypatch, "id")
    assert "Berkas tidak memiliki baris judul kolom." in body
    assert "The file has no header row." not in body
    login(client, "ina", "Secret-pass-123!")
    page = html(client.get(f"/imports/show/{pk}"))
    assert "Berkas tidak memiliki baris judul kolom." in page
    assert "no header row" not in page


def test_a_failed_files_reason_in_english_is_unchanged(app, monkeypatch):
    _, body = failed_import(app, monkeypatch, "en")
    assert "could not be imported:\n\nThe file has no header row.\n" in body


# --- error pages ---------------------------------------------------------------------------

def test_the_403_and_413_pages_in_indonesian(app, client, world, monkeypatch):
    make_distributor(app)
    speaks(app, "D1", "id")
    world.user("ed", roles.TEMPLATE_EDITOR, "D1")
    world.user("imp1", roles.IMPORTER, "D1")
    login(client, "ed")
    refused = client.get("/imports/list/")
    page = html(refused)
    assert refused.status_code == 403
    assert "<h2>Tidak diizinkan</h2>" in page and ">Beranda</a>" in page
    assert "Not allowed" not in page and "You do not have permission" not in page
    client.get("/logout/")
    login(client, "imp1")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1536)
    response = upload(client, b"x" * 20000, filename="besar.csv")
    page = html(response)
    assert response.status_code == 413
    assert "1,5 KB" in page, "the limit is a number written the Indonesian way"
    assert "File too large" not in page and "larger than the upload limit" not in page


# --- the services' refusals on the screens ---------------------------------------------------

def test_refusals_of_an_upload_and_a_reprocess_read_in_indonesian(app, client, portal):
    """The services refuse in English (the CLI and the API keep it); the screens show the
    refusal in the reader's language."""
    from tests.factories import VALID_ROWS, drain, invoice_xlsx, uploaded_id
    speaks(app, "DIST-A", "id")
    login(client, "imp_a")
    page = html(upload(client, b"", filename="kosong.xlsx"))
    assert "Berkas kosong." in page and "The file is empty." not in page
    refused = uploaded_id(upload(client, b"%PDF-1.7\n...", filename="faktur.xlsx"))
    drain(app)  # the worker reads it and fails it
    page = html(client.get(f"/imports/show/{refused}"))
    assert "Berkas ini dokumen PDF, bukan lembar kerja atau berkas CSV." in page
    assert "not a spreadsheet" not in page
    pk = uploaded_id(upload(client, invoice_xlsx(VALID_ROWS)))
    login(client, "sup_a")
    page = html(client.post(f"/imports/reprocess/{pk}", follow_redirects=True))
    assert f"Impor #{pk}: berkas ini sudah menunggu untuk diproses." in page
    assert "waiting to be processed already" not in page


# --- the REST API keeps English ----------------------------------------------------------------

def test_the_api_answers_an_indonesian_company_in_english(app, client, world):
    """Scripts read the API: its messages and values keep English and ISO even when the
    company, and the signed-in browser beside it, read Indonesian."""
    from tests.factories import drain
    from tests.sync_helpers import auth, make_pos, push, sale
    _, key = make_pos(app)
    speaks(app, "D1", "id")
    world.user("ina", roles.IMPORTER, "D1")
    login(client, "ina")
    client.get("/lang/id")
    refused = push(client, key, {"kind": "sales_transaction", "reference": "",
                                 "date": "2026-02-30", "lines": []})
    assert refused.status_code == 422
    assert refused.get_json()["message"].startswith("Nothing was stored")
    assert push(client, key, sale("S-1")).status_code in (200, 201, 202)
    content = b"Customer Code,Customer Name\nC9,Nine\n\nC10,\n"
    sent = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers", "file": (io.BytesIO(content), "c.csv")})
    assert sent.status_code == 202
    drain(app)
    result = client.get(f"/api/v1/integration/imports/{sent.get_json()['import_id']}",
                        headers=auth(key)).get_json()
    assert (result["status"], result["accepted"], result["rejected"]) == \
        ("needs_attention", 1, 1), result
    text = json.dumps(result)
    assert "is required" in text and "wajib" not in text.lower(), text
    missing = client.get("/api/v1/integration/nothing-here", headers=auth(key))
    assert missing.status_code == 404
    assert "tidak" not in missing.get_data(as_text=True).lower()
