"""Issue 16, the last English on the screens: the progress line and the result sentences
with their plurals, a rejection's message, the template screens, the Synchronization
Status panel and the service connection page, in Indonesian (English unchanged)."""
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.i18n.message_words import message_words
from app.models import Integration
from app.models.imports import ImportStatus
from app.security import roles
from app.views.import_outcome import checked_line, duration_words, outcome, progress_line
from app.views.notices import result_words
from tests.conftest import login
from tests.factories import MIXED_ROWS, drain, html, invoice_xlsx, speaks, upload, uploaded_id

NOW = datetime(2026, 1, 1, 12, 0, 0)


def imp(status, **figures):
    values = dict(rows_done=0, rows_total=None, accepted=0, rejected=0, started_at=None)
    values.update(figures)
    return SimpleNamespace(status=status, **values)


def test_the_progress_line_in_indonesian_groups_numbers_its_way(app):
    running = imp(ImportStatus.processing, rows_done=40_000, rows_total=300_000,
                  accepted=40_000, started_at=NOW - timedelta(seconds=20))
    with app.test_request_context("/"), force_locale("id"):
        line = progress_line(running, NOW)
        assert "40.000 dari sekitar 300.000 baris, 40.000 diterima, 0 ditolak" in line
        assert line.endswith("· 2.000 baris per detik · sisa sekitar 2 menit")
        assert duration_words(3 * 3600 + 300) == "sekitar 3 jam 5 menit"
    with app.test_request_context("/"), force_locale("en"):
        assert progress_line(running, NOW).endswith(
            "40,000 of about 300,000 rows, 40,000 accepted, 0 rejected"
            " · 2,000 rows per second · about 2 minutes left")
        assert duration_words(3 * 3600 + 300) == "about 3 hours 5 minutes"


@pytest.mark.parametrize("language, one, many", [
    ("en", "Nothing was imported: 1 row was rejected.",
     "Nothing was imported: 2 rows were rejected."),
    ("id", "Tidak ada yang diimpor: 1 baris ditolak.",
     "Tidak ada yang diimpor: 2 baris ditolak."),
])
def test_result_sentences_agree_with_their_counts(app, language, one, many):
    with app.test_request_context("/"), force_locale(language):
        assert outcome(imp(ImportStatus.needs_attention, rows_done=1, rejected=1), {}) == \
            ("warning", one)
        assert outcome(imp(ImportStatus.needs_attention, rows_done=2, rejected=2), {}) == \
            ("warning", many)


def test_the_other_result_sentences_in_indonesian(app):
    with app.test_request_context("/"), force_locale("id"):
        waiting = imp(ImportStatus.imported, rows_done=3, accepted=2, rejected=1)
        assert outcome(waiting, {})[1] == (
            "Diimpor: 2 baris menunggu konsolidasi (Sinkronkan Semua oleh prinsipal, atau "
            "proses harian); 1 baris ditolak.")
        partly = imp(ImportStatus.needs_attention, rows_done=1234, accepted=1000,
                     rejected=234)
        assert outcome(partly, {})[1] == "234 dari 1.234 catatan tidak diimpor."
        assert checked_line({"would_create": 2, "would_update": 0, "unchanged": 0}, 1) == (
            "Diperiksa, tidak ada yang ditulis. Impor akan membuat 2 catatan, memperbarui 0 "
            "dan membiarkan 0 tanpa perubahan; 1 baris ditolak.")
        assert result_words(partly) == ("warning",
                                         "234 baris tidak diimpor, 1000 diterima.")
        failed = imp(ImportStatus.failed)
        assert outcome(failed, {"error": {"message": "x"}}) == (
            "danger", "Berkas tidak dapat diimpor: x")


@pytest.mark.parametrize("stored, indonesian", [
    ("Customer code 'C999' does not exist for this company.",
     "Kode pelanggan 'C999' tidak ada untuk perusahaan ini."),
    ("Invoice Date '2025-13-01' is not a valid date in the format YYYY-MM-DD.",
     "Tanggal Faktur '2025-13-01' bukan tanggal yang valid dalam format YYYY-MM-DD."),
    ("Customer Code is required.", "Kode Pelanggan wajib diisi."),
    ("A message no pattern knows.", "A message no pattern knows."),
])
def test_a_stored_rejection_message_reads_in_the_users_language(app, stored, indonesian):
    with app.test_request_context("/"), force_locale("id"):
        assert message_words(stored) == indonesian
    with app.test_request_context("/"), force_locale("en"):
        assert message_words(stored) == stored


def test_the_rejection_log_shows_messages_in_indonesian(app, client, portal):
    speaks(app, "DIST-A")
    login(client, "imp_a")
    uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="mixed.xlsx"))
    drain(app)
    page = html(client.get("/rejections/list/"))
    assert "bukan tanggal yang valid" in page and "kesalahan" in page
    assert "is not a valid date" not in page and ">error<" not in page


def test_template_screens_in_indonesian(app, client, world, portal):
    speaks(app, "DIST-A")
    world.user("ed_a", roles.TEMPLATE_EDITOR, "DIST-A")
    login(client, "ed_a")
    listing = html(client.get("/templateview/list/"))
    assert "Usulkan dari contoh berkas" in listing and "Impor berkas templat" in listing
    assert "Propose from a sample file" not in listing
    propose = html(client.get("/templateview/propose"))
    assert "Usulkan templat dari contoh berkas" in propose and "Baris judul" in propose
    assert "Choose the module" not in propose and "Header row" not in propose
    imported = html(client.get("/templateview/import"))
    assert "Impor berkas templat" in imported and "Import a template file" not in imported


def test_sync_panel_and_service_page_in_indonesian(app, client, world, portal):
    speaks(app, "DIST-A")
    login(client, "sup_a")
    with app.app_context():
        integration_id = db.session.execute(
            db.select(Integration.id).filter_by(name="Ext A")).scalar_one()
    panel = html(client.get(f"/sync-status/integration/{integration_id}"))
    assert "Status Sinkronisasi: Ext A" in panel and "Catatan yang gagal" in panel
    assert "Belum ada proses." in panel and "0 catatan menunggu." in panel
    for english in ("Failed records", "No runs yet.", "Sync mode:", "record(s) waiting"):
        assert english not in panel
