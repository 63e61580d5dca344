"""Issue 16, two complete languages: the home page, Sync All, the dashboard, operations
and the Synchronization Status speak Indonesian to a user whose organization does, and
no English sentence of theirs is left on the page."""
from app.security import roles
from tests.conftest import login
from tests.factories import html, speaks


def test_the_importers_home_page_in_indonesian(app, client, portal):
    speaks(app, "DIST-A")
    login(client, "imp_a")
    page = html(client.get("/"))
    assert "Berkas terakhir organisasi Anda" in page
    assert "Impor berkas" in page and "Belum ada berkas yang diimpor." in page
    assert "Masuk sebagai" in page and "bekerja untuk" in page
    for english in ("Your organization's last files", "Import a file", "Signed in as",
                    "No file imported yet.", "One place where distributors"):
        assert english not in page


def test_the_template_editor_reads_the_missing_templates_in_indonesian(app, client, world,
                                                                       portal):
    speaks(app, "DIST-A")
    world.user("ed_a", roles.TEMPLATE_EDITOR, "DIST-A")
    login(client, "ed_a")
    page = html(client.get("/"))
    assert "Belum ada templat untuk" in page and "Tambah templat bawaan" in page
    assert "No template for" not in page and "are refused until there is one" not in page


def test_the_principal_reads_sync_all_and_the_dashboard_in_indonesian(app, client, portal):
    speaks(app, "PRIN-P")
    login(client, "prin_p")
    home = html(client.get("/"))
    assert "Berkas yang menunggu Sinkronkan Semua" in home
    assert "Files waiting for Sync All" not in home
    sync_all = html(client.get("/sync-all/"))
    assert "Konsolidasikan sekarang setiap berkas terimpor" in sync_all
    assert "Berkas menunggu (status Diimpor)" in sync_all
    assert "Consolidate every" not in sync_all and "Files waiting" not in sync_all
    dashboard = html(client.get("/dashboard/"))
    assert "Berkas per status" in dashboard and "Tingkat penolakan per distributor" in dashboard
    assert "Files per state" not in dashboard and "Rejection rate" not in dashboard


def test_the_admin_switched_to_indonesian_reads_operations_and_sync_status(app, client,
                                                                           world, portal):
    world.user("root", roles.ADMIN)
    login(client, "root")
    assert client.get("/lang/id").status_code == 302
    home = html(client.get("/"))
    assert "Pekerjaan latar belakang" in home and "Tidak ada pekerja yang berjalan" in home
    assert "Background work" not in home and "No worker is running" not in home
    operations = html(client.get("/operations/"))
    assert "Impor per status" in operations and "Belum ada impor yang selesai." in operations
    assert "Imports per state" not in operations and "No import has finished" not in operations
    status = html(client.get("/sync-status/"))
    assert "Status Sinkronisasi" in status or "Status sinkronisasi" in status
    assert "Synchronization status" not in status and "No integrations." not in status
