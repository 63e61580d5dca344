"""Issue 16, two complete languages, in the places the first passes missed: the add and
edit forms (labels, help texts, choices), the words of enums and codes on lists and
panels, the framework's confirmation dialog, and the template files (the Template files
screen, the file's headers and its Notes sheet). English readers keep the English."""
import html as entities
import io
import re

import openpyxl
import pytest
from flask_appbuilder.security.sqla.models import Role
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.importing.modules import MODULES
from app.models import Integration, MapperTemplate, TemplateField
from app.models.integrations import IntegrationKind, SyncMode
from app.security import roles
from app.views.display import enum_label, words
from tests.conftest import login
from tests.factories import check_counts, html, invoice_file, make_distributor, run_import
from tests.test_browser_indonesian import english_on


@pytest.fixture
def admin(app, client, world):
    make_distributor(app)
    world.user("root", roles.ADMIN)
    return login(client, "root")


def visible(page):
    """The page's text as a reader sees it (no scripts, no tags)."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", "", page)
    return entities.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_integration_form_reads_indonesian_labels_help_and_choices(admin):
    admin.get("/lang/id")
    page = html(admin.get("/integrationview/add"))
    for indonesian in ("Mode sinkronisasi", "Jadwal sinkronisasi",
                       "Kapan transaksi penjualan dan penyesuaian stok diterapkan",
                       "JJ:MM, 24 jam, waktu setempat, WIB",
                       "Sinkronkan secara langsung", "Sinkronkan saat shift kasir ditutup",
                       "Eksternal (berkas dan kiriman API)", "Batal"):
        assert indonesian in page, indonesian
    assert english_on(visible(page)) == []
    for english in ("Sync mode", "When sales transactions", "Synchronize real time",
                    "HH:MM, 24 hours", "External (files and API push)", ">Cancel<"):
        assert english not in page, english


def test_the_integration_form_in_english_is_unchanged(admin):
    admin.get("/lang/en")
    page = html(admin.get("/integrationview/add"))
    for english in ("Sync mode", "When sales transactions and stock adjustments are applied",
                    "HH:MM, 24 hours, local time, WIB (for Sync on scheduled time).",
                    "Synchronize real time", "External (files and API push)", ">Cancel<"):
        assert english in page, english


def test_the_integration_list_and_the_field_line_form_in_indonesian(admin):
    admin.get("/lang/id")
    # "Files" is the name make_distributor gives D1's integration: data, not a word.
    listed = visible(html(admin.get("/integrationview/list/"))).replace("Files", " ")
    assert "Sinkronkan secara langsung" in listed and "Eksternal (berkas dan kiriman API)" in listed
    assert english_on(listed) == []
    form = html(admin.get("/templatefieldview/add"))
    # The field choice names the module and the field's Indonesian header.
    assert "Faktur Terbuka: Kode Pelanggan" in form and "teks judul kolom" in form
    assert "Open Invoices: Customer Code" not in form
    assert english_on(visible(form)) == []


def test_enum_and_code_words_follow_the_language(app):
    with app.test_request_context("/"):
        with force_locale("id"):
            assert enum_label(SyncMode.realtime) == "Sinkronkan secara langsung"
            assert enum_label(IntegrationKind.external) == "Eksternal (berkas dan kiriman API)"
            assert [words(code) for code in ("transfer_out", "manual", "push", "stock_opname")] \
                == ["Transfer keluar", "Manual", "Dikirim oleh integrasi", "Stok opname"]
        with force_locale("en"):
            assert enum_label(SyncMode.realtime) == "Synchronize real time"
            assert words("transfer_out") == "Transfer out"
    # Outside a request (the CLI, the API) the model keeps its English.
    assert SyncMode.realtime.label == "Synchronize real time"


@pytest.fixture
def editor(app, client, world):
    make_distributor(app)
    world.user("ed", roles.TEMPLATE_EDITOR, "D1")
    return login(client, "ed")


def test_the_template_files_screen_in_indonesian(editor):
    editor.get("/lang/id")
    page = html(editor.get("/template-files/"))
    assert "<code>Kode Pelanggan</code>" in page and "Pelanggan perusahaan (data induk)." in page
    assert "<code>Customer Code</code>" not in page
    assert "Customers of the company" not in page


@pytest.mark.parametrize("module", ["open_invoices", "customers", "products"])
def test_an_indonesian_template_file_and_its_notes_sheet(app, editor, runner, tmp_path,
                                                         module):
    """Headers, sheet names and the Notes sheet in Indonesian; the file still imports as it
    is through the module's default template."""
    editor.get("/lang/id")
    response = editor.get(f"/template-files/{module}.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    label = {"open_invoices": "Faktur Terbuka", "customers": "Pelanggan",
             "products": "Produk"}[module]
    visible_sheets = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    assert visible_sheets == [label, "Catatan"]
    fields = MODULES[module].fields
    headers = [cell.value for cell in workbook.worksheets[0][1]]
    assert headers == [f.header_id or f.header for f in fields]
    notes = [list(row) for row in workbook["Catatan"].iter_rows(values_only=True)]
    assert notes[0] == ["Kolom", "Wajib", "Aturan"]
    for (column, required, rules), field in zip(notes[1:], fields, strict=True):
        assert column == (field.header_id or field.header)
        assert required == ("Ya" if field.required is True else "Tidak")
        assert rules.startswith(("Wajib.", "Opsional.", "Wajib untuk")), rules
    path = tmp_path / f"{module}.xlsx"
    path.write_bytes(response.data)
    _, out = run_import(runner, str(path), module)
    assert (out["status"], out["rows"], out["accepted"], out["rejections"]) == \
        ("archived", 1, 1, [])
    check_counts(app, out)


def test_the_english_template_file_is_unchanged(editor):
    editor.get("/lang/en")
    workbook = openpyxl.load_workbook(io.BytesIO(
        editor.get("/template-files/open_invoices.xlsx").data))
    assert [ws.title for ws in workbook.worksheets][:2] == ["Open Invoices", "Notes"]
    assert [cell.value for cell in workbook["Notes"][1]] == ["Column", "Required", "Rules"]
    assert workbook.worksheets[0]["A1"].value == "Invoice #"


def test_a_template_page_names_its_field_lines_in_indonesian(app, admin):
    with app.app_context():
        pk = db.session.execute(select(MapperTemplate.id)
                                .filter_by(module="open_invoices")).scalar()
    admin.get("/lang/id")
    page = html(admin.get(f"/templateview/show/{pk}"))
    assert "Baris kolom templat" in page and "Terima baris yang valid" in page
    assert "Template field lines" not in page and "Accept valid rows" not in page


# Pages whose words are data: of the security model (permission, view and role names), of
# the audit trail (each event's summary is its row's own name or code, test below), the
# framework's login statistics and the queue dashboard (rq-dashboard's own pages).
NOT_WALKED = ("/roles/", "/permissions/", "/viewmenus/", "/permissionviews/",
              "/auditeventview/", "/userstatschartview/", "/operations/rq")


def test_the_audit_trail_names_actions_and_tables_in_indonesian(admin):
    admin.get("/lang/id")
    page = visible(html(admin.get("/auditeventview/list/")))
    assert "Buat" in page and "Baris kolom templat" in page and "Templat pemetaan" in page
    assert "Create" not in page and "Template field" not in page


def test_every_screen_of_the_menu_shows_no_english_in_indonesian(app, admin, runner,
                                                                 tmp_path):
    """Each screen the Admin's menu opens, and the first add, show and edit page it links
    to, holds no English string of the catalogues once switched to Indonesian. Data is
    left out: the names of the templates, the columns they read, the integrations and
    the roles, the carrier of imported invoices and the name of a read sheet."""
    _, out = run_import(runner, invoice_file(tmp_path, [
        ["INV-1", "C001", "2026-11-05", 150000.5, "PO-1", None],
        ["INV-2", "C999", "2026-11-05", 10, "PO-2", None]]))  # an unknown customer
    assert (out["accepted"], len(out["rejections"])) == (1, 1)
    with app.app_context():
        data = [*db.session.execute(select(MapperTemplate.name)).scalars(),
                *db.session.execute(select(TemplateField.source_column)).scalars(),
                *db.session.execute(select(Integration.name)).scalars(),
                *db.session.execute(select(Role.name)).scalars(), "No Carrier", '"Sheet"']
    admin.get("/lang/id")
    menu = sorted(set(re.findall(r'href="(/[^"#?]*)"', html(admin.get("/")))))
    pages, found = [], {}
    for url in menu:
        if url.startswith(("/static", "/lang", "/logout", *NOT_WALKED)):
            continue
        page = html(admin.get(url, follow_redirects=True))
        pages.append(url)
        for link in re.findall(r'href="(/[a-z_-]+/(?:add|show/\d+|edit/\d+))"', page)[:3]:
            if not link.startswith(NOT_WALKED) and link not in pages:
                pages.append(link)
    assert len(pages) > 40, pages
    for url in pages:
        text = visible(html(admin.get(url, follow_redirects=True)))
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, " ")
        english = [e for e in english_on(text) if e not in REASON_CODES]
        if english:
            found[url] = english
    assert found == {}


REASON_CODES = {"required"}  # the help page lists each reason with its code


def test_a_forms_checks_speak_the_readers_language(admin):
    """WTForms ships no Indonesian: the framework's form template translates each error
    through the framework catalogue."""
    admin.get("/lang/id")
    page = html(admin.post("/integrationview/add", data={"name": ""},
                           follow_redirects=True))
    assert "Kolom ini wajib diisi." in page and "This field is required." not in page
    admin.get("/lang/en")
    page = html(admin.post("/integrationview/add", data={"name": ""},
                           follow_redirects=True))
    assert "This field is required." in page

