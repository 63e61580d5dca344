"""Imports end to end, through the job: `muara import PATH --wait` stores the file, queues
it, runs the embedded queue in this process and prints the SPEC section 8 JSON.

Here: files that cannot be taken at all, the IMP-2 preconditions, duplicates,
re-processing, the rejection policy, the module rules (INV-1, CRD-1, BOX-1, master data),
exports as a viewer may see them, and the JSON contract. The per-value rules of the
columns are in test_import_rules.py.

Every import's JSON is checked against the database (check_counts): rows = accepted +
rejected, one row per rejected record, nothing lost.
"""
import datetime as dt
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.importing import pipeline
from app.models import (
    BalanceAdjustment,
    Customer,
    ImportFile,
    Integration,
    Location,
    OpenInvoice,
    Organization,
    Product,
    StockEntry,
)
from app.models.templates import RejectionPolicy
from app.services import directory
from tests.factories import (
    BOXES_HEADER,
    CREDIT_HEADER,
    GOOD_INVOICES,
    INVOICE_HEADER,
    MB,
    READ_AS_XLSX,
    REJECTION_KEYS,
    SPEC_KEYS,
    balances,
    check_counts,
    counts,
    import_status,
    invoice_file,
    invoices,
    make_distributor,
    muara,
    refused,
    rej,
    run_import,
    set_template,
    write_bytes,
    xlsx,
)

# --- files that cannot be taken -------------------------------------------------------------

@pytest.mark.parametrize("name, data, what", [
    ("invoices.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
    ("scan.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "a PNG image"),
    ("scan.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "a PNG image"),
])
def test_not_a_spreadsheet_fails_the_import(app, runner, d1, tmp_path, name, data, what):
    result, out = run_import(runner, write_bytes(tmp_path / name, data), ok=False)
    assert result.exit_code == 1
    assert out == {"import_id": out["import_id"], "status": "failed", "rows": 0, "accepted": 0,
                   "rejected": 0, "rejections": [],
                   "error": {"reason": "not_a_spreadsheet",
                             "message": f"The file is {what}, not a spreadsheet or CSV file."}}
    assert import_status(app, out["import_id"]) == (
        "failed", "not_a_spreadsheet", f"The file is {what}, not a spreadsheet or CSV file.")
    check_counts(app, out)
    assert counts(app)["invoices"] == 0


def test_xml_for_a_spreadsheet_module_fails(app, runner, d1, tmp_path):
    path = write_bytes(tmp_path / "invoices.xml", b"<?xml version='1.0'?><invoices/>")
    _, out = run_import(runner, path, ok=False)
    assert (out["status"], out["error"]) == ("failed", {
        "reason": "wrong_format",
        "message": "Open Invoices is imported from a spreadsheet or CSV file, not XML."})


def test_csv_bytes_going_bad_after_some_batches(app, runner, d1, tmp_path, monkeypatch):
    """The file fails with the line at fault; the batches before it stay written and
    counted (rows = accepted + rejected = what is in the database)."""
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 500)
    lines = [",".join(INVOICE_HEADER)]
    lines += [f"INV-{n},C001,2025-01-31,1,PO-{n}{'é' if n == 1 else ''}," for n in range(1, 2001)]
    # UTF-8 from its first row (PO-1é), then a Windows-1252 byte: a file of mixed encodings.
    data = ("\n".join(lines) + "\n").encode() + b"INV-X,C001,2025-01-31,1,PO-\xe9,\n"
    _, out = run_import(runner, write_bytes(tmp_path / "late.csv", data), ok=False)
    assert out["error"] == {"reason": "bad_encoding",
                            "message": "Line 2002 is not valid UTF-8 text: save the file as "
                                       "CSV UTF-8 and upload it again."}
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("failed", 2000, 2000, 0)
    check_counts(app, out)
    assert counts(app)["invoices"] == 2000


def test_a_windows_1252_csv_whose_first_accent_comes_late_imports_whole(app, runner, d1,
                                                                         tmp_path):
    """Its first 64 KB are plain ASCII; the encoding is decided by the first bytes past
    ASCII, before anything is written."""
    lines = [",".join(INVOICE_HEADER)]
    lines += [f"INV-{n},C001,2025-01-31,1,PO-{n}," for n in range(1, 3001)]
    data = ("\n".join(lines) + "\n").encode() + b"INV-X,C002,2025-01-31,2,PO-\xe9,\n"
    assert len(data) > 64 * 1024
    _, out = run_import(runner, write_bytes(tmp_path / "late1252.csv", data))
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("archived", 3001, 3001, 0)
    check_counts(app, out)
    with app.app_context():
        assert db.session.execute(select(OpenInvoice.customer_po).where(
            OpenInvoice.reference == "INV-X")).scalar() == "PO-é"


def test_the_stored_file_is_copied_out_whole_in_small_chunks(app, runner, d1, tmp_path,
                                                            monkeypatch):
    monkeypatch.setattr(pipeline, "SPOOL_CHUNK", 7)  # many chunks, one cut inside a cell
    lines = [",".join(INVOICE_HEADER)]
    lines += [f"INV-{n},C001,2025-01-31,{n}.5,PO-{n}," for n in range(1, 51)]
    _, out = run_import(runner, write_bytes(tmp_path / "chunks.csv",
                                            ("\n".join(lines) + "\n").encode()))
    assert (out["status"], out["accepted"], out["rejected"]) == ("archived", 50, 0)
    assert invoices(app)["INV-50"][2] == Decimal("50.5")


def test_empty_file_is_refused_and_nothing_stored(app, runner, d1, tmp_path):
    result, _ = run_import(runner, write_bytes(tmp_path / "empty.xlsx", b""), ok=False)
    refused(result, "The file is empty.")
    assert counts(app)["imports"] == 0


def test_blank_csv_is_stored_then_fails_as_empty(app, runner, d1, tmp_path):
    result, out = run_import(runner, write_bytes(tmp_path / "blank.csv", b" \r\n\r\n"), ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {"reason": "empty_file", "message": "The file is empty."}
    check_counts(app, out)


def test_header_without_a_required_column_fails_naming_it(app, runner, d1, tmp_path):
    header = [h for h in INVOICE_HEADER if h != "Customer PO"]
    path = xlsx(tmp_path / "no_po.xlsx", [header, ["INV-1", "C001", "2025-01-31", 100, "JKT"]])
    _, out = run_import(runner, path, ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {
        "reason": "missing_column",
        "message": "The file has no column 'Customer PO', which the template requires. Columns "
                   "found: 'Invoice #', 'Customer Code', 'Invoice Date', 'Invoice Balance', "
                   "'Location Code'."}
    assert (out["rows"], out["rejections"]) == (0, [])
    check_counts(app, out)
    assert invoices(app) == {}


def test_several_missing_columns_are_named_together(app, runner, d1, tmp_path):
    # ("Amount" would be read as the Invoice Balance: it is one of its other names.)
    path = xlsx(tmp_path / "short.xlsx", [["Invoice #", "Remarks"], ["INV-1", 5]])
    _, out = run_import(runner, path, ok=False)
    assert out["error"] == {
        "reason": "missing_column",
        "message": "The file has no column 'Customer Code', 'Invoice Date', 'Invoice Balance', "
                   "'Customer PO', which the template requires. Columns found: 'Invoice #', "
                   "'Remarks'."}


def test_sheet_named_in_the_template_missing(app, runner, d1, tmp_path):
    set_template(app, "D1", "open_invoices", sheet="Invoices")
    path = xlsx(tmp_path / "wrong_sheet.xlsx", [INVOICE_HEADER, *GOOD_INVOICES], sheet="Data",
                extra_sheets=[("Notes", [["hello"]])])
    _, out = run_import(runner, path, ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {"reason": "sheet_missing",
                            "message": "The workbook has no sheet named 'Invoices' "
                                       "(sheets: Notes, Data)."}
    assert invoices(app) == {}


def test_sheet_named_in_the_template_is_read_wherever_it_is(app, runner, d1, tmp_path):
    set_template(app, "D1", "open_invoices", sheet="invoices")  # Excel ignores case
    path = xlsx(tmp_path / "sheets.xlsx", [INVOICE_HEADER, *GOOD_INVOICES], sheet="Invoices",
                extra_sheets=[("Notes", [["Invoice #"], ["NOT-AN-INVOICE"]])])
    _, out = run_import(runner, path)
    assert (out["status"], out["rows"], out["accepted"]) == ("archived", 2, 2)
    assert sorted(invoices(app)) == ["INV-1", "INV-2"]


@pytest.mark.parametrize("name", ["real", "minimal"])
def test_password_protected_workbook(app, runner, d1, tmp_path, name):
    if name == "real":
        # An invoice workbook encrypted by Excel's scheme with the password "secret"
        # (made once with msoffcrypto-tool, which the project does not depend on).
        data = (Path(__file__).parent / "data" / "password_protected.xlsx").read_bytes()
    else:  # the smallest such container: the two stream names in a compound file
        data = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
                + "EncryptionInfo".encode("utf-16-le") + bytes(50)
                + "EncryptedPackage".encode("utf-16-le") + bytes(200))
    _, out = run_import(runner, write_bytes(tmp_path / "locked.xlsx", data), ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {"reason": "password_protected",
                            "message": "The workbook is password-protected: remove the "
                                       "password and upload it again."}
    check_counts(app, out)


def test_zip_bomb_is_refused_before_parsing(app, runner, d1, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UNPACKED_MB", 10)

    def must_not_parse(*args, **kwargs):
        raise AssertionError("a zip bomb must be refused before it is parsed")
    monkeypatch.setattr("app.importing.safe_read.open_table", must_not_parse)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(MB)
            for _ in range(60):
                member.write(chunk)
    assert path.stat().st_size < MB  # small to upload, 60 MB unpacked
    _, out = run_import(runner, str(path), ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {"reason": "zip_bomb",
                            "message": "The file expands to 61 MB when unpacked (limit 10 MB): "
                                       "refused as a possible zip bomb."}
    check_counts(app, out)


def test_file_over_the_size_limit_is_refused_with_its_size(app, runner, d1, tmp_path,
                                                           monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    path = write_bytes(tmp_path / "big.csv", b"Invoice #\n" + b"INV-1\n" * 1000)  # 6010 bytes
    result, _ = run_import(runner, path, ok=False)
    refused(result, "the file is 5.9 KB; the limit is 2 KB")
    assert counts(app)["imports"] == 0


def test_file_over_the_default_limit_names_megabytes(app, runner, d1, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1 * MB)
    path = write_bytes(tmp_path / "big.csv", b"x" * (MB + 1))
    result, _ = run_import(runner, path, ok=False)
    refused(result, "the file is 1.1 MB; the limit is 1 MB")


def test_a_job_that_breaks_leaves_the_import_failed_not_processing(app, runner, d1, tmp_path,
                                                                   monkeypatch):
    """An unexpected error in the job must not leave the file "processing" forever (the
    CLI would wait for it for a day)."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr("app.importing.tabular.WRITERS", {"open_invoices": broken})
    _, out = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {"reason": "internal_error",
                            "message": "The import stopped because of an internal error "
                                       "(RuntimeError). Re-process the file once the problem "
                                       "is fixed."}
    assert (out["rows"], out["accepted"], out["rejected"]) == (0, 0, 0)
    assert invoices(app) == {}
    with app.app_context():
        task = db.session.get(ImportFile, out["import_id"]).task_id
        from app.models.tasks import BackgroundTask
        task = db.session.get(BackgroundTask, task)
        assert str(task.status) == "failed"
        assert "RuntimeError: disk on fire" in task.error

    # Fixed: re-processing the stored file imports it.
    monkeypatch.undo()
    from app.cli.waiting import wait_for_import
    from app.services.imports import reprocess
    with app.app_context():
        reprocess(db.session.get(ImportFile, out["import_id"]))
        again = wait_for_import(out["import_id"])
    assert (again["status"], again["accepted"]) == ("archived", 2)
    assert sorted(invoices(app)) == ["INV-1", "INV-2"]


# --- preconditions (IMP-2, TPL-5) ------------------------------------------------------------

def test_unsupported_module_is_refused(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "deliveries.xlsx", [["DO Number"], ["DO-1"]])
    result, _ = run_import(runner, path, "delivery_orders", ok=False)
    refused(result, "Importing Delivery Order is not supported yet.")
    assert counts(app)["imports"] == 0


def test_no_active_connection(app, runner, d1, tmp_path):
    with app.app_context():
        directory.connect("D1", "P1", active=False)
        db.session.commit()
    result, _ = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), ok=False)
    refused(result, "D1 has no active connection with a principal: a connection is needed "
                    "before importing. An Organization Admin or the platform Admin can fix "
                    "this.")
    assert counts(app)["imports"] == 0


def test_no_active_external_integration(app, runner, d1, tmp_path):
    with app.app_context():
        db.session.execute(update(Integration).values(active=False))
        directory.add_integration("D1", "Dms", "dms")
        db.session.commit()
    result, _ = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), ok=False)
    refused(result, "D1 has no active External integration: create one before importing. "
                    "An Organization Admin or the platform Admin can fix this.")
    assert counts(app)["imports"] == 0


def test_a_dms_integration_cannot_be_chosen(app, runner, d1, tmp_path):
    with app.app_context():
        directory.add_integration("D1", "Dms", "dms")
        db.session.commit()
    result, _ = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), "open_invoices", "D1",
                           "--integration", "Dms", ok=False)
    refused(result, "Dms is a DMS integration: its data comes through the integration, not by "
                    "file upload. Choose an External integration.")
    assert counts(app)["imports"] == 0


def test_no_template_for_the_module(app, runner, tmp_path):
    make_distributor(app, modules=("customers",))
    result, _ = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), ok=False)
    refused(result, "D1 has no mapper template for Open Invoices: create one before "
                    "importing (Mapper Templates > Add default templates, or `muara template "
                    "defaults D1`).")
    assert counts(app)["imports"] == 0


@pytest.mark.parametrize("args, message", [
    (["--module", "open_invoices", "--org", "NOPE"], "unknown organization: NOPE"),
    (["--module", "invoices", "--org", "D1"],
     "unknown module: invoices (one of customers, products, open_invoices, open_credits, "
     "inventory_boxes, sales_orders, daily_visits, purchase_invoices, sales_invoices, "
     "delivery_orders, delivery_summaries, customer_returns)"),
    (["--module", "open_invoices", "--org", "P1"],
     "P1 is a principal: files are imported by distributors"),
    (["--module", "open_invoices", "--org", "D1", "--principal", "P9"],
     "D1 has no active connection with P9: files can be shared only with connected "
     "principals."),
    (["--module", "open_invoices", "--org", "D1", "--integration", "Nope"],
     "unknown integration of D1: Nope"),
    (["--module", "open_invoices", "--org", "D1", "--integration", "Old"],
     "integration Old is inactive"),
])
def test_bad_arguments_store_nothing(app, runner, d1, tmp_path, args, message):
    with app.app_context():
        directory.add_integration("D1", "Old", "external", active=False)
        db.session.commit()
    result = muara(runner, "import", invoice_file(tmp_path, GOOD_INVOICES), *args, "--wait")
    refused(result, message)
    assert counts(app)["imports"] == 0


def test_a_missing_path_is_refused(app, runner, d1, tmp_path):
    result, _ = run_import(runner, str(tmp_path / "nope.xlsx"), ok=False)
    refused(result, f"cannot read {tmp_path / 'nope.xlsx'}: No such file or directory")


def test_with_two_connections_the_principal_must_be_chosen(app, runner, d1, tmp_path):
    with app.app_context():
        directory.add_org("P2", "P2 name", "principal")
        directory.connect("D1", "P2")
        directory.add_integration("D1", "Second", "external")
        db.session.commit()
    path = invoice_file(tmp_path, GOOD_INVOICES)
    result, _ = run_import(runner, path, ok=False)
    refused(result, "choose who can view the file (--principal): P1, P2")
    result, _ = run_import(runner, path, "open_invoices", "D1", "--principal", "P2", ok=False)
    refused(result, "choose the source integration (--integration): Files, Second")
    _, out = run_import(runner, path, "open_invoices", "D1", "--principal", "P2",
                        "--integration", "Second")
    with app.app_context():
        imp = db.session.get(ImportFile, out["import_id"])
        assert (imp.principal.code, imp.integration.name) == ("P2", "Second")


def test_a_file_with_only_its_header_has_no_rows(app, runner, d1, tmp_path):
    _, out = run_import(runner, invoice_file(tmp_path, []))
    assert out == {"import_id": out["import_id"], "status": "archived", "rows": 0,
                   "accepted": 0, "rejected": 0, "rejections": [], "read_as": READ_AS_XLSX}


def test_the_external_integration_and_principal_are_recorded(app, runner, d1, tmp_path):
    _, out = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    with app.app_context():
        imp = db.session.get(ImportFile, out["import_id"])
        assert (imp.integration.name, imp.principal.code, imp.filename, imp.forced) == \
            ("Files", "P1", "invoices.xlsx", False)
        assert imp.template.name == "Default Open Invoices"


# --- the JSON contract (SPEC section 8) --------------------------------------------------------

def test_wait_prints_exactly_the_spec_keys(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [*GOOD_INVOICES,
                                   ["INV-3", "C001", "2025-13-01", 5, "PO-3", "JKT"]])
    result, out = run_import(runner, path)
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1  # one JSON object on one line
    assert set(out) == SPEC_KEYS
    assert all(set(r) == REJECTION_KEYS for r in out["rejections"])
    assert out == {"import_id": out["import_id"], "status": "needs_attention", "rows": 3,
                   "accepted": 2, "rejected": 1, "rejections": [rej(
                       4, "Invoice Date", "invoice_date", "2025-13-01", "invalid_date",
                       "Invoice Date '2025-13-01' is not a valid date in the format "
                       "YYYY-MM-DD.")], "read_as": READ_AS_XLSX}
    assert isinstance(out["import_id"], int)
    check_counts(app, out)


def test_wait_of_a_clean_file_is_archived_with_no_rejections(app, runner, d1, tmp_path):
    _, out = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    assert set(out) == SPEC_KEYS
    assert (out["status"], out["rows"], out["accepted"], out["rejected"], out["rejections"]) == \
        ("archived", 2, 2, 0, [])


def test_without_wait_prints_the_queued_import(app, runner, d1, tmp_path):
    result = muara(runner, "import", invoice_file(tmp_path, GOOD_INVOICES),
                   "--module", "open_invoices", "--org", "D1")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out == {"import_id": out["import_id"], "status": "imported"}
    assert import_status(app, out["import_id"]) == ("imported", None, None)
    assert invoices(app) == {}


# --- open invoices (INV-1) ----------------------------------------------------------------

def test_open_invoice_has_no_carrier_and_its_total_as_an_additional_charge(app, runner, d1,
                                                                           tmp_path):
    _, out = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    assert out["status"] == "archived"
    assert invoices(app) == {
        "INV-1": ("C001", dt.date(2025, 1, 31), Decimal("100"), "PO-1", "JKT", "No Carrier",
                  [("Additional Charge", Decimal("100"))]),
        "INV-2": ("C002", dt.date(2025, 2, 1), Decimal("20.125"), "PO-2", None, "No Carrier",
                  [("Additional Charge", Decimal("20.125"))]),
    }
    assert balances(app) == {"C001": Decimal("100"), "C002": Decimal("20.125")}


def test_reimporting_a_changed_file_updates_never_duplicates(app, runner, d1, tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES, "v1.xlsx"))
    changed = [["INV-1", "C001", "2025-03-01", 75.5, "PO-1B", None],
               ["INV-3", "C002", "2025-03-02", 10, "PO-3", "JKT"]]
    _, out = run_import(runner, invoice_file(tmp_path, changed, "v2.xlsx"))
    assert (out["status"], out["accepted"]) == ("archived", 2)
    assert invoices(app) == {
        "INV-1": ("C001", dt.date(2025, 3, 1), Decimal("75.5"), "PO-1B", None, "No Carrier",
                  [("Additional Charge", Decimal("75.5"))]),
        "INV-2": ("C002", dt.date(2025, 2, 1), Decimal("20.125"), "PO-2", None, "No Carrier",
                  [("Additional Charge", Decimal("20.125"))]),
        "INV-3": ("C002", dt.date(2025, 3, 2), Decimal("10"), "PO-3", "JKT", "No Carrier",
                  [("Additional Charge", Decimal("10"))]),
    }
    assert counts(app)["invoices"] == 3 and counts(app)["charges"] == 3
    assert balances(app) == {"C001": Decimal("75.5"), "C002": Decimal("30.125")}


def test_an_invoice_moved_to_another_customer_leaves_the_old_balance(app, runner, d1, tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES, "v1.xlsx"))
    moved = [["INV-1", "C002", "2025-01-31", 100, "PO-1", "JKT"]]
    run_import(runner, invoice_file(tmp_path, moved, "v2.xlsx"))
    assert invoices(app)["INV-1"][0] == "C002"
    assert balances(app) == {"C001": Decimal("0"), "C002": Decimal("120.125")}


def test_invoices_are_per_distributor(app, runner, d1, tmp_path):
    make_distributor(app, "D2", principal="P1")
    path = invoice_file(tmp_path, GOOD_INVOICES)
    run_import(runner, path)
    _, out = run_import(runner, path, "open_invoices", "D2")  # same bytes, other org
    assert out["accepted"] == 2
    assert sorted(invoices(app, "D1")) == sorted(invoices(app, "D2")) == ["INV-1", "INV-2"]
    assert counts(app)["invoices"] == 4


# --- duplicates, re-processing, policy (IMP-6, IMP-9) ------------------------------------------

def test_same_file_twice_is_refused_naming_the_earlier_import(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, GOOD_INVOICES)
    _, first = run_import(runner, path)
    before = counts(app)
    result, _ = run_import(runner, path, ok=False)
    with app.app_context():
        uploaded = db.session.get(ImportFile, first["import_id"]).uploaded_at
    refused(result, f"this file was already imported as import #{first['import_id']} "
                    f"(invoices.xlsx, {uploaded:%Y-%m-%d %H:%M}, Archived); force it to "
                    "import it again")
    assert counts(app) == before


def test_same_bytes_under_another_name_are_the_same_file(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, GOOD_INVOICES)
    _, first = run_import(runner, path)
    copy = write_bytes(tmp_path / "copy.xlsx", open(path, "rb").read())
    result, _ = run_import(runner, copy, ok=False)
    assert f"already imported as import #{first['import_id']} (invoices.xlsx," in result.stderr


def test_forced_duplicate_is_imported_again_without_duplicating(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [*GOOD_INVOICES, ["INV-9", "NOPE", "2025-01-01", 1, "PO", None]])
    _, first = run_import(runner, path)
    before = counts(app)
    _, again = run_import(runner, path, "open_invoices", "D1", "--force")
    assert again["import_id"] != first["import_id"]
    assert {k: again[k] for k in ("status", "rows", "accepted", "rejected", "rejections")} == \
        {k: first[k] for k in ("status", "rows", "accepted", "rejected", "rejections")}
    after = counts(app)
    assert after["imports"] == before["imports"] + 1
    assert after["rejections"] == before["rejections"] + 1
    assert {k: after[k] for k in ("invoices", "charges")} == {"invoices": 2, "charges": 2}
    with app.app_context():
        assert db.session.get(ImportFile, again["import_id"]).forced is True
    check_counts(app, again)


def test_reprocess_never_duplicates_and_rebuilds_rejections(app, runner, d1, tmp_path):
    from app.cli.waiting import wait_for_import
    from app.services.imports import reprocess
    path = invoice_file(tmp_path, [*GOOD_INVOICES,
                                   ["INV-3", "C003", "2025-01-05", 7, "PO-3", "JKT"],
                                   ["INV-4", "C001", "2025-02-30", 8, "PO-4", "JKT"]])
    _, first = run_import(runner, path)
    assert (first["accepted"], first["rejected"]) == (2, 2)
    before = counts(app)

    with app.app_context():
        reprocess(db.session.get(ImportFile, first["import_id"]))
        again = wait_for_import(first["import_id"])
    assert again == first
    assert counts(app) == before
    check_counts(app, again)

    # Master data fixed: re-processing now takes the row it rejected before.
    with app.app_context():
        db.session.add(Customer(organization_id=d1, code="C003", name="Three", balance=0))
        db.session.commit()
        reprocess(db.session.get(ImportFile, first["import_id"]))
        fixed = wait_for_import(first["import_id"])
    assert (fixed["status"], fixed["rows"], fixed["accepted"], fixed["rejected"]) == \
        ("needs_attention", 4, 3, 1)
    assert fixed["rejections"] == [rej(
        5, "Invoice Date", "invoice_date", "2025-02-30", "invalid_date",
        "Invoice Date '2025-02-30' is not a valid date in the format YYYY-MM-DD.")]
    check_counts(app, fixed)
    assert sorted(invoices(app)) == ["INV-1", "INV-2", "INV-3"]
    assert counts(app)["charges"] == 3
    assert balances(app)["C003"] == Decimal("7")


def test_reprocess_of_a_waiting_import_is_refused(app, runner, d1, tmp_path):
    from app.errors import MuaraError
    from app.services.imports import reprocess
    result = muara(runner, "import", invoice_file(tmp_path, GOOD_INVOICES),
                   "--module", "open_invoices", "--org", "D1")
    import_id = json.loads(result.stdout)["import_id"]
    with app.app_context():
        with pytest.raises(MuaraError, match=rf"^Import #{import_id}: this file is waiting "
                                             r"to be processed already\.$"):
            reprocess(db.session.get(ImportFile, import_id))


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(app, runner, d1, tmp_path):
    run_import(runner, invoice_file(tmp_path, [["INV-1", "C001", "2025-01-01", 1, "OLD", None]],
                                    "old.xlsx"))
    set_template(app, "D1", "open_invoices", policy=RejectionPolicy.all_or_nothing)
    before_invoices, before_balances = invoices(app), balances(app)
    path = invoice_file(tmp_path, [*GOOD_INVOICES,
                                   ["INV-3", "C001", "2025-01-05", 7.0001, "PO-3", "JKT"]])
    _, out = run_import(runner, path)
    assert out == {
        "import_id": out["import_id"], "status": "needs_attention", "rows": 3, "accepted": 2,
        "rejected": 1,
        "rejections": [rej(4, "Invoice Balance", "balance", "7.0001", "too_many_decimals",
                           "Invoice Balance 7.0001 has 4 decimals; at most 3 are allowed.")],
        "note": "All or nothing: 2 valid rows were not written because 1 was rejected.",
        "read_as": READ_AS_XLSX}
    check_counts(app, out)
    assert invoices(app) == before_invoices  # INV-1 not updated, INV-2 not created
    assert balances(app) == before_balances


def test_all_or_nothing_writes_a_clean_file(app, runner, d1, tmp_path):
    set_template(app, "D1", "open_invoices", policy=RejectionPolicy.all_or_nothing)
    _, out = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == ("archived", 2, 2, 0)
    assert sorted(invoices(app)) == ["INV-1", "INV-2"]
    assert counts(app)["charges"] == 2


def test_batches_keep_counts_and_duplicates_across_them(app, runner, d1, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 2)
    rows = [[f"INV-{n}", "C001", "2025-01-01", n, f"PO-{n}", None] for n in range(1, 8)]
    rows.insert(4, ["INV-2", "C002", "2025-01-01", 99, "PO-X", None])  # row 6 repeats row 3
    rows.append(["INV-8", "C009", "2025-01-01", 8, "PO-8", None])
    _, out = run_import(runner, invoice_file(tmp_path, rows))
    assert (out["rows"], out["accepted"], out["rejected"]) == (9, 7, 2)
    assert [(r["row"], r["reason"]) for r in out["rejections"]] == \
        [(6, "duplicate_in_file"), (10, "unknown_customer")]
    check_counts(app, out)
    assert sorted(invoices(app)) == [f"INV-{n}" for n in range(1, 8)]
    assert invoices(app)["INV-2"][2] == Decimal("2")
    assert balances(app)["C001"] == Decimal(sum(range(1, 8)))


# --- open credits (CRD-1) ---------------------------------------------------------------------

def test_open_credits_become_balance_adjustments_and_lower_the_balance(app, runner, d1,
                                                                       tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    credits = xlsx(tmp_path / "credits.xlsx", [
        CREDIT_HEADER,
        ["C001", "2025-02-01", "CR-1", 30],
        ["C001", dt.date(2025, 2, 2), "CR-2", 0.5],
        ["C002", "2025-02-03", "CR-1", 0.125],
        ["C002", "2025-02-03", "CR-3", -4],
    ])
    _, out = run_import(runner, credits, "open_credits")
    assert (out["rows"], out["accepted"], out["rejected"]) == (4, 3, 1)
    assert out["rejections"] == [rej(5, "Amount", "amount", "-4", "not_positive",
                                     "Amount must be greater than zero (got -4).")]
    check_counts(app, out)
    with app.app_context():
        rows = db.session.execute(
            select(Customer.code, BalanceAdjustment.reference, BalanceAdjustment.credit_date,
                   BalanceAdjustment.amount, BalanceAdjustment.import_id)
            .join(Customer, BalanceAdjustment.customer_id == Customer.id)
            .order_by(Customer.code, BalanceAdjustment.reference)).all()
    assert [tuple(r) for r in rows] == [
        ("C001", "CR-1", dt.date(2025, 2, 1), Decimal("30"), out["import_id"]),
        ("C001", "CR-2", dt.date(2025, 2, 2), Decimal("0.5"), out["import_id"]),
        ("C002", "CR-1", dt.date(2025, 2, 3), Decimal("0.125"), out["import_id"]),
    ]
    assert balances(app) == {"C001": Decimal("69.5"), "C002": Decimal("20")}

    # A changed credit file updates the adjustments; the balance follows.
    changed = xlsx(tmp_path / "credits2.xlsx", [CREDIT_HEADER, ["C001", "2025-02-01", "CR-1", 10]])
    run_import(runner, changed, "open_credits")
    assert counts(app)["credits"] == 3
    assert balances(app) == {"C001": Decimal("89.5"), "C002": Decimal("20")}


# --- inventory in boxes (BOX-1) ---------------------------------------------------------------

def test_inventory_boxes_become_stock_in_units(app, runner, tmp_path):
    make_distributor(app, multi_location=True, locations=("JKT", "SBY"))
    path = xlsx(tmp_path / "boxes.xlsx", [
        BOXES_HEADER,
        ["P001", "JKT", 12, 24, "2025-01-31"],
        ["P002", "SBY", 3, 10, dt.date(2025, 1, 31)],
        ["P001", "SBY", 2.5, 10, "2025-01-31"],
        ["P001", "JKT", 0, 24, "2025-02-01"],
        ["P003", "JKT", 1, 1, "2025-02-01"],
        ["P002", "SBY", 5, 10, "2025-01-31"],
    ])
    _, out = run_import(runner, path, "inventory_boxes")
    assert out["rejections"] == [
        rej(4, "Boxes", "boxes", "2.5", "not_whole_number", "Boxes '2.5' is not a whole number."),
        rej(5, "Boxes", "boxes", "0", "not_positive", "Boxes must be greater than zero (got 0)."),
        rej(6, "Product Code", "product", "P003", "unknown_product",
            "Product code 'P003' does not exist for this company."),
        rej(7, "Product Code", "product,location,entry_date", "P002 / SBY / 2025-01-31",
            "duplicate_in_file",
            "Product Code + Location Code + Date 'P002 / SBY / 2025-01-31' appears more than "
            "once in the file: first on row 3; this row was not imported."),
    ]
    assert (out["rows"], out["accepted"], out["rejected"]) == (6, 2, 4)
    check_counts(app, out)

    def stock():
        with app.app_context():
            return [tuple(r) for r in db.session.execute(
                select(Product.code, Location.code, StockEntry.entry_date, StockEntry.boxes,
                       StockEntry.units_per_box, StockEntry.quantity)
                .join(Product, StockEntry.product_id == Product.id)
                .join(Location, StockEntry.location_id == Location.id)
                .order_by(Product.code, Location.code)).all()]
    assert stock() == [("P001", "JKT", dt.date(2025, 1, 31), 12, 24, 288),
                       ("P002", "SBY", dt.date(2025, 1, 31), 3, 10, 30)]

    again = xlsx(tmp_path / "boxes2.xlsx", [BOXES_HEADER, ["P001", "JKT", 10, 24, "2025-01-31"]])
    run_import(runner, again, "inventory_boxes")
    assert stock() == [("P001", "JKT", dt.date(2025, 1, 31), 10, 24, 240),
                       ("P002", "SBY", dt.date(2025, 1, 31), 3, 10, 30)]


# --- master data --------------------------------------------------------------------------------

def test_customers_module_upserts_master_data(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "customers.xlsx", [
        ["Customer Code", "Customer Name", "Customer ID"],
        ["C001", "Toko Makmur Baru", "SRC-1"],
        ["C003", "Warung Tiga", None],
        ["C004", None, "SRC-4"],
        [1005, "Numeric code", 77],
    ])
    _, out = run_import(runner, path, "customers")
    assert out["rejections"] == [rej(4, "Customer Name", "name", None, "required",
                                     "Customer Name is required.")]
    assert (out["rows"], out["accepted"], out["rejected"]) == (4, 3, 1)
    check_counts(app, out)
    with app.app_context():
        rows = db.session.execute(select(Customer.code, Customer.name, Customer.source_id)
                                  .order_by(Customer.code)).all()
    assert [tuple(r) for r in rows] == [("1005", "Numeric code", "77"),
                                        ("C001", "Toko Makmur Baru", "SRC-1"),
                                        ("C002", "C002 name", None),
                                        ("C003", "Warung Tiga", None)]


def test_products_module_upserts_master_data(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "products.xlsx", [
        ["Product Code", "Product Name", "Unit"],
        ["P001", "Water 600ml", "bottle"],
        ["P003", "Rice 5kg", "bag"],
        ["P004", "Oil", "a unit name longer than twenty"],
    ])
    _, out = run_import(runner, path, "products")
    assert out["rejections"] == [rej(4, "Unit", "unit", "a unit name longer than twenty",
                                     "too_long", "Unit has 30 characters; at most 20 are "
                                                 "allowed.")]
    check_counts(app, out)
    with app.app_context():
        rows = db.session.execute(select(Product.code, Product.name, Product.unit)
                                  .order_by(Product.code)).all()
    assert [tuple(r) for r in rows] == [("P001", "Water 600ml", "bottle"),
                                        ("P002", "P002 name", "pcs"),
                                        ("P003", "Rice 5kg", "bag")]


# --- export (SPEC section 8) ---------------------------------------------------------------------

EXPORT_CSV = ("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,Location Code,"
              "Carrier\n"
              "INV-1,C001,2025-01-31,100,PO-1,JKT,No Carrier\n"
              "INV-2,C002,2025-02-01,20.125,PO-2,,No Carrier\n")


def test_export_open_invoices_csv_and_json(app, runner, d1, tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == EXPORT_CSV
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        '[\n'
        '{"Invoice #": "INV-1", "Customer Code": "C001", "Invoice Date": "2025-01-31", '
        '"Invoice Balance": "100", "Customer PO": "PO-1", "Location Code": "JKT", '
        '"Carrier": "No Carrier"},\n'
        '{"Invoice #": "INV-2", "Customer Code": "C002", "Invoice Date": "2025-02-01", '
        '"Invoice Balance": "20.125", "Customer PO": "PO-2", "Location Code": null, '
        '"Carrier": "No Carrier"}\n'
        ']\n')
    assert len(json.loads(result.stdout)) == 2


def test_an_export_reimports_to_the_same_invoices(app, runner, d1, tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    before = invoices(app)
    out_path = tmp_path / "export.csv"
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--out", str(out_path))
    assert result.exit_code == 0, result.output
    _, out = run_import(runner, str(out_path))
    assert (out["status"], out["accepted"]) == ("archived", 2)
    assert invoices(app) == before


def test_export_as_a_principal_shows_only_files_shared_while_connected(app, runner, d1,
                                                                       tmp_path, world):
    with app.app_context():
        directory.add_org("P2", "P2 name", "principal")
        directory.connect("D1", "P2")
        db.session.commit()
    make_distributor(app, "D2", principal="P1")
    world.user("prin1", "Principal", "P1")
    world.user("prin2", "Principal", "P2")
    world.user("imp1", "Importer", "D1")
    world.user("imp2", "Importer", "D2")
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), "open_invoices", "D1",
               "--principal", "P1")
    run_import(runner, invoice_file(tmp_path, [["INV-3", "C001", "2025-03-01", 3, "PO-3", None]],
                                    "p2.xlsx"), "open_invoices", "D1", "--principal", "P2")
    run_import(runner, invoice_file(tmp_path, [["D2-1", "C001", "2025-03-01", 4, "PO-4", None]],
                                    "d2.xlsx"), "open_invoices", "D2")

    def export(org, viewer=None):
        args = ["export", "open_invoices", "--org", org, "--format", "csv"]
        result = muara(runner, *args, *(["--viewer", viewer] if viewer else []))
        assert result.exit_code == 0, result.output
        return [line.split(",")[0] for line in result.stdout.splitlines()[1:]]

    assert export("D1") == ["INV-1", "INV-2", "INV-3"]
    assert export("D1", "imp1") == ["INV-1", "INV-2", "INV-3"]
    assert export("D1", "prin1") == ["INV-1", "INV-2"]
    assert export("D1", "prin2") == ["INV-3"]
    assert export("D2", "prin1") == ["D2-1"]
    assert export("D1", "imp2") == []
    assert export("D2", "imp1") == []
    with app.app_context():
        directory.connect("D1", "P1", active=False)
        db.session.commit()
    assert export("D1", "prin1") == []
    assert export("D2", "prin1") == ["D2-1"]
    assert export("D1", "prin2") == ["INV-3"]


def import_one_of_each(runner, tmp_path):
    """Two invoices (GOOD_INVOICES), a credit CR-1 of C001 and stock of P001 at JKT."""
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    run_import(runner, xlsx(tmp_path / "credits.xlsx", [CREDIT_HEADER,
                                                        ["C001", "2025-02-01", "CR-1", 30.5]]),
               "open_credits")
    run_import(runner, xlsx(tmp_path / "boxes.xlsx", [BOXES_HEADER,
                                                      ["P001", "JKT", 2, 12, "2025-02-01"]]),
               "inventory_boxes")


def test_shared_records_outlive_their_file_for_the_principal(app, runner, d1, tmp_path,
                                                              world):
    """The retention purge deletes files, not what they brought in: the principal a file
    was shared with keeps seeing its invoices, credits and stock while connected."""
    world.user("prin1", "Principal", "P1")
    import_one_of_each(runner, tmp_path)

    def seen_by_prin1():
        seen = {}
        for module in ("open_invoices", "open_credits", "inventory_boxes"):
            result = muara(runner, "export", module, "--org", "D1", "--viewer", "prin1")
            assert result.exit_code == 0, result.output
            seen[module] = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
        return seen

    everything = {"open_invoices": ["INV-1", "INV-2"], "open_credits": ["C001"],
                  "inventory_boxes": ["P001"]}
    assert seen_by_prin1() == everything
    purged = muara(runner, "purge", "--days", "0")
    assert (purged.exit_code, json.loads(purged.stdout)["deleted"]) == (0, 3)
    assert counts(app)["imports"] == 0 and counts(app)["invoices"] == 2
    assert seen_by_prin1() == everything
    with app.app_context():
        directory.connect("D1", "P1", active=False)
        db.session.commit()
    assert seen_by_prin1() == {module: [] for module in everything}


def test_the_principal_sees_shared_invoices_on_screen_after_the_purge(app, runner, client,
                                                                       d1, tmp_path, world):
    from tests.conftest import login
    world.user("prin1", "Principal", "P1")
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    assert muara(runner, "purge", "--days", "0").exit_code == 0
    login(client, "prin1")
    listed = client.get("/openinvoiceview/list/").get_data(as_text=True)
    assert "INV-1" in listed and "INV-2" in listed
    with app.app_context():
        pk = db.session.execute(select(OpenInvoice.id).where(
            OpenInvoice.reference == "INV-1")).scalar()
    shown = client.get(f"/openinvoiceview/show/{pk}")
    assert shown.status_code == 200
    page = " ".join(shown.get_data(as_text=True).split())
    assert re.search(r"Shared with\s*</th>\s*<td>\s*(<[^>]+>\s*)*P1 - P1 name", page), page


def test_a_reimport_shares_the_record_with_the_new_files_principal(app, runner, d1, tmp_path,
                                                                   world):
    with app.app_context():
        directory.add_org("P2", "P2 name", "principal")
        directory.connect("D1", "P2")
        db.session.commit()
    world.user("prin1", "Principal", "P1")
    world.user("prin2", "Principal", "P2")
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES), "open_invoices", "D1",
               "--principal", "P1")
    moved = [["INV-2", "C002", "2025-01-16", 20.125, "PO-2", None]]
    run_import(runner, invoice_file(tmp_path, moved, "moved.xlsx"), "open_invoices", "D1",
               "--principal", "P2")
    with app.app_context():
        shared = dict(db.session.execute(
            select(OpenInvoice.reference, Organization.code)
            .join(Organization, Organization.id == OpenInvoice.principal_id)).all())
    assert shared == {"INV-1": "P1", "INV-2": "P2"}
    for viewer, expected in (("prin1", ["INV-1"]), ("prin2", ["INV-2"])):
        result = muara(runner, "export", "open_invoices", "--org", "D1", "--viewer", viewer)
        assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == expected


def test_export_of_nothing_visible_is_just_the_header(app, runner, d1, tmp_path, world):
    make_distributor(app, "D2", principal="P1")
    world.user("imp2", "Importer", "D2")
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--viewer", "imp2")
    assert result.stdout == EXPORT_CSV.splitlines(keepends=True)[0]
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--viewer", "imp2",
                   "--format", "json")
    assert result.stdout == "[\n]\n"
    assert json.loads(result.stdout) == []


def test_export_rejects_an_unknown_viewer(app, runner, d1):
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--viewer", "nobody")
    refused(result, "unknown user: nobody")


@pytest.mark.parametrize("args, message", [
    (["open_invoices", "--org", "D1", "--format", "xml"],
     "format xml is not available for this module (csv or json)"),
    (["delivery_orders", "--org", "D1"], "Exporting Delivery Order is not supported yet."),
    (["open_invoices", "--org", "NOPE"], "unknown organization: NOPE"),
])
def test_export_refusals(app, runner, d1, args, message):
    refused(muara(runner, "export", *args), message)


def test_export_of_credits_stock_customers_and_products(app, runner, d1, tmp_path):
    import_one_of_each(runner, tmp_path)

    def export(module):
        result = muara(runner, "export", module, "--org", "D1")
        assert result.exit_code == 0, result.output
        return result.stdout
    assert export("open_credits") == ("Customer Code,Credit Date,Reference,Amount\n"
                                      "C001,2025-02-01,CR-1,30.5\n")
    assert export("inventory_boxes") == ("Product Code,Location Code,Boxes,Units per Box,Date,"
                                         "Quantity\nP001,JKT,2,12,2025-02-01,24\n")
    assert export("customers") == ("Customer Code,Customer Name,Customer ID,Balance\n"
                                   "C001,C001 name,,69.5\nC002,C002 name,,20.125\n")
    assert export("products") == ("Product Code,Product Name,Unit\n"
                                  "P001,P001 name,btl\nP002,P002 name,pcs\n")
