"""Indonesian headers map by themselves (issue 16): every field knows its header in
Bahasa Indonesia, the proposal maps an Indonesian file with full confidence and shows
the first values of each column, and a default template (English headers) imports a
file headed in Indonesian."""
import pytest

from app.importing.matching import propose_mapping
from app.importing.modules import MODULES
from tests.conftest import login
from tests.factories import file_part, invoice_xlsx, invoices, make_distributor, run_import

ID_INVOICE_HEADER = ["No. Faktur", "Kode Pelanggan", "Tanggal Faktur", "Saldo Faktur",
                     "No. PO Pelanggan", "Kode Lokasi"]


@pytest.mark.parametrize("module", list(MODULES.values()), ids=lambda m: m.name)
def test_every_field_of_every_module_maps_from_its_indonesian_header(module):
    headers = [field.header_id for field in module.fields]
    assert all(headers), "a field without its Indonesian header"
    proposals = propose_mapping(headers, module)
    assert [(p.header, p.confidence) for p in proposals] == [(h, 1.0) for h in headers]


@pytest.mark.parametrize("headers, module, expected", [
    (["Nomor Faktur", "Kode Customer", "Tgl Faktur", "Sisa Tagihan", "No PO", "Gudang"],
     "open_invoices", ["reference", "customer", "invoice_date", "balance", "customer_po",
                       "location"]),
    (["Kode Barang", "Kode Gudang", "Dus", "Isi Dus", "Tanggal"], "inventory_boxes",
     ["product", "location", "boxes", "units_per_box", "entry_date"]),
    (["Tanggal Kunjungan", "Nama Salesman", "Kode Toko", "Jam Masuk", "Jam Keluar",
      "Keterangan"], "daily_visits",
     ["visit_date", "salesperson", "customer", "check_in", "check_out", "notes"]),
])
def test_common_indonesian_spellings_map(headers, module, expected):
    proposals = propose_mapping(headers, MODULES[module])
    assert [p.field for p in proposals if p.header] == expected
    assert all(p.confidence >= 0.9 for p in proposals if p.header)


def test_a_default_template_imports_a_file_headed_in_indonesian(app, runner, tmp_path):
    make_distributor(app)
    path = tmp_path / "faktur.xlsx"
    path.write_bytes(invoice_xlsx([["INV-1", "C001", "2025-01-31", 1250.5, "PO-1", "JKT"]],
                                  header=ID_INVOICE_HEADER))
    _, data = run_import(runner, str(path))
    assert (data["accepted"], data["rejected"]) == (1, 0), data
    assert invoices(app)["INV-1"][0] == "C001"


def proposal_of_an_indonesian_file(app, client, world, language=None):
    """The template proposal page for an invoice file with Indonesian headers, proposed
    to a Template Editor of D1 (reading `language` when given); its fields all 100%."""
    make_distributor(app)
    world.user("editor", "Template Editor", "D1")
    login(client, "editor")
    if language:
        client.get(f"/lang/{language}")
    sample = invoice_xlsx([["INV-1", "C001", "2025-01-31", 1250.5, "PO-1", "JKT"],
                           ["INV-2", "C002", "2025-02-01", 20, "PO-2", "JKT"]],
                          header=ID_INVOICE_HEADER)
    response = client.post("/templateview/propose", data={
        "module": "open_invoices", "file": file_part(sample, "faktur.xlsx")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert page.count("class=\"confidence\">100%") == 6
    return page


def test_the_proposal_shows_the_first_values_under_each_column(app, client, world):
    page = proposal_of_an_indonesian_file(app, client, world)
    assert "e.g. C001, C002" in page and "e.g. INV-1, INV-2" in page


def test_a_default_template_reads_a_fields_other_spellings(app, runner, tmp_path):
    """Issue 16 names "Jumlah / Kuantitas": the default template of Sales Orders (header
    Quantity) reads a column headed Jumlah, as it reads one headed Kuantitas."""
    make_distributor(app)
    path = tmp_path / "pesanan.csv"
    path.write_text("Nomor Pesanan,Tanggal Pesanan,Kode Pelanggan,Kode Lokasi,Kode Produk,"
                    "Jumlah,Harga Satuan\nSO-1,2025-01-31,C001,JKT,P001,3,1500\n",
                    encoding="utf-8")
    _, data = run_import(runner, str(path), module="sales_orders")
    assert (data["accepted"], data["rejected"]) == (1, 0), data


# The Indonesian headers issue 16 names, each with the field it must find.
NAMED = [
    ("customers", "Kode Pelanggan", "code"), ("customers", "Nama Pelanggan", "name"),
    ("open_invoices", "No. Faktur", "reference"),
    ("open_invoices", "Tanggal Faktur", "invoice_date"),
    ("open_invoices", "Saldo Faktur", "balance"),
    ("open_invoices", "No. PO Pelanggan", "customer_po"),
    ("open_invoices", "Kode Lokasi", "location"), ("open_invoices", "Gudang", "location"),
    ("products", "Kode Produk", "code"), ("products", "Nama Produk", "name"),
    ("products", "Satuan", "unit"),
    ("sales_orders", "Jumlah", "quantity"), ("sales_orders", "Kuantitas", "quantity"),
    ("sales_orders", "Harga Satuan", "unit_price"),
    ("daily_visits", "Tanggal Kunjungan", "visit_date"),
    ("daily_visits", "Salesman", "salesperson"),
]


@pytest.mark.parametrize("module, header, field", NAMED)
def test_each_header_the_issue_names_maps_with_high_confidence(module, header, field):
    found = [p for p in propose_mapping([header], MODULES[module]) if p.header]
    assert [(p.field, p.header) for p in found] == [(field, header)]
    assert found[0].confidence >= 0.9


def test_the_proposal_in_indonesian_shows_the_fields_and_sample_values(app, client, world):
    page = proposal_of_an_indonesian_file(app, client, world, language="id")
    assert "mis. C001, C002" in page and "mis. INV-1, INV-2" in page
    assert "<td>Kode Pelanggan" in page and "e.g. " not in page
    assert 'value="Faktur Terbuka (faktur)"' in page  # the proposed name
